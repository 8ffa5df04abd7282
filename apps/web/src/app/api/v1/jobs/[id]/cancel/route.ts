// POST /api/v1/jobs/:id/cancel — cancel a queued job, or ask a running one to stop.
import { cancelMergeJob } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const POST = withErrors<{ id: string }>(async (req, { params }) => {
  const { id } = await params;
  return json({ job: await cancelMergeJob(getContext(), await requireActor(req), id) });
});
