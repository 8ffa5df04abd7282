/**
 * The whole demo, reproducibly: train the foundation on its mixture, fine-tune
 * one copy per task, export every model to safetensors, extract the task
 * vectors with @graft/merge, and score everything on every suite. Results are
 * cached in a directory named after a hash of the config and of this
 * package's source, so a second run with nothing changed is instant.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { extractTaskVector, openCheckpoint } from "@graft/merge";
import { useBackend, type BackendName } from "./backend";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint";
import { loadCorpus, TASKS, type CorpusName, type DatasetOptions, type TaskName } from "./datasets";
import { evaluateModel, type EvalResult, type EvalSuite } from "./evaluate";
import { initWeights, parameterCount, type ModelConfig, type Weights } from "./model";
import { VOCAB_SIZE } from "./text";
import { train } from "./train";

export interface StageConfig {
  steps: number;
  batch: number;
  learningRate: number;
  /** Fraction of each fine-tuning batch replayed from the foundation's data. */
  replay?: number;
}

export interface DemoConfig {
  seed: number;
  data: DatasetOptions;
  model: Omit<ModelConfig, "vocab">;
  foundation: StageConfig;
  finetune: StageConfig;
  evalPositions: number;
  tasks: readonly TaskName[];
}

/** The configuration `npm start` and the benchmark use. */
export const DEMO_CONFIG: DemoConfig = {
  seed: 20230415,
  data: { maxChars: 400_000, seed: 7 },
  model: { context: 16, embed: 16, hidden: 256 },
  foundation: { steps: 2000, batch: 128, learningRate: 2e-3 },
  finetune: { steps: 300, batch: 128, learningRate: 5e-4, replay: 0.5 },
  evalPositions: 10_000,
  tasks: TASKS,
};

/** A few-second configuration for tests. */
export const TINY_CONFIG: DemoConfig = {
  seed: 1,
  data: { maxChars: 20_000, seed: 7 },
  model: { context: 8, embed: 8, hidden: 32 },
  foundation: { steps: 150, batch: 64, learningRate: 1e-2 },
  finetune: { steps: 60, batch: 64, learningRate: 5e-3, replay: 0.5 },
  evalPositions: 1500,
  tasks: ["names", "spam"],
};

export type Metrics = Record<string, EvalResult>;

export interface DemoModels {
  dir: string;
  config: DemoConfig;
  backend: BackendName;
  foundationDir: string;
  /** Per task: the fine-tuned checkpoint directory and the task-vector file. */
  tasks: Record<string, { finetunedDir: string; vectorPath: string }>;
  /** Suite name → suite; "control" is the foundation's own test split. */
  suites: Record<string, EvalSuite>;
  /** Model ("foundation" or a task) → suite name → result (test splits). */
  metrics: Record<string, Metrics>;
  seconds: number;
}

const here = dirname(fileURLToPath(import.meta.url));

/** The source files whose code decides the trained weights and the metrics. */
const TRAINING_SOURCES = ["backend.ts", "checkpoint.ts", "datasets.ts", "evaluate.ts", "model.ts", "pipeline.ts", "text.ts", "train.ts"];

/** Hash of the config, the backend and the training code. */
export function cacheKey(config: DemoConfig, backend: BackendName): string {
  const hash = createHash("sha256").update(JSON.stringify({ config, backend }));
  for (const f of TRAINING_SOURCES) {
    hash.update(f).update(readFileSync(join(here, f)));
  }
  return hash.digest("hex").slice(0, 16);
}

export function suitesFor(config: DemoConfig, split: "validation" | "test"): Record<string, EvalSuite> {
  const suite = (corpus: CorpusName, i: number): EvalSuite => ({ corpus, split, positions: config.evalPositions, seed: config.seed + 100 + i, data: config.data });
  return Object.fromEntries([["control", suite("foundation", 0)], ...config.tasks.map((t, i) => [t, suite(t, i + 1)])]);
}

export function modelConfig(config: DemoConfig): ModelConfig {
  return { vocab: VOCAB_SIZE, ...config.model };
}

/** Fills in the file locations under `dir` (the cache directory may have moved since training). */
function withPaths(models: DemoModels, dir: string): DemoModels {
  const tasks = Object.fromEntries(models.config.tasks.map((t) => [t, { finetunedDir: join(dir, "finetuned", t), vectorPath: join(dir, "vectors", `${t}.safetensors`) }]));
  return { ...models, dir, foundationDir: join(dir, "foundation"), tasks };
}

export interface TrainDemoOptions {
  /** Parent of the cache directories (default data/lab under the repository). */
  cacheRoot: string;
  backend?: BackendName;
  log?: (line: string) => void;
}

/**
 * The foundation has a cache entry of its own (keyed without the fine-tuning
 * settings), so changing how tasks are fine-tuned does not retrain it.
 */
async function trainFoundation(config: DemoConfig, mc: ModelConfig, text: Uint8Array, cacheRoot: string, backend: BackendName, log: (line: string) => void): Promise<Weights> {
  const { finetune: _finetune, tasks: _tasks, evalPositions: _evalPositions, ...foundationConfig } = config;
  const dir = join(cacheRoot, `foundation-${cacheKey(foundationConfig as DemoConfig, backend)}`);
  if (existsSync(join(dir, "model.safetensors"))) return (await loadCheckpoint(dir)).weights;
  const { steps, batch, learningRate } = config.foundation;
  const trained = await train(mc, initWeights(mc, config.seed), text, {
    steps,
    batch,
    learningRate,
    seed: config.seed,
    logEvery: 250,
    onLog: (step, loss) => log(`  foundation step ${step}/${config.foundation.steps}: loss ${loss.toFixed(3)}`),
  });
  await saveCheckpoint(dir, mc, trained.weights, { "graft.lab.corpus": "foundation" });
  return trained.weights;
}

/** Trains (or loads from the cache) the foundation, the fine-tunes and the task vectors. */
export async function trainDemo(config: DemoConfig, options: TrainDemoOptions): Promise<DemoModels> {
  const log = options.log ?? (() => {});
  const backend = await useBackend(options.backend);
  const dir = join(options.cacheRoot, cacheKey(config, backend));
  const manifestPath = join(dir, "models.json");
  if (existsSync(manifestPath)) return withPaths(JSON.parse(readFileSync(manifestPath, "utf8")) as DemoModels, dir);

  const started = performance.now();
  const work = `${dir}.partial`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const mc = modelConfig(config);
  log(`training on the ${backend} backend: ${parameterCount(mc).toLocaleString("en")} parameters, cache ${dir}`);

  const foundationText = loadCorpus("foundation", config.data).splits.train;
  const foundation = await trainFoundation(config, mc, foundationText, options.cacheRoot, backend, log);
  await saveCheckpoint(join(work, "foundation"), mc, foundation, { "graft.lab.corpus": "foundation" });

  for (const [i, task] of config.tasks.entries()) {
    const text = loadCorpus(task, config.data).splits.train;
    const replay = config.finetune.replay ? { text: foundationText, fraction: config.finetune.replay } : undefined;
    const tuned = await train(mc, foundation, text, { ...config.finetune, replay, seed: config.seed + 1 + i });
    log(`  fine-tune ${task}: loss ${tuned.firstLoss.toFixed(3)} → ${tuned.lastLoss.toFixed(3)}`);
    await saveCheckpoint(join(work, "finetuned", task), mc, tuned.weights, { "graft.lab.corpus": task });
  }

  // Task vectors are extracted from the saved files, exactly as a publisher would.
  mkdirSync(join(work, "vectors"), { recursive: true });
  for (const task of config.tasks) {
    const base = await openCheckpoint(join(work, "foundation"));
    const finetuned = await openCheckpoint(join(work, "finetuned", task));
    try {
      await extractTaskVector({ base, finetuned, out: join(work, "vectors", `${task}.safetensors`), encoding: { kind: "dense" }, deltaDtype: "F32", baseName: "foundation", finetunedName: task });
    } finally {
      await base.close();
      await finetuned.close();
    }
  }

  const suites = suitesFor(config, "test");
  const metrics: DemoModels["metrics"] = {};
  for (const name of ["foundation", ...config.tasks]) {
    const model = await loadCheckpoint(join(work, name === "foundation" ? "foundation" : join("finetuned", name)));
    metrics[name] = Object.fromEntries(Object.entries(suites).map(([s, suite]) => [s, evaluateModel(model, suite)]));
  }

  const models = withPaths({ dir, config, backend, foundationDir: "", tasks: {}, suites, metrics, seconds: (performance.now() - started) / 1000 }, dir);
  writeFileSync(join(work, "models.json"), JSON.stringify(models, null, 2));
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  log(`trained in ${models.seconds.toFixed(0)} s`);
  return models;
}
