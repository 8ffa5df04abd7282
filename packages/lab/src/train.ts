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
  const positions = new Int32Array(options.batch);
  const tenth = Math.max(1, Math.floor(options.steps / 10));
  const logEvery = options.logEvery ?? 100;
  let first = 0;
  let last = 0;
  let window = 0;
  try {
    for (let step = 0; step < options.steps; step++) {
      for (let b = 0; b < options.batch; b++) positions[b] = 1 + Math.floor(rand() * (text.length - 1));
      const { contexts, targets } = windows(text, positions, config.context);
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
