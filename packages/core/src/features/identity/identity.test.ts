import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../../testing";
import { getUser, registerUser, upsertOAuthUser, verifyCredentials } from "./index";

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(async () => {
  await t.cleanup();
});

describe("registerUser", () => {
  it("normalises the email and stores only a bcrypt hash", async () => {
    const user = await registerUser(t.ctx, { email: "  Ada@Example.COM ", password: "long enough", name: "Ada" });
    expect(user.email).toBe("ada@example.com");
    expect(user).not.toHaveProperty("passwordHash");
    const row = await t.ctx.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.passwordHash).toMatch(/^\$2[aby]\$10\$/);
    expect(row.passwordHash).not.toContain("long enough");
  });

  it("rejects short passwords and malformed emails as INVALID", async () => {
    await expect(registerUser(t.ctx, { email: "a@example.com", password: "short" })).rejects.toMatchObject({ code: "INVALID" });
    await expect(registerUser(t.ctx, { email: "not-an-email", password: "long enough" })).rejects.toMatchObject({ code: "INVALID" });
  });

  it("refuses a duplicate email regardless of case with CONFLICT", async () => {
    await registerUser(t.ctx, { email: "a@example.com", password: "long enough" });
    await expect(registerUser(t.ctx, { email: "A@EXAMPLE.com", password: "another one" })).rejects.toMatchObject({ code: "CONFLICT" });
  });
});

describe("verifyCredentials", () => {
  it("returns the user for the right password (any email case) and null otherwise", async () => {
    const user = await registerUser(t.ctx, { email: "a@example.com", password: "long enough" });
    expect((await verifyCredentials(t.ctx, "A@example.com", "long enough"))?.id).toBe(user.id);
    expect(await verifyCredentials(t.ctx, "a@example.com", "wrong password")).toBeNull();
    expect(await verifyCredentials(t.ctx, "nobody@example.com", "long enough")).toBeNull();
  });

  it("never signs in OAuth-only users with a password", async () => {
    await upsertOAuthUser(t.ctx, { provider: "github", providerAccountId: "1", email: "gh@example.com" });
    expect(await verifyCredentials(t.ctx, "gh@example.com", "")).toBeNull();
  });
});

describe("upsertOAuthUser", () => {
  it("creates a user on first sign-in and returns the same user afterwards", async () => {
    const first = await upsertOAuthUser(t.ctx, { provider: "github", providerAccountId: "42", email: "Octo@Example.com", name: "Octo" });
    const again = await upsertOAuthUser(t.ctx, { provider: "github", providerAccountId: "42", email: "changed@example.com" });
    expect(again.id).toBe(first.id);
    expect(first.email).toBe("octo@example.com");
    expect(await t.ctx.db.account.count()).toBe(1);
  });

  it("links the provider account to an existing user with the same email and fills missing profile fields", async () => {
    const user = await registerUser(t.ctx, { email: "a@example.com", password: "long enough" });
    const linked = await upsertOAuthUser(t.ctx, { provider: "github", providerAccountId: "7", email: "a@example.com", name: "A", image: "https://img" });
    expect(linked.id).toBe(user.id);
    expect(linked.name).toBe("A");
    expect(linked.image).toBe("https://img");
  });
});

describe("getUser", () => {
  it("returns the public profile or null", async () => {
    const user = await registerUser(t.ctx, { email: "a@example.com", password: "long enough" });
    expect(await getUser(t.ctx, user.id)).toMatchObject({ id: user.id, email: "a@example.com" });
    expect(await getUser(t.ctx, "missing")).toBeNull();
  });
});
