/**
 * Task-vector extraction: delta = finetuned − base for every float tensor,
 * encoded dense, sparse (top-k magnitude) or low-rank (randomized SVD), with
 * the base's fingerprint and manifest computed from the same single read of
 * its bytes. Memory stays at a couple of tensors: both checkpoints are read
 * tensor by tensor and every encoded delta goes straight to disk.
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import { GraftError } from "../errors";
import { fingerprintFromManifest, structureDiff, structureOf, type Manifest } from "../fingerprint";
import { compareNames, decodeToFloat32, isFloatDType } from "../safetensors";
import type { DType, TensorInfo, TensorReader } from "../types";
import {
  encodeManifest,
  isDeltaDType,
  numelOf,
  SUFFIX_DOWN,
  SUFFIX_INDICES,
  SUFFIX_UP,
  SUFFIX_VALUES,
  type DeltaDType,
  type TaskVectorEncoding,
} from "./format";

const RESERVED_SUFFIXES = [SUFFIX_INDICES, SUFFIX_VALUES, SUFFIX_UP, SUFFIX_DOWN];
import { TaskVectorWriter } from "./writer";

export interface ExtractProgress {
  phase: "extract" | "assemble";
  /** The base tensor just processed (extract phase). */
  tensor?: string;
  done: number;
  total: number;
}

export interface ExtractOptions {
  base: TensorReader;
  finetuned: TensorReader;
  /** Output file path (written atomically). */
  out: string;
  encoding: TaskVectorEncoding;
  /**
   * Dtype of the stored deltas. Default: the base's float dtype when all its
   * float tensors share F16 or BF16, otherwise F32.
   */
  deltaDtype?: DType;
  /** Seed for the randomized SVD (low-rank); each tensor's seed derives from it and its name. Default 0. */
  seed?: number;
  /** Names recorded in the provenance (default: the readers' file names when they have a `path`). */
  baseName?: string;
  finetunedName?: string;
  /** Extra provenance fields (merged into graft.provenance). */
  provenance?: Record<string, unknown>;
  onProgress?: (progress: ExtractProgress) => void;
  signal?: AbortSignal;
}

export interface ExtractReport {
  /** Base tensors with a delta in the file. */
  tensors: number;
  /** Size of the written file in bytes. */
  bytesWritten: number;
  /** Bytes of tensor data a dense encoding in the same delta dtype would need. */
  denseBytes: number;
  /** denseBytes / bytesWritten. */
  compressionRatio: number;
  /** ‖stored − exact‖_F / ‖exact‖_F over all deltas. */
  relativeError: number;
  /** Largest per-tensor relative Frobenius error. */
  perTensorMaxError: number;
  /** Foundation fingerprint. */
  fingerprint: string;
  finetunedFingerprint: string;
  deltaDtype: DeltaDType;
  /** Non-fatal observations (e.g. integer tensors that differ and are not carried). */
  warnings: string[];
}

/** Validates the encoding request; throws INVALID_ARGUMENT naming the bad value. */
export function checkEncoding(encoding: TaskVectorEncoding | undefined): TaskVectorEncoding {
  if (!encoding || typeof encoding !== "object") throw new GraftError("INVALID_ARGUMENT", "encoding is required ({kind: \"dense\" | \"sparse\" | \"lowrank\"})");
  switch (encoding.kind) {
    case "dense":
      return { kind: "dense" };
    case "sparse": {
      const d = encoding.density;
      if (typeof d !== "number" || !(d > 0 && d <= 1)) {
        throw new GraftError("INVALID_ARGUMENT", `sparse density must be a number in (0, 1], got ${JSON.stringify(d)}`);
      }
      return { kind: "sparse", density: d };
    }
    case "lowrank": {
      const r = encoding.rank;
      if (!Number.isSafeInteger(r) || r < 1) throw new GraftError("INVALID_ARGUMENT", `low-rank rank must be a positive integer, got ${JSON.stringify(r)}`);
      return { kind: "lowrank", rank: r };
    }
    default:
      throw new GraftError("INVALID_ARGUMENT", `unknown encoding ${JSON.stringify((encoding as { kind?: unknown }).kind)} (expected dense, sparse or lowrank)`);
  }
}

/** Default delta dtype: the common half-precision dtype of the float tensors, else F32. */
export function defaultDeltaDtype(tensors: readonly TensorInfo[]): DeltaDType {
  const floats = new Set(tensors.filter((t) => isFloatDType(t.dtype)).map((t) => t.dtype));
  if (floats.size === 1) {
    const only = [...floats][0];
    if (only === "F16" || only === "BF16") return only;
  }
  return "F32";
}

export function checkDeltaDtype(dtype: unknown): DeltaDType {
  if (!isDeltaDType(dtype)) throw new GraftError("INVALID_ARGUMENT", `delta dtype must be F32, F16 or BF16, got ${JSON.stringify(dtype)}`);
  return dtype;
}

function labelOf(reader: TensorReader, given: string | undefined, fallback: string): string {
  if (given) return given;
  const path = (reader as { path?: unknown }).path;
  return typeof path === "string" ? basename(path) : fallback;
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new GraftError("CANCELLED", "task-vector extraction was cancelled");
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Parameters recorded in graft.encoding.params. */
export function encodingParamsOf(encoding: TaskVectorEncoding, seed: number): Record<string, unknown> {
  switch (encoding.kind) {
    case "dense":
      return {};
    case "sparse":
      return { density: encoding.density, selection: "top-k magnitude, ties to lower index" };
    case "lowrank":
      return { rank: encoding.rank, method: "randomized-svd", oversampling: 8, power_iterations: 2, seed };
  }
}

/**
 * delta = ft − base. Positions where both hold the same value (including equal
 * infinities) have delta 0; any other non-finite delta is refused, since it
 * would poison every merge it enters.
 */
function subtract(ft: Float32Array, base: Float32Array, name: string, label: string): Float32Array {
  const out = new Float32Array(ft.length);
  for (let i = 0; i < ft.length; i++) {
    const d = ft[i] - base[i];
    if (Number.isFinite(d)) out[i] = d;
    else if (ft[i] === base[i]) out[i] = 0;
    else {
      throw new GraftError(
        "INVALID_ARGUMENT",
        `${label}: tensor "${name}" has a non-finite delta at element ${i} (base ${base[i]}, finetuned ${ft[i]})`,
      );
    }
  }
  return out;
}

/** Refuses base names the fingerprint or the task-vector naming cannot represent unambiguously. */
export function checkNames(tensors: readonly TensorInfo[]): void {
  for (const { name } of tensors) {
    if (/[\t\n]/.test(name)) {
      throw new GraftError("UNSUPPORTED", `tensor name ${JSON.stringify(name)} contains a tab or newline and cannot be fingerprinted`);
    }
    if (RESERVED_SUFFIXES.some((s) => name.endsWith(s))) {
      throw new GraftError("UNSUPPORTED", `tensor name ${JSON.stringify(name)} ends with a suffix reserved by the task-vector format (${RESERVED_SUFFIXES.join(", ")})`);
    }
  }
}

/**
 * Reads one tensor from both checkpoints, hashing the raw bytes; for float
 * tensors returns ft − base. Kept separate so the raw buffers are released
 * before the delta is encoded.
 */
async function readDelta(
  base: TensorReader,
  finetuned: TensorReader,
  t: TensorInfo,
  ftLabel: string,
): Promise<{ baseSha: string; ftSha: string; delta: Float32Array | null }> {
  const baseBytes = await base.readBytes(t.name);
  const baseSha = sha256Hex(baseBytes);
  const b = isFloatDType(t.dtype) ? decodeToFloat32(t.dtype, baseBytes) : null;
  const ftBytes = await finetuned.readBytes(t.name);
  const ftSha = sha256Hex(ftBytes);
  if (!b) return { baseSha, ftSha, delta: null };
  return { baseSha, ftSha, delta: subtract(decodeToFloat32(t.dtype, ftBytes), b, t.name, ftLabel) };
}

export async function extractTaskVector(options: ExtractOptions): Promise<ExtractReport> {
  const { base, finetuned, out, onProgress, signal } = options;
  const encoding = checkEncoding(options.encoding);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new GraftError("INVALID_ARGUMENT", `seed must be an integer, got ${JSON.stringify(seed)}`);
  const deltaDtype = options.deltaDtype === undefined ? defaultDeltaDtype(base.tensors) : checkDeltaDtype(options.deltaDtype);
  const baseLabel = labelOf(base, options.baseName, "base");
  const ftLabel = labelOf(finetuned, options.finetunedName, "finetuned");

  // 1. Structure first: nothing is read or written when the checkpoints disagree.
  const diffs = structureDiff(structureOf(base), structureOf(finetuned));
  if (diffs.length > 0) {
    const shown = diffs.slice(0, 10).join("; ") + (diffs.length > 10 ? `; … (${diffs.length - 10} more)` : "");
    throw new GraftError("MISMATCH", `${ftLabel} does not have the structure of ${baseLabel}: ${diffs.length} differences: ${shown}`, diffs);
  }
  checkNames(base.tensors);
  checkCancelled(signal);

  // 2. Stream tensor by tensor.
  const tensors = [...base.tensors].sort((a, b) => compareNames(a.name, b.name));
  const baseManifest: Manifest = Object.create(null);
  const ftManifest: Manifest = Object.create(null);
  const warnings: string[] = [];
  const writer = await TaskVectorWriter.create(out, deltaDtype);
  try {
    for (const [i, t] of tensors.entries()) {
      checkCancelled(signal);
      const { baseSha, ftSha, delta } = await readDelta(base, finetuned, t, ftLabel);
      baseManifest[t.name] = { dtype: t.dtype, shape: [...t.shape], sha256: baseSha };
      ftManifest[t.name] = { dtype: t.dtype, shape: [...t.shape], sha256: ftSha };
      if (delta) {
        await writer.addEncoded(t.name, t.shape, delta, encoding, seed);
      } else if (baseSha !== ftSha) {
        warnings.push(`${t.dtype} tensor "${t.name}" differs between ${baseLabel} and ${ftLabel}; integer tensors carry no delta and keep the base's values`);
      }
      onProgress?.({ phase: "extract", tensor: t.name, done: i + 1, total: tensors.length });
    }
    checkCancelled(signal);

    const fingerprint = fingerprintFromManifest(baseManifest);
    const finetunedFingerprint = fingerprintFromManifest(ftManifest);
    const provenance: Record<string, unknown> = {
      created_at: new Date().toISOString(),
      tool: "graft",
      operation: "extract",
      base: { name: baseLabel, fingerprint },
      finetuned: { name: ftLabel, fingerprint: finetunedFingerprint },
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(options.provenance ?? {}),
    };
    const bytesWritten = await writer.finish(
      {
        fingerprint,
        manifestJson: encodeManifest(baseManifest),
        encoding: encoding.kind,
        encodingParams: encodingParamsOf(encoding, seed),
        provenance,
      },
      (done, total) => onProgress?.({ phase: "assemble", done, total }),
    );
    const stats = writer.stats();
    return {
      tensors: stats.tensors,
      bytesWritten,
      denseBytes: stats.denseBytes,
      compressionRatio: bytesWritten > 0 ? stats.denseBytes / bytesWritten : 0,
      relativeError: stats.relativeError,
      perTensorMaxError: stats.perTensorMaxError,
      fingerprint,
      finetunedFingerprint,
      deltaDtype,
      warnings,
    };
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

export { numelOf };
