/**
 * Fulfilment: the only place a Stripe payment grants access. Each event is
 * verified with stripe.webhooks.constructEvent, then handled in one
 * transaction that first records its id (a replay finds it and does
 * nothing) and moves the purchase of a checkout session from pending to
 * paid at most once (a second event for the same session finds it settled).
 * Order does not matter: a refund or dispute that arrives before the
 * completion ends the purchase, and the late completion then grants nothing.
 */
import type Stripe from "stripe";
import type { CoreContext, DbClient } from "../../context";
import { DomainError } from "../../errors";
import { lockForTransaction } from "../../lib/locks";
import { requireStripe } from "./payments";
import { endPurchase, grantPurchase } from "./purchases";
import { syncSellerAccount } from "./sellers";

export type WebhookOutcome = { eventId: string; type: string; result: "processed" | "duplicate" | "ignored"; detail?: string };

/** Verifies the signature over the raw body; INVALID (the route answers 400) when it does not match. */
export function verifyStripeEvent(ctx: Pick<CoreContext, "config">, rawBody: string | Buffer, signature: string | null): Stripe.Event {
  const { stripe, webhookSecret } = requireStripe(ctx, "the Stripe webhook");
  if (!signature) throw new DomainError("INVALID", "missing Stripe-Signature header");
  try {
    return stripe.webhooks.constructEvent(rawBody, signature, webhookSecret);
  } catch (e) {
    throw new DomainError("INVALID", `webhook signature verification failed: ${(e as Error).message}`);
  }
}

/** Handles one verified event exactly once. */
export async function processStripeEvent(ctx: CoreContext, event: Stripe.Event): Promise<WebhookOutcome> {
  const out = (result: WebhookOutcome["result"], detail?: string): WebhookOutcome => ({ eventId: event.id, type: event.type, result, ...(detail ? { detail } : {}) });
  // Account state is read fresh from Stripe (outside the transaction), so an older account.updated arriving late cannot roll it back.
  let account: Stripe.Account | null = null;
  if (event.type === "account.updated") {
    const { stripe } = requireStripe(ctx, "the Stripe webhook");
    account = await stripe.accounts.retrieve(event.data.object.id);
  }
  return ctx.db.$transaction(async (tx) => {
    // Parallel deliveries of one event wait for each other; the later ones then see it recorded.
    await lockForTransaction(tx, `stripe-event:${event.id}`);
    if (await tx.stripeEvent.findUnique({ where: { id: event.id } })) return out("duplicate");
    await tx.stripeEvent.create({ data: { id: event.id, type: event.type } });
    switch (event.type) {
      case "checkout.session.completed":
        return out(...(await completeCheckout(tx, event.data.object)));
      case "charge.refunded":
        return out(...(await chargeEnded(tx, event.data.object.metadata?.purchaseId, paymentIntentOf(event.data.object.payment_intent), "refunded")));
      case "charge.dispute.created":
        return out(...(await chargeEnded(tx, undefined, paymentIntentOf(event.data.object.payment_intent), "disputed")));
      case "account.updated":
        return (await syncSellerAccount(tx, account!)) ? out("processed") : out("ignored", "not a Graft seller account");
      default:
        return out("ignored", "event type not handled");
    }
  });
}

function paymentIntentOf(pi: string | { id: string } | null | undefined): string | null {
  return typeof pi === "string" ? pi : (pi?.id ?? null);
}

type Result = [WebhookOutcome["result"], string?];

async function completeCheckout(tx: DbClient, session: Stripe.Checkout.Session): Promise<Result> {
  const purchaseId = session.metadata?.purchaseId ?? session.client_reference_id;
  if (!purchaseId) return ["ignored", "not a Graft checkout"];
  if (session.payment_status !== "paid") return ["ignored", `payment ${session.payment_status}`];
  const purchase = await tx.purchase.findUnique({ where: { id: purchaseId } });
  if (!purchase) return ["ignored", "unknown purchase"];
  if (purchase.amountCents !== session.amount_total || purchase.currency !== session.currency) {
    return ["ignored", "amount or currency differs from the purchase"];
  }
  // The conditional update is the once-per-session guard: only a pending purchase becomes paid.
  const moved = await tx.purchase.updateMany({
    where: { id: purchase.id, status: "pending", OR: [{ stripeCheckoutSessionId: null }, { stripeCheckoutSessionId: session.id }] },
    data: { status: "paid", stripeCheckoutSessionId: session.id, stripePaymentIntentId: paymentIntentOf(session.payment_intent) },
  });
  if (moved.count === 0) return ["ignored", `purchase already ${purchase.status}`];
  const granted = await grantPurchase(tx, purchase);
  return ["processed", granted ? "entitlement granted" : "buyer already entitled"];
}

async function chargeEnded(tx: DbClient, purchaseId: string | undefined, paymentIntent: string | null, status: "refunded" | "disputed"): Promise<Result> {
  const purchase =
    (purchaseId ? await tx.purchase.findUnique({ where: { id: purchaseId } }) : null) ??
    (paymentIntent ? await tx.purchase.findUnique({ where: { stripePaymentIntentId: paymentIntent } }) : null);
  if (!purchase) {
    if (purchaseId) return ["ignored", "unknown purchase"];
    // A dispute can only name the payment: if its completion has not been seen yet, fail so Stripe retries later.
    throw new DomainError("CONFLICT", `no purchase for payment ${paymentIntent} yet; retry later`);
  }
  if (purchase.status === status) return ["ignored", `purchase already ${status}`];
  await endPurchase(tx, purchase.id, status, paymentIntent);
  return ["processed", `purchase ${status}, entitlement revoked`];
}
