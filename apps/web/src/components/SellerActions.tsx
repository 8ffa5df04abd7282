// Seller dashboard actions: connect Stripe payouts (redirects to Stripe's
// onboarding) and refund a sale.
"use client";

import { useState } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";
import { ConfirmActionButton } from "./ConfirmActionButton";

export function OnboardButton({ teamSlug, label }: { teamSlug: string; label: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function start() {
    setBusy(true);
    setError(null);
    try {
      const { onboarding } = await apiFetch<{ onboarding: { url: string } }>(`/api/v1/teams/${encodeURIComponent(teamSlug)}/seller/onboarding`, { method: "POST" });
      window.location.assign(onboarding.url);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }
  return (
    <div className="stack">
      <button type="button" disabled={busy} onClick={() => void start()} data-testid="onboard-button">
        {label}
      </button>
      {error && <p className="alert error small">{error}</p>}
    </div>
  );
}

export function RefundButton({ purchaseId }: { purchaseId: string }) {
  return (
    <ConfirmActionButton
      url={`/api/v1/purchases/${encodeURIComponent(purchaseId)}/refund`}
      confirm="Refund this sale? The buyer loses access to the vector."
      label="Refund"
      testId={`refund-${purchaseId}`}
    />
  );
}
