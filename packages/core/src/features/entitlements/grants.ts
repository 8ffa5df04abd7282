/**
 * Explicit entitlements: grants by the owner team's admins, and the helper
 * commerce and trade flows use to record purchases and trades.
 */
import { z } from "zod";
import type { Actor, CoreContext, DbClient } from "../../context";
import { DomainError, notFound } from "../../errors";
import { requireScope } from "../../lib/auth";
import { emailSchema, parseInput, slugSchema } from "../../lib/validate";
import { recordAudit } from "../audit/audit";
import { requireTeamRole } from "../teams/roles";

export type EntitlementSource = "purchase" | "trade" | "grant";

export interface EntitlementInfo {
  id: string;
  vectorId: string;
  source: EntitlementSource;
  user: { id: string; email: string; name: string | null } | null;
  team: { id: string; slug: string; name: string } | null;
  purchaseId: string | null;
  tradeId: string | null;
  revokedAt: Date | null;
  createdAt: Date;
}

const include = { user: { select: { id: true, email: true, name: true } }, team: { select: { id: true, slug: true, name: true } } } as const;

function toInfo(e: {
  id: string;
  vectorId: string;
  source: string;
  purchaseId: string | null;
  tradeId: string | null;
  revokedAt: Date | null;
  createdAt: Date;
  user: EntitlementInfo["user"];
  team: EntitlementInfo["team"];
}): EntitlementInfo {
  return { ...e, source: e.source as EntitlementSource };
}

/**
 * Records an entitlement inside the caller's transaction (purchases, accepted
 * trades). Exactly one of userId / teamId. Does no authorisation.
 */
export async function createEntitlement(
  tx: DbClient,
  input: { vectorId: string; userId?: string | null; teamId?: string | null; source: EntitlementSource; purchaseId?: string | null; tradeId?: string | null },
): Promise<EntitlementInfo> {
  if (!input.userId === !input.teamId) throw new DomainError("INVALID", "an entitlement is for exactly one user or one team");
  const e = await tx.entitlement.create({
    data: {
      vectorId: input.vectorId,
      userId: input.userId ?? null,
      teamId: input.teamId ?? null,
      source: input.source,
      purchaseId: input.purchaseId ?? null,
      tradeId: input.tradeId ?? null,
    },
    include,
  });
  return toInfo(e);
}

const grantSchema = z
  .object({ vectorId: z.string().min(1), userEmail: emailSchema.optional(), teamSlug: slugSchema.optional() })
  .refine((g) => !g.userEmail !== !g.teamSlug, "give exactly one of userEmail or teamSlug");

async function vectorForAdmin(ctx: CoreContext, actor: Actor, vectorId: string) {
  const a = requireScope(actor, "publish");
  const vector = await ctx.db.taskVector.findUnique({ where: { id: vectorId }, select: { id: true, teamId: true, slug: true } });
  if (!vector) throw notFound("vector");
  await requireTeamRole(ctx, a, vector.teamId, "admin");
  return { a, vector };
}

/**
 * Gives a user (by email) or a team (by slug) download rights to a vector.
 * Admins of the owner team only. Returns the existing active grant if any.
 */
export async function grantEntitlement(
  ctx: CoreContext,
  actor: Actor,
  input: { vectorId: string; userEmail?: string; teamSlug?: string },
): Promise<EntitlementInfo> {
  const p = parseInput(grantSchema, input);
  const { a, vector } = await vectorForAdmin(ctx, actor, p.vectorId);
  let userId: string | null = null;
  let teamId: string | null = null;
  if (p.userEmail) {
    const user = await ctx.db.user.findUnique({ where: { email: p.userEmail }, select: { id: true } });
    if (!user) throw new DomainError("NOT_FOUND", `no Graft account uses ${p.userEmail}`);
    userId = user.id;
  } else {
    const team = await ctx.db.team.findUnique({ where: { slug: p.teamSlug! }, select: { id: true } });
    if (!team) throw notFound(`team "${p.teamSlug}"`);
    teamId = team.id;
  }
  const existing = await ctx.db.entitlement.findFirst({ where: { vectorId: vector.id, userId, teamId, source: "grant", revokedAt: null }, include });
  if (existing) return toInfo(existing);
  return ctx.db.$transaction(async (tx) => {
    const e = await createEntitlement(tx, { vectorId: vector.id, userId, teamId, source: "grant" });
    await recordAudit(tx, {
      actorId: a.userId,
      teamId: vector.teamId,
      action: "entitlement.grant",
      targetType: "entitlement",
      targetId: e.id,
      details: { vector: vector.slug, userId, teamId },
    });
    return e;
  });
}

/** Revokes an entitlement (any source). Admins of the owner team only. */
export async function revokeEntitlement(ctx: CoreContext, actor: Actor, entitlementId: string): Promise<EntitlementInfo> {
  const ent = await ctx.db.entitlement.findUnique({ where: { id: entitlementId }, include });
  if (!ent) throw notFound("entitlement");
  const { a, vector } = await vectorForAdmin(ctx, actor, ent.vectorId);
  if (ent.revokedAt) return toInfo(ent);
  return ctx.db.$transaction(async (tx) => {
    const e = await tx.entitlement.update({ where: { id: entitlementId }, data: { revokedAt: new Date() }, include });
    await recordAudit(tx, {
      actorId: a.userId,
      teamId: vector.teamId,
      action: "entitlement.revoke",
      targetType: "entitlement",
      targetId: e.id,
      details: { vector: vector.slug, source: e.source },
    });
    return toInfo(e);
  });
}

/** Every entitlement of a vector (revoked included). Admins of the owner team only. */
export async function listEntitlements(ctx: CoreContext, actor: Actor, vectorId: string): Promise<EntitlementInfo[]> {
  const { vector } = await vectorForAdmin(ctx, actor, vectorId);
  const rows = await ctx.db.entitlement.findMany({ where: { vectorId: vector.id }, include, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
  return rows.map(toInfo);
}
