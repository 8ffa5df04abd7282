import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestContext, makeTeam, makeUser, publishTestVector, registerTinyFoundation, type TestContext } from "../../testing";
import { openVersionDownload } from "../downloads";
import { createEntitlement } from "../entitlements";
import { addMember } from "../teams";
import { listReviews, writeReview } from "./index";

let t: TestContext;
type U = Awaited<ReturnType<typeof makeUser>>;
let owner: U, member: U, buyer: U, trader: U, reader: U, outsider: U;
let free: { vectorId: string; versionId: string };
let paid: { vectorId: string; versionId: string };

beforeEach(async () => {
  t = await createTestContext();
  owner = await makeUser(t.ctx, "owner");
  member = await makeUser(t.ctx, "member");
  buyer = await makeUser(t.ctx, "buyer");
  trader = await makeUser(t.ctx, "trader");
  reader = await makeUser(t.ctx, "reader");
  outsider = await makeUser(t.ctx, "outsider");
  await makeTeam(t.ctx, owner.actor, "acme");
  await addMember(t.ctx, owner.actor, "acme", { email: member.email, role: "member" });
  await registerTinyFoundation(t, owner.actor, "acme");
  const f = await publishTestVector(t, owner.actor, { vectorSlug: "free-one" });
  const p = await publishTestVector(t, owner.actor, { vectorSlug: "paid-one", listing: { kind: "paid", priceCents: 500, licence: "personal", redistribution: false } });
  free = { vectorId: f.vector.id, versionId: f.version.id };
  paid = { vectorId: p.vector.id, versionId: p.version.id };
  await createEntitlement(t.ctx.db, { vectorId: paid.vectorId, userId: buyer.id, source: "purchase" });
  const traders = await makeTeam(t.ctx, trader.actor, "traders");
  await createEntitlement(t.ctx.db, { vectorId: paid.vectorId, teamId: traders.id, source: "trade" });
});
afterEach(async () => {
  await t.cleanup();
});

const rating = async (vectorId: string) => t.ctx.db.taskVector.findUniqueOrThrow({ where: { id: vectorId }, select: { ratingSum: true, ratingCount: true } });

describe("writeReview", () => {
  it("accepts reviews from entitled users and keeps the vector's rating totals exact", async () => {
    const r1 = await writeReview(t.ctx, buyer.actor, "acme", "paid-one", { rating: 4, body: "  solid  " });
    expect(r1).toMatchObject({ rating: 4, body: "solid", user: { id: buyer.id, name: "buyer" } });
    await writeReview(t.ctx, trader.actor, "acme", "paid-one", { rating: 2 });
    expect(await rating(paid.vectorId)).toEqual({ ratingSum: 6, ratingCount: 2 });
    const list = await listReviews(t.ctx, null, "acme", "paid-one");
    expect(list).toMatchObject({ total: 2, average: 3 });
    expect(list.reviews.map((r) => r.user.id).sort()).toEqual([buyer.id, trader.id].sort());
  });

  it("keeps one review per user: writing again replaces it and moves the totals by the difference", async () => {
    const first = await writeReview(t.ctx, buyer.actor, "acme", "paid-one", { rating: 5, body: "great" });
    const second = await writeReview(t.ctx, buyer.actor, "acme", "paid-one", { rating: 1, body: "broke my model" });
    expect(second.id).toBe(first.id);
    expect(await rating(paid.vectorId)).toEqual({ ratingSum: 1, ratingCount: 1 });
    const list = await listReviews(t.ctx, buyer.actor, "acme", "paid-one");
    expect(list.reviews).toHaveLength(1);
    expect(list.viewer).toMatchObject({ canReview: true, mine: { rating: 1, body: "broke my model" } });
  });

  it("counts a free vector's users only once they have downloaded it", async () => {
    await expect(writeReview(t.ctx, reader.actor, "acme", "free-one", { rating: 5 })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: "download this vector before reviewing it",
    });
    expect((await listReviews(t.ctx, reader.actor, "acme", "free-one")).viewer).toEqual({ mine: null, canReview: false, reason: "download-first" });
    const dl = await openVersionDownload(t.ctx, reader.actor, free.versionId);
    dl.stream.destroy();
    await expect(writeReview(t.ctx, reader.actor, "acme", "free-one", { rating: 5 })).resolves.toMatchObject({ rating: 5 });
    expect(await rating(free.vectorId)).toEqual({ ratingSum: 5, ratingCount: 1 });
  });

  it("refuses the owner team, the unentitled, read-only tokens and anonymous callers", async () => {
    const cases: [U["actor"] | null | { userId: string; scopes: ("read" | "publish")[] }, string, string][] = [
      [owner.actor, "FORBIDDEN", "members of the publishing team cannot review their own vector"],
      [member.actor, "FORBIDDEN", "members of the publishing team cannot review their own vector"],
      [outsider.actor, "FORBIDDEN", "only users entitled to this vector can review it"],
      [{ userId: buyer.id, scopes: ["read"] }, "FORBIDDEN", 'this API token lacks the "publish" scope'],
      [null, "UNAUTHENTICATED", "sign in first"],
    ];
    for (const [actor, code, message] of cases) {
      await expect(writeReview(t.ctx, actor, "acme", "paid-one", { rating: 3 })).rejects.toMatchObject({ code, message });
    }
    await expect(writeReview(t.ctx, { userId: buyer.id, scopes: ["publish"] }, "acme", "paid-one", { rating: 3 })).resolves.toMatchObject({ rating: 3 });
    expect(await rating(paid.vectorId)).toEqual({ ratingSum: 3, ratingCount: 1 });
  });

  it("validates stars and text, and unknown vectors", async () => {
    for (const bad of [0, 6, 2.5, Number.NaN]) {
      await expect(writeReview(t.ctx, buyer.actor, "acme", "paid-one", { rating: bad }), String(bad)).rejects.toMatchObject({ code: "INVALID", message: expect.stringContaining("rating") });
    }
    await expect(writeReview(t.ctx, buyer.actor, "acme", "paid-one", { rating: 3, body: "x".repeat(5001) })).rejects.toMatchObject({ code: "INVALID" });
    await expect(writeReview(t.ctx, buyer.actor, "acme", "nope", { rating: 3 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await rating(paid.vectorId)).toEqual({ ratingSum: 0, ratingCount: 0 });
  });

  it("keeps totals exact when many users review at once", async () => {
    const users = await Promise.all(Array.from({ length: 6 }, (_, i) => makeUser(t.ctx, `fan${i}`)));
    for (const u of users) await createEntitlement(t.ctx.db, { vectorId: paid.vectorId, userId: u.id, source: "grant" });
    await Promise.all(users.map((u, i) => writeReview(t.ctx, u.actor, "acme", "paid-one", { rating: (i % 5) + 1 })));
    await Promise.all(users.map((u) => writeReview(t.ctx, u.actor, "acme", "paid-one", { rating: 5 })));
    expect(await rating(paid.vectorId)).toEqual({ ratingSum: 30, ratingCount: 6 });
  });
});

describe("listReviews", () => {
  it("hides unlisted vectors' reviews from outsiders and pages newest first", async () => {
    await t.ctx.db.listing.update({ where: { vectorId: paid.vectorId }, data: { active: false } });
    await expect(listReviews(t.ctx, outsider.actor, "acme", "paid-one")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await writeReview(t.ctx, buyer.actor, "acme", "paid-one", { rating: 3 });
    await writeReview(t.ctx, trader.actor, "acme", "paid-one", { rating: 4 });
    const page = await listReviews(t.ctx, member.actor, "acme", "paid-one", { limit: 1 });
    expect(page.reviews.map((r) => r.user.id)).toEqual([trader.id]);
    expect(page.viewer).toMatchObject({ canReview: false, reason: "owner-team" });
    expect((await listReviews(t.ctx, member.actor, "acme", "paid-one", { limit: 1, offset: 1 })).reviews.map((r) => r.user.id)).toEqual([buyer.id]);
  });
});
