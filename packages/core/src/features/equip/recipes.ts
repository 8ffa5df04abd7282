/** Saved recipes: a name and canonical YAML per user; shareable by an unguessable slug. */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Actor, CoreContext } from "../../context";
import { notFound } from "../../errors";
import { requireScope } from "../../lib/auth";
import { parseInput } from "../../lib/validate";
import { choicesToYaml, yamlToChoices, type EquipChoices } from "./recipe-yaml";

export interface RecipeInfo {
  id: string;
  name: string;
  foundation: string;
  yaml: string;
  choices: EquipChoices;
  shareSlug: string | null;
  createdAt: string;
}

const saveSchema = z.object({
  name: z.string().trim().min(1, "name the recipe").max(100),
  yaml: z.string().min(1).max(100_000),
  share: z.boolean().default(false),
});

type RecipeRow = { id: string; name: string; yaml: string; shareSlug: string | null; createdAt: Date };

function toInfo(r: RecipeRow): RecipeInfo {
  const choices = yamlToChoices(r.yaml);
  return { id: r.id, name: r.name, foundation: choices.foundation, yaml: r.yaml, choices, shareSlug: r.shareSlug, createdAt: r.createdAt.toISOString() };
}

/** Saves a recipe (validated and stored in canonical form); `share` gives it a public slug. */
export async function saveRecipe(ctx: CoreContext, actor: Actor, input: z.input<typeof saveSchema>): Promise<RecipeInfo> {
  const a = requireScope(actor, "read");
  const p = parseInput(saveSchema, input);
  const choices = yamlToChoices(p.yaml);
  const foundation = await ctx.db.foundation.findUnique({ where: { slug: choices.foundation }, select: { id: true } });
  if (!foundation) throw notFound(`foundation "${choices.foundation}"`);
  const row = await ctx.db.recipe.create({
    data: {
      userId: a.userId,
      foundationId: foundation.id,
      name: p.name,
      yaml: choicesToYaml(choices),
      shareSlug: p.share ? randomBytes(9).toString("base64url") : null,
    },
  });
  return toInfo(row);
}

export async function listRecipes(ctx: CoreContext, actor: Actor): Promise<RecipeInfo[]> {
  const a = requireScope(actor, "read");
  const rows = await ctx.db.recipe.findMany({ where: { userId: a.userId }, orderBy: { createdAt: "desc" }, take: 200 });
  return rows.map(toInfo);
}

/** The owner's recipe by id, or anyone's shared recipe by its share slug. */
export async function loadRecipe(ctx: CoreContext, actor: Actor, idOrSlug: string): Promise<RecipeInfo> {
  const shared = await ctx.db.recipe.findUnique({ where: { shareSlug: idOrSlug } });
  if (shared) return toInfo(shared);
  const own = actor ? await ctx.db.recipe.findFirst({ where: { id: idOrSlug, userId: actor.userId } }) : null;
  if (!own) throw notFound("recipe");
  return toInfo(own);
}
