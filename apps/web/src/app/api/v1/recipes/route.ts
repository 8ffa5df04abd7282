// GET/POST /api/v1/recipes — the caller's saved recipes; save one (optionally shared by slug).
import { z } from "zod";
import { listRecipes, saveRecipe } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, readJson, withErrors } from "@/server/http";

const Body = z.object({ name: z.string(), yaml: z.string(), share: z.boolean().optional() });

export const GET = withErrors(async (req) => {
  return json({ recipes: await listRecipes(getContext(), await requireActor(req)) });
});

export const POST = withErrors(async (req) => {
  const actor = await requireActor(req);
  return json({ recipe: await saveRecipe(getContext(), actor, await readJson(req, Body)) }, { status: 201 });
});
