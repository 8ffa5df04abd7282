/**
 * Lazy access to one .safetensors file. Opening reads only the length prefix
 * and the header, and validates them fully before anything else is trusted;
 * each tensor is then fetched with one positioned read of exactly its byte
 * range, so a 100 GB checkpoint costs only as much memory as its largest tensor.
 */
import { open, type FileHandle } from "node:fs/promises";
import { GraftError } from "../errors";
import type { FileIdentity, IdentifiedFile } from "../hash-cache";
import type { TensorInfo, TensorReader } from "../types";
import { DTYPE_SIZES, decodeToFloat32, isFloatDType } from "./dtypes";
import { parseHeader, parseHeaderLength, type TensorEntry } from "./header";
import { ioError, readExactly } from "./io";

export interface SafetensorsFile extends TensorReader, IdentifiedFile {
  readonly path: string;
  /** Tensors sorted by name, with their byte ranges in the data section. */
  readonly tensors: readonly TensorEntry[];
  /** File offset of the data section: 8 + header length. */
  readonly dataStart: number;
  readonly fileSize: number;
  /** Bytes [byteStart, byteStart + byteLength) of one tensor's data. */
  /** With `into`, the bytes are read into it (a caller-owned buffer, e.g. WebAssembly memory). */
  readBytesRange(name: string, byteStart: number, byteLength: number, into?: Uint8Array): Promise<Uint8Array>;
  /** Elements [start, start + count) of one float tensor, decoded to F32. */
  readFloat32Range(name: string, start: number, count: number): Promise<Float32Array>;
}

export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (e) {
    throw ioError(e, path);
  }
  try {
    const stats = await fh.stat();
    if (!stats.isFile()) throw new GraftError("INVALID_ARGUMENT", `${path}: not a regular file`);
    const fileSize = stats.size;
    const prefix = fileSize >= 8 ? await readExactly(fh, 8, 0, path) : new Uint8Array(0);
    const headerLength = parseHeaderLength(prefix, fileSize, path);
    const headerBytes = await readExactly(fh, headerLength, 8, path);
    const dataStart = 8 + headerLength;
    const { tensors, metadata } = parseHeader(headerBytes, fileSize - dataStart, path);
    return new SafetensorsFileReader(path, fh, fileSize, dataStart, tensors, metadata);
  } catch (e) {
    await fh.close().catch(() => {});
    throw ioError(e, path);
  }
}

class SafetensorsFileReader implements SafetensorsFile {
  private readonly byName: Map<string, TensorEntry>;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly fileSize: number,
    readonly dataStart: number,
    readonly tensors: readonly TensorEntry[],
    readonly metadata: Readonly<Record<string, string>>,
  ) {
    this.byName = new Map(tensors.map((t) => [t.name, t]));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  info(name: string): TensorInfo {
    return this.entry(name);
  }

  entry(name: string): TensorEntry {
    const entry = this.byName.get(name);
    if (!entry) throw new GraftError("NOT_FOUND", `${this.path}: no tensor named "${name}"`);
    return entry;
  }

  async readBytes(name: string): Promise<Uint8Array> {
    return this.readBytesRange(name, 0, this.entry(name).byteLength);
  }

  async readBytesRange(name: string, byteStart: number, byteLength: number, into?: Uint8Array): Promise<Uint8Array> {
    const entry = this.entry(name);
    if (!Number.isSafeInteger(byteStart) || !Number.isSafeInteger(byteLength) || byteStart < 0 || byteLength < 0 || byteStart + byteLength > entry.byteLength) {
      throw new GraftError("INVALID_ARGUMENT", `${this.path}: byte range [${byteStart}, +${byteLength}) is outside tensor "${name}" (${entry.byteLength} bytes)`);
    }
    if (this.closed) throw new GraftError("IO", `${this.path}: read of "${name}" after close()`);
    try {
      return await readExactly(this.fh, byteLength, this.dataStart + entry.dataOffsets[0] + byteStart, this.path, into);
    } catch (e) {
      throw ioError(e, this.path);
    }
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const entry = this.entry(name);
    return this.readFloat32Range(name, 0, entry.byteLength / DTYPE_SIZES[entry.dtype]);
  }

  async readFloat32Range(name: string, start: number, count: number): Promise<Float32Array> {
    const entry = this.entry(name);
    if (!isFloatDType(entry.dtype)) {
      throw new GraftError("UNSUPPORTED", `${this.path}: tensor "${name}" is ${entry.dtype}, not a floating-point dtype`);
    }
    const size = DTYPE_SIZES[entry.dtype];
    const bytes = await this.readBytesRange(name, start * size, count * size);
    // The buffer is ours and 0-aligned: F32 data can be used in place.
    if (entry.dtype === "F32") return new Float32Array(bytes.buffer, 0, count);
    return decodeToFloat32(entry.dtype, bytes);
  }

  /** Device, inode, size and times of the open file (not of whatever the path names now). */
  async identity(): Promise<FileIdentity> {
    try {
      const s = await this.fh.stat({ bigint: true });
      return { dev: s.dev, ino: s.ino, size: s.size, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs };
    } catch (e) {
      throw ioError(e, this.path);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}
