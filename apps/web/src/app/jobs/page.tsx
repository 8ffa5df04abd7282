// /jobs — the signed-in user's merge jobs.
import Link from "next/link";
import { listMergeJobs } from "@graft/core";
import { getContext } from "@/server/context";
import { requirePageActor } from "@/server/pages";

export const metadata = { title: "My merge jobs" };

export default async function JobsPage() {
  const actor = await requirePageActor("/jobs");
  const jobs = await listMergeJobs(getContext(), actor);
  return (
    <div className="stack">
      <div className="spread">
        <h1>My merge jobs</h1>
        <Link className="button" href="/equip">New merge</Link>
      </div>
      {jobs.length === 0 ? (
        <p className="muted">No merges yet.</p>
      ) : (
        <table data-testid="jobs-table">
          <thead>
            <tr><th>job</th><th>foundation</th><th>vectors</th><th>status</th><th>submitted</th></tr>
          </thead>
          <tbody>
            {jobs.map((j) => (
              <tr key={j.id}>
                <td><Link href={`/jobs/${j.id}`} className="mono">{j.id.slice(-8)}</Link></td>
                <td>{j.foundation}</td>
                <td className="mono small">{j.inputs.map((i) => `${i.weight} × ${i.ref}`).join(", ")}</td>
                <td><span className={`badge ${j.status === "failed" ? "danger" : j.status === "done" ? "accent" : ""}`}>{j.status}</span>{j.error && <div className="small muted">{j.error}</div>}</td>
                <td className="small">{new Date(j.createdAt).toLocaleString("en")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
