import { describe, expect, it } from "vitest";
import { run } from "./test-support";

describe("linear", () => {
  const a = [0, 4];
  const b = [4, 0];

  it("normalises by the summed weights by default", () => {
    // (1·[0,4] + 3·[4,0]) / 4 = [3, 1]
    expect(run("linear", { base: null, models: [a, b], modelParams: [{ weight: 1 }, { weight: 3 }] })).toEqual([3, 1]);
  });

  it("sums without normalisation when normalize is false", () => {
    expect(
      run("linear", { base: null, models: [a, b], modelParams: [{ weight: 1 }, { weight: 3 }], params: { normalize: false } }),
    ).toEqual([12, 4]);
  });

  it("ignores the base model", () => {
    expect(run("linear", { base: [100, 100], models: [a, b], modelParams: [{ weight: 1 }, { weight: 1 }] })).toEqual([
      2, 2,
    ]);
  });

  it("refuses to normalise weights that sum to zero", () => {
    expect(() => run("linear", { base: null, models: [a, b], modelParams: [{ weight: 1 }, { weight: -1 }] })).toThrow(
      /sum to 0/,
    );
  });
});
