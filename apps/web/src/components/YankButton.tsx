// Lets members of the owner team yank a version (it stays downloadable for them and entitled users).
"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";

export function YankButton({ versionId, version }: { versionId: string; version: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function yank() {
    if (!window.confirm(`Yank version ${version}? New users will no longer be able to download it.`)) return;
    setBusy(true);
    setError(null);
    try {
      await apiFetch(`/api/v1/versions/${encodeURIComponent(versionId)}/yank`, { method: "POST" });
      router.refresh();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <button type="button" className="danger small" disabled={busy} onClick={() => void yank()} data-testid={`yank-${version}`}>
        Yank
      </button>
      {error && <span className="alert error small">{error}</span>}
    </>
  );
}
