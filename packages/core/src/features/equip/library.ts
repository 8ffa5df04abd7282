/** The builder's picker: every version on a foundation the actor may download (their "library"). */
import type { Actor, CoreContext } from "../../context";
import { notFound } from "../../errors";
import { requireScope } from "../../lib/auth";
import { decide, vectorAccess } from "../entitlements/access";

export interface LibraryVersion {
  ref: string;
  versionId: string;
  team: string;
  vector: string;
  name: string;
  task: string;
  version: string;
  /** Why the actor may use it: owner-team, free, purchase, trade, grant. */
  access: string;
  licence: string | null;
  hasSketch: boolean;
}

export async function listLibrary(ctx: CoreContext, actor: Actor, foundationSlug: string): Promise<LibraryVersion[]> {
  const a = requireScope(actor, "read");
  const foundation = await ctx.db.foundation.findUnique({ where: { slug: foundationSlug }, select: { id: true } });
  if (!foundation) throw notFound(`foundation "${foundationSlug}"`);
  const vectors = await ctx.db.taskVector.findMany({
    where: { foundationId: foundation.id },
    include: {
      team: { select: { slug: true } },
      listing: { select: { kind: true, active: true, licence: true } },
      versions: { select: { id: true, version: true, yankedAt: true, sketchJson: true }, orderBy: { createdAt: "desc" } },
    },
    orderBy: [{ name: "asc" }],
  });
  const out: LibraryVersion[] = [];
  for (const v of vectors) {
    const access = await vectorAccess(ctx.db, a, v);
    for (const ver of v.versions) {
      const decision = decide(access, ver.yankedAt !== null, a);
      if (!decision.allowed || ver.yankedAt) continue;
      out.push({
        ref: `${v.team.slug}/${v.slug}@${ver.version}`,
        versionId: ver.id,
        team: v.team.slug,
        vector: v.slug,
        name: v.name,
        task: v.task,
        version: ver.version,
        access: decision.reason,
        licence: v.listing?.licence ?? null,
        hasSketch: ver.sketchJson !== null,
      });
    }
  }
  return out;
}
