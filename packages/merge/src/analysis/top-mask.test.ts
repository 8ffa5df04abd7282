import { describe, expect, it } from "vitest";
import { topKSparse } from "../taskvector";
import { randn } from "../taskvector/test-helpers";
import { inTopMask, topCount, topMaskCut } from "./top-mask";

function maskOf(values: number[] | Float32Array, k: number): number[] {
  const v = Float32Array.from(values);
  const cut = topMaskCut(v, k, new Float32Array(v.length));
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) if (inTopMask(cut, v[i], i)) out.push(i);
  expect(out.length).toBe(cut.size);
  return out;
}

describe("top-k masks", () => {
  it("keeps the k largest magnitudes and breaks ties by the lower index", () => {
    expect(maskOf([1, 2, -5, 2, 0, 0, -2, 7], 4)).toEqual([1, 2, 3, 7]);
    expect(maskOf([3, -3, 3, -3], 2)).toEqual([0, 1]);
  });

  it("never selects zero entries, so a mostly-zero tensor keeps only its non-zeros", () => {
    expect(maskOf([0, 0, 1, -1, 0], 3)).toEqual([2, 3]);
    expect(maskOf([0, 0, 0], 2)).toEqual([]);
  });

  it("selects the same positions as the sparse encoding on random data", () => {
    const v = randn(1000, 7);
    expect(maskOf(v, 137)).toEqual(Array.from(topKSparse(v, 137).indices));
  });

  it("takes k = floor(fraction · numel) without losing an element to binary rounding", () => {
    expect(topCount(0.2, 10)).toBe(2);
    expect(topCount(0.29, 100)).toBe(29);
    expect(topCount(0.2, 4)).toBe(0);
    expect(topCount(1, 7)).toBe(7);
  });

  it("leaves the values untouched and uses only the scratch buffer", () => {
    const v = Float32Array.from([5, -1, 3, 0, 2]);
    const scratch = new Float32Array(16);
    topMaskCut(v, 2, scratch);
    expect(Array.from(v)).toEqual([5, -1, 3, 0, 2]);
  });
});
