// Tiny, deterministic safetensors files for the web tests: a foundation
// checkpoint assembled by hand (8-byte LE header length + JSON header + data),
// fine-tuned variants of it, and real task vectors extracted from those with
// the merge library — so uploads exercise the same validation as production.
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { extractTaskVector, openCheckpoint } from "@graft/merge";

export interface F32Tensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The bytes of a safetensors file holding F32 tensors (header padded to 8 bytes with spaces). */
export function safetensorsBytes(tensors: F32Tensor[], metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const t of sorted) {
    const n = t.data.byteLength;
    header[t.name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += " ";
  const headerBytes = Buffer.from(json, "utf8");
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  return Buffer.concat([prefix, headerBytes, ...sorted.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))]);
}

/** Deterministic pseudo-random floats in [-scale, scale). */
export function seeded(n: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** A small "model": an embedding, one linear layer and a norm. `width` changes the structure. */
export function foundationTensors(seed: number, width = 8): F32Tensor[] {
  return [
    { name: "embed.weight", shape: [16, width], data: seeded(16 * width, seed + 1) },
    { name: "layers.0.mlp.weight", shape: [width, width], data: seeded(width * width, seed + 2) },
    { name: "layers.0.mlp.bias", shape: [width], data: seeded(width, seed + 3) },
    { name: "norm.weight", shape: [width], data: seeded(width, seed + 4) },
  ];
}

/** The same tensors plus a small seeded delta: a "fine-tuned" checkpoint. */
export function finetunedTensors(base: F32Tensor[], seed: number, scale = 0.01): F32Tensor[] {
  return base.map((t, i) => {
    const delta = seeded(t.data.length, seed * 97 + i, scale);
    return { ...t, data: t.data.map((v, j) => v + delta[j]) };
  });
}

export async function writeCheckpoint(file: string, tensors: F32Tensor[]): Promise<string> {
  await writeFile(file, safetensorsBytes(tensors));
  return file;
}

/** Extracts a dense task vector (finetuned − base) with the merge library; returns its path. */
export async function writeTaskVector(out: string, basePath: string, finetunedPath: string): Promise<string> {
  const base = await openCheckpoint(basePath);
  const finetuned = await openCheckpoint(finetunedPath);
  try {
    await extractTaskVector({ base, finetuned, out, encoding: { kind: "dense" }, deltaDtype: "F32" });
  } finally {
    await base.close();
    await finetuned.close();
  }
  return out;
}

export interface FixtureSet {
  /** Foundation checkpoint. */
  base: string;
  /** A different foundation (other weights, same structure). */
  otherBase: string;
  /** A fine-tuned checkpoint of `base`. */
  finetuned: string;
  /** Task vectors against `base` (two different ones) and against `otherBase`. */
  taskVector: string;
  taskVector2: string;
  foreignTaskVector: string;
}

/** Writes every fixture file into `dir`. */
export async function writeFixtures(dir: string): Promise<FixtureSet> {
  const baseT = foundationTensors(1);
  const otherT = foundationTensors(500, 12);
  const base = await writeCheckpoint(path.join(dir, "base.safetensors"), baseT);
  const otherBase = await writeCheckpoint(path.join(dir, "other-base.safetensors"), otherT);
  const finetuned = await writeCheckpoint(path.join(dir, "finetuned.safetensors"), finetunedTensors(baseT, 7));
  const finetuned2 = await writeCheckpoint(path.join(dir, "finetuned2.safetensors"), finetunedTensors(baseT, 8));
  const otherFinetuned = await writeCheckpoint(path.join(dir, "other-finetuned.safetensors"), finetunedTensors(otherT, 9));
  return {
    base,
    otherBase,
    finetuned,
    taskVector: await writeTaskVector(path.join(dir, "tv.safetensors"), base, finetuned),
    taskVector2: await writeTaskVector(path.join(dir, "tv2.safetensors"), base, finetuned2),
    foreignTaskVector: await writeTaskVector(path.join(dir, "tv-foreign.safetensors"), otherBase, otherFinetuned),
  };
}

export async function sha256File(file: string): Promise<string> {
  return createHash("sha256").update(await readFile(file)).digest("hex");
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
