import { describe, expect, it } from "vitest";
import { lcgData, run } from "./test-support";

const n = 50_000;
const base = Array.from(lcgData(n, 100));
const d1 = lcgData(n, 101, 0.01);
const d2 = lcgData(n, 102, 0.01);
const m1 = base.map((b, i) => b + d1[i]);
const m2 = base.map((b, i) => b + d2[i]);

function keptFraction(out: number[], delta: Float32Array): number {
  let k = 0;
  for (let i = 0; i < out.length; i++) if (Math.abs(out[i] - base[i]) > 1e-9) k++;
  return k / delta.length;
}

describe("dare_linear / dare_ties", () => {
  it("density 1 equals task_arithmetic", () => {
    const mp = [{ weight: 0.6 }, { weight: 0.4 }];
    const ta = run("task_arithmetic", { base, models: [m1, m2], modelParams: mp });
    expect(run("dare_linear", { base, models: [m1, m2], modelParams: mp, seed: 3 })).toEqual(ta);
    // dare_ties at density 1 is TIES sign election without trimming
    const dt = run("dare_ties", { base, models: [m1, m2], modelParams: mp, seed: 3 });
    const tiesFull = run("ties", { base, models: [m1, m2], modelParams: mp, params: { normalize: false } });
    expect(dt).toEqual(tiesFull);
  });

  it("is deterministic for a seed, and different seeds differ", () => {
    const opts = { base, models: [m1, m2], modelParams: [{ weight: 1, density: 0.3 }, { weight: 1, density: 0.3 }] };
    const a = run("dare_ties", { ...opts, seed: 42 });
    const b = run("dare_ties", { ...opts, seed: 42 });
    const c = run("dare_ties", { ...opts, seed: 43 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("the random stream depends on the tensor name", () => {
    const opts = { base, models: [m1], modelParams: [{ weight: 1, density: 0.3 }], seed: 1 };
    expect(run("dare_linear", { ...opts, name: "a" })).not.toEqual(run("dare_linear", { ...opts, name: "b" }));
  });

  it("keeps about `density` of a task vector", () => {
    const out = run("dare_linear", { base, models: [m1], modelParams: [{ weight: 1, density: 0.25 }], seed: 7 });
    expect(Math.abs(keptFraction(out, d1) - 0.25)).toBeLessThan(0.01);
  });

  it("rescale_mode inverse_density gives the paper's 1/density survivors", () => {
    const out = run("dare_linear", {
      base,
      models: [m1],
      modelParams: [{ weight: 1, density: 0.5 }],
      params: { rescale_mode: "inverse_density" },
      seed: 1,
    });
    for (let i = 0; i < 200; i++) {
      const got = out[i] - base[i];
      if (Math.abs(got) > 1e-9) expect(got).toBeCloseTo(2 * (m1[i] - base[i]), 4);
    }
  });

  it("rescale: false keeps survivors unscaled", () => {
    const out = run("dare_linear", {
      base,
      models: [m1],
      modelParams: [{ weight: 1, density: 0.5 }],
      params: { rescale: false },
      seed: 1,
    });
    for (let i = 0; i < 200; i++) {
      const got = out[i] - base[i];
      if (Math.abs(got) > 1e-9) expect(got).toBeCloseTo(m1[i] - base[i], 5);
    }
  });
});

describe("breadcrumbs", () => {
  it("drops the largest outliers and the smallest changes", () => {
    // τ = 1..10 (one sign), density 0.5, gamma 0.2 → drop 9, 10 (top) and 1, 2, 3 (bottom)
    const b0 = new Array(10).fill(0);
    const model = Array.from({ length: 10 }, (_, i) => i + 1);
    const out = run("breadcrumbs", { base: b0, models: [model], modelParams: [{ weight: 1, density: 0.5, gamma: 0.2 }] });
    expect(out).toEqual([0, 0, 0, 4, 5, 6, 7, 8, 0, 0]);
  });

  it("default density 1 keeps everything (gamma ignored)", () => {
    const b0 = [0, 0, 0];
    expect(run("breadcrumbs", { base: b0, models: [[1, 100, 2]], modelParams: [{ weight: 1, gamma: 0.5 }] })).toEqual([
      1, 100, 2,
    ]);
  });
});

describe("della", () => {
  it("keeps about `density` of the entries", () => {
    const out = run("della_linear", {
      base,
      models: [m1],
      modelParams: [{ weight: 1, density: 0.4, epsilon: 0.1 }],
      shape: [100, 500],
      seed: 5,
    });
    expect(Math.abs(keptFraction(out, d1) - 0.4)).toBeLessThan(0.01);
  });

  it("della applies sign election and normalisation", () => {
    // density 1: no pruning; della = TIES election + normalize (default true).
    const b0 = [0, 0];
    const out = run("della", {
      base: b0,
      models: [[1, -1], [-3, 2]],
      modelParams: [{ weight: 1 }, { weight: 1 }],
    });
    // e0: sum -2 → "-": only -3 → -3/1; e1: sum 1 → "+": only 2 → 2/1
    expect(out).toEqual([-3, 2]);
  });

  it("lambda scales the merged task vector", () => {
    const out = run("della_linear", {
      base: [1, 1],
      models: [[2, 3]],
      modelParams: [{ weight: 1 }],
      params: { lambda: 0.5 },
    });
    expect(out).toEqual([1.5, 2]);
  });

  it("reports an epsilon that leaves (0, 1)", () => {
    expect(() =>
      run("della", { base: [0, 0], models: [[1, 2]], modelParams: [{ weight: 1, density: 0.1 }] }),
    ).toThrow(/epsilon/);
  });
});
