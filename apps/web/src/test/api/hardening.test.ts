// Hostile traffic over real HTTP: rate limits (sign-in, sign-up, token use,
// uploads) answer 429 with Retry-After and do nothing; cookie-authenticated
// writes from another origin are refused; oversized JSON is cut off at the
// limit; fuzzed safetensors uploads all get a clear 4xx and leave no row, no
// blob and no staged file; every response carries the security headers.
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@graft/db";
import { startServer, type TestServer } from "../server";
import { ApiClient, multipart, multipartBytes, unique } from "../client";
import { safetensorsBytes, seeded, writeFixtures, type FixtureSet } from "../fixtures";

let server: TestServer;
let db: Db;
let dir: string;
let fx: FixtureSet;
let nextAddress = 1;
/** A client acting from its own client address, so each case has its own counters. */
function client(): ApiClient {
  const c = new ApiClient(server.baseUrl);
  c.defaultHeaders["x-forwarded-for"] = `203.0.113.${nextAddress++}`;
  return c;
}

beforeAll(async () => {
  server = await startServer({ env: { GRAFT_RATE_LIMITS: "signIn=3/900,signUp=3/3600,token=5/60,upload=2/3600" } });
  db = createDb(server.databaseUrl);
  dir = await mkdtemp(path.join(tmpdir(), "graft-hardening-"));
  fx = await writeFixtures(dir);
}, 900_000);

afterAll(async () => {
  await db?.$disconnect();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function expectRateLimited(res: { status: number; headers: Headers; body: any }) {
  expect(res.status).toBe(429);
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(res.body.error.code).toBe("RATE_LIMITED");
}

describe("rate limits", () => {
  it("limits sign-ups per client address", async () => {
    const c = client();
    for (let i = 0; i < 3; i++) expect((await c.post("/api/v1/auth/signup", { email: `${unique("s")}@example.com`, password: "long-enough-pw" })).status).toBe(201);
    const email = `${unique("s")}@example.com`;
    expectRateLimited(await c.post("/api/v1/auth/signup", { email, password: "long-enough-pw" }));
    expect(await db.user.count({ where: { email } })).toBe(0);
    // Another address is unaffected.
    expect((await client().post("/api/v1/auth/signup", { email, password: "long-enough-pw" })).status).toBe(201);
  });

  it("locks an account's password sign-in after repeated failures, even with the right password", async () => {
    const email = `${unique("victim")}@example.com`;
    expect((await client().post("/api/v1/auth/signup", { email, password: "the-right-password" })).status).toBe(201);
    // Attempts come from different addresses: the per-account counter still adds up.
    for (let i = 0; i < 3; i++) expect(await client().signIn(email, "wrong-password")).toBe(false);
    expect(await client().signIn(email, "the-right-password")).toBe(false);
    // A different account from a fresh address signs in fine.
    const other = `${unique("other")}@example.com`;
    expect((await client().post("/api/v1/auth/signup", { email: other, password: "the-right-password" })).status).toBe(201);
    expect(await client().signIn(other, "the-right-password")).toBe(true);
  });

  it("limits requests per API token, and guessing tokens counts as failed sign-ins", async () => {
    const owner = client();
    await owner.signUp(`${unique("tok")}@example.com`);
    const token = owner.withToken(await owner.createToken(["read"]));
    token.defaultHeaders = { ...owner.defaultHeaders };
    for (let i = 0; i < 5; i++) expect((await token.get("/api/v1/me")).status).toBe(200);
    expectRateLimited(await token.get("/api/v1/me"));

    const guesser = client().withToken("graft_" + "x".repeat(40));
    guesser.defaultHeaders["x-forwarded-for"] = "198.51.100.7";
    for (let i = 0; i < 3; i++) expect((await guesser.get("/api/v1/me")).status).toBe(401);
    expectRateLimited(await guesser.get("/api/v1/me"));
  });

  it("limits uploads per user and refuses before reading the body", async () => {
    const owner = client();
    await owner.signUp(`${unique("up")}@example.com`);
    const team = unique("lab");
    expect((await owner.post("/api/v1/teams", { slug: team, name: "Lab" })).status).toBe(201);
    const form = async (slug: string) =>
      multipart({ teamSlug: team, slug, name: slug, architecture: "llama", licence: "mit" }, { file: fx.otherBase });
    expect((await owner.post("/api/v1/foundations", await form(unique("f")))).status).toBe(201);
    // Same content again: a 409, but it still counts as an upload.
    expect((await owner.post("/api/v1/foundations", await form(unique("f")))).status).toBe(409);
    const slug = unique("f");
    expectRateLimited(await owner.post("/api/v1/foundations", await form(slug)));
    expect(await db.foundation.count({ where: { slug } })).toBe(0);
  });
});

describe("request hygiene", () => {
  // Its own server without rate limits, so the fuzz loop is not cut short by the upload limit.
  let limitsOff: TestServer;
  beforeAll(async () => {
    limitsOff = await startServer();
  }, 900_000);
  afterAll(async () => {
    await limitsOff?.stop();
  });

  it("refuses cookie-authenticated writes from another origin", async () => {
    const c = client();
    await c.signUp(`${unique("csrf")}@example.com`);
    const slug = unique("evil");
    const res = await c.request("POST", "/api/v1/teams", { slug, name: "Evil" }, { origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect(await db.team.count({ where: { slug } })).toBe(0);
    expect((await c.request("POST", "/api/v1/teams", { slug, name: "Fine" }, { origin: server.baseUrl })).status).toBe(201);
  });

  it("cuts off oversized JSON bodies with 413", async () => {
    const c = client();
    await c.signUp(`${unique("big")}@example.com`);
    const res = await c.post("/api/v1/teams", { slug: unique("big"), name: "x".repeat(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("TOO_LARGE");
  });

  it("answers every fuzzed safetensors upload with a 4xx and stores nothing", async () => {
    const owner = new ApiClient(limitsOff.baseUrl);
    await owner.signUp(`${unique("fuzz")}@example.com`);
    const token = owner.withToken(await owner.createToken(["read", "publish"]));
    token.defaultHeaders = { ...owner.defaultHeaders };
    const team = unique("lab");
    expect((await owner.post("/api/v1/teams", { slug: team, name: "Lab" })).status).toBe(201);
    const valid = await readFile(fx.base);
    const headerLen = Number(valid.readBigUInt64LE(0));
    const fuzzDb = createDb(limitsOff.databaseUrl);
    const blobsBefore = await fuzzDb.blob.count();
    const cases: Buffer[] = [];
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 24; i++) {
      const b = Buffer.from(valid);
      const mode = i % 4;
      if (mode === 0) b.writeBigUInt64LE(BigInt(Math.floor(rand() * 2 ** 40)), 0); // absurd header length
      else if (mode === 1) for (let k = 0; k < 4; k++) b[8 + Math.floor(rand() * headerLen)] = Math.floor(rand() * 256); // header bytes flipped
      if (mode === 2) cases.push(b.subarray(0, 8 + headerLen + Math.floor(rand() * (b.length - 8 - headerLen)))); // truncated data
      else if (mode === 3) cases.push(Buffer.concat([b, Buffer.from([1, 2, 3])])); // trailing bytes
      else cases.push(b);
    }
    for (const [i, bytes] of cases.entries()) {
      const slug = `fuzz-${i}`;
      const res = await token.post(
        "/api/v1/foundations",
        multipartBytes({ teamSlug: team, slug, name: slug, architecture: "llama", licence: "mit" }, { file: { name: "model.safetensors", bytes } }),
      );
      // A flipped byte inside a JSON string value can leave a valid file: then it must be a clean success.
      if (res.status === 201) continue;
      expect(res.status, `case ${i}: ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `case ${i}`).toBeLessThan(500);
      expect(typeof res.body.error.message).toBe("string");
      expect(await fuzzDb.foundation.count({ where: { slug } })).toBe(0);
    }
    const created = await fuzzDb.foundation.count({ where: { slug: { startsWith: "fuzz-" } } });
    expect(await fuzzDb.blob.count()).toBe(blobsBefore + created);
    expect(await readdir(path.join(limitsOff.blobDir, "tmp")).catch(() => [])).toEqual([]);
    await fuzzDb.$disconnect();
  });

  it("answers every malformed LoRA adapter upload with a 4xx and stores nothing", async () => {
    const owner = new ApiClient(limitsOff.baseUrl);
    await owner.signUp(`${unique("lora")}@example.com`);
    const team = unique("lab");
    expect((await owner.post("/api/v1/teams", { slug: team, name: "Lab" })).status).toBe(201);
    const foundation = unique("base");
    const f = await owner.post("/api/v1/foundations", await multipart({ teamSlug: team, slug: foundation, name: "B", architecture: "llama", licence: "mit" }, { file: fx.base }));
    expect(f.status).toBe(201);
    // A valid rank-2 adapter of layers.0.mlp (8×8 in the fixture foundation).
    const config = { peft_type: "LORA", r: 2, lora_alpha: 4, target_modules: ["mlp"], bias: "none" };
    const weights = safetensorsBytes([
      { name: "base_model.model.layers.0.mlp.lora_A.weight", shape: [2, 8], data: seeded(16, 7) },
      { name: "base_model.model.layers.0.mlp.lora_B.weight", shape: [8, 2], data: seeded(16, 8) },
    ]);
    const publish = (slug: string, cfg: string, model: Uint8Array) =>
      owner.post(
        "/api/v1/vectors/publish",
        multipartBytes(
          { meta: JSON.stringify({ teamSlug: team, foundationSlug: foundation, vectorSlug: slug, name: slug, task: "qa", version: "1.0.0" }) },
          { adapter_config: { name: "adapter_config.json", bytes: Buffer.from(cfg) }, adapter_model: { name: "adapter_model.safetensors", bytes: model } },
        ),
      );
    const ok = await publish("lora-valid", JSON.stringify(config), weights);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);

    const headerLen = Number(Buffer.from(weights).readBigUInt64LE(0));
    const flipped = Buffer.from(weights);
    flipped[8 + 3] = 0x7b;
    flipped[8 + Math.floor(headerLen / 2)] = 0x22;
    const cases: [string, string, Uint8Array][] = [
      ["config not JSON", "{ r: 2,", weights],
      ["rank zero", JSON.stringify({ ...config, r: 0 }), weights],
      ["rank disagrees with the factors", JSON.stringify({ ...config, r: 4 }), weights],
      ["alpha not a number", JSON.stringify({ ...config, lora_alpha: "four" }), weights],
      ["no module matches the base", JSON.stringify({ ...config, target_modules: ["nowhere"] }), weights],
      ["DoRA", JSON.stringify({ ...config, use_dora: true }), weights],
      ["not LoRA", JSON.stringify({ ...config, peft_type: "IA3" }), weights],
      ["weights header corrupted", JSON.stringify(config), flipped],
      ["weights truncated", JSON.stringify(config), Buffer.from(weights).subarray(0, weights.length - 7)],
      ["weights empty", JSON.stringify(config), new Uint8Array(0)],
    ];
    const db = createDb(limitsOff.databaseUrl);
    try {
      for (const [i, [what, cfg, model]] of cases.entries()) {
        const slug = `lora-bad-${i}`;
        const res = await publish(slug, cfg, model);
        expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(400);
        expect(res.status, what).toBeLessThan(500);
        expect(typeof res.body.error.message, what).toBe("string");
        expect(await db.taskVector.count({ where: { slug } }), what).toBe(0);
      }
    } finally {
      await db.$disconnect();
    }
    expect(await readdir(path.join(limitsOff.blobDir, "tmp")).catch(() => [])).toEqual([]);
  });

  it("refuses path traversal in names, and never uses an upload's file name as a path", async () => {
    const c = new ApiClient(limitsOff.baseUrl);
    await c.signUp(`${unique("trav")}@example.com`);
    for (const slug of ["../../etc", "a/b", "..", "%2e%2e"]) {
      const res = await c.post("/api/v1/teams", { slug, name: "Evil" });
      expect(res.status, slug).toBeGreaterThanOrEqual(400);
      expect(res.status, slug).toBeLessThan(500);
    }
    const team = unique("lab");
    expect((await c.post("/api/v1/teams", { slug: team, name: "Lab" })).status).toBe(201);
    // Not fx.base: the adapter case above registered that one on this server already.
    const bytes = await readFile(fx.otherBase);
    const evilName = "../../../../tmp/graft-escaped.safetensors";
    const res = await c.post(
      "/api/v1/foundations",
      multipartBytes({ teamSlug: team, slug: unique("f"), name: "F", architecture: "llama", licence: "mit" }, { file: { name: evilName, bytes } }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(existsSync("/tmp/graft-escaped.safetensors")).toBe(false);
    const meta = { teamSlug: team, foundationSlug: "no-such", vectorSlug: "../../x", name: "x", task: "qa", version: "1.0.0" };
    const pub = await c.post("/api/v1/vectors/publish", multipartBytes({ meta: JSON.stringify(meta) }, { file: { name: "tv.safetensors", bytes: await readFile(fx.taskVector) } }));
    expect(pub.status).toBeGreaterThanOrEqual(400);
    expect(pub.status).toBeLessThan(500);
  });

  it("never writes passwords or token secrets to the server log", async () => {
    const c = new ApiClient(limitsOff.baseUrl);
    const password = `pw-${unique("secret")}-never-logged`;
    const email = `${unique("logs")}@example.com`;
    expect((await c.post("/api/v1/auth/signup", { email, password })).status).toBe(201);
    expect(await c.signIn(email, `${password}-wrong`)).toBe(false);
    expect(await c.signIn(email, password)).toBe(true);
    const token = await c.createToken(["read"]);
    expect((await c.withToken(token).get("/api/v1/me")).status).toBe(200);
    expect((await c.withToken(`${token}x`).get("/api/v1/me")).status).toBe(401);
    const logs = limitsOff.logs();
    for (const secret of [password, token, token.slice(6)]) expect(logs).not.toContain(secret);
  });

  it("sends security headers on pages and API responses", async () => {
    for (const p of ["/", "/api/v1/foundations"]) {
      const res = await fetch(server.baseUrl + p);
      expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-powered-by")).toBeNull();
    }
  });
});
