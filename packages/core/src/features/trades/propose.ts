/**
 * Proposing a trade: an admin (or owner) of one team offers some of its
 * vectors for some of another team's listed vectors. The same validation
 * serves counter-offers, which are proposals in the other direction.
 */
import { z } from "zod";
import type { Actor, CoreContext, DbClient } from "../../context";
import { DomainError, notFound } from "../../errors";
import { requireScope, type SignedInActor } from "../../lib/auth";
import { transaction } from "../../lib/transaction";
import { parseInput, slugSchema } from "../../lib/validate";
import { recordAudit } from "../audit/audit";
import { requireTeamRole } from "../teams/roles";
import { getTradeOffer, type TradeOfferView } from "./queries";

export const DEFAULT_EXPIRY_DAYS = 7;
export const MAX_EXPIRY_DAYS = 30;
export const MAX_ITEMS_PER_SIDE = 20;
const DAY_MS = 24 * 60 * 60 * 1000;

const itemsSchema = (side: string) =>
  z
    .array(slugSchema)
    .min(1, `${side}: name at least one vector`)
    .max(MAX_ITEMS_PER_SIDE, `${side}: at most ${MAX_ITEMS_PER_SIDE} vectors`)
    .refine((slugs) => new Set(slugs).size === slugs.length, `${side}: a vector is listed twice`);

/** What the counterer sends: its own vectors to give and the other team's to get. */
export const termsSchema = z.object({
  offered: itemsSchema("offered"),
  requested: itemsSchema("requested"),
  message: z.string().trim().max(2000, "message: at most 2000 characters").default(""),
  expiresInDays: z
    .number()
    .int("expiresInDays must be a whole number of days")
    .min(1, "expiresInDays must be at least 1")
    .max(MAX_EXPIRY_DAYS, `expiresInDays must be at most ${MAX_EXPIRY_DAYS}`)
    .default(DEFAULT_EXPIRY_DAYS),
});

const proposeSchema = termsSchema.extend({ fromTeam: slugSchema, toTeam: slugSchema });

export type TradeTerms = z.input<typeof termsSchema>;
export type ProposeTradeInput = z.input<typeof proposeSchema>;

interface ResolvedTerms {
  fromTeamId: string;
  toTeamId: string;
  offered: string[];
  requested: string[];
  message: string;
  expiresAt: Date;
}

async function teamBySlug(db: DbClient, slug: string) {
  const team = await db.team.findUnique({ where: { slug }, select: { id: true, slug: true } });
  if (!team) throw notFound(`team "${slug}"`);
  return team;
}

/**
 * Vector ids for slugs of one team. Offered vectors may be any of the
 * proposer's own; requested ones must be publicly listed or already part of
 * the offer being countered (others are invisible to the proposer, so they
 * are reported as not found).
 */
async function vectorIds(db: DbClient, team: { id: string; slug: string }, slugs: string[], visible: { ids: string[] } | null): Promise<string[]> {
  const rows = await db.taskVector.findMany({
    where: { teamId: team.id, slug: { in: slugs }, ...(visible ? { OR: [{ listing: { is: { active: true } } }, { id: { in: visible.ids } }] } : {}) },
    select: { id: true, slug: true },
  });
  const bySlug = new Map(rows.map((r) => [r.slug, r.id]));
  const missing = slugs.filter((s) => !bySlug.has(s));
  if (missing.length) throw notFound(`vector ${missing.map((s) => `${team.slug}/${s}`).join(", ")}`);
  return slugs.map((s) => bySlug.get(s)!);
}

/** Checks the actor may trade for `fromSlug` and resolves every vector; throws before anything is written. */
export async function resolveTerms(
  ctx: CoreContext,
  a: SignedInActor,
  fromSlug: string,
  toSlug: string,
  terms: z.output<typeof termsSchema>,
  /** Unlisted vectors the proposer may still ask for (those of the offer being countered). */
  alsoRequestable: string[] = [],
  now = new Date(),
): Promise<ResolvedTerms> {
  const from = await teamBySlug(ctx.db, fromSlug);
  await requireTeamRole(ctx, a, from.id, "admin");
  const to = await teamBySlug(ctx.db, toSlug);
  if (to.id === from.id) throw new DomainError("INVALID", "a team cannot trade with itself");
  return {
    fromTeamId: from.id,
    toTeamId: to.id,
    offered: await vectorIds(ctx.db, from, terms.offered, null),
    requested: await vectorIds(ctx.db, to, terms.requested, { ids: alsoRequestable }),
    message: terms.message,
    expiresAt: new Date(now.getTime() + terms.expiresInDays * DAY_MS),
  };
}

/** Writes an offer and its items inside the caller's transaction. */
export async function insertOffer(tx: DbClient, actorId: string, t: ResolvedTerms, counterOfId: string | null): Promise<string> {
  const offer = await tx.tradeOffer.create({
    data: {
      fromTeamId: t.fromTeamId,
      toTeamId: t.toTeamId,
      status: "open",
      message: t.message,
      counterOfId,
      createdById: actorId,
      expiresAt: t.expiresAt,
      items: {
        create: [...t.offered.map((vectorId) => ({ vectorId, side: "offered" })), ...t.requested.map((vectorId) => ({ vectorId, side: "requested" }))],
      },
    },
    select: { id: true },
  });
  for (const teamId of [t.fromTeamId, t.toTeamId]) {
    await recordAudit(tx, {
      actorId,
      teamId,
      action: counterOfId ? "trade.counter" : "trade.propose",
      targetType: "trade",
      targetId: offer.id,
      details: { fromTeamId: t.fromTeamId, toTeamId: t.toTeamId, offered: t.offered, requested: t.requested, counterOfId },
    });
  }
  return offer.id;
}

/** Proposes a trade from `fromTeam` (actor: admin or owner there) to `toTeam`. */
export async function proposeTrade(ctx: CoreContext, actor: Actor, input: ProposeTradeInput): Promise<TradeOfferView> {
  const a = requireScope(actor, "publish");
  const p = parseInput(proposeSchema, input);
  const terms = await resolveTerms(ctx, a, p.fromTeam, p.toTeam, p);
  const id = await transaction(ctx.db, (tx) => insertOffer(tx, a.userId, terms, null));
  return getTradeOffer(ctx, a, id);
}


