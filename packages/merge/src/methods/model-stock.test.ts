import { describe, expect, it } from "vitest";
import { run } from "./test-support";

describe("model_stock", () => {
  it("returns the model when all task vectors are identical (cos = 1 → t = 1)", () => {
    const base = [1, 2, 3, 4];
    const m = [1.5, 1, 3.25, 5];
    const out = run("model_stock", { base, models: [m, m, m] });
    out.forEach((v, i) => expect(v).toBeCloseTo(m[i], 6));
  });

  it("returns the base for orthogonal task vectors (cos = 0 → t = 0)", () => {
    expect(run("model_stock", { base: [0, 0], models: [[1, 0], [0, 1]] })).toEqual([0, 0]);
  });

  it("interpolates with t = 2cos/(1+cos) for two models", () => {
    // τ1 = [1,0], τ2 = [1,1]: cos = 1/√2, t = 2c/(1+c) = 2(√2 − 1) ≈ 0.828427
    // avg = [1, 0.5] → out = t·avg
    const t = 2 * (Math.SQRT2 - 1);
    const out = run("model_stock", { base: [0, 0], models: [[1, 0], [1, 1]] });
    expect(out[0]).toBeCloseTo(t, 5);
    expect(out[1]).toBeCloseTo(t / 2, 5);
  });

  it("filter_wise computes t per row", () => {
    // row 0: τ1 = τ2 = [1,0] → t 1 → [1,0]; row 1: [1,0] vs [0,1] → t 0 → base [0,0]
    const out = run("model_stock", {
      base: [0, 0, 0, 0],
      models: [[1, 0, 1, 0], [1, 0, 0, 1]],
      shape: [2, 2],
      params: { filter_wise: true },
    });
    expect(out).toEqual([1, 0, 0, 0]);
    // per tensor instead: cos = 1/2 → t = 2·0.5/1.5 = 2/3; avg = [1, 0, 0.5, 0.5]
    const flat = run("model_stock", { base: [0, 0, 0, 0], models: [[1, 0, 1, 0], [1, 0, 0, 1]], shape: [2, 2] });
    [2 / 3, 0, 1 / 3, 1 / 3].forEach((v, i) => expect(flat[i]).toBeCloseTo(v, 6));
  });

  it("needs at least two models besides the base", () => {
    expect(() => run("model_stock", { base: [0], models: [[1]] })).toThrow(/at least 3 models/);
  });
});
