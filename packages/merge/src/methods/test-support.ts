/**
 * Test fixtures for the method tests: builds TensorMergeInput values from
 * plain number arrays and runs a method with parameters resolved the way the
 * engine resolves them. Not part of the public API.
 */
import type { ModelTensor, ParamValue, TensorMergeInput } from "../types";
import { createPrng } from "./prng";
import { getMethod, resolveParameters } from "./registry";

export function f32(values: ArrayLike<number>): Float32Array {
  return Float32Array.from(values as ArrayLike<number>);
}

/** A ModelTensor over full weights; delta() computed against `base` when there is one. */
export function modelTensor(weights: Float32Array, base: Float32Array | null): ModelTensor {
  let delta: Float32Array | null = null;
  return {
    weights: () => weights,
    delta: () => {
      if (!base) throw new Error("no base");
      if (!delta) {
        delta = new Float32Array(weights.length);
        for (let i = 0; i < weights.length; i++) delta[i] = weights[i] - base[i];
      }
      return delta;
    },
  };
}

export interface RunOptions {
  base: ArrayLike<number> | null;
  models: ArrayLike<number>[];
  modelParams?: Record<string, ParamValue>[];
  params?: Record<string, ParamValue>;
  shape?: number[];
  seed?: number;
  name?: string;
}

export function buildInput(methodName: string, o: RunOptions): TensorMergeInput {
  const method = getMethod(methodName);
  const base = o.base ? f32(o.base) : null;
  const models = o.models.map((w) => modelTensor(f32(w), base));
  const name = o.name ?? "layer.weight";
  return {
    name,
    shape: o.shape ?? [o.models[0]?.length ?? base?.length ?? 0],
    base,
    models,
    modelParams: (o.modelParams ?? o.models.map(() => ({}))).map((p) => resolveParameters(method, p, "model")),
    params: resolveParameters(method, o.params ?? {}, "global"),
    rng: createPrng(o.seed ?? 0, name),
  };
}

export function run(methodName: string, o: RunOptions): number[] {
  return Array.from(getMethod(methodName).mergeTensor(buildInput(methodName, o)));
}

/** Deterministic test data (independent of the PRNG under test). */
export function lcgData(n: number, seed = 1, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}
