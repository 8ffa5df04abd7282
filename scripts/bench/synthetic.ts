/**
 * Synthetic Llama-shaped checkpoints for benchmarks: a BF16 base with the
 * tensor names and shapes of a Llama decoder, and fine-tuned variants that
 * differ from it by small perturbations. Data comes from a seeded pool so
 * that generating gigabytes takes seconds, not minutes.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createCheckpointWriter, encodeFromFloat32, gaussianSource, type DType } from "@graft/merge";

export interface LlamaShape {
  hidden: number;
  intermediate: number;
  layers: number;
  vocab: number;
}

export interface TensorShape {
  name: string;
  dtype: DType;
  shape: number[];
}

export function llamaTensors(cfg: LlamaShape): TensorShape[] {
  const t = (name: string, shape: number[]): TensorShape => ({ name, dtype: "BF16", shape });
  const out = [t("model.embed_tokens.weight", [cfg.vocab, cfg.hidden]), t("model.norm.weight", [cfg.hidden]), t("lm_head.weight", [cfg.vocab, cfg.hidden])];
  for (let l = 0; l < cfg.layers; l++) {
    const p = `model.layers.${l}`;
    out.push(
      t(`${p}.input_layernorm.weight`, [cfg.hidden]),
      t(`${p}.post_attention_layernorm.weight`, [cfg.hidden]),
      t(`${p}.self_attn.q_proj.weight`, [cfg.hidden, cfg.hidden]),
      t(`${p}.self_attn.k_proj.weight`, [cfg.hidden, cfg.hidden]),
      t(`${p}.self_attn.v_proj.weight`, [cfg.hidden, cfg.hidden]),
      t(`${p}.self_attn.o_proj.weight`, [cfg.hidden, cfg.hidden]),
      t(`${p}.mlp.gate_proj.weight`, [cfg.intermediate, cfg.hidden]),
      t(`${p}.mlp.up_proj.weight`, [cfg.intermediate, cfg.hidden]),
      t(`${p}.mlp.down_proj.weight`, [cfg.hidden, cfg.intermediate]),
    );
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function totalBytes(tensors: TensorShape[]): number {
  return tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1) * 2, 0);
}

/** A pool of BF16 values ~ N(0, 0.02) from a seeded generator. */
function bf16Pool(seed: number, count: number): Uint16Array {
  const normal = gaussianSource(seed);
  const f = new Float32Array(count);
  for (let i = 0; i < count; i++) f[i] = normal() * 0.02;
  const bytes = encodeFromFloat32("BF16", f);
  return new Uint16Array(bytes.buffer, bytes.byteOffset, count);
}

const POOL = 1 << 24; // 16 Mi values, 32 MiB

/**
 * Writes a sharded checkpoint. variant 0 is the base; variant v > 0 perturbs
 * the base's low mantissa bits on a pattern that depends on v, which moves
 * every value by a few ULPs — a dense, small task vector like a fine-tune's.
 */
export async function writeSynthetic(dir: string, tensors: TensorShape[], variant: number, maxShardBytes: number): Promise<void> {
  if (existsSync(join(dir, "model.safetensors.index.json"))) return;
  const pool = bf16Pool(1234, POOL);
  const writer = await createCheckpointWriter(dir, tensors, { maxShardBytes, metadata: { format: "pt" } });
  let cursor = 0;
  for (const t of tensors) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const CHUNK = 1 << 22;
    for (let off = 0; off < numel; off += CHUNK) {
      const n = Math.min(CHUNK, numel - off);
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const v = pool[(cursor + i) & (POOL - 1)]!;
        out[i] = variant === 0 ? v : v ^ (((i * 2654435761 + variant * 40503) >>> 13) & 7);
      }
      cursor = (cursor + n * 7 + 1) & (POOL - 1);
      await writer.writeChunk(t.name, new Uint8Array(out.buffer));
    }
  }
  await writer.finish();
  await writeFile(join(dir, "config.json"), JSON.stringify({ architectures: ["LlamaForCausalLM"], model_type: "llama" }, null, 2));
}
