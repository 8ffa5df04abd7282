/**
 * Shapes of a parsed mergekit-compatible merge recipe.
 *
 * A recipe is the subset of mergekit's `MergeConfiguration`
 * (mergekit/config.py) that Graft supports: whole-model merges (`models`),
 * no `slices`/`modules`.
 */
import type { ParamValue } from "../types";

/** A scalar parameter value: number, boolean or string. */
export type Scalar = ParamValue;

/**
 * A list gradient. A list of numbers is interpolated piecewise-linearly over
 * the layer position; a list of strings picks one entry per position
 * (mergekit `evaluate_setting`).
 */
export type Gradient = number[] | string[];

export type ScalarOrGradient = Scalar | Gradient;

/**
 * One entry of a conditional parameter list (mergekit `ConditionalParameter`).
 * `filter` is a substring matched against the tensor name; no filter (or
 * `"*"`) matches every tensor. Entries are tried in order, the first match wins.
 */
export interface ConditionalParam {
  filter?: string;
  value: ScalarOrGradient;
}

/** What one parameter key may hold (mergekit `ParameterSetting`). */
export type ParamSetting = ScalarOrGradient | ConditionalParam[];

/** A parsed mergekit `ModelReference` string: `model` or `model+lora`. */
export interface ModelRef {
  /** Hub id or local path (a mergekit `@revision` suffix stays part of it). */
  path: string;
  /** Optional LoRA adapter (hub id or local path) applied on top of `path`. */
  lora?: string;
}

export type RecipeDType = "float32" | "float16" | "bfloat16";

export interface RecipeModel {
  model: ModelRef;
  /** Per-model parameters; empty when the YAML entry has none. */
  parameters: Record<string, ParamSetting>;
}

export interface Recipe {
  mergeMethod: string;
  baseModel?: ModelRef;
  models: RecipeModel[];
  /** Global parameters; empty when the YAML has none. */
  parameters: Record<string, ParamSetting>;
  dtype?: RecipeDType;
  outDtype?: RecipeDType;
  randomSeed?: number;
  name?: string;
}
