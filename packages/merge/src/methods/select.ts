/**
 * Magnitude ranking primitives for the sparsifiers.
 *
 * Why it exists: TIES and breadcrumbs keep a rank range of |delta| and DELLA
 * needs exact per-row ranks, on tensors of tens of millions of elements that
 * the engine streams in chunks. mergekit argsorts the whole tensor; we avoid
 * comparison sorts and whole-tensor copies:
 *
 *  - `RankSelector`: finds the magnitude at given descending ranks with two
 *    streaming histogram passes over the IEEE-754 bits (high 16 bits, then the
 *    low 16 bits inside the selected bins) — O(n), no copy — and, optionally,
 *    the L1/L2 mass above each boundary, so a norm rescale needs no extra pass.
 *    For a single rank it usually needs one pass: the start of the first
 *    chunk suggests where the boundary lies, and the first pass either
 *    checks that key with two counts (a probe) or also counts the low bits
 *    of a window of bins around it;
 *  - `RankRangeFilter`: applies "keep descending ranks [lo, hi)" chunk by chunk;
 *  - `argsortAscending`: a stable LSD radix sort (3 passes of 11 bits) on
 *    uint32 keys, used per row by DELLA.
 *
 * Magnitude key: for a float32 x, `bits(x) & 0x7fffffff` is an unsigned
 * integer that orders exactly like |x| (+0 and -0 tie; NaN sorts above
 * +Infinity, i.e. counts as the largest magnitude).
 *
 * Total order used everywhere ("descending rank"): larger magnitude first;
 * among equal magnitudes the LOWER index ranks first (is treated as larger).
 * torch's argsort leaves ties unspecified; this makes ours deterministic.
 */

import { SimdArena } from "../simd/arena";
import {
  type KeyWindow,
  type RankProbe,
  simdCountKey,
  simdCountKeyBf16,
  simdHistHigh,
  simdHistHighBf16,
  simdHistWindow,
  simdKeepTop,
  simdNthKey,
  simdRankProbe,
  simdRankProbeBf16,
  simdSumU32,
  type WindowBins,
} from "../simd/ops";

const ABS_MASK = 0x7fffffff;
const BINS = 65536;
/**
 * High bins (each 1/128 of an octave) counted at full resolution in the first
 * pass, around the boundary the first chunk suggests: wide enough for the
 * drift of a tensor's magnitudes between its first chunk and the whole.
 */
const WINDOW_BINS = 4;
/** Elements at the start of a tensor that suggest its boundary (they are counted again in the first pass). */
const SAMPLE = 1 << 16;
/** Memory a selector borrows from the data's arena at most: two tables of high bits and a window. */
export const SELECTOR_TABLE_BYTES = 2 * (1 + WINDOW_BINS) * BINS * 4;

/** The float32 bit patterns of `x`, as a zero-copy view. */
export function floatBits(x: Float32Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length);
}

/** How many elements of `x` have magnitude key `key`. */
export function countKeyIn(x: Float32Array, key: number): number {
  const bits = floatBits(x);
  const simd = simdCountKey(bits, key);
  if (simd !== null) return simd;
  let count = 0;
  for (let i = 0; i < bits.length; i++) if ((bits[i]! & ABS_MASK) === key) count++;
  return count;
}

/** The index of the k-th (from 1) element of `x` with magnitude key `key`; -1 when there are fewer. */
export function nthKeyIn(x: Float32Array, key: number, k: number): number {
  const bits = floatBits(x);
  const simd = simdNthKey(bits, key, k);
  if (simd !== null) return simd;
  for (let i = 0, seen = 0; i < bits.length; i++) if ((bits[i]! & ABS_MASK) === key && ++seen >= k) return i;
  return -1;
}

/** Magnitude key of one float32 bit pattern. */
export function magnitudeKey(bits: number): number {
  return bits & ABS_MASK;
}

const keyScratch = new Uint32Array(1);
const keyScratchF = new Float32Array(keyScratch.buffer);
/** |x| for a magnitude key. */
export function keyToMagnitude(key: number): number {
  keyScratch[0] = key;
  return keyScratchF[0];
}

export interface RankBoundary {
  /** Magnitude key of the element at the requested descending rank. */
  key: number;
  /** How many elements have a strictly larger key. */
  greater: number;
  /** Sum of |x| over the elements with a strictly larger key (when tracked). */
  absAbove: number;
  /** Sum of x^2 over the elements with a strictly larger key (when tracked). */
  sqAbove: number;
}

interface Target {
  rank: number;
  hiBin: number;
  /** elements in higher high-bins */
  countAbove: number;
  absAbove: number;
  sqAbove: number;
}

interface LowBin {
  hist: Uint32Array;
  abs: Float64Array | null;
  sq: Float64Array | null;
}

/**
 * Where a selector's counts accumulate while chunks stream by: beside the
 * data in the arena that holds it, so the SIMD kernels update them in place
 * (no copies in and out per chunk), or in ordinary memory. Two tables (the
 * kernel's even and odd elements), each 65536 high-bit bins and room for a
 * window of bins at full resolution; a key counts in one place only, in the
 * window when its high bin is there (see `simdHistHigh`).
 */
class CountTables {
  window: WindowBins | null = null;

  private constructor(
    readonly arena: SimdArena | null,
    readonly a: Uint32Array,
    readonly b: Uint32Array,
  ) {}

  /** Tables with room for a window of `windowBins`. */
  static in(arena: SimdArena | null, windowBins: number): CountTables {
    const length = (1 + windowBins) * BINS;
    return new CountTables(arena, table(arena, length), table(arena, length));
  }

  count(bits: Uint32Array): void {
    const { a, window } = this;
    if (simdHistHigh(bits, a, this.b, window)) return;
    const base = window ? window.lo * BINS : 0;
    const span = window ? window.bins * BINS : 0;
    for (let i = 0; i < bits.length; i++) {
      const k = bits[i]! & ABS_MASK;
      const d = k - base;
      a[d >= 0 && d < span ? BINS + d : k >>> 16]++;
    }
  }

  /** `count` over the deltas of BF16 weights minus `base`, computed by the SIMD kernel; false when it did not run. */
  countBf16(bf16Weights: Uint8Array, base: Float32Array, n: number): boolean {
    return simdHistHighBf16(bf16Weights, base, n, this.a, this.b, this.window);
  }

  /** Adds the high-bit counts (window bins included) to `high`. */
  addHighTo(high: Uint32Array): void {
    const { a, b, window } = this;
    for (let i = 0; i < BINS; i++) high[i] += a[i]! + b[i]!;
    if (!window) return;
    for (let w = 0; w < window.bins; w++) {
      const bin = (t: Uint32Array) => t.subarray((1 + w) * BINS, (2 + w) * BINS);
      high[window.lo + w] += sumCounts(bin(a)) + sumCounts(bin(b));
    }
  }

  /** The high bin holding descending rank `rank` of the counts (outside any window), with the counts above it and in it. */
  binAtRank(rank: number): { bin: number; above: number; inBin: number } {
    let above = 0;
    // Keys are at most 0x7fffffff: high bins stop at 0x7fff.
    for (let b = 0x7fff; b >= 0; b--) {
      const inBin = this.a[b]! + this.b[b]!;
      if (above + inBin > rank) return { bin: b, above, inBin };
      above += inBin;
    }
    return { bin: 0, above, inBin: 0 };
  }

  /** Adds the low-bit counts of window bin `w` (0-based) to `into`. */
  addWindowBinTo(w: number, into: Uint32Array): void {
    const from = (1 + w) * BINS;
    for (let i = 0; i < BINS; i++) into[i] += this.a[from + i]! + this.b[from + i]!;
  }

  /** Gives borrowed memory back to the arena; the tables must not be used again. */
  release(): void {
    this.arena?.giveBack(this.a);
    this.arena?.giveBack(this.b);
  }
}

/** The sum of a table of counts. */
function sumCounts(counts: Uint32Array): number {
  const simd = simdSumU32(counts);
  if (simd !== null) return simd;
  let sum = 0;
  for (let i = 0; i < counts.length; i++) sum += counts[i]!;
  return sum;
}

/** A zeroed uint32 table, borrowed from `arena` when it has room. */
function table(arena: SimdArena | null, length: number): Uint32Array {
  const region = arena?.borrow(length * 4);
  return region ? new Uint32Array(region.buffer, region.byteOffset, length) : new Uint32Array(length);
}

/** The keys of `bits` inside `window`, counted into its histogram. */
function countWindow(bits: Uint32Array, window: KeyWindow): void {
  if (simdHistWindow(bits, window)) return;
  const base = window.lo * BINS;
  const span = window.bins * BINS;
  for (let i = 0; i < bits.length; i++) {
    const d = (bits[i]! & ABS_MASK) - base;
    if (d >= 0 && d < span) window.hist[d]++;
  }
}

type Phase = "probe" | "high" | "low";

/**
 * Streaming selection of the keys at several descending ranks, in passes
 * over the chunks: each chunk in order to `scan` (or `scanBf16`), then
 * `endPass`, until `done`; then `boundary(rank)` answers. A pass is one of:
 *
 *  - probe: the key the start of the first chunk suggests is checked with two
 *    counts (keys above it, keys at least it) instead of a histogram. Chosen
 *    when that key alone clearly holds the rank in the sample: deltas between
 *    BF16 checkpoints take few distinct values, so one key often holds
 *    percents of a tensor. A probe that misses is followed by high;
 *  - high: a histogram of the keys' high 16 bits and, with a single rank, a
 *    window of bins around the suggested boundary at full resolution: a
 *    boundary in the window is resolved there;
 *  - low: the low 16 bits of the keys in the bins of unresolved boundaries.
 *
 * The sample and the probe apply with a single rank, no norms and the element
 * count known up front. Sums are accumulated in element order, so results do
 * not depend on how the tensor was chunked.
 */
export class RankSelector {
  readonly ranks: readonly number[];
  private readonly track: boolean;
  private readonly hiHist = new Uint32Array(BINS);
  private readonly hiAbs: Float64Array | null;
  private readonly hiSq: Float64Array | null;
  private phase: Phase = "high";
  private passCount = 0;
  /** Elements seen in this pass. */
  private seen = 0;
  private targets: Target[] = [];
  private lowBins = new Map<number, LowBin>();
  private results = new Map<number, RankBoundary>();
  private tables: CountTables | null = null;
  /** The high pass's window of high bins counted at full resolution. */
  private window: WindowBins | null = null;
  /** Window counts of tables set aside when the data moved to another arena. */
  private windowSpill: Uint32Array | null = null;
  /** The probed key and its counts so far. */
  private probe: { key: number; above: number; atLeast: number } | null = null;
  /** Elements with the probed key, chunk by chunk. */
  private chunkTies: number[] = [];
  /** Where the sample put the window, for a high pass after a probe that missed. */
  private guessedLo = 0;
  private sampleTaken = false;
  /** Totals over the whole tensor (when tracked): sum |x|, sum x^2. */
  totalAbs = 0;
  totalSq = 0;

  /** `total`: the number of elements each pass will see, when known (enables the sample, the window and the probe). */
  constructor(
    ranks: readonly number[],
    trackNorms: boolean,
    private readonly total?: number,
  ) {
    this.ranks = [...new Set(ranks)];
    this.track = trackNorms;
    this.hiAbs = trackNorms ? new Float64Array(BINS) : null;
    this.hiSq = trackNorms ? new Float64Array(BINS) : null;
  }

  /** Whether every boundary is known (after an `endPass`). */
  get done(): boolean {
    return this.results.size === this.ranks.length;
  }

  /** Passes ended so far. */
  get passes(): number {
    return this.passCount;
  }

  /** Whether the pass under way is a probe. */
  get probing(): boolean {
    return this.phase === "probe";
  }

  private get sampled(): boolean {
    return this.ranks.length === 1 && !this.track && this.total !== undefined && this.total > 0;
  }

  /** Whether this chunk starts the first pass, where the sample is taken (once). */
  private startsSample(n: number): boolean {
    return !this.sampleTaken && this.passCount === 0 && this.seen === 0 && this.sampled && n > 0;
  }

  scan(x: Float32Array): void {
    const bits = floatBits(x);
    if (this.phase === "low") {
      this.seen += x.length;
      this.scanLow(x, bits);
      return;
    }
    if (this.track) {
      this.seen += x.length;
      this.scanTracked(x, bits);
      return;
    }
    if (this.startsSample(x.length)) {
      const head = bits.subarray(0, SAMPLE);
      this.sample(SimdArena.owning(x), head.length, (tables) => (tables.count(head), true), (key) => countKeyIn(x.subarray(0, head.length), key));
    }
    if (this.probe) this.addProbe(simdRankProbe(bits, this.probe.key) ?? rankProbeIn(bits, this.probe.key), x.length);
    else {
      this.seen += x.length;
      this.tablesFor(SimdArena.owning(x)).count(bits);
    }
  }

  /**
   * `scan` over a chunk given as BF16 weights and the base, its deltas
   * computed in the SIMD kernels instead of read from memory. False (nothing
   * counted) where that does not apply: norms tracked, a low pass, or no SIMD.
   */
  scanBf16(bf16Weights: Uint8Array, base: Float32Array, n: number): boolean {
    const arena = SimdArena.owning(base);
    if (this.track || !arena || this.phase === "low") return false;
    const key = this.probeKeyBf16(bf16Weights, base, n);
    if (key !== null) {
      const counts = simdRankProbeBf16(bf16Weights, base, n, key);
      if (!counts) return false;
      this.addProbe(counts, n);
      return true;
    }
    if (!this.tablesFor(arena).countBf16(bf16Weights, base, n)) return false;
    this.seen += n;
    return true;
  }

  /**
   * The key this pass probes, for a chunk given as BF16 weights and the base
   * (taking the sample from them when they start the first pass); null when
   * the pass is not a probe, or the sample could not be taken from them.
   * The caller may then run the probe itself (several models at once) and
   * hand the counts to `addProbe`.
   */
  probeKeyBf16(bf16Weights: Uint8Array, base: Float32Array, n: number): number | null {
    const arena = SimdArena.owning(base);
    if (this.track || !arena) return null;
    if (this.startsSample(n)) {
      const head = Math.min(n, SAMPLE);
      const [w, b] = [bf16Weights.subarray(0, 2 * head), base.subarray(0, head)];
      if (!this.sample(arena, head, (tables) => tables.countBf16(w, b, head), (key) => simdCountKeyBf16(w, b, head, key) ?? 0)) return null;
    }
    return this.probe ? this.probe.key : null;
  }

  /** A probe's counts over the next chunk, of n elements. */
  addProbe(counts: RankProbe, n: number): void {
    const probe = this.probe!;
    probe.above += counts.above;
    probe.atLeast += counts.atLeast;
    this.chunkTies.push(counts.atLeast - counts.above);
    this.seen += n;
  }

  /** When the boundary is the key a probe checked: how many elements each chunk (in scan order) has with that key. */
  get boundaryTies(): readonly number[] | null {
    // A probe that found the boundary is the selector's last pass.
    return this.phase === "probe" && this.done ? this.chunkTies : null;
  }

  /**
   * The start of the first chunk, `countHead` counting its high bits into
   * tables, suggests the boundary's bin. When the bin's lowest key, v = bin
   * << 16 (`countKey(v)`: how many of the sample have it), alone holds the
   * rank in the sample, with a margin of four standard deviations of a
   * sampled quantile, the pass becomes a probe of v. Otherwise the window is
   * placed around the bin. False when `countHead` did not run.
   */
  private sample(arena: SimdArena | null, headLength: number, countHead: (tables: CountTables) => boolean, countKey: (key: number) => number): boolean {
    const tables = CountTables.in(arena, 0);
    try {
      if (!countHead(tables)) return false;
      this.sampleTaken = true;
      const q = this.ranks[0]! / this.total!;
      const at = Math.floor(q * headLength);
      const { bin, above, inBin } = tables.binAtRank(at);
      this.guessedLo = Math.max(0, Math.min(0x8000 - WINDOW_BINS, bin - (WINDOW_BINS >> 1) + 1));
      const key = (bin << 16) >>> 0;
      // A sample that is the whole tensor is exact; else allow for a sampled quantile's spread.
      const margin = headLength >= this.total! ? 0 : 4 * Math.sqrt(headLength * q * (1 - q)) + 1;
      const lowest = above + inBin - countKey(key); // sample ranks of key v: [lowest, above + inBin)
      if (lowest + margin <= at && at + margin < above + inBin) {
        this.phase = "probe";
        this.probe = { key, above: 0, atLeast: 0 };
      } else this.window = { lo: this.guessedLo, bins: WINDOW_BINS };
      return true;
    } finally {
      tables.release();
    }
  }

  /** The tables counting beside `arena`'s data (those of another memory are drained first). */
  private tablesFor(arena: SimdArena | null): CountTables {
    if (this.tables && this.tables.arena !== arena) this.drainTables(); // the data moved: count beside it
    if (!this.tables) {
      this.tables = CountTables.in(arena, this.window ? this.window.bins : 0);
      this.tables.window = this.window;
    }
    return this.tables;
  }

  /** Adds the tables' counts to the totals and releases them. */
  private drainTables(): void {
    const t = this.tables;
    if (!t) return;
    t.addHighTo(this.hiHist);
    if (t.window) {
      const spill = (this.windowSpill ??= new Uint32Array(t.window.bins * BINS));
      for (let w = 0; w < t.window.bins; w++) t.addWindowBinTo(w, spill.subarray(w * BINS, (w + 1) * BINS));
    }
    t.release();
    this.tables = null;
  }

  /** The low-bit counts of high bin `bin` (inside the window) from the high pass. */
  private windowCounts(bin: number): Uint32Array {
    const w = bin - this.window!.lo;
    const counts = this.windowSpill ? this.windowSpill.slice(w * BINS, (w + 1) * BINS) : new Uint32Array(BINS);
    this.tables?.addWindowBinTo(w, counts);
    return counts;
  }

  private scanTracked(x: Float32Array, bits: Uint32Array): void {
    const hist = this.hiHist;
    const habs = this.hiAbs!;
    const hsq = this.hiSq!;
    for (let i = 0; i < bits.length; i++) {
      const b = (bits[i]! & ABS_MASK) >>> 16;
      const a = Math.abs(x[i]!);
      hist[b]++;
      habs[b] += a;
      hsq[b] += a * a;
    }
  }

  private scanLow(x: Float32Array, bits: Uint32Array): void {
    const single = this.lowBins.size === 1 ? [...this.lowBins.entries()][0]! : null;
    if (single && !single[1].abs) {
      // The usual case (one boundary, no norms): a tight loop without lookups.
      const [hiBin, { hist }] = single;
      countWindow(bits, { lo: hiBin, bins: 1, hist });
      return;
    }
    for (let i = 0; i < bits.length; i++) {
      const k = bits[i]! & ABS_MASK;
      const hb = k >>> 16;
      const low = single ? (single[0] === hb ? single[1] : undefined) : this.lowBins.get(hb);
      if (!low) continue;
      const lb = k & 0xffff;
      low.hist[lb]++;
      if (low.abs) {
        const a = Math.abs(x[i]!);
        low.abs[lb] += a;
        low.sq![lb] += a * a;
      }
    }
  }

  endPass(): void {
    const n = this.seen;
    this.seen = 0;
    this.passCount++;
    for (const rank of this.ranks) if (!(rank >= 0 && rank < n)) throw new RangeError(`rank ${rank} outside [0, ${n})`);
    if (this.phase === "probe") this.endProbe();
    else if (this.phase === "high") this.endHigh();
    else this.endLow();
  }

  /** The probed key is the boundary when the rank falls among its elements; else a high pass follows. */
  private endProbe(): void {
    const { key, above, atLeast } = this.probe!;
    const rank = this.ranks[0]!;
    this.probe = null;
    if (above <= rank && rank < atLeast) {
      this.results.set(rank, { key, greater: above, absAbove: 0, sqAbove: 0 });
    } else {
      this.chunkTies = [];
      this.phase = "high";
      this.window = { lo: this.guessedLo, bins: WINDOW_BINS };
    }
  }

  private endHigh(): void {
    // High-bit counts are summed now; the window's stay in the tables until the boundaries are read.
    this.tables?.addHighTo(this.hiHist);
    if (this.track) {
      for (let b = 0; b < BINS; b++) {
        this.totalAbs += this.hiAbs![b]!;
        this.totalSq += this.hiSq![b]!;
      }
    }
    this.targets = [];
    for (const rank of this.ranks) {
      let cum = 0;
      let abs = 0;
      let sq = 0;
      for (let b = BINS - 1; b >= 0; b--) {
        const c = this.hiHist[b]!;
        if (cum + c > rank) {
          const target = { rank, hiBin: b, countAbove: cum, absAbove: abs, sqAbove: sq };
          const w = this.window;
          if (w && b >= w.lo && b < w.lo + w.bins) {
            // The high pass already counted this bin's low bits.
            this.resolve(target, { hist: this.windowCounts(b), abs: null, sq: null });
          } else {
            this.targets.push(target);
            if (!this.lowBins.has(b)) {
              this.lowBins.set(b, {
                hist: new Uint32Array(BINS),
                abs: this.track ? new Float64Array(BINS) : null,
                sq: this.track ? new Float64Array(BINS) : null,
              });
            }
          }
          break;
        }
        cum += c;
        if (this.track) {
          abs += this.hiAbs![b]!;
          sq += this.hiSq![b]!;
        }
      }
    }
    this.tables?.release();
    this.tables = null;
    this.window = null;
    this.windowSpill = null;
    if (this.targets.length > 0) this.phase = "low";
  }

  private endLow(): void {
    for (const t of this.targets) this.resolve(t, this.lowBins.get(t.hiBin)!);
    this.targets = [];
    this.lowBins.clear();
  }

  /** The boundary of `t` from the low-bit counts of its high bin. */
  private resolve(t: Target, low: LowBin): void {
    let cum = t.countAbove;
    let abs = t.absAbove;
    let sq = t.sqAbove;
    for (let b = BINS - 1; b >= 0; b--) {
      const c = low.hist[b]!;
      if (cum + c > t.rank) {
        this.results.set(t.rank, { key: ((t.hiBin << 16) | b) >>> 0, greater: cum, absAbove: abs, sqAbove: sq });
        return;
      }
      cum += c;
      if (low.abs) {
        abs += low.abs[b]!;
        sq += low.sq![b]!;
      }
    }
  }

  boundary(rank: number): RankBoundary {
    const r = this.results.get(rank);
    if (!r) throw new Error(`RankSelector: rank ${rank} was not selected`);
    return r;
  }

  /** Runs every pass over a whole array (`chunks` of it, in order). */
  selectIn(chunks: readonly Float32Array[]): this {
    while (!this.done) {
      for (const c of chunks) this.scan(c);
      this.endPass();
    }
    return this;
  }
}

/** A rank probe without SIMD: keys of `bits` above `key`, and at least `key`. */
function rankProbeIn(bits: Uint32Array, key: number): RankProbe {
  let above = 0;
  let atLeast = 0;
  for (let i = 0; i < bits.length; i++) {
    const k = bits[i]! & ABS_MASK;
    above += k > key ? 1 : 0;
    atLeast += k >= key ? 1 : 0;
  }
  return { above, atLeast };
}

/** The magnitude key at descending rank `rank` of a whole array. */
export function keyAtRank(x: Float32Array, rank: number): RankBoundary {
  return new RankSelector([rank], false, x.length).selectIn([x]).boundary(rank);
}

/** A magnitude-key floor for a chunk, or two: `before` for elements [0, at), `after` from `at` on. */
export type KeyFloor = number | { at: number; before: number; after: number };

/**
 * "Keep descending ranks [lo, hi)" over a tensor of n elements, given the
 * boundaries of ranks hi-1 (if hi < n) and lo-1 (if lo > 0). Element i is in
 * top(k) when key > boundary.key, or key == boundary.key and it is one of the
 * first (k - greater) such elements in index order — so chunks must be
 * filtered in increasing offset order, each exactly once (a chunk at offset 0
 * restarts the count).
 */
export class RankRangeFilter {
  private hiSeen = 0;
  private loSeen = 0;
  private readonly hiKey: number;
  private readonly hiQuota: number;
  private readonly loKey: number;
  private readonly loQuota: number;

  constructor(hi: { key: number; quota: number } | null, lo: { key: number; quota: number } | null) {
    this.hiKey = hi ? hi.key : -1;
    this.hiQuota = hi ? hi.quota : 0;
    this.loKey = lo ? lo.key : -1;
    this.loQuota = lo ? lo.quota : 0;
  }

  /**
   * For a top-k filter (no lower rank): the magnitude key above which this
   * chunk keeps exactly its elements, counted as filtered — so a kernel can
   * test `key > floor` in place of `apply`. `countKey(key)`: how many of the
   * chunk's elements have that magnitude key. Before the quota of boundary
   * elements runs out every one is kept (floor = key - 1), after it none
   * (floor = key); in the chunk where it runs out, `nthKey(key, k)` (the
   * index of the chunk's k-th element with that key) places the split, else
   * null is returned and `apply` must be called.
   */
  keyFloor(offset: number, countKey: (key: number) => number, nthKey?: (key: number, k: number) => number): KeyFloor | null {
    if (offset === 0) this.restart();
    const { hiKey, hiQuota } = this;
    if (this.loKey >= 0) return null;
    if (hiKey < 0) return -1;
    if (this.hiSeen >= hiQuota) return hiKey;
    const ties = countKey(hiKey);
    if (this.hiSeen + ties > hiQuota) {
      // The quota runs out here: boundary elements up to the last one kept
      // keep, later ones do not (two floors, split at that element).
      const last = nthKey?.(hiKey, hiQuota - this.hiSeen) ?? -1;
      if (last < 0) return null;
      this.hiSeen += ties;
      return { at: last + 1, before: hiKey - 1, after: hiKey };
    }
    this.hiSeen += ties;
    return hiKey - 1;
  }

  /** The top filter's boundary key (-1: none). */
  get key(): number {
    return this.hiKey;
  }

  private restart(): void {
    this.hiSeen = 0;
    this.loSeen = 0;
  }

  /** out[j] = x[j] if element offset+j is kept, else 0 (times `scale`). */
  apply(offset: number, x: Float32Array, out: Float32Array, scale = 1): void {
    if (offset === 0) this.restart();
    const bits = floatBits(x);
    const { hiKey, hiQuota, loKey, loQuota } = this;
    if (hiKey >= 0 && loKey < 0 && scale === 1) {
      // The usual case (TIES: keep the top k, no rescale): copy the bits or
      // zero them through a mask, without a data-dependent branch (the keep
      // decision is random to the branch predictor). Ties at the boundary key
      // are rare and take the ordered path.
      const simdSeen = simdKeepTop(x, out, hiKey, this.hiSeen, hiQuota);
      if (simdSeen !== null) {
        this.hiSeen = simdSeen;
        return;
      }
      const outBits = floatBits(out);
      let seen = this.hiSeen;
      for (let i = 0; i < bits.length; i++) {
        const b = bits[i];
        const k = b & ABS_MASK;
        if (k === hiKey) outBits[i] = seen++ < hiQuota ? b : 0;
        else outBits[i] = b & -(k > hiKey);
      }
      this.hiSeen = seen;
      return;
    }
    if (hiKey >= 0 && loKey < 0) {
      // Top k with a rescale factor: one comparison per element.
      let seen = this.hiSeen;
      for (let i = 0; i < bits.length; i++) {
        const k = bits[i] & ABS_MASK;
        out[i] = k > hiKey || (k === hiKey && seen++ < hiQuota) ? x[i] * scale : 0;
      }
      this.hiSeen = seen;
      return;
    }
    for (let i = 0; i < bits.length; i++) {
      const k = bits[i] & ABS_MASK;
      let inHi = true;
      if (hiKey >= 0) {
        if (k > hiKey) inHi = true;
        else if (k === hiKey) inHi = this.hiSeen++ < hiQuota;
        else inHi = false;
      }
      let inLo = false;
      if (loKey >= 0) {
        if (k > loKey) inLo = true;
        else if (k === loKey) inLo = this.loSeen++ < loQuota;
      }
      out[i] = inHi && !inLo ? (scale === 1 ? x[i] : x[i] * scale) : 0;
    }
  }
}

/**
 * A copy of `x` keeping only the elements whose descending magnitude rank is
 * in [lo, hi); all others are 0. O(n), allocates only the result.
 */
export function keepRankRange(x: Float32Array, lo: number, hi: number): Float32Array {
  const n = x.length;
  const out = new Float32Array(n);
  lo = Math.max(0, Math.min(n, Math.trunc(lo)));
  hi = Math.max(lo, Math.min(n, Math.trunc(hi)));
  if (hi <= lo) return out;
  const ranks: number[] = [];
  if (hi < n) ranks.push(hi - 1);
  if (lo > 0) ranks.push(lo - 1);
  const sel = new RankSelector(ranks, false, n).selectIn([x]);
  const hb = hi < n ? sel.boundary(hi - 1) : null;
  const lb = lo > 0 ? sel.boundary(lo - 1) : null;
  new RankRangeFilter(
    hb ? { key: hb.key, quota: hi - hb.greater } : null,
    lb ? { key: lb.key, quota: lo - lb.greater } : null,
  ).apply(0, x, out);
  return out;
}

/**
 * Reusable buffers for `argsortAscending`, sized for the longest row.
 */
export class RadixScratch {
  readonly keysA: Uint32Array;
  readonly keysB: Uint32Array;
  readonly idxA: Uint32Array;
  readonly idxB: Uint32Array;
  readonly counts = new Uint32Array(2048);
  constructor(readonly capacity: number) {
    this.keysA = new Uint32Array(capacity);
    this.keysB = new Uint32Array(capacity);
    this.idxA = new Uint32Array(capacity);
    this.idxB = new Uint32Array(capacity);
  }
}

/**
 * Ascending argsort of the first `m` keys in `scratch.keysA` (caller fills
 * them). Returns an array whose first `m` entries are positions 0..m-1 in
 * ascending key order. Ties: the HIGHER position comes first, so that in
 * descending order the lower position ranks first (the module's total order).
 * Stable LSD radix sort, 3 passes of 11 bits, trivial passes skipped.
 */
export function argsortAscending(scratch: RadixScratch, m: number): Uint32Array {
  if (m <= 1) {
    scratch.idxA[0] = 0;
    return scratch.idxA;
  }
  let keys = scratch.keysA;
  let idx = scratch.idxA;
  let keysOut = scratch.keysB;
  let idxOut = scratch.idxB;
  // Start in reverse index order; the stable passes keep that order among ties.
  for (let j = 0, r = m - 1; j < m; j++, r--) {
    keysOut[j] = keys[r];
    idxOut[j] = r;
  }
  [keys, keysOut] = [keysOut, keys];
  [idx, idxOut] = [idxOut, idx];
  const counts = scratch.counts;
  for (let shift = 0; shift < 32; shift += 11) {
    counts.fill(0);
    for (let j = 0; j < m; j++) counts[(keys[j] >>> shift) & 0x7ff]++;
    if (counts[(keys[0] >>> shift) & 0x7ff] === m) continue; // all in one bucket
    let sum = 0;
    for (let b = 0; b < 2048; b++) {
      const c = counts[b];
      counts[b] = sum;
      sum += c;
    }
    for (let j = 0; j < m; j++) {
      const k = keys[j];
      const dst = counts[(k >>> shift) & 0x7ff]++;
      keysOut[dst] = k;
      idxOut[dst] = idx[j];
    }
    [keys, keysOut] = [keysOut, keys];
    [idx, idxOut] = [idxOut, idx];
  }
  return idx;
}
