// "Try it": a prompt in, the foundation's continuation and — side by side —
// the continuation of the foundation equipped with the chosen vector versions
// (the caller's entitled ones) at the chosen weights.
"use client";

import { useState } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";
import { GenerateRow, SideBySide } from "./TryOutput";

export interface TryableVector {
  versionId: string;
  label: string;
  /** Whether the viewer may equip it (owned, free, bought or traded). */
  entitled: boolean;
}

interface TryResponse {
  base: string;
  equipped: string | null;
}

export function TryItPanel({ foundation, vectors, signedIn }: { foundation: string; vectors: TryableVector[]; signedIn: boolean }) {
  const [prompt, setPrompt] = useState("the ");
  const [weights, setWeights] = useState<Record<string, number>>({});
  const [chosen, setChosen] = useState<Record<string, boolean>>({});
  const [temperature, setTemperature] = useState(0.7);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<TryResponse | null>(null);

  if (!signedIn) return <p className="muted">Sign in to try this model.</p>;

  async function run() {
    setBusy(true);
    setError(null);
    try {
      const equipped = vectors.filter((v) => chosen[v.versionId]).map((v) => ({ versionId: v.versionId, weight: weights[v.versionId] ?? 1 }));
      const res = await apiFetch<TryResponse>(`/api/v1/foundations/${encodeURIComponent(foundation)}/generate`, {
        method: "POST",
        body: JSON.stringify({ prompt, temperature, seed: 1, maxChars: 200, vectors: equipped }),
      });
      setResult(res);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="card stack" data-testid="try-it">
      <label>
        Prompt
        <textarea value={prompt} rows={2} maxLength={500} onChange={(e) => setPrompt(e.target.value)} data-testid="try-prompt" />
      </label>
      {vectors.length > 0 && (
        <div className="stack">
          <strong className="small">Equip</strong>
          {vectors.map((v) => (
            <div className="row" key={v.versionId}>
              <label className="choice">
                <input
                  type="checkbox"
                  disabled={!v.entitled}
                  checked={!!chosen[v.versionId]}
                  onChange={(e) => setChosen({ ...chosen, [v.versionId]: e.target.checked })}
                  data-testid={`try-equip-${v.label}`}
                />
                {v.label}
                {!v.entitled && <span className="muted small"> (not owned)</span>}
              </label>
              <label className="choice small">
                weight
                <input
                  type="number"
                  step={0.1}
                  min={-2}
                  max={2}
                  value={weights[v.versionId] ?? 1}
                  disabled={!v.entitled}
                  onChange={(e) => setWeights({ ...weights, [v.versionId]: Number(e.target.value) })}
                  style={{ width: "5rem" }}
                />
              </label>
            </div>
          ))}
        </div>
      )}
      <GenerateRow temperature={temperature} onTemperature={setTemperature} busy={busy} onRun={() => void run()} testId="try-run" />
      {error && <div className="alert error">{error}</div>}
      {result && (
        <SideBySide
          columns={[
            { label: "Base", text: prompt + result.base, testId: "try-base" },
            { label: "Equipped", text: result.equipped === null ? "(choose vectors to equip)" : prompt + result.equipped, testId: "try-equipped" },
          ]}
        />
      )}
    </div>
  );
}
