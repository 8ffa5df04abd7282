// POST /api/v1/foundations/:slug/generate — the "try it" panel: text from the
// foundation and, side by side, from the foundation equipped in memory with
// task-vector versions the caller is entitled to. Small models only (413 above
// the limit); 415 when the foundation is not a model the panel can run.
import { getContext } from "@/server/context";
import { requireActor } from "@/server/auth";
import { json, readJson, withErrors } from "@/server/http";
import { tryFoundation, tryRequestSchema } from "@/server/try-model";

export const POST = withErrors<{ slug: string }>(async (req, { params }) => {
  const { slug } = await params;
  const actor = await requireActor(req);
  const input = await readJson(req, tryRequestSchema);
  return json(await tryFoundation(getContext(), actor, slug, input));
});
