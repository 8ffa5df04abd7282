/**
 * Layer numbers from Hugging Face tensor names, used to place a tensor on a
 * parameter gradient.
 */

/**
 * Container names that hold the repeated blocks, followed by the block index:
 * `model.layers.12.` (Llama, Mistral, Qwen, OPT's `decoder.layers`),
 * `transformer.h.3.` (GPT-2, Falcon), `encoder.layer.5.` (BERT),
 * `blocks.7.` (MPT `transformer.blocks`, ViT-style), `block.2.` (T5),
 * `resblocks.4.` (CLIP).
 */
const CONTAINER =
  /(?:^|\.)(?:layers|layer|h|blocks|block|resblocks|transformer_blocks|single_transformer_blocks)\.(\d+)(?=\.|$)/;

/** Any purely numeric path segment. */
const NUMERIC_SEGMENT = /(?:^|\.)(\d+)(?=\.|$)/;

/**
 * The layer (block) number of a tensor, or null for tensors outside the
 * repeated blocks (embeddings, final norm, lm_head). The leftmost
 * `<container>.<n>.` wins (`model.layers.3.block_sparse_moe.experts.7.w1` → 3);
 * without a known container the first integer path segment is used.
 */
export function layerIndexOf(tensorName: string): number | null {
  const m = CONTAINER.exec(tensorName) ?? NUMERIC_SEGMENT.exec(tensorName);
  if (m === null) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Number of layers spanned by a set of tensor names: highest layer index + 1
 * (0 when no tensor has a layer index). This stands in for mergekit's
 * `num_hidden_layers`, which comes from the model config.
 */
export function countLayers(tensorNames: Iterable<string>): number {
  let max = -1;
  for (const name of tensorNames) {
    const i = layerIndexOf(name);
    if (i !== null && i > max) max = i;
  }
  return max + 1;
}

/**
 * Input embeddings, which mergekit plans as the architecture's "pre weights"
 * (before the first layer): `embed_tokens`, `embed_in`, `wte`, `wpe`,
 * `word_embeddings`, `tok_embeddings`, BERT's `embeddings.*`, T5's `shared`.
 * Output heads (GPT-NeoX `embed_out`, `unembed`) are not.
 */
export function isPreLayerTensor(tensorName: string): boolean {
  const segments = tensorName.split(".");
  return segments.some(
    (s, i) =>
      (s.includes("embed") && s !== "embed_out" && !s.startsWith("unembed")) ||
      s === "wte" ||
      s === "wpe" ||
      (s === "shared" && i === 0),
  );
}
