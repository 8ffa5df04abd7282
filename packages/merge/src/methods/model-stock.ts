/**
 * `model_stock` (Model Stock, arXiv 2403.19522, as mergekit model_stock.py
 * implements it).
 *
 * Why it exists: picks the interpolation weight between the base and the
 * average of the fine-tuned models from the geometry of their task vectors:
 *
 *   d_i   = W_i - W_0                         (N = number of models >= 2)
 *   cos   = mean over pairs i<j of  d_i.d_j / max(|d_i||d_j|, 1e-6),
 *           each clamped to [-1, 1]
 *   t     = N cos / (1 + (N - 1) cos)
 *   out   = t * mean_i(W_i) + (1 - t) * W_0  =  W_0 + t * mean_i(d_i)
 *
 * filter_wise: false → one t for the flattened tensor; true → one t per row
 * of the last dimension (1-D tensors are a single row), as mergekit does.
 * No weights: Model Stock has no per-model parameters. Like mergekit, t is not
 * guarded at cos = -1/(N-1), where the formula divides by zero.
 * One scan pass gathers the per-row norms and pairwise dot products.
 */
import { GraftError } from "../errors";
import type { TensorKernel } from "../types";
import { defineMethod, type KernelContext } from "./kernel";
import { param } from "./parameters";

/** mergekit's clamp on the norm product. */
export const MODEL_STOCK_NORM_EPS = 1e-6;

export function createModelStockKernel(ctx: KernelContext): TensorKernel {
  const N = ctx.modelParams.length;
  if (N === 1) {
    throw new GraftError("INVALID_RECIPE", "model_stock: needs at least 3 models (base_model plus two or more others)");
  }
  const filterWise = ctx.params.filter_wise ?? false;
  if (typeof filterWise !== "boolean") {
    throw new GraftError("INVALID_RECIPE", `model_stock: parameter "filter_wise" must be a boolean`);
  }
  const n = ctx.numel;
  const shape = ctx.shape;
  const rowLen = filterWise && shape.length >= 2 ? shape[shape.length - 1] : Math.max(1, n);
  if (n % rowLen !== 0) {
    throw new GraftError("MISMATCH", `model_stock (${ctx.name}): shape [${shape.join(", ")}] does not match ${n} elements`);
  }
  const rows = Math.max(1, n / rowLen);
  const pairs = (N * (N - 1)) / 2;
  const sq = new Float64Array(rows * N);
  const dots = new Float64Array(rows * pairs);
  const tOverN = new Float64Array(rows);
  const deltas: Float32Array[] = new Array(N);
  const needBase = (b: Float32Array | null): Float32Array => {
    if (!b) throw new GraftError("INVALID_RECIPE", "model_stock: base_model is required");
    return b;
  };
  const load = (chunk: { models: { delta(): Float32Array }[]; length: number }) => {
    for (let i = 0; i < N; i++) {
      const d = chunk.models[i].delta();
      if (d.length !== chunk.length) throw new GraftError("MISMATCH", `model_stock (${ctx.name}): model ${i} chunk length differs`);
      deltas[i] = d;
    }
  };
  return {
    scanPasses: N >= 2 ? 1 : 0,
    scan(_pass, chunk) {
      load(chunk);
      if (chunk.offset === 0) {
        sq.fill(0);
        dots.fill(0);
      }
      // walk the chunk in row segments
      let j = 0;
      while (j < chunk.length) {
        const g = chunk.offset + j;
        const row = Math.floor(g / rowLen);
        const end = Math.min(chunk.length, j + (rowLen - (g % rowLen)));
        for (let a = 0, p = 0; a < N; a++) {
          const da = deltas[a];
          let s = 0;
          for (let k = j; k < end; k++) s += da[k] * da[k];
          sq[row * N + a] += s;
          for (let b = a + 1; b < N; b++, p++) {
            const db = deltas[b];
            let d = 0;
            for (let k = j; k < end; k++) d += da[k] * db[k];
            dots[row * pairs + p] += d;
          }
        }
        j = end;
      }
    },
    endScan() {
      for (let r = 0; r < rows; r++) {
        let cosSum = 0;
        for (let a = 0, p = 0; a < N; a++) {
          for (let b = a + 1; b < N; b++, p++) {
            const norm = Math.sqrt(sq[r * N + a]) * Math.sqrt(sq[r * N + b]);
            let c = dots[r * pairs + p] / Math.max(norm, MODEL_STOCK_NORM_EPS);
            if (c > 1) c = 1;
            else if (c < -1) c = -1;
            cosSum += c;
          }
        }
        const cos = cosSum / pairs;
        tOverN[r] = (N * cos) / (1 + (N - 1) * cos) / N;
      }
    },
    merge(chunk, out) {
      const base = needBase(chunk.base);
      if (N === 0) {
        out.set(base.subarray(0, chunk.length));
        return;
      }
      load(chunk);
      for (let j = 0; j < chunk.length; j++) {
        const t = tOverN[Math.floor((chunk.offset + j) / rowLen)];
        let s = 0;
        for (let i = 0; i < N; i++) s += deltas[i][j];
        out[j] = base[j] + t * s;
      }
    },
  };
}

export const modelStock = defineMethod({
  name: "model_stock",
  description: "Model Stock (arXiv 2403.19522): interpolate base and model average by task-vector angle",
  requiresBase: true,
  minModels: 2,
  globalParameters: [
    param("filter_wise", "boolean", false, "compute the interpolation weight per row (last axis) instead of per tensor"),
  ],
  modelParameters: [],
  kernel: createModelStockKernel,
});
