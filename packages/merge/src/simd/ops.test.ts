import { afterEach, describe, expect, it } from "vitest";
import { compileMix } from "../methods/fused-mix";
import { floatBits, keepRankRange } from "../methods/select";
import { decodeMinusInto } from "../safetensors";
import { SimdArena } from "./arena";
import {
  setSimdKernels,
  simdCountKey,
  simdCountKeyBf16,
  simdHistHigh,
  simdHistHighBf16,
  simdHistWindow,
  simdKeepTop,
  simdMix,
  simdMixBf16,
  simdNthKey,
  simdNthKeyBf16,
  simdRankProbe,
  simdRankProbeBf16,
  simdRankProbesBf16,
} from "./ops";

/** Float32 values that exercise every branch: zeros of both signs, NaN, infinities, ties, denormals. */
function awkward(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  const specials = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 0.5, -0.5, 3.4e38];
  for (let i = 0; i < n; i++) {
    const r = next();
    x[i] = r % 17 === 0 ? specials[r % specials.length]! : ((r / 2 ** 32) - 0.5) * 2 ** ((r % 13) - 6);
  }
  return x;
}

const bitsOf = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);

afterEach(() => setSimdKernels(true));

describe("SIMD kernels match their JavaScript references bit for bit", () => {
  for (const consensus of [null, "sum", "count"] as const) {
    for (const m of [1, 2, 3, 4, 5]) {
      it(`mix: ${m} model(s), consensus ${consensus ?? "none"}, odd length`, () => {
        const n = 10_001;
        const base = awkward(n, 1);
        const deltas = Array.from({ length: m }, (_, i) => awkward(n, 10 + i));
        const weights = Float64Array.from({ length: m }, (_, i) => [0.3, -1.7, 1, 0.1, 2.5][i]!);
        // Weights that are float32 values take the kernel's float32-multiply path.
        const exactWeights = Float64Array.from(weights, (w) => Math.fround(w));
        for (const w of [weights, exactWeights]) {
          for (const normalize of [false, true]) {
            const simd = new Float32Array(n);
            expect(simdMix(consensus, simd, base, deltas, w, n, 0.9, normalize)).toBe(true);
            setSimdKernels(false);
            const js = new Float32Array(n);
            compileMix(m, consensus)(js, base, deltas, w, n, 0.9, normalize);
            setSimdKernels(true);
            expect(bitsOf(simd).equals(bitsOf(js))).toBe(true);
          }
        }
      });
    }
  }

  for (const consensus of [null, "sum", "count"] as const) {
    it(`mix with key floors (a top-k filter in the same pass), consensus ${consensus ?? "none"}`, () => {
      const n = 10_001;
      const base = awkward(n, 2);
      const deltas = Array.from({ length: 3 }, (_, i) => awkward(n, 20 + i));
      const weights = Float64Array.of(0.5, -1.25, 2);
      // A median key, no filter, and a floor that drops everything but NaNs.
      const floors = Int32Array.of(floatBits(new Float32Array([0.01]))[0]!, -1, 0x7f800000);
      const simd = new Float32Array(n);
      expect(simdMix(consensus, simd, base, deltas, weights, n, 0.9, true, floors)).toBe(true);
      setSimdKernels(false);
      const js = new Float32Array(n);
      compileMix(3, consensus)(js, base, deltas, weights, n, 0.9, true, floors);
      // The same as filtering each delta first and mixing without floors.
      const filtered = deltas.map((d, i) => d.map((v, j) => ((floatBits(d)[j]! & 0x7fffffff) > floors[i]! ? v : 0)));
      const reference = new Float32Array(n);
      compileMix(3, consensus)(reference, base, filtered, weights, n, 0.9, true);
      setSimdKernels(true);
      expect(bitsOf(simd).equals(bitsOf(js))).toBe(true);
      expect(bitsOf(js).equals(bitsOf(reference))).toBe(true);
    });
  }

  for (const consensus of [null, "sum", "count"] as const) {
    it(`mix of BF16 weights (the delta computed in the kernel) gives the bits of decoding them minus the base, then mixing; consensus ${consensus ?? "none"}`, () => {
      const n = 10_001;
      const base = awkward(n, 3);
      for (const m of [1, 2, 3, 4]) {
        // BF16 weights: the high halves of awkward float32 values (NaN, infinities, subnormals among them).
        const raw = Array.from({ length: m }, (_, i) => {
          const halves = new Uint16Array(n);
          floatBits(awkward(n, 30 + i)).forEach((b, j) => (halves[j] = b >>> 16));
          return new Uint8Array(halves.buffer);
        });
        const deltas = raw.map((bytes) => decodeMinusInto("BF16", bytes, base, new Float32Array(n)));
        const weights = Float64Array.from({ length: m }, (_, i) => [0.3, -1.7, 1, 0.1][i]!);
        for (const floors of [null, Int32Array.from({ length: m }, (_, i) => (i === 0 ? floatBits(new Float32Array([0.01]))[0]! : -1))]) {
          const fused = new Float32Array(n);
          expect(simdMixBf16(consensus, fused, base, raw, weights, n, 0.9, true, floors)).toBe(true);
          const separate = new Float32Array(n);
          expect(simdMix(consensus, separate, base, deltas, weights, n, 0.9, true, floors)).toBe(true);
          expect(bitsOf(fused).equals(bitsOf(separate))).toBe(true);
        }
      }
      // Five models have no unrolled kernel: not run, the caller decodes.
      expect(simdMixBf16(consensus, new Float32Array(n), base, Array.from({ length: 5 }, () => new Uint8Array(2 * n)), new Float64Array(5), n, 1, true)).toBe(false);
    });
  }

  it("count_key counts one magnitude key, both signs, odd lengths", () => {
    const x = Float32Array.from({ length: 1003 }, (_, i) => (i % 7 === 0 ? (i % 2 ? -0.25 : 0.25) : i / 1000));
    const key = floatBits(Float32Array.of(0.25))[0]!;
    const expected = floatBits(x).filter((b) => (b & 0x7fffffff) === key).length;
    expect(expected).toBeGreaterThan(100);
    expect(simdCountKey(floatBits(x), key)).toBe(expected);
  });

  it("count_key over BF16 weights minus a base counts the key of each decoded delta, odd lengths", () => {
    const n = 1003;
    const base = Float32Array.from({ length: n }, (_, i) => (i % 3) * 0.5);
    // weights base ± 0.25 every seventh element (the base's values and 0.25 are BF16 values), else base + i/1000 rounded
    const weights = Float32Array.from(base, (b, i) => (i % 7 === 0 ? b + (i % 2 ? -0.25 : 0.25) : b + i / 1000));
    const halves = Uint16Array.from(floatBits(weights), (bits) => bits >>> 16);
    const raw = new Uint8Array(halves.buffer);
    const deltas = decodeMinusInto("BF16", raw, base, new Float32Array(n));
    const key = floatBits(Float32Array.of(0.25))[0]!;
    const expected = floatBits(deltas).filter((b) => (b & 0x7fffffff) === key).length;
    expect(expected).toBeGreaterThan(100);
    expect(simdCountKeyBf16(raw, base, n, key)).toBe(expected);
    // ... and finds the k-th of them where the decoded deltas have it.
    for (const k of [1, 2, expected - 1, expected, expected + 1]) {
      expect(simdNthKeyBf16(raw, base, n, key, k)).toBe(simdNthKey(floatBits(deltas), key, k));
    }
    expect(simdNthKey(floatBits(deltas), key, expected)).toBe(floatBits(deltas).findLastIndex((b) => (b & 0x7fffffff) === key));
  });

  it("rank probes count the keys above a key and at least it: floats, BF16 weights minus a base, and several models in one call", () => {
    const n = 10_003;
    const base = awkward(n, 8);
    const raw = Array.from({ length: 4 }, (_, i) => new Uint8Array(Uint16Array.from(floatBits(awkward(n, 40 + i)), (b) => b >>> 16).buffer));
    const deltas = raw.map((bytes) => decodeMinusInto("BF16", bytes, base, new Float32Array(n)));
    const expected = (d: Float32Array, key: number) => {
      const keys = Array.from(floatBits(d), (b) => b & 0x7fffffff);
      return { above: keys.filter((k) => k > key).length, atLeast: keys.filter((k) => k >= key).length };
    };
    // A key that many deltas share, zero, infinity, and the largest NaN.
    const keysOf = (d: Float32Array) => [floatBits(d)[777]! & 0x7fffffff, 0, 0x7f800000, 0x7fffffff];
    deltas.forEach((d, i) => {
      for (const key of keysOf(d)) {
        expect(simdRankProbe(floatBits(d), key)).toEqual(expected(d, key));
        expect(simdRankProbeBf16(raw[i]!, base, n, key)).toEqual(expected(d, key));
      }
    });
    const middle = expected(deltas[0]!, keysOf(deltas[0]!)[0]!);
    expect(middle.above).toBeGreaterThan(0);
    expect(middle.atLeast).toBeLessThan(n);
    for (const m of [1, 2, 3, 4]) {
      for (let k = 0; k < 4; k++) {
        const keys = deltas.slice(0, m).map((d, i) => keysOf(d)[(k + i) % 4]!);
        expect(simdRankProbesBf16(raw.slice(0, m), base, n, keys)).toEqual(keys.map((key, i) => expected(deltas[i]!, key)));
      }
    }
    // Five models have no fused kernel: not run, each is probed alone.
    expect(simdRankProbesBf16(Array.from({ length: 5 }, () => raw[0]!), base, n, [0, 0, 0, 0, 0])).toBeNull();
  });

  it("mix writes nothing past n, in place in an arena and through staging", () => {
    const arena = SimdArena.create(1 << 20)!;
    const n = 7;
    const out = arena.floats(n + 1)!;
    out.fill(42);
    const base = arena.floats(n)!;
    base.set([1, 2, 3, 4, 5, 6, 7]);
    const d = arena.floats(n)!;
    d.fill(1);
    expect(simdMix(null, out, base, [d], Float64Array.of(2), n, 1, false)).toBe(true);
    expect([...out]).toEqual([3, 4, 5, 6, 7, 8, 9, 42]);
    const plainOut = new Float32Array(n + 1).fill(42);
    expect(simdMix(null, plainOut, Float32Array.from(base), [new Float32Array(n).fill(1)], Float64Array.of(2), n, 1, false)).toBe(true);
    expect([...plainOut]).toEqual([3, 4, 5, 6, 7, 8, 9, 42]);
  });

  it("magnitude histograms count like the JavaScript selector", () => {
    const x = awkward(100_003, 3);
    const bits = new Uint32Array(x.buffer);
    const key = (b: number) => b & 0x7fffffff;
    const same = (a: Uint32Array, b: Uint32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

    // Two tables (even and odd elements) of high bits, with a window of 3 bins at full resolution.
    const lo = (key(bits[12_345]!) >>> 16) - 1;
    const size = 4 * 65536;
    const [a, b] = [new Uint32Array(size), new Uint32Array(size)];
    expect(simdHistHigh(bits, a, b, { lo, bins: 3 })).toBe(true);
    const [ea, eb, ewin] = [new Uint32Array(size), new Uint32Array(size), new Uint32Array(3 * 65536)];
    bits.forEach((v, i) => {
      const d = key(v) - lo * 65536;
      (i % 2 === 0 ? ea : eb)[d >= 0 && d < 3 * 65536 ? 65536 + d : key(v) >>> 16]++;
      if (d >= 0 && d < 3 * 65536) ewin[d]++;
    });
    expect(same(a, ea) && same(b, eb)).toBe(true);
    expect(ewin.reduce((s, c) => s + c, 0)).toBeGreaterThan(0);

    // Without a window, every key counts in the high bins.
    const [a2, b2] = [new Uint32Array(65536), new Uint32Array(65536)];
    expect(simdHistHigh(bits, a2, b2, null)).toBe(true);
    const [ea2, eb2] = [new Uint32Array(65536), new Uint32Array(65536)];
    bits.forEach((v, i) => (i % 2 === 0 ? ea2 : eb2)[key(v) >>> 16]++);
    expect(same(a2, ea2) && same(b2, eb2)).toBe(true);

    // The window alone, branch-free: the same counts.
    const win2 = new Uint32Array(3 * 65536);
    expect(simdHistWindow(bits, { lo, bins: 3, hist: win2 })).toBe(true);
    expect(same(win2, ewin)).toBe(true);
  });

  it("magnitude histograms of BF16 weights minus a base count like those of the decoded deltas", () => {
    const n = 100_003;
    const base = awkward(n, 5);
    const halves = Uint16Array.from(floatBits(awkward(n, 6)), (bits) => bits >>> 16);
    const raw = new Uint8Array(halves.buffer);
    const bits = floatBits(decodeMinusInto("BF16", raw, base, new Float32Array(n)));
    const key = (b: number) => b & 0x7fffffff;
    for (const window of [null, { lo: (key(bits[777]!) >>> 16) - 1, bins: 3 }]) {
      const size = (1 + (window?.bins ?? 0)) * 65536;
      const tables = () => [new Uint32Array(size), new Uint32Array(size)] as const;
      const [a, b] = tables();
      const [ea, eb] = tables();
      expect(simdHistHighBf16(raw, base, n, a, b, window)).toBe(true);
      expect(simdHistHigh(bits, ea, eb, window)).toBe(true);
      expect(Buffer.from(a.buffer).equals(Buffer.from(ea.buffer)) && Buffer.from(b.buffer).equals(Buffer.from(eb.buffer))).toBe(true);
    }
  });

  it("top-k keeps the boundary key's first elements in index order, across calls", () => {
    const x = Float32Array.from({ length: 23 }, (_, i) => (i % 3 === 0 ? -2 : i % 3 === 1 ? 2 : 1));
    const key = new Uint32Array(Float32Array.of(2).buffer)[0]!;
    const out = new Float32Array(23);
    // 16 elements have |x| = 2; keep the first 9 of them, over two calls.
    const seen = simdKeepTop(x.subarray(0, 10), out.subarray(0, 10), key, 0, 9)!;
    expect(seen).toBe(7);
    expect(simdKeepTop(x.subarray(10), out.subarray(10), key, seen, 9)).toBe(16);
    const kept = [...out].map((v, i) => (v !== 0 ? i : -1)).filter((i) => i >= 0);
    expect(kept).toEqual([0, 1, 3, 4, 6, 7, 9, 10, 12]);
  });

  it("selection and filtering give the same result with and without SIMD", () => {
    const x = awkward(50_001, 7);
    for (const [lo, hi] of [[0, 10_000], [500, 20_000], [0, 50_001], [49_000, 50_001]] as const) {
      const simd = keepRankRange(x, lo, hi);
      setSimdKernels(false);
      const js = keepRankRange(x, lo, hi);
      setSimdKernels(true);
      expect(bitsOf(simd).equals(bitsOf(js))).toBe(true);
      expect(simd.filter((v) => v !== 0 || Object.is(v, -0)).length).toBeLessThanOrEqual(hi - lo);
    }
  });
});
