// GET /api/v1/jobs/:id — one of the caller's merge jobs (others' are 404).
import { getMergeJob } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const GET = withErrors<{ id: string }>(async (req, { params }) => {
  const { id } = await params;
  return json({ job: await getMergeJob(getContext(), await requireActor(req), id) });
});
