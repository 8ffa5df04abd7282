// Write (or replace) the viewer's review: 1–5 stars and a text.
"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";

export function ReviewForm({ team, vector, mine }: { team: string; vector: string; mine: { rating: number; body: string } | null }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await apiFetch(`/api/v1/vectors/${encodeURIComponent(team)}/${encodeURIComponent(vector)}/reviews`, {
        method: "POST",
        body: JSON.stringify({ rating: Number(form.get("rating")), body: String(form.get("body") ?? "") }),
      });
      router.refresh();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form card" onSubmit={onSubmit} data-testid="review-form">
      {error && (
        <div className="alert error" role="alert" data-testid="review-error">
          {error}
        </div>
      )}
      <label>
        {mine ? "Update your review" : "Your review"}
        <select name="rating" defaultValue={String(mine?.rating ?? 5)} data-testid="review-rating">
          {[5, 4, 3, 2, 1].map((n) => (
            <option key={n} value={n}>
              {"★".repeat(n)} ({n})
            </option>
          ))}
        </select>
      </label>
      <textarea name="body" maxLength={5000} defaultValue={mine?.body ?? ""} placeholder="What did it do for your model?" style={{ fontFamily: "inherit" }} data-testid="review-body" />
      <div>
        <button type="submit" disabled={busy} data-testid="review-submit">
          {busy ? "Saving…" : mine ? "Replace review" : "Post review"}
        </button>
      </div>
    </form>
  );
}
