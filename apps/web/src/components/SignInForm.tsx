// Email/password sign-in through next-auth's credentials provider, plus the
// GitHub button when the server has GitHub OAuth configured.
"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

export function SignInForm({ github, callbackUrl, initialError }: { github: boolean; callbackUrl: string; initialError?: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(initialError ?? null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    const res = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    setBusy(false);
    if (!res || res.error) {
      setError("Wrong email or password.");
      return;
    }
    router.push(callbackUrl);
    router.refresh();
  }

  return (
    <div className="stack">
      <form className="form" onSubmit={onSubmit} data-testid="signin-form">
        {error && <div className="alert error" role="alert" data-testid="signin-error">{error}</div>}
        <label>
          Email
          <input type="email" name="email" autoComplete="email" required data-testid="signin-email" />
        </label>
        <label>
          Password
          <input type="password" name="password" autoComplete="current-password" required data-testid="signin-password" />
        </label>
        <div>
          <button type="submit" disabled={busy} data-testid="signin-submit">
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </div>
      </form>
      {github && (
        <div>
          <p className="muted small">or</p>
          <button type="button" className="secondary" data-testid="signin-github" onClick={() => void signIn("github", { callbackUrl })}>
            Continue with GitHub
          </button>
        </div>
      )}
    </div>
  );
}
