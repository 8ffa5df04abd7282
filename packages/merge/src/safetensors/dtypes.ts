/**
 * The numeric side of safetensors dtypes: element sizes, and conversion of raw
 * little-endian tensor bytes to and from Float32Array, which is the working
 * precision of every merge method. These loops run over billions of elements
 * per merge, so they work on typed-array views of the raw bits (no per-element
 * allocation) and round exactly as IEEE 754 does (round to nearest, ties to
 * even; NaN stays NaN; overflow becomes infinity).
 */
import { GraftError } from "../errors";
import type { DType } from "../types";

export type FloatDType = "F64" | "F32" | "F16" | "BF16";

export const DTYPE_SIZES: Readonly<Record<DType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2,
  I64: 8, I32: 4, I16: 2, I8: 1,
  U64: 8, U32: 4, U16: 2, U8: 1,
  BOOL: 1,
};

export function isDType(value: unknown): value is DType {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(DTYPE_SIZES, value);
}

export function dtypeSize(dtype: DType): number {
  return DTYPE_SIZES[dtype];
}

export function isFloatDType(dtype: DType): dtype is FloatDType {
  return dtype === "F64" || dtype === "F32" || dtype === "F16" || dtype === "BF16";
}

// Every typed-array view below reads the host's byte order; safetensors is
// little-endian, as is every platform Node ships for in practice.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function assertLittleEndianHost(): void {
  if (!HOST_IS_LITTLE_ENDIAN) {
    throw new GraftError("UNSUPPORTED", "big-endian hosts are not supported (safetensors data is little-endian)");
  }
}

/** A view of `bytes` as elements of `size` bytes, copying only when the offset is misaligned. */
function alignedBuffer(bytes: Uint8Array, size: number): { buffer: ArrayBufferLike; offset: number } {
  if (bytes.byteOffset % size === 0) return { buffer: bytes.buffer, offset: bytes.byteOffset };
  return { buffer: bytes.slice().buffer, offset: 0 };
}

// ---------------------------------------------------------------------------
// Single-value bit conversions (exported for tests and for scalar callers).

/** IEEE binary16 bits → binary32 bits. Exact: every half value is a float. */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf / NaN (payload kept)
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0; // normal: rebias 15 → 127
  if (mant === 0) return sign >>> 0; // ±0
  // Subnormal half: normalise the mantissa into an ordinary float.
  let e = 113; // exponent of 2^-14 in float bias, minus the shifts below
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** binary32 bits → binary16 bits, round to nearest, ties to even. */
export function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const abs = x & 0x7fffffff;
  if (abs >= 0x7f800000) {
    if (abs === 0x7f800000) return sign | 0x7c00; // ±inf
    return sign | 0x7e00 | ((abs >>> 13) & 0x3ff); // NaN: quiet bit set so it never becomes inf
  }
  if (abs >= 0x477ff000) return sign | 0x7c00; // ≥ 65520 (half-way past 65504, tie goes to even = inf)
  if (abs >= 0x38800000) {
    // Normal half. Rebias the exponent (127 → 15), then drop 13 mantissa bits
    // with ties-to-even; a carry out of the mantissa correctly bumps the exponent.
    const v = abs - 0x38000000;
    return sign | ((v + 0xfff + ((v >>> 13) & 1)) >>> 13);
  }
  if (abs <= 0x33000000) return sign; // ≤ 2^-25: half of the smallest subnormal ties to even = 0
  // Subnormal half: value / 2^-24, rounded.
  const exp = abs >>> 23;
  const mant = (abs & 0x7fffff) | 0x800000;
  const shift = 126 - exp; // 14..24
  let h = mant >>> shift;
  const rem = mant & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rem > half || (rem === half && (h & 1) === 1)) h++;
  return sign | h;
}

/** bfloat16 bits → binary32 bits (bf16 is the top half of a float). */
export function bf16BitsToF32Bits(b: number): number {
  return (b << 16) >>> 0;
}

/** binary32 bits → bfloat16 bits, round to nearest, ties to even. */
export function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff; // NaN stays NaN (quiet)
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

// ---------------------------------------------------------------------------
// Bulk conversions.

let f16Table: Uint32Array | null = null;

let bf16Table: Float32Array | null = null;

/**
 * 65 536-entry tables of 16-bit float → float32 (256 KiB each, built on first
 * use), for decodeMinusInto: a lookup is faster in V8 than writing bits
 * through a Uint32Array alias and reading them back as floats.
 */
function bf16ToFloatTable(): Float32Array {
  if (bf16Table === null) {
    bf16Table = new Float32Array(65536);
    const bits = new Uint32Array(bf16Table.buffer);
    for (let h = 0; h < 65536; h++) bits[h] = h << 16;
  }
  return bf16Table;
}

function f16ToFloatTable(): Float32Array {
  const bits = halfToFloatTable();
  return new Float32Array(bits.buffer, bits.byteOffset, bits.length);
}

/** 65 536-entry table of binary16 → binary32 bits (256 KiB, built on first use). */
function halfToFloatTable(): Uint32Array {
  if (f16Table === null) {
    f16Table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToF32Bits(h);
  }
  return f16Table;
}

/**
 * Decodes raw little-endian tensor bytes to a new Float32Array (never a view
 * of `bytes`). F64 is rounded to the nearest float; F16 and BF16 are exact.
 */
export function decodeToFloat32(dtype: DType, bytes: Uint8Array): Float32Array {
  return decodeInto(dtype, bytes, new Float32Array(bytes.byteLength / (DTYPE_SIZES[dtype] ?? 1)));
}

/**
 * Decodes into `out` (its first byteLength/size elements), so hot loops can
 * reuse one buffer per input instead of allocating per chunk. Returns `out`.
 */
export function decodeInto(dtype: DType, bytes: Uint8Array, out: Float32Array): Float32Array {
  if (!isFloatDType(dtype)) {
    throw new GraftError("UNSUPPORTED", `cannot decode ${dtype} data as floating point`);
  }
  const size = DTYPE_SIZES[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new GraftError("INVALID_ARGUMENT", `${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  }
  assertLittleEndianHost();
  const n = bytes.byteLength / size;
  if (out.length < n) throw new GraftError("INVALID_ARGUMENT", `decode target holds ${out.length} elements, ${n} needed`);
  const { buffer, offset } = alignedBuffer(bytes, size);
  switch (dtype) {
    case "F32":
      out.set(new Float32Array(buffer, offset, n));
      break;
    case "F64":
      out.set(new Float64Array(buffer, offset, n)); // rounds to nearest float
      break;
    // Bits are written, never round-tripped through a float register, so
    // every pattern (NaN payloads included) decodes exactly.
    case "F16": {
      const src = new Uint16Array(buffer, offset, n);
      const dst = new Uint32Array(out.buffer, out.byteOffset, n);
      const table = halfToFloatTable();
      for (let i = 0; i < n; i++) dst[i] = table[src[i]];
      break;
    }
    case "BF16": {
      const src = new Uint16Array(buffer, offset, n);
      const dst = new Uint32Array(out.buffer, out.byteOffset, n);
      for (let i = 0; i < n; i++) dst[i] = src[i] << 16;
      break;
    }
  }
  return out;
}

/**
 * `out = decode(bytes) - minus`, fused in one pass: a merge's deltas come
 * straight from stored bytes without a second sweep over a decoded copy.
 */
export function decodeMinusInto(dtype: DType, bytes: Uint8Array, minus: Float32Array, out: Float32Array): Float32Array {
  const n = bytes.byteLength / (DTYPE_SIZES[dtype] ?? 1);
  if (dtype !== "BF16" && dtype !== "F16") {
    decodeInto(dtype, bytes, out);
    for (let i = 0; i < n; i++) out[i] -= minus[i];
    return out;
  }
  assertLittleEndianHost();
  if (out.length < n || minus.length < n) throw new GraftError("INVALID_ARGUMENT", `decode target holds ${Math.min(out.length, minus.length)} elements, ${n} needed`);
  const { buffer, offset } = alignedBuffer(bytes, 2);
  const src = new Uint16Array(buffer, offset, n);
  const table = dtype === "BF16" ? bf16ToFloatTable() : f16ToFloatTable();
  for (let i = 0; i < n; i++) out[i] = table[src[i]] - minus[i];
  return out;
}

/** Encodes floats as little-endian `dtype` bytes (a new buffer), rounding to nearest-even. */
export function encodeFromFloat32(dtype: DType, values: Float32Array): Uint8Array {
  if (!isFloatDType(dtype)) {
    throw new GraftError("UNSUPPORTED", `cannot encode floating point data as ${dtype}`);
  }
  assertLittleEndianHost();
  const n = values.length;
  switch (dtype) {
    case "F32":
      return new Uint8Array(new Float32Array(values).buffer);
    case "F64":
      return new Uint8Array(new Float64Array(values).buffer);
    case "F16": {
      const src = new Uint32Array(values.buffer, values.byteOffset, n);
      const dst = new Uint16Array(n);
      for (let i = 0; i < n; i++) dst[i] = f32BitsToF16Bits(src[i]);
      return new Uint8Array(dst.buffer);
    }
    case "BF16": {
      const src = new Uint32Array(values.buffer, values.byteOffset, n);
      const dst = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const x = src[i];
        dst[i] = (x & 0x7fffffff) > 0x7f800000 ? (x >>> 16) | 0x40 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
      }
      return new Uint8Array(dst.buffer);
    }
  }
}
