/**
 * Reading trade offers: a team's incoming, outgoing and past offers, one
 * offer, and what a proposal form may choose from. Only members of the two
 * teams see an offer; stale open offers are expired before anything is read.
 */
import { z } from "zod";
import type { Prisma } from "@graft/db";
import type { Actor, CoreContext } from "../../context";
import { DomainError, notFound } from "../../errors";
import { requireScope } from "../../lib/auth";
import { parseInput, slugSchema } from "../../lib/validate";
import { roleAtLeast } from "../teams/roles";
import { expireStale, offerInclude, withCreators, type TradeOfferInfo } from "./offers";

export type TradeBox = "incoming" | "outgoing" | "history";

export interface TradeOfferView extends TradeOfferInfo {
  /** What the viewer may do now: answer (admin of the receiving team) or withdraw (admin of the proposing team). */
  viewer: { canAnswer: boolean; canWithdraw: boolean };
}

const listSchema = z.object({
  box: z.enum(["incoming", "outgoing", "history"]).default("incoming"),
  team: slugSchema.optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

async function myRoles(ctx: CoreContext, userId: string): Promise<Map<string, string>> {
  const rows = await ctx.db.membership.findMany({ where: { userId }, select: { teamId: true, role: true } });
  return new Map(rows.map((r) => [r.teamId, r.role]));
}

function view(o: TradeOfferInfo, roles: Map<string, string>, canWrite: boolean): TradeOfferView {
  const admin = (teamId: string) => canWrite && roleAtLeast(roles.get(teamId) ?? "", "admin");
  const open = o.status === "open";
  return { ...o, viewer: { canAnswer: open && admin(o.to.id), canWithdraw: open && admin(o.from.id) } };
}

/**
 * Offers of the actor's teams (or of one of them): `incoming` open offers to
 * them, `outgoing` open offers from them, `history` every closed offer either
 * way; newest first.
 */
export async function listTradeOffers(
  ctx: CoreContext,
  actor: Actor,
  input: { box?: TradeBox; team?: string; limit?: number } = {},
): Promise<TradeOfferView[]> {
  const a = requireScope(actor, "read");
  const p = parseInput(listSchema, input);
  const roles = await myRoles(ctx, a.userId);
  let teamIds = [...roles.keys()];
  if (p.team) {
    const team = await ctx.db.team.findUnique({ where: { slug: p.team }, select: { id: true } });
    if (!team) throw notFound(`team "${p.team}"`);
    if (!roles.has(team.id)) throw new DomainError("FORBIDDEN", "you are not a member of this team");
    teamIds = [team.id];
  }
  if (teamIds.length === 0) return [];
  await expireStale(ctx.db, { teamIds });
  const where: Prisma.TradeOfferWhereInput =
    p.box === "incoming"
      ? { status: "open", toTeamId: { in: teamIds } }
      : p.box === "outgoing"
        ? { status: "open", fromTeamId: { in: teamIds } }
        : { status: { not: "open" }, OR: [{ fromTeamId: { in: teamIds } }, { toTeamId: { in: teamIds } }] };
  const rows = await ctx.db.tradeOffer.findMany({ where, include: offerInclude, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: p.limit });
  const canWrite = !a.scopes || a.scopes.includes("publish");
  return (await withCreators(ctx.db, rows)).map((o) => view(o, roles, canWrite));
}

/** One offer, for members of either team (NOT_FOUND for everyone else). */
export async function getTradeOffer(ctx: CoreContext, actor: Actor, id: string): Promise<TradeOfferView> {
  const a = requireScope(actor, "read");
  const roles = await myRoles(ctx, a.userId);
  await expireStale(ctx.db, { offerId: id });
  const row = await ctx.db.tradeOffer.findUnique({ where: { id }, include: offerInclude });
  if (!row || (!roles.has(row.fromTeamId) && !roles.has(row.toTeamId))) throw notFound("trade offer");
  const [offer] = await withCreators(ctx.db, [row]);
  return view(offer!, roles, !a.scopes || a.scopes.includes("publish"));
}

export interface TradeFormOptions {
  /** Teams the actor may propose for (admin or owner), with the vectors each could offer. */
  myTeams: { slug: string; name: string; vectors: { slug: string; name: string }[] }[];
  /** The other team and the vectors that may be requested from it. */
  theirTeam: { slug: string; name: string; vectors: { slug: string; name: string; listing: string | null }[] };
}

/**
 * What a proposal (or a counter to offer `counterOf`) may contain: the
 * actor's admin teams other than `toTeam` and their vectors, and `toTeam`'s
 * listed vectors (plus, for a counter, those already in the offer).
 */
export async function tradeFormOptions(ctx: CoreContext, actor: Actor, toTeam: string, counterOf?: string): Promise<TradeFormOptions> {
  const a = requireScope(actor, "read");
  const team = await ctx.db.team.findUnique({ where: { slug: toTeam }, select: { id: true, slug: true, name: true } });
  if (!team) throw notFound(`team "${toTeam}"`);
  const extra = counterOf ? (await ctx.db.tradeItem.findMany({ where: { offerId: counterOf }, select: { vectorId: true } })).map((i) => i.vectorId) : [];
  const memberships = await ctx.db.membership.findMany({
    where: { userId: a.userId, role: { in: ["admin", "owner"] }, teamId: { not: team.id } },
    include: { team: { select: { slug: true, name: true, vectors: { select: { slug: true, name: true }, orderBy: { slug: "asc" } } } } },
    orderBy: { team: { slug: "asc" } },
  });
  const theirs = await ctx.db.taskVector.findMany({
    where: { teamId: team.id, OR: [{ listing: { is: { active: true } } }, { id: { in: extra } }] },
    select: { slug: true, name: true, listing: { select: { kind: true, active: true } } },
    orderBy: { slug: "asc" },
  });
  return {
    myTeams: memberships.map((m) => ({ slug: m.team.slug, name: m.team.name, vectors: m.team.vectors })),
    theirTeam: {
      slug: team.slug,
      name: team.name,
      vectors: theirs.map((v) => ({ slug: v.slug, name: v.name, listing: v.listing?.active ? v.listing.kind : null })),
    },
  };
}
