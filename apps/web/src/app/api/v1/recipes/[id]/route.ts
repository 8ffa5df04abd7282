// GET /api/v1/recipes/:idOrShareSlug — a shared recipe (anyone), or one of the caller's own by id.
import { loadRecipe } from "@graft/core";
import { getActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const GET = withErrors<{ id: string }>(async (req, { params }) => {
  const { id } = await params;
  return json({ recipe: await loadRecipe(getContext(), await getActor(req), id) });
});
