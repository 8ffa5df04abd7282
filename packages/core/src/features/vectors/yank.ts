/**
 * Yanking: a published version stays immutable but is withdrawn from new
 * users (hidden from the catalog and from users without an entitlement);
 * members of the owner team and entitled users can still fetch it.
 */
import type { Actor, CoreContext } from "../../context";
import { notFound } from "../../errors";
import { requireScope } from "../../lib/auth";
import { recordAudit } from "../audit/audit";
import { requireTeamRole } from "../teams/roles";
import { toVersionInfo, type VersionInfo } from "./versions";

async function setYanked(ctx: CoreContext, actor: Actor, versionId: string, yanked: boolean): Promise<VersionInfo> {
  const a = requireScope(actor, "publish");
  const version = await ctx.db.vectorVersion.findUnique({ where: { id: versionId }, include: { vector: { include: { team: true } } } });
  if (!version) throw notFound("version");
  await requireTeamRole(ctx, a, version.vector.teamId, "member");
  if ((version.yankedAt !== null) === yanked) return toVersionInfo(version);
  const updated = await ctx.db.$transaction(async (tx) => {
    const v = await tx.vectorVersion.update({ where: { id: versionId }, data: { yankedAt: yanked ? new Date() : null } });
    await recordAudit(tx, {
      actorId: a.userId,
      teamId: version.vector.teamId,
      action: yanked ? "version.yank" : "version.unyank",
      targetType: "version",
      targetId: versionId,
      details: { vector: `${version.vector.team.slug}/${version.vector.slug}`, version: version.version },
    });
    return v;
  });
  return toVersionInfo(updated);
}

/** Withdraws a version (idempotent). Members of the owner team; tokens need "publish". */
export function yankVersion(ctx: CoreContext, actor: Actor, versionId: string): Promise<VersionInfo> {
  return setYanked(ctx, actor, versionId, true);
}

export function unyankVersion(ctx: CoreContext, actor: Actor, versionId: string): Promise<VersionInfo> {
  return setYanked(ctx, actor, versionId, false);
}
