// Account creation: POST /api/v1/auth/signup, then an immediate credentials sign-in.
"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";

export function SignUpForm({ callbackUrl }: { callbackUrl: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const email = String(form.get("email") ?? "");
    const password = String(form.get("password") ?? "");
    const name = String(form.get("name") ?? "").trim();
    setBusy(true);
    setError(null);
    try {
      await apiFetch("/api/v1/auth/signup", { method: "POST", body: JSON.stringify({ email, password, name: name || undefined }) });
      const res = await signIn("credentials", { email, password, redirect: false });
      if (!res || res.error) throw new Error("account created, but signing in failed; try the sign-in page");
      router.push(callbackUrl);
      router.refresh();
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={onSubmit} data-testid="signup-form">
      {error && <div className="alert error" role="alert" data-testid="signup-error">{error}</div>}
      <label>
        Name <span className="hint">optional, shown on your teams</span>
        <input type="text" name="name" autoComplete="name" maxLength={100} data-testid="signup-name" />
      </label>
      <label>
        Email
        <input type="email" name="email" autoComplete="email" required data-testid="signup-email" />
      </label>
      <label>
        Password <span className="hint">at least 8 characters</span>
        <input type="password" name="password" autoComplete="new-password" minLength={8} required data-testid="signup-password" />
      </label>
      <div>
        <button type="submit" disabled={busy} data-testid="signup-submit">
          {busy ? "Creating account…" : "Create account"}
        </button>
      </div>
    </form>
  );
}
