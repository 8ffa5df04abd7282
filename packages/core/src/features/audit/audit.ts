/**
 * The audit trail: every security-relevant change (publish, yank, team and
 * token changes, grants) is written in the same transaction as the change.
 */
import type { Actor, CoreContext, DbClient } from "../../context";
import { DomainError, notFound } from "../../errors";
import { parseJson } from "../../lib/dto";
import { requireTeamRole } from "../teams/roles";

export type AuditAction =
  | "team.create"
  | "team.member.add"
  | "team.member.role"
  | "team.member.remove"
  | "token.create"
  | "token.revoke"
  | "foundation.register"
  | "vector.create"
  | "vector.publish"
  | "version.yank"
  | "version.unyank"
  | "entitlement.grant"
  | "entitlement.revoke"
  | "trade.propose"
  | "trade.counter"
  | "trade.accept"
  | "trade.decline"
  | "trade.withdraw"
  | "listing.update"
  | "purchase.refund"
  | "seller.onboard";

export interface AuditInput {
  actorId: string | null;
  teamId?: string | null;
  action: AuditAction;
  targetType: string;
  targetId: string;
  details?: Record<string, unknown>;
}

export async function recordAudit(tx: DbClient, entry: AuditInput): Promise<void> {
  await tx.auditLog.create({
    data: {
      actorId: entry.actorId,
      teamId: entry.teamId ?? null,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      detailsJson: JSON.stringify(entry.details ?? {}),
    },
  });
}

export interface AuditEntry {
  id: string;
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
  createdAt: Date;
  actor: { id: string; name: string | null; email: string } | null;
}

/** A team's audit log, newest first; team admins and owners only. */
export async function listAudit(
  ctx: CoreContext,
  actor: Actor,
  teamSlug: string,
  opts: { limit?: number; before?: Date } = {},
): Promise<AuditEntry[]> {
  const team = await ctx.db.team.findUnique({ where: { slug: teamSlug }, select: { id: true } });
  if (!team) throw notFound(`team "${teamSlug}"`);
  await requireTeamRole(ctx, actor, team.id, "admin");
  const limit = opts.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new DomainError("INVALID", "limit must be 1–500");
  const rows = await ctx.db.auditLog.findMany({
    where: { teamId: team.id, ...(opts.before ? { createdAt: { lt: opts.before } } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
    include: { actor: { select: { id: true, name: true, email: true } } },
  });
  return rows.map((r) => ({
    id: r.id,
    action: r.action,
    targetType: r.targetType,
    targetId: r.targetId,
    details: parseJson(r.detailsJson, {}),
    createdAt: r.createdAt,
    actor: r.actor,
  }));
}
