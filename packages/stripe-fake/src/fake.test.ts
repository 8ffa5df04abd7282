import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeStripe, type FakeStripe } from "./index";

let fake: FakeStripe;
let stripe: Stripe;

beforeAll(async () => {
  fake = await startFakeStripe();
  stripe = new Stripe(fake.secretKey, { ...fake.clientConfig, maxNetworkRetries: 0 });
});
afterAll(() => fake.close());

async function paidSession() {
  const acct = await stripe.accounts.create({ type: "express" });
  const session = await stripe.checkout.sessions.create({
    mode: "payment",
    success_url: "http://localhost/ok",
    line_items: [{ quantity: 1, price_data: { currency: "eur", unit_amount: 1500, product_data: { name: "v" } } }],
    metadata: { purchaseId: "p1" },
    payment_intent_data: { application_fee_amount: 150, transfer_data: { destination: acct.id }, metadata: { purchaseId: "p1" } },
  });
  return { acct, session };
}

describe("the fake Stripe API with the real stripe client", () => {
  it("creates and retrieves checkout sessions from form-encoded parameters", async () => {
    const { acct, session } = await paidSession();
    expect(session).toMatchObject({ object: "checkout.session", amount_total: 1500, currency: "eur", status: "open", metadata: { purchaseId: "p1" } });
    expect(session.url).toContain(session.id);
    expect((await stripe.checkout.sessions.retrieve(session.id)).id).toBe(session.id);
    const sent = fake.requestsTo("/v1/checkout/sessions").at(-1)!;
    expect(sent.params.payment_intent_data).toEqual({ application_fee_amount: "150", transfer_data: { destination: acct.id }, metadata: { purchaseId: "p1" } });
  });

  it("answers a repeated Idempotency-Key with the first response, and refuses it with other parameters", async () => {
    const a = await stripe.accounts.create({ type: "express", metadata: { team: "t" } }, { idempotencyKey: "k-1" });
    const b = await stripe.accounts.create({ type: "express", metadata: { team: "t" } }, { idempotencyKey: "k-1" });
    expect(b.id).toBe(a.id);
    expect(fake.accounts.size).toBeGreaterThan(0);
    expect(fake.requestsTo("/v1/accounts").filter((r) => r.idempotencyKey === "k-1").map((r) => r.replayed)).toEqual([false, true]);
    await expect(stripe.accounts.create({ type: "express", metadata: { team: "other" } }, { idempotencyKey: "k-1" })).rejects.toMatchObject({
      type: "StripeIdempotencyError",
    });
  });

  it("reports unknown objects and bad keys as Stripe errors", async () => {
    await expect(stripe.checkout.sessions.retrieve("cs_nope")).rejects.toMatchObject({ statusCode: 404, code: "resource_missing" });
    const bad = new Stripe("sk_test_wrong", { ...fake.clientConfig, maxNetworkRetries: 0 });
    await expect(bad.accounts.retrieve("acct_x")).rejects.toMatchObject({ statusCode: 401 });
  });

  it("creates account links and refunds a paid session once", async () => {
    const { acct, session } = await paidSession();
    const link = await stripe.accountLinks.create({ account: acct.id, type: "account_onboarding", refresh_url: "http://x/r", return_url: "http://x/d" });
    expect(link.url).toContain(acct.id);
    const evt = fake.completeCheckout(session.id);
    const pi = (evt.data as any).object.payment_intent as string;
    expect(fake.charges.get(pi)).toMatchObject({ amount: 1500, destination: acct.id, applicationFeeAmount: 150 });
    const r = await stripe.refunds.create({ payment_intent: pi });
    expect(r).toMatchObject({ object: "refund", amount: 1500, status: "succeeded", payment_intent: pi });
    await expect(stripe.refunds.create({ payment_intent: pi })).rejects.toMatchObject({ code: "charge_already_refunded" });
  });

  it("signs events that the real library verifies, and rejects tampered ones", async () => {
    const { session } = await paidSession();
    const evt = fake.completeCheckout(session.id);
    const { payload, signature } = fake.sign(evt);
    const parsed = stripe.webhooks.constructEvent(payload, signature, fake.webhookSecret);
    expect(parsed).toMatchObject({ id: evt.id, type: "checkout.session.completed" });
    expect(() => stripe.webhooks.constructEvent(payload.replace("paid", "unpaid"), signature, fake.webhookSecret)).toThrow();
    const other = fake.sign(evt, { secret: "whsec_other" });
    expect(() => stripe.webhooks.constructEvent(other.payload, other.signature, fake.webhookSecret)).toThrow();
  });
});
