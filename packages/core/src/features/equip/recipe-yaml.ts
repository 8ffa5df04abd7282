/**
 * The builder's choices ⇄ a mergekit-compatible recipe. In a registry recipe
 * `base_model` is a foundation slug and each model is a vector version
 * reference `team/vector@version`; the runner swaps them for local files.
 */
import { parseRecipe, recipeToYaml, type ParamValue, type Recipe } from "@graft/merge";
import { z } from "zod";
import { DomainError } from "../../errors";
import { fromLibrary } from "../../lib/library-errors";
import { parseInput } from "../../lib/validate";
import { EQUIP_METHOD_NAMES } from "./methods";

export const VERSION_REF_RE = /^([a-z0-9][a-z0-9-]{1,38})\/([a-z0-9][a-z0-9-]{1,38})@(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;

const scalar = z.union([z.number().finite(), z.boolean(), z.string().max(64)]);

export const equipChoicesSchema = z.object({
  foundation: z.string().min(1).max(64),
  method: z.enum(EQUIP_METHOD_NAMES as [string, ...string[]], { message: `method must be one of ${EQUIP_METHOD_NAMES.join(", ")}` }),
  vectors: z
    .array(
      z.object({
        ref: z.string().regex(VERSION_REF_RE, "must be team/vector@version"),
        weight: z.number().finite().min(-10).max(10),
        params: z.record(z.string(), scalar).default({}),
      }),
    )
    .min(1, "pick at least one vector version")
    .max(16),
  params: z.record(z.string(), scalar).default({}),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  dtype: z.enum(["float32", "float16", "bfloat16"]).optional(),
});

export type EquipChoices = z.output<typeof equipChoicesSchema>;
export type EquipChoicesInput = z.input<typeof equipChoicesSchema>;

export function parseVersionRef(ref: string): { team: string; vector: string; version: string } {
  const m = VERSION_REF_RE.exec(ref);
  if (!m) throw new DomainError("INVALID", `"${ref}" is not a vector version reference (team/vector@version)`);
  return { team: m[1], vector: m[2], version: m[3] };
}

export function choicesToRecipe(input: EquipChoicesInput): Recipe {
  const c = parseInput(equipChoicesSchema, input);
  const refs = c.vectors.map((v) => v.ref);
  const dup = refs.find((r, i) => refs.indexOf(r) !== i);
  if (dup) throw new DomainError("INVALID", `${dup} is listed twice`);
  return {
    mergeMethod: c.method,
    baseModel: { path: c.foundation },
    models: c.vectors.map((v) => ({ model: { path: v.ref }, parameters: { ...v.params, weight: v.weight } })),
    parameters: { ...c.params },
    randomSeed: c.seed,
    ...(c.dtype ? { dtype: c.dtype } : {}),
  };
}

/** The canonical YAML of the builder's choices. */
export function choicesToYaml(input: EquipChoicesInput): string {
  return recipeToYaml(choicesToRecipe(input));
}

function scalarOf(value: unknown, where: string): ParamValue {
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "string") return value;
  throw new DomainError("INVALID", `${where}: the builder supports plain values only (no gradients or filters)`);
}

/** Parses a pasted recipe back into builder choices; names the first problem. */
export function yamlToChoices(yaml: string): EquipChoices {
  let recipe: Recipe;
  try {
    recipe = parseRecipe(yaml, "recipe");
  } catch (e) {
    throw fromLibrary(e);
  }
  if (!recipe.baseModel) throw new DomainError("INVALID", "recipe: base_model (a foundation slug) is required");
  const vectors = recipe.models.map((m, i) => {
    const ref = m.model.path;
    if (!VERSION_REF_RE.test(ref) || m.model.lora) throw new DomainError("INVALID", `recipe: models[${i}] "${ref}" is not a vector version reference (team/vector@version)`);
    const { weight, ...rest } = m.parameters;
    const w = weight === undefined ? 1 : scalarOf(weight, `models[${i}].weight`);
    if (typeof w !== "number") throw new DomainError("INVALID", `recipe: models[${i}].weight must be a number`);
    return { ref, weight: w, params: Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, scalarOf(v, `models[${i}].${k}`)])) };
  });
  const params = Object.fromEntries(Object.entries(recipe.parameters).map(([k, v]) => [k, scalarOf(v, `parameters.${k}`)]));
  return parseInput(equipChoicesSchema, {
    foundation: recipe.baseModel.path,
    method: recipe.mergeMethod,
    vectors,
    params,
    seed: recipe.randomSeed ?? 0,
    ...(recipe.dtype ? { dtype: recipe.dtype } : {}),
  });
}
