/**
 * Per-tensor resolution of parameter settings, matching mergekit:
 *
 * - `evaluate_setting` in mergekit/config.py for scalars, gradients and
 *   conditional (`filter`) lists;
 * - `MergePlanner.plan_slice` in mergekit/plan.py for the gradient position
 *   `t = layer_idx / (num_layers - 1)` (`t = 1` when there is one layer), and
 *   `MergePlanner._plan` for tensors outside the layers: embeddings ("pre
 *   weights") use `t = 0`, everything after the last layer (final norm,
 *   lm_head; "post weights") uses `t = 1`;
 * - `ConfigReader.parameter` for precedence: a model's own setting, when it
 *   resolves, beats the global `parameters` entry of the same name.
 */
import type { ParamValue } from "../types";
import { isPreLayerTensor } from "./layers";
import type { ConditionalParam, ParamSetting, ScalarOrGradient } from "./types";

/**
 * The gradient position of a tensor in [0, 1].
 * Layer tensors: `layerIndex / (numLayers - 1)`, or 1 when `numLayers <= 1`
 * (clamped to [0, 1]). Tensors without a layer index: 0 for input embeddings,
 * 1 for everything else.
 */
export function gradientPosition(tensorName: string, layerIndex: number | null, numLayers: number): number {
  if (layerIndex === null) return isPreLayerTensor(tensorName) ? 0 : 1;
  if (numLayers <= 1) return 1;
  const t = layerIndex / (numLayers - 1);
  return Math.min(1, Math.max(0, t));
}

/** True when `setting` is a list of `{filter?, value}` entries. */
export function isConditionalList(setting: ParamSetting): setting is ConditionalParam[] {
  return Array.isArray(setting) && setting.length > 0 && typeof setting[0] === "object" && setting[0] !== null;
}

/**
 * Whether a conditional entry applies to a tensor: no filter or `"*"` always
 * matches; otherwise the filter must be a substring of the (non-empty) tensor
 * name. Plain substring, not a glob or regex.
 */
export function filterMatches(filter: string | undefined, tensorName: string): boolean {
  return filter === undefined || filter === "*" || (tensorName !== "" && tensorName.includes(filter));
}

/**
 * mergekit's `evaluate_setting(tensor_name, setting, t)`:
 * - scalar → itself;
 * - list of numbers → `scaled = t·(n−1)`, `i0 = ⌊scaled⌋`, `i1 = min(n−1, i0+1)`,
 *   `frac = scaled − i0`, value `(1−frac)·v[i0] + frac·v[i1]`;
 * - list of strings → `v[⌊t·(n−1)⌋]`;
 * - conditional list → the first entry whose filter matches, evaluated at the
 *   same `t`; undefined when none matches.
 */
export function evaluateSetting(setting: ParamSetting, tensorName: string, t: number): ParamValue | undefined {
  if (!Array.isArray(setting)) return setting;
  const n = setting.length;
  if (n === 0) return undefined;
  if (isConditionalList(setting)) {
    for (const cond of setting) {
      if (filterMatches(cond.filter, tensorName)) return evaluateSetting(cond.value, tensorName, t);
    }
    return undefined;
  }
  const tt = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t));
  const values = setting as ScalarOrGradient[];
  if (values.every((v) => typeof v === "number")) {
    const nums = values as number[];
    const scaled = tt * (n - 1);
    const i0 = Math.min(n - 1, Math.trunc(scaled));
    const i1 = Math.min(n - 1, i0 + 1);
    const frac = scaled - i0;
    return (1 - frac) * nums[i0] + frac * nums[i1];
  }
  return values[Math.min(n - 1, Math.trunc(tt * (n - 1)))] as ParamValue;
}

/**
 * Resolves one setting for one tensor. `layerIndex` is the tensor's layer
 * (see `layerIndexOf`), `numLayers` the model's layer count (see
 * `countLayers`). Returns undefined when the setting is a conditional list
 * and no entry matches the tensor.
 */
export function resolveSetting(
  setting: ParamSetting,
  tensorName: string,
  layerIndex: number | null,
  numLayers: number,
): ParamValue | undefined {
  return evaluateSetting(setting, tensorName, gradientPosition(tensorName, layerIndex, numLayers));
}

/** Resolves every setting of a map; keys that resolve to undefined are omitted. */
export function resolveAll(
  settings: Readonly<Record<string, ParamSetting>>,
  tensorName: string,
  layerIndex: number | null,
  numLayers: number,
): Record<string, ParamValue> {
  const t = gradientPosition(tensorName, layerIndex, numLayers);
  const out: Record<string, ParamValue> = {};
  for (const [key, setting] of Object.entries(settings)) {
    const v = evaluateSetting(setting, tensorName, t);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * mergekit's lookup for a per-model parameter (`ConfigReader.parameter` with a
 * model): the model's own setting when it resolves for this tensor, else the
 * global setting of the same name. Returns the union of both maps' keys that
 * resolve; the caller keeps the names its method declares as per-model.
 */
export function resolveModelParameters(
  modelSettings: Readonly<Record<string, ParamSetting>>,
  globalSettings: Readonly<Record<string, ParamSetting>>,
  tensorName: string,
  layerIndex: number | null,
  numLayers: number,
): Record<string, ParamValue> {
  return {
    ...resolveAll(globalSettings, tensorName, layerIndex, numLayers),
    ...resolveAll(modelSettings, tensorName, layerIndex, numLayers),
  };
}
