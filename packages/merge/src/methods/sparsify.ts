/**
 * The sparsifiers of generalized task arithmetic (mergekit `sparsify.py`).
 *
 * Why it exists: TIES, DARE, breadcrumbs and DELLA differ only in how each
 * task vector is thinned before mixing; this file holds those four rules, as
 * streaming `ChunkSparsifier`s (scan passes, then `apply` chunk by chunk in
 * offset order) plus whole-array wrappers. Inputs are never modified.
 *
 *   magnitude           keep the k = trunc(density*n) largest |x|       (TIES)
 *   random              keep each entry with probability density        (DARE)
 *   magnitude_outliers  drop the n_top = trunc(gamma*n) largest, keep the
 *                       next trunc(density*n) (breadcrumbs)
 *   della_magprune      keep each entry with probability from its |x| rank
 *                       in its row, in [density-eps, density+eps]      (DELLA)
 *                       (older mergekit called this rank_magnitude_sampling)
 *
 * density >= 1 keeps everything with no rescale (mergekit returns the tensor).
 *
 * Randomness: random and della_magprune run their own xoshiro128** sub-stream
 * from four seed words (prng.ts), one draw per element in flat index order,
 * keep when draw < p. With a norm rescale the scan pass draws, sums the norms
 * and records the kept set as a bitmask (n/8 bytes) that the merge pass reuses;
 * otherwise the merge pass draws, restarting the sub-stream at offset 0.
 *
 * Scan passes: magnitude / magnitude_outliers 2 (radix selection; norm sums
 * come from the same histograms); random 1 with a norm rescale, else 0;
 * della_magprune 1 with a norm rescale or for tensors of rank < 2 (one row:
 * the whole tensor, gathered in the scan), else 0 — and it needs chunks made
 * of whole rows of the last dimension (the method is `rowAligned`).
 */
import { GraftError } from "../errors";
import type { RankProbe } from "../simd/ops";
import type { Prng } from "../types";
import { Xoshiro128StarStar, seedWordsFrom } from "./prng";
import { RESCALE_EPS, type RescaleMode } from "./rescale";
import {
  argsortAscending,
  floatBits,
  type KeyFloor,
  keyToMagnitude,
  magnitudeKey,
  RadixScratch,
  RankRangeFilter,
  RankSelector,
} from "./select";

export type SparsificationMethod = "magnitude" | "random" | "magnitude_outliers" | "della_magprune";

export const SPARSIFICATION_METHODS: readonly SparsificationMethod[] = [
  "magnitude",
  "random",
  "magnitude_outliers",
  "della_magprune",
];

/** Whether a sparsifier draws random numbers (and so takes seed words). */
export function isRandomSparsifier(method: SparsificationMethod): boolean {
  return method === "random" || method === "della_magprune";
}

/** A sparsifier over one tensor, fed in chunks. */
export interface ChunkSparsifier {
  /** May drop after `endScan`, when a pass made the later ones unnecessary. */
  readonly scanPasses: number;
  /** Pass `pass` (< scanPasses) over the chunk of `delta` starting at `offset`. */
  scan(pass: number, offset: number, delta: Float32Array): void;
  /**
   * The same pass over a chunk given as n BF16 weights and the base, for a
   * SIMD kernel to compute the deltas itself. False when not taken (nothing
   * counted): call `scan` with the deltas instead.
   */
  scanWeights?(pass: number, offset: number, bf16Weights: Uint8Array, base: Float32Array, n: number): boolean;
  /**
   * When this pass over the chunk (n BF16 weights and the base) is a rank
   * probe (RankSelector): the magnitude key to probe, for the caller to probe
   * several models at once and hand the counts to `probed`; else null, and
   * the chunk goes to `scanWeights` or `scan`.
   */
  probeKey?(bf16Weights: Uint8Array, base: Float32Array, n: number): number | null;
  /** The counts of the probe of `probeKey` over the chunk at `offset` (n elements). */
  probed?(offset: number, counts: RankProbe, n: number): void;
  endScan(pass: number): void;
  /** Writes the sparsified, rescaled chunk into `out` (same length). Offsets increase; 0 restarts. */
  apply(offset: number, delta: Float32Array, out: Float32Array): void;
  /**
   * In place of `apply`, where the chunk's kept elements are exactly those
   * whose magnitude key is above a floor (or two, split at an element) and
   * none is rescaled: that floor (see RankRangeFilter.keyFloor; `countKey`
   * and `nthKey` look at the chunk's deltas), else null, and `apply` must be
   * called.
   */
  keyFloor?(offset: number, countKey: (key: number) => number, nthKey?: (key: number, k: number) => number): KeyFloor | null;
}

export interface SparsifierSpec {
  method: SparsificationMethod;
  /** Elements in the whole tensor. */
  numel: number;
  /** Tensor shape; della ranks within rows of the last dimension. */
  shape?: readonly number[];
  density: number;
  /** magnitude_outliers: fraction of the largest entries removed. Default 0.01. */
  gamma?: number;
  /** della_magprune: half-width of the keep-probability range. Default 0.15. */
  epsilon?: number;
  /** Default "none". */
  rescale?: RescaleMode;
  /** xoshiro128** seed words; required by random and della_magprune. */
  seedWords?: ArrayLike<number>;
}

type NormKind = "l1" | "l2" | "linf";

/** Running norm of a sequence, accumulated in element order. */
class NormAcc {
  v = 0;
  constructor(readonly kind: NormKind) {}
  add(x: number): void {
    const a = Math.abs(x);
    if (this.kind === "l1") this.v += a;
    else if (this.kind === "l2") this.v += a * a;
    else if (a > this.v) this.v = a;
  }
  value(): number {
    return this.kind === "l2" ? Math.sqrt(this.v) : this.v;
  }
}

/**
 * Which elements a random sparsifier kept, recorded in its norm scan pass so
 * that the merge pass need not redraw (or, for DELLA, re-rank): n/8 bytes.
 */
class KeepBits {
  readonly bits: Uint8Array;
  constructor(n: number) {
    this.bits = new Uint8Array((n + 7) >>> 3);
  }
  set(i: number): void {
    this.bits[i >>> 3] |= 1 << (i & 7);
  }
  /** out[j] = kept(offset + j) ? x[j] * scale : 0 */
  apply(offset: number, x: Float32Array, out: Float32Array, scale: number): void {
    const bits = this.bits;
    for (let j = 0; j < x.length; j++) {
      const i = offset + j;
      out[j] = bits[i >>> 3] & (1 << (i & 7)) ? x[j] * scale : 0;
    }
  }
}

/** mergekit's rescaled_masked_tensor factor: before/after, or 1 when either is < 1e-7. */
function normFactor(before: number, after: number): number {
  return before < RESCALE_EPS || after < RESCALE_EPS ? 1 : before / after;
}

function isNorm(mode: RescaleMode): mode is NormKind {
  return mode === "l1" || mode === "l2" || mode === "linf";
}

class ScaleSparsifier implements ChunkSparsifier {
  readonly scanPasses = 0;
  constructor(private readonly scale: number) {}
  scan(): void {}
  endScan(): void {}
  apply(_offset: number, delta: Float32Array, out: Float32Array): void {
    const s = this.scale;
    if (s === 1) out.set(delta);
    else if (s === 0) out.fill(0);
    else for (let i = 0; i < delta.length; i++) out[i] = delta[i] * s;
  }
}

/** Keep descending magnitude ranks [lo, hi) — TIES (lo = 0) and breadcrumbs. */
class RankRangeSparsifier implements ChunkSparsifier {
  /** One pass, and another while the selector has boundaries to find (RankSelector: a probe, high bits, low bits). */
  scanPasses = 1;
  private readonly selector: RankSelector;
  private filter: RankRangeFilter | null = null;
  private scale = 1;
  private readonly offsets: number[] = [];
  /** When a probe found the boundary key: how many elements of each chunk (by offset) have it, so the mix need not count them. */
  private boundaryTies: Map<number, number> | null = null;

  constructor(
    private readonly n: number,
    private readonly lo: number,
    private readonly hi: number,
    private readonly density: number,
    private readonly rescale: RescaleMode,
  ) {
    const ranks: number[] = [];
    if (hi < n) ranks.push(hi - 1);
    if (lo > 0) ranks.push(lo - 1);
    if (rescale === "linf") ranks.push(0, lo); // max of all, max of kept
    this.selector = new RankSelector(ranks, rescale === "l1" || rescale === "l2", n);
  }

  scan(pass: number, offset: number, delta: Float32Array): void {
    this.noteOffset(pass, offset);
    this.selector.scan(delta);
  }

  scanWeights(pass: number, offset: number, bf16Weights: Uint8Array, base: Float32Array, n: number): boolean {
    const taken = this.selector.scanBf16(bf16Weights, base, n);
    if (taken) this.noteOffset(pass, offset);
    return taken;
  }

  probeKey(bf16Weights: Uint8Array, base: Float32Array, n: number): number | null {
    return this.selector.probeKeyBf16(bf16Weights, base, n);
  }

  probed(offset: number, counts: RankProbe, n: number): void {
    this.noteOffset(0, offset);
    this.selector.addProbe(counts, n);
  }

  /** The first pass's chunk offsets, in order: where the probe's per-chunk counts belong. */
  private noteOffset(pass: number, offset: number): void {
    if (pass === 0) this.offsets.push(offset);
  }

  endScan(): void {
    const s = this.selector;
    s.endPass();
    if (!s.done) {
      this.scanPasses = s.passes + 1;
      return;
    }
    this.scanPasses = s.passes;
    const ties = s.boundaryTies;
    if (ties) this.boundaryTies = new Map(this.offsets.map((offset, c) => [offset, ties[c]!]));
    const { n, lo, hi } = this;
    const hb = hi < n ? s.boundary(hi - 1) : null;
    const lb = lo > 0 ? s.boundary(lo - 1) : null;
    this.filter = new RankRangeFilter(
      hb ? { key: hb.key, quota: hi - hb.greater } : null,
      lb ? { key: lb.key, quota: lo - lb.greater } : null,
    );
    const mode = this.rescale;
    if (mode === "inverse_density") this.scale = 1 / this.density;
    else if (mode === "linf") {
      this.scale = normFactor(keyToMagnitude(s.boundary(0).key), keyToMagnitude(s.boundary(lo).key));
    } else if (mode === "l1" || mode === "l2") {
      const l2 = mode === "l2";
      // mass of the top k elements: everything above the boundary plus `quota` copies of it
      const top = (k: number): number => {
        if (k === 0) return 0;
        if (k === n) return l2 ? s.totalSq : s.totalAbs;
        const b = s.boundary(k - 1);
        const m = keyToMagnitude(b.key);
        return (l2 ? b.sqAbove : b.absAbove) + (k - b.greater) * (l2 ? m * m : m);
      };
      const before = l2 ? Math.sqrt(s.totalSq) : s.totalAbs;
      const keptMass = top(hi) - top(lo);
      const after = l2 ? Math.sqrt(Math.max(0, keptMass)) : keptMass;
      this.scale = normFactor(before, after);
    }
  }

  apply(offset: number, delta: Float32Array, out: Float32Array): void {
    if (!this.filter) throw new Error("sparsifier: apply before its scan passes");
    this.filter.apply(offset, delta, out, this.scale);
  }

  keyFloor(offset: number, countKey: (key: number) => number, nthKey?: (key: number, k: number) => number): KeyFloor | null {
    if (!this.filter) throw new Error("sparsifier: keyFloor before its scan passes");
    if (this.scale !== 1) return null;
    const ties = this.boundaryTies?.get(offset);
    return this.filter.keyFloor(offset, ties === undefined ? countKey : (key) => (key === this.filter!.key ? ties : countKey(key)), nthKey);
  }
}

/** DARE: Bernoulli(density) mask. */
class RandomSparsifier implements ChunkSparsifier {
  readonly scanPasses: number;
  private gen: Xoshiro128StarStar | null = null;
  private before: NormAcc | null = null;
  private after: NormAcc | null = null;
  private scale: number;

  private kept: KeepBits | null = null;

  constructor(
    private readonly n: number,
    private readonly density: number,
    private readonly rescale: RescaleMode,
    private readonly words: ArrayLike<number>,
  ) {
    this.scanPasses = isNorm(rescale) ? 1 : 0;
    this.scale = rescale === "inverse_density" ? 1 / density : 1;
  }

  private restart(offset: number): Xoshiro128StarStar {
    if (offset === 0 || !this.gen) this.gen = Xoshiro128StarStar.fromWords(this.words);
    return this.gen;
  }

  scan(_pass: number, offset: number, delta: Float32Array): void {
    const g = this.restart(offset);
    if (offset === 0 || !this.before) {
      this.before = new NormAcc(this.rescale as NormKind);
      this.after = new NormAcc(this.rescale as NormKind);
    }
    if (offset === 0 || !this.kept) this.kept = new KeepBits(this.n);
    const before = this.before;
    const after = this.after!;
    const kept = this.kept;
    const p = this.density;
    for (let i = 0; i < delta.length; i++) {
      const x = delta[i];
      before.add(x);
      if (g.next() < p) {
        after.add(x);
        kept.set(offset + i);
      }
    }
  }

  endScan(): void {
    this.scale = normFactor(this.before!.value(), this.after!.value());
  }

  apply(offset: number, delta: Float32Array, out: Float32Array): void {
    if (this.kept) {
      this.kept.apply(offset, delta, out, this.scale);
      return;
    }
    const g = this.restart(offset);
    const p = this.density;
    const s = this.scale;
    for (let i = 0; i < delta.length; i++) out[i] = g.next() < p ? (s === 1 ? delta[i] : delta[i] * s) : 0;
  }
}

/**
 * DELLA MAGPRUNE. Within each row of m elements (rows of the last dimension;
 * tensors of rank < 2 are one row), the entry with ascending magnitude rank r
 * (0-based) is kept with probability
 *   p = (density - epsilon) + (r / (m - 1)) * 2 * epsilon
 * (p = density when m == 1, where mergekit would divide 0 by 0).
 * "inverse_density" divides each survivor by its own p (the paper's 1/(1-p_i)).
 */
class DellaSparsifier implements ChunkSparsifier {
  readonly scanPasses: number;
  private readonly rowLen: number;
  private readonly gathered: boolean;
  private gen: Xoshiro128StarStar | null = null;
  private readonly scratch: RadixScratch;
  private buf: Float32Array | null = null;
  private before: NormAcc | null = null;
  private after: NormAcc | null = null;
  private scale = 1;
  private kept: KeepBits | null = null;
  /** rank < 2: the whole delta (scan) and then its sparsified form. */
  private whole: Float32Array | null = null;

  constructor(
    private readonly n: number,
    shape: readonly number[] | undefined,
    private readonly density: number,
    private readonly epsilon: number,
    private readonly rescale: RescaleMode,
    private readonly words: ArrayLike<number>,
  ) {
    const rank2 = !!shape && shape.length >= 2;
    if (rank2) {
      const total = shape!.reduce((a, b) => a * b, 1);
      if (total !== n) throw new GraftError("MISMATCH", `shape [${shape!.join(", ")}] does not match ${n} elements`);
    }
    this.rowLen = rank2 ? shape![shape!.length - 1] : n;
    this.gathered = !rank2;
    this.scanPasses = this.gathered || isNorm(rescale) ? 1 : 0;
    this.scratch = new RadixScratch(Math.max(1, this.rowLen));
  }

  private restart(offset: number): Xoshiro128StarStar {
    if (offset === 0 || !this.gen) this.gen = Xoshiro128StarStar.fromWords(this.words);
    return this.gen;
  }

  /**
   * Sparsifies whole rows: delta (length a multiple of rowLen) → out, drawing
   * from `g`; adds to the norm accumulators when given. No norm scale applied.
   */
  private rows(
    delta: Float32Array,
    out: Float32Array,
    g: Xoshiro128StarStar,
    before: NormAcc | null,
    after: NormAcc | null,
    kept: KeepBits | null = null,
    offset = 0,
  ): void {
    const m = this.rowLen;
    const bits = floatBits(delta);
    const pMin = this.density - this.epsilon;
    const span = 2 * this.epsilon;
    const inverse = this.rescale === "inverse_density";
    const scratch = this.scratch;
    for (let start = 0; start < delta.length; start += m) {
      if (m === 1) {
        out[start] = this.density;
      } else {
        for (let j = 0; j < m; j++) scratch.keysA[j] = magnitudeKey(bits[start + j]);
        const order = argsortAscending(scratch, m);
        for (let r = 0; r < m; r++) out[start + order[r]] = pMin + (r / (m - 1)) * span;
      }
      for (let i = start; i < start + m; i++) {
        const x = delta[i];
        const p = out[i];
        if (before) before.add(x);
        if (g.next() < p) {
          const v = inverse ? x / p : x;
          out[i] = v;
          if (after) after.add(v);
          if (kept) kept.set(offset + i);
        } else out[i] = 0;
      }
    }
  }

  private checkRows(offset: number, length: number): void {
    if (offset % this.rowLen !== 0 || length % this.rowLen !== 0) {
      throw new GraftError(
        "UNSUPPORTED",
        `della: chunk [${offset}, ${offset + length}) does not hold whole rows of ${this.rowLen} elements`,
      );
    }
  }

  scan(_pass: number, offset: number, delta: Float32Array): void {
    if (this.gathered) {
      if (!this.whole) this.whole = new Float32Array(this.n);
      this.whole.set(delta, offset);
      return;
    }
    this.checkRows(offset, delta.length);
    const g = this.restart(offset);
    if (offset === 0 || !this.before) {
      this.before = new NormAcc(this.rescale as NormKind);
      this.after = new NormAcc(this.rescale as NormKind);
    }
    if (offset === 0 || !this.kept) this.kept = new KeepBits(this.n);
    if (!this.buf || this.buf.length !== delta.length) this.buf = new Float32Array(delta.length);
    this.rows(delta, this.buf, g, this.before, this.after, this.kept, offset);
  }

  endScan(): void {
    if (this.gathered) {
      const src = this.whole ?? new Float32Array(this.n);
      const out = new Float32Array(this.n);
      const norm = isNorm(this.rescale);
      const before = norm ? new NormAcc(this.rescale as NormKind) : null;
      const after = norm ? new NormAcc(this.rescale as NormKind) : null;
      if (this.n > 0) this.rows(src, out, Xoshiro128StarStar.fromWords(this.words), before, after);
      if (norm) {
        const f = normFactor(before!.value(), after!.value());
        if (f !== 1) for (let i = 0; i < out.length; i++) out[i] *= f;
      }
      this.whole = out;
      return;
    }
    this.scale = normFactor(this.before!.value(), this.after!.value());
    this.buf = null;
  }

  apply(offset: number, delta: Float32Array, out: Float32Array): void {
    if (this.gathered) {
      if (!this.whole) throw new Error("sparsifier: apply before its scan pass");
      out.set(this.whole.subarray(offset, offset + delta.length));
      return;
    }
    this.checkRows(offset, delta.length);
    if (this.kept) {
      // norm rescale: the scan pass recorded the mask (no inverse_density here)
      this.kept.apply(offset, delta, out, this.scale);
      return;
    }
    this.rows(delta, out, this.restart(offset), null, null);
  }
}

function requireWords(spec: SparsifierSpec): ArrayLike<number> {
  if (!spec.seedWords) {
    throw new GraftError("INVALID_ARGUMENT", `${spec.method} sparsification needs random seed words`);
  }
  return spec.seedWords;
}

/** Checks DELLA's parameters as mergekit does (only when it would prune). */
export function checkDellaParameters(density: number, epsilon: number): void {
  if (density >= 1 || density <= 0) return;
  if (density + epsilon >= 1 || density - epsilon <= 0) {
    throw new GraftError(
      "INVALID_RECIPE",
      `della: epsilon must be chosen so that density ± epsilon is inside (0, 1); got density=${density}, epsilon=${epsilon}`,
    );
  }
}

/** A streaming sparsifier for one model's task vector of one tensor. */
export function createSparsifier(spec: SparsifierSpec): ChunkSparsifier {
  const { numel: n, density } = spec;
  const rescale = spec.rescale ?? "none";
  if (density >= 1 || n === 0) return new ScaleSparsifier(1);
  switch (spec.method) {
    case "magnitude": {
      // mergekit asserts k > 0; we return an all-zero delta instead (see METHODS.md).
      const k = Math.trunc(density * n);
      return rankRange(n, 0, k, density, rescale);
    }
    case "magnitude_outliers": {
      const target = Math.trunc(density * n);
      let nTop = Math.max(0, Math.trunc((spec.gamma ?? 0.01) * n));
      let nBot = n - target - nTop;
      if (nBot < 0) {
        nTop = Math.max(0, nTop + nBot);
        nBot = 0;
      }
      // Ascending slice [n_bot, n - n_top) = descending ranks [n_top, n - n_bot).
      // (mergekit's `indices[n_bot:-n_top]` empties the mask when n_top == 0.)
      return rankRange(n, nTop, n - nBot, density, rescale);
    }
    case "random":
      return new RandomSparsifier(n, density, rescale, requireWords(spec));
    case "della_magprune": {
      if (density <= 0) return new ScaleSparsifier(0);
      const epsilon = spec.epsilon ?? 0.15;
      checkDellaParameters(density, epsilon);
      return new DellaSparsifier(n, spec.shape, density, epsilon, rescale, requireWords(spec));
    }
    default:
      throw new GraftError("INVALID_ARGUMENT", `unknown sparsification method "${String(spec.method)}"`);
  }
}

function rankRange(n: number, lo: number, hi: number, density: number, rescale: RescaleMode): ChunkSparsifier {
  lo = Math.max(0, Math.min(n, lo));
  hi = Math.max(lo, Math.min(n, hi));
  if (hi <= lo) return new ScaleSparsifier(0);
  if (lo === 0 && hi === n) return new ScaleSparsifier(rescale === "inverse_density" ? 1 / density : 1);
  return new RankRangeSparsifier(n, lo, hi, density, rescale);
}

// ---------------------------------------------------------------------------
// Whole-array forms. Random ones take a Prng and draw their four seed words
// from it (so sparsify(δ, "random", {rng: createPrng(s, name)}) equals what the
// GTA kernel does for the first model of that tensor).

export interface SparsifyOptions {
  /** Fraction to keep. >= 1: input returned unchanged. */
  density: number;
  /** Default "none". */
  rescale?: RescaleMode;
  /** Required by "random" and "della_magprune": four seed words are drawn from it. */
  rng?: Prng;
  gamma?: number;
  epsilon?: number;
  shape?: readonly number[];
}

/** Runs one sparsifier over a whole array. density >= 1 returns `delta` itself. */
export function sparsify(delta: Float32Array, method: SparsificationMethod, options: SparsifyOptions): Float32Array {
  if (options.density >= 1) return delta;
  let seedWords: Uint32Array | undefined;
  if (isRandomSparsifier(method)) {
    if (!options.rng) throw new GraftError("INVALID_ARGUMENT", `${method} sparsification needs a random generator`);
    seedWords = seedWordsFrom(options.rng);
  }
  const sp = createSparsifier({ ...options, method, numel: delta.length, seedWords });
  for (let pass = 0; pass < sp.scanPasses; pass++) {
    sp.scan(pass, 0, delta);
    sp.endScan(pass);
  }
  const out = new Float32Array(delta.length);
  sp.apply(0, delta, out);
  return out;
}

/** TIES trim: keep the trunc(density*n) largest magnitudes (ties: lower index first). */
export function sparsifyMagnitude(delta: Float32Array, density: number, rescale: RescaleMode = "none"): Float32Array {
  return sparsify(delta, "magnitude", { density, rescale });
}

/**
 * Breadcrumbs: with target = trunc(density*n), n_top = trunc(gamma*n),
 * n_bot = n - target - n_top (if negative, n_top shrinks so n_bot = 0), keep
 * the ascending-order slice [n_bot, n - n_top).
 */
export function sparsifyMagnitudeOutliers(
  delta: Float32Array,
  density: number,
  gamma = 0.01,
  rescale: RescaleMode = "none",
): Float32Array {
  return sparsify(delta, "magnitude_outliers", { density, gamma, rescale });
}

/** DARE drop: keep each entry independently with probability `density`. */
export function sparsifyRandom(delta: Float32Array, density: number, rng: Prng, rescale: RescaleMode = "none"): Float32Array {
  return sparsify(delta, "random", { density, rng, rescale });
}

/** DELLA MAGPRUNE over a whole array (rows of the last dimension of `shape`). */
export function sparsifyDellaMagprune(
  delta: Float32Array,
  density: number,
  epsilon: number,
  rng: Prng,
  rescale: RescaleMode = "none",
  shape?: readonly number[],
): Float32Array {
  return sparsify(delta, "della_magprune", { density, epsilon, rng, rescale, shape });
}
