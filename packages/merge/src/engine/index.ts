/** The merge engine: plan (headers only) then execute (streaming). */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { GraftError } from "../errors";
import { parseRecipe, type Recipe } from "../recipe";
import { listAuxiliaryFiles } from "../safetensors";
import { executePlan, type ExecuteOptions, type MergeResult } from "./execute";
import { planMerge, type MergePlan, type PlanOptions } from "./plan";

export { planMerge, type MergePlan, type PlannedTensor, type PlanOptions } from "./plan";
export { executePlan, type ExecuteOptions, type MergeProgress, type MergeResult, type InputRecord } from "./execute";
export { executeShard, assembleShards, planOutputShards, type ShardPart, type ShardOptions, type AssembleOptions } from "./shards";
export { type TensorHashes } from "./execute";
export { openInput, decodeRange, type InputModel, type RawChunk } from "./inputs";

export interface MergeOptions extends Omit<ExecuteOptions, "copyFiles">, PlanOptions {
  /** Copy config/tokenizer files from the base directory (default true). */
  copyAuxiliaryFiles?: boolean;
}

/** Plans and executes a recipe; the output directory appears only when complete. */
export async function runMerge(recipe: Recipe, options: MergeOptions): Promise<MergeResult> {
  const plan = await planMerge(recipe, options);
  try {
    const copyFiles = options.copyAuxiliaryFiles !== false && plan.base ? await listAuxiliaryFiles(plan.base.path) : [];
    return await executePlan(plan, { ...options, copyFiles });
  } finally {
    await plan.close();
  }
}

/** Reads a YAML recipe file; relative model paths resolve against its directory. */
export async function loadRecipeFile(path: string): Promise<{ recipe: Recipe; baseDir: string }> {
  const text = await readFile(path, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new GraftError(e.code === "ENOENT" ? "NOT_FOUND" : "IO", `${path}: ${e.code === "ENOENT" ? "no such file" : e.message}`);
  });
  return { recipe: parseRecipe(text, path), baseDir: dirname(resolve(path)) };
}

export type { MergePlan as Plan };
