import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestContext, makeUser, type TestContext } from "../../testing";
import { actorFromToken, authenticateApiToken, createApiToken, listApiTokens, revokeApiToken } from "./index";

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(async () => {
  await t.cleanup();
});

describe("API tokens", () => {
  it("creates a graft_ token shown once and stores only its sha256", async () => {
    const u = await makeUser(t.ctx);
    const { token, record } = await createApiToken(t.ctx, u.actor, { name: "laptop", scopes: ["read", "publish"] });
    expect(token).toMatch(/^graft_[A-Za-z0-9_-]{43}$/);
    expect(record.prefix).toBe(token.slice(0, 12));
    const row = await t.ctx.db.apiToken.findUniqueOrThrow({ where: { id: record.id } });
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(token);
    expect(await listApiTokens(t.ctx, u.actor)).toEqual([expect.objectContaining({ id: record.id, scopes: ["read", "publish"] })]);
  });

  it("authenticates a bearer token with its scopes and records lastUsedAt", async () => {
    const u = await makeUser(t.ctx);
    const { token, record } = await createApiToken(t.ctx, u.actor, { name: "ci", scopes: ["read"] });
    const auth = await authenticateApiToken(t.ctx, `Bearer ${token}`);
    expect(auth).toEqual({ userId: u.id, scopes: ["read"], tokenId: record.id });
    expect(actorFromToken(auth!)).toEqual({ userId: u.id, scopes: ["read"], tokenId: record.id });
    expect((await t.ctx.db.apiToken.findUniqueOrThrow({ where: { id: record.id } })).lastUsedAt).not.toBeNull();
  });

  it("rejects unknown, malformed and revoked tokens", async () => {
    const u = await makeUser(t.ctx);
    const { token, record } = await createApiToken(t.ctx, u.actor, { name: "ci", scopes: ["read"] });
    expect(await authenticateApiToken(t.ctx, "Bearer graft_nope")).toBeNull();
    expect(await authenticateApiToken(t.ctx, "garbage")).toBeNull();
    expect(await authenticateApiToken(t.ctx, undefined)).toBeNull();
    await revokeApiToken(t.ctx, u.actor, record.id);
    expect(await authenticateApiToken(t.ctx, token)).toBeNull();
  });

  it("lets only the owner revoke, and refuses anonymous callers and token actors", async () => {
    const u = await makeUser(t.ctx);
    const other = await makeUser(t.ctx);
    const { record } = await createApiToken(t.ctx, u.actor, { name: "ci", scopes: ["publish"] });
    await expect(revokeApiToken(t.ctx, other.actor, record.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(createApiToken(t.ctx, null, { name: "x", scopes: ["read"] })).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(createApiToken(t.ctx, { userId: u.id, scopes: ["publish"] }, { name: "x", scopes: ["read"] })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(listApiTokens(t.ctx, null)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("requires a name and at least one known scope", async () => {
    const u = await makeUser(t.ctx);
    await expect(createApiToken(t.ctx, u.actor, { name: "", scopes: ["read"] })).rejects.toMatchObject({ code: "INVALID" });
    await expect(createApiToken(t.ctx, u.actor, { name: "x", scopes: [] })).rejects.toMatchObject({ code: "INVALID" });
    await expect(createApiToken(t.ctx, u.actor, { name: "x", scopes: ["admin" as "read"] })).rejects.toMatchObject({ code: "INVALID" });
  });

  it("audits token creation", async () => {
    const u = await makeUser(t.ctx);
    const { record } = await createApiToken(t.ctx, u.actor, { name: "ci", scopes: ["read"] });
    expect(await t.ctx.db.auditLog.findMany({ where: { action: "token.create" } })).toEqual([
      expect.objectContaining({ actorId: u.id, targetId: record.id }),
    ]);
  });
});
