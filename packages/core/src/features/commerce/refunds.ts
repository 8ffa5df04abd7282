/**
 * Refunds initiated by the seller team: Stripe refunds the charge (reversing
 * the transfer and the platform fee) and the buyer's access ends at once;
 * the later `charge.refunded` webhook finds the purchase already refunded.
 */
import type { Actor, CoreContext } from "../../context";
import { DomainError, notFound } from "../../errors";
import { requireScope } from "../../lib/auth";
import { recordAudit } from "../audit/audit";
import { requireTeamRole } from "../teams/roles";
import { requireStripe, stripeFailure } from "./payments";
import { endPurchase } from "./purchases";

export async function refundPurchase(ctx: CoreContext, actor: Actor, purchaseId: string): Promise<{ purchaseId: string; status: "refunded" }> {
  const a = requireScope(actor, "publish");
  const purchase = await ctx.db.purchase.findUnique({ where: { id: purchaseId }, include: { vector: { select: { teamId: true, slug: true } } } });
  if (!purchase) throw notFound("purchase");
  await requireTeamRole(ctx, a, purchase.vector.teamId, "admin");
  if (purchase.status !== "paid") throw new DomainError("CONFLICT", `only paid purchases can be refunded (this one is ${purchase.status})`);
  if (purchase.mode === "stripe") {
    const { stripe } = requireStripe(ctx, "refunding a Stripe payment");
    if (!purchase.stripePaymentIntentId) throw new DomainError("CONFLICT", "this purchase has no Stripe payment to refund");
    try {
      await stripe.refunds.create(
        { payment_intent: purchase.stripePaymentIntentId, reverse_transfer: true, refund_application_fee: true, metadata: { purchaseId: purchase.id } },
        { idempotencyKey: `graft-refund-${purchase.id}` },
      );
    } catch (e) {
      throw stripeFailure("refund the payment", e);
    }
  }
  await ctx.db.$transaction(async (tx) => {
    await endPurchase(tx, purchase.id, "refunded");
    await recordAudit(tx, {
      actorId: a.userId,
      teamId: purchase.vector.teamId,
      action: "purchase.refund",
      targetType: "purchase",
      targetId: purchase.id,
      details: { vector: purchase.vector.slug, amountCents: purchase.amountCents, currency: purchase.currency, mode: purchase.mode },
    });
  });
  return { purchaseId: purchase.id, status: "refunded" };
}
