// /jobs/:id — one merge job with live progress, its recipe and its result.
import Link from "next/link";
import { getMergeJob } from "@graft/core";
import { getContext } from "@/server/context";
import { orNotFound, requirePageActor } from "@/server/pages";
import { JobProgress } from "@/components/equip/JobProgress";
import type { JobView } from "@/components/equip/types";

export const metadata = { title: "Merge job" };

export default async function JobPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const actor = await requirePageActor(`/jobs/${id}`);
  const job = await orNotFound(() => getMergeJob(getContext(), actor, id));
  return (
    <div className="stack">
      <div className="spread">
        <h1>Merge onto {job.foundation}</h1>
        <Link href="/jobs">All my jobs</Link>
      </div>
      <div className="card">
        <JobProgress initial={job as unknown as JobView} />
      </div>
      <div className="card stack">
        <h2>Recipe</h2>
        <pre>{job.recipeYaml}</pre>
      </div>
    </div>
  );
}
