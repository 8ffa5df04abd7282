/**
 * Kernel calls shared with the helper thread give exactly what the same call
 * gives on one thread: each kernel on arrays large enough to be split, the
 * ordered top-k filter across piece boundaries included, many calls in a row
 * on two memories, and a helper that is gone; and the helper yields its core
 * to the hashing thread.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { compileMix } from "../methods/fused-mix";
import { decodeMinusInto } from "../safetensors";
import { SimdArena } from "./arena";
import type { KernelHelper } from "./helper";
import { setSimdKernels, simdHistHigh, simdKeepTop, simdMix, simdMixBf16, simdRankProbeBf16, simdRankProbesBf16 } from "./ops";

const N = 300_007; // several pieces, and a tail that is no multiple of 8
const helper = SimdArena.startHelper()!;
const shared = SimdArena.create(64 << 20, { helper })!;
const alone = SimdArena.create(64 << 20)!;
afterAll(() => helper.close());

function random(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) - 0.5) * scale;
  });
}

/** `values` copied into a fresh region of `arena`. */
function floatsIn(arena: SimdArena, values: Float32Array): Float32Array {
  const f = arena.floats(values.length)!;
  f.set(values);
  return f;
}

const bitsOf = (x: ArrayBufferView) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);

describe("kernel calls shared with a helper thread", () => {
  it("decode, decode-minus and encode give the bits of an unshared call", () => {
    const raw = new Uint8Array(random(N, 1).buffer.slice(0, N * 2));
    const results = [shared, alone].map((arena) => {
      const src = arena.bytes(raw.byteLength)!;
      src.set(raw);
      const minus = floatsIn(arena, random(N, 2));
      const decoded = arena.floats(N)!;
      const diff = arena.floats(N)!;
      const encoded = arena.bytes(N * 2)!;
      arena.decodeBf16(src, decoded, N);
      arena.decodeBf16Minus(src, minus, diff, N);
      arena.encodeBf16(diff, encoded, N);
      return [decoded, diff, encoded].map((v) => Buffer.from(bitsOf(v)));
    });
    results[0]!.forEach((bytes, i) => expect(bytes.equals(results[1]![i]!), ["decode", "decode-minus", "encode"][i]).toBe(true));
  });

  for (const consensus of [null, "sum", "count"] as const) {
    it(`mix with consensus ${consensus ?? "none"} gives the bits of the JavaScript reference, with and without key floors`, () => {
      const base = floatsIn(shared, random(N, 3));
      const deltas = [4, 5, 6].map((seed) => floatsIn(shared, random(N, seed)));
      const weights = Float64Array.of(0.5, -0.7, 1);
      // |x| above 0.25 for the first model, everything for the others
      const floorSets = [null, Int32Array.of(new Uint32Array(Float32Array.of(0.25).buffer)[0]!, -1, -1)];
      for (const floors of floorSets) {
        const out = shared.floats(N)!;
        expect(simdMix(consensus, out, base, deltas, weights, N, 0.9, true, floors)).toBe(true);
        const js = new Float32Array(N);
        setSimdKernels(false);
        try {
          compileMix(3, consensus)(js, Float32Array.from(base), deltas.map((d) => Float32Array.from(d)), weights, N, 0.9, true, floors);
        } finally {
          setSimdKernels(true);
        }
        expect(bitsOf(out).equals(bitsOf(js))).toBe(true);
        // The same models as BF16 weights (base + delta, rounded), the deltas computed in the kernel on both threads.
        const raw = deltas.map((d) => {
          const bytes = shared.bytes(2 * N)!;
          const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, N);
          new Uint32Array(Float32Array.from(d, (v, j) => v + base[j]!).buffer).forEach((bits, j) => (halves[j] = bits >>> 16));
          return bytes;
        });
        const fused = shared.floats(N)!;
        expect(simdMixBf16(consensus, fused, base, raw, weights, N, 0.9, true, floors)).toBe(true);
        const decoded = raw.map((bytes) => decodeMinusInto("BF16", bytes, base, new Float32Array(N)));
        const separate = new Float32Array(N);
        setSimdKernels(false);
        try {
          compileMix(3, consensus)(separate, Float32Array.from(base), decoded, weights, N, 0.9, true, floors);
        } finally {
          setSimdKernels(true);
        }
        expect(bitsOf(fused).equals(bitsOf(separate))).toBe(true);
      }
    });
  }

  it("histograms count every key once, whichever thread counted it", () => {
    const values = random(N, 7, 8);
    const bits = (arena: SimdArena) => {
      const f = floatsIn(arena, values);
      return new Uint32Array(f.buffer, f.byteOffset, N);
    };
    const count = (arena: SimdArena) => {
      const a = arena.borrow(65536 * 4)!;
      const b = arena.borrow(65536 * 4)!;
      const histA = new Uint32Array(a.buffer, a.byteOffset, 65536);
      const histB = new Uint32Array(b.buffer, b.byteOffset, 65536);
      expect(simdHistHigh(bits(arena), histA, histB, null)).toBe(true);
      return histA.map((c, i) => c + histB[i]!);
    };
    const split = count(shared);
    expect(split.reduce((x, y) => x + y, 0)).toBe(N);
    expect([...split]).toEqual([...count(alone)]);
  });

  it("rank probes count every element once, whichever thread counted it", () => {
    const counts = [shared, alone].map((arena) => {
      const base = floatsIn(arena, random(N, 20));
      const raw = [21, 22, 23].map((seed) => {
        const bytes = arena.bytes(2 * N)!;
        bytes.set(new Uint8Array(random(N, seed).buffer, 0, 2 * N));
        return bytes;
      });
      const keys = raw.map((w, i) => new Uint32Array(decodeMinusInto("BF16", w, base, new Float32Array(N)).buffer)[100 * i]! & 0x7fffffff);
      return [simdRankProbesBf16(raw, base, N, keys), raw.map((w, i) => simdRankProbeBf16(w, base, N, keys[i]!))];
    });
    expect(counts[0]![0]).toEqual(counts[0]![1]);
    expect(counts[0]).toEqual(counts[1]);
    // Each key is some element's: at least one element has it.
    for (const c of counts[0]![0]!) expect(c!.atLeast).toBeGreaterThan(c!.above);
  });

  it("the ordered top-k filter keeps the same boundary elements when they span pieces", () => {
    // Every 7th element sits exactly on the boundary key: 40 000+ ties, spread over every piece.
    const values = random(N, 8, 4);
    for (let i = 0; i < N; i += 7) values[i] = i % 2 ? 1.5 : -1.5;
    const key = new Uint32Array(Float32Array.of(1.5).buffer)[0]!;
    for (const [seen, quota] of [[0, 20_000], [5_000, 20_000], [0, 0], [30_000, 20_000], [0, 1_000_000]]) {
      const outs = [shared, alone].map((arena) => {
        const x = floatsIn(arena, values);
        const out = arena.floats(N)!;
        const after = simdKeepTop(x, out, key, seen!, quota!);
        return { after, bytes: Buffer.from(bitsOf(out)) };
      });
      expect(outs[0]!.after, `seen ${seen}, quota ${quota}`).toBe(outs[1]!.after);
      expect(outs[0]!.bytes.equals(outs[1]!.bytes), `seen ${seen}, quota ${quota}`).toBe(true);
    }
  });

  it("many calls in a row, alternating between two memories, all come out right", () => {
    const other = SimdArena.create(8 << 20, { helper })!;
    try {
      const raw = new Uint8Array(random(N, 9).buffer.slice(0, N * 2));
      const expected = alone.floats(N)!;
      const src0 = alone.bytes(raw.byteLength)!;
      src0.set(raw);
      alone.decodeBf16(src0, expected, N);
      const arenas = [shared, other];
      const places = arenas.map((arena) => {
        const src = arena.bytes(raw.byteLength)!;
        src.set(raw);
        return { src, out: arena.floats(N)! };
      });
      for (let call = 0; call < 200; call++) {
        const { src, out } = places[call % 2]!;
        out.fill(0);
        arenas[call % 2]!.decodeBf16(src, out, N);
        if (!bitsOf(out).equals(bitsOf(expected))) expect.fail(`call ${call} differs`);
      }
    } finally {
      other.release();
    }
  });

  it("a kernel that traps fails its call with an error, and later calls run on the calling thread", async () => {
    const own = SimdArena.startHelper()!;
    const arena = SimdArena.create(8 << 20, { helper: own })!;
    try {
      const out = arena.floats(N)!;
      // A source far outside the memory: every piece traps, on whichever thread runs it.
      expect(() => arena.split("bf16_decode", N - (N % 8), [{ ptr: 2 ** 31 - 16, stride: 2 }, { ptr: out.byteOffset, stride: 4 }, "count"])).toThrow(/out of bounds/);
      const src = arena.bytes(2 * N)!;
      src.fill(0x3f); // BF16 0x3f3f
      arena.decodeBf16(src, out, N);
      expect(out[N - 1]).toBe(new Float32Array(new Uint32Array([0x3f3f0000]).buffer)[0]);
    } finally {
      await own.close();
    }
  });

  it.runIf(existsSync("/proc/thread-self"))("runs below the other threads' priority, so hashing on its core comes first", async () => {
    const niceness = () =>
      readdirSync("/proc/self/task").map((tid) => {
        // Field 19 of stat is the niceness; the fields start after the command's closing parenthesis.
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
      });
    const before = niceness().filter((n) => n === 10).length;
    const own = SimdArena.startHelper()!;
    try {
      await expect.poll(() => niceness().filter((n) => n === 10).length, { timeout: 10_000 }).toBe(before + 1);
      expect(niceness()).toContain(0); // this thread keeps its priority
    } finally {
      await own.close();
    }
  });

  it("calls still complete, on the calling thread alone, once the helper is gone", async () => {
    const lone: KernelHelper = SimdArena.startHelper()!;
    const arena = SimdArena.create(8 << 20, { helper: lone })!;
    await lone.close();
    const x = floatsIn(arena, random(N, 10));
    const out = arena.floats(N)!;
    expect(simdMix(null, out, x, [x], Float64Array.of(1), N, 1, false)).toBe(true);
    expect(out[12345]).toBe(Math.fround(x[12345]! + x[12345]!));
  });
});
