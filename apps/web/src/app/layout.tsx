// The page shell: header with navigation and the signed-in user, the global
// stylesheet, and the footer. Every page is rendered per request (it reads the
// session and live registry data).
import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { getSession } from "@/server/auth";
import { SignOutButton } from "@/components/SignOutButton";
import "./globals.css";

export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: { default: "Graft — the task-vector exchange", template: "%s · Graft" },
  description: "Publish, discover, trade and merge task vectors for open foundation models.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const session = await getSession();
  const user = session?.user;
  return (
    <html lang="en">
      <body>
        <header className="site-header">
          <div className="inner">
            <Link href="/" className="brand" data-testid="nav-home">
              gr<span>a</span>ft
            </Link>
            <nav className="site-nav" aria-label="Main">
              <Link href="/catalog" data-testid="nav-catalog">Catalog</Link>
              <Link href="/foundations" data-testid="nav-foundations">Foundations</Link>
              <Link href="/publish" data-testid="nav-publish">Publish</Link>
              {user && <Link href="/trades" data-testid="nav-trades">Trades</Link>}
              {user && <Link href="/equip" data-testid="nav-equip">Equip</Link>}
              {user && <Link href="/jobs" data-testid="nav-jobs">My jobs</Link>}
              {user && <Link href="/teams/new" data-testid="nav-new-team">New team</Link>}
              {user && <Link href="/settings/tokens" data-testid="nav-tokens">API tokens</Link>}
              {user && <Link href="/library" data-testid="nav-library">Library</Link>}
            </nav>
            <div className="user-box">
              {user ? (
                <>
                  <span data-testid="current-user">{user.name || user.email}</span>
                  <SignOutButton />
                </>
              ) : (
                <>
                  <Link href="/signin" data-testid="nav-signin">Sign in</Link>
                  <Link href="/signup" className="button small" data-testid="nav-signup">Sign up</Link>
                </>
              )}
            </div>
          </div>
        </header>
        <main className="container">{children}</main>
        <footer className="site-footer">Graft — task vectors are fine-tuned weights minus foundation weights. Publish, trade, merge.</footer>
      </body>
    </html>
  );
}
