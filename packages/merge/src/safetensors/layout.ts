/**
 * Plans the bytes of a safetensors file before any data exists: checks the
 * tensor list, assigns contiguous data offsets in the given order and
 * serialises the header exactly as the reference Python library does (compact
 * JSON, `__metadata__` first, padded with spaces to a multiple of 8 bytes so
 * the data section is 8-byte aligned). Same input, same bytes.
 */
import { GraftError } from "../errors";
import type { DType } from "../types";
import { DTYPE_SIZES, isDType } from "./dtypes";
import { METADATA_KEY } from "./header";
import { compareNames } from "./order";

export interface TensorSpec {
  name: string;
  dtype: DType;
  shape: readonly number[];
}

export interface PlannedTensor {
  name: string;
  dtype: DType;
  shape: number[];
  byteLength: number;
  /** [begin, end) within the data section. */
  dataOffsets: [number, number];
}

export interface FileLayout {
  tensors: PlannedTensor[];
  /** The 8-byte length prefix followed by the padded JSON header. */
  headerBytes: Uint8Array;
  dataByteLength: number;
}

/** Byte length of a tensor, validating its spec; `where` names it in errors. */
export function tensorByteLength(spec: TensorSpec, where = `tensor "${spec.name}"`): number {
  if (!isDType(spec.dtype)) throw new GraftError("INVALID_ARGUMENT", `${where}: unknown dtype ${JSON.stringify(spec.dtype)}`);
  if (!Array.isArray(spec.shape)) throw new GraftError("INVALID_ARGUMENT", `${where}: shape must be an array`);
  let bytes = DTYPE_SIZES[spec.dtype];
  for (const dim of spec.shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw new GraftError("INVALID_ARGUMENT", `${where}: shape ${JSON.stringify(spec.shape)} has an invalid dimension ${dim}`);
    }
    bytes *= dim;
  }
  if (!Number.isSafeInteger(bytes)) throw new GraftError("INVALID_ARGUMENT", `${where}: shape ${JSON.stringify(spec.shape)} is too large`);
  return bytes;
}

/** Rejects empty, reserved and duplicate names. */
export function checkTensorNames(specs: readonly TensorSpec[], where: string): void {
  const seen = new Set<string>();
  for (const { name } of specs) {
    if (typeof name !== "string" || name === "") throw new GraftError("INVALID_ARGUMENT", `${where}: tensor names must be non-empty strings`);
    if (name === METADATA_KEY) throw new GraftError("INVALID_ARGUMENT", `${where}: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    if (seen.has(name)) throw new GraftError("INVALID_ARGUMENT", `${where}: tensor "${name}" is listed twice`);
    seen.add(name);
  }
}

/**
 * `reserveBytes` pads the header with that much extra room, so metadata only
 * known at the end (input fingerprints) can be patched in by renderHeader.
 */
export function planFile(
  specs: readonly TensorSpec[],
  metadata: Readonly<Record<string, string>> | undefined,
  where: string,
  reserveBytes = 0,
): FileLayout {
  const { tensors, json, dataByteLength } = headerJson(specs, metadata, where);
  const padded = Math.ceil((json.byteLength + reserveBytes) / 8) * 8;
  return { tensors, headerBytes: paddedHeader(json, padded), dataByteLength };
}

/**
 * The header of `specs` with new metadata, padded to exactly the length of an
 * existing header so the data offsets do not move. Throws when it does not fit.
 */
export function renderHeader(
  specs: readonly TensorSpec[],
  metadata: Readonly<Record<string, string>>,
  headerByteLength: number,
  where: string,
): Uint8Array {
  const { json } = headerJson(specs, metadata, where);
  const room = headerByteLength - 8;
  if (json.byteLength > room) {
    throw new GraftError("INVALID_ARGUMENT", `${where}: final metadata needs ${json.byteLength} header bytes, only ${room} were reserved`);
  }
  return paddedHeader(json, room);
}

/** Unpadded header JSON and the planned offsets. */
function headerJson(specs: readonly TensorSpec[], metadata: Readonly<Record<string, string>> | undefined, where: string) {
  checkTensorNames(specs, where);
  // The JSON is assembled entry by entry: a plain object would reorder
  // integer-like keys ("0", "1") ahead of the others.
  const entries: string[] = [];
  const metadataKeys = Object.keys(metadata ?? {}).sort(compareNames);
  if (metadata && metadataKeys.length > 0) {
    const fields = metadataKeys.map((key) => {
      const value = metadata[key];
      if (typeof value !== "string") {
        throw new GraftError("INVALID_ARGUMENT", `${where}: metadata value for "${key}" must be a string, got ${JSON.stringify(value)}`);
      }
      return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
    });
    entries.push(`${JSON.stringify(METADATA_KEY)}:{${fields.join(",")}}`);
  }
  const tensors: PlannedTensor[] = [];
  let offset = 0;
  for (const spec of specs) {
    const byteLength = tensorByteLength(spec);
    const planned: PlannedTensor = {
      name: spec.name,
      dtype: spec.dtype,
      shape: [...spec.shape],
      byteLength,
      dataOffsets: [offset, offset + byteLength],
    };
    tensors.push(planned);
    const info = { dtype: planned.dtype, shape: planned.shape, data_offsets: planned.dataOffsets };
    entries.push(`${JSON.stringify(spec.name)}:${JSON.stringify(info)}`);
    offset += byteLength;
  }
  return { tensors, json: new TextEncoder().encode(`{${entries.join(",")}}`), dataByteLength: offset };
}

/** Length prefix + JSON + spaces up to `padded` bytes (a multiple of 8, like the Python library). */
function paddedHeader(json: Uint8Array, padded: number): Uint8Array {
  const headerBytes = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(headerBytes.buffer).setBigUint64(0, BigInt(padded), true);
  headerBytes.set(json, 8);
  return headerBytes;
}
