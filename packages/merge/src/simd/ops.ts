/**
 * The arithmetic kernels of kernels.wat as typed functions over ordinary
 * arrays. Each returns null (or false) where WebAssembly SIMD is unavailable
 * or switched off, and the caller runs its JavaScript reference instead; the
 * two produce the same bits (ops.test.ts).
 *
 * Why: the per-element loops of a TIES merge (histograms, the top-k filter,
 * sign election and mixing) ran 3-15 ns per element in JavaScript, mostly on
 * unpredictable branches; as branch-free SIMD they are memory-bound.
 */
import type { ConsensusMethod } from "../methods/consensus";
import type { MixFn } from "../methods/fused-mix";
import { SimdArena, type KernelName } from "./arena";
import { unrolledMixName } from "./mix-unrolled";
import { unrolledProbeName } from "./probe-unrolled";

let enabled = true;

/** gta_mix's three float32 accumulators for a block of 512 elements. */
const MIX_ACC_BYTES = 3 * 512 * 4;
/** hist_window's rotating slots for elements outside the window. */
const WINDOW_SPARE_BYTES = 256;

/** Switches the SIMD kernels off (or back on), so tests can compare them with the JavaScript paths. */
export function setSimdKernels(on: boolean): void {
  enabled = on;
}

/** fused-mix.ts's MixFn for a consensus method (null = plain sum). Returns false when not run. */
export function simdMix(consensus: ConsensusMethod | null, ...[out, base, deltas, weights, n, scale, normalize, floors]: Parameters<MixFn>): boolean {
  const kernel = (unrolledMixName(deltas.length) as KernelName | null) ?? "gta_mix";
  return runMix(kernel, consensus, out, base, deltas.map((d) => d.subarray(0, n)), weights, n, scale, normalize, floors);
}

/**
 * The same mix for models given as BF16 weights (`bf16Weights[i]`: the raw
 * bytes of n elements), their deltas computed against `base` inside the
 * kernel: the bits of decoding them minus the base, then `simdMix`. Returns
 * false when not run (no SIMD, or no such kernel for this model count).
 */
export function simdMixBf16(consensus: ConsensusMethod | null, out: Float32Array, base: Float32Array, bf16Weights: readonly Uint8Array[], ...rest: MixRest): boolean {
  const kernel = unrolledMixName(bf16Weights.length, true) as KernelName | null;
  if (!kernel) return false;
  return runMix(kernel, consensus, out, base, bf16Weights.map((w) => w.subarray(0, 2 * rest[1])), ...rest);
}

/** A MixFn's arguments after out, base and the deltas. */
type MixRest = [weights: Float64Array, n: number, scale: number, normalize: boolean, floors?: Int32Array | null];

/** Runs mix kernel `kernel` on the models' `inputs` (float32 deltas or BF16 weights, as the kernel reads them). */
function runMix(kernel: KernelName, consensus: ConsensusMethod | null, out: Float32Array, base: Float32Array, inputs: ArrayBufferView[], ...[weights, n, scale, normalize, floors]: MixRest): boolean {
  const m = inputs.length;
  if (!enabled || m === 0 || n === 0) return false;
  const ptrs = new Int32Array(m);
  const ran = SimdArena.call(
    [
      { view: out.subarray(0, n), output: true },
      { view: base.subarray(0, n) },
      { view: ptrs },
      { view: Float32Array.from(weights) },
      // accumulators for this thread and for the helper thread
      { scratchBytes: MIX_ACC_BYTES },
      { scratchBytes: MIX_ACC_BYTES },
      // no floors: an empty table, passed as 0
      { view: floors ?? new Int32Array(0) },
      ...inputs.map((view) => ({ view })),
    ],
    (_k, p, heap, arena) => {
      // The pointer table can only be written once the inputs' places are known.
      new Int32Array(heap, p[2]!, m).set(p.slice(7));
      const mode = consensus === null ? 0 : consensus === "sum" ? 1 : 2;
      arena.split(kernel, n, [
        ...[p[0]!, p[1]!, p[2]!, p[3]!, m].map((value) => ({ value })),
        "start",
        "end",
        ...[Math.fround(scale), mode, normalize ? 1 : 0].map((value) => ({ value })),
        { perThread: [p[4]!, p[5]!] },
        { value: floors ? p[6]! : 0 },
      ]);
      return true;
    },
  );
  return ran === true;
}

/** The sum of `counts` (which must not exceed 2^32 - 1); null when not run. */
export function simdSumU32(counts: Uint32Array): number | null {
  if (!enabled) return null;
  return SimdArena.call([{ view: counts }], (k, [c]) => k.sum_u32(c!, counts.length) >>> 0);
}

/** How many float32 bit patterns of `bits` have magnitude key `key`; null when not run. */
export function simdCountKey(bits: Uint32Array, key: number): number | null {
  if (!enabled) return null;
  return SimdArena.call([{ view: bits }], (_k, [b], _heap, arena) =>
    arena.split("count_key", bits.length, [{ ptr: b!, stride: 4 }, "count", { value: key }]).results.reduce((a, c) => a + c, 0),
  );
}

/** How many of the deltas `bf16Weights` (n BF16 values) minus `base` have magnitude key `key`; null when not run. */
export function simdCountKeyBf16(bf16Weights: Uint8Array, base: Float32Array, n: number, key: number): number | null {
  if (!enabled) return null;
  return SimdArena.call([{ view: bf16Weights.subarray(0, 2 * n) }, { view: base.subarray(0, n) }], (_k, [w, b], _heap, arena) =>
    arena.split("count_key_bf16", n, [{ ptr: w!, stride: 2 }, { ptr: b!, stride: 4 }, "count", { value: key }]).results.reduce((a, c) => a + c, 0),
  );
}

/** The index of the k-th (from 1) element of `bits` with magnitude key `key` (-1: fewer); null when not run. */
export function simdNthKey(bits: Uint32Array, key: number, k: number): number | null {
  if (!enabled) return null;
  return SimdArena.call([{ view: bits }], (kernels, [b]) => kernels.nth_key(b!, bits.length, key, k));
}

/** `simdNthKey` over the deltas of `bf16Weights` (n BF16 values) minus `base`. */
export function simdNthKeyBf16(bf16Weights: Uint8Array, base: Float32Array, n: number, key: number, k: number): number | null {
  if (!enabled) return null;
  return SimdArena.call([{ view: bf16Weights.subarray(0, 2 * n) }, { view: base.subarray(0, n) }], (kernels, [w, b]) => kernels.nth_key_bf16(w!, b!, n, key, k));
}

/** A rank probe's counts: how many magnitude keys are above the probed key, and how many are at least it. */
export interface RankProbe {
  above: number;
  atLeast: number;
}

/** The rank probe of `bits` (float32 bit patterns) at magnitude key `key`; null when not run. */
export function simdRankProbe(bits: Uint32Array, key: number): RankProbe | null {
  if (!enabled) return null;
  // Counts for this thread at [0, 1], for the helper at [2, 3].
  const acc = new Uint32Array(4);
  const ran = SimdArena.call([{ view: bits }, { view: acc, output: true }], (_k, [b, at], _heap, arena) => {
    arena.split("rank_probe", bits.length, [{ ptr: b!, stride: 4 }, "count", { value: key }, { perThread: [at!, at! + 8] }]);
    return true;
  });
  return ran ? { above: acc[0]! + acc[2]!, atLeast: acc[1]! + acc[3]! } : null;
}

/** `simdRankProbe` over the deltas of `bf16Weights` (n BF16 values) minus `base`. */
export function simdRankProbeBf16(bf16Weights: Uint8Array, base: Float32Array, n: number, key: number): RankProbe | null {
  return simdRankProbesBf16([bf16Weights], base, n, [key])?.[0] ?? null;
}

/**
 * `simdRankProbeBf16` for several models over the same chunk, each with its
 * own key, in one call that reads the base once. Null when not run (no SIMD,
 * or no such kernel for this model count).
 */
export function simdRankProbesBf16(bf16Weights: readonly Uint8Array[], base: Float32Array, n: number, keys: readonly number[]): RankProbe[] | null {
  const m = bf16Weights.length;
  const kernel = unrolledProbeName(m) as KernelName | null;
  if (!enabled || !kernel || n === 0) return null;
  const ptrs = new Int32Array(m);
  // Counts for this thread at [0, 2m), for the helper at [2m, 4m).
  const acc = new Uint32Array(4 * m);
  const ran = SimdArena.call(
    [{ view: base.subarray(0, n) }, { view: ptrs }, { view: Int32Array.from(keys) }, { view: acc, output: true }, ...bf16Weights.map((w) => ({ view: w.subarray(0, 2 * n) }))],
    (_k, p, heap, arena) => {
      new Int32Array(heap, p[1]!, m).set(p.slice(4));
      arena.split(kernel, n, [{ value: p[1]! }, { value: p[2]! }, { value: p[0]! }, "start", "end", { perThread: [p[3]!, p[3]! + 8 * m] }]);
      return true;
    },
  );
  if (!ran) return null;
  return Array.from({ length: m }, (_, i) => ({ above: acc[2 * i]! + acc[2 * m + 2 * i]!, atLeast: acc[2 * i + 1]! + acc[2 * m + 2 * i + 1]! }));
}

/** A run of high bins [lo, lo + bins) whose keys are counted at full resolution. */
export interface WindowBins {
  lo: number;
  bins: number;
}

/** A window with its own histogram: hist[key - (lo << 16)]++ (hist: bins * 65536). */
export interface KeyWindow extends WindowBins {
  hist: Uint32Array;
}

/**
 * Magnitude histogram of `bits` (float32 bit patterns) with a window at full
 * resolution: even elements count into histA, odd ones into histB, each laid
 * out as 65536 high-bit bins followed by `bins * 65536` bins for the keys
 * whose high bits are in [lo, lo + bins). A key counts in exactly one place:
 * hist[65536 + key - (lo << 16)] inside the window, hist[key >>> 16] outside.
 */
export function simdHistHigh(bits: Uint32Array, histA: Uint32Array, histB: Uint32Array, window: WindowBins | null): boolean {
  if (!enabled) return false;
  return (
    SimdArena.call([{ view: bits }, { view: histA, output: true }, { view: histB, output: true }], (_k, [b, a, h], _heap, arena) => {
      // Split between two threads, each counts into a table of its own.
      const tables = { perThread: [a!, h!] as const };
      arena.split("hist_high", bits.length, [{ ptr: b!, stride: 4 }, "count", tables, { ...tables, alone: h! }, { value: window?.lo ?? 0 }, { value: window?.bins ?? 0 }]);
      return true;
    }) === true
  );
}

/** `simdHistHigh` over the deltas of `bf16Weights` (n BF16 values) minus `base`, computed in the kernel. */
export function simdHistHighBf16(bf16Weights: Uint8Array, base: Float32Array, n: number, histA: Uint32Array, histB: Uint32Array, window: WindowBins | null): boolean {
  if (!enabled) return false;
  return (
    SimdArena.call([{ view: bf16Weights.subarray(0, 2 * n) }, { view: base.subarray(0, n) }, { view: histA, output: true }, { view: histB, output: true }], (_k, [w, b, a, h], _heap, arena) => {
      const tables = { perThread: [a!, h!] as const };
      arena.split("hist_high_bf16", n, [{ ptr: w!, stride: 2 }, { ptr: b!, stride: 4 }, "count", tables, { ...tables, alone: h! }, { value: window?.lo ?? 0 }, { value: window?.bins ?? 0 }]);
      return true;
    }) === true
  );
}

/** The keys of `bits` inside `window`, counted into its histogram. */
export function simdHistWindow(bits: Uint32Array, window: KeyWindow): boolean {
  if (!enabled) return false;
  return (
    SimdArena.call([{ view: bits }, { view: window.hist, output: true }, { scratchBytes: WINDOW_SPARE_BYTES }], (k, [b, h, spare]) => (
      k.hist_window(b!, bits.length, window.lo, window.bins, h!, spare!), true
    )) === true
  );
}

/**
 * out = x where key > `key`, or key == `key` for the first `quota - seen`
 * such elements; else +0. Returns the updated `seen`, or null when not run.
 */
export function simdKeepTop(x: Float32Array, out: Float32Array, key: number, seen: number, quota: number): number | null {
  if (!enabled) return null;
  return SimdArena.call([{ view: x }, { view: out.subarray(0, x.length), output: true }], (k, [s, o], _heap, arena) => {
    // Pieces run at once, each as if no boundary elements came before it
    // (so each keeps up to `allowed` of its own); a piece that kept more
    // than were still due is run again, knowing how many came before.
    const allowed = Math.max(0, quota - seen);
    const { results, pieceElements } = arena.split("keep_top", x.length, [{ ptr: s!, stride: 4 }, { ptr: o!, stride: 4 }, "count", { value: key }, { value: 0 }, { value: allowed }]);
    let before = 0;
    results.forEach((count, p) => {
      const due = Math.min(count, Math.max(0, allowed - before));
      if (Math.min(count, allowed) !== due) {
        const start = p * pieceElements;
        k.keep_top(s! + 4 * start, o! + 4 * start, Math.min(pieceElements, x.length - start), key, before, allowed);
      }
      before += count;
    });
    return seen + before;
  });
}
