/**
 * Text generation for the "try it" panel: greedy decoding (temperature 0)
 * or sampling with a seeded generator, so the same request gives the same text.
 */
import { mulberry32 } from "@graft/merge";
import { tf } from "./backend";
import type { LoadedModel } from "./checkpoint";
import { forward, parameterShapes } from "./model";
import { decode, encode, normalizeText } from "./text";

export interface GenerateOptions {
  maxChars: number;
  /** 0 = greedy. */
  temperature?: number;
  seed?: number;
}

export function generate(model: LoadedModel, prompt: string, options: GenerateOptions): string {
  const { config } = model;
  const temperature = options.temperature ?? 0;
  const rand = mulberry32(options.seed ?? 0);
  const ids = Array.from(encode(normalizeText(prompt)));
  const start = ids.length;
  tf.tidy(() => {
    const params = new Map(parameterShapes(config).map((t) => [t.name, tf.tensor(model.weights.get(t.name)!, t.shape)]));
    for (let n = 0; n < options.maxChars; n++) {
      const context = new Int32Array(config.context);
      for (let k = 0; k < config.context; k++) {
        const i = ids.length - config.context + k;
        context[k] = i >= 0 ? ids[i]! : 0;
      }
      const logits = tf.tidy(() => forward(config, params, tf.tensor2d(context, [1, config.context], "int32")).dataSync());
      ids.push(temperature <= 0 ? argmax(logits) : sample(logits, temperature, rand));
    }
  });
  return decode(ids.slice(start));
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

function sample(logits: ArrayLike<number>, temperature: number, rand: () => number): number {
  const max = logits[argmax(logits)]!;
  const weights = Array.from(logits, (l) => Math.exp((l - max) / temperature));
  let r = rand() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i]!;
    if (r <= 0) return i;
  }
  return weights.length - 1;
}
