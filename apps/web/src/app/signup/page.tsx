// /signup — create an email/password account.
import Link from "next/link";
import { SignUpForm } from "@/components/SignUpForm";
import { safeCallbackUrl } from "@/lib/api-client";

export const metadata = { title: "Sign up" };

export default async function SignUpPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const callbackUrl = safeCallbackUrl(typeof sp.callbackUrl === "string" ? sp.callbackUrl : undefined);
  return (
    <div className="card" style={{ maxWidth: 520 }}>
      <h1>Create your Graft account</h1>
      <SignUpForm callbackUrl={callbackUrl} />
      <p className="muted small">
        Already have one? <Link href="/signin">Sign in</Link>.
      </p>
    </div>
  );
}
