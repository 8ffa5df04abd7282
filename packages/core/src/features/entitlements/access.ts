/**
 * The one place that decides who may download what. A version can be fetched
 * by members of the owner team, by holders of an active entitlement (for
 * themselves or one of their teams: purchase, trade, grant), and by anyone —
 * anonymous included — when the vector has an active free listing. Yanked
 * versions remain available only to owners and entitlement holders.
 */
import type { Actor, CoreContext, DbClient } from "../../context";
import { hasScope } from "../../lib/auth";
import { teamIdsOf } from "../teams/roles";

export type AllowReason = "owner-team" | "free" | "purchase" | "trade" | "grant";
export type DenyReason = "not-found" | "login-required" | "not-entitled" | "yanked" | "insufficient-scope";

export type DownloadDecision = { allowed: true; reason: AllowReason } | { allowed: false; reason: DenyReason };

export interface VectorAccess {
  /** The actor's role in the owner team, or null. */
  role: string | null;
  /** Source of the actor's strongest active entitlement, or null. */
  entitlement: "purchase" | "trade" | "grant" | null;
  /** Active free listing. */
  free: boolean;
  /** Whether the vector is publicly listed (active listing of any kind). */
  listed: boolean;
}

const SOURCE_ORDER = ["purchase", "trade", "grant"] as const;

/** What the actor holds on one vector. */
export async function vectorAccess(
  db: DbClient,
  actor: Actor,
  vector: { id: string; teamId: string; listing: { kind: string; active: boolean } | null },
): Promise<VectorAccess> {
  const listed = vector.listing?.active ?? false;
  const free = listed && vector.listing?.kind === "free";
  if (!actor || !hasScope(actor, "read")) return { role: null, entitlement: null, free, listed };
  const teams = await teamIdsOf(db, actor.userId);
  const membership = teams.includes(vector.teamId)
    ? await db.membership.findUnique({ where: { teamId_userId: { teamId: vector.teamId, userId: actor.userId } }, select: { role: true } })
    : null;
  const rows = await db.entitlement.findMany({
    where: { vectorId: vector.id, revokedAt: null, OR: [{ userId: actor.userId }, ...(teams.length ? [{ teamId: { in: teams } }] : [])] },
    select: { source: true },
  });
  const sources = new Set(rows.map((r) => r.source));
  const entitlement = SOURCE_ORDER.find((s) => sources.has(s)) ?? null;
  return { role: membership?.role ?? null, entitlement, free, listed };
}

/** The decision for one version given the actor's access to its vector. */
export function decide(access: VectorAccess, yanked: boolean, actor: Actor): DownloadDecision {
  if (actor && !hasScope(actor, "read")) return { allowed: false, reason: "insufficient-scope" };
  if (access.role) return { allowed: true, reason: "owner-team" };
  if (access.entitlement) return { allowed: true, reason: access.entitlement };
  if (yanked) return { allowed: false, reason: "yanked" };
  if (access.free) return { allowed: true, reason: "free" };
  return { allowed: false, reason: actor ? "not-entitled" : "login-required" };
}

/** Whether `actor` may download version `versionId`, and why (or why not). */
export async function canDownload(ctx: Pick<CoreContext, "db">, actor: Actor, versionId: string): Promise<DownloadDecision> {
  const version = await ctx.db.vectorVersion.findUnique({
    where: { id: versionId },
    select: { yankedAt: true, vector: { select: { id: true, teamId: true, listing: { select: { kind: true, active: true } } } } },
  });
  if (!version) return { allowed: false, reason: "not-found" };
  const access = await vectorAccess(ctx.db, actor, version.vector);
  return decide(access, version.yankedAt !== null, actor);
}
