// Starts checkout: redirects to Stripe Checkout, or completes a test payment in place.
"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";

type Checkout = { mode: "stripe"; checkoutUrl: string } | { mode: "test"; purchaseId: string };

export function BuyButton({ vectorId, price, testMode }: { vectorId: string; price: string; testMode: boolean }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function buy() {
    setBusy(true);
    setError(null);
    try {
      const { checkout } = await apiFetch<{ checkout: Checkout }>("/api/v1/checkout", { method: "POST", body: JSON.stringify({ vectorId }) });
      if (checkout.mode === "stripe") {
        window.location.assign(checkout.checkoutUrl);
        return;
      }
      setDone(true);
      router.refresh();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (done) {
    return (
      <p className="alert success small" data-testid="purchase-done">
        Purchased. It is in your <Link href="/library">library</Link>.
      </p>
    );
  }
  return (
    <div className="stack">
      <button type="button" disabled={busy} onClick={() => void buy()} data-testid="buy-button">
        {testMode ? `Test payment: buy for ${price}` : `Buy for ${price}`}
      </button>
      {error && <p className="alert error small">{error}</p>}
    </div>
  );
}
