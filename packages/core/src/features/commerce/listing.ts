/**
 * Listing terms of a vector: free, paid (one-off price in a currency) or
 * trade-only, with the licence (personal / commercial) and whether
 * redistribution is allowed. Shown to buyers before they pay.
 */
import { z } from "zod";
import type { Actor, CoreContext } from "../../context";
import { notFound } from "../../errors";
import { requireScope } from "../../lib/auth";
import { parseInput } from "../../lib/validate";
import { recordAudit } from "../audit/audit";
import { requireTeamRole } from "../teams/roles";
import { listingSchema } from "../vectors/schemas";

export interface ListingTerms {
  kind: "free" | "paid" | "trade";
  priceCents: number | null;
  currency: string;
  licence: "personal" | "commercial";
  redistribution: boolean;
  active: boolean;
}

export function toTerms(l: { kind: string; priceCents: number | null; currency: string; licence: string; redistribution: boolean; active: boolean }): ListingTerms {
  return {
    kind: l.kind as ListingTerms["kind"],
    priceCents: l.priceCents,
    currency: l.currency,
    licence: l.licence as ListingTerms["licence"],
    redistribution: l.redistribution,
    active: l.active,
  };
}

/** The licence in plain words, one line per right (what the buy panel and library show). */
export function licenceSummary(t: { licence: string; redistribution: boolean }): string[] {
  return [
    t.licence === "commercial" ? "Commercial use allowed" : "Personal, non-commercial use only",
    t.redistribution ? "Redistribution of the vector allowed" : "No redistribution of the vector",
  ];
}

const setListingSchema = z.object({ vectorId: z.string().min(1), active: z.boolean().optional() }).and(listingSchema);

/**
 * Sets (or replaces) a vector's listing. Members of the owner team with the
 * publish scope, as at publish time; `active: false` takes it off sale.
 */
export async function setListing(
  ctx: CoreContext,
  actor: Actor,
  input: { vectorId: string; kind: string; priceCents?: number | null; currency?: string; licence: string; redistribution: boolean; active?: boolean },
): Promise<ListingTerms> {
  const p = parseInput(setListingSchema, input);
  const a = requireScope(actor, "publish");
  const vector = await ctx.db.taskVector.findUnique({ where: { id: p.vectorId }, select: { id: true, teamId: true, slug: true } });
  if (!vector) throw notFound("vector");
  await requireTeamRole(ctx, a, vector.teamId, "member");
  const data = {
    kind: p.kind,
    priceCents: p.kind === "paid" ? (p.priceCents ?? null) : null,
    currency: p.currency ?? "usd",
    licence: p.licence,
    redistribution: p.redistribution,
    active: p.active ?? true,
  };
  return ctx.db.$transaction(async (tx) => {
    const l = await tx.listing.upsert({ where: { vectorId: vector.id }, create: { vectorId: vector.id, ...data }, update: data });
    await recordAudit(tx, { actorId: a.userId, teamId: vector.teamId, action: "listing.update", targetType: "vector", targetId: vector.id, details: { vector: vector.slug, ...data } });
    return toTerms(l);
  });
}
