/**
 * `slerp`: spherical linear interpolation between the base model and one
 * other model (mergekit slerp.py).
 *
 * Why it exists: the classic two-model merge. mergekit takes exactly two
 * models, one of them the base_model; in Graft the engine passes the base in
 * `base` and the OTHER model as the only entry of `models` (models = [other];
 * the engine drops the base from the model list). t = 0 gives the base,
 * t = 1 the other model.
 *
 *   a = base / |base|, b = other / |other|   (a vector is left as is if its
 *                                              norm is <= 1e-8)
 *   dot = a . b
 *   |dot| > 0.9995  →  lerp: (1 - t) * base + t * other
 *   otherwise theta = acos(dot),
 *            out = sin((1-t)·theta)/sin(theta) · base + sin(t·theta)/sin(theta) · other
 *
 * The whole tensor is one vector (flattened), as in mergekit. One scan pass
 * accumulates the norms and the dot product (double precision, element order).
 */
import { GraftError } from "../errors";
import type { TensorKernel } from "../types";
import { defineMethod, type KernelContext } from "./kernel";
import { param } from "./parameters";

/** mergekit's colinearity threshold. */
export const SLERP_DOT_THRESHOLD = 0.9995;
/** mergekit's normalisation epsilon. */
export const SLERP_EPS = 1e-8;

/** Coefficients (c0, c1) with out = c0·v0 + c1·v1, from the statistics of v0 and v1. */
export function slerpCoefficients(
  t: number,
  sq0: number,
  sq1: number,
  dot: number,
  dotThreshold = SLERP_DOT_THRESHOLD,
  eps = SLERP_EPS,
): [number, number] {
  const n0 = Math.sqrt(sq0);
  const n1 = Math.sqrt(sq1);
  const cos = dot / ((n0 > eps ? n0 : 1) * (n1 > eps ? n1 : 1));
  if (Math.abs(cos) > dotThreshold) return [1 - t, t];
  const theta0 = Math.acos(cos);
  const sinTheta0 = Math.sin(theta0);
  const thetaT = theta0 * t;
  return [Math.sin(theta0 - thetaT) / sinTheta0, Math.sin(thetaT) / sinTheta0];
}

/** Spherical interpolation of two whole flattened tensors (mergekit semantics). */
export function slerpVectors(t: number, v0: Float32Array, v1: Float32Array): Float32Array {
  if (v0.length !== v1.length) {
    throw new GraftError("MISMATCH", `slerp: tensors have ${v0.length} and ${v1.length} elements`);
  }
  let sq0 = 0;
  let sq1 = 0;
  let dot = 0;
  for (let i = 0; i < v0.length; i++) {
    sq0 += v0[i] * v0[i];
    sq1 += v1[i] * v1[i];
    dot += v0[i] * v1[i];
  }
  const [c0, c1] = slerpCoefficients(t, sq0, sq1, dot);
  const out = new Float32Array(v0.length);
  for (let i = 0; i < v0.length; i++) out[i] = c0 * v0[i] + c1 * v1[i];
  return out;
}

export function createSlerpKernel(ctx: KernelContext): TensorKernel {
  const m = ctx.modelParams.length;
  if (m > 1) {
    throw new GraftError(
      "INVALID_RECIPE",
      `slerp: expects exactly two models, the base_model and one other; got ${m} besides the base`,
    );
  }
  const t = ctx.params.t;
  if (typeof t !== "number" || !Number.isFinite(t)) {
    throw new GraftError("INVALID_RECIPE", `slerp: parameter "t" must be a number, got ${String(t)}`);
  }
  let sq0 = 0;
  let sq1 = 0;
  let dot = 0;
  let c0 = 1;
  let c1 = 0;
  const needBase = (b: Float32Array | null): Float32Array => {
    if (!b) throw new GraftError("INVALID_RECIPE", "slerp: base_model is required (t = 0 is the base model)");
    return b;
  };
  return {
    scanPasses: m === 1 ? 1 : 0,
    scan(_pass, chunk) {
      const v0 = needBase(chunk.base);
      const v1 = chunk.models[0].weights();
      if (chunk.offset === 0) sq0 = sq1 = dot = 0;
      for (let i = 0; i < chunk.length; i++) {
        const a = v0[i];
        const b = v1[i];
        sq0 += a * a;
        sq1 += b * b;
        dot += a * b;
      }
    },
    endScan() {
      [c0, c1] = slerpCoefficients(t, sq0, sq1, dot);
    },
    merge(chunk, out) {
      const v0 = needBase(chunk.base);
      if (m === 0) {
        out.set(v0.subarray(0, chunk.length));
        return;
      }
      const v1 = chunk.models[0].weights();
      for (let i = 0; i < chunk.length; i++) out[i] = c0 * v0[i] + c1 * v1[i];
    },
  };
}

export const slerp = defineMethod({
  name: "slerp",
  description: "Spherical interpolation between base_model (t=0) and one other model (t=1)",
  requiresBase: true,
  minModels: 1,
  maxModels: 1,
  globalParameters: [param("t", "number", undefined, "interpolation factor: 0 = base_model, 1 = the other model")],
  modelParameters: [],
  kernel: createSlerpKernel,
});
