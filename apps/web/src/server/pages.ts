// Helpers for server-rendered pages: redirect anonymous visitors to sign-in,
// turn domain NOT_FOUND into Next's 404, and format numbers for display.
import "server-only";
import { notFound, redirect } from "next/navigation";
import { isDomainError, type Actor } from "@graft/core";
import { getPageActor } from "./auth";

/** The signed-in actor, or a redirect to /signin that comes back to `path`. */
export async function requirePageActor(path: string): Promise<Exclude<Actor, null>> {
  const actor = await getPageActor();
  if (!actor) redirect(`/signin?callbackUrl=${encodeURIComponent(path)}`);
  return actor;
}

/** Runs a lookup; a domain NOT_FOUND renders the 404 page. */
export async function orNotFound<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isDomainError(e) && e.code === "NOT_FOUND") notFound();
    throw e;
  }
}
