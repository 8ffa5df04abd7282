/**
 * Evaluation suites: a corpus split, a fixed set of positions drawn with a
 * seed, and two metrics per suite — next-character accuracy (%, higher is
 * better; the headline metric, like the paper's accuracy) and cross-entropy
 * in bits per character (lower is better).
 */
import { mulberry32 } from "@graft/merge";
import { tf } from "./backend";
import { loadCheckpoint, type LoadedModel } from "./checkpoint";
import { loadCorpus, type CorpusName, type DatasetOptions, type SplitName } from "./datasets";
import { forward, parameterShapes, windows } from "./model";

export interface EvalSuite {
  corpus: CorpusName;
  split: SplitName;
  /** Positions scored (the whole split when it is shorter). */
  positions: number;
  seed: number;
  /** How the corpus text is prepared (must match training). */
  data: DatasetOptions;
}

export interface EvalResult {
  /** Next-character accuracy, percent. */
  accuracy: number;
  /** Cross-entropy, bits per character. */
  bitsPerChar: number;
  positions: number;
}

const corpusCache = new Map<string, ReturnType<typeof loadCorpus>>();

function corpusFor(suite: EvalSuite) {
  const key = `${suite.corpus}:${suite.data.maxChars}:${suite.data.seed}`;
  let corpus = corpusCache.get(key);
  if (!corpus) {
    corpus = loadCorpus(suite.corpus, suite.data);
    corpusCache.set(key, corpus);
  }
  return corpus;
}

function suitePositions(length: number, suite: EvalSuite): Int32Array {
  if (length - 1 <= suite.positions) return Int32Array.from({ length: length - 1 }, (_, i) => i + 1);
  const rand = mulberry32(suite.seed);
  return Int32Array.from({ length: suite.positions }, () => 1 + Math.floor(rand() * (length - 1)));
}

/** Scores a model already in memory on one suite. */
export function evaluateModel(model: LoadedModel, suite: EvalSuite): EvalResult {
  const text = corpusFor(suite).splits[suite.split];
  const positions = suitePositions(text.length, suite);
  const { config } = model;
  const batch = 512;
  let nll = 0;
  let correct = 0;
  tf.tidy(() => {
    const params = new Map(parameterShapes(config).map((t) => [t.name, tf.tensor(model.weights.get(t.name)!, t.shape)]));
    for (let start = 0; start < positions.length; start += batch) {
      const slice = positions.subarray(start, Math.min(positions.length, start + batch));
      const { contexts, targets } = windows(text, slice, config.context);
      tf.tidy(() => {
        const logits = forward(config, params, tf.tensor2d(contexts, [slice.length, config.context], "int32"));
        const logProbs = tf.logSoftmax(logits);
        const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.tensor1d(targets, "int32"), config.vocab)), 1);
        nll -= tf.sum(picked).dataSync()[0]!;
        const argmax = tf.argMax(logits, 1).dataSync();
        for (let i = 0; i < targets.length; i++) if (argmax[i] === targets[i]) correct++;
      });
    }
  });
  return { accuracy: (100 * correct) / positions.length, bitsPerChar: nll / positions.length / Math.LN2, positions: positions.length };
}

/**
 * Scores any checkpoint of this model family (a directory with
 * model.safetensors, a sharded index, or a .safetensors file — e.g. the
 * output of a merge job) on a suite. The merge worker calls this with a
 * version's suite to chart merged models.
 */
export async function evaluateCheckpoint(path: string, suite: EvalSuite): Promise<EvalResult> {
  return evaluateModel(await loadCheckpoint(path), suite);
}
