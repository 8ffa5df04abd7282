/**
 * `linear`: weighted average of the full weights (model soups), mergekit
 * linear.py.
 *
 * Why it exists: the simplest merge, and the only one here that works on
 * whole weights rather than task vectors:
 *
 *   out = sum_i weight_i * W_i            (/ sum_i weight_i if normalize)
 *
 * The base tensor, if the recipe has one, is ignored: only `models` are
 * averaged (list the base under `models` to give it a weight; the engine keeps
 * it there for linear). Unlike mergekit, which divides by zero, normalizing
 * weights that sum to (nearly) zero is an INVALID_RECIPE error.
 * Element-wise: no scan passes.
 */
import { GraftError } from "../errors";
import type { TensorKernel } from "../types";
import { defineMethod, type KernelContext } from "./kernel";
import { param } from "./parameters";

export function createLinearKernel(ctx: KernelContext): TensorKernel {
  const m = ctx.modelParams.length;
  const normalize = ctx.params.normalize ?? true;
  if (typeof normalize !== "boolean") {
    throw new GraftError("INVALID_RECIPE", `linear: parameter "normalize" must be a boolean`);
  }
  const weights = new Float64Array(m);
  let sum = 0;
  for (let i = 0; i < m; i++) {
    const w = ctx.modelParams[i].weight;
    if (typeof w !== "number" || !Number.isFinite(w)) {
      throw new GraftError("INVALID_RECIPE", `linear (${ctx.name}): model ${i} needs a numeric "weight"`);
    }
    weights[i] = w;
    sum += w;
  }
  if (m > 0 && normalize && Math.abs(sum) < 1e-8) {
    throw new GraftError(
      "INVALID_RECIPE",
      `linear (${ctx.name}): weights sum to ${sum}; cannot normalize (set normalize: false or change the weights)`,
    );
  }
  const scale = normalize ? 1 / sum : 1;
  const tensors: Float32Array[] = new Array(m);
  return {
    scanPasses: 0,
    merge(chunk, out) {
      const n = chunk.length;
      if (m === 0) {
        if (!chunk.base) throw new GraftError("INVALID_RECIPE", `linear (${ctx.name}): no models to average`);
        out.set(chunk.base.subarray(0, n));
        return;
      }
      for (let i = 0; i < m; i++) {
        const t = chunk.models[i].weights();
        if (t.length !== n) throw new GraftError("MISMATCH", `linear (${ctx.name}): model ${i} chunk has ${t.length} elements, expected ${n}`);
        tensors[i] = t;
      }
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let i = 0; i < m; i++) acc += weights[i] * tensors[i][j];
        out[j] = acc * scale;
      }
    },
  };
}

export const linear = defineMethod({
  name: "linear",
  description: "Weighted average of the models' weights (Model Soups, arXiv 2203.05482); base_model not used",
  requiresBase: false,
  minModels: 1,
  globalParameters: [param("normalize", "boolean", true, "divide by the sum of the weights")],
  modelParameters: [param("weight", "number", undefined, "this model's weight in the average")],
  kernel: createLinearKernel,
});
