// A small danger button that asks for confirmation, POSTs to an API action
// and refreshes the page (yanking a version, refunding a sale).
"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";

export function ConfirmActionButton({ url, confirm, label, testId }: { url: string; confirm: string; label: string; testId: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function act() {
    if (!window.confirm(confirm)) return;
    setBusy(true);
    setError(null);
    try {
      await apiFetch(url, { method: "POST" });
      router.refresh();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <button type="button" className="danger small" disabled={busy} onClick={() => void act()} data-testid={testId}>
        {label}
      </button>
      {error && <span className="alert error small">{error}</span>}
    </>
  );
}
