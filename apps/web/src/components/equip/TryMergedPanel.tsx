// "Try it" on a finished merge: a prompt in, the foundation's continuation and
// the merged model's side by side.
"use client";

import { useState } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";
import { GenerateRow, SideBySide } from "../TryOutput";

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
      <GenerateRow temperature={temperature} onTemperature={setTemperature} busy={busy} onRun={() => void run()} testId="try-merged-run" />
      {error && <div className="alert error">{error}</div>}
      {result && (
        <SideBySide
          columns={[
            { label: "Base", text: prompt + result.base, testId: "try-merged-base" },
            { label: "Merged", text: prompt + result.merged, testId: "try-merged-output" },
          ]}
        />
      )}
    </div>
  );
}
