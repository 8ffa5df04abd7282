import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDb } from "@graft/db";
import { createTestContext, makeTeam, makeUser, publishTestVector, registerTinyFoundation, type TestContext } from "../../testing";
import { listAudit } from "../audit";
import { canDownload } from "../entitlements";
import { addMember } from "../teams";
import { acceptTrade, counterTrade, declineTrade, getTradeOffer, listTradeOffers, proposeTrade, tradeFormOptions, withdrawTrade } from "./index";

let t: TestContext;
type U = Awaited<ReturnType<typeof makeUser>>;
let alice: U, aliceMember: U, bob: U, bobAdmin: U, bobMember: U, outsider: U;
const v = {} as Record<"a1" | "a2" | "aPrivate" | "b1" | "b2" | "bPrivate", { id: string; versionId: string }>;

const tradeOnly = { kind: "trade" as const, licence: "commercial" as const, redistribution: false };

beforeEach(async () => {
  t = await createTestContext();
  alice = await makeUser(t.ctx, "alice");
  aliceMember = await makeUser(t.ctx, "alice-member");
  bob = await makeUser(t.ctx, "bob");
  bobAdmin = await makeUser(t.ctx, "bob-admin");
  bobMember = await makeUser(t.ctx, "bob-member");
  outsider = await makeUser(t.ctx, "outsider");
  await makeTeam(t.ctx, alice.actor, "acme");
  await addMember(t.ctx, alice.actor, "acme", { email: aliceMember.email, role: "member" });
  await makeTeam(t.ctx, bob.actor, "bobco");
  await addMember(t.ctx, bob.actor, "bobco", { email: bobAdmin.email, role: "admin" });
  await addMember(t.ctx, bob.actor, "bobco", { email: bobMember.email, role: "member" });
  await registerTinyFoundation(t, alice.actor, "acme");
  const pub = async (actor: U["actor"], teamSlug: string, vectorSlug: string, listing: typeof tradeOnly | undefined) => {
    const r = await publishTestVector(t, actor, { teamSlug, vectorSlug, listing });
    return { id: r.vector.id, versionId: r.version.id };
  };
  v.a1 = await pub(alice.actor, "acme", "a-one", tradeOnly);
  v.a2 = await pub(alice.actor, "acme", "a-two", tradeOnly);
  v.aPrivate = await pub(alice.actor, "acme", "a-private", undefined);
  v.b1 = await pub(bob.actor, "bobco", "b-one", tradeOnly);
  v.b2 = await pub(bob.actor, "bobco", "b-two", tradeOnly);
  v.bPrivate = await pub(bob.actor, "bobco", "b-private", undefined);
});
afterEach(async () => {
  await t.cleanup();
});

const offerAtoB = (over: Record<string, unknown> = {}) =>
  proposeTrade(t.ctx, alice.actor, { fromTeam: "acme", toTeam: "bobco", offered: ["a-one"], requested: ["b-one"], ...over });

/** Moves an offer's expiry into the past, as if time had passed. */
const expire = (id: string) => t.ctx.db.tradeOffer.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });

describe("proposeTrade", () => {
  it("creates an open offer with both sides' items, a message and a default 7-day expiry", async () => {
    const before = Date.now();
    const o = await offerAtoB({ offered: ["a-two", "a-private"], requested: ["b-one", "b-two"], message: "  fair swap?  " });
    expect(o).toMatchObject({ status: "open", viewer: { canAnswer: false, canWithdraw: true }, message: "fair swap?", from: { slug: "acme" }, to: { slug: "bobco" }, counterOfId: null, createdBy: { id: alice.id } });
    expect(o.offered.map((x) => x.slug)).toEqual(["a-private", "a-two"]);
    expect(o.requested.map((x) => x.slug)).toEqual(["b-one", "b-two"]);
    const days = (o.expiresAt.getTime() - before) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThan(7.01);
    const custom = await offerAtoB({ expiresInDays: 30 });
    expect((custom.expiresAt.getTime() - before) / 86_400_000).toBeGreaterThan(29.99);
  });

  it("refuses bad terms with a message naming the problem", async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ offered: [] }, "INVALID", /offered: name at least one vector/],
      [{ requested: [] }, "INVALID", /requested: name at least one vector/],
      [{ offered: ["a-one", "a-one"] }, "INVALID", /offered: a vector is listed twice/],
      [{ expiresInDays: 31 }, "INVALID", /expiresInDays must be at most 30/],
      [{ expiresInDays: 0 }, "INVALID", /expiresInDays must be at least 1/],
      [{ message: "x".repeat(2001) }, "INVALID", /message/],
      [{ toTeam: "acme", requested: ["a-two"] }, "INVALID", /cannot trade with itself/],
      [{ toTeam: "nobody" }, "NOT_FOUND", /team "nobody"/],
      [{ offered: ["b-one"] }, "NOT_FOUND", /vector acme\/b-one/],
      [{ requested: ["missing", "b-one"] }, "NOT_FOUND", /vector bobco\/missing/],
      [{ requested: ["b-private"] }, "NOT_FOUND", /vector bobco\/b-private/],
    ];
    for (const [over, code, message] of cases) {
      await expect(offerAtoB(over), JSON.stringify(over)).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    }
    expect(await t.ctx.db.tradeOffer.count()).toBe(0);
  });

  it("is for admins and owners of the proposing team with a publish-capable credential", async () => {
    const input = { fromTeam: "acme", toTeam: "bobco", offered: ["a-one"], requested: ["b-one"] };
    await expect(proposeTrade(t.ctx, null, input)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(proposeTrade(t.ctx, aliceMember.actor, input)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(proposeTrade(t.ctx, outsider.actor, input)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(proposeTrade(t.ctx, { userId: alice.id, scopes: ["read"] }, input)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(proposeTrade(t.ctx, { userId: alice.id, scopes: ["publish"] }, input)).resolves.toMatchObject({ status: "open" });
  });
});

describe("acceptTrade", () => {
  it("entitles each team to the other's vectors in one step, records it for both teams, and closes the offer", async () => {
    const o = await offerAtoB({ offered: ["a-one", "a-private"], requested: ["b-one"] });
    expect(await canDownload(t.ctx, bobMember.actor, v.aPrivate.versionId)).toEqual({ allowed: false, reason: "not-entitled" });
    const done = await acceptTrade(t.ctx, bobAdmin.actor, o.id);
    expect(done).toMatchObject({ status: "accepted", viewer: { canAnswer: false, canWithdraw: false } });
    expect(done.respondedAt).toBeInstanceOf(Date);

    for (const vid of [v.a1.versionId, v.aPrivate.versionId]) expect(await canDownload(t.ctx, bobMember.actor, vid)).toEqual({ allowed: true, reason: "trade" });
    expect(await canDownload(t.ctx, aliceMember.actor, v.b1.versionId)).toEqual({ allowed: true, reason: "trade" });
    expect(await canDownload(t.ctx, aliceMember.actor, v.b2.versionId)).toEqual({ allowed: false, reason: "not-entitled" });
    expect(await canDownload(t.ctx, outsider.actor, v.a1.versionId)).toEqual({ allowed: false, reason: "not-entitled" });

    const ents = await t.ctx.db.entitlement.findMany({ where: { tradeId: o.id }, orderBy: { vectorId: "asc" } });
    expect(ents.map((e) => [e.vectorId, e.teamId, e.userId, e.source]).sort()).toEqual(
      [
        [v.a1.id, done.to.id, null, "trade"],
        [v.aPrivate.id, done.to.id, null, "trade"],
        [v.b1.id, done.from.id, null, "trade"],
      ].sort(),
    );
    for (const team of ["acme", "bobco"]) {
      const owner = team === "acme" ? alice : bob;
      const actions = (await listAudit(t.ctx, owner.actor, team)).filter((e) => e.targetId === o.id).map((e) => e.action);
      expect(actions.sort(), team).toEqual(["trade.accept", "trade.propose"]);
    }
  });

  it("refuses an offer already answered, with a CONFLICT saying so, and grants nothing more", async () => {
    const o = await offerAtoB();
    await acceptTrade(t.ctx, bob.actor, o.id);
    await expect(acceptTrade(t.ctx, bobAdmin.actor, o.id)).rejects.toMatchObject({ code: "CONFLICT", message: "this trade offer was already accepted and can no longer be answered" });
    await expect(declineTrade(t.ctx, bob.actor, o.id)).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(withdrawTrade(t.ctx, alice.actor, o.id)).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await t.ctx.db.entitlement.count({ where: { tradeId: o.id } })).toBe(2);

    const d = await offerAtoB();
    await declineTrade(t.ctx, bob.actor, d.id);
    await expect(acceptTrade(t.ctx, bob.actor, d.id)).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("already declined") });
    expect(await t.ctx.db.entitlement.count({ where: { tradeId: d.id } })).toBe(0);
  });

  it("refuses an expired offer, marks it expired, and grants nothing", async () => {
    const o = await offerAtoB();
    await expire(o.id);
    await expect(acceptTrade(t.ctx, bob.actor, o.id)).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/^this trade offer expired on \d{4}-/) });
    expect((await t.ctx.db.tradeOffer.findUniqueOrThrow({ where: { id: o.id } })).status).toBe("expired");
    expect(await t.ctx.db.entitlement.count()).toBe(0);
    await expect(counterTrade(t.ctx, bob.actor, o.id, { offered: ["b-two"], requested: ["a-one"] })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await t.ctx.db.tradeOffer.count()).toBe(1);
  });

  it("is for admins and owners of the receiving team only", async () => {
    const o = await offerAtoB();
    await expect(acceptTrade(t.ctx, null, o.id)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(acceptTrade(t.ctx, outsider.actor, o.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(acceptTrade(t.ctx, bobMember.actor, o.id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(acceptTrade(t.ctx, { userId: bob.id, scopes: ["read"] }, o.id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(acceptTrade(t.ctx, alice.actor, o.id)).rejects.toMatchObject({ code: "FORBIDDEN", message: "only the receiving team can answer this offer" });
    await expect(acceptTrade(t.ctx, bob.actor, "no-such-offer")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await getTradeOffer(t.ctx, bob.actor, o.id)).status).toBe("open");
  });

  it("gives exactly one winner among many concurrent accepts, and creates the entitlements once", async () => {
    const o = await offerAtoB({ offered: ["a-one", "a-two"], requested: ["b-one", "b-two"] });
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => acceptTrade(t.ctx, i % 2 ? bob.actor : bobAdmin.actor, o.id)));
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(11);
    for (const r of lost) expect(r.reason).toMatchObject({ code: "CONFLICT", message: "this trade offer was already accepted and can no longer be answered" });
    expect(await t.ctx.db.entitlement.count({ where: { tradeId: o.id } })).toBe(4);
    expect(await t.ctx.db.auditLog.count({ where: { targetId: o.id, action: "trade.accept" } })).toBe(2);
  });

  it("gives exactly one winner when the accepts come through separate database connections (as from several server processes)", async () => {
    const connections = Array.from({ length: 4 }, () => createDb(t.databaseUrl));
    try {
      for (let round = 0; round < 3; round++) {
        const o = await offerAtoB();
        const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => acceptTrade({ ...t.ctx, db: connections[i % 4]! }, bob.actor, o.id)));
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "CONFLICT" });
        expect(await t.ctx.db.entitlement.count({ where: { tradeId: o.id } })).toBe(2);
      }
    } finally {
      await Promise.all(connections.map((c) => c.$disconnect()));
    }
  });

  it("lets one of an accept and a decline racing each other win, never both", async () => {
    for (let round = 0; round < 3; round++) {
      const o = await offerAtoB();
      const [acc, dec] = await Promise.allSettled([acceptTrade(t.ctx, bob.actor, o.id), declineTrade(t.ctx, bobAdmin.actor, o.id)]);
      expect([acc.status, dec.status].filter((s) => s === "fulfilled")).toHaveLength(1);
      const status = (await t.ctx.db.tradeOffer.findUniqueOrThrow({ where: { id: o.id } })).status;
      expect(await t.ctx.db.entitlement.count({ where: { tradeId: o.id } })).toBe(status === "accepted" ? 2 : 0);
      expect(status).toBe(acc.status === "fulfilled" ? "accepted" : "declined");
    }
  });
});

describe("decline, withdraw, counter", () => {
  it("declines (receiving admins) and withdraws (proposing admins)", async () => {
    const d = await offerAtoB();
    await expect(declineTrade(t.ctx, bobMember.actor, d.id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await declineTrade(t.ctx, bobAdmin.actor, d.id)).toMatchObject({ status: "declined" });

    const w = await offerAtoB();
    await expect(withdrawTrade(t.ctx, bob.actor, w.id)).rejects.toMatchObject({ code: "FORBIDDEN", message: "only the proposing team can withdraw this offer" });
    await expect(withdrawTrade(t.ctx, aliceMember.actor, w.id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await withdrawTrade(t.ctx, alice.actor, w.id)).toMatchObject({ status: "withdrawn" });
    await expect(acceptTrade(t.ctx, bob.actor, w.id)).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("already withdrawn") });
    expect(await t.ctx.db.entitlement.count()).toBe(0);
  });

  it("counters: closes the original as countered and opens a linked offer the other way, which can be countered again and accepted", async () => {
    const o = await offerAtoB({ offered: ["a-private"], requested: ["b-one", "b-two"] });
    // The counter may ask for the proposer's unlisted vector, since it was on the table.
    const c = await counterTrade(t.ctx, bobAdmin.actor, o.id, { offered: ["b-one"], requested: ["a-private", "a-one"], message: "one for two", expiresInDays: 2 });
    expect(c).toMatchObject({ status: "open", counterOfId: o.id, from: { slug: "bobco" }, to: { slug: "acme" }, message: "one for two" });
    expect(c.offered.map((x) => x.slug)).toEqual(["b-one"]);
    expect(c.requested.map((x) => x.slug)).toEqual(["a-one", "a-private"]);
    expect((await getTradeOffer(t.ctx, alice.actor, o.id)).status).toBe("countered");
    await expect(acceptTrade(t.ctx, bob.actor, o.id)).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("already countered") });

    // Only the new receiving team (acme) may answer the counter; bobco may withdraw it.
    await expect(acceptTrade(t.ctx, bob.actor, c.id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(counterTrade(t.ctx, alice.actor, c.id, { offered: ["a-one"], requested: ["b-private"] })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const c2 = await counterTrade(t.ctx, alice.actor, c.id, { offered: ["a-one"], requested: ["b-one"] });
    expect(c2).toMatchObject({ counterOfId: c.id, from: { slug: "acme" }, to: { slug: "bobco" } });
    await acceptTrade(t.ctx, bob.actor, c2.id);
    expect(await canDownload(t.ctx, bobMember.actor, v.a1.versionId)).toEqual({ allowed: true, reason: "trade" });
    expect(await canDownload(t.ctx, bobMember.actor, v.aPrivate.versionId)).toEqual({ allowed: false, reason: "not-entitled" });
    expect(await canDownload(t.ctx, aliceMember.actor, v.b1.versionId)).toEqual({ allowed: true, reason: "trade" });
    expect(await t.ctx.db.entitlement.count()).toBe(2);
    expect(await t.ctx.db.auditLog.count({ where: { action: "trade.counter" } })).toBe(4);
  });

  it("validates counter terms before closing the original", async () => {
    const o = await offerAtoB();
    await expect(counterTrade(t.ctx, bob.actor, o.id, { offered: [], requested: ["a-one"] })).rejects.toMatchObject({ code: "INVALID" });
    await expect(counterTrade(t.ctx, bob.actor, o.id, { offered: ["a-one"], requested: ["a-one"] })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await getTradeOffer(t.ctx, bob.actor, o.id)).status).toBe("open");
  });
});

describe("listing offers", () => {
  it("shows incoming, outgoing and history per team, expires stale offers on read, and hides offers from outsiders", async () => {
    const open = await offerAtoB();
    const old = await offerAtoB({ requested: ["b-two"] });
    await expire(old.id);
    const declined = await offerAtoB({ offered: ["a-two"] });
    await declineTrade(t.ctx, bob.actor, declined.id);

    const ids = (xs: { id: string }[]) => xs.map((x) => x.id);
    const incoming = await listTradeOffers(t.ctx, bobMember.actor, { box: "incoming" });
    expect(ids(incoming)).toEqual([open.id]);
    expect(incoming[0]!.viewer).toEqual({ canAnswer: false, canWithdraw: false });
    expect((await listTradeOffers(t.ctx, bob.actor, { box: "incoming", team: "bobco" }))[0]!.viewer).toEqual({ canAnswer: true, canWithdraw: false });
    expect((await listTradeOffers(t.ctx, { userId: bob.id, scopes: ["read"] }))[0]!.viewer.canAnswer).toBe(false);
    expect(ids(await listTradeOffers(t.ctx, alice.actor, { box: "outgoing" }))).toEqual([open.id]);
    expect((await listTradeOffers(t.ctx, alice.actor, { box: "outgoing" }))[0]!.viewer).toEqual({ canAnswer: false, canWithdraw: true });
    expect(await listTradeOffers(t.ctx, alice.actor, { box: "incoming" })).toEqual([]);
    const history = await listTradeOffers(t.ctx, alice.actor, { box: "history" });
    expect(history.map((o) => [o.id, o.status]).sort()).toEqual([[declined.id, "declined"], [old.id, "expired"]].sort());

    expect(await listTradeOffers(t.ctx, outsider.actor, { box: "history" })).toEqual([]);
    await expect(listTradeOffers(t.ctx, outsider.actor, { team: "bobco" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(listTradeOffers(t.ctx, outsider.actor, { team: "nobody" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(getTradeOffer(t.ctx, outsider.actor, open.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(listTradeOffers(t.ctx, null)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(listTradeOffers(t.ctx, alice.actor, { box: "nope" as "incoming" })).rejects.toMatchObject({ code: "INVALID" });
  });

  it("offers the form the proposer's admin teams and the other team's listed vectors (and, for a counter, what is on the table)", async () => {
    const opts = await tradeFormOptions(t.ctx, alice.actor, "bobco");
    expect(opts.myTeams.map((m) => [m.slug, m.vectors.map((x) => x.slug)])).toEqual([["acme", ["a-one", "a-private", "a-two"]]]);
    expect(opts.theirTeam.vectors.map((x) => [x.slug, x.listing])).toEqual([["b-one", "trade"], ["b-two", "trade"]]);
    expect((await tradeFormOptions(t.ctx, aliceMember.actor, "bobco")).myTeams).toEqual([]);
    const o = await offerAtoB({ offered: ["a-private"] });
    const counter = await tradeFormOptions(t.ctx, bob.actor, "acme", o.id);
    expect(counter.theirTeam.vectors.map((x) => x.slug)).toEqual(["a-one", "a-private", "a-two"]);
  });
});
