// Rate limits on the endpoints attackers hammer: sign-in (per email and per
// client address), sign-up (per address), API token use (per token) and
// uploads (per user). Counters live in this process (rate-limiter-flexible's
// memory store); behind several web replicas each replica counts on its own,
// so set limits per replica. GRAFT_RATE_LIMITS tunes them (see env.ts).
import "server-only";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { getEnv, type RateLimitKind } from "@/env";
import { HttpError } from "./http";

const globalForLimits = globalThis as typeof globalThis & { __graftLimiters?: Map<RateLimitKind, RateLimiterMemory> };

function limiter(kind: RateLimitKind): RateLimiterMemory | null {
  const rule = getEnv().rateLimits[kind];
  if (!rule) return null;
  const limiters = (globalForLimits.__graftLimiters ??= new Map());
  let l = limiters.get(kind);
  if (!l) {
    l = new RateLimiterMemory({ keyPrefix: kind, points: rule.points, duration: rule.seconds });
    limiters.set(kind, l);
  }
  return l;
}

const WHAT: Record<RateLimitKind, string> = {
  signIn: "sign-in attempts",
  signUp: "sign-ups",
  token: "requests with this API token",
  upload: "uploads",
};

/** Spends one point of `kind` for `key`; over the limit, a 429 with Retry-After. */
export async function rateLimit(kind: RateLimitKind, key: string): Promise<void> {
  const l = limiter(kind);
  if (!l) return;
  try {
    await l.consume(key);
  } catch (e) {
    if (!(e instanceof RateLimiterRes)) throw e;
    const retryAfter = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
    throw new HttpError(429, "RATE_LIMITED", `too many ${WHAT[kind]}; try again in ${retryAfter} s`, { retryAfterSeconds: retryAfter }, {
      "retry-after": String(retryAfter),
    });
  }
}

/**
 * The client's address from X-Forwarded-For: Next.js appends the socket
 * address when the header is absent; behind GRAFT_TRUSTED_PROXIES proxies the
 * entry that many hops from the right is the one a proxy vouched for.
 */
export function clientAddress(headers: Headers | Record<string, unknown> | undefined): string {
  const raw = headers instanceof Headers ? headers.get("x-forwarded-for") : (headers?.["x-forwarded-for"] as string | undefined);
  const hops = (raw ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return hops[Math.max(0, hops.length - 1 - getEnv().trustedProxies)] ?? "unknown";
}
