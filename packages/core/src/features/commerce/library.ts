/**
 * A user's library: every vector they may use, with its licence and why they
 * have it — a purchase, a trade, a grant (to them or one of their teams),
 * their team publishes it, or a free listing they downloaded.
 */
import type { Actor, CoreContext } from "../../context";
import { requireScope } from "../../lib/auth";
import { teamIdsOf } from "../teams/roles";
import { licenceSummary } from "./listing";

export type LibrarySource = "purchase" | "trade" | "grant" | "owner-team" | "free";

export interface LibraryItem {
  vector: { id: string; slug: string; name: string; task: string; teamSlug: string; foundationSlug: string; latestVersion: { id: string; version: string } | null };
  source: LibrarySource;
  /** The team through which the user holds it (team entitlements and owner teams), else null. */
  viaTeam: string | null;
  licence: "personal" | "commercial" | null;
  redistribution: boolean | null;
  licenceSummary: string[];
  purchase: { id: string; amountCents: number; currency: string; mode: string } | null;
  since: Date;
}

const vectorSelect = {
  id: true,
  slug: true,
  name: true,
  task: true,
  team: { select: { slug: true } },
  foundation: { select: { slug: true } },
  listing: { select: { licence: true, redistribution: true, kind: true, active: true } },
  versions: { where: { yankedAt: null }, select: { id: true, version: true, createdAt: true }, orderBy: { createdAt: "desc" as const }, take: 1 },
} as const;

type V = {
  id: string;
  slug: string;
  name: string;
  task: string;
  team: { slug: string };
  foundation: { slug: string };
  listing: { licence: string; redistribution: boolean; kind: string; active: boolean } | null;
  versions: { id: string; version: string }[];
};

function item(v: V, source: LibrarySource, since: Date, viaTeam: string | null, purchase: LibraryItem["purchase"] = null): LibraryItem {
  const l = v.listing;
  return {
    vector: { id: v.id, slug: v.slug, name: v.name, task: v.task, teamSlug: v.team.slug, foundationSlug: v.foundation.slug, latestVersion: v.versions[0] ?? null },
    source,
    viaTeam,
    licence: (l?.licence as LibraryItem["licence"]) ?? null,
    redistribution: l?.redistribution ?? null,
    licenceSummary: l ? licenceSummary(l) : source === "owner-team" ? ["Published by your team"] : [],
    purchase,
    since,
  };
}

export async function buyerLibrary(ctx: CoreContext, actor: Actor): Promise<LibraryItem[]> {
  const a = requireScope(actor, "read");
  const teams = await teamIdsOf(ctx.db, a.userId);
  const [ents, owned, downloads] = await Promise.all([
    ctx.db.entitlement.findMany({
      where: { revokedAt: null, OR: [{ userId: a.userId }, ...(teams.length ? [{ teamId: { in: teams } }] : [])] },
      include: { vector: { select: vectorSelect }, team: { select: { slug: true } }, purchase: { select: { id: true, amountCents: true, currency: true, mode: true } } },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    }),
    ctx.db.taskVector.findMany({ where: { teamId: { in: teams } }, select: { ...vectorSelect, createdAt: true }, orderBy: { createdAt: "desc" } }),
    ctx.db.download.findMany({
      where: { userId: a.userId, version: { vector: { listing: { kind: "free", active: true } } } },
      select: { createdAt: true, version: { select: { vector: { select: vectorSelect } } } },
      orderBy: { createdAt: "asc" },
    }),
  ]);
  const items: LibraryItem[] = ents.map((e) => item(e.vector, e.source as LibrarySource, e.createdAt, e.team?.slug ?? null, e.purchase));
  items.push(...owned.map((v) => item(v, "owner-team", v.createdAt, v.team.slug)));
  const listed = new Set(items.map((i) => i.vector.id));
  for (const d of downloads) {
    const v = d.version.vector;
    if (listed.has(v.id)) continue;
    listed.add(v.id);
    items.push(item(v, "free", d.createdAt, null));
  }
  return items;
}
