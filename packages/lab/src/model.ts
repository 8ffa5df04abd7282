/**
 * A character-level language model small enough to train on two cores: the
 * previous `context` characters are embedded, concatenated and passed through
 * two ReLU layers (the second with a residual connection) to next-character
 * logits. Parameters live in a name → Float32Array map whose names are the
 * safetensors tensor names; matrices are stored [in, out].
 */
import { gaussianSource } from "@graft/merge";
import { tf } from "./backend";

export interface ModelConfig {
  vocab: number;
  context: number;
  embed: number;
  hidden: number;
}

export type Weights = Map<string, Float32Array>;

export interface TensorShape {
  name: string;
  shape: number[];
}

/** Every parameter with its shape, sorted by name (the safetensors order). */
export function parameterShapes(c: ModelConfig): TensorShape[] {
  return [
    { name: "embed.weight", shape: [c.vocab, c.embed] },
    { name: "head.bias", shape: [c.vocab] },
    { name: "head.weight", shape: [c.hidden, c.vocab] },
    { name: "layers.0.bias", shape: [c.hidden] },
    { name: "layers.0.weight", shape: [c.context * c.embed, c.hidden] },
    { name: "layers.1.bias", shape: [c.hidden] },
    { name: "layers.1.weight", shape: [c.hidden, c.hidden] },
  ];
}

export function parameterCount(c: ModelConfig): number {
  return parameterShapes(c).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
}

/** Recovers the architecture from tensor shapes, so any checkpoint of this family can be loaded. */
export function configFromShapes(shapes: ReadonlyMap<string, readonly number[]>): ModelConfig {
  const embed = shapes.get("embed.weight");
  const first = shapes.get("layers.0.weight");
  if (!embed || embed.length !== 2 || !first || first.length !== 2) {
    throw new Error("not a demo language model: embed.weight and layers.0.weight must be matrices");
  }
  const config: ModelConfig = { vocab: embed[0]!, embed: embed[1]!, context: first[0]! / embed[1]!, hidden: first[1]! };
  for (const t of parameterShapes(config)) {
    const got = shapes.get(t.name);
    if (!got || got.join(",") !== t.shape.join(",")) {
      throw new Error(`not a demo language model: ${t.name} should have shape [${t.shape.join(", ")}], has ${got ? `[${got.join(", ")}]` : "none"}`);
    }
  }
  return config;
}

/** Seeded initialisation: Gaussian matrices scaled by 1/√fan-in, zero biases. */
export function initWeights(c: ModelConfig, seed: number): Weights {
  const gauss = gaussianSource(seed);
  const weights: Weights = new Map();
  for (const t of parameterShapes(c)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    if (t.shape.length === 2) {
      const scale = t.name === "embed.weight" ? 1 : 1 / Math.sqrt(t.shape[0]!);
      for (let i = 0; i < n; i++) values[i] = gauss() * scale;
    }
    weights.set(t.name, values);
  }
  return weights;
}

/** Live tfjs variables for a weight map (the caller disposes them). */
export type Params = Map<string, tf.Variable>;

let instances = 0;

export function toParams(c: ModelConfig, weights: Weights, trainable = true): Params {
  const params: Params = new Map();
  const id = ++instances; // tfjs variable names must be unique per process
  for (const t of parameterShapes(c)) {
    params.set(t.name, tf.variable(tf.tensor(weights.get(t.name)!, t.shape, "float32"), trainable, `${t.name}#${id}`));
  }
  return params;
}

export async function fromParams(params: Params): Promise<Weights> {
  const weights: Weights = new Map();
  for (const [name, v] of params) weights.set(name, new Float32Array(await v.data()));
  return weights;
}

export function disposeParams(params: Params): void {
  for (const v of params.values()) v.dispose();
}

/** Logits [batch, vocab] for contexts [batch, context] of character ids. */
export function forward(c: ModelConfig, p: Params | Map<string, tf.Tensor>, contexts: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const batch = contexts.shape[0];
    // One-hot × embedding instead of gather: gather's gradient needs a kernel the WebAssembly backend lacks.
    const oneHot = tf.oneHot(tf.reshape(contexts, [batch * c.context]) as tf.Tensor1D, c.vocab);
    const x = tf.reshape(tf.matMul(oneHot, p.get("embed.weight") as tf.Tensor2D), [batch, c.context * c.embed]) as tf.Tensor2D;
    const h1 = tf.relu(tf.add(tf.matMul(x, p.get("layers.0.weight") as tf.Tensor2D), p.get("layers.0.bias")!)) as tf.Tensor2D;
    const h2 = tf.add(h1, tf.relu(tf.add(tf.matMul(h1, p.get("layers.1.weight") as tf.Tensor2D), p.get("layers.1.bias")!))) as tf.Tensor2D;
    return tf.add(tf.matMul(h2, p.get("head.weight") as tf.Tensor2D), p.get("head.bias")!) as tf.Tensor2D;
  });
}

/**
 * The contexts and next characters at `positions` of `text`; positions
 * before the start are padded with id 0 (newline), as at generation time.
 */
export function windows(text: Uint8Array, positions: ArrayLike<number>, context: number): { contexts: Int32Array; targets: Int32Array } {
  const contexts = new Int32Array(positions.length * context);
  const targets = new Int32Array(positions.length);
  for (let b = 0; b < positions.length; b++) {
    const p = positions[b]!;
    for (let k = 0; k < context; k++) {
      const i = p - context + k;
      contexts[b * context + k] = i >= 0 ? text[i]! : 0;
    }
    targets[b] = text[p]!;
  }
  return { contexts, targets };
}
