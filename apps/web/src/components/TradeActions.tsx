// Buttons on a trade offer: accept / decline / counter for the receiving
// team's admins, withdraw for the proposing team's admins.
"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";

export function TradeActions({ offerId, canAnswer, canWithdraw, counterHref }: { offerId: string; canAnswer: boolean; canWithdraw: boolean; counterHref: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function act(step: "accept" | "decline" | "withdraw") {
    setBusy(true);
    setError(null);
    try {
      await apiFetch(`/api/v1/trades/${encodeURIComponent(offerId)}/${step}`, { method: "POST" });
      router.refresh();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (!canAnswer && !canWithdraw) return null;
  return (
    <div className="row" style={{ gap: "0.5rem" }}>
      {canAnswer && (
        <>
          <button type="button" className="small" disabled={busy} onClick={() => void act("accept")} data-testid="trade-accept">
            Accept
          </button>
          <button type="button" className="small danger" disabled={busy} onClick={() => void act("decline")} data-testid="trade-decline">
            Decline
          </button>
          <Link className="button small secondary" href={counterHref} data-testid="trade-counter">
            Counter
          </Link>
        </>
      )}
      {canWithdraw && (
        <button type="button" className="small danger" disabled={busy} onClick={() => void act("withdraw")} data-testid="trade-withdraw">
          Withdraw
        </button>
      )}
      {error && (
        <span className="alert error small" role="alert" data-testid="trade-action-error">
          {error}
        </span>
      )}
    </div>
  );
}
