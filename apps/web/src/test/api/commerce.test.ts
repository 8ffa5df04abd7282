// Selling over real HTTP: the built server's stripe client talks to a
// loopback fake of Stripe's API, and webhook deliveries are signed by the real
// stripe library. A second server runs without Stripe keys outside
// production (test payments) for the parallel-purchase checks.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startFakeStripe, type FakeStripe, type StripeObject } from "@graft/stripe-fake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, multipart, unique } from "../client";
import { writeFixtures, type FixtureSet } from "../fixtures";
import { startServer, type TestServer } from "../server";

const PAID = { kind: "paid", priceCents: 1200, currency: "usd", licence: "commercial", redistribution: false };

let dir: string;
let fx: FixtureSet;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "graft-commerce-"));
  fx = await writeFixtures(dir);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A signed-in owner with a team and a foundation; publishes paid vectors on demand. */
async function seller(server: TestServer) {
  const owner = new ApiClient(server.baseUrl);
  await owner.signUp(`${unique("seller")}@example.com`);
  const team = unique("shop");
  expect((await owner.post("/api/v1/teams", { slug: team, name: "Shop" })).status).toBe(201);
  const foundation = unique("base");
  const f = await owner.post(
    "/api/v1/foundations",
    await multipart({ teamSlug: team, slug: foundation, name: "Base", architecture: "llama", licence: "mit" }, { file: fx.base }),
  );
  expect(f.status).toBe(201);
  async function publish(listing: Record<string, unknown> = PAID): Promise<{ id: string; slug: string; versionId: string }> {
    const slug = unique("v");
    const meta = { teamSlug: team, foundationSlug: foundation, vectorSlug: slug, name: slug, task: "qa", version: "1.0.0", listing };
    const res = await owner.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(meta) }, { file: fx.taskVector }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id: res.body.vector.id, slug, versionId: res.body.version.id };
  }
  return { owner, team, publish };
}

async function buyer(server: TestServer): Promise<ApiClient> {
  const c = new ApiClient(server.baseUrl);
  await c.signUp(`${unique("buyer")}@example.com`);
  return c;
}

const downloadStatus = async (c: ApiClient, versionId: string) => (await c.raw(`/api/v1/versions/${versionId}/download`)).status;
const paymentIntentOf = (evt: StripeObject) => (evt.data as { object: { payment_intent: string } }).object.payment_intent;

describe("selling through Stripe (fake Stripe API)", () => {
  let server: TestServer;
  let fake: FakeStripe;
  let shop: Awaited<ReturnType<typeof seller>>;
  let webhook: string;

  beforeAll(async () => {
    fake = await startFakeStripe();
    server = await startServer({ stripe: { secretKey: fake.secretKey, webhookSecret: fake.webhookSecret, port: fake.port }, env: { PLATFORM_FEE_PERCENT: "15" } });
    webhook = `${server.baseUrl}/api/v1/webhooks/stripe`;
    shop = await seller(server);
  }, 900_000);
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  async function checkout(c: ApiClient, vectorId: string) {
    const res = await c.post("/api/v1/checkout", { vectorId });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.checkout.mode).toBe("stripe");
    return res.body.checkout as { purchaseId: string; sessionId: string; checkoutUrl: string };
  }

  it("refuses paid checkout while the seller team has no connected Stripe account", async () => {
    const v = await shop.publish();
    const b = await buyer(server);
    const res = await b.post("/api/v1/checkout", { vectorId: v.id });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/has not connected a Stripe account/);
    expect(fake.requestsTo("/v1/checkout/sessions")).toHaveLength(0);
  });

  it("onboards the seller: Express account, account link, account.updated enables charges", async () => {
    const res = await shop.owner.post(`/api/v1/teams/${shop.team}/seller/onboarding`);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const acct = res.body.onboarding.seller.stripeAccountId as string;
    expect(res.body.onboarding.url).toContain(acct);
    expect(fake.accounts.get(acct)).toMatchObject({ type: "express" });
    const delivered = await fake.deliver(webhook, fake.updateAccount(acct, { charges_enabled: true, payouts_enabled: true, details_submitted: true }));
    expect(delivered).toMatchObject({ status: 200, body: { result: "processed" } });
    const dash = await shop.owner.get(`/api/v1/teams/${shop.team}/seller`);
    expect(dash.body.dashboard.seller).toMatchObject({ connected: true, chargesEnabled: true, payoutsEnabled: true });
    expect(dash.body.dashboard.paymentMode).toBe("stripe");
  });

  it("grants access only when the signed completion arrives; a duplicate delivery changes nothing", async () => {
    const v = await shop.publish();
    const b = await buyer(server);
    const c = await checkout(b, v.id);
    const sent = fake.requestsTo("/v1/checkout/sessions").at(-1)!;
    expect(sent.idempotencyKey).toBe(`graft-checkout-${c.purchaseId}`);
    expect(sent.params.payment_intent_data).toMatchObject({ application_fee_amount: "180", transfer_data: { destination: expect.stringMatching(/^acct_/) } });
    expect(await downloadStatus(b, v.versionId)).toBe(403);

    const completed = fake.completeCheckout(c.sessionId);
    expect(await fake.deliver(webhook, completed)).toMatchObject({ status: 200, body: { result: "processed" } });
    expect(await downloadStatus(b, v.versionId)).toBe(200);
    expect(await fake.deliver(webhook, completed)).toMatchObject({ status: 200, body: { result: "duplicate" } });
    const lib = (await b.get("/api/v1/library")).body.items;
    expect(lib).toEqual([expect.objectContaining({ source: "purchase", licence: "commercial", purchase: expect.objectContaining({ amountCents: 1200, mode: "stripe" }) })]);
  });

  it("the same event delivered in parallel grants once", async () => {
    const v = await shop.publish();
    const b = await buyer(server);
    const c = await checkout(b, v.id);
    const completed = fake.completeCheckout(c.sessionId);
    const results = await Promise.all(Array.from({ length: 5 }, () => fake.deliver(webhook, completed)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.body.result === "processed")).toHaveLength(1);
    expect((await b.get("/api/v1/library")).body.items.filter((i: { vector: { id: string } }) => i.vector.id === v.id)).toHaveLength(1);
  });

  it("out of order: a refund delivered before the completion leaves the buyer without access", async () => {
    const v = await shop.publish();
    const b = await buyer(server);
    const c = await checkout(b, v.id);
    const completed = fake.completeCheckout(c.sessionId);
    expect(await fake.deliver(webhook, fake.chargeRefunded(paymentIntentOf(completed)))).toMatchObject({ status: 200, body: { result: "processed" } });
    expect(await fake.deliver(webhook, completed)).toMatchObject({ status: 200, body: { result: "ignored" } });
    expect(await downloadStatus(b, v.versionId)).toBe(403);
  });

  it("a bad signature is a 400 and grants nothing", async () => {
    const v = await shop.publish();
    const b = await buyer(server);
    const c = await checkout(b, v.id);
    const completed = fake.completeCheckout(c.sessionId);
    const forged = await fake.deliver(webhook, completed, { secret: "whsec_not_the_endpoint_secret" });
    expect(forged.status).toBe(400);
    expect(forged.body.error.message).toMatch(/signature/);
    const unsigned = await fetch(webhook, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(completed) });
    expect(unsigned.status).toBe(400);
    expect(await downloadStatus(b, v.versionId)).toBe(403);
    // The genuine delivery still works afterwards: the forged one was not recorded.
    expect(await fake.deliver(webhook, completed)).toMatchObject({ status: 200, body: { result: "processed" } });
  });

  it("a seller refund goes through Stripe and revokes access; a dispute revokes too", async () => {
    const v = await shop.publish();
    const b = await buyer(server);
    const c = await checkout(b, v.id);
    const completed = fake.completeCheckout(c.sessionId);
    await fake.deliver(webhook, completed);
    expect(await downloadStatus(b, v.versionId)).toBe(200);
    expect((await b.post(`/api/v1/purchases/${c.purchaseId}/refund`)).status).toBe(403);
    const res = await shop.owner.post(`/api/v1/purchases/${c.purchaseId}/refund`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(fake.requestsTo("/v1/refunds").at(-1)).toMatchObject({ idempotencyKey: `graft-refund-${c.purchaseId}`, params: { payment_intent: paymentIntentOf(completed) } });
    expect(await downloadStatus(b, v.versionId)).toBe(403);
    expect(await fake.deliver(webhook, fake.chargeRefunded(paymentIntentOf(completed)))).toMatchObject({ status: 200, body: { result: "ignored" } });

    const b2 = await buyer(server);
    const c2 = await checkout(b2, v.id);
    const completed2 = fake.completeCheckout(c2.sessionId);
    await fake.deliver(webhook, completed2);
    expect(await downloadStatus(b2, v.versionId)).toBe(200);
    expect(await fake.deliver(webhook, fake.disputeCreated(paymentIntentOf(completed2)))).toMatchObject({ status: 200, body: { result: "processed" } });
    expect(await downloadStatus(b2, v.versionId)).toBe(403);

    const dash = (await shop.owner.get(`/api/v1/teams/${shop.team}/seller`)).body.dashboard;
    expect(dash.refunds.map((r: { purchaseId: string }) => r.purchaseId)).toEqual(expect.arrayContaining([c.purchaseId, c2.purchaseId]));
  });

  it("parallel purchases by different buyers all complete, none lost", async () => {
    const v = await shop.publish();
    const buyers = await Promise.all(Array.from({ length: 4 }, () => buyer(server)));
    const sessions = await Promise.all(buyers.map((b) => checkout(b, v.id)));
    const delivered = await Promise.all(sessions.map((s) => fake.deliver(webhook, fake.completeCheckout(s.sessionId))));
    expect(delivered.map((d) => d.body.result)).toEqual(["processed", "processed", "processed", "processed"]);
    for (const b of buyers) expect(await downloadStatus(b, v.versionId)).toBe(200);
  });
});

describe("test payments (no Stripe keys, outside production)", () => {
  let server: TestServer;
  let shop: Awaited<ReturnType<typeof seller>>;

  beforeAll(async () => {
    server = await startServer({ env: { GRAFT_DEPLOYMENT: "local" } });
    shop = await seller(server);
  }, 900_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("parallel purchases of the same vector by one buyer give exactly one active entitlement", async () => {
    const v = await shop.publish();
    const b = await buyer(server);
    const results = await Promise.all(Array.from({ length: 6 }, () => b.post("/api/v1/checkout", { vectorId: v.id })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    expect(results.find((r) => r.status === 201)!.body.checkout).toMatchObject({ mode: "test", status: "paid" });
    const lib = (await b.get("/api/v1/library")).body.items;
    expect(lib.filter((i: { vector: { id: string } }) => i.vector.id === v.id)).toHaveLength(1);
    expect(await downloadStatus(b, v.versionId)).toBe(200);
    const dash = (await shop.owner.get(`/api/v1/teams/${shop.team}/seller`)).body.dashboard;
    expect(dash.paymentMode).toBe("test");
    expect(dash.currencies.usd.totals).toMatchObject({ sales: 1, grossCents: 1200, feeCents: 120, netCents: 1080 });
  });

  it("parallel purchases by different buyers are all granted", async () => {
    const v = await shop.publish();
    const buyers = await Promise.all(Array.from({ length: 5 }, () => buyer(server)));
    const results = await Promise.all(buyers.map((b) => b.post("/api/v1/checkout", { vectorId: v.id })));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    for (const b of buyers) expect(await downloadStatus(b, v.versionId)).toBe(200);
  });

  it("sets listing terms over the API and refuses a paid listing without a price", async () => {
    const v = await shop.publish({ kind: "free", licence: "personal", redistribution: true });
    const bad = await shop.owner.request("PUT", `/api/v1/vectors/${shop.team}/${v.slug}/listing`, { kind: "paid", licence: "personal", redistribution: false });
    expect(bad.status).toBe(422);
    expect(bad.body.error.message).toMatch(/price/);
    const ok = await shop.owner.request("PUT", `/api/v1/vectors/${shop.team}/${v.slug}/listing`, { ...PAID, currency: "EUR" });
    expect(ok.body.listing).toMatchObject({ kind: "paid", priceCents: 1200, currency: "eur" });
  });
});

describe("production without Stripe keys", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  }, 900_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("refuses paid checkout with a message that says why", async () => {
    const shop = await seller(server);
    const v = await shop.publish();
    const b = await buyer(server);
    const res = await b.post("/api/v1/checkout", { vectorId: v.id });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/no Stripe keys/);
  });
});
