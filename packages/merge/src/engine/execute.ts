/**
 * Plan-then-execute, step two: streams every tensor of a validated plan
 * through the method's kernel into a checkpoint writer.
 *
 * Memory is bounded by the chunk size, not the model: each tensor is read in
 * element ranges ("chunks") of every input at once. A tensor whose chunks for
 * all inputs fit in `retainBytes` is read once and kept for the kernel's scan
 * passes; a larger one is re-read per pass. The next chunk is read while the
 * kernel computes the current one, so I/O and arithmetic overlap.
 */
import { createHash, type Hash } from "node:crypto";
import { GraftError } from "../errors";
import { fingerprintFromManifest } from "../fingerprint";
import { recipeToYaml } from "../recipe";
import { createCheckpointWriter, encodeFromFloat32 } from "../safetensors";
import { dtypeSize } from "../safetensors";
import type { MergeChunk, ModelTensor, TensorKernel } from "../types";
import type { InputModel, RawChunk } from "./inputs";
import type { MergePlan, PlannedTensor } from "./plan";

export interface MergeProgress {
  tensorsDone: number;
  tensorsTotal: number;
  bytesDone: number;
  bytesTotal: number;
  tensor: string;
}

export interface ExecuteOptions {
  outDir: string;
  maxShardBytes?: number;
  overwrite?: boolean;
  /** Config/tokenizer files copied into the output (from the base directory). */
  copyFiles?: readonly string[];
  /** Elements per chunk; default 4 Mi (16 MiB of float32 per input). */
  chunkElements?: number;
  /** Tensors whose float32 data for all inputs fits here are read only once. Default 256 MiB. */
  retainBytes?: number;
  onProgress?: (p: MergeProgress) => void;
  signal?: AbortSignal;
  /** Extra `__metadata__` entries (e.g. the registry's version ids). */
  metadata?: Record<string, string>;
}

export interface MergeResult {
  outDir: string;
  tensors: number;
  bytesWritten: number;
  baseFingerprint: string | null;
  inputs: InputRecord[];
}

export interface InputRecord {
  role: "base" | "model";
  ref: string;
  kind: InputModel["kind"];
  /** base/checkpoints: content fingerprint computed while streaming; task vectors: the foundation they target. */
  fingerprint: string | null;
  /** task vectors: sha256 of the task-vector file's header-declared identity */
  sha256?: string;
}

const DEFAULT_CHUNK = 4 << 20;
const DEFAULT_RETAIN = 256 << 20;

export async function executePlan(plan: MergePlan, options: ExecuteOptions): Promise<MergeResult> {
  const chunkElements = options.chunkElements ?? DEFAULT_CHUNK;
  const retainBytes = options.retainBytes ?? DEFAULT_RETAIN;
  const inputs = [plan.base, ...plan.models].filter((m): m is InputModel => m !== null);
  const fingerprints = new Map<InputModel, Record<string, { dtype: string; shape: number[]; sha256: string }>>();
  for (const input of inputs) if (input.kind === "checkpoint") fingerprints.set(input, {});

  const writer = await createCheckpointWriter(
    options.outDir,
    plan.tensors.map((t) => ({ name: t.name, dtype: t.outDtype, shape: t.shape })),
    {
      maxShardBytes: options.maxShardBytes,
      overwrite: options.overwrite,
      copyFiles: options.copyFiles,
      // Input fingerprints are only known once every byte has streamed by;
      // the header reserves room and is patched in finish().
      reserveMetadataBytes: 512 + 256 * inputs.length,
      metadata: { format: "pt" },
    },
  );

  let bytesDone = 0;
  try {
    for (let i = 0; i < plan.tensors.length; i++) {
      const t = plan.tensors[i]!;
      if (options.signal?.aborted) throw new GraftError("CANCELLED", "merge cancelled");
      const hashes = new Map<InputModel, Hash>();
      for (const input of fingerprints.keys()) if (input.has(t.name)) hashes.set(input, createHash("sha256"));
      if (t.action === "copy") {
        await copyTensor(plan.base ?? plan.models[0]!, t, writer, hashes, chunkElements);
      } else {
        await mergeTensor(plan, t, writer, hashes, chunkElements, retainBytes, options.signal);
      }
      for (const [input, hash] of hashes) {
        const info = input.info(t.name);
        fingerprints.get(input)![t.name] = { dtype: info.dtype, shape: info.shape, sha256: hash.digest("hex") };
      }
      if (plan.base && plan.foundationFingerprint) verifyBaseTensor(plan, t.name, fingerprints.get(plan.base)![t.name]!.sha256);
      bytesDone += t.outBytes;
      options.onProgress?.({ tensorsDone: i + 1, tensorsTotal: plan.tensors.length, bytesDone, bytesTotal: plan.totalOutBytes, tensor: t.name });
    }

    const records = inputs.map((input): InputRecord => ({
      role: input === plan.base ? "base" : "model",
      ref: input.ref,
      kind: input.kind,
      fingerprint: input.kind === "checkpoint" ? fingerprintFromManifest(fingerprints.get(input)!) : (input.fingerprint ?? null),
    }));
    const baseFingerprint = plan.base ? records[0]!.fingerprint : null;
    if (plan.foundationFingerprint && baseFingerprint !== plan.foundationFingerprint) {
      throw new GraftError("FINGERPRINT_MISMATCH", `base ${plan.base!.ref} is ${baseFingerprint}, but the task vectors were made against ${plan.foundationFingerprint}`);
    }
    await writer.finish({
      format: "pt",
      "graft.kind": "merged-model",
      "graft.recipe": recipeToYaml(plan.recipe),
      "graft.inputs": JSON.stringify(records),
      ...options.metadata,
    });
    return { outDir: options.outDir, tensors: plan.tensors.length, bytesWritten: bytesDone, baseFingerprint, inputs: records };
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/** Task vectors carry the sha256 of every base tensor: a different base is caught at its first differing tensor. */
function verifyBaseTensor(plan: MergePlan, name: string, sha256: string): void {
  const tv = plan.models.find((m) => m.kind === "task-vector");
  const expected = tv?.expectedBaseSha256?.(name);
  if (expected && expected !== sha256) {
    throw new GraftError(
      "FINGERPRINT_MISMATCH",
      `${plan.base!.ref}: tensor "${name}" differs from the foundation ${tv!.ref} was made against (${plan.foundationFingerprint})`,
    );
  }
}

interface ChunkWriter {
  writeChunk(name: string, bytes: Uint8Array): Promise<void>;
}

async function copyTensor(source: InputModel, t: PlannedTensor, writer: ChunkWriter, hashes: Map<InputModel, Hash>, chunkElements: number): Promise<void> {
  const size = dtypeSize(t.inDtype);
  for (let offset = 0; offset < t.numel || (t.numel === 0 && offset === 0); offset += chunkElements) {
    const count = Math.min(chunkElements, t.numel - offset);
    const raw = await source.readRaw(t.name, offset * size, count * size);
    hashes.get(source)?.update(raw);
    await writer.writeChunk(t.name, raw);
    if (t.numel === 0) break;
  }
}

/** One chunk's values for every input, as the kernel sees them. */
function buildChunk(offset: number, length: number, base: Float32Array | null, models: (RawChunk | null)[], inputs: InputModel[]): MergeChunk {
  return {
    offset,
    length,
    base,
    models: models.map((m, i) => lazyModelTensor(inputs[i]!.kind, m?.values ?? null, base, length)),
  };
}

function lazyModelTensor(kind: InputModel["kind"], values: Float32Array | null, base: Float32Array | null, length: number): ModelTensor {
  let weights: Float32Array | null = kind === "checkpoint" ? values : null;
  let delta: Float32Array | null = kind === "task-vector" ? (values ?? new Float32Array(length)) : null;
  return {
    weights() {
      if (!weights) {
        if (!base) throw new GraftError("INVALID_RECIPE", "a task vector needs base_model");
        weights = new Float32Array(length);
        for (let j = 0; j < length; j++) weights[j] = base[j]! + delta![j]!;
      }
      return weights;
    },
    delta() {
      if (!delta) {
        if (!base) throw new GraftError("INVALID_RECIPE", "this merge method needs base_model");
        delta = new Float32Array(length);
        for (let j = 0; j < length; j++) delta[j] = weights![j]! - base[j]!;
      }
      return delta;
    },
  };
}

function chunkLength(method: MergePlan["method"], t: PlannedTensor, chunkElements: number): number {
  if (!method.rowAligned || t.shape.length < 2) return Math.max(1, Math.min(chunkElements, t.numel));
  const row = t.shape[t.shape.length - 1]!;
  return Math.max(row, Math.floor(Math.min(chunkElements, t.numel) / row) * row);
}

async function mergeTensor(
  plan: MergePlan,
  t: PlannedTensor,
  writer: ChunkWriter,
  hashes: Map<InputModel, Hash>,
  chunkElements: number,
  retainBytes: number,
  signal?: AbortSignal,
): Promise<void> {
  const kernel: TensorKernel = plan.method.createKernel({
    name: t.name,
    shape: t.shape,
    numel: t.numel,
    params: t.params,
    modelParams: t.modelParams,
    seed: plan.seed,
  });
  const inputCount = plan.models.length + (plan.base ? 1 : 0);
  const retain = t.numel * 4 * (inputCount + 1) <= retainBytes;
  const len = retain ? t.numel : chunkLength(plan.method, t, chunkElements);
  const offsets: number[] = [];
  for (let o = 0; o < t.numel; o += len) offsets.push(o);
  if (t.numel === 0) offsets.push(0);

  let cached: MergeChunk | null = null;
  const load = async (offset: number, hash: boolean): Promise<MergeChunk> => {
    const count = Math.min(len, t.numel - offset);
    const [base, ...models] = await Promise.all([
      plan.base ? plan.base.readChunk(t.name, offset, count) : null,
      ...plan.models.map((m) => m.readChunk(t.name, offset, count)),
    ]);
    if (hash) {
      if (plan.base && base?.raw) hashes.get(plan.base)?.update(base.raw);
      plan.models.forEach((m, i) => {
        const raw = models[i]?.raw;
        if (raw) hashes.get(m)?.update(raw);
      });
    }
    return buildChunk(offset, count, base?.values ?? null, models, plan.models);
  };

  const passes = kernel.scanPasses + 1;
  for (let pass = 0; pass < passes; pass++) {
    const merging = pass === kernel.scanPasses;
    let next: Promise<MergeChunk> | null = cached ? Promise.resolve(cached) : load(offsets[0]!, pass === 0);
    for (let c = 0; c < offsets.length; c++) {
      if (signal?.aborted) throw new GraftError("CANCELLED", "merge cancelled");
      const chunk: MergeChunk = await next!;
      // Start reading the next chunk before computing this one.
      next = c + 1 < offsets.length ? load(offsets[c + 1]!, pass === 0) : null;
      if (retain) cached = chunk;
      if (!merging) {
        kernel.scan!(pass, chunk);
      } else {
        const out = new Float32Array(chunk.length);
        kernel.merge(chunk, out);
        await writer.writeChunk(t.name, encodeFromFloat32(t.outDtype, out));
      }
    }
    if (!merging) kernel.endScan?.(pass);
  }
}
