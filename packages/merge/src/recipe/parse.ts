/**
 * Parses mergekit-compatible YAML merge recipes (mergekit/config.py
 * `MergeConfiguration`, restricted to whole-model merges) into a `Recipe`,
 * validating structure and value types strictly. Which merge methods exist
 * and which parameters each takes is checked elsewhere (method registry).
 */
import { LineCounter, parseAllDocuments } from "yaml";
import { z } from "zod";
import { describe, formatPath, isPlainObject, recipeError, type KeyPath } from "./format";
import { modelRefProblem, parseModelRef } from "./model-ref";
import type {
  ConditionalParam,
  ModelRef,
  ParamSetting,
  Recipe,
  RecipeDType,
  RecipeModel,
  ScalarOrGradient,
} from "./types";

// ---------------------------------------------------------------------------
// Accepted keys

export const RECIPE_KEYS = [
  "models",
  "base_model",
  "merge_method",
  "parameters",
  "dtype",
  "out_dtype",
  "random_seed",
  "tokenizer_source",
  "tokenizer",
  "name",
] as const;
export const MODEL_ENTRY_KEYS = ["model", "parameters"] as const;
export const CONDITIONAL_KEYS = ["filter", "value"] as const;
const TOKENIZER_KEYS = ["source"] as const;

/** mergekit keys Graft knows but does not support, with a hint. */
const UNSUPPORTED_HINTS: Record<string, string> = {
  chat_template: "chat_template is a mergekit option Graft does not support",
  layer_range: "layer_range belongs to slices, which are not supported",
  pattern: 'conditional parameters use "filter", not "pattern"',
  tokens: "tokenizer.tokens is not supported",
  pad_to_multiple_of: "tokenizer.pad_to_multiple_of is not supported",
};

// ---------------------------------------------------------------------------
// Well-known parameter value types

export type KnownParamType =
  | { type: "number"; min?: number; max?: number }
  | { type: "boolean" };

/**
 * Value types of well-known mergekit parameters, checked wherever they occur
 * (scalars, gradient entries, conditional values). Other parameter names may
 * hold any scalar; the method registry decides whether they are accepted.
 */
export const KNOWN_PARAMETER_TYPES: Readonly<Record<string, KnownParamType>> = {
  weight: { type: "number" },
  density: { type: "number", min: 0, max: 1 },
  t: { type: "number" },
  lambda: { type: "number" },
  epsilon: { type: "number" },
  gamma: { type: "number" },
  select_topk: { type: "number", min: 0, max: 1 },
  normalize: { type: "boolean" },
  int8_mask: { type: "boolean" },
  rescale: { type: "boolean" },
};

// ---------------------------------------------------------------------------
// dtype

const DTYPES: readonly RecipeDType[] = ["float32", "float16", "bfloat16"];

/** mergekit `dtype_from_name`: the float names, optionally prefixed `torch.`. */
export function normalizeDType(name: string): RecipeDType | null {
  const bare = name.startsWith("torch.") ? name.slice("torch.".length) : name;
  return (DTYPES as readonly string[]).includes(bare) ? (bare as RecipeDType) : null;
}

// ---------------------------------------------------------------------------
// zod schemas with friendly messages

type ErrFn = (iss: { code?: string; input?: unknown; keys?: string[] }) => string | undefined;

/** Message for a wrong or missing value. */
function expected(what: string): ErrFn {
  return (iss) =>
    iss.input === undefined ? `is missing (expected ${what})` : `expected ${what}, got ${describe(iss.input)}`;
}

/** Message for a strict object: unknown keys list the accepted ones. */
function strictErrors(what: string, accepted: readonly string[], keyLabel = "key"): ErrFn {
  return (iss) => {
    if (iss.code === "unrecognized_keys") {
      const keys = iss.keys ?? [];
      const hints = keys.map((k) => UNSUPPORTED_HINTS[k]).filter((h): h is string => h !== undefined);
      const list = keys.map((k) => JSON.stringify(k)).join(", ");
      return (
        `unknown ${keyLabel}${keys.length === 1 ? "" : "s"} ${list}` +
        (hints.length > 0 ? ` (${hints.join("; ")})` : "") +
        `; accepted keys: ${accepted.join(", ")}`
      );
    }
    return iss.input === undefined ? `is missing (expected ${what})` : `expected ${what}, got ${describe(iss.input)}`;
  };
}

const modelRefSchema = z.string({ error: expected('a model reference string ("model" or "model+lora")') }).transform(
  (value, ctx): ModelRef => {
    const problem = modelRefProblem(value);
    if (problem !== null) {
      ctx.addIssue({ code: "custom", message: problem, input: value });
      return z.NEVER;
    }
    return parseModelRef(value);
  },
);

const dtypeSchema = z.string({ error: expected(`one of ${DTYPES.join(", ")}`) }).transform(
  (value, ctx): RecipeDType => {
    const dtype = normalizeDType(value);
    if (dtype === null) {
      ctx.addIssue({
        code: "custom",
        message: `expected one of ${DTYPES.join(", ")} (optionally "torch."-prefixed), got ${describe(value)}`,
        input: value,
      });
      return z.NEVER;
    }
    return dtype;
  },
);

const tokenizerSourceSchema = z.unknown().superRefine((value, ctx) => {
  if (value !== undefined && value !== null && value !== "base") {
    ctx.addIssue({
      code: "custom",
      message: `${describe(value)} is unsupported; only "base" (or leaving it out) is supported`,
      input: value,
    });
  }
});

const tokenizerSchema = z.strictObject(
  { source: tokenizerSourceSchema },
  { error: strictErrors("a mapping with source: base", TOKENIZER_KEYS) },
);

/** Conditional entry `{filter?, value}`; `value` is normalized afterwards. */
const conditionalEntrySchema = z.strictObject(
  {
    filter: z
      .string({ error: expected("a tensor-name substring") })
      .min(1, { error: "expected a non-empty tensor-name substring (leave filter out for the fallback entry)" })
      .nullish(),
    value: z.unknown().optional(),
  },
  { error: strictErrors("a mapping with filter and value", CONDITIONAL_KEYS) },
);

interface Issue {
  path: PropertyKey[];
  message: string;
}

function numberProblem(v: number): string | null {
  return Number.isFinite(v) ? null : `expected a finite number, got ${describe(v)}`;
}

/** Scalar or list gradient (the `value` of a conditional, or a plain setting). */
function normalizeScalarOrGradient(raw: unknown, path: PropertyKey[], issues: Issue[]): ScalarOrGradient | undefined {
  if (typeof raw === "number") {
    const p = numberProblem(raw);
    if (p !== null) issues.push({ path, message: p });
    return raw;
  }
  if (typeof raw === "boolean" || typeof raw === "string") return raw;
  if (Array.isArray(raw)) {
    if (raw.length === 0) {
      issues.push({ path, message: "expected a non-empty list (a gradient of numbers), got an empty list" });
      return undefined;
    }
    if (raw.every((v) => typeof v === "number")) {
      raw.forEach((v: number, i) => {
        const p = numberProblem(v);
        if (p !== null) issues.push({ path: [...path, i], message: p });
      });
      return [...raw] as number[];
    }
    if (raw.every((v) => typeof v === "string")) return [...raw] as string[];
    if (raw.some((v) => isPlainObject(v))) {
      issues.push({ path, message: "conditional {filter, value} entries cannot be nested in a value" });
      return undefined;
    }
    const bad = raw.findIndex((v) => typeof v !== "number");
    issues.push({
      path: [...path, bad],
      message: `a gradient list must hold only numbers (or only strings), got ${describe(raw[bad])}`,
    });
    return undefined;
  }
  if (raw === null || raw === undefined) {
    issues.push({ path, message: "expected a number, boolean, string or list of numbers, got nothing (null)" });
    return undefined;
  }
  issues.push({
    path,
    message: `expected a number, boolean, string or list of numbers, got ${describe(raw)}`,
  });
  return undefined;
}

function normalizeConditional(raw: unknown, path: PropertyKey[], issues: Issue[]): ConditionalParam | undefined {
  const parsed = conditionalEntrySchema.safeParse(raw);
  if (!parsed.success) {
    for (const iss of parsed.error.issues) issues.push({ path: [...path, ...iss.path], message: iss.message });
    return undefined;
  }
  const { filter, value } = parsed.data;
  if (value === undefined) {
    issues.push({ path: [...path, "value"], message: "is missing (expected the value to use when the filter matches)" });
    return undefined;
  }
  const v = normalizeScalarOrGradient(value, [...path, "value"], issues);
  if (v === undefined) return undefined;
  return filter === undefined || filter === null ? { value: v } : { filter, value: v };
}

/** One parameter setting (mergekit `ParameterSetting`). */
function normalizeSetting(raw: unknown, path: PropertyKey[], issues: Issue[]): ParamSetting | undefined {
  if (Array.isArray(raw) && raw.length > 0 && raw.every((v) => isPlainObject(v))) {
    const out: ConditionalParam[] = [];
    raw.forEach((entry, i) => {
      const c = normalizeConditional(entry, [...path, i], issues);
      if (c !== undefined) out.push(c);
    });
    return out.length === raw.length ? out : undefined;
  }
  if (Array.isArray(raw) && raw.some((v) => isPlainObject(v))) {
    issues.push({ path, message: "a list cannot mix {filter, value} entries with plain values" });
    return undefined;
  }
  if (isPlainObject(raw)) {
    // A single conditional mapping: mergekit's schema accepts it, we store it as a one-entry list.
    const c = normalizeConditional(raw, path, issues);
    return c === undefined ? undefined : [c];
  }
  return normalizeScalarOrGradient(raw, path, issues);
}

/** Checks the leaves of a setting against the well-known parameter types. */
function checkKnownType(name: string, setting: ParamSetting, path: PropertyKey[], issues: Issue[]): void {
  const kind = KNOWN_PARAMETER_TYPES[name];
  if (kind === undefined) return;
  const leaves: { path: PropertyKey[]; value: unknown; inList: boolean }[] = [];
  const collect = (v: ScalarOrGradient, p: PropertyKey[]) => {
    if (Array.isArray(v)) v.forEach((e, i) => leaves.push({ path: [...p, i], value: e, inList: true }));
    else leaves.push({ path: p, value: v, inList: false });
  };
  if (Array.isArray(setting) && setting.length > 0 && typeof setting[0] === "object") {
    (setting as ConditionalParam[]).forEach((c, i) => collect(c.value, [...path, i, "value"]));
  } else {
    collect(setting as ScalarOrGradient, path);
  }
  for (const leaf of leaves) {
    if (kind.type === "boolean") {
      if (leaf.inList) {
        issues.push({ path: leaf.path.slice(0, -1), message: `expected true or false, got a list` });
        return;
      }
      if (typeof leaf.value !== "boolean") {
        issues.push({ path: leaf.path, message: `expected true or false, got ${describe(leaf.value)}` });
        return;
      }
      continue;
    }
    const v = leaf.value;
    const ranged = kind.min !== undefined && kind.max !== undefined;
    const what = ranged ? `a number between ${kind.min} and ${kind.max}` : "a number";
    if (typeof v !== "number" || (kind.min !== undefined && v < kind.min) || (kind.max !== undefined && v > kind.max)) {
      issues.push({ path: leaf.path, message: `expected ${what}, got ${describe(v)}` });
      return;
    }
  }
}

const settingsSchema = z
  .record(z.string(), z.unknown(), { error: expected("a mapping of parameter names to values") })
  .transform((raw, ctx): Record<string, ParamSetting> => {
    const out: Record<string, ParamSetting> = {};
    const issues: Issue[] = [];
    for (const [key, value] of Object.entries(raw)) {
      const before = issues.length;
      const setting = normalizeSetting(value, [key], issues);
      if (setting !== undefined && issues.length === before) {
        checkKnownType(key, setting, [key], issues);
        out[key] = setting;
      }
    }
    for (const iss of issues) ctx.addIssue({ code: "custom", message: iss.message, path: iss.path });
    return out;
  });

const modelEntrySchema = z.strictObject(
  {
    model: modelRefSchema,
    parameters: settingsSchema.nullish(),
  },
  { error: strictErrors("a mapping with model and optional parameters", MODEL_ENTRY_KEYS) },
);

const recipeSchema = z
  .strictObject(
    {
      models: z
        .array(modelEntrySchema, { error: expected("a list of {model, parameters} entries") })
        .min(1, { error: "expected at least one model" }),
      base_model: modelRefSchema.nullish(),
      merge_method: z
        .string({ error: expected("a merge method name") })
        .min(1, { error: "expected a merge method name, got an empty string" }),
      parameters: settingsSchema.nullish(),
      dtype: dtypeSchema.nullish(),
      out_dtype: dtypeSchema.nullish(),
      random_seed: z
        .number({ error: expected("a non-negative integer") })
        .refine((n) => Number.isSafeInteger(n) && n >= 0, {
          error: (iss) => `expected a non-negative integer, got ${describe(iss.input)}`,
        })
        .nullish(),
      tokenizer_source: tokenizerSourceSchema.optional(),
      tokenizer: tokenizerSchema.nullish(),
      name: z.string({ error: expected("a string") }).nullish(),
    },
    { error: strictErrors("a mapping", RECIPE_KEYS, "top-level key") },
  )
  .superRefine((cfg, ctx) => {
    if (cfg.tokenizer_source != null && cfg.tokenizer != null) {
      ctx.addIssue({
        code: "custom",
        path: ["tokenizer"],
        message: "cannot specify both tokenizer_source and tokenizer",
      });
    }
  });

// ---------------------------------------------------------------------------
// Entry point

function withSource(source: string | undefined, message: string): string {
  return source === undefined || source === "" ? message : `${source}: ${message}`;
}

/**
 * Parses a mergekit YAML recipe. Throws GraftError("INVALID_RECIPE") with a
 * one-line message naming the offending key path; `details` carries all
 * problems found (`{ issues: {path, message}[] }`) or the YAML position.
 */
export function parseRecipe(yamlText: string, source?: string): Recipe {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(yamlText, { lineCounter, uniqueKeys: true, merge: true, prettyErrors: false });
  const documents = Array.isArray(docs) ? docs : [];
  for (const doc of documents) {
    const err = doc.errors[0];
    if (err !== undefined) {
      const { line, col } = lineCounter.linePos(err.pos[0]);
      const what = err.code === "DUPLICATE_KEY" ? "duplicate key" : "YAML syntax error";
      const detail = err.message.split("\n")[0];
      throw recipeError(withSource(source, `${what} at line ${line}, column ${col}: ${detail}`), {
        source,
        line,
        col,
        yamlCode: err.code,
      });
    }
  }
  if (documents.length > 1) {
    const { line } = lineCounter.linePos(documents[1].range[0]);
    throw recipeError(
      withSource(source, `expected a single YAML document, found another one at line ${line} (multi-document recipes are not supported)`),
      { source, line },
    );
  }
  const doc = documents[0];
  let data: unknown;
  try {
    data = doc === undefined || doc.contents === null ? undefined : doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw recipeError(withSource(source, `YAML error: ${(e as Error).message.split("\n")[0]}`), { source });
  }
  if (data === undefined || data === null) throw recipeError(withSource(source, "the recipe is empty"), { source });
  if (!isPlainObject(data)) {
    throw recipeError(withSource(source, `expected a mapping at the top level of the recipe, got ${describe(data)}`), {
      source,
    });
  }
  if ("slices" in data) {
    throw recipeError(withSource(source, "slices (passthrough/frankenmerge) are not supported; use models"), {
      source,
      path: "slices",
    });
  }
  if ("modules" in data) {
    throw recipeError(withSource(source, "modules (multi-module merges) are not supported; use models"), {
      source,
      path: "modules",
    });
  }

  const parsed = recipeSchema.safeParse(data);
  if (!parsed.success) {
    // Unknown keys first (a misspelt key usually explains the other problems, being
    // also a missing one), then in the order the top-level keys appear in the file.
    const keyOrder = Object.keys(data);
    const rank = (iss: z.core.$ZodIssue): number => {
      if (iss.code === "unrecognized_keys") return -1;
      const i = keyOrder.indexOf(String(iss.path[0]));
      return i < 0 ? keyOrder.length : i;
    };
    const ordered = parsed.error.issues
      .map((iss, i) => ({ iss, i }))
      .sort((a, b) => rank(a.iss) - rank(b.iss) || a.i - b.i)
      .map(({ iss }) => ({ path: formatPath(iss.path as KeyPath), message: iss.message }));
    const first = ordered[0];
    const head = first.path === "" ? first.message : `${first.path}: ${first.message}`;
    const more = ordered.length > 1 ? ` (and ${ordered.length - 1} more problem${ordered.length > 2 ? "s" : ""})` : "";
    throw recipeError(withSource(source, head + more), { source, issues: ordered });
  }

  const cfg = parsed.data;
  const models: RecipeModel[] = cfg.models.map((m) => ({ model: m.model, parameters: m.parameters ?? {} }));
  const recipe: Recipe = {
    mergeMethod: cfg.merge_method,
    models,
    parameters: cfg.parameters ?? {},
  };
  if (cfg.base_model != null) recipe.baseModel = cfg.base_model;
  if (cfg.dtype != null) recipe.dtype = cfg.dtype;
  if (cfg.out_dtype != null) recipe.outDtype = cfg.out_dtype;
  if (cfg.random_seed != null) recipe.randomSeed = cfg.random_seed;
  if (cfg.name != null) recipe.name = cfg.name;
  return recipe;
}
