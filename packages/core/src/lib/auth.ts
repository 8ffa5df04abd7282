/**
 * Who-may-call checks shared by every feature: a signed-in actor, and token
 * scopes ("publish" implies "read"; sessions carry no scopes and may do both).
 */
import type { Actor, Scope } from "../context";
import { DomainError } from "../errors";

export type SignedInActor = Exclude<Actor, null>;

export function requireActor(actor: Actor): SignedInActor {
  if (!actor || typeof actor.userId !== "string" || actor.userId === "") throw new DomainError("UNAUTHENTICATED", "sign in first");
  return actor;
}

export function hasScope(actor: Actor, scope: Scope): boolean {
  if (!actor) return false;
  if (!actor.scopes) return true;
  return actor.scopes.includes(scope) || (scope === "read" && actor.scopes.includes("publish"));
}

/** A signed-in actor whose token (if any) carries `scope`. */
export function requireScope(actor: Actor, scope: Scope): SignedInActor {
  const a = requireActor(actor);
  if (!hasScope(a, scope)) throw new DomainError("FORBIDDEN", `this API token lacks the "${scope}" scope`);
  return a;
}

/** Account management (tokens) is for interactive sessions only, never for API tokens. */
export function requireSession(actor: Actor): SignedInActor {
  const a = requireActor(actor);
  if (a.scopes) throw new DomainError("FORBIDDEN", "API tokens cannot manage API tokens; sign in to the web app");
  return a;
}
