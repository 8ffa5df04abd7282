/**
 * mergekit `ModelReference` strings (mergekit/common.py):
 * `<model>` or `<model>+<lora>`. More than one `+` is an error there
 * ("Can't parse"), and each part may carry at most one `@revision`
 * (`ModelPath`: "Invalid model path - multiple @").
 */
import { describe, recipeError } from "./format";
import type { ModelRef } from "./types";

/** Why `value` is not a valid model reference, or null when it is. */
export function modelRefProblem(value: string): string | null {
  if (value.trim() === "") return "expected a model reference (hub id or path), got an empty string";
  if (value !== value.trim()) return `model reference ${describe(value)} has leading or trailing spaces`;
  const parts = value.split("+");
  if (parts.length > 2) {
    return `model reference ${describe(value)} has more than one "+"; expected "model" or "model+lora"`;
  }
  if (parts.some((p) => p.trim() === "")) {
    return `model reference ${describe(value)} has an empty part around "+"; expected "model" or "model+lora"`;
  }
  for (const p of parts) {
    if (p.split("@").length > 2) return `model reference ${describe(value)} has more than one "@" in ${describe(p)}`;
    if (p.startsWith("@") || p.endsWith("@")) return `model reference ${describe(value)} has an empty path or revision around "@"`;
  }
  return null;
}

/** Parses `model` / `model+lora`. Throws INVALID_RECIPE on malformed input. */
export function parseModelRef(value: string): ModelRef {
  const problem = modelRefProblem(value);
  if (problem !== null) throw recipeError(problem);
  const [path, lora] = value.split("+");
  return lora === undefined ? { path } : { path, lora };
}

/** The mergekit string form: `path` or `path+lora`. */
export function formatModelRef(ref: ModelRef): string {
  return ref.lora === undefined ? ref.path : `${ref.path}+${ref.lora}`;
}

export function sameModelRef(a: ModelRef, b: ModelRef): boolean {
  return a.path === b.path && a.lora === b.lora;
}
