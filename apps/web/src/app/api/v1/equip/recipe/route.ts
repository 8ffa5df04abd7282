// POST /api/v1/equip/recipe — converts between the builder's choices and
// mergekit YAML: send {choices} to get the YAML, or {yaml} to get the choices.
// Pure conversion: no account needed.
import { z } from "zod";
import { choicesToYaml, yamlToChoices } from "@graft/core";
import { json, readJson, withErrors } from "@/server/http";

const Body = z.union([z.object({ yaml: z.string().max(100_000) }), z.object({ choices: z.unknown() })]);

export const POST = withErrors(async (req) => {
  const body = await readJson(req, Body);
  const choices = "yaml" in body ? yamlToChoices(body.yaml) : yamlToChoices(choicesToYaml(body.choices as never));
  return json({ yaml: choicesToYaml(choices), choices });
});
