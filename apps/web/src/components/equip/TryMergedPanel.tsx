// "Try it" on a finished merge: a prompt in, the foundation's continuation and
// the merged model's side by side.
"use client";

import { useState } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";

interface TryMergedResponse {
  base: string;
  merged: string;
}

export function TryMergedPanel({ jobId }: { jobId: string }) {
  const [prompt, setPrompt] = useState("the ");
  const [temperature, setTemperature] = useState(0.7);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<TryMergedResponse | null>(null);

  async function run() {
    setBusy(true);
    setError(null);
    try {
      setResult(await apiFetch<TryMergedResponse>(`/api/v1/jobs/${encodeURIComponent(jobId)}/generate`, {
        method: "POST",
        body: JSON.stringify({ prompt, temperature, seed: 1, maxChars: 200 }),
      }));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="stack" data-testid="try-merged">
      <h2 style={{ margin: 0 }}>Try the merged model</h2>
      <label>
        Prompt
        <textarea value={prompt} rows={2} maxLength={500} onChange={(e) => setPrompt(e.target.value)} data-testid="try-merged-prompt" />
      </label>
      <div className="row">
        <label className="choice small">
          temperature
          <input type="number" step={0.1} min={0} max={2} value={temperature} onChange={(e) => setTemperature(Number(e.target.value))} style={{ width: "5rem" }} />
        </label>
        <button type="button" disabled={busy} onClick={() => void run()} data-testid="try-merged-run">
          {busy ? "Generating…" : "Generate"}
        </button>
      </div>
      {error && <div className="alert error">{error}</div>}
      {result && (
        <div className="form-row">
          <div>
            <strong className="small">Base</strong>
            <pre className="mono small" style={{ whiteSpace: "pre-wrap" }} data-testid="try-merged-base">{prompt + result.base}</pre>
          </div>
          <div>
            <strong className="small">Merged</strong>
            <pre className="mono small" style={{ whiteSpace: "pre-wrap" }} data-testid="try-merged-output">{prompt + result.merged}</pre>
          </div>
        </div>
      )}
    </div>
  );
}
