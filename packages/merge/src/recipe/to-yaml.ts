/**
 * Canonical YAML for a recipe, readable by both Graft and mergekit (PyYAML,
 * YAML 1.1): fixed top-level key order, parameter names sorted, lists of
 * scalars in flow style (as mergekit's `ConfigYamlDumper` does for numbers),
 * strings quoted whenever YAML 1.1 or 1.2 could read them as anything else.
 */
import { parse as parseYamlScalar } from "yaml";
import { recipeError } from "./format";
import { formatModelRef } from "./model-ref";
import { parseRecipe } from "./parse";
import { isConditionalList } from "./resolve";
import type { ParamSetting, Recipe, ScalarOrGradient } from "./types";

const PLAIN_SAFE = /^[A-Za-z0-9_./][A-Za-z0-9_./+@-]*$/;

function plainReadsBack(s: string): boolean {
  try {
    return parseYamlScalar(s, { version: "1.2" }) === s && parseYamlScalar(s, { version: "1.1" }) === s;
  } catch {
    return false;
  }
}

function quoteString(s: string): string {
  if (PLAIN_SAFE.test(s) && plainReadsBack(s)) return s;
  return JSON.stringify(s).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Numbers in a form both YAML 1.2 and PyYAML read back as the same double:
 * PyYAML's float pattern needs a "." and a signed exponent (`1.0e-07`).
 */
function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw recipeError(`cannot write the non-finite number ${n} to a recipe`);
  if (Object.is(n, -0)) return "-0.0";
  const s = String(n);
  const e = s.indexOf("e");
  if (e >= 0 && !s.slice(0, e).includes(".")) return `${s.slice(0, e)}.0${s.slice(e)}`;
  return s;
}

function formatScalar(v: ScalarOrGradient): string {
  if (Array.isArray(v)) return `[${(v as (number | string)[]).map((x) => formatScalar(x)).join(", ")}]`;
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  return quoteString(v);
}

function settingLines(key: string, setting: ParamSetting, indent: string): string[] {
  const head = `${indent}${quoteString(key)}:`;
  if (!isConditionalList(setting)) return [`${head} ${formatScalar(setting as ScalarOrGradient)}`];
  const lines = [head];
  for (const cond of setting) {
    if (cond.filter !== undefined) {
      lines.push(`${indent}  - filter: ${quoteString(cond.filter)}`);
      lines.push(`${indent}    value: ${formatScalar(cond.value)}`);
    } else {
      lines.push(`${indent}  - value: ${formatScalar(cond.value)}`);
    }
  }
  return lines;
}

function parameterLines(params: Readonly<Record<string, ParamSetting>>, indent: string): string[] {
  const keys = Object.keys(params).sort();
  return keys.flatMap((k) => settingLines(k, params[k], indent));
}

/**
 * Serializes a recipe to canonical mergekit YAML. Key order: name,
 * merge_method, base_model, models, parameters, dtype, out_dtype, random_seed.
 * `parseRecipe(recipeToYaml(r))` deep-equals `r`; the output is checked by
 * parsing it, so an invalid recipe throws INVALID_RECIPE.
 */
export function recipeToYaml(recipe: Recipe): string {
  const lines: string[] = [];
  if (recipe.name !== undefined) lines.push(`name: ${quoteString(recipe.name)}`);
  lines.push(`merge_method: ${quoteString(recipe.mergeMethod)}`);
  if (recipe.baseModel !== undefined) lines.push(`base_model: ${quoteString(formatModelRef(recipe.baseModel))}`);
  lines.push(recipe.models.length === 0 ? "models: []" : "models:");
  for (const m of recipe.models) {
    lines.push(`  - model: ${quoteString(formatModelRef(m.model))}`);
    const params = parameterLines(m.parameters, "      ");
    if (params.length > 0) lines.push("    parameters:", ...params);
  }
  const globals = parameterLines(recipe.parameters, "  ");
  if (globals.length > 0) lines.push("parameters:", ...globals);
  if (recipe.dtype !== undefined) lines.push(`dtype: ${recipe.dtype}`);
  if (recipe.outDtype !== undefined) lines.push(`out_dtype: ${recipe.outDtype}`);
  if (recipe.randomSeed !== undefined) lines.push(`random_seed: ${formatNumber(recipe.randomSeed)}`);
  const text = `${lines.join("\n")}\n`;
  parseRecipe(text);
  return text;
}
