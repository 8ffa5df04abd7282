import { describe, expect, it } from "vitest";
import { getMask } from "./consensus";
import { generalizedTaskArithmetic } from "./generalized-task-arithmetic";
import { buildInput, lcgData, run } from "./test-support";

describe("ties", () => {
  it("trims, elects signs by mass and averages over the agreeing weights", () => {
    // base = 10 everywhere; density 0.6 of 5 elements → k = 3 per model.
    //   δ1 = [ 4, -1,  2, 0.5, -3] → top-3 |·|: 4, 3, 2  → [ 4, 0,  2,  0, -3]
    //   δ2 = [-2,  3,  1, -4, 0.1] → top-3 |·|: 4, 3, 2  → [-2, 3,  0, -4,  0]
    //   δ3 = [ 1,  2, -5, 1.5,  2] → top-3 |·|: 5, 2, 2  → [ 0, 2, -5,  0,  2]
    // weights 1, 0.5, 2 → weighted:
    //   v1 = [ 4,   0,   2,  0, -3]
    //   v2 = [-1, 1.5,   0, -2,  0]
    //   v3 = [ 0,   4, -10,  0,  4]
    // elected sign (sign of the column sum): 3 → +, 5.5 → +, -8 → -, -2 → -, 1 → +
    // agreeing sum / agreeing weight:
    //   e0: 4 / 1 = 4;  e1: (1.5 + 4) / (0.5 + 2) = 2.2;  e2: -10 / 2 = -5;
    //   e3: -2 / 0.5 = -4;  e4: 4 / 2 = 2
    // result = 10 + that = [14, 12.2, 5, 6, 12]
    const base = [10, 10, 10, 10, 10];
    const deltas = [
      [4, -1, 2, 0.5, -3],
      [-2, 3, 1, -4, 0.1],
      [1, 2, -5, 1.5, 2],
    ];
    const models = deltas.map((d) => d.map((v, i) => v + base[i]));
    const out = run("ties", {
      base,
      models,
      modelParams: [
        { weight: 1, density: 0.6 },
        { weight: 0.5, density: 0.6 },
        { weight: 2, density: 0.6 },
      ],
    });
    const expected = [14, 12.2, 5, 6, 12];
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
  });

  it("with normalize: false sums the agreeing weighted deltas", () => {
    // same data as above without division: [4, 5.5, -10, -2, 4] + 10
    const base = [10, 10, 10, 10, 10];
    const deltas = [
      [4, -1, 2, 0.5, -3],
      [-2, 3, 1, -4, 0.1],
      [1, 2, -5, 1.5, 2],
    ];
    const out = run("ties", {
      base,
      models: deltas.map((d) => d.map((v, i) => v + base[i])),
      modelParams: [
        { weight: 1, density: 0.6 },
        { weight: 0.5, density: 0.6 },
        { weight: 2, density: 0.6 },
      ],
      params: { normalize: false },
    });
    const expected = [14, 15.5, 0, 8, 14];
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
  });

  it("the fused kernel matches the materialised get_mask formulation", () => {
    const n = 2000;
    const base = lcgData(n, 1);
    const ws = [0.7, -0.4, 1.3];
    const models = [2, 3, 4].map((s) => {
      const d = lcgData(n, s);
      return base.map((b, i) => b + d[i]);
    });
    for (const consensus of ["sum", "count"] as const) {
      const input = buildInput("task_arithmetic", {
        base: Array.from(base),
        models: models.map((m) => Array.from(m)),
        modelParams: ws.map((weight) => ({ weight })),
        params: { normalize: true },
      });
      const got = generalizedTaskArithmetic(input, { consensus, sparsification: null }, { normalize: true, rescale: false });
      const weighted = input.models.map((m, i) => m.delta().map((v) => v * ws[i]));
      const masks = getMask(weighted, consensus);
      for (let j = 0; j < n; j++) {
        let mixed = 0;
        let div = 0;
        for (let i = 0; i < 3; i++) if (masks[i][j]) { mixed += weighted[i][j]; div += ws[i]; }
        if (div === 0) div = 1;
        expect(got[j]).toBeCloseTo(base[j] + mixed / div, 4);
      }
    }
  });
});
