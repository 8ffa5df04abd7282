/**
 * Buying a paid listing. With Stripe: a pending Purchase, then a Checkout
 * Session whose payment is a destination charge to the seller team's Connect
 * account minus the platform's application fee; access is granted only by
 * the webhook. In test-payment mode the purchase completes here, at once.
 */
import { z } from "zod";
import type { Actor, CoreContext, DbClient } from "../../context";
import { DomainError, notFound } from "../../errors";
import { requireActor } from "../../lib/auth";
import { lockForTransaction, purchaseLockKey } from "../../lib/locks";
import { parseInput } from "../../lib/validate";
import { teamIdsOf } from "../teams/roles";
import { licenceSummary } from "./listing";
import { paymentsOf, platformFee, requireStripe, stripeFailure } from "./payments";
import { grantPurchase } from "./purchases";

export type CheckoutResult =
  | { mode: "stripe"; purchaseId: string; checkoutUrl: string; sessionId: string }
  | { mode: "test"; purchaseId: string; status: "paid" };

const checkoutSchema = z.object({ vectorId: z.string().min(1).max(64) });

/** Whether the user already may use the vector through their own entitlement or one of their teams. */
async function alreadyOwns(db: DbClient, userId: string, vector: { id: string; teamId: string }): Promise<string | null> {
  const teams = await teamIdsOf(db, userId);
  if (teams.includes(vector.teamId)) return "your team publishes this vector";
  const ent = await db.entitlement.findFirst({
    where: { vectorId: vector.id, revokedAt: null, OR: [{ userId }, ...(teams.length ? [{ teamId: { in: teams } }] : [])] },
    select: { source: true },
  });
  return ent ? `you already own this vector (${ent.source})` : null;
}

/** Starts buying a vector's paid listing for the signed-in user (sessions only: API tokens cannot spend money). */
export async function startCheckout(ctx: CoreContext, actor: Actor, input: { vectorId: string }): Promise<CheckoutResult> {
  const a = requireActor(actor);
  if (a.scopes) throw new DomainError("FORBIDDEN", "purchases are made from a signed-in browser session, not with an API token");
  const { vectorId } = parseInput(checkoutSchema, input);
  const vector = await ctx.db.taskVector.findUnique({
    where: { id: vectorId },
    select: { id: true, slug: true, name: true, teamId: true, team: { select: { slug: true, name: true } }, listing: true },
  });
  if (!vector) throw notFound("vector");
  const listing = vector.listing;
  if (!listing?.active) throw new DomainError("CONFLICT", "this vector is not for sale");
  if (listing.kind === "free") throw new DomainError("CONFLICT", "this vector is free: download it directly");
  if (listing.kind === "trade") throw new DomainError("CONFLICT", "this vector is offered for trade only: propose a trade to its team");
  const amountCents = listing.priceCents!;
  const owned = await alreadyOwns(ctx.db, a.userId, vector);
  if (owned) throw new DomainError("CONFLICT", owned);

  const payments = paymentsOf(ctx);
  const feeCents = platformFee(amountCents, payments.platformFeePercent);
  const base = { buyerId: a.userId, vectorId: vector.id, amountCents, currency: listing.currency, feeCents };

  if (payments.mode === "test") {
    // Locked per buyer and vector: the ownership check and the grant cannot interleave with a parallel purchase.
    return ctx.db.$transaction(async (tx) => {
      await lockForTransaction(tx, purchaseLockKey(a.userId, vector.id));
      const again = await alreadyOwns(tx, a.userId, vector);
      if (again) throw new DomainError("CONFLICT", again);
      const purchase = await tx.purchase.create({ data: { ...base, mode: "test", status: "paid" } });
      await grantPurchase(tx, purchase);
      return { mode: "test" as const, purchaseId: purchase.id, status: "paid" as const };
    });
  }
  if (payments.mode === "disabled") {
    throw new DomainError("CONFLICT", "paid checkout is unavailable: this server has no Stripe keys, and test payments are off in production");
  }

  const { stripe, config } = requireStripe(ctx, "paid checkout");
  const seller = await ctx.db.sellerAccount.findUnique({ where: { teamId: vector.teamId } });
  if (!seller) throw new DomainError("CONFLICT", `team ${vector.team.slug} has not connected a Stripe account for payouts yet, so it cannot sell paid listings`);
  if (!seller.chargesEnabled) throw new DomainError("CONFLICT", `team ${vector.team.slug} has not finished Stripe onboarding, so it cannot take payments yet`);

  const purchase = await ctx.db.purchase.create({ data: { ...base, mode: "stripe", status: "pending" } });
  const metadata = { purchaseId: purchase.id, vectorId: vector.id, buyerId: a.userId };
  let session;
  try {
    session = await stripe.checkout.sessions.create(
      {
        mode: "payment",
        client_reference_id: purchase.id,
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: listing.currency,
              unit_amount: amountCents,
              product_data: { name: `${vector.team.slug}/${vector.slug}`, description: licenceSummary(listing).join(". ") },
            },
          },
        ],
        payment_intent_data: { application_fee_amount: feeCents, transfer_data: { destination: seller.stripeAccountId }, metadata },
        metadata,
        success_url: `${config.publicUrl}/library?purchase=${purchase.id}`,
        cancel_url: `${config.publicUrl}/v/${vector.team.slug}/${vector.slug}`,
      },
      { idempotencyKey: `graft-checkout-${purchase.id}` },
    );
  } catch (e) {
    await ctx.db.purchase.delete({ where: { id: purchase.id } });
    throw stripeFailure("start the checkout", e);
  }
  await ctx.db.purchase.update({ where: { id: purchase.id }, data: { stripeCheckoutSessionId: session.id } });
  if (!session.url) throw new DomainError("INTERNAL", "Stripe returned a checkout session without a URL");
  return { mode: "stripe", purchaseId: purchase.id, checkoutUrl: session.url, sessionId: session.id };
}
