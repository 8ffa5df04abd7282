import { describe, expect, it } from "vitest";
import {
  compareLowRank,
  compareSparse,
  gaussianSource,
  lowRank,
  mulberry32,
  quickselect,
  reconstructLowRank,
  relativeFrobenius,
  relativeFrobeniusError,
  topKSparse,
} from "./encodings";

function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const g = gaussianSource(seed);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = g();
  return out;
}

function bruteForceTopK(delta: Float32Array, k: number): number[] {
  const idx = Array.from(delta, (_, i) => i);
  idx.sort((a, b) => Math.abs(delta[b]) - Math.abs(delta[a]) || a - b);
  return idx.slice(0, k).sort((a, b) => a - b);
}

describe("deterministic random sources", () => {
  it("mulberry32 repeats the same stream for the same seed and stays in [0, 1)", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it("gaussian source has roughly zero mean and unit variance", () => {
    const g = gaussianSource(7);
    let s = 0;
    let s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const x = g();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.05);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });
});

describe("topKSparse", () => {
  it("keeps exactly the k largest magnitudes, indices ascending", () => {
    const delta = randomMatrix(1, 5000, 3);
    for (const k of [0, 1, 17, 2500, 4999, 5000]) {
      const { indices, values } = topKSparse(delta, k);
      expect(indices.length).toBe(k);
      expect(Array.from(indices)).toEqual(bruteForceTopK(delta, k));
      for (let i = 0; i < k; i++) expect(values[i]).toBe(delta[indices[i]]);
    }
  });

  it("breaks ties by lower index and stays linear on long runs of equal values", () => {
    const delta = new Float32Array(200000); // all zeros except a few
    delta[10] = -3;
    delta[20] = 3;
    delta[30] = 1;
    delta[40] = -1;
    delta[50] = 1;
    const { indices, values } = topKSparse(delta, 4);
    expect(Array.from(indices)).toEqual([10, 20, 30, 40]);
    expect(Array.from(values)).toEqual([-3, 3, 1, -1]);
    const zeros = topKSparse(delta, 7);
    expect(Array.from(zeros.indices)).toEqual([0, 1, 10, 20, 30, 40, 50]);
  });

  it("quickselect finds order statistics", () => {
    const data = randomMatrix(1, 999, 11);
    const sorted = Array.from(data).sort((a, b) => a - b);
    for (const t of [0, 1, 500, 998]) expect(quickselect(new Float32Array(data), t)).toBe(sorted[t]);
  });

  it("reports the error of dropped entries", () => {
    const delta = new Float32Array([3, -4, 0.5, 0]);
    const { indices, values } = topKSparse(delta, 2);
    const e = compareSparse(delta, indices, values);
    expect(e.errSq).toBeCloseTo(0.25, 12);
    expect(relativeFrobenius(e)).toBeCloseTo(Math.sqrt(0.25 / 25.25), 12);
    expect(e.maxAbs).toBe(0.5);
  });
});

describe("lowRank (randomized SVD)", () => {
  it("reconstructs an exactly rank-2 matrix at rank 2", () => {
    const rows = 40;
    const cols = 30;
    const u = randomMatrix(rows, 2, 1);
    const v = randomMatrix(2, cols, 2);
    const a = reconstructLowRank(u, v, rows, cols, 2);
    const lr = lowRank(a, rows, cols, 2, 123);
    expect(lr.rank).toBe(2);
    expect(lr.up.length).toBe(rows * 2);
    expect(lr.down.length).toBe(2 * cols);
    const approx = reconstructLowRank(lr.up, lr.down, rows, cols, 2);
    expect(relativeFrobeniusError(a, approx)).toBeLessThan(1e-5);
    // down rows are unit vectors (Vᵀ), singular values descending
    for (let c = 0; c < 2; c++) {
      let n2 = 0;
      for (let k = 0; k < cols; k++) n2 += lr.down[c * cols + k] ** 2;
      expect(n2).toBeCloseTo(1, 6);
    }
    expect(lr.singularValues[0]).toBeGreaterThanOrEqual(lr.singularValues[1]);
  });

  it("error decreases as rank grows on a random matrix and vanishes at full rank", () => {
    const rows = 48;
    const cols = 32;
    const a = randomMatrix(rows, cols, 9);
    let previous = Infinity;
    for (const r of [1, 4, 8, 16, 24]) {
      const lr = lowRank(a, rows, cols, r, 5);
      const err = relativeFrobenius(compareLowRank(a, lr.up, lr.down, rows, cols, lr.rank));
      expect(err).toBeLessThan(previous);
      previous = err;
    }
    const full = lowRank(a, rows, cols, 32, 5);
    expect(relativeFrobenius(compareLowRank(a, full.up, full.down, rows, cols, full.rank))).toBeLessThan(1e-5);
  });

  it("matches the optimal (Eckart–Young) error closely on a decaying spectrum", () => {
    // Diagonal-like matrix with known singular values 1, 1/2, 1/4, ...
    const n = 20;
    const a = new Float32Array(n * n);
    for (let i = 0; i < n; i++) a[i * n + ((i * 7) % n)] = 2 ** -i;
    const r = 5;
    const lr = lowRank(a, n, n, r, 77);
    let tail = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      total += 4 ** -i;
      if (i >= r) tail += 4 ** -i;
    }
    const err = relativeFrobenius(compareLowRank(a, lr.up, lr.down, n, n, lr.rank));
    expect(err).toBeCloseTo(Math.sqrt(tail / total), 5);
  });

  it("is deterministic for a seed, clamps the rank, and handles a zero matrix", () => {
    const a = randomMatrix(12, 5, 4);
    const x = lowRank(a, 12, 5, 3, 99);
    const y = lowRank(a, 12, 5, 3, 99);
    expect(Array.from(x.up)).toEqual(Array.from(y.up));
    expect(lowRank(a, 12, 5, 50, 1).rank).toBe(5);
    const z = lowRank(new Float32Array(12), 3, 4, 2, 1);
    expect(Array.from(z.up).every((v) => v === 0)).toBe(true);
    expect(Array.from(z.down).every((v) => v === 0)).toBe(true);
  });
});
