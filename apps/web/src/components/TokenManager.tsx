// Create (secret shown once), list and revoke personal API tokens.
"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";

export interface TokenRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function TokenManager({ tokens }: { tokens: TokenRow[] }) {
  const router = useRouter();
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const scopes = form.getAll("scopes").map(String);
    setBusy(true);
    setError(null);
    try {
      const res = await apiFetch<{ token: string }>("/api/v1/tokens", {
        method: "POST",
        body: JSON.stringify({ name: String(form.get("name") ?? ""), scopes }),
      });
      setSecret(res.token);
      formEl.reset();
      router.refresh();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(id: string) {
    setError(null);
    try {
      await apiFetch(`/api/v1/tokens/${encodeURIComponent(id)}`, { method: "DELETE" });
      router.refresh();
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return (
    <div className="stack">
      {error && <div className="alert error" role="alert">{error}</div>}
      {secret && (
        <div className="alert success" data-testid="token-created">
          <strong>Copy your new token now — it will not be shown again.</strong>
          <div className="secret" data-testid="token-secret">{secret}</div>
        </div>
      )}
      <form className="form card" onSubmit={create} data-testid="token-form">
        <h2 style={{ margin: 0 }}>New token</h2>
        <label>
          Name
          <input type="text" name="name" required maxLength={100} placeholder="e.g. laptop CLI" data-testid="token-name" />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          <label className="choice">
            <input type="checkbox" name="scopes" value="read" defaultChecked data-testid="token-scope-read" /> read — browse and download
          </label>
          <label className="choice">
            <input type="checkbox" name="scopes" value="publish" data-testid="token-scope-publish" /> publish — create teams, register foundations, publish and yank versions
          </label>
        </fieldset>
        <div>
          <button type="submit" disabled={busy} data-testid="token-create">
            {busy ? "Creating…" : "Create token"}
          </button>
        </div>
      </form>
      <h2>Your tokens</h2>
      {tokens.length === 0 ? (
        <p className="muted">No tokens yet.</p>
      ) : (
        <table data-testid="token-list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Token</th>
              <th>Scopes</th>
              <th>Created</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id} className={t.revokedAt ? "yanked" : undefined} data-testid={`token-row-${t.id}`}>
                <td>{t.name}</td>
                <td className="mono">{t.prefix}…</td>
                <td>{t.scopes.join(", ")}</td>
                <td>{t.createdAt.slice(0, 10)}</td>
                <td>{t.lastUsedAt ? t.lastUsedAt.slice(0, 16).replace("T", " ") : "never"}</td>
                <td>
                  {t.revokedAt ? (
                    <span className="badge danger">revoked</span>
                  ) : (
                    <button type="button" className="danger small" onClick={() => void revoke(t.id)} data-testid={`token-revoke-${t.id}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
