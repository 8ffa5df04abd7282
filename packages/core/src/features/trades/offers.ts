/**
 * Trade offers as stored and as returned: the statuses an offer moves
 * through, the shape services return, and lazy expiry (an open offer whose
 * expiresAt has passed is marked `expired` whenever offers are read or answered).
 */
import type { Prisma } from "@graft/db";
import type { DbClient } from "../../context";

/** open → accepted | declined | countered | withdrawn | expired; only open offers change. */
export type TradeStatus = "open" | "accepted" | "declined" | "countered" | "withdrawn" | "expired";
export type TradeSide = "offered" | "requested";

export interface TradeVectorRef {
  id: string;
  slug: string;
  name: string;
  team: { slug: string; name: string };
}

export interface TradeOfferInfo {
  id: string;
  status: TradeStatus;
  message: string;
  from: { id: string; slug: string; name: string };
  to: { id: string; slug: string; name: string };
  /** Vectors of the proposing team (`from`), given to `to` on acceptance. */
  offered: TradeVectorRef[];
  /** Vectors of the receiving team (`to`), given to `from` on acceptance. */
  requested: TradeVectorRef[];
  /** The offer this one answers with a counter-proposal, if any. */
  counterOfId: string | null;
  createdBy: { id: string; name: string | null } | null;
  expiresAt: Date;
  respondedAt: Date | null;
  createdAt: Date;
}

export const offerInclude = {
  fromTeam: { select: { id: true, slug: true, name: true } },
  toTeam: { select: { id: true, slug: true, name: true } },
  items: { include: { vector: { select: { id: true, slug: true, name: true, team: { select: { slug: true, name: true } } } } } },
} satisfies Prisma.TradeOfferInclude;

type OfferRow = Prisma.TradeOfferGetPayload<{ include: typeof offerInclude }>;

export function toOfferInfo(row: OfferRow, creator: { id: string; name: string | null } | null): TradeOfferInfo {
  const side = (s: TradeSide) =>
    row.items
      .filter((i) => i.side === s)
      .map((i) => i.vector)
      .sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
  return {
    id: row.id,
    status: row.status as TradeStatus,
    message: row.message,
    from: row.fromTeam,
    to: row.toTeam,
    offered: side("offered"),
    requested: side("requested"),
    counterOfId: row.counterOfId,
    createdBy: creator,
    expiresAt: row.expiresAt,
    respondedAt: row.respondedAt,
    createdAt: row.createdAt,
  };
}

/** Rows plus their creators' names (TradeOffer has no user relation). */
export async function withCreators(db: DbClient, rows: OfferRow[]): Promise<TradeOfferInfo[]> {
  const ids = [...new Set(rows.map((r) => r.createdById))];
  const users = ids.length ? await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } }) : [];
  const byId = new Map(users.map((u) => [u.id, u]));
  return rows.map((r) => toOfferInfo(r, byId.get(r.createdById) ?? null));
}

/** Marks open offers past their expiry as expired (optionally only those touching some teams or one offer). */
export async function expireStale(db: DbClient, scope: { teamIds?: string[]; offerId?: string } = {}, now = new Date()): Promise<number> {
  const where: Prisma.TradeOfferWhereInput = { status: "open", expiresAt: { lte: now } };
  if (scope.offerId) where.id = scope.offerId;
  if (scope.teamIds) where.OR = [{ fromTeamId: { in: scope.teamIds } }, { toTeamId: { in: scope.teamIds } }];
  const { count } = await db.tradeOffer.updateMany({ where, data: { status: "expired", respondedAt: now } });
  return count;
}
