/**
 * The merge methods the builder offers for task vectors, with a one-line
 * explanation each and their parameters (names, defaults, descriptions) as the
 * merge library declares them.
 */
import { getMethod, type ParamValue } from "@graft/merge";

export interface EquipParameter {
  name: string;
  type: string;
  default?: ParamValue;
  description: string;
  choices?: readonly string[];
}

export interface EquipMethod {
  name: string;
  explanation: string;
  global: EquipParameter[];
  perVector: EquipParameter[];
}

const EXPLANATIONS: Record<string, string> = {
  task_arithmetic: "Adds each vector times its weight to the base; negative weights remove a behaviour.",
  ties: "Keeps each vector's largest changes, elects one sign per parameter and averages those that agree.",
  dare_ties: "Randomly drops most of each vector's changes, rescales the rest, then resolves signs like TIES.",
  dare_linear: "Randomly drops most of each vector's changes, rescales the rest and adds them.",
  breadcrumbs: "Drops both the tiniest and the largest outlier changes of each vector, then adds.",
  breadcrumbs_ties: "Breadcrumbs sparsification followed by TIES sign election.",
  della: "Drops changes with a probability that falls with their magnitude, then resolves signs.",
  della_linear: "Magnitude-aware random dropping (DELLA), then a plain weighted sum.",
};

export const EQUIP_METHOD_NAMES = Object.keys(EXPLANATIONS);

function paramsOf(defs: readonly unknown[]): EquipParameter[] {
  return (defs as EquipParameter[])
    .filter((d) => d.name !== "weight")
    .map((d) => ({ name: d.name, type: d.type, description: d.description, ...(d.default !== undefined ? { default: d.default } : {}), ...(d.choices ? { choices: d.choices } : {}) }));
}

export function equipMethods(): EquipMethod[] {
  return EQUIP_METHOD_NAMES.map((name) => {
    const m = getMethod(name);
    return { name, explanation: EXPLANATIONS[name], global: paramsOf(m.globalParameters), perVector: paramsOf(m.modelParameters) };
  });
}
