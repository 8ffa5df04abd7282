/**
 * TIES sign election (mergekit `get_mask`).
 *
 * Why it exists: the *_ties methods, ties and della only mix, per element, the
 * weighted deltas whose sign agrees with an elected majority sign. The rule,
 * applied to the WEIGHTED deltas v_i = weight_i * delta_i:
 *
 *   "sum"   majority = +1 if sum_i v_i >= 0 else -1      (TIES paper: mass)
 *   "count" majority = +1 if sum_i sign(v_i) >= 0 else -1 (naive vote)
 *   mask_i  = sign(v_i) == majority   (so zeros never agree)
 *
 * Ties in the election (sum exactly 0) go to +1, as in mergekit.
 * `electPositive` / `agrees` define the rule; the GTA kernel inlines the same
 * rule in its fused per-element loop (no mask arrays; ties.test.ts checks the
 * two agree); `getMask` materialises the masks for inspection and tests.
 */
import { GraftError } from "../errors";

export type ConsensusMethod = "sum" | "count";

export const CONSENSUS_METHODS: readonly ConsensusMethod[] = ["sum", "count"];

/**
 * Elects the sign of one element from the first `m` weighted values.
 * Returns true for +1, false for -1.
 */
export function electPositive(values: ArrayLike<number>, m: number, method: ConsensusMethod): boolean {
  let s = 0;
  if (method === "sum") {
    for (let i = 0; i < m; i++) s += values[i];
  } else {
    for (let i = 0; i < m; i++) {
      const v = values[i];
      s += v > 0 ? 1 : v < 0 ? -1 : 0;
    }
  }
  return s >= 0;
}

/** Whether a weighted value has the elected sign (0 never does). */
export function agrees(v: number, positive: boolean): boolean {
  return positive ? v > 0 : v < 0;
}

/**
 * Per-model masks (1 = contributes) for equally long weighted deltas.
 */
export function getMask(weighted: readonly Float32Array[], method: ConsensusMethod = "sum"): Uint8Array[] {
  const m = weighted.length;
  if (m === 0) return [];
  const n = weighted[0].length;
  for (const w of weighted) {
    if (w.length !== n) throw new GraftError("MISMATCH", "consensus: deltas differ in length");
  }
  const masks = weighted.map(() => new Uint8Array(n));
  const vals = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) vals[i] = weighted[i][j];
    const pos = electPositive(vals, m, method);
    for (let i = 0; i < m; i++) if (agrees(vals[i], pos)) masks[i][j] = 1;
  }
  return masks;
}
