/**
 * Parameter declaration helpers and resolution (defaults, unknown names,
 * missing required values, types).
 *
 * Why it exists: every method declares its global and per-model parameters
 * the way mergekit does (`parameters()` / `tensor_parameters()`); the recipe
 * layer resolves user values against those declarations with one-line
 * INVALID_RECIPE errors that list what is accepted.
 */
import { GraftError } from "../errors";
import type { MergeMethod, ParameterDef, ParamValue } from "../types";

/** A ParameterDef that may restrict a string to a set of choices. */
export interface ChoiceParameterDef extends ParameterDef {
  choices?: readonly string[];
}

export type ParameterScope = "global" | "model";

export function param(
  name: string,
  type: ParameterDef["type"],
  defaultValue: ParamValue | undefined,
  description: string,
  choices?: readonly string[],
): ChoiceParameterDef {
  const def: ChoiceParameterDef = { name, type, description };
  if (defaultValue !== undefined) def.default = defaultValue;
  if (choices) def.choices = choices;
  return def;
}

function scopeLabel(scope: ParameterScope): string {
  return scope === "global" ? "global" : "per-model";
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return `string "${v}"`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

/**
 * `given` with every declared parameter of `scope` present: defaults filled
 * in, values type-checked. Throws GraftError INVALID_RECIPE for unknown names
 * (listing the accepted ones), missing required parameters and wrong types.
 */
export function resolveParameters(
  method: Pick<MergeMethod, "name" | "globalParameters" | "modelParameters">,
  given: Record<string, ParamValue>,
  scope: ParameterScope,
): Record<string, ParamValue> {
  const defs = (scope === "global" ? method.globalParameters : method.modelParameters) as ChoiceParameterDef[];
  const label = scopeLabel(scope);
  const accepted = defs.length ? defs.map((d) => d.name).join(", ") : "(none)";
  for (const key of Object.keys(given)) {
    if (!defs.some((d) => d.name === key)) {
      throw new GraftError(
        "INVALID_RECIPE",
        `unknown ${label} parameter "${key}" for merge_method "${method.name}"; accepted: ${accepted}`,
      );
    }
  }
  const out: Record<string, ParamValue> = {};
  for (const def of defs) {
    const has = Object.prototype.hasOwnProperty.call(given, def.name);
    const value: unknown = has ? given[def.name] : def.default;
    if (value === undefined) {
      throw new GraftError(
        "INVALID_RECIPE",
        `missing required ${label} parameter "${def.name}" for merge_method "${method.name}"`,
      );
    }
    const ok =
      def.type === "number"
        ? typeof value === "number" && Number.isFinite(value)
        : typeof value === def.type;
    if (!ok) {
      throw new GraftError(
        "INVALID_RECIPE",
        `${label} parameter "${def.name}" of merge_method "${method.name}" must be a ${
          def.type === "number" ? "finite number" : def.type
        }, got ${describe(value)}`,
      );
    }
    if (def.choices && !def.choices.includes(value as string)) {
      throw new GraftError(
        "INVALID_RECIPE",
        `${label} parameter "${def.name}" of merge_method "${method.name}" must be one of ${def.choices.join(
          ", ",
        )}, got "${String(value)}"`,
      );
    }
    out[def.name] = value as ParamValue;
  }
  return out;
}
