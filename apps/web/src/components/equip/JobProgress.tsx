// A merge job, live: follows /api/v1/jobs/:id/events (Server-Sent Events)
// until the job is finished; progress with tensors, bytes and ETA; cancel;
// the failure reason; the download and the files of the result, and the
// merged model's evaluation.
"use client";

import { useEffect, useState } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";
import { EvaluationChart } from "./EvaluationChart";
import { TryMergedPanel } from "./TryMergedPanel";
import type { JobView } from "./types";

const FINISHED = new Set(["done", "failed", "cancelled"]);

function bytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function eta(seconds: number | null): string {
  if (seconds === null) return "estimating…";
  if (seconds < 60) return `${Math.ceil(seconds)} s left`;
  return `${Math.floor(seconds / 60)} min ${Math.ceil(seconds % 60)} s left`;
}

export function JobProgress({ initial }: { initial: JobView }) {
  const [job, setJob] = useState(initial);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (FINISHED.has(initial.status)) return;
    const source = new EventSource(`/api/v1/jobs/${encodeURIComponent(initial.id)}/events`);
    source.addEventListener("job", (e) => {
      const next = JSON.parse((e as MessageEvent<string>).data) as JobView;
      setJob(next);
      if (FINISHED.has(next.status)) source.close();
    });
    return () => source.close();
  }, [initial.id, initial.status]);

  async function cancel() {
    try {
      const r = await apiFetch<{ job: JobView }>(`/api/v1/jobs/${encodeURIComponent(job.id)}/cancel`, { method: "POST" });
      setJob(r.job);
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  const p = job.progress;
  const percent = job.status === "done" ? 100 : (p?.percent ?? 0);
  return (
    <div className="stack" data-testid="job">
      {error && <div className="alert error" role="alert">{error}</div>}
      <div className="spread">
        <span>
          Status: <span className={`badge ${job.status === "failed" ? "danger" : job.status === "done" ? "accent" : ""}`} data-testid="job-status">{job.status}</span>
          {job.cancelRequested && job.status === "running" && <span className="muted small"> (stopping…)</span>}
        </span>
        {!FINISHED.has(job.status) && <button type="button" className="button secondary small" onClick={cancel} data-testid="job-cancel">Cancel</button>}
      </div>
      <div>
        <progress max={100} value={percent} style={{ width: "100%" }} aria-label="Merge progress" />
        <div className="small muted" data-testid="job-progress">
          {Math.floor(percent)}%{p ? ` · ${p.tensorsDone}/${p.tensorsTotal} tensors · ${bytes(p.bytesDone)} of ${bytes(p.bytesTotal)}` : ""}
          {job.status === "running" && p ? (p.phase === "evaluating" ? " · evaluating the merged model…" : ` · ${eta(p.etaSeconds)}`) : ""}
        </div>
      </div>
      {job.status === "failed" && <div className="alert error" data-testid="job-error">{job.error}</div>}
      {job.status === "cancelled" && <div className="alert" data-testid="job-error">{job.error}</div>}
      {job.status === "done" && job.result && (
        <div className="stack">
          <a className="button" href={`/api/v1/jobs/${encodeURIComponent(job.id)}/download`} download={job.result.archiveName} data-testid="job-download">
            Download {job.result.archiveName} ({bytes(job.result.size)})
          </a>
          <table className="small">
            <thead><tr><th>file</th><th>size</th></tr></thead>
            <tbody>
              {job.result.files.map((f) => (
                <tr key={f.path}><td className="mono">{f.path}</td><td>{bytes(f.size)}</td></tr>
              ))}
            </tbody>
          </table>
          {job.result.evaluation === null ? <p className="muted small">No evaluation suite comes with these vectors.</p> : <EvaluationChart evaluation={job.result.evaluation} />}
          {/* Suites come with models of the demo family, which the try-it panel runs. */}
          {job.result.evaluation !== null && <TryMergedPanel jobId={job.id} />}
        </div>
      )}
    </div>
  );
}
