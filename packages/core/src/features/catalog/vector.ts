/**
 * One vector's page: card, listing and versions, with what the viewer may do.
 * Unlisted vectors are visible only to their team and entitled users (others
 * get NOT_FOUND); yanked versions are shown, flagged, to the owner team and
 * entitled users and hidden from everyone else.
 */
import type { Actor, CoreContext } from "../../context";
import { notFound } from "../../errors";
import { hasScope } from "../../lib/auth";
import { compareSemver } from "../../lib/semver";
import { decide, vectorAccess, type AllowReason } from "../entitlements/access";
import { toVersionInfo, type VersionInfo } from "../vectors/versions";
import { toVectorSummary, vectorSummaryInclude, type VectorSummary } from "./summary";

export interface VectorDetail extends VectorSummary {
  cardMarkdown: string;
  versions: (VersionInfo & { canDownload: boolean })[];
  viewer: {
    /** Role in the owner team, or null. */
    role: string | null;
    /** Why the viewer may download non-yanked versions, or null when they may not. */
    access: AllowReason | null;
    /** May publish and yank (member of the owner team). */
    canManage: boolean;
  };
}

export async function getVector(ctx: CoreContext, actor: Actor, teamSlug: string, vectorSlug: string): Promise<VectorDetail> {
  const team = await ctx.db.team.findUnique({ where: { slug: teamSlug }, select: { id: true } });
  if (!team) throw notFound(`vector ${teamSlug}/${vectorSlug}`);
  const vector = await ctx.db.taskVector.findUnique({
    where: { teamId_slug: { teamId: team.id, slug: vectorSlug } },
    include: { ...vectorSummaryInclude, versions: true },
  });
  if (!vector) throw notFound(`vector ${teamSlug}/${vectorSlug}`);
  const access = await vectorAccess(ctx.db, actor, vector);
  const privileged = access.role !== null || access.entitlement !== null;
  if (!privileged && !access.listed) throw notFound(`vector ${teamSlug}/${vectorSlug}`);

  const versions = vector.versions
    .filter((v) => privileged || v.yankedAt === null)
    .sort((a, b) => compareSemver(b.version, a.version))
    .map((v) => ({ ...toVersionInfo(v), canDownload: decide(access, v.yankedAt !== null, actor).allowed }));
  const latest = versions.find((v) => !v.yanked);
  const summary = toVectorSummary({ ...vector, versions: latest ? [{ id: latest.id, version: latest.version, createdAt: latest.createdAt }] : [] });
  const general = decide(access, false, actor);
  return {
    ...summary,
    cardMarkdown: vector.cardMarkdown,
    versions,
    viewer: { role: access.role, access: general.allowed ? general.reason : null, canManage: access.role !== null && hasScope(actor, "publish") },
  };
}
