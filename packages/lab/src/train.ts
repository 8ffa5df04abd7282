/**
 * Seeded training: minibatches of windows drawn with a fixed-seed generator,
 * Adam, softmax cross-entropy. The same config, data and backend give the
 * same weights on every run.
 */
import { mulberry32 } from "@graft/merge";
import { tf } from "./backend";
import { disposeParams, forward, fromParams, toParams, windows, type ModelConfig, type Weights } from "./model";

export interface TrainOptions {
  steps: number;
  batch: number;
  learningRate: number;
  seed: number;
  /**
   * Rehearsal: this fraction of every batch is drawn from `text` of the
   * earlier stage, so a fine-tune learns its task without unlearning the
   * foundation's data (its task vector then carries the task, not forgetting).
   */
  replay?: { text: Uint8Array; fraction: number };
  /** Called every `logEvery` steps with the mean training loss (nats/char) since the last call. */
  onLog?: (step: number, loss: number) => void;
  logEvery?: number;
}

export interface TrainResult {
  weights: Weights;
  /** Mean training loss over the first and the last tenth of the steps. */
  firstLoss: number;
  lastLoss: number;
}

export async function train(config: ModelConfig, start: Weights, text: Uint8Array, options: TrainOptions): Promise<TrainResult> {
  if (text.length < 2) throw new Error("training text is empty");
  const params = toParams(config, start);
  const optimizer = tf.train.adam(options.learningRate);
  const rand = mulberry32(options.seed);
  const tenth = Math.max(1, Math.floor(options.steps / 10));
  const logEvery = options.logEvery ?? 100;
  let first = 0;
  let last = 0;
  let window = 0;
  try {
    for (let step = 0; step < options.steps; step++) {
      const { contexts, targets } = sampleBatch(text, options, rand, config.context);
      const loss = tf.tidy(() => {
        const x = tf.tensor2d(contexts, [options.batch, config.context], "int32");
        const y = tf.oneHot(tf.tensor1d(targets, "int32"), config.vocab);
        return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(config, params, x)) as tf.Scalar, true)!;
      });
      const value = (await loss.data())[0]!;
      loss.dispose();
      if (step < tenth) first += value / tenth;
      if (step >= options.steps - tenth) last += value / tenth;
      window += value;
      if (options.onLog && (step + 1) % logEvery === 0) {
        options.onLog(step + 1, window / logEvery);
        window = 0;
      }
    }
    return { weights: await fromParams(params), firstLoss: first, lastLoss: last };
  } finally {
    optimizer.dispose();
    disposeParams(params);
  }
}

/** One minibatch of windows: task text, and the replay share from the earlier stage's text. */
function sampleBatch(text: Uint8Array, options: TrainOptions, rand: () => number, context: number): { contexts: Int32Array; targets: Int32Array } {
  const contexts = new Int32Array(options.batch * context);
  const targets = new Int32Array(options.batch);
  const position = new Int32Array(1);
  for (let b = 0; b < options.batch; b++) {
    const source = options.replay && rand() < options.replay.fraction ? options.replay.text : text;
    position[0] = 1 + Math.floor(rand() * (source.length - 1));
    const one = windows(source, position, context);
    contexts.set(one.contexts, b * context);
    targets[b] = one.targets[0]!;
  }
  return { contexts, targets };
}
