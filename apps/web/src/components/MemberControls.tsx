// Team administration for owners/admins: add a member by email, change roles, remove members.
"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";

const ROLES = ["member", "admin", "owner"] as const;

export function AddMemberForm({ teamSlug }: { teamSlug: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    setBusy(true);
    setError(null);
    try {
      await apiFetch(`/api/v1/teams/${encodeURIComponent(teamSlug)}/members`, {
        method: "POST",
        body: JSON.stringify({ email: String(form.get("email") ?? ""), role: String(form.get("role") ?? "member") }),
      });
      formEl.reset();
      router.refresh();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="row" onSubmit={onSubmit} data-testid="member-form">
      <input type="email" name="email" placeholder="colleague@example.com" required style={{ maxWidth: 280 }} data-testid="member-email" />
      <select name="role" defaultValue="member" style={{ maxWidth: 140 }} data-testid="member-role">
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <button type="submit" disabled={busy} data-testid="member-add">
        Add member
      </button>
      {error && <span className="alert error small" role="alert">{error}</span>}
    </form>
  );
}

export function MemberRowControls({ teamSlug, userId, role }: { teamSlug: string; userId: string; role: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState(role);
  const base = `/api/v1/teams/${encodeURIComponent(teamSlug)}/members/${encodeURIComponent(userId)}`;

  async function call(init: RequestInit) {
    setError(null);
    try {
      await apiFetch(base, init);
      router.refresh();
    } catch (err) {
      setError(errorMessage(err));
      setSelected(role); // the change was refused: show the role the member still has
    }
  }

  return (
    <div className="row">
      <select
        value={selected}
        aria-label="Role"
        style={{ maxWidth: 130 }}
        onChange={(e) => {
          setSelected(e.target.value);
          void call({ method: "PATCH", body: JSON.stringify({ role: e.target.value }) });
        }}
        data-testid={`member-role-${userId}`}
      >
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <button type="button" className="danger small" onClick={() => void call({ method: "DELETE" })} data-testid={`member-remove-${userId}`}>
        Remove
      </button>
      {error && <span className="alert error small" role="alert">{error}</span>}
    </div>
  );
}
