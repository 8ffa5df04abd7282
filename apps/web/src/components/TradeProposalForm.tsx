// Proposing a trade (or countering one): pick the team that gives, its
// vectors to give, the other team's vectors to get, a message and how long
// the offer stays open.
"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";

export interface TradeFormProps {
  myTeams: { slug: string; name: string; vectors: { slug: string; name: string }[] }[];
  theirTeam: { slug: string; name: string; vectors: { slug: string; name: string; listing: string | null }[] };
  /** Pre-ticked vectors of the other team / of the giving team. */
  want: string[];
  give: string[];
  /** When countering: the offer answered (the giving team is then fixed). */
  counterOf?: string;
  defaultDays: number;
  maxDays: number;
}

export function TradeProposalForm({ myTeams, theirTeam, want, give, counterOf, defaultDays, maxDays }: TradeFormProps) {
  const router = useRouter();
  const [fromTeam, setFromTeam] = useState(myTeams[0]?.slug ?? "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const mine = myTeams.find((t) => t.slug === fromTeam);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const terms = {
      offered: form.getAll("offered").map(String),
      requested: form.getAll("requested").map(String),
      message: String(form.get("message") ?? ""),
      expiresInDays: Number(form.get("expiresInDays") ?? defaultDays),
    };
    setBusy(true);
    setError(null);
    try {
      if (counterOf) await apiFetch(`/api/v1/trades/${encodeURIComponent(counterOf)}/counter`, { method: "POST", body: JSON.stringify(terms) });
      else await apiFetch("/api/v1/trades", { method: "POST", body: JSON.stringify({ ...terms, fromTeam, toTeam: theirTeam.slug }) });
      router.push("/trades");
      router.refresh();
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  if (myTeams.length === 0) {
    return <p className="alert error">You need to be an admin or owner of a team (other than {theirTeam.name}) to propose a trade.</p>;
  }
  return (
    <form className="form" onSubmit={onSubmit} data-testid="trade-form">
      {error && (
        <div className="alert error" role="alert" data-testid="trade-error">
          {error}
        </div>
      )}
      <label>
        Your team
        <select value={fromTeam} onChange={(e) => setFromTeam(e.target.value)} disabled={Boolean(counterOf)} data-testid="trade-from-team">
          {myTeams.map((t) => (
            <option key={t.slug} value={t.slug}>
              {t.name} ({t.slug})
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>You give</legend>
        {mine?.vectors.length ? (
          mine.vectors.map((v) => (
            <label key={`${fromTeam}/${v.slug}`} className="choice">
              <input type="checkbox" name="offered" value={v.slug} defaultChecked={give.includes(v.slug)} data-testid={`trade-give-${v.slug}`} />
              {v.name} <span className="muted small mono">{v.slug}</span>
            </label>
          ))
        ) : (
          <p className="muted small">This team has no vectors to offer yet.</p>
        )}
      </fieldset>
      <fieldset>
        <legend>You get from {theirTeam.name}</legend>
        {theirTeam.vectors.map((v) => (
          <label key={v.slug} className="choice">
            <input type="checkbox" name="requested" value={v.slug} defaultChecked={want.includes(v.slug)} data-testid={`trade-get-${v.slug}`} />
            {v.name} <span className="muted small mono">{v.slug}</span> {v.listing && <span className="badge">{v.listing}</span>}
          </label>
        ))}
      </fieldset>
      <label>
        Message <span className="hint">optional</span>
        <textarea name="message" maxLength={2000} style={{ minHeight: "4rem", fontFamily: "inherit" }} data-testid="trade-message" />
      </label>
      <label>
        Open for (days) <span className="hint">1–{maxDays}; the offer expires after that</span>
        <input type="number" name="expiresInDays" min={1} max={maxDays} defaultValue={defaultDays} data-testid="trade-days" />
      </label>
      <div>
        <button type="submit" disabled={busy} data-testid="trade-submit">
          {busy ? "Sending…" : counterOf ? "Send counter-offer" : "Propose trade"}
        </button>
      </div>
    </form>
  );
}
