// The "try it" route over real HTTP: a foundation of the demo model family
// (trained here on the tiny configuration), equipped with published task
// vectors, entitlements enforced, and big models refused.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCheckpointWriter } from "@graft/merge";
import { TINY_CONFIG, trainDemo, type DemoModels } from "@graft/lab";
import { startServer, type TestServer } from "../server";
import { ApiClient, multipart, unique } from "../client";

let server: TestServer;
let cacheRoot: string;
let models: DemoModels;
let owner: ApiClient;
let stranger: ApiClient;
let foundation: string;
const versions: Record<"free" | "paid", string> = { free: "", paid: "" };

async function publish(token: ApiClient, team: string, slug: string, file: string, listing: Record<string, unknown>): Promise<string> {
  const meta = { teamSlug: team, foundationSlug: foundation, vectorSlug: slug, name: slug, task: "domain", version: "1.0.0", listing };
  const res = await token.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(meta) }, { file }));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.version.id;
}

beforeAll(async () => {
  cacheRoot = mkdtempSync(path.join(tmpdir(), "graft-try-"));
  [server, models] = await Promise.all([startServer(), trainDemo(TINY_CONFIG, { cacheRoot })]);
  owner = new ApiClient(server.baseUrl);
  await owner.signUp(`${unique("try-owner")}@example.com`);
  const ownerToken = owner.anonymous().withToken(await owner.createToken(["read", "publish"]));
  stranger = new ApiClient(server.baseUrl);
  await stranger.signUp(`${unique("try-stranger")}@example.com`);

  const team = unique("try");
  expect((await owner.post("/api/v1/teams", { slug: team, name: "Try Lab" })).status).toBe(201);
  foundation = unique("tiny-lm");
  cpSync(models.foundationDir, path.join(server.modelsDir, foundation), { recursive: true });
  const reg = await owner.post("/api/v1/foundations", { teamSlug: team, slug: foundation, name: "Tiny LM", architecture: "char-mlp", licence: "mit", path: foundation });
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);
  versions.free = await publish(ownerToken, team, "names", models.tasks.names!.vectorPath, { kind: "free", licence: "commercial", redistribution: false });
  versions.paid = await publish(ownerToken, team, "spam", models.tasks.spam!.vectorPath, { kind: "paid", priceCents: 500, licence: "personal", redistribution: false });
}, 900_000);

afterAll(async () => {
  await server?.stop();
  if (cacheRoot) rmSync(cacheRoot, { recursive: true, force: true });
});

const route = () => `/api/v1/foundations/${foundation}/generate`;

describe("POST /api/v1/foundations/:slug/generate", () => {
  it("returns the base continuation alone, deterministically, when nothing is equipped", async () => {
    const a = await stranger.post(route(), { prompt: "the ", maxChars: 30 });
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.body.base).toHaveLength(30);
    expect(a.body.equipped).toBeNull();
    expect((await stranger.post(route(), { prompt: "the ", maxChars: 30 })).body.base).toBe(a.body.base);
  });

  it("equips an entitled vector in memory: a different continuation next to the same base", async () => {
    const body = { prompt: "anna\n", maxChars: 40, vectors: [{ versionId: versions.free, weight: 1 }] };
    const res = await stranger.post(route(), body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.equipped).toHaveLength(40);
    expect(res.body.equipped).not.toBe(res.body.base);
    expect(res.body.base).toBe((await stranger.post(route(), { prompt: "anna\n", maxChars: 40 })).body.base);
    expect(res.body.vectors).toEqual([expect.objectContaining({ versionId: versions.free, version: "1.0.0", weight: 1 })]);
  });

  it("refuses a paid vector the caller does not own (403) and lets its owner team use it", async () => {
    const body = { prompt: "free ", vectors: [{ versionId: versions.paid, weight: 0.5 }] };
    const denied = await stranger.post(route(), body);
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toMatch(/not entitled/);
    expect((await owner.post(route(), body)).status).toBe(200);
  });

  it("answers bad input with 400 naming the field, and an unknown version with 404", async () => {
    const bad = await stranger.post(route(), { prompt: "x".repeat(501) });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/prompt/);
    expect((await stranger.post(route(), { prompt: "a", vectors: [{ versionId: "nope", weight: 1 }] })).status).toBe(404);
  });

  it("refuses to run a foundation above the size limit with 413", async () => {
    const big = unique("big");
    const n = 4_300_000; // 17.2 MB of F32, above the 16 MiB limit
    const dir = path.join(server.modelsDir, big);
    const writer = await createCheckpointWriter(dir, [{ name: "embed.weight", dtype: "F32", shape: [n] }]);
    await writer.write("embed.weight", new Uint8Array(n * 4).fill(1));
    await writer.finish();
    const team = unique("bigteam");
    expect((await owner.post("/api/v1/teams", { slug: team, name: "Big" })).status).toBe(201);
    expect((await owner.post("/api/v1/foundations", { teamSlug: team, slug: big, name: "Big", architecture: "x", licence: "mit", path: big })).status).toBe(201);
    const res = await owner.post(`/api/v1/foundations/${big}/generate`, { prompt: "a" });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/up to 16777216 bytes/);
  });
});
