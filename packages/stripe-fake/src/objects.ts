/**
 * Stripe-shaped objects for the endpoints Graft calls, built from the
 * form-decoded request parameters the way the real API fills them in.
 */
import { randomBytes } from "node:crypto";

export type Params = Record<string, any>;
export type StripeObject = Record<string, any> & { id: string; object: string };

export function newId(prefix: string): string {
  return `${prefix}_test_${randomBytes(12).toString("hex")}`;
}

export const now = () => Math.floor(Date.now() / 1000);

const int = (v: unknown): number | null => (v === undefined || v === null || v === "" ? null : Number(v));

/** Sum of line_items[].price_data.unit_amount × quantity, as Checkout computes amount_total. */
function amountTotal(params: Params): number {
  const items: Params[] = Array.isArray(params.line_items) ? params.line_items : Object.values(params.line_items ?? {});
  return items.reduce((sum, item) => sum + Number(item.price_data?.unit_amount ?? 0) * Number(item.quantity ?? 1), 0);
}

export function checkoutSession(params: Params, baseUrl: string): StripeObject {
  const id = newId("cs");
  const items: Params[] = Array.isArray(params.line_items) ? params.line_items : Object.values(params.line_items ?? {});
  return {
    id,
    object: "checkout.session",
    mode: params.mode ?? "payment",
    status: "open",
    payment_status: "unpaid",
    amount_total: amountTotal(params),
    amount_subtotal: amountTotal(params),
    currency: items[0]?.price_data?.currency ?? null,
    client_reference_id: params.client_reference_id ?? null,
    customer_email: params.customer_email ?? null,
    metadata: params.metadata ?? {},
    payment_intent: null,
    success_url: params.success_url ?? null,
    cancel_url: params.cancel_url ?? null,
    url: `${baseUrl}/pay/${id}`,
    created: now(),
    expires_at: now() + 24 * 3600,
    livemode: false,
  };
}

export function account(params: Params): StripeObject {
  return {
    id: newId("acct"),
    object: "account",
    type: params.type ?? "express",
    country: params.country ?? "US",
    email: params.email ?? null,
    metadata: params.metadata ?? {},
    charges_enabled: false,
    payouts_enabled: false,
    details_submitted: false,
    capabilities: Object.fromEntries(Object.keys(params.capabilities ?? {}).map((k) => [k, "inactive"])),
    created: now(),
  };
}

export function accountLink(params: Params, baseUrl: string): Record<string, unknown> {
  return {
    object: "account_link",
    url: `${baseUrl}/express/onboarding/${params.account}`,
    created: now(),
    expires_at: now() + 300,
  };
}

export function refund(params: Params, charge: { id: string; amount: number; currency: string } | null): StripeObject {
  return {
    id: newId("re"),
    object: "refund",
    amount: int(params.amount) ?? charge?.amount ?? 0,
    currency: charge?.currency ?? "usd",
    charge: charge?.id ?? null,
    payment_intent: params.payment_intent ?? null,
    reason: params.reason ?? null,
    metadata: params.metadata ?? {},
    status: "succeeded",
    created: now(),
  };
}

/** An event envelope as webhook endpoints receive it. */
export function event(type: string, object: Record<string, unknown>, extra: { account?: string } = {}): StripeObject {
  return {
    id: newId("evt"),
    object: "event",
    api_version: "2025-01-01",
    created: now(),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    ...(extra.account ? { account: extra.account } : {}),
    data: { object },
  };
}
