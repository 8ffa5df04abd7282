import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestContext, makeTeam, makeUser, publishTestVector, registerTinyFoundation, type TestContext } from "../../testing";
import { addMember } from "../teams";
import { yankVersion } from "../vectors";
import { canDownload, createEntitlement, grantEntitlement, listEntitlements, revokeEntitlement } from "./index";

let t: TestContext;
type U = Awaited<ReturnType<typeof makeUser>>;
let owner: U, admin: U, member: U, outsider: U;

beforeEach(async () => {
  t = await createTestContext();
  owner = await makeUser(t.ctx, "owner");
  admin = await makeUser(t.ctx, "admin");
  member = await makeUser(t.ctx, "member");
  outsider = await makeUser(t.ctx, "outsider");
  await makeTeam(t.ctx, owner.actor, "acme");
  await addMember(t.ctx, owner.actor, "acme", { email: admin.email, role: "admin" });
  await addMember(t.ctx, owner.actor, "acme", { email: member.email, role: "member" });
  await registerTinyFoundation(t, owner.actor, "acme");
});
afterEach(async () => {
  await t.cleanup();
});

const paid = { kind: "paid" as const, priceCents: 999, licence: "commercial" as const, redistribution: false };

describe("canDownload", () => {
  it("lets anyone, even anonymous, download free listings", async () => {
    const { version } = await publishTestVector(t, owner.actor);
    expect(await canDownload(t.ctx, null, version.id)).toEqual({ allowed: true, reason: "free" });
    expect(await canDownload(t.ctx, outsider.actor, version.id)).toEqual({ allowed: true, reason: "free" });
    expect(await canDownload(t.ctx, { userId: outsider.id, scopes: ["read"] }, version.id)).toEqual({ allowed: true, reason: "free" });
  });

  it("lets every member of the owner team download, whatever the listing", async () => {
    const { version } = await publishTestVector(t, owner.actor, { vectorSlug: "private", listing: undefined });
    for (const u of [owner, admin, member]) expect(await canDownload(t.ctx, u.actor, version.id)).toEqual({ allowed: true, reason: "owner-team" });
    expect(await canDownload(t.ctx, outsider.actor, version.id)).toEqual({ allowed: false, reason: "not-entitled" });
    expect(await canDownload(t.ctx, null, version.id)).toEqual({ allowed: false, reason: "login-required" });
  });

  it("requires an active entitlement for paid listings: purchase, trade or grant, to the user or one of their teams", async () => {
    const { vector, version } = await publishTestVector(t, owner.actor, { listing: paid });
    expect(await canDownload(t.ctx, null, version.id)).toEqual({ allowed: false, reason: "login-required" });
    expect(await canDownload(t.ctx, outsider.actor, version.id)).toEqual({ allowed: false, reason: "not-entitled" });

    const buyer = await makeUser(t.ctx, "buyer");
    await createEntitlement(t.ctx.db, { vectorId: vector.id, userId: buyer.id, source: "purchase" });
    expect(await canDownload(t.ctx, buyer.actor, version.id)).toEqual({ allowed: true, reason: "purchase" });

    const trader = await makeUser(t.ctx, "trader");
    const traderTeam = await makeTeam(t.ctx, trader.actor, "traders");
    await createEntitlement(t.ctx.db, { vectorId: vector.id, teamId: traderTeam.id, source: "trade" });
    expect(await canDownload(t.ctx, trader.actor, version.id)).toEqual({ allowed: true, reason: "trade" });

    const g = await grantEntitlement(t.ctx, admin.actor, { vectorId: vector.id, userEmail: outsider.email });
    expect(await canDownload(t.ctx, outsider.actor, version.id)).toEqual({ allowed: true, reason: "grant" });
    await revokeEntitlement(t.ctx, owner.actor, g.id);
    expect(await canDownload(t.ctx, outsider.actor, version.id)).toEqual({ allowed: false, reason: "not-entitled" });
  });

  it("keeps yanked versions for owners and entitled users only", async () => {
    const free = await publishTestVector(t, owner.actor, { vectorSlug: "free" });
    const bought = await publishTestVector(t, owner.actor, { vectorSlug: "bought", listing: paid });
    const buyer = await makeUser(t.ctx, "buyer");
    await createEntitlement(t.ctx.db, { vectorId: bought.vector.id, userId: buyer.id, source: "purchase" });
    await yankVersion(t.ctx, owner.actor, free.version.id);
    await yankVersion(t.ctx, owner.actor, bought.version.id);
    expect(await canDownload(t.ctx, null, free.version.id)).toEqual({ allowed: false, reason: "yanked" });
    expect(await canDownload(t.ctx, outsider.actor, free.version.id)).toEqual({ allowed: false, reason: "yanked" });
    expect(await canDownload(t.ctx, member.actor, free.version.id)).toEqual({ allowed: true, reason: "owner-team" });
    expect(await canDownload(t.ctx, buyer.actor, bought.version.id)).toEqual({ allowed: true, reason: "purchase" });
    expect(await canDownload(t.ctx, outsider.actor, bought.version.id)).toEqual({ allowed: false, reason: "yanked" });
  });

  it("denies tokens without a read-capable scope and unknown versions", async () => {
    const { version } = await publishTestVector(t, owner.actor);
    expect(await canDownload(t.ctx, { userId: owner.id, scopes: [] }, version.id)).toEqual({ allowed: false, reason: "insufficient-scope" });
    expect(await canDownload(t.ctx, { userId: owner.id, scopes: ["publish"] }, version.id)).toEqual({ allowed: true, reason: "owner-team" });
    expect(await canDownload(t.ctx, owner.actor, "nope")).toEqual({ allowed: false, reason: "not-found" });
  });

  it("treats an inactive free listing as not free", async () => {
    const { vector, version } = await publishTestVector(t, owner.actor);
    await t.ctx.db.listing.update({ where: { vectorId: vector.id }, data: { active: false } });
    expect(await canDownload(t.ctx, outsider.actor, version.id)).toEqual({ allowed: false, reason: "not-entitled" });
  });
});

describe("grantEntitlement", () => {
  it("is for admins and owners of the owner team", async () => {
    const { vector } = await publishTestVector(t, owner.actor, { listing: paid });
    const input = { vectorId: vector.id, userEmail: outsider.email };
    await expect(grantEntitlement(t.ctx, null, input)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(grantEntitlement(t.ctx, outsider.actor, input)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(grantEntitlement(t.ctx, member.actor, input)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(grantEntitlement(t.ctx, { userId: admin.id, scopes: ["read"] }, input)).rejects.toMatchObject({ code: "FORBIDDEN" });
    const g = await grantEntitlement(t.ctx, admin.actor, input);
    expect(g).toMatchObject({ source: "grant", user: { id: outsider.id } });
    expect((await grantEntitlement(t.ctx, owner.actor, input)).id).toBe(g.id);
    expect(await listEntitlements(t.ctx, owner.actor, vector.id)).toHaveLength(1);
    await expect(listEntitlements(t.ctx, member.actor, vector.id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await t.ctx.db.auditLog.count({ where: { action: "entitlement.grant", targetId: g.id } })).toBe(1);
  });

  it("grants to a team by slug and validates the subject", async () => {
    const { vector, version } = await publishTestVector(t, owner.actor, { listing: paid });
    const other = await makeUser(t.ctx, "other");
    await makeTeam(t.ctx, other.actor, "others");
    await grantEntitlement(t.ctx, admin.actor, { vectorId: vector.id, teamSlug: "others" });
    expect(await canDownload(t.ctx, other.actor, version.id)).toEqual({ allowed: true, reason: "grant" });
    await expect(grantEntitlement(t.ctx, admin.actor, { vectorId: vector.id })).rejects.toMatchObject({ code: "INVALID" });
    await expect(grantEntitlement(t.ctx, admin.actor, { vectorId: vector.id, userEmail: "ghost@example.com" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(grantEntitlement(t.ctx, admin.actor, { vectorId: "missing", userEmail: outsider.email })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
