/**
 * The strict safetensors header parser. A checkpoint is untrusted input, so
 * nothing in a header is used before all of it has been checked, with the same
 * rules as the reference implementation (huggingface/safetensors): bounded
 * header size, UTF-8 JSON object, known dtypes, byte lengths that match the
 * shapes, and data offsets that tile the data section exactly — plus a refusal
 * of duplicate keys, which JSON.parse would otherwise hide.
 *
 * Layout: [u64 LE N][N bytes of JSON header][data section]
 */
import { GraftError } from "../errors";
import type { DType, TensorInfo } from "../types";
import { DTYPE_SIZES, isDType } from "./dtypes";
import { findDuplicateKey } from "./json-keys";
import { compareNames } from "./order";

/** Same limit as the reference implementation. */
export const MAX_HEADER_BYTES = 100_000_000;

export const METADATA_KEY = "__metadata__";

/**
 * Dtypes the reference implementation knows but Graft does not handle (FP8 and
 * smaller floats, complex). Such files are valid, so they are reported as
 * UNSUPPORTED rather than INVALID_SAFETENSORS.
 */
const UNSUPPORTED_DTYPES: readonly string[] = ["F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64"];

/** A tensor as described by a header: its info plus its byte range within the data section. */
export interface TensorEntry extends TensorInfo {
  /** [begin, end) relative to the start of the data section (file offset 8 + N). */
  dataOffsets: [number, number];
}

export interface ParsedHeader {
  /** Sorted by name. */
  tensors: TensorEntry[];
  metadata: Record<string, string>;
}

function invalid(source: string, what: string): GraftError {
  return new GraftError("INVALID_SAFETENSORS", `${source}: ${what}`);
}

/**
 * Validates the 8-byte length prefix against the file size and returns N, the
 * header length in bytes.
 */
export function parseHeaderLength(prefix: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8 || prefix.byteLength < 8) {
    throw invalid(source, `file is ${fileSize} bytes, too short for the 8-byte header length`);
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw invalid(source, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  if (n > BigInt(fileSize - 8)) {
    throw invalid(source, `header length ${n} exceeds the ${fileSize - 8} bytes after the length prefix (truncated file?)`);
  }
  return Number(n);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNonNegativeSafeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function parseMetadata(value: unknown, source: string): Record<string, string> {
  if (!isPlainObject(value)) {
    throw invalid(source, `${METADATA_KEY} must be an object of strings, got ${JSON.stringify(value)}`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") {
      throw invalid(source, `${METADATA_KEY} value for "${key}" must be a string, got ${JSON.stringify(v)}`);
    }
  }
  // fromEntries defines own properties, so a key like "__proto__" stays plain data.
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}

function parseTensor(name: string, value: unknown, source: string): TensorEntry {
  const where = `tensor "${name}"`;
  if (!isPlainObject(value)) throw invalid(source, `${where} must be an object, got ${JSON.stringify(value)}`);
  for (const key of Object.keys(value)) {
    if (key !== "dtype" && key !== "shape" && key !== "data_offsets") {
      throw invalid(source, `${where} has unknown field "${key}"`);
    }
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype === "string" && UNSUPPORTED_DTYPES.includes(dtype)) {
    throw new GraftError("UNSUPPORTED", `${source}: ${where} has dtype ${dtype}, which Graft does not support`);
  }
  if (!isDType(dtype)) throw invalid(source, `${where} has unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isNonNegativeSafeInteger)) {
    throw invalid(source, `${where} shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeSafeInteger)) {
    throw invalid(source, `${where} data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw invalid(source, `${where} data_offsets [${begin}, ${end}] end before begin`);
  let byteLength = DTYPE_SIZES[dtype as DType];
  for (const dim of shape as number[]) {
    byteLength *= dim;
    if (!Number.isSafeInteger(byteLength)) throw invalid(source, `${where} shape ${JSON.stringify(shape)} is too large`);
  }
  if (end - begin !== byteLength) {
    throw invalid(
      source,
      `${where} data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${byteLength}`,
    );
  }
  return { name, dtype, shape: [...(shape as number[])], byteLength, dataOffsets: [begin, end] };
}

/**
 * Parses and validates the N header bytes of a file whose data section is
 * `dataByteLength` bytes long (file size − 8 − N). `source` names the file in
 * error messages.
 */
export function parseHeader(headerBytes: Uint8Array, dataByteLength: number, source: string): ParsedHeader {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw invalid(source, "header is not valid UTF-8");
  }
  if (!text.startsWith("{")) throw invalid(source, "header does not start with '{'");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalid(source, `header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(json)) throw invalid(source, "header is not a JSON object");
  const duplicate = findDuplicateKey(text);
  if (duplicate !== null) throw invalid(source, `header has duplicate key "${duplicate}"`);

  let metadata: Record<string, string> = {};
  const tensors: TensorEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value, source);
    else if (name === "") throw invalid(source, "header has a tensor with an empty name");
    else tensors.push(parseTensor(name, value, source));
  }

  // The byte ranges, in file order, must tile [0, dataByteLength) exactly.
  const byOffset = [...tensors].sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let cursor = 0;
  for (const t of byOffset) {
    const [begin, end] = t.dataOffsets;
    if (begin > cursor) throw invalid(source, `gap in data: bytes [${cursor}, ${begin}) belong to no tensor (before "${t.name}")`);
    if (begin < cursor) throw invalid(source, `tensor "${t.name}" data_offsets [${begin}, ${end}] overlap the previous tensor (ending at ${cursor})`);
    if (end > dataByteLength) {
      throw invalid(source, `tensor "${t.name}" data_offsets [${begin}, ${end}] run past the ${dataByteLength}-byte data section`);
    }
    cursor = end;
  }
  if (cursor !== dataByteLength) {
    throw invalid(source, `tensors cover ${cursor} bytes but the data section has ${dataByteLength} (trailing bytes)`);
  }
  tensors.sort((a, b) => compareNames(a.name, b.name));
  return { tensors, metadata };
}
