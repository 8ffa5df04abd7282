// Accounts, sessions and API tokens over real HTTP against `next start`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../server";
import { ApiClient, unique } from "../client";

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startServer();
  api = new ApiClient(server.baseUrl);
}, 900_000);

afterAll(async () => {
  await server?.stop();
});

describe("sign-up and sign-in", () => {
  it("creates an account, refuses a duplicate and bad input", async () => {
    const email = `${unique("alice")}@example.com`;
    const res = await api.post("/api/v1/auth/signup", { email, password: "password-123", name: "Alice" });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ email, name: "Alice" });
    expect(JSON.stringify(res.body)).not.toContain("password");

    const dup = await api.post("/api/v1/auth/signup", { email: email.toUpperCase(), password: "password-123" });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe("CONFLICT");

    const short = await api.post("/api/v1/auth/signup", { email: `${unique("bob")}@example.com`, password: "short" });
    expect(short.status).toBe(422);
    expect(short.body.error.code).toBe("INVALID");
    expect(short.body.error.message).toMatch(/password/);

    const malformed = await api.post("/api/v1/auth/signup", { email: 42 });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("INVALID");

    const notJson = await api.request("POST", "/api/v1/auth/signup", undefined, { "content-type": "application/json" });
    expect(notJson.status).toBe(400);
  });

  it("signs in with next-auth credentials and serves /me from the session", async () => {
    const email = `${unique("carol")}@example.com`;
    await api.post("/api/v1/auth/signup", { email, password: "password-123" });

    const wrong = new ApiClient(server.baseUrl);
    expect(await wrong.signIn(email, "not-the-password")).toBe(false);
    expect((await wrong.get("/api/v1/me")).status).toBe(401);

    const client = new ApiClient(server.baseUrl);
    expect(await client.signIn(email, "password-123")).toBe(true);
    const me = await client.get("/api/v1/me");
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(email);
    expect(me.body.scopes).toBeNull();
    expect(me.body.teams).toEqual([]);
  });

  it("answers anonymous /me with 401 and a JSON error", async () => {
    const res = await api.anonymous().get("/api/v1/me");
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: "UNAUTHENTICATED", message: expect.any(String) } });
  });
});

describe("API tokens", () => {
  it("creates a token once, authenticates with it and lists it without the secret", async () => {
    const session = new ApiClient(server.baseUrl);
    const user = await session.signUp(`${unique("dave")}@example.com`);
    const created = await session.post("/api/v1/tokens", { name: "laptop", scopes: ["read", "publish"] });
    expect(created.status).toBe(201);
    const secret: string = created.body.token;
    expect(secret).toMatch(/^graft_/);
    expect(created.body.record).toMatchObject({ name: "laptop", scopes: ["read", "publish"], revokedAt: null });

    const list = await session.get("/api/v1/tokens");
    expect(list.status).toBe(200);
    expect(list.body.tokens).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(secret.startsWith(list.body.tokens[0].prefix)).toBe(true);

    const bearer = session.withToken(secret);
    const me = await bearer.get("/api/v1/me");
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(user.id);
    expect(me.body.scopes).toEqual(["read", "publish"]);
  });

  it("enforces scopes: a read token cannot create teams or manage tokens", async () => {
    const session = new ApiClient(server.baseUrl);
    await session.signUp(`${unique("erin")}@example.com`);
    const read = session.withToken(await session.createToken(["read"]));

    const team = await read.post("/api/v1/teams", { slug: unique("t"), name: "Nope" });
    expect(team.status).toBe(403);
    expect(team.body.error.code).toBe("FORBIDDEN");
    expect(team.body.error.message).toMatch(/publish/);

    const tokens = await read.post("/api/v1/tokens", { name: "escalate", scopes: ["publish"] });
    expect(tokens.status).toBe(403);

    const publishToken = session.withToken(await session.createToken(["publish"]));
    expect((await publishToken.post("/api/v1/teams", { slug: unique("t"), name: "Yes" })).status).toBe(201);
  });

  it("refuses revoked, unknown and malformed tokens with 401", async () => {
    const session = new ApiClient(server.baseUrl);
    await session.signUp(`${unique("frank")}@example.com`);
    const secret = await session.createToken(["read"]);
    const id = (await session.get("/api/v1/tokens")).body.tokens[0].id;

    const revoked = await session.delete(`/api/v1/tokens/${id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.record.revokedAt).not.toBeNull();
    expect((await session.withToken(secret).get("/api/v1/me")).status).toBe(401);

    expect((await session.withToken("graft_doesnotexist").get("/api/v1/me")).status).toBe(401);
    const malformed = await api.anonymous().get("/api/v1/me", { authorization: "Basic abc" });
    expect(malformed.status).toBe(401);

    // Someone else's token id is not found for this user.
    const other = new ApiClient(server.baseUrl);
    await other.signUp(`${unique("gina")}@example.com`);
    expect((await other.delete(`/api/v1/tokens/${id}`)).status).toBe(404);
  });

  it("refuses cookie-authenticated writes from another origin", async () => {
    const session = new ApiClient(server.baseUrl);
    await session.signUp(`${unique("hank")}@example.com`);
    const res = await session.raw("/api/v1/teams", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example" },
      body: JSON.stringify({ slug: unique("t"), name: "CSRF" }),
    });
    expect(res.status).toBe(403);
  });
});
