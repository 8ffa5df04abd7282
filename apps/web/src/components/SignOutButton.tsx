// Sign-out button for the header (next-auth's client helper posts the CSRF-protected sign-out).
"use client";

import { signOut } from "next-auth/react";

export function SignOutButton() {
  return (
    <button type="button" className="secondary small" data-testid="signout" onClick={() => void signOut({ callbackUrl: "/" })}>
      Sign out
    </button>
  );
}
