/**
 * The inputs of a merge, whatever they are on disk — a Hugging Face
 * directory, a sharded index, a single .safetensors file, or a task-vector
 * file (recognised by its metadata) — behind one interface that reads any
 * element range of any tensor as float32.
 */
import { isAbsolute, resolve } from "node:path";
import { GraftError } from "../errors";
import type { IdentifiedFile } from "../hash-cache";
import { dtypeSize, openCheckpoint, openSafetensors, type CheckpointReader, type SafetensorsFile } from "../safetensors";
import { isTaskVectorFile, openTaskVector, type StoredDeltaData, type TaskVectorReader } from "../taskvector";
import type { DType, TensorInfo } from "../types";

/**
 * One input's data for an element range: weights for checkpoints, deltas for
 * task vectors. Stored bytes stay undecoded until the engine decodes them into
 * its reusable buffers (and hashes them, for content fingerprints).
 */
export type RawChunk = { bytes: Uint8Array; dtype: DType } | { values: Float32Array };

export interface InputModel {
  /** The reference as written in the recipe. */
  ref: string;
  path: string;
  kind: "checkpoint" | "task-vector";
  /** Checkpoints: their tensors. Task vectors: every tensor of the foundation they target. */
  tensorNames: readonly string[];
  has(name: string): boolean;
  info(name: string): TensorInfo;
  /** Task vectors: the foundation fingerprint they were made against. */
  fingerprint?: string;
  /** Task vectors: the sha256 the foundation's tensor must have. */
  expectedBaseSha256?(name: string): string | undefined;
  /**
   * Elements [offset, offset + count) of a tensor; null for a task vector
   * without a delta there. Stored bytes go into `into` when it is given and
   * large enough (the engine's reusable, SIMD-addressable slots).
   */
  readChunk(name: string, offset: number, count: number, into?: Uint8Array): Promise<RawChunk | null>;
  /** Checkpoints: the file holding a tensor, whose identity keys the hash cache. */
  fileOf?(name: string): IdentifiedFile;
  /** Stored bytes of a tensor range (checkpoints only). */
  readRaw(name: string, byteOffset: number, byteLength: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface OpenInputOptions {
  /** Relative references resolve against this directory (the recipe's). Default: cwd. */
  baseDir?: string;
}

export async function openInput(ref: string, options: OpenInputOptions = {}): Promise<InputModel> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) {
    throw new GraftError("UNSUPPORTED", `${ref}: remote models are not fetched; download it and give the local path`);
  }
  if (ref.includes("+")) {
    throw new GraftError("UNSUPPORTED", `${ref}: "model+lora" references are not supported; import the adapter with \`graft import-lora\` and list the task vector instead`);
  }
  const path = isAbsolute(ref) ? ref : resolve(options.baseDir ?? process.cwd(), ref);
  if (path.endsWith(".safetensors") && (await isTaskVectorFile(path))) return openTaskVectorInput(ref, path);
  return checkpointInput(ref, path, await openCheckpoint(path));
}

function checkpointInput(ref: string, path: string, reader: CheckpointReader): InputModel {
  const names = reader.tensors.map((t) => t.name);
  const readRaw = (name: string, byteOffset: number, byteLength: number, into?: Uint8Array) =>
    reader.readBytesRange(name, byteOffset, byteLength, into && into.byteLength >= byteLength ? into : undefined);
  return {
    ref,
    path,
    kind: "checkpoint",
    tensorNames: names,
    has: (name) => reader.has(name),
    info: (name) => reader.info(name),
    fileOf: (name) => reader.fileOf(name),
    readRaw,
    async readChunk(name, offset, count, into) {
      const { dtype } = reader.info(name);
      const size = dtypeSize(dtype);
      return { bytes: await readRaw(name, offset * size, count * size, into), dtype };
    },
    close: () => reader.close(),
  };
}

async function openTaskVectorInput(ref: string, path: string): Promise<InputModel> {
  const tv: TaskVectorReader = await openTaskVector(path);
  let file: SafetensorsFile;
  try {
    file = await openSafetensors(path);
  } catch (e) {
    await tv.close();
    throw e;
  }
  const names = Object.keys(tv.manifest);
  // Sparse and low-rank deltas are small by construction: the current
  // tensor's factors stay in memory while its chunks are produced.
  let cached: { name: string; data: StoredDeltaData } | null = null;
  const stored = async (name: string) => {
    if (cached?.name !== name) {
      const data = await tv.readStored(name);
      cached = data ? { name, data } : null;
    }
    return cached?.data ?? null;
  };
  return {
    ref,
    path,
    kind: "task-vector",
    tensorNames: names,
    fingerprint: tv.fingerprint,
    has: (name) => name in tv.manifest,
    info(name) {
      const entry = tv.manifest[name];
      if (!entry) throw new GraftError("NOT_FOUND", `${ref}: foundation has no tensor "${name}"`);
      const dtype = entry.dtype as DType;
      return { name, dtype, shape: entry.shape, byteLength: entry.shape.reduce((a, b) => a * b, 1) * dtypeSize(dtype) };
    },
    expectedBaseSha256: (name) => tv.manifest[name]?.sha256,
    async readChunk(name, offset, count, into) {
      const storage = tv.storage(name);
      if (!storage) return null;
      if (storage.kind === "dense") {
        const { dtype } = file.info(storage.tensor);
        const size = dtypeSize(dtype);
        const target = into && into.byteLength >= count * size ? into : undefined;
        return { bytes: await file.readBytesRange(storage.tensor, offset * size, count * size, target), dtype };
      }
      const data = (await stored(name))!;
      return { values: decodeRange(data, offset, count) };
    },
    readRaw() {
      throw new GraftError("UNSUPPORTED", `${ref}: a task vector has no raw weights`);
    },
    async close() {
      await Promise.all([tv.close(), file.close()]);
    },
  };
}

/** Dense values of elements [offset, offset + count) from a sparse or low-rank delta. */
export function decodeRange(data: StoredDeltaData, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  if (data.kind === "dense") {
    out.set(data.values.subarray(offset, offset + count));
  } else if (data.kind === "sparse") {
    // indices are ascending: binary search the first one in range
    const { indices, values } = data;
    let lo = 0;
    let hi = indices.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (indices[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    const end = offset + count;
    for (let i = lo; i < indices.length && indices[i]! < end; i++) out[indices[i]! - offset] = values[i]!;
  } else {
    const { up, down, rank, cols } = data;
    for (let j = 0; j < count; j++) {
      const flat = offset + j;
      const row = Math.floor(flat / cols);
      const col = flat - row * cols;
      let sum = 0;
      for (let k = 0; k < rank; k++) sum += up[row * rank + k]! * down[k * cols + col]!;
      out[j] = sum;
    }
  }
  return out;
}
