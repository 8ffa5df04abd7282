/** Shared fixtures for the task-vector and LoRA tests: small real safetensors files in a temp dir. */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSafetensorsWriter, encodeFromFloat32, isFloatDType } from "../safetensors";
import type { DType } from "../types";
import { gaussianSource } from "./encodings";

export interface FixtureTensor {
  name: string;
  dtype: DType;
  shape: number[];
  /** Float values (encoded to dtype) or raw bytes. */
  data: Float32Array | Uint8Array | number[];
}

export function toBytes(t: FixtureTensor): Uint8Array {
  if (t.data instanceof Uint8Array) return t.data;
  const values = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
  if (isFloatDType(t.dtype)) return encodeFromFloat32(t.dtype, values);
  if (t.dtype === "I32") return new Uint8Array(Int32Array.from(values).buffer);
  if (t.dtype === "I64") return new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
  if (t.dtype === "U8" || t.dtype === "BOOL") return Uint8Array.from(values);
  throw new Error(`fixture: unsupported dtype ${t.dtype}`);
}

export async function writeSafetensors(path: string, tensors: FixtureTensor[], metadata?: Record<string, string>): Promise<void> {
  const w = await createSafetensorsWriter(
    path,
    tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })),
    metadata,
  );
  for (const t of tensors) await w.write(t.name, toBytes(t));
  await w.finish();
}

export function randn(n: number, seed: number, scale = 1): Float32Array {
  const g = gaussianSource(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = g() * scale;
  return out;
}

export async function tempDir(prefix = "graft-tv-"): Promise<{ dir: string; cleanup: () => Promise<void>; list: () => Promise<string[]> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    cleanup: () => rm(dir, { recursive: true, force: true }),
    list: async () => (await readdir(dir)).sort(),
  };
}

/** Row-major a[rows, k] · b[k, cols] in Float64, rounded to float. */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, k: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let m = 0; m < k; m++) s += a[i * k + m] * b[m * cols + j];
      out[i * cols + j] = s;
    }
  }
  return out;
}
