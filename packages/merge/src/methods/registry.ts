/**
 * The merge-method registry: name → GraftMergeMethod, lookup with a helpful error,
 * and parameter resolution against each method's declarations.
 *
 * Why it exists: the recipe parser, the engine, the CLI and the web app all
 * need the same list of accepted `merge_method` names and parameters.
 */
import { GraftError } from "../errors";
import type { GraftMergeMethod } from "./kernel";
import { linear } from "./linear";
import { modelStock } from "./model-stock";
import { slerp } from "./slerp";
import { TASK_VECTOR_METHODS } from "./task-vector-methods";

export { resolveParameters, type ChoiceParameterDef, type ParameterScope } from "./parameters";

const ORDERED: readonly GraftMergeMethod[] = [linear, ...TASK_VECTOR_METHODS, slerp, modelStock];

const REGISTRY: ReadonlyMap<string, GraftMergeMethod> = new Map(ORDERED.map((m) => [m.name, m]));

/** All methods, in documentation order. */
export function listMethods(): GraftMergeMethod[] {
  return [...ORDERED];
}

/** The accepted `merge_method` names, in documentation order. */
export function methodNames(): string[] {
  return ORDERED.map((m) => m.name);
}

/** The method called `name`; GraftError INVALID_RECIPE listing the accepted names otherwise. */
export function getMethod(name: string): GraftMergeMethod {
  const m = REGISTRY.get(name);
  if (!m) {
    throw new GraftError("INVALID_RECIPE", `unknown merge_method "${name}"; accepted: ${methodNames().join(", ")}`);
  }
  return m;
}
