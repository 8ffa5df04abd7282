// The web process killed while it processes a Stripe webhook (PostgreSQL, so
// it runs in npm test's PostgreSQL pass): the completion is held mid-
// transaction — after the event is recorded and the purchase marked paid, at
// the lock before the grant, which this test holds from another connection —
// and the server is SIGKILLed there. Nothing of the half-done transaction
// survives; Stripe's retry, delivered to the restarted server, grants the
// entitlement exactly once, and a further retry is a duplicate.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { startFakeStripe, type FakeStripe } from "@graft/stripe-fake";
import { createDb } from "@graft/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, multipart, unique } from "../client";
import { writeFixtures, type FixtureSet } from "../fixtures";
import { startServer, type TestServer } from "../server";

const POSTGRES = process.env.GRAFT_TEST_POSTGRES_URL;

describe.skipIf(!POSTGRES)("a web process killed during webhook processing (needs GRAFT_TEST_POSTGRES_URL)", () => {
  let dir: string;
  let fx: FixtureSet;
  let fake: FakeStripe;
  let first: TestServer;
  let second: TestServer | null = null;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "graft-webhook-kill-"));
    fx = await writeFixtures(dir);
    fake = await startFakeStripe();
    first = await startServer({ stripe: { secretKey: fake.secretKey, webhookSecret: fake.webhookSecret, port: fake.port } });
  }, 900_000);
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
    await fake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("loses nothing: the retried delivery grants exactly once", async () => {
    // A connected seller with a paid vector, and a buyer with a pending Stripe checkout.
    const owner = new ApiClient(first.baseUrl);
    await owner.signUp(`${unique("seller")}@example.com`);
    const team = unique("shop");
    expect((await owner.post("/api/v1/teams", { slug: team, name: "Shop" })).status).toBe(201);
    const foundation = unique("base");
    const fields = { teamSlug: team, slug: foundation, name: "Base", architecture: "llama", licence: "mit" };
    expect((await owner.post("/api/v1/foundations", await multipart(fields, { file: fx.base }))).status).toBe(201);
    const meta = { teamSlug: team, foundationSlug: foundation, vectorSlug: "paid", name: "Paid", task: "qa", version: "1.0.0", listing: { kind: "paid", priceCents: 900, currency: "usd", licence: "commercial", redistribution: false } };
    const published = await owner.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(meta) }, { file: fx.taskVector }));
    expect(published.status).toBe(201);
    const vectorId = published.body.vector.id as string;
    const onboarding = await owner.post(`/api/v1/teams/${team}/seller/onboarding`);
    const account = onboarding.body.onboarding.seller.stripeAccountId as string;
    const webhook = (s: TestServer) => `${s.baseUrl}/api/v1/webhooks/stripe`;
    await fake.deliver(webhook(first), fake.updateAccount(account, { charges_enabled: true, payouts_enabled: true, details_submitted: true }));

    const buyer = new ApiClient(first.baseUrl);
    const buyerId = (await buyer.signUp(`${unique("buyer")}@example.com`)).id;
    const checkout = await buyer.post("/api/v1/checkout", { vectorId });
    expect(checkout.status, JSON.stringify(checkout.body)).toBe(201);
    const completed = fake.completeCheckout(checkout.body.checkout.sessionId);

    // Hold the grant's lock (the per buyer-and-vector key) so the delivery stops inside its transaction.
    const holder = new pg.Client({ connectionString: first.databaseUrl });
    await holder.connect();
    const key = `purchase:${buyerId}:${vectorId}`;
    await holder.query("SELECT pg_advisory_lock(hashtext($1))", [key]);
    const inFlight = fake.deliver(webhook(first), completed).catch((e: Error) => e);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await holder.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
      if (Number(rows[0]!.n) > 0) break;
      if (Date.now() > deadline) throw new Error(`the delivery never reached the grant:\n${first.logs()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await first.kill();
    expect(await inFlight).toBeInstanceOf(Error);
    await holder.query("SELECT pg_advisory_unlock(hashtext($1))", [key]);
    await holder.end();

    const db = createDb(first.databaseUrl);
    try {
      expect(await db.stripeEvent.count({ where: { id: completed.id } })).toBe(0);
      expect(await db.purchase.findUniqueOrThrow({ where: { id: checkout.body.checkout.purchaseId } })).toMatchObject({ status: "pending" });
      expect(await db.entitlement.count({ where: { vectorId } })).toBe(0);

      second = await startServer({ after: first, stripe: { secretKey: fake.secretKey, webhookSecret: fake.webhookSecret, port: fake.port } });
      expect(await fake.deliver(webhook(second), completed)).toMatchObject({ status: 200, body: { result: "processed" } });
      expect(await fake.deliver(webhook(second), completed)).toMatchObject({ status: 200, body: { result: "duplicate" } });
      expect(await db.entitlement.count({ where: { vectorId, userId: buyerId, revokedAt: null } })).toBe(1);
      expect(await db.purchase.findUniqueOrThrow({ where: { id: checkout.body.checkout.purchaseId } })).toMatchObject({ status: "paid" });
    } finally {
      await db.$disconnect();
    }
  });
});
