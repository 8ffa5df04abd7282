import { describe, expect, it } from "vitest";
import { SimdArena } from "../simd/arena";
import { setSimdKernels } from "../simd/ops";
import { argsortAscending, countKeyIn, floatBits, keepRankRange, type KeyFloor, keyAtRank, nthKeyIn, RadixScratch, RankRangeFilter, RankSelector } from "./select";
import { decodeMinusInto } from "../safetensors";
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

  it("a key floor keeps what apply keeps, chunk by chunk; where the boundary's quota runs out it splits in two, or gives way to apply", () => {
    for (const simd of [true, false]) {
      setSimdKernels(simd);
      const x = lcgData(10_000, 4).map((v) => Math.round(v * 8) / 8); // many elements share the boundary key
      const k = 3000;
      const b = keyAtRank(x, k - 1);
      const filter = () => new RankRangeFilter({ key: b.key, quota: k - b.greater }, null);
      for (const canSplit of [true, false]) {
        const applied = filter();
        const floored = filter();
        const specials: { offset: number; floor: KeyFloor | null }[] = [];
        for (let offset = 0; offset < x.length; offset += 1000) {
          const chunk = x.subarray(offset, offset + 1000);
          const expected = new Float32Array(chunk.length);
          applied.apply(offset, chunk, expected);
          const got = new Float32Array(chunk.length);
          const floor = floored.keyFloor(offset, (key) => countKeyIn(chunk, key), canSplit ? (key, n) => nthKeyIn(chunk, key, n) : undefined);
          if (floor === null) floored.apply(offset, chunk, got);
          else {
            const bits = floatBits(chunk);
            const at = (j: number) => (typeof floor === "number" ? floor : j < floor.at ? floor.before : floor.after);
            chunk.forEach((v, j) => (got[j] = (bits[j]! & 0x7fffffff) > at(j) ? v : 0));
          }
          if (floor === null || typeof floor !== "number") specials.push({ offset, floor });
          else expect(floor === b.key - 1 || floor === b.key).toBe(true);
          expect(floatBits(got)).toEqual(floatBits(expected));
        }
        // Exactly one chunk holds the last boundary element kept: split there, or left to apply.
        expect(specials).toHaveLength(1);
        if (canSplit) expect(specials[0]!.floor).toMatchObject({ before: b.key - 1, after: b.key });
        else expect(specials[0]!.floor).toBeNull();
      }
    }
    setSimdKernels(true);
  });

  it("nthKeyIn finds the k-th element with a key, with and without SIMD", () => {
    const x = Float32Array.from({ length: 1003 }, (_, i) => (i % 5 === 0 ? (i % 2 ? -0.5 : 0.5) : i));
    const key = floatBits(Float32Array.of(0.5))[0]!;
    for (const simd of [true, false]) {
      setSimdKernels(simd);
      expect([1, 2, 100, 201, 202].map((n) => nthKeyIn(x, key, n))).toEqual([0, 5, 495, 1000, -1]);
    }
    setSimdKernels(true);
  });

  it("keyAtRank reports the boundary key and how many are above it", () => {
    const x = Float32Array.from([3, -3, 2, 5]);
    const b = keyAtRank(x, 2);
    expect(b.greater).toBe(1);
    expect(b.key).toBe(floatBits(Float32Array.from([3]))[0]);
  });
});

describe("RankSelector finds a single boundary in one pass when the first chunk is representative", () => {
  /** The exact answer by sorting: the key at descending rank `rank` and how many keys are larger. */
  function expectedBoundary(x: Float32Array, rank: number) {
    const keys = Array.from(floatBits(x), (b) => b & 0x7fffffff).sort((a, b) => b - a);
    return { key: keys[rank]!, greater: keys.filter((k) => k > keys[rank]!).length };
  }

  /** Streams `chunks` through the passes the selector needs; returns the boundary and how many passes ran. */
  function select(chunks: Float32Array[], rank: number) {
    const total = chunks.reduce((a, c) => a + c.length, 0);
    const s = new RankSelector([rank], false, total).selectIn(chunks);
    const { key, greater } = s.boundary(rank);
    return { key, greater, twoPasses: s.passes > 1 };
  }

  const chunked = (x: Float32Array, len: number) => Array.from({ length: Math.ceil(x.length / len) }, (_, i) => x.subarray(i * len, (i + 1) * len));
  const x = lcgData(60_000, 4).map((v) => v * Math.fround(1.37)); // every key distinct-ish, full mantissas
  const rank = Math.floor(x.length * 0.2);

  it("skips the second pass on data whose first chunk looks like the rest", () => {
    for (const simd of [true, false]) {
      setSimdKernels(simd);
      const got = select(chunked(x, 7_000), rank);
      setSimdKernels(true);
      expect(got).toEqual({ ...expectedBoundary(x, rank), twoPasses: false });
    }
  });

  it("falls back to a second pass, with the same answer, when the first chunk misleads", () => {
    const skewed = x.map((v, i) => (i < 5_000 ? v * 1000 : v));
    const got = select(chunked(skewed, 5_000), rank);
    expect(got).toEqual({ ...expectedBoundary(skewed, rank), twoPasses: true });
  });

  it("on deltas with few distinct magnitudes, probes the key its sample suggests with two counts, in one pass", () => {
    // Multiples of 1/16: the boundary key holds percents of the tensor, as deltas between BF16 checkpoints do.
    const quantised = lcgData(300_000, 11).map((v) => Math.round(v * 16) / 16);
    const chunks = chunked(quantised, 70_000);
    for (const simd of [true, false]) {
      setSimdKernels(simd);
      for (const q of [0.05, 0.2, 0.5]) {
        const r = Math.floor(quantised.length * q);
        const s = new RankSelector([r], false, quantised.length).selectIn(chunks);
        const expected = expectedBoundary(quantised, r);
        expect({ key: s.boundary(r).key, greater: s.boundary(r).greater, passes: s.passes }).toEqual({ ...expected, passes: 1 });
        // It counted the boundary key per chunk on the way, for the filter.
        expect(s.boundaryTies).toEqual(chunks.map((c) => countKeyIn(c, expected.key)));
      }
    }
    setSimdKernels(true);
  });

  it("a probe that misses (its sample misled it) is followed by a histogram pass, with the same answer", () => {
    const quantised = lcgData(300_000, 12).map((v) => Math.round(v * 16) / 16);
    // The first 70 000 elements are eight times larger: their quantiles point at a key far above the tensor's.
    const misleading = quantised.map((v, i) => (i < 70_000 ? v * 8 : v));
    const r = Math.floor(misleading.length * 0.2);
    const chunks = chunked(misleading, 70_000);
    const s = new RankSelector([r], false, misleading.length);
    for (const c of chunks) s.scan(c);
    expect(s.probing).toBe(true);
    s.endPass();
    s.selectIn(chunks);
    const expected = expectedBoundary(misleading, r);
    expect({ key: s.boundary(r).key, greater: s.boundary(r).greater }).toEqual(expected);
    expect(s.passes).toBeGreaterThan(1);
    expect(s.boundaryTies).toBeNull();
  });

  it("is exact whichever pass finds the boundary: random quantisations, ranks and chunkings", () => {
    let seed = 100;
    for (const levels of [4, 16, 256, 0]) {
      for (const q of [0, 0.01, 0.2, 0.7, 0.999]) {
        // `levels` 0: full mantissas (no probe); else multiples of 1/levels, the first chunk sometimes scaled (a misleading sample).
        const raw = lcgData(150_000, seed++);
        const data = levels ? raw.map((v, i) => (Math.round(v * levels) / levels) * (seed % 3 === 0 && i < 40_000 ? 4 : 1)) : raw;
        const len = [40_000, 65_536, 150_000][seed % 3]!;
        const chunks = chunked(data, len);
        const r = Math.min(data.length - 1, Math.floor(data.length * q));
        const s = new RankSelector([r], false, data.length).selectIn(chunks);
        const expected = expectedBoundary(data, r);
        expect({ key: s.boundary(r).key, greater: s.boundary(r).greater }, `levels ${levels}, q ${q}, chunks of ${len}`).toEqual(expected);
        if (s.boundaryTies) expect(s.boundaryTies).toEqual(chunks.map((c) => countKeyIn(c, expected.key)));
      }
    }
  });

  it("counts beside the data in WebAssembly memory, and stays exact when chunks come from different memories", () => {
    const arena = SimdArena.create(8 << 20)!;
    const chunks = chunked(x, 10_000).map((c, i) => {
      if (i % 2 === 1) return c; // ordinary memory
      const inArena = arena.floats(c.length)!;
      inArena.set(c);
      return inArena;
    });
    expect(select(chunks, rank)).toEqual({ ...expectedBoundary(x, rank), twoPasses: false });
    // Its tables were given back: the next selector borrows the same memory.
    const before = arena.capacity - arena.bytes(0)!.byteOffset;
    expect(select(chunks, rank).twoPasses).toBe(false);
    expect(arena.capacity - arena.bytes(0)!.byteOffset).toBe(before);
  });
});

describe("RankSelector over BF16 weights", () => {
  it("counts the deltas computed from BF16 weights and the base as it counts the decoded deltas", () => {
    const arena = SimdArena.create(16 << 20)!;
    const n = 40_000;
    const base = arena.floats(n)!;
    base.set(lcgData(n, 8));
    // BF16 weights: base plus a small change, rounded (the deltas take few distinct values, as in real checkpoints).
    const raw = arena.bytes(2 * n)!;
    const halves = new Uint16Array(raw.buffer, raw.byteOffset, n);
    floatBits(Float32Array.from(lcgData(n, 9), (v, i) => base[i]! + v * 0.01)).forEach((bits, i) => (halves[i] = bits >>> 16));
    const deltas = decodeMinusInto("BF16", raw, base, new Float32Array(n));
    const chunk = 6_000;
    for (const rank of [0, 999, Math.floor(n * 0.8), n - 1]) {
      const fromDeltas = new RankSelector([rank], false, n);
      const fromWeights = new RankSelector([rank], false, n);
      let taken = 0;
      for (const s of [fromDeltas, fromWeights]) {
        for (let pass = 0; !s.done; pass++) {
          for (let o = 0; o < n; o += chunk) {
            const len = Math.min(chunk, n - o);
            const viaWeights = s === fromWeights && pass === 0 && s.scanBf16(raw.subarray(2 * o, 2 * (o + len)), base.subarray(o, o + len), len);
            if (viaWeights) taken++;
            else s.scan(deltas.subarray(o, o + len));
          }
          s.endPass();
        }
      }
      // Every chunk counted from the weights, the first one's start placing the window.
      expect(taken).toBe(Math.ceil(n / chunk));
      expect(fromWeights.boundary(rank)).toEqual(fromDeltas.boundary(rank));
    }
    arena.release();
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
