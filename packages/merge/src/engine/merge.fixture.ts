/**
 * Test-only fixtures for the engine, fuzz and CLI tests: tiny Llama-shaped
 * checkpoints written as real files, plus an independent safetensors encoder
 * and independent float codecs, so expectations never come from the code
 * under test. Not part of the public API.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractTaskVector, openCheckpoint, type TaskVectorEncoding } from "../index";

export type FixtureDType = "F32" | "BF16" | "F16" | "I64";

export interface SpecTensor {
  name: string;
  dtype: FixtureDType;
  shape: number[];
}

/** A Llama-like model: 2 layers, mixed F32/BF16 weights, and an I64 buffer. */
export const LLAMA_SPEC: readonly SpecTensor[] = [
  { name: "lm_head.weight", dtype: "BF16", shape: [10, 8] },
  { name: "model.embed_tokens.weight", dtype: "F32", shape: [10, 8] },
  { name: "model.layers.0.input_layernorm.weight", dtype: "F32", shape: [8] },
  { name: "model.layers.0.mlp.up_proj.weight", dtype: "BF16", shape: [6, 8] },
  { name: "model.layers.0.self_attn.q_proj.weight", dtype: "F32", shape: [8, 8] },
  { name: "model.layers.1.input_layernorm.weight", dtype: "F32", shape: [8] },
  { name: "model.layers.1.mlp.up_proj.weight", dtype: "BF16", shape: [6, 8] },
  { name: "model.layers.1.self_attn.q_proj.weight", dtype: "F32", shape: [8, 8] },
  { name: "model.norm.weight", dtype: "F32", shape: [8] },
  { name: "model.position_ids", dtype: "I64", shape: [1, 12] },
];

export const INT_TENSOR = "model.position_ids";

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// ---------------------------------------------------------------------------
// Independent numerics

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → bfloat16 bits, round to nearest even (finite inputs). */
export function toBf16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const lower = bits & 0xffff;
  let upper = bits >>> 16;
  if (lower > 0x8000 || (lower === 0x8000 && (upper & 1) === 1)) upper++;
  return upper & 0xffff;
}

export function fromBf16Bits(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0]!;
}

export function roundBf16(x: number): number {
  return fromBf16Bits(toBf16Bits(x));
}

export function fromF16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Rounds a value to what `dtype` can hold. */
export function roundTo(dtype: FixtureDType, x: number): number {
  return dtype === "BF16" ? roundBf16(x) : Math.fround(x);
}

/** Float values → little-endian bytes of `dtype` (values must already be representable). */
export function encodeValues(dtype: FixtureDType, values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  if (dtype === "F32") return new Uint8Array(Float32Array.from(values as ArrayLike<number>).buffer);
  if (dtype === "BF16") {
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) out[i] = toBf16Bits(values[i]!);
    return new Uint8Array(out.buffer);
  }
  throw new Error(`encodeValues: ${dtype} not supported`);
}

/** Little-endian bytes of a float dtype → numbers (own decoder). */
export function decodeValues(dtype: string, bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  if (dtype === "F32") for (let i = 0; i < bytes.byteLength; i += 4) out.push(view.getFloat32(i, true));
  else if (dtype === "BF16") for (let i = 0; i < bytes.byteLength; i += 2) out.push(fromBf16Bits(view.getUint16(i, true)));
  else if (dtype === "F16") for (let i = 0; i < bytes.byteLength; i += 2) out.push(fromF16Bits(view.getUint16(i, true)));
  else throw new Error(`decodeValues: ${dtype} is not a float dtype`);
  return out;
}

export function i64Bytes(values: readonly bigint[]): Uint8Array {
  return new Uint8Array(BigInt64Array.from(values).buffer);
}

// ---------------------------------------------------------------------------
// Independent safetensors encoder: [u64 LE N][JSON header padded with spaces][data]

export interface RawTensor {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

export function encodeSafetensors(tensors: readonly RawTensor[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + padded + offset).fill(0x20, 8, 8 + padded);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  let at = 8 + padded;
  for (const t of tensors) {
    out.set(t.bytes, at);
    at += t.bytes.byteLength;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Models in memory

/** name → float values (exactly representable in the tensor's dtype) or raw integer data. */
export interface FixtureModel {
  spec: readonly SpecTensor[];
  floats: Map<string, number[]>;
  ints: Map<string, bigint[]>;
}

export function makeBase(seed: number, spec: readonly SpecTensor[] = LLAMA_SPEC): FixtureModel {
  const rnd = mulberry(seed);
  const floats = new Map<string, number[]>();
  const ints = new Map<string, bigint[]>();
  for (const t of spec) {
    const n = numel(t.shape);
    if (t.dtype === "I64") {
      // Values above 2^53 catch any trip through float64.
      ints.set(t.name, Array.from({ length: n }, (_, i) => (1n << 60n) + BigInt(i) * 1_000_003n + BigInt(seed)));
    } else {
      floats.set(t.name, Array.from({ length: n }, () => roundTo(t.dtype, rnd() * 2 - 1)));
    }
  }
  return { spec, floats, ints };
}

/** base + a random delta of `scale`, rounded to each dtype (a "fine-tune"). */
export function finetune(base: FixtureModel, seed: number, scale = 0.25): FixtureModel {
  const rnd = mulberry(seed);
  const floats = new Map<string, number[]>();
  for (const t of base.spec) {
    const b = base.floats.get(t.name);
    if (b) floats.set(t.name, b.map((v) => roundTo(t.dtype, v + (rnd() * 2 - 1) * scale)));
  }
  return { spec: base.spec, floats, ints: new Map(base.ints) };
}

export function rawTensors(model: FixtureModel): RawTensor[] {
  return model.spec.map((t) => ({
    name: t.name,
    dtype: t.dtype,
    shape: [...t.shape],
    bytes: t.dtype === "I64" ? i64Bytes(model.ints.get(t.name)!) : encodeValues(t.dtype, model.floats.get(t.name)!),
  }));
}

export const CONFIG_JSON = `{"architectures":["LlamaForCausalLM"],"hidden_size":8,"num_hidden_layers":2}\n`;
export const TOKENIZER_JSON = `{"version":"1.0","model":{"type":"BPE"}}\n`;

/** Writes a Hugging Face style model directory (model.safetensors, config.json, tokenizer.json). */
export async function writeModelDir(dir: string, model: FixtureModel, aux = true): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "model.safetensors"), encodeSafetensors(rawTensors(model), { format: "pt" }));
  if (aux) {
    await writeFile(join(dir, "config.json"), CONFIG_JSON);
    await writeFile(join(dir, "tokenizer.json"), TOKENIZER_JSON);
  }
  return dir;
}

/** Extracts a task vector with the library (the engine tests are about merging it). */
export async function writeTaskVector(baseDir: string, ftDir: string, out: string, encoding: TaskVectorEncoding = { kind: "dense" }): Promise<string> {
  const base = await openCheckpoint(baseDir);
  const ft = await openCheckpoint(ftDir);
  try {
    await extractTaskVector({ base, finetuned: ft, out, encoding });
  } finally {
    await base.close();
    await ft.close();
  }
  return out;
}

export interface ReadTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** Every tensor of a checkpoint (file, directory or index) as raw bytes. */
export async function readAllTensors(path: string): Promise<Map<string, ReadTensor>> {
  const reader = await openCheckpoint(path);
  try {
    const out = new Map<string, ReadTensor>();
    for (const t of reader.tensors) out.set(t.name, { dtype: t.dtype, shape: [...t.shape], bytes: await reader.readBytes(t.name) });
    return out;
  } finally {
    await reader.close();
  }
}

export async function makeTempDir(prefix = "graft-engine-"): Promise<{ dir: string; cleanup: () => Promise<void>; list: () => Promise<string[]> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    cleanup: () => rm(dir, { recursive: true, force: true }),
    list: async () => (await readdir(dir)).sort(),
  };
}
