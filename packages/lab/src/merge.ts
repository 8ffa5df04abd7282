/**
 * Merges task vectors onto the foundation with @graft/merge's engine — the
 * same recipe, files and code path a user's merge job takes — so the
 * benchmark and the tests measure what the product would produce.
 */
import { parseRecipe, runMerge } from "@graft/merge";

export interface MergeSpec {
  method: "task_arithmetic" | "ties" | "dare_ties" | "dare_linear" | "breadcrumbs_ties";
  /** Global scaling coefficient (mergekit's `lambda`). */
  lambda: number;
  /** Fraction of each vector kept by TIES/DARE (ignored by task_arithmetic). */
  density?: number;
  /** Per-vector weights (default 1 each); negative weights negate. */
  weights?: readonly number[];
  seed?: number;
}

/** Writes base + lambda·merge(vectors) as a checkpoint directory in outDir. */
export async function mergeVectors(baseDir: string, vectorPaths: readonly string[], spec: MergeSpec, outDir: string): Promise<void> {
  const recipe = parseRecipe(recipeYaml(baseDir, vectorPaths, spec), "demo merge");
  await runMerge(recipe, { outDir, overwrite: true, copyAuxiliaryFiles: false });
}

/** The mergekit-compatible recipe for a spec (normalize off: the paper's sum, scaled by lambda). */
export function recipeYaml(baseDir: string, vectorPaths: readonly string[], spec: MergeSpec): string {
  const models = vectorPaths.map((path, i) => {
    const parameters: Record<string, number> = { weight: spec.weights?.[i] ?? 1 };
    if (spec.method !== "task_arithmetic") parameters.density = spec.density ?? 1;
    return `  - model: ${JSON.stringify(path)}\n    parameters: ${JSON.stringify(parameters)}`;
  });
  return [
    `merge_method: ${spec.method}`,
    `base_model: ${JSON.stringify(baseDir)}`,
    "models:",
    ...models,
    `parameters: { lambda: ${spec.lambda}, normalize: false }`,
    "dtype: float32",
    `random_seed: ${spec.seed ?? 7}`,
    "",
  ].join("\n");
}

