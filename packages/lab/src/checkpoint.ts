/**
 * Models on disk are Hugging Face style checkpoint directories
 * (`model.safetensors`, F32, tensor names from `parameterShapes`) written
 * with @graft/merge's streaming writer, so the merge library, the CLI and
 * the registry handle them like any published model. Reading back gives the
 * exact same bits.
 */
import { createCheckpointWriter, openCheckpoint, openTaskVector } from "@graft/merge";
import { configFromShapes, parameterShapes, type ModelConfig, type Weights } from "./model";

export async function saveCheckpoint(dir: string, config: ModelConfig, weights: Weights, metadata: Record<string, string> = {}): Promise<void> {
  const specs = parameterShapes(config).map((t) => ({ name: t.name, dtype: "F32" as const, shape: t.shape }));
  const writer = await createCheckpointWriter(dir, specs, { overwrite: true, metadata: { format: "pt", ...metadata } });
  for (const t of specs) {
    const values = weights.get(t.name);
    if (!values) throw new Error(`missing weights for ${t.name}`);
    await writer.write(t.name, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  await writer.finish();
}

export interface LoadedModel {
  config: ModelConfig;
  weights: Weights;
}

/** Loads a checkpoint directory (or .safetensors file) of this model family; F16/BF16 are widened to F32. */
export async function loadCheckpoint(path: string): Promise<LoadedModel> {
  const reader = await openCheckpoint(path);
  try {
    const config = configFromShapes(new Map(reader.tensors.map((t) => [t.name, t.shape])));
    const weights: Weights = new Map();
    for (const t of parameterShapes(config)) weights.set(t.name, await reader.readFloat32(t.name));
    return { config, weights };
  } finally {
    await reader.close();
  }
}

/** Bytes of tensor data in a checkpoint (header only; used to refuse models too big to run in a request). */
export async function checkpointBytes(path: string): Promise<number> {
  const reader = await openCheckpoint(path);
  try {
    return reader.tensors.reduce((n, t) => n + t.byteLength, 0);
  } finally {
    await reader.close();
  }
}

export interface WeightedVector {
  /** A Graft task-vector file made against this base. */
  path: string;
  weight: number;
}

/**
 * base + Σ weight·τ in memory — task arithmetic for a small model, without
 * writing a merged checkpoint. Each vector is checked against the base's
 * structure first.
 */
export async function equip(base: LoadedModel, basePath: string, vectors: readonly WeightedVector[]): Promise<LoadedModel> {
  const weights: Weights = new Map([...base.weights].map(([n, v]) => [n, Float32Array.from(v)]));
  const baseReader = await openCheckpoint(basePath);
  try {
    for (const v of vectors) {
      const tv = await openTaskVector(v.path);
      try {
        const diff = tv.structureDiff(baseReader);
        if (diff.length > 0) throw new Error(`${v.path}: not made against this base (${diff[0]})`);
        for (const name of tv.coveredTensors) {
          const delta = await tv.readDelta(name);
          const target = weights.get(name);
          if (!delta || !target) continue;
          for (let i = 0; i < target.length; i++) target[i]! += v.weight * delta[i]!;
        }
      } finally {
        await tv.close();
      }
    }
  } finally {
    await baseReader.close();
  }
  return { config: base.config, weights };
}
