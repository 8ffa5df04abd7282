// POST /api/v1/jobs/:id/generate — "try it" on a finished merge job: text
// from the foundation and, side by side, from the merged model (owner only;
// 409 before the job is done; 413/415 as for the foundation's panel).
import { getContext } from "@/server/context";
import { requireActor } from "@/server/auth";
import { json, readJson, withErrors } from "@/server/http";
import { tryMergedJob, tryMergedSchema } from "@/server/try-merged";

export const POST = withErrors<{ id: string }>(async (req, { params }) => {
  const { id } = await params;
  const actor = await requireActor(req);
  const input = await readJson(req, tryMergedSchema);
  return json(await tryMergedJob(getContext(), actor, id, input));
});
