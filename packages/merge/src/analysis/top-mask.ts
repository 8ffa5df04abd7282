/**
 * Top-k magnitude masks for the interference analysis, without materialising
 * the mask: a mask is described by a cut (a magnitude threshold plus the index
 * of the last tied entry that is kept), so membership of any element can be
 * decided from its value and index alone. This keeps the analysis at one
 * scratch tensor of memory beyond the deltas themselves.
 *
 * A vector's mask within one tensor holds its k = floor(topFraction · numel)
 * entries of largest |x|, ties broken by lower index, among its NON-ZERO
 * entries only: a parameter a task vector does not move is not part of its
 * footprint (otherwise two vectors that touch disjoint tensors would "overlap"
 * on the zeros). When a tensor has fewer than k non-zero entries, the mask is
 * all of them.
 */
import { quickselect } from "../taskvector";

/** Where a top-k mask is cut; see `inTopMask`. */
export interface MaskCut {
  /** Entries with |x| > threshold are in the mask. */
  threshold: number;
  /** Entries with |x| === threshold are in the mask when their index is ≤ tieCutoff (−1: none). */
  tieCutoff: number;
  /** Number of entries in the mask. */
  size: number;
}

/** The cut of a mask that holds nothing. */
export const EMPTY_CUT: Readonly<MaskCut> = Object.freeze({ threshold: Infinity, tieCutoff: -1, size: 0 });

/**
 * k for one tensor: floor(topFraction · numel). A relative 1e-9 slack absorbs
 * binary rounding (0.29 · 100 = 28.999999999999996 must give 29, not 28).
 */
export function topCount(topFraction: number, numel: number): number {
  const exact = topFraction * numel;
  return Math.min(numel, Math.floor(exact + Math.max(1e-9, exact * 1e-12)));
}

/**
 * The cut keeping the top `k` non-zero entries of `values` by magnitude (ties
 * to the lower index). Expected O(n): |x| is copied into `scratch` (at least
 * values.length long; its contents are overwritten) and the threshold found by
 * quickselect. `values` must be finite.
 */
export function topMaskCut(values: Float32Array, k: number, scratch: Float32Array): MaskCut {
  const n = values.length;
  let nonZero = 0;
  for (let i = 0; i < n; i++) if (values[i] !== 0) nonZero++;
  const keep = Math.min(k, nonZero);
  if (keep <= 0) return { ...EMPTY_CUT };
  if (keep === nonZero) return { threshold: 0, tieCutoff: -1, size: keep };
  const mags = scratch.length === n ? scratch : scratch.subarray(0, n);
  for (let i = 0; i < n; i++) mags[i] = Math.abs(values[i]);
  // The keep-th largest magnitude is the (n − keep)-th smallest (0-based);
  // keep < nonZero, so it is > 0 and zeros can never be selected.
  const threshold = quickselect(mags, n - keep);
  let above = 0;
  for (let i = 0; i < n; i++) if (Math.abs(values[i]) > threshold) above++;
  let ties = keep - above; // ≥ 1
  let tieCutoff = -1;
  for (let i = 0; i < n && ties > 0; i++) {
    if (Math.abs(values[i]) === threshold) {
      tieCutoff = i;
      ties--;
    }
  }
  return { threshold, tieCutoff, size: keep };
}

/** Whether element `index` with value `x` is in the mask described by `cut`. */
export function inTopMask(cut: MaskCut, x: number, index: number): boolean {
  const m = Math.abs(x);
  return m > cut.threshold || (m === cut.threshold && index <= cut.tieCutoff);
}
