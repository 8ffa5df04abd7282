/**
 * Evaluation of a merged model against the suites its inputs carry. A vector
 * version's `evalJson` names its task, the suites (its own and the
 * foundation's "control" suite) and the fine-tune's measured metrics. The
 * scoring itself is injected (`ModelEvaluator`): core knows nothing about the
 * model family, and a deployment without an evaluator (or a foundation whose
 * vectors carry no suites) never loads one.
 */
import { z } from "zod";
import { parseJson } from "../../lib/dto";

/** Scores a checkpoint (a folder with safetensors files) on a suite: metric name → value. */
export interface ModelEvaluator {
  evaluate(checkpointDir: string, suite: unknown): Promise<Record<string, number>>;
}

const resultSchema = z.object({
  suite: z.string(),
  metric: z.string(),
  unit: z.string().optional(),
  higherIsBetter: z.boolean().optional(),
  value: z.number(),
  base: z.number().optional(),
});

const evalJsonSchema = z.object({
  task: z.string(),
  suites: z.record(z.string(), z.unknown()),
  results: z.array(resultSchema).default([]),
});

export type VersionEvaluation = z.infer<typeof evalJsonSchema>;

/** A version's evaluation, or null when it carries none (or an unreadable one). */
export function parseEvalJson(raw: string | null | undefined): VersionEvaluation | null {
  const parsed = evalJsonSchema.safeParse(parseJson<unknown>(raw ?? "{}", {}));
  return parsed.success ? parsed.data : null;
}

export interface MetricComparison {
  metric: string;
  unit: string;
  higherIsBetter: boolean;
  base: number;
  /** Each input alone (base + 1 × vector): from its publisher's measurements, or measured here. */
  vectors: { ref: string; value: number; source: "published" | "measured" }[];
  merged: number;
}

export interface SuiteEvaluation {
  /** "control" (the foundation's own data) or a vector's task. */
  suite: string;
  /** The inputs whose task this suite measures (empty for control). */
  refs: string[];
  metrics: MetricComparison[];
}

export interface JobEvaluation {
  status: "done" | "failed";
  /** Why evaluation failed (the merge itself still succeeded). */
  error?: string;
  suites: SuiteEvaluation[];
  seconds: number;
}

export interface EvalInput {
  ref: string;
  evaluation: VersionEvaluation | null;
}

/** The suites to score: each input's own task, then the control suite. Empty when no input carries suites. */
export function suitesToScore(inputs: readonly EvalInput[]): { name: string; suite: unknown; refs: string[] }[] {
  const out = new Map<string, { name: string; suite: unknown; refs: string[] }>();
  for (const { ref, evaluation } of inputs) {
    if (!evaluation) continue;
    const own = evaluation.suites[evaluation.task];
    if (own !== undefined) {
      const entry = out.get(evaluation.task) ?? { name: evaluation.task, suite: own, refs: [] };
      entry.refs.push(ref);
      out.set(evaluation.task, entry);
    }
  }
  const control = inputs.map((i) => i.evaluation?.suites.control).find((s) => s !== undefined);
  if (control !== undefined && out.size > 0 && !out.has("control")) out.set("control", { name: "control", suite: control, refs: [] });
  return [...out.values()];
}

const DEFAULT_UNITS: Record<string, { unit: string; higherIsBetter: boolean }> = {
  accuracy: { unit: "%", higherIsBetter: true },
  bits_per_char: { unit: "bits", higherIsBetter: false },
};

export interface CompareOptions {
  evaluator: ModelEvaluator;
  baseDir: string;
  mergedDir: string;
  inputs: readonly EvalInput[];
  /** Builds base + 1 × the input's vector, for inputs that publish no metric on a suite. */
  vectorAlone: (ref: string) => Promise<string>;
  /** Checked between suites; a throw stops evaluation. */
  checkpoint?: () => void;
}

/** Scores base and merge on every suite and lines them up with each input alone. */
export async function compareOnSuites(opts: CompareOptions): Promise<SuiteEvaluation[]> {
  const suites = suitesToScore(opts.inputs);
  const alone = new Map<string, string>();
  const out: SuiteEvaluation[] = [];
  for (const { name, suite, refs } of suites) {
    opts.checkpoint?.();
    const base = await opts.evaluator.evaluate(opts.baseDir, suite);
    const merged = await opts.evaluator.evaluate(opts.mergedDir, suite);
    const perInput: Record<string, { values: Record<string, number>; source: "published" | "measured" }> = {};
    for (const input of opts.inputs) {
      const published = (input.evaluation?.results ?? []).filter((r) => r.suite === name);
      if (published.length > 0) {
        perInput[input.ref] = { values: Object.fromEntries(published.map((r) => [r.metric, r.value])), source: "published" };
      } else {
        opts.checkpoint?.();
        let dir = alone.get(input.ref);
        if (!dir) {
          dir = await opts.vectorAlone(input.ref);
          alone.set(input.ref, dir);
        }
        perInput[input.ref] = { values: await opts.evaluator.evaluate(dir, suite), source: "measured" };
      }
    }
    const metrics = Object.keys(merged).map((metric): MetricComparison => {
      const described = opts.inputs.flatMap((i) => i.evaluation?.results ?? []).find((r) => r.metric === metric);
      const defaults = DEFAULT_UNITS[metric] ?? { unit: "", higherIsBetter: true };
      return {
        metric,
        unit: described?.unit ?? defaults.unit,
        higherIsBetter: described?.higherIsBetter ?? defaults.higherIsBetter,
        base: base[metric]!,
        vectors: opts.inputs.flatMap((i) => {
          const v = perInput[i.ref]!;
          const value = v.values[metric];
          return value === undefined ? [] : [{ ref: i.ref, value, source: v.source }];
        }),
        merged: merged[metric]!,
      };
    });
    out.push({ suite: name, refs, metrics });
  }
  return out;
}
