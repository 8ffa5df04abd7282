// /signin — email/password (and GitHub, when configured) sign-in.
import Link from "next/link";
import { githubEnabled } from "@/server/auth";
import { SignInForm } from "@/components/SignInForm";
import { safeCallbackUrl } from "@/lib/api-client";

export const metadata = { title: "Sign in" };

const ERRORS: Record<string, string> = {
  CredentialsSignin: "Wrong email or password.",
  GitHubEmail: "Your GitHub account has no verified email address we can use.",
  OAuthAccountNotLinked: "That email is already used by another sign-in method.",
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const callbackUrl = safeCallbackUrl(typeof sp.callbackUrl === "string" ? sp.callbackUrl : undefined);
  const error = typeof sp.error === "string" ? (ERRORS[sp.error] ?? "Sign-in failed.") : undefined;
  return (
    <div className="card" style={{ maxWidth: 520 }}>
      <h1>Sign in</h1>
      <SignInForm github={githubEnabled()} callbackUrl={callbackUrl} initialError={error} />
      <p className="muted small">
        New here? <Link href={`/signup?callbackUrl=${encodeURIComponent(callbackUrl)}`}>Create an account</Link>.
      </p>
    </div>
  );
}
