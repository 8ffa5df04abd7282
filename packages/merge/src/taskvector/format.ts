/**
 * The task-vector file: a safetensors file of per-tensor deltas against one
 * foundation checkpoint, described by `__metadata__` (all values strings):
 *
 *   graft.kind                   "task-vector"
 *   graft.format                 "1"
 *   graft.foundation.fingerprint the base's fingerprint ("sha256:…", see ../fingerprint)
 *   graft.foundation.manifest    compact JSON {name: [dtype, shape, sha256]} of every base tensor
 *   graft.encoding               "dense" | "sparse" | "lowrank"
 *   graft.encoding.params        JSON ({} | {density,…} | {rank,…})
 *   graft.encoding.error         JSON {relative_frobenius, per_tensor_max, max_abs}
 *   graft.provenance             JSON (created_at, tool, sources, lora config, …)
 *   graft.delta_dtype            "F32" | "F16" | "BF16"
 *
 * Stored tensors, per base tensor X (float base tensors only):
 *   dense    X                              same shape as the base tensor
 *   sparse   X::indices (I32 | I64, [k])    flat indices, strictly ascending
 *            X::values  (delta dtype, [k])
 *   lowrank  X::up   [rows, r]  (= U·diag(S))  with delta ≈ up·down
 *            X::down [r, cols]  (= Vᵀ)         (2-D base tensors only)
 * A "lowrank" file may hold dense entries (non-2-D tensors, or tensors too
 * small for factors to pay off); a base tensor absent from the file has a zero
 * delta. Integer/bool base tensors never appear.
 */
import { createHash } from "node:crypto";
import { GraftError } from "../errors";
import { fingerprintFromManifest, structureDiff, structureOf, type Manifest, type ManifestEntry } from "../fingerprint";
import {
  compareNames,
  decodeToFloat32,
  DTYPE_SIZES,
  isDType,
  isFloatDType,
  openSafetensors,
  type SafetensorsFile,
} from "../safetensors";
import type { DType, TensorInfo, TensorReader } from "../types";
import { densifySparse, reconstructLowRank } from "./encodings";

export const TASK_VECTOR_KIND = "task-vector";
export const TASK_VECTOR_FORMAT = "1";

/** Metadata keys of a task-vector file. */
export const TV_META = {
  kind: "graft.kind",
  format: "graft.format",
  fingerprint: "graft.foundation.fingerprint",
  manifest: "graft.foundation.manifest",
  encoding: "graft.encoding",
  encodingParams: "graft.encoding.params",
  encodingError: "graft.encoding.error",
  provenance: "graft.provenance",
  deltaDtype: "graft.delta_dtype",
} as const;

export type EncodingKind = "dense" | "sparse" | "lowrank";
export const ENCODING_KINDS: readonly EncodingKind[] = ["dense", "sparse", "lowrank"];

/** How a task vector stores its deltas (what extraction is asked for). */
export type TaskVectorEncoding = { kind: "dense" } | { kind: "sparse"; density: number } | { kind: "lowrank"; rank: number };

/** Dtypes a delta may be stored in. */
export type DeltaDType = "F32" | "F16" | "BF16";
export const DELTA_DTYPES: readonly DeltaDType[] = ["F32", "F16", "BF16"];

export function isDeltaDType(value: unknown): value is DeltaDType {
  return value === "F32" || value === "F16" || value === "BF16";
}

/** `graft.encoding.error`. */
export interface EncodingErrorStats {
  /** ‖stored − exact‖_F / ‖exact‖_F over the whole model. */
  relative_frobenius: number;
  /** Largest per-tensor relative Frobenius error. */
  per_tensor_max: number;
  /** Largest absolute element error (optional; present in files written by this version). */
  max_abs?: number;
}

export const SUFFIX_INDICES = "::indices";
export const SUFFIX_VALUES = "::values";
export const SUFFIX_UP = "::up";
export const SUFFIX_DOWN = "::down";

/** How one base tensor's delta is stored. */
export type StoredDelta =
  | { kind: "dense"; base: string; tensor: string }
  | { kind: "sparse"; base: string; indices: string; values: string; count: number }
  | { kind: "lowrank"; base: string; up: string; down: string; rank: number; rows: number; cols: number };

/** A delta in its stored form, decoded to floats (see TaskVectorReader.readStored). */
export type StoredDeltaData =
  | { kind: "dense"; values: Float32Array }
  | { kind: "sparse"; indices: Float64Array; values: Float32Array }
  | { kind: "lowrank"; up: Float32Array; down: Float32Array; rank: number; rows: number; cols: number };

// ---------------------------------------------------------------------------
// Manifest (de)serialisation.

/** Compact JSON {name: [dtype, shape, sha256]} in name order. */
export function encodeManifest(manifest: Readonly<Manifest>): string {
  const parts: string[] = [];
  for (const name of Object.keys(manifest).sort(compareNames)) {
    const { dtype, shape, sha256 } = manifest[name];
    parts.push(`${JSON.stringify(name)}:${JSON.stringify([dtype, shape, sha256])}`);
  }
  return `{${parts.join(",")}}`;
}

function bad(source: string, what: string): GraftError {
  return new GraftError("INVALID_SAFETENSORS", `${source}: ${what}`);
}

/** Parses and validates `graft.foundation.manifest`. */
export function decodeManifest(text: string, source: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(source, `${TV_META.manifest} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw bad(source, `${TV_META.manifest} must be a JSON object of name → [dtype, shape, sha256]`);
  }
  const manifest: Manifest = Object.create(null);
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    const where = `${TV_META.manifest} entry "${name}"`;
    if (!Array.isArray(value) || value.length !== 3) throw bad(source, `${where} must be [dtype, shape, sha256], got ${JSON.stringify(value)}`);
    const [dtype, shape, sha256] = value as unknown[];
    if (!isDType(dtype)) throw bad(source, `${where} has unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw bad(source, `${where} shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) {
      throw bad(source, `${where} sha256 must be 64 lowercase hex digits, got ${JSON.stringify(sha256)}`);
    }
    manifest[name] = { dtype, shape: [...(shape as number[])], sha256 };
  }
  return { ...manifest };
}

/** Largest tensor readDelta decodes whole: 2^31 float32 values (8 GiB). */
export const MAX_DENSE_ELEMENTS = 2 ** 31;

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

// ---------------------------------------------------------------------------
// Metadata and layout validation (header only, no tensor data).

export interface TaskVectorHeader {
  fingerprint: string;
  manifest: Manifest;
  encoding: EncodingKind;
  encodingParams: Record<string, unknown>;
  error: EncodingErrorStats | null;
  provenance: Record<string, unknown>;
  deltaDtype: DeltaDType;
  /** Base tensor name → how its delta is stored, in name order. */
  stored: Map<string, StoredDelta>;
}

function parseJsonObject(metadata: Readonly<Record<string, string>>, key: string, source: string, required: boolean): Record<string, unknown> | null {
  const text = metadata[key];
  if (text === undefined) {
    if (required) throw bad(source, `missing metadata ${key}`);
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(source, `metadata ${key} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw bad(source, `metadata ${key} must be a JSON object`);
  return json as Record<string, unknown>;
}

/**
 * Validates a task vector's metadata and tensor layout against its manifest.
 * Uses only the header: safe to call before any tensor data is read.
 */
export function validateTaskVectorHeader(
  metadata: Readonly<Record<string, string>>,
  tensors: readonly TensorInfo[],
  source: string,
): TaskVectorHeader {
  const kind = metadata[TV_META.kind];
  if (kind !== TASK_VECTOR_KIND) {
    throw new GraftError(
      "INVALID_ARGUMENT",
      `${source}: not a Graft task vector (${TV_META.kind} is ${kind === undefined ? "missing" : JSON.stringify(kind)})`,
    );
  }
  const format = metadata[TV_META.format];
  if (format !== TASK_VECTOR_FORMAT) {
    throw new GraftError(
      "UNSUPPORTED",
      `${source}: task-vector format ${JSON.stringify(format ?? null)} is not supported (this version reads format ${TASK_VECTOR_FORMAT})`,
    );
  }
  const encoding = metadata[TV_META.encoding];
  if (!ENCODING_KINDS.includes(encoding as EncodingKind)) {
    throw new GraftError("UNSUPPORTED", `${source}: unknown ${TV_META.encoding} ${JSON.stringify(encoding ?? null)} (known: ${ENCODING_KINDS.join(", ")})`);
  }
  const deltaDtype = metadata[TV_META.deltaDtype];
  if (!isDeltaDType(deltaDtype)) {
    throw bad(source, `${TV_META.deltaDtype} must be one of ${DELTA_DTYPES.join(", ")}, got ${JSON.stringify(deltaDtype ?? null)}`);
  }
  const manifestText = metadata[TV_META.manifest];
  if (manifestText === undefined) throw bad(source, `missing metadata ${TV_META.manifest}`);
  const manifest = decodeManifest(manifestText, source);
  const fingerprint = metadata[TV_META.fingerprint];
  if (typeof fingerprint !== "string" || !/^sha256:[0-9a-f]{64}$/.test(fingerprint)) {
    throw bad(source, `${TV_META.fingerprint} must be "sha256:" + 64 hex digits, got ${JSON.stringify(fingerprint ?? null)}`);
  }
  const recomputed = fingerprintFromManifest(manifest);
  if (recomputed !== fingerprint) {
    throw bad(source, `${TV_META.fingerprint} ${fingerprint} does not match its own manifest (which hashes to ${recomputed})`);
  }
  const encodingParams = parseJsonObject(metadata, TV_META.encodingParams, source, false) ?? {};
  const errorJson = parseJsonObject(metadata, TV_META.encodingError, source, false);
  let error: EncodingErrorStats | null = null;
  if (errorJson) {
    const { relative_frobenius: rel, per_tensor_max: max } = errorJson;
    if (typeof rel !== "number" || typeof max !== "number") {
      throw bad(source, `${TV_META.encodingError} must hold numbers relative_frobenius and per_tensor_max`);
    }
    error = { ...(errorJson as object), relative_frobenius: rel, per_tensor_max: max } as EncodingErrorStats;
  }
  const provenance = parseJsonObject(metadata, TV_META.provenance, source, false) ?? {};

  const stored = mapStoredTensors(tensors, manifest, deltaDtype, source);
  return { fingerprint, manifest, encoding: encoding as EncodingKind, encodingParams, error, provenance, deltaDtype, stored };
}

function splitSuffix(name: string): [string, string] | null {
  for (const suffix of [SUFFIX_INDICES, SUFFIX_VALUES, SUFFIX_UP, SUFFIX_DOWN]) {
    if (name.endsWith(suffix) && name.length > suffix.length) return [name.slice(0, -suffix.length), suffix];
  }
  return null;
}

/** Maps each stored tensor onto its base tensor and checks every shape and dtype. */
function mapStoredTensors(
  tensors: readonly TensorInfo[],
  manifest: Manifest,
  deltaDtype: DeltaDType,
  source: string,
): Map<string, StoredDelta> {
  const has = (name: string) => Object.prototype.hasOwnProperty.call(manifest, name);
  const parts = new Map<string, Map<string, TensorInfo>>();
  for (const t of tensors) {
    let base: string;
    let part: string;
    if (has(t.name)) {
      base = t.name;
      part = "";
    } else {
      const split = splitSuffix(t.name);
      if (!split || !has(split[0])) {
        throw bad(source, `stored tensor "${t.name}" does not correspond to any tensor of the foundation manifest`);
      }
      [base, part] = split;
    }
    const entry = manifest[base];
    if (!isFloatDType(entry.dtype as DType)) {
      throw bad(source, `stored tensor "${t.name}" is a delta for "${base}", which is ${entry.dtype} (integer tensors carry no delta)`);
    }
    let group = parts.get(base);
    if (!group) parts.set(base, (group = new Map()));
    group.set(part, t);
  }

  const stored = new Map<string, StoredDelta>();
  for (const base of [...parts.keys()].sort(compareNames)) {
    const group = parts.get(base)!;
    const entry = manifest[base];
    const numel = numelOf(entry.shape);
    const kinds = [...group.keys()];
    const expectFloat = (t: TensorInfo) => {
      if (t.dtype !== deltaDtype) throw bad(source, `stored tensor "${t.name}" is ${t.dtype} but ${TV_META.deltaDtype} is ${deltaDtype}`);
    };
    if (group.has("")) {
      if (kinds.length !== 1) {
        throw bad(source, `base tensor "${base}" is stored both dense and as ${kinds.filter((k) => k !== "").join(", ")}`);
      }
      const t = group.get("")!;
      expectFloat(t);
      if (shapeText(t.shape) !== shapeText(entry.shape)) {
        throw bad(source, `stored tensor "${t.name}" has shape ${shapeText(t.shape)} but the base tensor is ${shapeText(entry.shape)}`);
      }
      stored.set(base, { kind: "dense", base, tensor: t.name });
    } else if (group.has(SUFFIX_INDICES) || group.has(SUFFIX_VALUES)) {
      const indices = group.get(SUFFIX_INDICES);
      const values = group.get(SUFFIX_VALUES);
      if (!indices || !values) throw bad(source, `base tensor "${base}": sparse delta needs both ${base}${SUFFIX_INDICES} and ${base}${SUFFIX_VALUES}`);
      if (kinds.length !== 2) throw bad(source, `base tensor "${base}" is stored both sparse and low-rank`);
      if (indices.dtype !== "I32" && indices.dtype !== "I64") {
        throw bad(source, `stored tensor "${indices.name}" must be I32 or I64, got ${indices.dtype}`);
      }
      if (indices.dtype === "I32" && numel > 2 ** 31 - 1) {
        throw bad(source, `stored tensor "${indices.name}" is I32 but "${base}" has ${numel} elements (needs I64)`);
      }
      expectFloat(values);
      if (indices.shape.length !== 1 || values.shape.length !== 1) {
        throw bad(source, `sparse tensors for "${base}" must be 1-D, got ${shapeText(indices.shape)} and ${shapeText(values.shape)}`);
      }
      const count = indices.shape[0];
      if (values.shape[0] !== count) {
        throw bad(source, `base tensor "${base}": ${count} indices but ${values.shape[0]} values`);
      }
      if (count > numel) {
        throw bad(source, `base tensor "${base}": ${count} sparse indices out of range for ${numel} elements`);
      }
      stored.set(base, { kind: "sparse", base, indices: indices.name, values: values.name, count });
    } else {
      const up = group.get(SUFFIX_UP);
      const down = group.get(SUFFIX_DOWN);
      if (!up || !down) throw bad(source, `base tensor "${base}": low-rank delta needs both ${base}${SUFFIX_UP} and ${base}${SUFFIX_DOWN}`);
      expectFloat(up);
      expectFloat(down);
      if (entry.shape.length !== 2) {
        throw bad(source, `base tensor "${base}" has shape ${shapeText(entry.shape)}; low-rank deltas need a 2-D tensor`);
      }
      const [rows, cols] = entry.shape;
      if (up.shape.length !== 2 || down.shape.length !== 2 || up.shape[0] !== rows || down.shape[1] !== cols || up.shape[1] !== down.shape[0]) {
        throw bad(
          source,
          `base tensor "${base}" ${shapeText(entry.shape)}: up ${shapeText(up.shape)} · down ${shapeText(down.shape)} does not give that shape`,
        );
      }
      stored.set(base, { kind: "lowrank", base, up: up.name, down: down.name, rank: up.shape[1], rows, cols });
    }
  }
  return stored;
}

// ---------------------------------------------------------------------------
// Reading.

export interface TaskVectorReader {
  readonly path: string;
  /** Fingerprint of the foundation the deltas were made against. */
  readonly fingerprint: string;
  /** Every base tensor (float and integer) with dtype, shape and sha256. */
  readonly manifest: Readonly<Manifest>;
  readonly encoding: EncodingKind;
  readonly encodingParams: Readonly<Record<string, unknown>>;
  readonly error: EncodingErrorStats | null;
  readonly provenance: Readonly<Record<string, unknown>>;
  readonly deltaDtype: DeltaDType;
  /** The raw `__metadata__`. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Base tensor names that have a delta, in name order. */
  readonly coveredTensors: readonly string[];
  /** How a base tensor's delta is stored; null when it has none. */
  storage(baseName: string): StoredDelta | null;
  /** The dense delta (numel of the base tensor) or null when the file holds none for it. */
  readDelta(baseName: string): Promise<Float32Array | null>;
  /** The delta in its stored form (for consumers that can use factors or sparsity directly). */
  readStored(baseName: string): Promise<StoredDeltaData | null>;
  /**
   * Differences between `base` and the foundation manifest (names, dtypes,
   * shapes); empty when the structures match. Does not read tensor data.
   */
  structureDiff(base: TensorReader): string[];
  /** Whether raw base tensor bytes hash to the manifest's sha256 for `name`. */
  matchesFoundationTensor(name: string, bytes: Uint8Array): boolean;
  close(): Promise<void>;
}

/** Opens and fully validates a task-vector file's header; tensor data is read on demand. */
export async function openTaskVector(path: string): Promise<TaskVectorReader> {
  const file = await openSafetensors(path);
  try {
    const header = validateTaskVectorHeader(file.metadata, file.tensors, path);
    return new TaskVectorFileReader(file, header);
  } catch (e) {
    await file.close().catch(() => {});
    throw e;
  }
}

/** Cheap check (header metadata only): is `path` a safetensors file marked as a Graft task vector? */
export async function isTaskVectorFile(path: string): Promise<boolean> {
  let file: SafetensorsFile;
  try {
    file = await openSafetensors(path);
  } catch {
    return false;
  }
  try {
    return file.metadata[TV_META.kind] === TASK_VECTOR_KIND;
  } finally {
    await file.close().catch(() => {});
  }
}

class TaskVectorFileReader implements TaskVectorReader {
  readonly path: string;
  readonly fingerprint: string;
  readonly manifest: Readonly<Manifest>;
  readonly encoding: EncodingKind;
  readonly encodingParams: Readonly<Record<string, unknown>>;
  readonly error: EncodingErrorStats | null;
  readonly provenance: Readonly<Record<string, unknown>>;
  readonly deltaDtype: DeltaDType;
  readonly metadata: Readonly<Record<string, string>>;
  readonly coveredTensors: readonly string[];
  private readonly stored: Map<string, StoredDelta>;

  constructor(
    private readonly file: SafetensorsFile,
    header: TaskVectorHeader,
  ) {
    this.path = file.path;
    this.fingerprint = header.fingerprint;
    this.manifest = header.manifest;
    this.encoding = header.encoding;
    this.encodingParams = header.encodingParams;
    this.error = header.error;
    this.provenance = header.provenance;
    this.deltaDtype = header.deltaDtype;
    this.metadata = file.metadata;
    this.stored = header.stored;
    this.coveredTensors = [...header.stored.keys()];
  }

  private baseEntry(baseName: string): ManifestEntry {
    if (!Object.prototype.hasOwnProperty.call(this.manifest, baseName)) {
      throw new GraftError("NOT_FOUND", `${this.path}: the foundation has no tensor named "${baseName}"`);
    }
    return this.manifest[baseName];
  }

  storage(baseName: string): StoredDelta | null {
    this.baseEntry(baseName);
    return this.stored.get(baseName) ?? null;
  }

  private async readFloats(name: string): Promise<Float32Array> {
    const info = this.file.info(name);
    return decodeToFloat32(info.dtype, await this.file.readBytes(name));
  }

  async readStored(baseName: string): Promise<StoredDeltaData | null> {
    const entry = this.baseEntry(baseName);
    const s = this.stored.get(baseName);
    if (!s) return null;
    switch (s.kind) {
      case "dense":
        return { kind: "dense", values: await this.readFloats(s.tensor) };
      case "sparse": {
        const indices = await this.readIndices(s.indices, numelOf(entry.shape));
        return { kind: "sparse", indices, values: await this.readFloats(s.values) };
      }
      case "lowrank":
        return {
          kind: "lowrank",
          up: await this.readFloats(s.up),
          down: await this.readFloats(s.down),
          rank: s.rank,
          rows: s.rows,
          cols: s.cols,
        };
    }
  }

  async readDelta(baseName: string): Promise<Float32Array | null> {
    const entry = this.baseEntry(baseName);
    const numel = numelOf(entry.shape);
    // A dense copy is allocated here: refuse sizes no reader could hold,
    // before trusting a shape that only the manifest claims.
    if (numel > MAX_DENSE_ELEMENTS) {
      throw new GraftError(
        "UNSUPPORTED",
        `${this.path}: tensor "${baseName}" has ${numel} elements, more than ${MAX_DENSE_ELEMENTS} can be decoded whole; merges stream it in chunks instead`,
      );
    }
    const data = await this.readStored(baseName);
    if (!data) return null;
    switch (data.kind) {
      case "dense":
        return data.values;
      case "sparse":
        return densifySparse(numelOf(entry.shape), data.indices, data.values);
      case "lowrank":
        return reconstructLowRank(data.up, data.down, data.rows, data.cols, data.rank);
    }
  }

  /** Reads sparse indices and checks that they are strictly ascending and within [0, numel). */
  private async readIndices(name: string, numel: number): Promise<Float64Array> {
    const info = this.file.info(name);
    const bytes = await this.file.readBytes(name);
    const count = info.shape[0];
    const out = new Float64Array(count);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const size = DTYPE_SIZES[info.dtype];
    let previous = -1;
    for (let i = 0; i < count; i++) {
      const v = size === 4 ? view.getInt32(i * 4, true) : Number(view.getBigInt64(i * 8, true));
      if (!(v >= 0 && v < numel)) {
        throw bad(this.path, `stored tensor "${name}": index ${v} at position ${i} is out of range for ${numel} elements`);
      }
      if (v <= previous) {
        throw bad(this.path, `stored tensor "${name}": indices are not strictly ascending at position ${i} (${previous} then ${v})`);
      }
      out[i] = previous = v;
    }
    return out;
  }

  structureDiff(base: TensorReader): string[] {
    return structureDiff(this.manifest, structureOf(base));
  }

  matchesFoundationTensor(name: string, bytes: Uint8Array): boolean {
    const entry = this.baseEntry(name);
    return createHash("sha256").update(bytes).digest("hex") === entry.sha256;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/**
 * Throws FINGERPRINT_MISMATCH when `base` does not have the structure the task
 * vector was made against (names, dtypes, shapes), listing every difference.
 */
export function assertFoundationStructure(tv: TaskVectorReader, base: TensorReader, baseLabel = "base"): void {
  const diffs = tv.structureDiff(base);
  if (diffs.length > 0) {
    const shown = diffs.slice(0, 5).join("; ") + (diffs.length > 5 ? `; … (${diffs.length - 5} more)` : "");
    throw new GraftError(
      "FINGERPRINT_MISMATCH",
      `${tv.path}: made against a different foundation than ${baseLabel} (${diffs.length} differences: ${shown})`,
      diffs,
    );
  }
}

/** Bytes per stored delta element. */
export function deltaDtypeSize(dtype: DeltaDType): number {
  return DTYPE_SIZES[dtype];
}
