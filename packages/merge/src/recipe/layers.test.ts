import { describe, expect, it } from "vitest";
import { countLayers, isPreLayerTensor, layerIndexOf } from "./layers";

describe("layerIndexOf", () => {
  it("finds the block number in common Hugging Face naming schemes", () => {
    expect(layerIndexOf("model.layers.12.mlp.down_proj.weight")).toBe(12); // Llama/Mistral/Qwen
    expect(layerIndexOf("transformer.h.3.attn.c_attn.weight")).toBe(3); // GPT-2
    expect(layerIndexOf("bert.encoder.layer.5.attention.self.query.weight")).toBe(5); // BERT
    expect(layerIndexOf("transformer.blocks.7.ffn.up_proj.weight")).toBe(7); // MPT
    expect(layerIndexOf("gpt_neox.layers.0.attention.dense.weight")).toBe(0); // GPT-NeoX
    expect(layerIndexOf("model.decoder.layers.23.fc1.weight")).toBe(23); // OPT
    expect(layerIndexOf("encoder.block.2.layer.1.DenseReluDense.wi.weight")).toBe(2); // T5: block, not sub-layer
  });

  it("takes the leftmost container index when names nest numbers", () => {
    expect(layerIndexOf("model.layers.3.block_sparse_moe.experts.7.w1.weight")).toBe(3);
  });

  it("falls back to the first integer path segment", () => {
    expect(layerIndexOf("stages.2.conv.weight")).toBe(2);
    expect(layerIndexOf("0.weight")).toBe(0);
  });

  it("returns null for tensors outside the layers", () => {
    expect(layerIndexOf("model.embed_tokens.weight")).toBeNull();
    expect(layerIndexOf("model.norm.weight")).toBeNull();
    expect(layerIndexOf("lm_head.weight")).toBeNull();
    expect(layerIndexOf("transformer.ln_f.weight")).toBeNull();
    expect(layerIndexOf("model.layers12.weight")).toBeNull();
  });
});

describe("countLayers", () => {
  it("is the highest layer index plus one", () => {
    const names = [
      "model.embed_tokens.weight",
      "model.layers.0.mlp.up_proj.weight",
      "model.layers.1.mlp.up_proj.weight",
      "model.layers.10.self_attn.q_proj.weight",
      "model.norm.weight",
      "lm_head.weight",
    ];
    expect(countLayers(names)).toBe(11);
  });

  it("is 0 when no tensor has a layer index", () => {
    expect(countLayers(["lm_head.weight", "model.norm.weight"])).toBe(0);
    expect(countLayers([])).toBe(0);
  });
});

describe("isPreLayerTensor", () => {
  it("recognises input embeddings but not output heads or norms", () => {
    for (const n of [
      "model.embed_tokens.weight",
      "transformer.wte.weight",
      "transformer.wpe.weight",
      "gpt_neox.embed_in.weight",
      "bert.embeddings.LayerNorm.weight",
      "shared.weight",
    ]) {
      expect(isPreLayerTensor(n), n).toBe(true);
    }
    for (const n of ["lm_head.weight", "model.norm.weight", "embed_out.weight", "transformer.ln_f.bias"]) {
      expect(isPreLayerTensor(n), n).toBe(false);
    }
  });
});
