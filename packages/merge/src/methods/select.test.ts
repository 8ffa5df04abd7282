import { describe, expect, it } from "vitest";
import { argsortAscending, floatBits, keepRankRange, keyAtRank, RadixScratch } from "./select";
import { lcgData } from "./test-support";

/** Brute force: descending |x|, ties by lower index first. */
function ranksByMagnitude(x: Float32Array): number[] {
  const idx = Array.from(x, (_, i) => i);
  idx.sort((a, b) => Math.abs(x[b]) - Math.abs(x[a]) || a - b);
  return idx;
}

describe("keepRankRange selects by magnitude rank without sorting", () => {
  it("keeps the largest magnitudes on a hand example", () => {
    const x = Float32Array.from([0.5, -3, 2, -0.1, 1]);
    expect(Array.from(keepRankRange(x, 0, 2))).toEqual([0, -3, 2, 0, 0]);
    expect(Array.from(keepRankRange(x, 1, 4))).toEqual([0.5, 0, 2, 0, 1]);
  });

  it("breaks ties by index (lower index ranks first)", () => {
    const x = Float32Array.from([1, -1, 1, 1]);
    expect(Array.from(keepRankRange(x, 0, 2))).toEqual([1, -1, 0, 0]);
    expect(Array.from(keepRankRange(x, 1, 3))).toEqual([0, -1, 1, 0]);
  });

  it("agrees with a full sort on random data with many ties", () => {
    const raw = lcgData(5000, 9);
    const x = raw.map((v) => Math.round(v * 20) / 4); // few distinct values, both signs, zeros
    const order = ranksByMagnitude(x);
    for (const [lo, hi] of [[0, 1], [0, 1234], [17, 4000], [4999, 5000], [0, 5000], [2500, 2500]]) {
      const expected = new Float32Array(x.length);
      for (let r = lo; r < hi; r++) expected[order[r]] = x[order[r]];
      expect(keepRankRange(x, lo, hi)).toEqual(expected);
    }
  });

  it("keyAtRank reports the boundary key and how many are above it", () => {
    const x = Float32Array.from([3, -3, 2, 5]);
    const b = keyAtRank(x, 2);
    expect(b.greater).toBe(1);
    expect(b.key).toBe(floatBits(Float32Array.from([3]))[0]);
  });
});

describe("argsortAscending (DELLA ranks)", () => {
  it("sorts magnitudes ascending, ties with the higher index first", () => {
    const mags = Float32Array.from([2, 0.5, 2, 7, 0.5]);
    const s = new RadixScratch(5);
    const bits = floatBits(mags);
    for (let j = 0; j < 5; j++) s.keysA[j] = bits[j] & 0x7fffffff;
    expect(Array.from(argsortAscending(s, 5).subarray(0, 5))).toEqual([4, 1, 2, 0, 3]);
  });

  it("agrees with a comparison sort on random keys", () => {
    const x = lcgData(3000, 5).map((v) => Math.round(v * 300) / 7);
    const s = new RadixScratch(x.length);
    const bits = floatBits(x);
    for (let j = 0; j < x.length; j++) s.keysA[j] = bits[j] & 0x7fffffff;
    const got = Array.from(argsortAscending(s, x.length).subarray(0, x.length));
    const expected = ranksByMagnitude(x).reverse();
    expect(got).toEqual(expected);
  });
});
