import { describe, expect, it } from "vitest";
import { run } from "./test-support";

describe("task_arithmetic", () => {
  const base = [1, 2, 3];
  const a = [2, 2, 2]; // τA = [1, 0, -1]
  const b = [1, 4, 3]; // τB = [0, 2, 0]

  it("adds task vectors", () => {
    expect(run("task_arithmetic", { base, models: [a, b], modelParams: [{ weight: 1 }, { weight: 1 }] })).toEqual([
      2, 4, 2,
    ]);
  });

  it("negates a task vector with a negative weight", () => {
    expect(run("task_arithmetic", { base, models: [a], modelParams: [{ weight: -1 }] })).toEqual([0, 2, 4]);
  });

  it("forms analogies C + B − A", () => {
    const zero = [0, 0, 0];
    const A = [1, 0, 0];
    const B = [0, 1, 0];
    const C = [0, 0, 1];
    const params = [{ weight: -1 }, { weight: 1 }, { weight: 1 }];
    expect(run("task_arithmetic", { base: zero, models: [A, B, C], modelParams: params })).toEqual([-1, 1, 1]);
    // lambda scales the sum
    expect(run("task_arithmetic", { base: zero, models: [A, B, C], modelParams: params, params: { lambda: 0.5 } })).toEqual([
      -0.5, 0.5, 0.5,
    ]);
  });

  it("normalize divides by the summed weights", () => {
    // (2·τA + 2·τB) / 4 = [0.5, 1, -0.5]
    expect(
      run("task_arithmetic", {
        base,
        models: [a, b],
        modelParams: [{ weight: 2 }, { weight: 2 }],
        params: { normalize: true },
      }),
    ).toEqual([1.5, 3, 2.5]);
  });

  it("leaves the divisor at 1 when the weights cancel", () => {
    // weights 1 and -1 sum to 0 → no division: τA − τB = [1, -2, -1]
    expect(
      run("task_arithmetic", {
        base,
        models: [a, b],
        modelParams: [{ weight: 1 }, { weight: -1 }],
        params: { normalize: true },
      }),
    ).toEqual([2, 0, 2]);
  });

  it("returns the base when there are no models", () => {
    expect(run("task_arithmetic", { base, models: [] })).toEqual(base);
  });
});
