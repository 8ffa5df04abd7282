import { describe, expect, it } from "vitest";
import { createPrng } from "./prng";
import {
  sparsify,
  sparsifyDellaMagprune,
  sparsifyMagnitude,
  sparsifyMagnitudeOutliers,
  sparsifyRandom,
} from "./sparsify";
import { lcgData } from "./test-support";

const l1 = (x: Float32Array) => x.reduce((a, v) => a + Math.abs(v), 0);
const nonzero = (x: Float32Array) => x.reduce((a, v) => a + (v !== 0 ? 1 : 0), 0);

describe("magnitude (TIES trim)", () => {
  it("keeps trunc(density*n) largest magnitudes", () => {
    // n = 5, density 0.5 → k = trunc(2.5) = 2 → keep -4 and 3.
    const x = Float32Array.from([1, -4, 3, 0.5, -2]);
    expect(Array.from(sparsifyMagnitude(x, 0.5))).toEqual([0, -4, 3, 0, 0]);
  });

  it("uses Python's float truncation for k (0.29*100 = 28.999… → 28)", () => {
    const x = Float32Array.from({ length: 100 }, (_, i) => i + 1);
    expect(nonzero(sparsifyMagnitude(x, 0.29))).toBe(28);
  });

  it("returns the input itself at density >= 1 and zeros when k == 0", () => {
    const x = Float32Array.from([1, 2, 3]);
    expect(sparsifyMagnitude(x, 1)).toBe(x);
    expect(Array.from(sparsifyMagnitude(x, 0.2))).toEqual([0, 0, 0]);
  });

  it("does not modify its input", () => {
    const x = Float32Array.from([1, -4, 3, 0.5, -2]);
    sparsifyMagnitude(x, 0.4, "l1");
    expect(Array.from(x)).toEqual([1, -4, 3, 0.5, -2]);
  });

  it("l1 rescale restores the L1 norm; inverse_density divides by density", () => {
    // keep -4 and 3 (L1 7) of L1 10.5 → factor 1.5
    const x = Float32Array.from([1, -4, 3, 0.5, -2]);
    expect(Array.from(sparsifyMagnitude(x, 0.5, "l1"))).toEqual([0, -6, 4.5, 0, 0]);
    expect(Array.from(sparsifyMagnitude(x, 0.5, "inverse_density"))).toEqual([0, -8, 6, 0, 0]);
    // linf: max|kept| = 4 = max|x| → unchanged; l2: sqrt(30.25/25) = 1.1
    expect(Array.from(sparsifyMagnitude(x, 0.5, "linf"))).toEqual([0, -4, 3, 0, 0]);
    const l2 = sparsifyMagnitude(x, 0.5, "l2");
    expect(l2[1]).toBeCloseTo(-4.4, 5);
    expect(l2[2]).toBeCloseTo(3.3, 5);
  });
});

describe("random (DARE drop)", () => {
  const x = lcgData(200_000, 3);

  it("keeps about `density` of the entries", () => {
    for (const density of [0.1, 0.5, 0.9]) {
      const kept = nonzero(sparsifyRandom(x, density, createPrng(1, "t")));
      expect(Math.abs(kept / x.length - density)).toBeLessThan(0.01);
    }
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const a = sparsifyRandom(x, 0.3, createPrng(5, "w"));
    const b = sparsifyRandom(x, 0.3, createPrng(5, "w"));
    const c = sparsifyRandom(x, 0.3, createPrng(6, "w"));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("inverse_density keeps survivors as x/density (the DARE paper's rescale)", () => {
    const small = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const out = sparsifyRandom(small, 0.5, createPrng(2, "d"), "inverse_density");
    for (let i = 0; i < small.length; i++) expect([0, small[i] * 2]).toContain(out[i]);
  });

  it("l1 rescale (mergekit's rescale: true) preserves the L1 norm", () => {
    const out = sparsifyRandom(x, 0.2, createPrng(3, "l1"), "l1");
    expect(l1(out) / l1(x)).toBeCloseTo(1, 4);
  });

  it("draws nothing at density 1 (returns the input)", () => {
    expect(sparsifyRandom(x, 1, createPrng(1, "t"))).toBe(x);
  });
});

describe("magnitude_outliers (breadcrumbs)", () => {
  it("drops the top gamma fraction and the smallest, keeping density", () => {
    // values 1..100; density 0.9 → target 90; gamma 0.05 → n_top 5; n_bot 5 → keep 6..95
    const x = Float32Array.from({ length: 100 }, (_, i) => (i % 2 ? -1 : 1) * (i + 1));
    const out = sparsifyMagnitudeOutliers(x, 0.9, 0.05);
    for (let i = 0; i < 100; i++) {
      const v = i + 1;
      expect(out[i]).toBe(v >= 6 && v <= 95 ? x[i] : 0);
    }
  });

  it("shrinks the outlier cut when gamma + density > 1", () => {
    // n 10, density 0.8 → target 8, gamma 0.3 → n_top 3, n_bot = -1 → n_top 2, n_bot 0: keep 1..8
    const x = Float32Array.from({ length: 10 }, (_, i) => i + 1);
    expect(Array.from(sparsifyMagnitudeOutliers(x, 0.8, 0.3))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0, 0]);
  });

  it("keeps the top `density` when gamma*n < 1 (mergekit would keep nothing)", () => {
    const x = Float32Array.from({ length: 10 }, (_, i) => i + 1);
    expect(Array.from(sparsifyMagnitudeOutliers(x, 0.5, 0.01))).toEqual([0, 0, 0, 0, 0, 6, 7, 8, 9, 10]);
  });

  it("with gamma 0 equals the TIES magnitude trim (PEFT magnitude_prune)", () => {
    const x = lcgData(1000, 8).map((v) => Math.round(v * 30) / 3);
    expect(sparsifyMagnitudeOutliers(x, 0.37, 0)).toEqual(sparsifyMagnitude(x, 0.37));
  });

  it("ignores gamma at density 1, as mergekit does", () => {
    const x = Float32Array.from([1, 100, 2]);
    expect(sparsifyMagnitudeOutliers(x, 1, 0.5)).toBe(x);
  });
});

describe("della_magprune", () => {
  const rows = 200;
  const cols = 500;
  const x = lcgData(rows * cols, 11);

  it("keeps about `density` overall", () => {
    const out = sparsifyDellaMagprune(x, 0.4, 0.1, createPrng(1, "della"), "none", [rows, cols]);
    expect(Math.abs(nonzero(out) / x.length - 0.4)).toBeLessThan(0.01);
  });

  it("keeps large magnitudes (within their row) more often than small ones", () => {
    const out = sparsifyDellaMagprune(x, 0.5, 0.2, createPrng(2, "della"), "none", [rows, cols]);
    let bigKept = 0, bigN = 0, smallKept = 0, smallN = 0;
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.subarray(r * cols, (r + 1) * cols), Math.abs).sort((a, b) => a - b);
      const lo = row[Math.floor(cols * 0.1)];
      const hi = row[Math.floor(cols * 0.9)];
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const a = Math.abs(x[i]);
        if (a >= hi) { bigN++; if (out[i] !== 0) bigKept++; }
        if (a < lo) { smallN++; if (out[i] !== 0) smallKept++; }
      }
    }
    // expected keep rates ≈ 0.3 + 0.4*0.95 = 0.68 (top decile) and ≈ 0.32 (bottom decile)
    expect(bigKept / bigN).toBeGreaterThan(0.64);
    expect(bigKept / bigN).toBeLessThan(0.72);
    expect(smallKept / smallN).toBeGreaterThan(0.28);
    expect(smallKept / smallN).toBeLessThan(0.36);
  });

  it("keep probabilities run from density-eps (smallest) to density+eps (largest) per row", () => {
    // One row of 3: ranks 0,1,2 → p = 0.2, 0.5, 0.8; with inverse_density a
    // survivor is x/p, which reveals p.
    const row = Float32Array.from([-9, 1, 5]); // |.| ranks: 1 → 0, 5 → 1, -9 → 2
    const seen = new Map<number, Set<number>>();
    for (let s = 0; s < 200; s++) {
      const out = sparsifyDellaMagprune(row, 0.5, 0.3, createPrng(s, "p"), "inverse_density", [1, 3]);
      out.forEach((v, i) => { if (v !== 0) (seen.get(i) ?? seen.set(i, new Set()).get(i)!).add(row[i] / v); });
    }
    expect([...seen.get(1)!][0]).toBeCloseTo(0.2, 6);
    expect([...seen.get(2)!][0]).toBeCloseTo(0.5, 6);
    expect([...seen.get(0)!][0]).toBeCloseTo(0.8, 6);
  });

  it("l1 rescale preserves the L1 norm", () => {
    const out = sparsifyDellaMagprune(x, 0.3, 0.1, createPrng(4, "l1"), "l1", [rows, cols]);
    expect(l1(out) / l1(x)).toBeCloseTo(1, 4);
  });

  it("rejects epsilon that pushes probabilities outside (0, 1)", () => {
    expect(() => sparsifyDellaMagprune(x, 0.1, 0.15, createPrng(0, "e"))).toThrow(/epsilon/);
    expect(() => sparsifyDellaMagprune(x, 0.9, 0.15, createPrng(0, "e"))).toThrow(/epsilon/);
  });

  it("ranks within rows of the last dimension", () => {
    // shape [2, 3]: row 0 = 1, 30, 2 → p .2, .8, .5 ; row 1 = 10, 3, 20 → p .5, .2, .8
    const t = Float32Array.from([1, 30, 2, 10, 3, 20]);
    const expectP = [0.2, 0.8, 0.5, 0.5, 0.2, 0.8];
    const seen = new Set<number>();
    for (let s = 0; s < 100; s++) {
      const out = sparsify(t, "della_magprune", {
        density: 0.5, epsilon: 0.3, rng: createPrng(s, "g"), rescale: "inverse_density", shape: [2, 3],
      });
      out.forEach((v, i) => { if (v !== 0) { expect(t[i] / v).toBeCloseTo(expectP[i], 6); seen.add(i); } });
    }
    expect(seen.size).toBe(6);
  });
});

describe("norm rescale of rank-range sparsifiers (computed from the selection histograms)", () => {
  const x = lcgData(10_000, 21).map((v) => Math.round(v * 50) / 10);
  const sum = (a: Float32Array, f: (v: number) => number) => a.reduce((s, v) => s + f(v), 0);
  it("magnitude: l1, l2 and linf norms of the original are restored", () => {
    expect(sum(sparsifyMagnitude(x, 0.3, "l1"), Math.abs) / sum(x, Math.abs)).toBeCloseTo(1, 5);
    const l2 = (a: Float32Array) => Math.sqrt(sum(a, (v) => v * v));
    expect(l2(sparsifyMagnitude(x, 0.3, "l2")) / l2(x)).toBeCloseTo(1, 5);
  });
  it("breadcrumbs: l1 and linf are restored", () => {
    expect(sum(sparsifyMagnitudeOutliers(x, 0.5, 0.05, "l1"), Math.abs) / sum(x, Math.abs)).toBeCloseTo(1, 5);
    const max = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(max(sparsifyMagnitudeOutliers(x, 0.5, 0.05, "linf"))).toBeCloseTo(max(x), 5);
  });
});
