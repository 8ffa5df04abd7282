/**
 * Plan-then-execute, step one: everything a merge needs to know — inputs,
 * their structure, the method, every parameter of every tensor, output dtypes
 * and sizes — checked from file headers alone, so a bad recipe fails in a
 * second instead of after an hour of I/O.
 */
import { GraftError } from "../errors";
import { getMethod, resolveParameters } from "../methods";
import type { StreamingMergeMethod } from "../types";
import {
  countLayers,
  formatModelRef,
  layerIndexOf,
  resolveAll,
  resolveModelParameters,
  sameModelRef,
  type Recipe,
  type RecipeDType,
} from "../recipe";
import { dtypeSize, isFloatDType } from "../safetensors";
import type { DType, ParamValue, TensorInfo } from "../types";
import { openInput, type InputModel, type OpenInputOptions } from "./inputs";

export interface PlannedTensor {
  name: string;
  shape: number[];
  numel: number;
  inDtype: DType;
  outDtype: DType;
  /** "copy": integer/bool tensors carried through from the base unchanged. */
  action: "merge" | "copy";
  params: Record<string, ParamValue>;
  modelParams: Record<string, ParamValue>[];
  outBytes: number;
}

export interface MergePlan {
  recipe: Recipe;
  method: StreamingMergeMethod;
  /** The base_model input (null for methods that work without one). */
  base: InputModel | null;
  /** The models the method combines, in recipe order (the base removed where mergekit does). */
  models: InputModel[];
  tensors: PlannedTensor[];
  seed: number;
  /** Foundation fingerprint every task-vector input was made against (null: no task vectors). */
  foundationFingerprint: string | null;
  totalOutBytes: number;
  close(): Promise<void>;
}

export interface PlanOptions extends OpenInputOptions {
  /** When known (e.g. from the registry), task vectors are checked against it at once. */
  expectedBaseFingerprint?: string;
}

const RECIPE_TO_DTYPE: Record<RecipeDType, DType> = { float32: "F32", float16: "F16", bfloat16: "BF16" };

/** Methods that average the listed models as given, the base among them if listed (mergekit linear). */
const KEEPS_BASE_IN_MODELS = new Set(["linear"]);

export async function planMerge(recipe: Recipe, options: PlanOptions = {}): Promise<MergePlan> {
  const method = getMethod(recipe.mergeMethod);
  const opened: InputModel[] = [];
  const closeAll = async () => {
    await Promise.all(opened.map((m) => m.close().catch(() => {})));
  };
  try {
    const base = recipe.baseModel ? await openInput(formatModelRef(recipe.baseModel), options) : null;
    if (base) opened.push(base);
    if (base && base.kind === "task-vector") {
      throw new GraftError("INVALID_RECIPE", `base_model ${base.ref}: is a task-vector file; base_model must be a full checkpoint`);
    }
    if (method.requiresBase && !base) {
      throw new GraftError("INVALID_RECIPE", `merge_method "${method.name}" needs base_model`);
    }

    const entries = recipe.models.filter(
      (m) => !(recipe.baseModel && !KEEPS_BASE_IN_MODELS.has(method.name) && sameModelRef(m.model, recipe.baseModel)),
    );
    const models: InputModel[] = [];
    for (const entry of entries) {
      const input = await openInput(formatModelRef(entry.model), options);
      opened.push(input);
      models.push(input);
    }
    checkModelCount(method, models.length);

    const reference = base ?? models[0];
    if (!reference) throw new GraftError("INVALID_RECIPE", "models: at least one model is required");
    const foundationFingerprint = checkStructure(reference, base, models, options.expectedBaseFingerprint);

    const names = reference.tensorNames;
    const numLayers = countLayers(names);
    const modelDefs = new Set(method.modelParameters.map((d) => d.name));
    const globalDefs = new Set(method.globalParameters.map((d) => d.name));
    checkParameterNames(recipe, method, modelDefs, globalDefs);

    const tensors: PlannedTensor[] = [];
    for (const name of names) {
      const info = reference.info(name);
      const layer = layerIndexOf(name);
      const numel = info.shape.reduce((a, b) => a * b, 1);
      if (!isFloatDType(info.dtype)) {
        tensors.push({ name, shape: info.shape, numel, inDtype: info.dtype, outDtype: info.dtype, action: "copy", params: {}, modelParams: [], outBytes: info.byteLength });
        continue;
      }
      const globalGiven = pick(resolveAll(recipe.parameters, name, layer, numLayers), globalDefs);
      const params = resolveParameters(method, globalGiven, "global");
      const modelParams = entries.map((e) =>
        resolveParameters(method, pick(resolveModelParameters(e.parameters, recipe.parameters, name, layer, numLayers), modelDefs), "model"),
      );
      const outRecipeDtype = recipe.outDtype ?? recipe.dtype;
      const outDtype = outRecipeDtype ? RECIPE_TO_DTYPE[outRecipeDtype] : info.dtype;
      tensors.push({ name, shape: info.shape, numel, inDtype: info.dtype, outDtype, action: "merge", params, modelParams, outBytes: numel * dtypeSize(outDtype) });
    }

    return {
      recipe,
      method,
      base,
      models,
      tensors,
      seed: recipe.randomSeed ?? 0,
      foundationFingerprint,
      totalOutBytes: tensors.reduce((a, t) => a + t.outBytes, 0),
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

function pick(values: Record<string, ParamValue>, keep: Set<string>): Record<string, ParamValue> {
  return Object.fromEntries(Object.entries(values).filter(([k]) => keep.has(k)));
}

function checkModelCount(method: StreamingMergeMethod, count: number): void {
  const min = method.minModels ?? 1;
  if (count < min) {
    throw new GraftError("INVALID_RECIPE", `merge_method "${method.name}" needs at least ${min} model(s) besides base_model, got ${count}`);
  }
  if (method.maxModels !== undefined && count > method.maxModels) {
    throw new GraftError("INVALID_RECIPE", `merge_method "${method.name}" takes at most ${method.maxModels} model(s) besides base_model, got ${count}`);
  }
}

/** Every parameter named anywhere in the recipe must be declared by the method, globally or per model. */
function checkParameterNames(recipe: Recipe, method: StreamingMergeMethod, modelDefs: Set<string>, globalDefs: Set<string>): void {
  const accepted = [...globalDefs, ...modelDefs].join(", ") || "(none)";
  const check = (key: string, where: string, allowed: (k: string) => boolean) => {
    if (!allowed(key)) {
      throw new GraftError("INVALID_RECIPE", `${where}.${key}: unknown parameter for merge_method "${method.name}"; accepted: ${accepted}`);
    }
  };
  for (const key of Object.keys(recipe.parameters)) check(key, "parameters", (k) => globalDefs.has(k) || modelDefs.has(k));
  recipe.models.forEach((m, i) => {
    for (const key of Object.keys(m.parameters)) check(key, `models[${i}].parameters`, (k) => modelDefs.has(k));
  });
}

/**
 * Names, shapes and dtypes of every input against the reference (the base
 * when there is one); task vectors against the base they were made for.
 * Returns the foundation fingerprint shared by all task-vector inputs.
 */
function checkStructure(reference: InputModel, base: InputModel | null, models: InputModel[], expected?: string): string | null {
  const problems: string[] = [];
  const tvs = models.filter((m) => m.kind === "task-vector");
  if (tvs.length > 0 && !base) {
    throw new GraftError("INVALID_RECIPE", `${tvs[0]!.ref}: a task-vector model needs base_model (the foundation it was made against)`);
  }
  let fingerprint: string | null = null;
  for (const tv of tvs) {
    if (expected && tv.fingerprint !== expected) {
      throw new GraftError("FINGERPRINT_MISMATCH", `${tv.ref}: made against foundation ${tv.fingerprint}, but the base is ${expected}`);
    }
    if (fingerprint && tv.fingerprint !== fingerprint) {
      throw new GraftError("FINGERPRINT_MISMATCH", `${tv.ref}: made against foundation ${tv.fingerprint}, but ${tvs[0]!.ref} was made against ${fingerprint}`);
    }
    fingerprint = tv.fingerprint ?? null;
  }
  for (const model of models) {
    if (model === reference) continue;
    problems.push(...diffAgainst(reference, model));
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).join("; ");
    const more = problems.length > 20 ? `; … ${problems.length - 20} more` : "";
    throw new GraftError("MISMATCH", `inputs do not match the base: ${problems.length} difference(s): ${shown}${more}`, problems);
  }
  return fingerprint;
}

function diffAgainst(reference: InputModel, model: InputModel): string[] {
  const out: string[] = [];
  const refNames = new Set(reference.tensorNames);
  for (const name of model.tensorNames) {
    if (!refNames.has(name)) out.push(`${model.ref}: tensor "${name}" is not in ${reference.ref}`);
  }
  const names = new Set(model.tensorNames);
  for (const name of reference.tensorNames) if (!names.has(name)) out.push(`${model.ref}: tensor "${name}" is missing`);
  for (const name of model.tensorNames) {
    if (!refNames.has(name)) continue;
    const a: TensorInfo = reference.info(name);
    const b: TensorInfo = model.info(name);
    if (a.shape.join(",") !== b.shape.join(",")) out.push(`${model.ref}: "${name}" shape [${b.shape}] vs base [${a.shape}]`);
    else if (a.dtype !== b.dtype) out.push(`${model.ref}: "${name}" dtype ${b.dtype} vs base ${a.dtype}`);
  }
  return out;
}
