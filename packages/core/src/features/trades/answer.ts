/**
 * Answering a trade offer. Every answer first claims the offer with one
 * conditional update (`status = open AND expiresAt > now`) inside a
 * transaction, so of several concurrent answers exactly one succeeds and the
 * others see a stale offer; acceptance then records both sides' entitlements
 * in the same transaction, so a trade is either wholly done or not at all.
 */
import type { Actor, CoreContext, DbClient } from "../../context";
import { DomainError, notFound } from "../../errors";
import { requireScope } from "../../lib/auth";
import { transaction } from "../../lib/transaction";
import { parseInput } from "../../lib/validate";
import { recordAudit, type AuditAction } from "../audit/audit";
import { createEntitlement } from "../entitlements/grants";
import { requireTeamRole, teamIdsOf } from "../teams/roles";
import { expireStale, type TradeStatus } from "./offers";
import { insertOffer, resolveTerms, termsSchema, type TradeTerms } from "./propose";
import { getTradeOffer, type TradeOfferView } from "./queries";

interface OfferKeys {
  id: string;
  fromTeamId: string;
  toTeamId: string;
}

/** The offer, when the actor is an admin of the side that may take this step ("to" answers, "from" withdraws). */
async function offerFor(ctx: CoreContext, actor: Actor, id: string, side: "to" | "from") {
  const a = requireScope(actor, "publish");
  const offer = await ctx.db.tradeOffer.findUnique({
    where: { id },
    select: { id: true, fromTeamId: true, toTeamId: true, fromTeam: { select: { slug: true } }, toTeam: { select: { slug: true } } },
  });
  // Offers are private to the two teams: anyone else is told it does not exist.
  const teams = offer ? await teamIdsOf(ctx.db, a.userId) : [];
  if (!offer || (!teams.includes(offer.fromTeamId) && !teams.includes(offer.toTeamId))) throw notFound("trade offer");
  const teamId = side === "to" ? offer.toTeamId : offer.fromTeamId;
  if (!teams.includes(teamId)) {
    throw new DomainError("FORBIDDEN", side === "to" ? "only the receiving team can answer this offer" : "only the proposing team can withdraw this offer");
  }
  await requireTeamRole(ctx, a, teamId, "admin");
  return { a, offer };
}

class StaleOffer extends Error {}

/** Moves an open, unexpired offer to `status`; StaleOffer when another answer or the clock got there first. */
async function claim(tx: DbClient, id: string, status: TradeStatus, now: Date): Promise<void> {
  const { count } = await tx.tradeOffer.updateMany({ where: { id, status: "open", expiresAt: { gt: now } }, data: { status, respondedAt: now } });
  if (count !== 1) throw new StaleOffer();
}

/** Why a claim failed, as the CONFLICT the caller sees (marking the offer expired if that is why). */
async function staleError(db: DbClient, id: string, now: Date): Promise<DomainError> {
  const o = await db.tradeOffer.findUnique({ where: { id }, select: { status: true, expiresAt: true } });
  if (o && (o.status === "expired" || (o.status === "open" && o.expiresAt <= now))) {
    // Marking it is a courtesy to later readers; the answer is refused either way.
    if (o.status === "open") await expireStale(db, { offerId: id }, now).catch(() => {});
    return new DomainError("CONFLICT", `this trade offer expired on ${o.expiresAt.toISOString()}`, { status: "expired" });
  }
  return new DomainError("CONFLICT", `this trade offer was already ${o?.status ?? "closed"} and can no longer be answered`, { status: o?.status });
}

/** SQLite refused the write lock because another connection (another server process) holds it. */
function isBusy(e: unknown): boolean {
  const meta = (e as { meta?: { driverAdapterError?: { cause?: { originalMessage?: unknown } } } } | null)?.meta;
  return /SQLITE_BUSY/.test(String(meta?.driverAdapterError?.cause?.originalMessage ?? ""));
}

const BUSY_RETRIES = 8;

/**
 * Runs one answer in a transaction; a lost claim becomes a clear CONFLICT.
 * When another database connection holds the write lock, the whole answer is
 * retried after a short random pause: the claim is conditional, so a retry
 * either wins or learns that the offer was answered meanwhile.
 */
async function answer<T>(ctx: CoreContext, id: string, step: (tx: DbClient, now: Date) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const now = new Date();
    try {
      return await transaction(ctx.db, (tx) => step(tx, now));
    } catch (e) {
      if (e instanceof StaleOffer) throw await staleError(ctx.db, id, now);
      if (!isBusy(e) || attempt >= BUSY_RETRIES) throw e;
      await new Promise((r) => setTimeout(r, (5 + Math.random() * 20) * 2 ** Math.min(attempt, 5)));
    }
  }
}

async function auditBoth(tx: DbClient, actorId: string, offer: OfferKeys, action: AuditAction, details: Record<string, unknown> = {}): Promise<void> {
  for (const teamId of [offer.fromTeamId, offer.toTeamId]) {
    await recordAudit(tx, { actorId, teamId, action, targetType: "trade", targetId: offer.id, details: { fromTeamId: offer.fromTeamId, toTeamId: offer.toTeamId, ...details } });
  }
}

/**
 * Accepts an offer (admin or owner of the receiving team): the receiving team
 * is entitled to every offered vector and the proposing team to every
 * requested one (source "trade", linked to the offer).
 */
export async function acceptTrade(ctx: CoreContext, actor: Actor, id: string): Promise<TradeOfferView> {
  const { a, offer } = await offerFor(ctx, actor, id, "to");
  await answer(ctx, id, async (tx, now) => {
    await claim(tx, id, "accepted", now);
    const items = await tx.tradeItem.findMany({ where: { offerId: id }, select: { vectorId: true, side: true }, orderBy: { vectorId: "asc" } });
    const entitlementIds: string[] = [];
    for (const item of items) {
      const teamId = item.side === "offered" ? offer.toTeamId : offer.fromTeamId;
      entitlementIds.push((await createEntitlement(tx, { vectorId: item.vectorId, teamId, source: "trade", tradeId: id })).id);
    }
    await auditBoth(tx, a.userId, offer, "trade.accept", { entitlementIds });
  });
  return getTradeOffer(ctx, a, id);
}

/** Declines an offer (admin or owner of the receiving team). */
export function declineTrade(ctx: CoreContext, actor: Actor, id: string): Promise<TradeOfferView> {
  return closeWithoutExchange(ctx, actor, id, "to", "declined", "trade.decline");
}

/** Withdraws an offer (admin or owner of the proposing team). */
export function withdrawTrade(ctx: CoreContext, actor: Actor, id: string): Promise<TradeOfferView> {
  return closeWithoutExchange(ctx, actor, id, "from", "withdrawn", "trade.withdraw");
}

/** Ends an open offer with nothing exchanged, as one side of it, and audits that on both teams. */
async function closeWithoutExchange(
  ctx: CoreContext,
  actor: Actor,
  id: string,
  side: "to" | "from",
  status: "declined" | "withdrawn",
  action: "trade.decline" | "trade.withdraw",
): Promise<TradeOfferView> {
  const { a, offer } = await offerFor(ctx, actor, id, side);
  await answer(ctx, id, async (tx, now) => {
    await claim(tx, id, status, now);
    await auditBoth(tx, a.userId, offer, action);
  });
  return getTradeOffer(ctx, a, id);
}

/**
 * Counters an offer (admin or owner of the receiving team): the original is
 * closed as `countered` and a new offer goes the other way, linked to it by
 * counterOfId. `terms` are from the counterer's side: `offered` are its own
 * vectors, `requested` the original proposer's. Returns the new offer.
 */
export async function counterTrade(ctx: CoreContext, actor: Actor, id: string, terms: TradeTerms): Promise<TradeOfferView> {
  const { a, offer } = await offerFor(ctx, actor, id, "to");
  const p = parseInput(termsSchema, terms);
  const original = await ctx.db.tradeItem.findMany({ where: { offerId: id }, select: { vectorId: true } });
  const resolved = await resolveTerms(ctx, a, offer.toTeam.slug, offer.fromTeam.slug, p, original.map((i) => i.vectorId));
  const newId = await answer(ctx, id, async (tx, now) => {
    await claim(tx, id, "countered", now);
    return insertOffer(tx, a.userId, resolved, id);
  });
  return getTradeOffer(ctx, a, newId);
}
