// Who is calling: next-auth v4 configuration (email/password through the
// domain layer, GitHub when configured, JWT sessions carrying the user id) and
// getActor(), which resolves a request to a core Actor from either the session
// cookie or an `Authorization: Bearer graft_…` API token.
import "server-only";
import type { NextAuthOptions, Session } from "next-auth";
import { getServerSession } from "next-auth";
import { getToken } from "next-auth/jwt";
import CredentialsProvider from "next-auth/providers/credentials";
import GitHubProvider from "next-auth/providers/github";
import type { NextRequest } from "next/server";
import { actorFromToken, authenticateApiToken, DomainError, upsertOAuthUser, verifyCredentials, type Actor } from "@graft/core";
import { getEnv } from "@/env";
import { getContext } from "./context";
import { clientAddress, rateLimit } from "./rate-limit";

declare module "next-auth" {
  interface Session {
    user: { id: string; name?: string | null; email?: string | null; image?: string | null };
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    uid?: string;
  }
}

let cachedOptions: NextAuthOptions | undefined;

/** Built on first use so the environment is validated at runtime, not during `next build`. */
export function authOptions(): NextAuthOptions {
  if (cachedOptions) return cachedOptions;
  const env = getEnv();
  const providers: NextAuthOptions["providers"] = [
    CredentialsProvider({
      id: "credentials",
      name: "Email and password",
      credentials: {
        email: { label: "Email", type: "email" },
        password: { label: "Password", type: "password" },
      },
      async authorize(credentials, req) {
        if (!credentials?.email || !credentials.password) return null;
        // next-auth reports a thrown error's message on the sign-in page.
        await rateLimit("signIn", `email:${credentials.email.trim().toLowerCase()}`);
        await rateLimit("signIn", `address:${clientAddress(req?.headers)}`);
        const user = await verifyCredentials(getContext(), credentials.email, credentials.password);
        return user ? { id: user.id, email: user.email, name: user.name, image: user.image } : null;
      },
    }),
  ];
  if (env.github) {
    providers.push(GitHubProvider({ clientId: env.github.clientId, clientSecret: env.github.clientSecret }));
  }
  cachedOptions = {
    secret: env.nextAuthSecret,
    session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
    pages: { signIn: "/signin" },
    providers,
    callbacks: {
      async signIn({ account, user }) {
        // GitHub accounts without a (verified, public or primary) email cannot be linked to a Graft user.
        if (account?.provider === "github" && !user.email) return "/signin?error=GitHubEmail";
        return true;
      },
      async jwt({ token, user, account }) {
        if (account?.provider === "github" && user) {
          const graftUser = await upsertOAuthUser(getContext(), {
            provider: "github",
            providerAccountId: account.providerAccountId,
            email: user.email!,
            name: user.name,
            image: user.image,
          });
          token.uid = graftUser.id;
          token.name = graftUser.name;
          token.email = graftUser.email;
          token.picture = graftUser.image;
        } else if (user) {
          token.uid = user.id;
        }
        return token;
      },
      async session({ session, token }) {
        if (token.uid) session.user = { ...session.user, id: token.uid };
        return session;
      },
    },
  };
  return cachedOptions;
}

/** Whether the GitHub button should be shown. */
export function githubEnabled(): boolean {
  return getEnv().github !== null;
}

/** The signed-in user of a server component or page, or null. */
export async function getSession(): Promise<Session | null> {
  const session = await getServerSession(authOptions());
  return session?.user?.id ? session : null;
}

/** The Actor for server components (sessions carry no scopes: full access). */
export async function getPageActor(): Promise<Actor> {
  const session = await getSession();
  return session ? { userId: session.user.id } : null;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The caller of an API request. A present Authorization header must hold a
 * valid, unrevoked Graft token (401 otherwise), and then the token's scopes
 * bound what the actor may do. Without one, the next-auth session cookie is
 * used; cookie-authenticated writes must come from our own origin.
 */
export async function getActor(req: NextRequest): Promise<Actor> {
  const authorization = req.headers.get("authorization");
  if (authorization) {
    if (!/^Bearer\s+\S+$/i.test(authorization.trim())) {
      throw new DomainError("UNAUTHENTICATED", "Authorization must be `Bearer graft_…`");
    }
    const auth = await authenticateApiToken(getContext(), authorization);
    if (!auth) {
      // Guessing tokens costs sign-in attempts.
      await rateLimit("signIn", `address:${clientAddress(req.headers)}`);
      throw new DomainError("UNAUTHENTICATED", "invalid or revoked API token");
    }
    await rateLimit("token", auth.tokenId);
    return actorFromToken(auth);
  }
  const token = await getToken({ req, secret: getEnv().nextAuthSecret });
  if (!token?.uid) return null;
  if (!SAFE_METHODS.has(req.method)) {
    const origin = req.headers.get("origin");
    if (origin && origin !== req.nextUrl.origin && origin !== new URL(getEnv().nextAuthUrl ?? req.nextUrl.origin).origin) {
      throw new DomainError("FORBIDDEN", "cross-origin request refused");
    }
  }
  return { userId: token.uid };
}

/** getActor, but anonymous callers get a 401. */
export async function requireActor(req: NextRequest): Promise<Exclude<Actor, null>> {
  const actor = await getActor(req);
  if (!actor) throw new DomainError("UNAUTHENTICATED", "sign in or send an API token (Authorization: Bearer graft_…)");
  return actor;
}
