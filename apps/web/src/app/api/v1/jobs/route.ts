// GET/POST /api/v1/jobs — the caller's merge jobs; submit a registry recipe
// (every input must be in the caller's library) as a queued job.
import { z } from "zod";
import { listMergeJobs, submitMergeJob } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { getJobQueue } from "@/server/jobs";
import { json, readJson, withErrors } from "@/server/http";

const Body = z.object({ yaml: z.string() });

export const GET = withErrors(async (req) => {
  const jobs = await listMergeJobs(getContext(), await requireActor(req));
  return json({ jobs });
});

export const POST = withErrors(async (req) => {
  const actor = await requireActor(req);
  const job = await submitMergeJob(getContext(), actor, await readJson(req, Body));
  getJobQueue().notify(job.id);
  return json({ job }, { status: 201 });
});
