/**
 * Rescale modes for sparsified deltas.
 *
 * Why it exists: after dropping entries, mergekit (current sparsify.py,
 * `rescaled_masked_tensor`) rescales the survivors so that a norm of the
 * masked tensor matches the norm of the original — with `rescale: true` it
 * always uses the L1 norm. The papers instead divide by the keep probability
 * (DARE: 1/(1-p) = 1/density; DELLA: 1/p_i per element). Both are offered:
 *
 *   "none"            keep survivors as they are            (rescale: false)
 *   "l1"              match sum|x|    (mergekit's rescale: true, the default)
 *   "l2"              match sqrt(sum x^2)      (mergekit RescaleNorm.l2)
 *   "linf"            match max|x|             (mergekit RescaleNorm.linf)
 *   "inverse_density" divide each survivor by its keep probability (papers)
 *
 * Norm matching is skipped, as in mergekit, when either norm is below 1e-7.
 * The arithmetic lives with each sparsifier (sparsify.ts), which accumulates
 * the norms in its scan passes.
 */

export type RescaleMode = "none" | "l1" | "l2" | "linf" | "inverse_density";

export const RESCALE_MODES: readonly RescaleMode[] = ["none", "l1", "l2", "linf", "inverse_density"];

/** mergekit's `eps` in rescaled_masked_tensor. */
export const RESCALE_EPS = 1e-7;
