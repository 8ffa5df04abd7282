/**
 * How this deployment takes money. "stripe": Checkout Sessions with
 * destination charges to the seller's Connect account; "test": purchases
 * complete locally, clearly labelled, never in production; "disabled":
 * production without Stripe keys, where paid checkout is refused.
 */
import type Stripe from "stripe";
import type { CoreContext } from "../../context";
import { DomainError } from "../../errors";

export type PaymentMode = "stripe" | "test" | "disabled";

export interface PaymentsConfig {
  mode: PaymentMode;
  /** A configured client (secret key; host/port only when pointed at a local fake). */
  stripe?: Stripe;
  /** Signing secret of the webhook endpoint (whsec_…). */
  webhookSecret?: string;
  /** Platform fee taken from each sale, in percent of the price (0–100). */
  platformFeePercent: number;
  /** Public base URL of the web app, for Stripe's redirects back to it. */
  publicUrl: string;
}

const DISABLED: PaymentsConfig = { mode: "disabled", platformFeePercent: 0, publicUrl: "http://localhost:3000" };

export function paymentsOf(ctx: Pick<CoreContext, "config">): PaymentsConfig {
  return ctx.config.payments ?? DISABLED;
}

/** The Stripe client and webhook secret, or a CONFLICT saying Stripe is not configured here. */
export function requireStripe(ctx: Pick<CoreContext, "config">, what: string): { stripe: Stripe; webhookSecret: string; config: PaymentsConfig } {
  const config = paymentsOf(ctx);
  if (config.mode !== "stripe" || !config.stripe || !config.webhookSecret) {
    throw new DomainError("CONFLICT", `${what} needs Stripe, and this server has no Stripe keys (set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET)`);
  }
  return { stripe: config.stripe, webhookSecret: config.webhookSecret, config };
}

/** The platform's share of a price, in minor units (rounded half up, never more than the price). */
export function platformFee(amountCents: number, percent: number): number {
  return Math.min(amountCents, Math.round((amountCents * percent) / 100));
}

/** A Stripe API failure as a domain error that names the step and keeps Stripe's message. */
export function stripeFailure(step: string, e: unknown): DomainError {
  const err = e as { type?: string; message?: string };
  if (typeof err?.type === "string" && err.type.startsWith("Stripe")) {
    return new DomainError("CONFLICT", `Stripe refused to ${step}: ${err.message ?? err.type}`);
  }
  return new DomainError("INTERNAL", `could not reach Stripe to ${step}`);
}
