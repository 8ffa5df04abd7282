/**
 * One implementation per method, two ways to call it.
 *
 * Why it exists: the engine streams tensors in chunks through a
 * `TensorKernel` (types.ts `StreamingMergeMethod.createKernel`), while tests,
 * tools and small merges want `mergeTensor(input)` on whole Float32Arrays.
 * Every method here is written once, as a kernel factory; `defineMethod`
 * derives both entry points from it, so the two can never disagree:
 *
 *  - createKernel(ctx): the kernel with its PRNG = createPrng(ctx.seed, ctx.name)
 *  - mergeTensor(input): the same kernel with PRNG = input.rng, run over a
 *    single chunk covering the whole tensor (scan passes, then merge).
 *
 * Given TensorMergeInput.rng = createPrng(seed, name) (the engine's rule), the
 * two produce identical bytes, for any chunking: kernels accumulate their
 * statistics in element order and restart PRNG sub-streams at offset 0.
 */
import type {
  MergeChunk,
  MergeMethod,
  ParamValue,
  Prng,
  StreamingMergeMethod,
  TensorKernel,
  TensorMergeInput,
} from "../types";
import { createPrng } from "./prng";

/** A merge method usable both whole-tensor and streaming. */
export type GraftMergeMethod = MergeMethod & StreamingMergeMethod;

/** What a kernel factory needs (TensorContext without the seed). */
export interface KernelContext {
  name: string;
  shape: number[];
  numel: number;
  params: Record<string, ParamValue>;
  modelParams: Record<string, ParamValue>[];
}

export type KernelFactory = (ctx: KernelContext, rng: Prng) => TensorKernel;

export interface MethodDefinition extends Omit<StreamingMergeMethod, "createKernel"> {
  kernel: KernelFactory;
}

/** Runs a kernel over one chunk that spans the whole tensor. */
export function runKernelWhole(kernel: TensorKernel, input: TensorMergeInput, numel: number): Float32Array {
  const chunk: MergeChunk = { offset: 0, length: numel, base: input.base, models: input.models };
  for (let pass = 0; pass < kernel.scanPasses; pass++) {
    kernel.scan?.(pass, chunk);
    kernel.endScan?.(pass);
  }
  const out = new Float32Array(numel);
  kernel.merge(chunk, out);
  return out;
}

/** Element count of a whole-tensor input (base first, else the first model's weights). */
export function wholeNumel(input: TensorMergeInput): number {
  if (input.base) return input.base.length;
  if (input.models.length > 0) return input.models[0].weights().length;
  return input.shape.reduce((a, b) => a * b, 1);
}

export function defineMethod(def: MethodDefinition): GraftMergeMethod {
  const { kernel, ...rest } = def;
  return {
    ...rest,
    createKernel: (ctx) =>
      kernel(
        { name: ctx.name, shape: ctx.shape, numel: ctx.numel, params: ctx.params, modelParams: ctx.modelParams },
        createPrng(ctx.seed, ctx.name),
      ),
    mergeTensor: (input) => {
      const numel = wholeNumel(input);
      const k = kernel(
        { name: input.name, shape: input.shape, numel, params: input.params, modelParams: input.modelParams },
        input.rng,
      );
      return runKernelWhole(k, input, numel);
    },
  };
}

/** A reusable per-model scratch buffer of exactly `length` elements. */
export function scratchOf(pool: (Float32Array | null)[], i: number, length: number): Float32Array {
  let b = pool[i];
  if (!b || b.length !== length) {
    b = new Float32Array(length);
    pool[i] = b;
  }
  return b;
}
