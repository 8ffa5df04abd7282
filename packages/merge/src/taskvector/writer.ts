/**
 * Writes task-vector files with bounded memory.
 *
 * The safetensors header must precede the data, but part of a task vector's
 * metadata (foundation fingerprint and manifest, encoding error) is only known
 * once every tensor has been processed. So the writer works in two phases:
 *
 *  1. each encoded tensor is appended to a temporary data file beside the
 *     output as soon as it is produced (one tensor in memory at a time);
 *  2. finish() plans the real header with the final metadata and streams the
 *     bodies from the data file into the safetensors writer (which writes a
 *     temporary sibling and renames it into place atomically), one tensor at
 *     a time, then deletes the data file.
 *
 * On any failure, abort() removes both temporary files; nothing is ever left
 * under the output name unless the whole file was written.
 */
import { randomBytes } from "node:crypto";
import { open, rm, stat, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { GraftError } from "../errors";
import { createSafetensorsWriter, decodeToFloat32, encodeFromFloat32, type SafetensorsWriter } from "../safetensors";
import type { DType } from "../types";
import {
  compareDense,
  compareLowRank,
  compareSparse,
  lowRank,
  relativeFrobenius,
  seedFromString,
  topKSparse,
  type ErrorAccumulator,
} from "./encodings";
import {
  numelOf,
  SUFFIX_DOWN,
  SUFFIX_INDICES,
  SUFFIX_UP,
  SUFFIX_VALUES,
  TASK_VECTOR_FORMAT,
  TASK_VECTOR_KIND,
  TV_META,
  type DeltaDType,
  type EncodingErrorStats,
  type EncodingKind,
  type TaskVectorEncoding,
} from "./format";

const MAX_IO_CHUNK = 1 << 30;

interface PendingTensor {
  name: string;
  dtype: DType;
  shape: number[];
  offset: number;
  byteLength: number;
}

/** Summary of what a writer stored, for reports. */
export interface TaskVectorWriteStats {
  /** Base tensors with a delta in the file. */
  tensors: number;
  /** Stored safetensors entries (a sparse or low-rank delta is two). */
  storedTensors: number;
  /** Bytes of tensor data in the file. */
  dataBytes: number;
  /** Bytes the same deltas would take stored dense in the delta dtype. */
  denseBytes: number;
  relativeError: number;
  perTensorMaxError: number;
  maxAbsError: number;
}

export interface TaskVectorFinishInput {
  fingerprint: string;
  manifestJson: string;
  encoding: EncodingKind;
  encodingParams: Record<string, unknown>;
  provenance: Record<string, unknown>;
}

/** JSON-safe number (NaN/±Infinity are not JSON). */
function jsonNumber(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export class TaskVectorWriter {
  private readonly pending: PendingTensor[] = [];
  private dataBytes = 0;
  private denseBytes = 0;
  private covered = 0;
  private refSq = 0;
  private errSq = 0;
  private perTensorMax = 0;
  private maxAbs = 0;
  private state: "open" | "finished" | "aborted" = "open";
  private sink: SafetensorsWriter | null = null;

  private constructor(
    readonly out: string,
    readonly deltaDtype: DeltaDType,
    private readonly dataPath: string,
    private readonly fh: FileHandle,
  ) {}

  static async create(out: string, deltaDtype: DeltaDType): Promise<TaskVectorWriter> {
    const dataPath = `${out}.graft-data-${randomBytes(6).toString("hex")}`;
    let fh: FileHandle;
    try {
      fh = await open(dataPath, "wx+");
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") throw new GraftError("NOT_FOUND", `${dirname(out)}: output directory does not exist`);
      throw ioFailure(e, dataPath);
    }
    return new TaskVectorWriter(out, deltaDtype, dataPath, fh);
  }

  /** Appends one stored tensor's bytes to the data file. */
  private async append(name: string, dtype: DType, shape: number[], bytes: Uint8Array): Promise<void> {
    if (this.state !== "open") throw new GraftError("INVALID_ARGUMENT", `${this.out}: task-vector writer is already ${this.state}`);
    const offset = this.dataBytes;
    let done = 0;
    try {
      while (done < bytes.byteLength) {
        const want = Math.min(bytes.byteLength - done, MAX_IO_CHUNK);
        const { bytesWritten } = await this.fh.write(bytes, done, want, offset + done);
        done += bytesWritten;
      }
    } catch (e) {
      throw ioFailure(e, this.dataPath);
    }
    this.pending.push({ name, dtype, shape, offset, byteLength: bytes.byteLength });
    this.dataBytes += bytes.byteLength;
  }

  private record(name: string, numel: number, e: ErrorAccumulator): void {
    if (!Number.isFinite(e.errSq) || !Number.isFinite(e.maxAbs) || !Number.isFinite(e.refSq)) {
      throw new GraftError(
        "INVALID_ARGUMENT",
        `${this.out}: the delta of tensor "${name}" does not fit ${this.deltaDtype} (overflow to infinity); store deltas as F32 or BF16`,
      );
    }
    this.covered++;
    this.denseBytes += numel * bytesPer(this.deltaDtype);
    this.refSq += e.refSq;
    this.errSq += e.errSq;
    const rel = relativeFrobenius(e);
    if (rel > this.perTensorMax || rel !== rel) this.perTensorMax = rel !== rel ? Infinity : rel;
    if (e.maxAbs > this.maxAbs) this.maxAbs = e.maxAbs;
  }

  /** Stores `delta` (the exact delta of base tensor `name`) dense. */
  async addDense(name: string, shape: readonly number[], delta: Float32Array): Promise<void> {
    const bytes = encodeFromFloat32(this.deltaDtype, delta);
    const e =
      this.deltaDtype === "F32"
        ? { refSq: sumSquares(delta), errSq: 0, maxAbs: 0 }
        : compareDense(delta, decodeToFloat32(this.deltaDtype, bytes));
    await this.append(name, this.deltaDtype, [...shape], bytes);
    this.record(name, delta.length, e);
  }

  /** Stores the k largest-magnitude entries of `delta`. */
  async addSparse(name: string, shape: readonly number[], delta: Float32Array, k: number): Promise<void> {
    const numel = delta.length;
    const { indices, values } = topKSparse(delta, k);
    const valueBytes = encodeFromFloat32(this.deltaDtype, values);
    const storedValues = this.deltaDtype === "F32" ? values : decodeToFloat32(this.deltaDtype, valueBytes);
    const wide = numel > 2 ** 31 - 1;
    const indexBytes = wide ? encodeI64(indices) : new Uint8Array(new Int32Array(indices).buffer);
    await this.append(`${name}${SUFFIX_INDICES}`, wide ? "I64" : "I32", [indices.length], indexBytes);
    await this.append(`${name}${SUFFIX_VALUES}`, this.deltaDtype, [values.length], valueBytes);
    this.record(name, numel, compareSparse(delta, indices, storedValues));
  }

  /**
   * Stores factors with delta ≈ up·down. `reference` is the exact delta the
   * error is measured against (for lossless imports, B·A computed densely).
   */
  async addFactors(
    name: string,
    rows: number,
    cols: number,
    rank: number,
    up: Float32Array,
    down: Float32Array,
    reference: Float32Array,
  ): Promise<void> {
    const upBytes = encodeFromFloat32(this.deltaDtype, up);
    const downBytes = encodeFromFloat32(this.deltaDtype, down);
    const upStored = this.deltaDtype === "F32" ? up : decodeToFloat32(this.deltaDtype, upBytes);
    const downStored = this.deltaDtype === "F32" ? down : decodeToFloat32(this.deltaDtype, downBytes);
    await this.append(`${name}${SUFFIX_UP}`, this.deltaDtype, [rows, rank], upBytes);
    await this.append(`${name}${SUFFIX_DOWN}`, this.deltaDtype, [rank, cols], downBytes);
    this.record(name, rows * cols, compareLowRank(reference, upStored, downStored, rows, cols, rank));
  }

  /**
   * Stores `delta` with the requested encoding. Low-rank applies to 2-D
   * tensors whose factors are smaller than the dense tensor; others are dense.
   */
  async addEncoded(name: string, shape: readonly number[], delta: Float32Array, encoding: TaskVectorEncoding, seed = 0): Promise<void> {
    switch (encoding.kind) {
      case "dense":
        return this.addDense(name, shape, delta);
      case "sparse":
        return this.addSparse(name, shape, delta, sparseCount(encoding.density, delta.length));
      case "lowrank": {
        if (shape.length === 2) {
          const [rows, cols] = shape;
          const r = Math.min(encoding.rank, rows, cols);
          if (r >= 1 && r * (rows + cols) < rows * cols) {
            const lr = lowRank(delta, rows, cols, r, seedFromString(name, seed));
            return this.addFactors(name, rows, cols, lr.rank, lr.up, lr.down, delta);
          }
        }
        return this.addDense(name, shape, delta);
      }
    }
  }

  stats(): TaskVectorWriteStats {
    return {
      tensors: this.covered,
      storedTensors: this.pending.length,
      dataBytes: this.dataBytes,
      denseBytes: this.denseBytes,
      relativeError: relativeFrobenius({ refSq: this.refSq, errSq: this.errSq }),
      perTensorMaxError: this.perTensorMax,
      maxAbsError: this.maxAbs,
    };
  }

  /** `graft.encoding.error` for what was stored so far. */
  errorStats(): EncodingErrorStats {
    const s = this.stats();
    return { relative_frobenius: s.relativeError, per_tensor_max: s.perTensorMaxError, max_abs: s.maxAbsError };
  }

  /**
   * Writes the final file (header with `input`'s metadata, then the bodies)
   * and returns its size in bytes.
   */
  async finish(input: TaskVectorFinishInput, onCopy?: (done: number, total: number) => void): Promise<number> {
    if (this.state !== "open") throw new GraftError("INVALID_ARGUMENT", `${this.out}: task-vector writer is already ${this.state}`);
    const err = this.errorStats();
    const metadata: Record<string, string> = {
      [TV_META.kind]: TASK_VECTOR_KIND,
      [TV_META.format]: TASK_VECTOR_FORMAT,
      [TV_META.fingerprint]: input.fingerprint,
      [TV_META.manifest]: input.manifestJson,
      [TV_META.encoding]: input.encoding,
      [TV_META.encodingParams]: JSON.stringify(input.encodingParams),
      [TV_META.encodingError]: JSON.stringify({
        relative_frobenius: jsonNumber(err.relative_frobenius),
        per_tensor_max: jsonNumber(err.per_tensor_max),
        max_abs: jsonNumber(err.max_abs ?? 0),
      }),
      [TV_META.provenance]: JSON.stringify(input.provenance),
      [TV_META.deltaDtype]: this.deltaDtype,
    };
    try {
      this.sink = await createSafetensorsWriter(
        this.out,
        this.pending.map((p) => ({ name: p.name, dtype: p.dtype, shape: p.shape })),
        metadata,
      );
      for (const [i, p] of this.pending.entries()) {
        const bytes = new Uint8Array(p.byteLength);
        let done = 0;
        while (done < p.byteLength) {
          const want = Math.min(p.byteLength - done, MAX_IO_CHUNK);
          const { bytesRead } = await this.fh.read(bytes, done, want, p.offset + done);
          if (bytesRead === 0) throw new GraftError("IO", `${this.dataPath}: unexpected end of temporary data file`);
          done += bytesRead;
        }
        await this.sink.write(p.name, bytes);
        onCopy?.(i + 1, this.pending.length);
      }
      await this.sink.finish();
      this.state = "finished";
      const size = this.sink.fileSize;
      await this.fh.close().catch(() => {});
      await rm(this.dataPath, { force: true });
      return size;
    } catch (e) {
      await this.abort();
      throw ioFailure(e, this.out);
    }
  }

  /** Removes every temporary file. Safe to call more than once. */
  async abort(): Promise<void> {
    if (this.state === "aborted") return;
    const wasOpen = this.state === "open";
    this.state = "aborted";
    if (this.sink && wasOpen) await this.sink.abort().catch(() => {});
    await this.fh.close().catch(() => {});
    await rm(this.dataPath, { force: true }).catch(() => {});
  }
}

/** k = round(density · numel), clamped to [0, numel]. */
export function sparseCount(density: number, numel: number): number {
  return Math.min(numel, Math.max(0, Math.round(density * numel)));
}

function bytesPer(dtype: DeltaDType): number {
  return dtype === "F32" ? 4 : 2;
}

function sumSquares(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

function encodeI64(indices: Uint32Array): Uint8Array {
  const out = new BigInt64Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = BigInt(indices[i]);
  return new Uint8Array(out.buffer);
}

function ioFailure(e: unknown, path: string): GraftError {
  if (e instanceof GraftError) return e;
  const code = typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : "";
  if (code === "ENOENT") return new GraftError("NOT_FOUND", `${path}: no such file or directory`);
  return new GraftError("IO", `${path}: ${e instanceof Error ? e.message : String(e)}`);
}

/** Size of a file on disk (for reports and tests). */
export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

export { numelOf };
