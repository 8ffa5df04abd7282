// Trades and reviews over real HTTP: two teams swap trade-only vectors, after
// which each team's members download what they received; answered, expired
// and concurrently accepted offers; counter-offers; reviews by entitled users.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@graft/db";
import { startServer, type TestServer } from "../server";
import { ApiClient, multipart, unique } from "../client";
import { sha256, sha256File, writeFixtures, type FixtureSet } from "../fixtures";

let server: TestServer;
let db: Db;
let dir: string;
let fx: FixtureSet;
/** acme: owner + plain member; bobco: owner + plain member. */
const acme = { slug: "", owner: null as unknown as ApiClient, member: null as unknown as ApiClient };
const bobco = { slug: "", owner: null as unknown as ApiClient, member: null as unknown as ApiClient };
let foundation: string;
const TRADE = { kind: "trade", licence: "commercial", redistribution: false };

async function publish(client: ApiClient, teamSlug: string, vectorSlug: string, file: string): Promise<string> {
  const meta = { teamSlug, foundationSlug: foundation, vectorSlug, name: vectorSlug, task: "qa", version: "1.0.0", listing: TRADE };
  const res = await client.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(meta) }, { file }));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.version.id;
}

async function makeTeam(t: typeof acme, name: string) {
  t.owner = new ApiClient(server.baseUrl);
  await t.owner.signUp(`${unique(`${name}-owner`)}@example.com`);
  t.member = new ApiClient(server.baseUrl);
  const memberEmail = `${unique(`${name}-member`)}@example.com`;
  await t.member.signUp(memberEmail);
  t.slug = unique(name);
  expect((await t.owner.post("/api/v1/teams", { slug: t.slug, name })).status).toBe(201);
  expect((await t.owner.post(`/api/v1/teams/${t.slug}/members`, { email: memberEmail, role: "member" })).status).toBe(201);
}

const versions = {} as Record<"a1" | "a2" | "b1" | "b2", string>;

beforeAll(async () => {
  server = await startServer();
  db = createDb(server.databaseUrl);
  dir = await mkdtemp(path.join(tmpdir(), "graft-trades-"));
  fx = await writeFixtures(dir);
  await makeTeam(acme, "acme");
  await makeTeam(bobco, "bobco");
  foundation = unique("base");
  const reg = await acme.owner.post(
    "/api/v1/foundations",
    await multipart({ teamSlug: acme.slug, slug: foundation, name: "Base", architecture: "llama", licence: "mit" }, { file: fx.base }),
  );
  expect(reg.status).toBe(201);
  versions.a1 = await publish(acme.owner, acme.slug, "a-one", fx.taskVector);
  versions.a2 = await publish(acme.owner, acme.slug, "a-two", fx.taskVector2);
  versions.b1 = await publish(bobco.owner, bobco.slug, "b-one", fx.taskVector2);
  versions.b2 = await publish(bobco.owner, bobco.slug, "b-two", fx.taskVector);
}, 900_000);

afterAll(async () => {
  await db?.$disconnect();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const propose = (over: Record<string, unknown> = {}) =>
  acme.owner.post("/api/v1/trades", { fromTeam: acme.slug, toTeam: bobco.slug, offered: ["a-one"], requested: ["b-one"], ...over });

describe("trading over HTTP", () => {
  it("swaps vectors: after acceptance each team's members download what they received", async () => {
    expect((await bobco.member.get(`/api/v1/versions/${versions.a1}/download`)).status).toBe(403);
    const proposed = await propose({ message: "swap?" });
    expect(proposed.status).toBe(201);
    const offer = proposed.body.offer;
    expect(offer).toMatchObject({ status: "open", message: "swap?", from: { slug: acme.slug }, to: { slug: bobco.slug }, viewer: { canAnswer: false, canWithdraw: true } });

    const incoming = await bobco.member.get("/api/v1/trades?box=incoming");
    expect(incoming.body.offers.map((o: { id: string }) => o.id)).toEqual([offer.id]);
    expect(incoming.body.offers[0].viewer).toEqual({ canAnswer: false, canWithdraw: false });
    expect((await bobco.member.post(`/api/v1/trades/${offer.id}/accept`)).status).toBe(403);

    const accepted = await bobco.owner.post(`/api/v1/trades/${offer.id}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body.offer.status).toBe("accepted");

    const got = await bobco.member.raw(`/api/v1/versions/${versions.a1}/download`);
    expect(got.status).toBe(200);
    expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(await sha256File(fx.taskVector));
    expect((await acme.member.raw(`/api/v1/versions/${versions.b1}/download`)).status).toBe(200);
    expect((await acme.member.get(`/api/v1/versions/${versions.b2}/download`)).status).toBe(403);
    const vector = await bobco.member.get(`/api/v1/vectors/${acme.slug}/a-one`);
    expect(vector.body.vector.viewer.access).toBe("trade");

    const again = await bobco.owner.post(`/api/v1/trades/${offer.id}/accept`);
    expect(again.status).toBe(409);
    expect(again.body.error).toEqual({ code: "CONFLICT", message: "this trade offer was already accepted and can no longer be answered", details: { status: "accepted" } });
    expect((await acme.owner.get("/api/v1/trades?box=history")).body.offers.map((o: { id: string }) => o.id)).toContain(offer.id);
  });

  it("gives exactly one 200 among parallel accepts and creates the entitlements once", async () => {
    const offer = (await propose({ offered: ["a-one", "a-two"], requested: ["b-one", "b-two"] })).body.offer;
    const results = await Promise.all(Array.from({ length: 10 }, () => bobco.owner.post(`/api/v1/trades/${offer.id}/accept`)));
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    expect(await db.entitlement.count({ where: { tradeId: offer.id } })).toBe(4);
  });

  it("answers an expired offer with 409 and lists it as expired", async () => {
    const offer = (await propose()).body.offer;
    await db.tradeOffer.update({ where: { id: offer.id }, data: { expiresAt: new Date(Date.now() - 60_000) } });
    const res = await bobco.owner.post(`/api/v1/trades/${offer.id}/accept`);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/^this trade offer expired on /);
    expect((await bobco.owner.get(`/api/v1/trades/${offer.id}`)).body.offer.status).toBe("expired");
    expect(await db.entitlement.count({ where: { tradeId: offer.id } })).toBe(0);
  });

  it("counters, declines and withdraws", async () => {
    const offer = (await propose()).body.offer;
    const counter = await bobco.owner.post(`/api/v1/trades/${offer.id}/counter`, { offered: ["b-two"], requested: ["a-one", "a-two"], message: "two for one" });
    expect(counter.status).toBe(201);
    expect(counter.body.offer).toMatchObject({ status: "open", counterOfId: offer.id, from: { slug: bobco.slug }, to: { slug: acme.slug } });
    expect((await acme.owner.get(`/api/v1/trades/${offer.id}`)).body.offer.status).toBe("countered");
    expect((await acme.owner.post(`/api/v1/trades/${counter.body.offer.id}/decline`)).body.offer.status).toBe("declined");

    const w = (await propose()).body.offer;
    expect((await bobco.owner.post(`/api/v1/trades/${w.id}/withdraw`)).status).toBe(403);
    expect((await acme.owner.post(`/api/v1/trades/${w.id}/withdraw`)).body.offer.status).toBe("withdrawn");
  });

  it("explains bad proposals", async () => {
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ requested: [] }, 422, /requested: name at least one vector/],
      [{ offered: ["a-one", "a-one"] }, 422, /listed twice/],
      [{ expiresInDays: 90 }, 422, /expiresInDays must be at most 30/],
      [{ toTeam: acme.slug, requested: ["a-two"] }, 422, /cannot trade with itself/],
      [{ requested: ["nope"] }, 404, /vector .*\/nope not found/],
      [{ offered: "a-one" }, 400, /offered/],
    ];
    for (const [over, status, message] of cases) {
      const res = await propose(over);
      expect(res.status, JSON.stringify(over)).toBe(status);
      expect(res.body.error.message).toMatch(message);
    }
    const outsider = new ApiClient(server.baseUrl);
    await outsider.signUp(`${unique("outsider")}@example.com`);
    const offer = (await propose()).body.offer;
    expect((await outsider.get(`/api/v1/trades/${offer.id}`)).status).toBe(404);
    expect((await outsider.post(`/api/v1/trades/${offer.id}/accept`)).status).toBe(404);
  });
});

describe("reviews over HTTP", () => {
  it("takes reviews from entitled users only, one each, and shows the average", async () => {
    // bobco got a-one by trade above; acme's own members may not review it.
    const path_ = `/api/v1/vectors/${acme.slug}/a-one/reviews`;
    expect((await acme.member.post(path_, { rating: 5 })).status).toBe(403);
    const outsider = new ApiClient(server.baseUrl);
    await outsider.signUp(`${unique("reader")}@example.com`);
    const denied = await outsider.post(path_, { rating: 5 });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toBe("only users entitled to this vector can review it");
    expect((await bobco.member.post(path_, { rating: 7 })).status).toBe(422);

    expect((await bobco.member.post(path_, { rating: 2, body: "meh" })).status).toBe(200);
    expect((await bobco.owner.post(path_, { rating: 5, body: "great" })).status).toBe(200);
    const replaced = await bobco.member.post(path_, { rating: 4, body: "better after v1" });
    expect(replaced.body.review).toMatchObject({ rating: 4, body: "better after v1" });

    const list = await new ApiClient(server.baseUrl).anonymous().get(path_);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 2, average: 4.5, viewer: { canReview: false, reason: "login-required", mine: null } });
    expect(list.body.reviews.map((r: { body: string }) => r.body).sort()).toEqual(["better after v1", "great"]);
    expect((await new ApiClient(server.baseUrl).anonymous().get(`/api/v1/vectors/${acme.slug}/a-one`)).body.vector.rating).toMatchObject({ count: 2, average: 4.5 });
  });
});
