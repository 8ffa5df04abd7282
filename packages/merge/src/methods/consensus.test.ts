import { describe, expect, it } from "vitest";
import { getMask } from "./consensus";

describe("sign election (mergekit get_mask)", () => {
  // Three models, three elements (weighted deltas):
  //   col 0:  1, -3,  1   sum -1 → "-"   count +1 → "+"
  //   col 1: -1, -1,  5   sum  3 → "+"   count -1 → "-"
  //   col 2:  0,  2,  0   sum  2 → "+"   count +1 → "+"  (zeros never agree)
  const w = [
    Float32Array.from([1, -1, 0]),
    Float32Array.from([-3, -1, 2]),
    Float32Array.from([1, 5, 0]),
  ];

  it('"sum" elects the sign of the total mass', () => {
    expect(getMask(w, "sum").map((m) => Array.from(m))).toEqual([
      [0, 0, 0],
      [1, 0, 1],
      [0, 1, 0],
    ]);
  });

  it('"count" elects the sign most models have', () => {
    expect(getMask(w, "count").map((m) => Array.from(m))).toEqual([
      [1, 1, 0],
      [0, 1, 1],
      [1, 0, 0],
    ]);
  });

  it("a zero total elects +", () => {
    const masks = getMask([Float32Array.from([2]), Float32Array.from([-2])], "sum");
    expect(masks.map((m) => m[0])).toEqual([1, 0]);
  });
});
