/**
 * The generalized task arithmetic kernel (mergekit
 * `GeneralizedTaskArithmeticMerge` / `GTATask`), shared by task_arithmetic,
 * ties, dare_*, breadcrumbs*, della*.
 *
 * Why it exists: those eight methods are one algorithm with three switches
 * (sparsifier, sign consensus, default normalize/rescale; the table is in
 * task-vector-methods.ts). Per tensor:
 *
 *   delta_i   = model_i - base
 *   delta_i   = sparsify(delta_i, density_i, ...)        if a sparsifier is set
 *   v_i       = weight_i * delta_i                        (float32, like torch)
 *   consensus:  mask_i = sign(v_i) == elect(v)            (see consensus.ts)
 *               mixed = sum_i v_i*mask_i, divisor = sum_i weight_i*mask_i,
 *               divisor := 1 where divisor == 0
 *   otherwise:  mixed = sum_i v_i, divisor = sum_i weight_i,
 *               divisor := 1 where |divisor| < 1e-8
 *   if normalize: mixed /= divisor
 *   out = base + lambda * mixed
 *
 * Streaming: the sparsifiers' scan passes (top-k selection, norm sums) run
 * first; the merge pass then sparsifies each chunk into one reusable
 * chunk-sized buffer per model and mixes in one fused loop (float32, see
 * fused-mix.ts). A top-k filter without rescale needs no buffer: the mix
 * applies it as a magnitude-key floor while it reads the deltas (in the one
 * chunk per tensor where the boundary key's quota runs out, as two floors
 * over two ranges). For BF16 checkpoints the SIMD kernels read the stored
 * weights and subtract the base themselves, so those deltas are never
 * written to memory. Nothing tensor-sized is held per model except by DELLA
 * on tensors of rank < 2 (one row: gathered whole).
 */
import { GraftError } from "../errors";
import { SimdArena } from "../simd/arena";
import { simdCountKeyBf16, simdMixBf16, simdNthKeyBf16, simdRankProbesBf16 } from "../simd/ops";
import type { ParamValue, Prng, TensorKernel, TensorMergeInput } from "../types";
import type { ConsensusMethod } from "./consensus";
import { compileMix } from "./fused-mix";
import { defineMethod, runKernelWhole, scratchOf, type GraftMergeMethod, type KernelContext } from "./kernel";
import { param, type ChoiceParameterDef } from "./parameters";
import { seedWordsFrom } from "./prng";
import { countKeyIn, type KeyFloor, nthKeyIn } from "./select";
import { RESCALE_MODES, type RescaleMode } from "./rescale";
import { createSparsifier, isRandomSparsifier, type ChunkSparsifier, type SparsificationMethod } from "./sparsify";

/** mergekit's divisor guard when no consensus is used. */
export const DIVISOR_EPS = 1e-8;

export interface GtaConfig {
  sparsification: SparsificationMethod | null;
  consensus: ConsensusMethod | null;
}

/** One row of the method table (mergekit registry.py). */
export interface GtaMethodRow extends GtaConfig {
  name: string;
  description: string;
  defaultNormalize: boolean;
  defaultRescale: boolean;
}

function numberParam(params: Record<string, ParamValue>, name: string, fallback: number, where: string): number {
  const v = params[name];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new GraftError("INVALID_RECIPE", `${where}: parameter "${name}" must be a finite number, got ${String(v)}`);
  }
  return v;
}

function boolParam(params: Record<string, ParamValue>, name: string, fallback: boolean, where: string): boolean {
  const v = params[name];
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") {
    throw new GraftError("INVALID_RECIPE", `${where}: parameter "${name}" must be a boolean, got ${String(v)}`);
  }
  return v;
}

function rescaleModeParam(params: Record<string, ParamValue>, where: string): RescaleMode {
  const v = params.rescale_mode ?? "l1";
  if (typeof v !== "string" || !RESCALE_MODES.includes(v as RescaleMode) || v === "none") {
    throw new GraftError(
      "INVALID_RECIPE",
      `${where}: parameter "rescale_mode" must be one of l1, l2, linf, inverse_density, got ${String(v)}`,
    );
  }
  return v as RescaleMode;
}

/** Options beyond the parameter maps, for direct use of the kernel. */
export interface GtaDefaults {
  normalize: boolean;
  rescale: boolean;
  /** Method name used in error messages. */
  name?: string;
}

/**
 * The generalized task arithmetic kernel for one tensor. Global params read:
 * normalize, rescale, rescale_mode, lambda (int8_mask is accepted and
 * irrelevant: masks are never materialised). Per-model: weight (required),
 * density, gamma, epsilon. For random sparsifiers, every model takes four
 * seed words from `rng`, in model order (whatever its density), so each
 * model's mask depends only on (seed, tensor name, model position).
 */
export function createGtaKernel(ctx: KernelContext, rng: Prng, config: GtaConfig, defaults: GtaDefaults): TensorKernel {
  const where = `${defaults.name ?? "task arithmetic"} (${ctx.name})`;
  const params = ctx.params;
  const normalize = boolParam(params, "normalize", defaults.normalize, where);
  const lambda = numberParam(params, "lambda", 1, where);
  const rescale: RescaleMode = boolParam(params, "rescale", defaults.rescale, where)
    ? rescaleModeParam(params, where)
    : "none";
  const m = ctx.modelParams.length;
  const weights = new Float64Array(m);
  const sparsifiers: (ChunkSparsifier | null)[] = [];
  for (let i = 0; i < m; i++) {
    const mp = ctx.modelParams[i];
    const w = mp.weight;
    if (typeof w !== "number" || !Number.isFinite(w)) {
      throw new GraftError("INVALID_RECIPE", `${where}: model ${i} needs a numeric "weight", got ${String(w)}`);
    }
    weights[i] = w;
    if (!config.sparsification) {
      sparsifiers.push(null);
      continue;
    }
    const density = numberParam(mp, "density", 1, where);
    if (density < 0) throw new GraftError("INVALID_RECIPE", `${where}: density must be >= 0, got ${density}`);
    const seedWords = isRandomSparsifier(config.sparsification) ? seedWordsFrom(rng) : undefined;
    sparsifiers.push(
      createSparsifier({
        method: config.sparsification,
        numel: ctx.numel,
        shape: ctx.shape,
        density,
        gamma: numberParam(mp, "gamma", 0.01, where),
        epsilon: numberParam(mp, "epsilon", 0.15, where),
        rescale,
        seedWords,
      }),
    );
  }
  const buffers: (Float32Array | null)[] = new Array(m).fill(null);
  const deltas: (Float32Array | null)[] = new Array(m).fill(null);
  const floors = new Int32Array(m);
  const keyFloors: KeyFloor[] = new Array(m).fill(-1);
  const mix = compileMix(m, config.consensus);

  let divisorAll = 0;
  for (let i = 0; i < m; i++) divisorAll += weights[i];
  if (Math.abs(divisorAll) < DIVISOR_EPS) divisorAll = 1;
  const linearScale = normalize ? lambda / divisorAll : lambda;
  const bySum = config.consensus === "sum";

  return {
    // Re-read after every pass: a sparsifier may finish early.
    get scanPasses() {
      return sparsifiers.reduce((a, sp) => Math.max(a, sp ? sp.scanPasses : 0), 0);
    },
    scan(pass, chunk) {
      const { base, offset, length: n } = chunk;
      const scanning = sparsifiers.map((sp) => (sp && pass < sp.scanPasses ? sp : null));
      // BF16 checkpoints: the SIMD kernels compute the deltas from the stored weights, without writing them.
      const raw = chunk.models.map((model, i) => (base && scanning[i] ? (model.bf16Weights?.() ?? null) : null));
      // Models whose pass is a rank probe are probed together: one call, the base read once.
      const probing = scanning.flatMap((sp, i) => {
        const key = raw[i] ? (sp?.probeKey?.(raw[i]!, base!, n) ?? null) : null;
        return key === null ? [] : [{ i, key }];
      });
      const counts = probing.length > 0 ? simdRankProbesBf16(probing.map(({ i }) => raw[i]!), base!, n, probing.map(({ key }) => key)) : null;
      counts?.forEach((c, j) => scanning[probing[j]!.i]!.probed!(offset, c, n));
      for (let i = 0; i < m; i++) {
        const sp = scanning[i];
        if (!sp || (counts && probing.some((p) => p.i === i))) continue;
        if (raw[i] && sp.scanWeights?.(pass, offset, raw[i]!, base!, n)) continue;
        sp.scan(pass, offset, chunk.models[i].delta());
      }
    },
    endScan(pass) {
      for (const sp of sparsifiers) if (sp && pass < sp.scanPasses) sp.endScan(pass);
    },
    merge(chunk, out) {
      const base = chunk.base;
      if (!base) throw new GraftError("INVALID_RECIPE", `${where}: base_model is required`);
      const n = chunk.length;
      if (m === 0) {
        out.set(base.subarray(0, n));
        return;
      }
      // BF16 checkpoints in WebAssembly memory: the SIMD kernels read their
      // weights and subtract the base themselves, so no delta is decoded into
      // memory, unless a model's trim needs `apply` in this chunk.
      const raw = chunk.models.map((model) => model.bf16Weights?.() ?? null);
      const fromWeights = raw.every((r) => r !== null) ? (raw as Uint8Array[]) : null;
      const delta = (i: number): Float32Array => {
        const d = chunk.models[i].delta();
        if (d.length !== n) throw new GraftError("MISMATCH", `${where}: model ${i} chunk has ${d.length} elements, expected ${n}`);
        return d;
      };
      const countKey = (i: number, key: number): number =>
        (fromWeights ? simdCountKeyBf16(fromWeights[i]!, base, n, key) : null) ?? countKeyIn(delta(i), key);
      const nthKey = (i: number, key: number, k: number): number =>
        (fromWeights ? simdNthKeyBf16(fromWeights[i]!, base, n, key, k) : null) ?? nthKeyIn(delta(i), key, k);
      let applied = false;
      for (let i = 0; i < m; i++) {
        const sp = sparsifiers[i];
        // A top-k filter is applied by the mix itself, as a key floor (two,
        // split at an element, in the chunk where its boundary key's quota
        // runs out); `apply` only where the filter cannot say.
        const floor = sp ? (sp.keyFloor?.(chunk.offset, (key) => countKey(i, key), (key, k) => nthKey(i, key, k)) ?? null) : -1;
        keyFloors[i] = floor ?? -1;
        if (floor === null) {
          const d = delta(i);
          // Beside the deltas in WebAssembly memory when they are there, so the SIMD kernels work in place.
          const buf = SimdArena.owning(d)?.scratchFloats(i, n) ?? scratchOf(buffers, i, n);
          sp!.apply(chunk.offset, d, buf);
          deltas[i] = buf;
          applied = true;
        } else deltas[i] = null;
      }
      const scale = config.consensus ? lambda : linearScale;
      // Mixed in ranges over which every model has one floor: split where a model's floor changes.
      const cuts = [...new Set(keyFloors.flatMap((f) => (typeof f === "number" ? [] : [f.at])))].filter((at) => at > 0 && at < n).sort((a, b) => a - b);
      const bounds = [0, ...cuts, n];
      for (let r = 0; r + 1 < bounds.length; r++) {
        const [from, to] = [bounds[r]!, bounds[r + 1]!];
        keyFloors.forEach((f, i) => (floors[i] = typeof f === "number" ? f : from < f.at ? f.before : f.after));
        const part = <T extends Float32Array | Uint8Array>(x: T, size = 1) => x.subarray(from * size, to * size) as T;
        if (fromWeights && !applied && simdMixBf16(config.consensus, part(out), part(base), fromWeights.map((w) => part(w, 2)), weights, to - from, scale, normalize, floors)) continue;
        for (let i = 0; i < m; i++) deltas[i] ??= delta(i);
        mix(part(out), part(base), (deltas as Float32Array[]).map((d) => part(d)), weights, to - from, scale, normalize, floors);
      }
    },
  };
}

/**
 * Runs generalized task arithmetic on one whole tensor (the kernel over a
 * single chunk); `input.rng` supplies the per-model seed words.
 */
export function generalizedTaskArithmetic(input: TensorMergeInput, config: GtaConfig, defaults: GtaDefaults): Float32Array {
  if (!input.base) {
    throw new GraftError("INVALID_RECIPE", `${defaults.name ?? "task arithmetic"} (${input.name}): base_model is required`);
  }
  const numel = input.base.length;
  const kernel = createGtaKernel(
    { name: input.name, shape: input.shape, numel, params: input.params, modelParams: input.modelParams },
    input.rng,
    config,
    defaults,
  );
  return runKernelWhole(kernel, input, numel);
}

/** Global parameters of a GTA method, as mergekit declares them (+ rescale_mode). */
export function gtaGlobalParameters(row: GtaMethodRow): ChoiceParameterDef[] {
  const defs: ChoiceParameterDef[] = [
    param("int8_mask", "boolean", false, "mergekit memory option for the sign mask; accepted and ignored (Graft never stores masks)"),
    param(
      "normalize",
      "boolean",
      row.defaultNormalize,
      "divide the mixed delta by the sum of the weights (of the agreeing models, with consensus)",
    ),
    param(
      "rescale",
      "boolean",
      row.defaultRescale,
      "rescale sparsified deltas (mergekit: match the L1 norm of the unpruned delta); no effect without sparsification",
    ),
    param("lambda", "number", 1.0, "scale applied to the mixed delta before adding it to the base"),
  ];
  if (row.sparsification) {
    defs.push(
      param(
        "rescale_mode",
        "string",
        "l1",
        "Graft extension: how `rescale: true` rescales — l1 (mergekit), l2, linf, or inverse_density (the DARE/DELLA papers: divide by the keep probability)",
        ["l1", "l2", "linf", "inverse_density"],
      ),
    );
  }
  return defs;
}

/** Per-model parameters of a GTA method, as mergekit declares them. */
export function gtaModelParameters(row: GtaMethodRow): ChoiceParameterDef[] {
  const defs: ChoiceParameterDef[] = [
    param("weight", "number", undefined, "multiplier of this model's task vector"),
    param(
      "density",
      "number",
      1.0,
      row.sparsification ? "fraction of the task vector kept by sparsification (>= 1: keep all)" : "accepted; no effect without sparsification",
    ),
  ];
  if (row.sparsification === "magnitude_outliers") {
    defs.push(param("gamma", "number", 0.01, "fraction of the largest-magnitude entries removed (paper's beta)"));
  }
  if (row.sparsification === "della_magprune") {
    defs.push(
      param("epsilon", "number", 0.15, "keep probabilities span [density - epsilon, density + epsilon] by magnitude rank"),
    );
  }
  return defs;
}

/** A merge method (whole-tensor and streaming) from one table row. */
export function createGtaMethod(row: GtaMethodRow): GraftMergeMethod {
  const config: GtaConfig = { sparsification: row.sparsification, consensus: row.consensus };
  const defaults: GtaDefaults = { normalize: row.defaultNormalize, rescale: row.defaultRescale, name: row.name };
  return defineMethod({
    name: row.name,
    description: row.description,
    requiresBase: true,
    minModels: 1,
    // DELLA ranks within rows of the last dimension.
    rowAligned: row.sparsification === "della_magprune",
    globalParameters: gtaGlobalParameters(row),
    modelParameters: gtaModelParameters(row),
    kernel: (ctx, rng) => createGtaKernel(ctx, rng, config, defaults),
  });
}
