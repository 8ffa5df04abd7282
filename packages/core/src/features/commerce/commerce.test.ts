import Stripe from "stripe";
import { startFakeStripe, type FakeStripe, type StripeObject } from "@graft/stripe-fake";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestContext, makeTeam, makeUser, publishTestVector, registerTinyFoundation, type TestContext } from "../../testing";
import { canDownload } from "../entitlements";
import { addMember } from "../teams";
import {
  buyerLibrary,
  processStripeEvent,
  refundPurchase,
  sellerDashboard,
  setListing,
  startCheckout,
  startSellerOnboarding,
  verifyStripeEvent,
  type PaymentsConfig,
} from "./index";

let t: TestContext;
let fake: FakeStripe;
type U = Awaited<ReturnType<typeof makeUser>>;
let owner: U, member: U, buyer: U;

const PAID = { kind: "paid" as const, priceCents: 2000, currency: "eur", licence: "commercial" as const, redistribution: false };

beforeAll(async () => {
  fake = await startFakeStripe();
});
afterAll(() => fake.close());

beforeEach(async () => {
  t = await createTestContext();
  owner = await makeUser(t.ctx, `owner${Date.now()}`);
  member = await makeUser(t.ctx, `member${Date.now()}`);
  buyer = await makeUser(t.ctx, `buyer${Date.now()}`);
  await makeTeam(t.ctx, owner.actor, "acme");
  await addMember(t.ctx, owner.actor, "acme", { email: member.email, role: "member" });
  await registerTinyFoundation(t, owner.actor, "acme");
});
afterEach(() => t.cleanup());

function usePayments(mode: PaymentsConfig["mode"]) {
  t.ctx.config.payments = {
    mode,
    platformFeePercent: 12.5,
    publicUrl: "http://graft.test",
    ...(mode === "stripe" ? { stripe: new Stripe(fake.secretKey, { ...fake.clientConfig, maxNetworkRetries: 0 }), webhookSecret: fake.webhookSecret } : {}),
  };
}

async function paidVector(slug = "vec") {
  return publishTestVector(t, owner.actor, { vectorSlug: slug, listing: PAID });
}

/** Signs an event with the fake, verifies it as the webhook route does, and processes it. */
async function deliver(evt: StripeObject) {
  const { payload, signature } = fake.sign(evt);
  return processStripeEvent(t.ctx, verifyStripeEvent(t.ctx, payload, signature));
}

async function activeEntitlements(vectorId: string, userId = buyer.id) {
  return t.ctx.db.entitlement.count({ where: { vectorId, userId, revokedAt: null } });
}

/** A team that finished Stripe onboarding. */
async function onboard() {
  const { seller } = await startSellerOnboarding(t.ctx, owner.actor, "acme");
  await deliver(fake.updateAccount(seller.stripeAccountId!, { charges_enabled: true, payouts_enabled: true, details_submitted: true }));
  return seller.stripeAccountId!;
}

describe("listing terms", () => {
  it("are set by members of the owner team and validated", async () => {
    const { vector } = await publishTestVector(t, owner.actor);
    const terms = await setListing(t.ctx, member.actor, { vectorId: vector.id, ...PAID, currency: "EUR" });
    expect(terms).toEqual({ kind: "paid", priceCents: 2000, currency: "eur", licence: "commercial", redistribution: false, active: true });
    await expect(setListing(t.ctx, buyer.actor, { vectorId: vector.id, ...PAID })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(setListing(t.ctx, member.actor, { vectorId: vector.id, kind: "paid", licence: "personal", redistribution: true })).rejects.toMatchObject({
      code: "INVALID",
      message: expect.stringContaining("a paid listing needs a price"),
    });
    expect((await setListing(t.ctx, owner.actor, { vectorId: vector.id, kind: "trade", licence: "personal", redistribution: true })).priceCents).toBeNull();
  });
});

describe("test-payment checkout", () => {
  beforeEach(() => usePayments("test"));

  it("completes at once and grants a purchase entitlement, with the platform fee recorded", async () => {
    const { vector, version } = await paidVector();
    expect(await canDownload(t.ctx, buyer.actor, version.id)).toMatchObject({ allowed: false });
    const r = await startCheckout(t.ctx, buyer.actor, { vectorId: vector.id });
    expect(r).toMatchObject({ mode: "test", status: "paid" });
    expect(await t.ctx.db.purchase.findUniqueOrThrow({ where: { id: r.purchaseId } })).toMatchObject({ amountCents: 2000, feeCents: 250, currency: "eur", mode: "test" });
    expect(await canDownload(t.ctx, buyer.actor, version.id)).toEqual({ allowed: true, reason: "purchase" });
    await expect(startCheckout(t.ctx, buyer.actor, { vectorId: vector.id })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("already own") });
  });

  it("refuses free, trade-only, own-team and unknown vectors, and API tokens", async () => {
    const free = await publishTestVector(t, owner.actor, { vectorSlug: "free" });
    const trade = await publishTestVector(t, owner.actor, { vectorSlug: "trade", listing: { kind: "trade", licence: "personal", redistribution: false } });
    const paid = await paidVector("paid");
    await expect(startCheckout(t.ctx, buyer.actor, { vectorId: free.vector.id })).rejects.toMatchObject({ message: expect.stringContaining("free") });
    await expect(startCheckout(t.ctx, buyer.actor, { vectorId: trade.vector.id })).rejects.toMatchObject({ message: expect.stringContaining("trade only") });
    await expect(startCheckout(t.ctx, member.actor, { vectorId: paid.vector.id })).rejects.toMatchObject({ message: expect.stringContaining("your team") });
    await expect(startCheckout(t.ctx, buyer.actor, { vectorId: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(startCheckout(t.ctx, { userId: buyer.id, scopes: ["read", "publish"] }, { vectorId: paid.vector.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(startCheckout(t.ctx, null, { vectorId: paid.vector.id })).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("parallel purchases: one active entitlement per buyer, none lost across buyers", async () => {
    const { vector } = await paidVector();
    const same = await Promise.allSettled(Array.from({ length: 8 }, () => startCheckout(t.ctx, buyer.actor, { vectorId: vector.id })));
    expect(same.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of same) if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "CONFLICT" });
    expect(await activeEntitlements(vector.id)).toBe(1);

    const others = await Promise.all(Array.from({ length: 6 }, (_, i) => makeUser(t.ctx, `parallel${i}-${Date.now()}`)));
    const results = await Promise.allSettled(others.map((u) => startCheckout(t.ctx, u.actor, { vectorId: vector.id })));
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    for (const u of others) expect(await activeEntitlements(vector.id, u.id)).toBe(1);
  });

  it("is refused with a clear message when payments are disabled (production without Stripe)", async () => {
    usePayments("disabled");
    const { vector } = await paidVector();
    await expect(startCheckout(t.ctx, buyer.actor, { vectorId: vector.id })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("no Stripe keys") });
    await expect(startSellerOnboarding(t.ctx, owner.actor, "acme")).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("STRIPE_SECRET_KEY") });
  });
});

describe("Stripe checkout and fulfilment", () => {
  beforeEach(() => usePayments("stripe"));

  it("refuses paid checkout while the seller team has no connected account or has not finished onboarding", async () => {
    const { vector } = await paidVector();
    await expect(startCheckout(t.ctx, buyer.actor, { vectorId: vector.id })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("has not connected a Stripe account") });
    const { url, seller } = await startSellerOnboarding(t.ctx, owner.actor, "acme");
    expect(url).toContain(seller.stripeAccountId!);
    await expect(startCheckout(t.ctx, buyer.actor, { vectorId: vector.id })).rejects.toMatchObject({ message: expect.stringContaining("not finished Stripe onboarding") });
    expect(await t.ctx.db.purchase.count()).toBe(0);
  });

  it("onboarding creates one Express account per team (idempotently) and account.updated syncs its state", async () => {
    await expect(startSellerOnboarding(t.ctx, member.actor, "acme")).rejects.toMatchObject({ code: "FORBIDDEN" });
    const first = await startSellerOnboarding(t.ctx, owner.actor, "acme");
    const again = await startSellerOnboarding(t.ctx, owner.actor, "acme");
    expect(again.seller.stripeAccountId).toBe(first.seller.stripeAccountId);
    const creates = fake.requestsTo("/v1/accounts").filter((r) => r.params.metadata?.teamSlug === "acme" && r.params.metadata?.teamId);
    expect(creates.at(-1)!.idempotencyKey).toMatch(/^graft-seller-/);
    expect(creates.at(-1)!.params.type).toBe("express");
    for (const r of fake.requestsTo("/v1/account_links").slice(-2)) expect(r.idempotencyKey).toMatch(/^graft-onboarding-/);

    const acct = first.seller.stripeAccountId!;
    const stale = fake.updateAccount(acct, { details_submitted: true });
    const fresh = fake.updateAccount(acct, { charges_enabled: true, payouts_enabled: true, details_submitted: true });
    expect(await deliver(fresh)).toMatchObject({ result: "processed" });
    // The older event arrives late: the state is read from Stripe, so nothing rolls back.
    expect(await deliver(stale)).toMatchObject({ result: "processed" });
    expect(await t.ctx.db.sellerAccount.findFirstOrThrow()).toMatchObject({ chargesEnabled: true, payoutsEnabled: true, detailsSubmitted: true });
  });

  it("creates a destination-charge session with the platform fee; only the webhook grants, exactly once", async () => {
    const acct = await onboard();
    const { vector, version } = await paidVector();
    const r = await startCheckout(t.ctx, buyer.actor, { vectorId: vector.id });
    if (r.mode !== "stripe") throw new Error("expected Stripe checkout");
    expect(r.checkoutUrl).toContain(r.sessionId);
    const sent = fake.requestsTo("/v1/checkout/sessions").at(-1)!;
    expect(sent.idempotencyKey).toBe(`graft-checkout-${r.purchaseId}`);
    expect(sent.params.payment_intent_data).toMatchObject({ application_fee_amount: "250", transfer_data: { destination: acct } });
    expect(sent.params.line_items[0].price_data).toMatchObject({ currency: "eur", unit_amount: "2000" });
    expect(await canDownload(t.ctx, buyer.actor, version.id)).toMatchObject({ allowed: false });

    const completed = fake.completeCheckout(r.sessionId);
    expect(await deliver(completed)).toMatchObject({ result: "processed", detail: "entitlement granted" });
    expect(await deliver(completed)).toMatchObject({ result: "duplicate" });
    // Same session, new event id (Stripe may resend): the session is already settled.
    expect(await deliver({ ...completed, id: `${completed.id}_again` })).toMatchObject({ result: "ignored" });
    expect(await activeEntitlements(vector.id)).toBe(1);
    expect(await canDownload(t.ctx, buyer.actor, version.id)).toEqual({ allowed: true, reason: "purchase" });
    expect(await t.ctx.db.purchase.findUniqueOrThrow({ where: { id: r.purchaseId } })).toMatchObject({ status: "paid", stripeCheckoutSessionId: r.sessionId });
  });

  it("handles the same event delivered in parallel once", async () => {
    await onboard();
    const { vector } = await paidVector();
    const r = await startCheckout(t.ctx, buyer.actor, { vectorId: vector.id });
    if (r.mode !== "stripe") throw new Error("expected Stripe checkout");
    const completed = fake.completeCheckout(r.sessionId);
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => deliver(completed)));
    expect(outcomes.filter((o) => o.result === "processed")).toHaveLength(1);
    expect(await activeEntitlements(vector.id)).toBe(1);
  });

  it("refunds and disputes revoke; a refund arriving before the completion leaves nothing granted", async () => {
    await onboard();
    const a = await paidVector("vec-a");
    const b = await paidVector("vec-b");
    const ra = await startCheckout(t.ctx, buyer.actor, { vectorId: a.vector.id });
    const rb = await startCheckout(t.ctx, buyer.actor, { vectorId: b.vector.id });
    if (ra.mode !== "stripe" || rb.mode !== "stripe") throw new Error("expected Stripe checkout");

    const completedA = fake.completeCheckout(ra.sessionId);
    await deliver(completedA);
    const piA = (completedA.data as { object: { payment_intent: string } }).object.payment_intent;
    expect(await deliver(fake.disputeCreated(piA))).toMatchObject({ result: "processed" });
    expect(await activeEntitlements(a.vector.id)).toBe(0);
    expect(await t.ctx.db.purchase.findUniqueOrThrow({ where: { id: ra.purchaseId } })).toMatchObject({ status: "disputed" });

    const completedB = fake.completeCheckout(rb.sessionId);
    const piB = (completedB.data as { object: { payment_intent: string } }).object.payment_intent;
    expect(await deliver(fake.chargeRefunded(piB))).toMatchObject({ result: "processed" });
    expect(await deliver(completedB)).toMatchObject({ result: "ignored", detail: "purchase already refunded" });
    expect(await activeEntitlements(b.vector.id)).toBe(0);
  });

  it("two paid checkouts of one vector: one entitlement, and refunding one keeps access through the other", async () => {
    await onboard();
    const { vector } = await paidVector();
    // Both sessions are opened before either is paid, so both pass the ownership check.
    const [r1, r2] = await Promise.all([startCheckout(t.ctx, buyer.actor, { vectorId: vector.id }), startCheckout(t.ctx, buyer.actor, { vectorId: vector.id })]);
    if (r1.mode !== "stripe" || r2.mode !== "stripe") throw new Error("expected Stripe checkout");
    const [o1, o2] = await Promise.all([deliver(fake.completeCheckout(r1.sessionId)), deliver(fake.completeCheckout(r2.sessionId))]);
    expect([o1.detail, o2.detail].sort()).toEqual(["buyer already entitled", "entitlement granted"]);
    expect(await activeEntitlements(vector.id)).toBe(1);
    const holder = (await t.ctx.db.entitlement.findFirstOrThrow({ where: { vectorId: vector.id, userId: buyer.id, revokedAt: null } })).purchaseId!;
    await refundPurchase(t.ctx, owner.actor, holder);
    expect(await activeEntitlements(vector.id)).toBe(1);
    const other = holder === r1.purchaseId ? r2.purchaseId : r1.purchaseId;
    await refundPurchase(t.ctx, owner.actor, other);
    expect(await activeEntitlements(vector.id)).toBe(0);
  });

  it("refuses events with a bad signature", async () => {
    await onboard();
    const { vector } = await paidVector();
    const r = await startCheckout(t.ctx, buyer.actor, { vectorId: vector.id });
    if (r.mode !== "stripe") throw new Error("expected Stripe checkout");
    const forged = fake.sign(fake.completeCheckout(r.sessionId), { secret: "whsec_forged" });
    expect(() => verifyStripeEvent(t.ctx, forged.payload, forged.signature)).toThrow(expect.objectContaining({ code: "INVALID" }));
    expect(() => verifyStripeEvent(t.ctx, forged.payload, null)).toThrow(expect.objectContaining({ code: "INVALID" }));
    expect(await activeEntitlements(vector.id)).toBe(0);
  });

  it("seller refunds go through Stripe with an idempotency key and revoke at once; dashboard and library follow", async () => {
    await onboard();
    const { vector } = await paidVector();
    const r = await startCheckout(t.ctx, buyer.actor, { vectorId: vector.id });
    if (r.mode !== "stripe") throw new Error("expected Stripe checkout");
    const completed = fake.completeCheckout(r.sessionId);
    await deliver(completed);

    const lib = await buyerLibrary(t.ctx, buyer.actor);
    expect(lib).toEqual([
      expect.objectContaining({
        source: "purchase",
        licence: "commercial",
        redistribution: false,
        purchase: expect.objectContaining({ amountCents: 2000, currency: "eur", mode: "stripe" }),
        vector: expect.objectContaining({ slug: "vec", teamSlug: "acme" }),
      }),
    ]);
    const dash = await sellerDashboard(t.ctx, owner.actor, "acme");
    expect(dash.seller).toMatchObject({ connected: true, chargesEnabled: true });
    expect(dash.currencies.eur!.totals).toMatchObject({ sales: 1, grossCents: 2000, feeCents: 250, netCents: 1750, refunds: 0 });
    await expect(sellerDashboard(t.ctx, member.actor, "acme")).rejects.toMatchObject({ code: "FORBIDDEN" });

    await expect(refundPurchase(t.ctx, member.actor, r.purchaseId)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(refundPurchase(t.ctx, buyer.actor, r.purchaseId)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await refundPurchase(t.ctx, owner.actor, r.purchaseId)).toEqual({ purchaseId: r.purchaseId, status: "refunded" });
    const refundReq = fake.requestsTo("/v1/refunds").at(-1)!;
    expect(refundReq).toMatchObject({ idempotencyKey: `graft-refund-${r.purchaseId}`, params: { reverse_transfer: "true", refund_application_fee: "true" } });
    expect(await activeEntitlements(vector.id)).toBe(0);
    await expect(refundPurchase(t.ctx, owner.actor, r.purchaseId)).rejects.toMatchObject({ code: "CONFLICT" });
    // Stripe's own charge.refunded follows and changes nothing.
    const pi = (completed.data as { object: { payment_intent: string } }).object.payment_intent;
    expect(await deliver(fake.chargeRefunded(pi))).toMatchObject({ result: "ignored" });

    expect(await buyerLibrary(t.ctx, buyer.actor)).toEqual([]);
    const after = await sellerDashboard(t.ctx, owner.actor, "acme");
    expect(after.currencies.eur!.totals).toMatchObject({ sales: 1, grossCents: 0, refunds: 1, refundedCents: 2000 });
    expect(after.refunds.map((s) => s.purchaseId)).toEqual([r.purchaseId]);
  });

  it("lists owner-team vectors in a member's library", async () => {
    await paidVector();
    const lib = await buyerLibrary(t.ctx, member.actor);
    expect(lib.map((i) => [i.vector.slug, i.source, i.viaTeam])).toEqual([["vec", "owner-team", "acme"]]);
  });
});
