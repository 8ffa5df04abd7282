/**
 * The merge worker's evaluator for this model family: scores a merged
 * checkpoint on a suite taken from a vector version's `evalJson` (as
 * `scripts/demo/seed.ts` writes it) and reports the metrics under the names
 * the version's results use.
 */
import { useBackend, type BackendName } from "./backend";
import { TASKS, type CorpusName, type SplitName } from "./datasets";
import { evaluateCheckpoint, type EvalSuite } from "./evaluate";
import type { DemoModels } from "./pipeline";

const CORPORA: readonly string[] = ["foundation", ...TASKS];
const SPLITS: readonly string[] = ["train", "validation", "test"];

/** Checks a suite read from the database before any data set is loaded. */
export function parseSuite(raw: unknown): EvalSuite {
  const s = (raw ?? {}) as Partial<Record<keyof EvalSuite, unknown>>;
  const data = (s.data ?? {}) as Record<string, unknown>;
  if (typeof s.corpus !== "string" || !CORPORA.includes(s.corpus)) throw new Error(`evaluation suite: unknown corpus ${JSON.stringify(s.corpus)} (expected one of ${CORPORA.join(", ")})`);
  if (typeof s.split !== "string" || !SPLITS.includes(s.split)) throw new Error(`evaluation suite: unknown split ${JSON.stringify(s.split)}`);
  if (!Number.isInteger(s.positions) || (s.positions as number) < 1) throw new Error("evaluation suite: positions must be a positive integer");
  if (!Number.isInteger(s.seed)) throw new Error("evaluation suite: seed must be an integer");
  if (!Number.isInteger(data.maxChars) || !Number.isInteger(data.seed)) throw new Error("evaluation suite: data needs integer maxChars and seed");
  return { corpus: s.corpus as CorpusName, split: s.split as SplitName, positions: s.positions as number, seed: s.seed as number, data: { maxChars: data.maxChars as number, seed: data.seed as number } };
}

export interface CheckpointEvaluator {
  evaluate(checkpointDir: string, suite: unknown): Promise<Record<string, number>>;
}

/** The first of `backends` that starts. */
async function firstBackend(backends: readonly BackendName[]): Promise<BackendName> {
  let last: unknown = new Error("no TensorFlow.js backend was given");
  for (const name of backends) {
    try {
      return await useBackend(name);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/**
 * `accuracy` (%) and `bits_per_char` of a checkpoint on a suite; throws naming
 * the problem for another model family. Runs on the first backend of
 * `backends` that starts (default: native TensorFlow, WebAssembly, JavaScript).
 */
export function createLabEvaluator(options: { backends?: readonly BackendName[] } = {}): CheckpointEvaluator {
  let ready: Promise<BackendName> | null = null;
  return {
    async evaluate(checkpointDir, suite) {
      const parsed = parseSuite(suite);
      ready ??= firstBackend(options.backends ?? ["tensorflow", "wasm", "cpu"]);
      await ready;
      const r = await evaluateCheckpoint(checkpointDir, parsed);
      return { accuracy: r.accuracy, bits_per_char: r.bitsPerChar };
    },
  };
}

/**
 * A task vector's `evalJson`: its task, the suites (its own and "control",
 * the foundation's data) and the fine-tune's test metrics next to the base's.
 */
export function versionEvalJson(models: DemoModels, task: string): string {
  const results = Object.keys(models.suites).flatMap((suite) => [
    { suite, metric: "accuracy", unit: "%", higherIsBetter: true, value: models.metrics[task]![suite]!.accuracy, base: models.metrics.foundation![suite]!.accuracy },
    { suite, metric: "bits_per_char", unit: "bits", higherIsBetter: false, value: models.metrics[task]![suite]!.bitsPerChar, base: models.metrics.foundation![suite]!.bitsPerChar },
  ]);
  return JSON.stringify({ task, suites: models.suites, results });
}
