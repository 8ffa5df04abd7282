// Foundations, publishing, catalog, yanking and downloads over real HTTP,
// with real safetensors files: valid uploads, corrupt/truncated/mismatched
// ones (rejected without leaving rows or staged files), Range requests and
// entitlement rules.
import { mkdtemp, readFile, readdir, rm, copyFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@graft/db";
import { startServer, type TestServer } from "../server";
import { ApiClient, multipart, multipartBytes, unique } from "../client";
import { sha256, sha256File, writeFixtures, type FixtureSet } from "../fixtures";

let server: TestServer;
let db: Db;
let dir: string;
let fx: FixtureSet;
let owner: ApiClient;
let ownerToken: ApiClient;
let team: string;
let foundation: string;

const meta = (over: Record<string, unknown> = {}) => ({
  teamSlug: team,
  foundationSlug: foundation,
  vectorSlug: unique("vec"),
  name: "Medical QA",
  task: "qa",
  tags: ["medical", "english"],
  summary: "Answers clinical questions",
  cardMarkdown: "# Medical QA\n\nTrained on **synthetic** notes.",
  version: "1.0.0",
  changelog: "first release",
  listing: { kind: "free", licence: "commercial", redistribution: false },
  ...over,
});

async function publish(client: ApiClient, m: Record<string, unknown>, file: string) {
  return client.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(m) }, { file }));
}

async function stagedLeftovers(): Promise<string[]> {
  return readdir(path.join(server.blobDir, "tmp")).catch(() => []);
}

beforeAll(async () => {
  server = await startServer();
  db = createDb(server.databaseUrl);
  dir = await mkdtemp(path.join(tmpdir(), "graft-web-fx-"));
  fx = await writeFixtures(dir);
  owner = new ApiClient(server.baseUrl);
  await owner.signUp(`${unique("owner")}@example.com`);
  ownerToken = owner.withToken(await owner.createToken(["read", "publish"]));
  team = unique("lab");
  expect((await owner.post("/api/v1/teams", { slug: team, name: "The Lab" })).status).toBe(201);
}, 900_000);

afterAll(async () => {
  await db?.$disconnect();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("foundations", () => {
  it("registers an uploaded checkpoint and fingerprints it", async () => {
    foundation = unique("tiny");
    const res = await ownerToken.post(
      "/api/v1/foundations",
      await multipart({ teamSlug: team, slug: foundation, name: "Tiny Base", architecture: "llama", licence: "apache-2.0" }, { file: fx.base }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.foundation).toMatchObject({ slug: foundation, tensorCount: 4, source: "upload", parameterCount: 16 * 8 + 64 + 8 + 8 });
    expect(res.body.foundation.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);

    const list = await owner.anonymous().get("/api/v1/foundations");
    expect(list.body.foundations.map((f: { slug: string }) => f.slug)).toContain(foundation);
    const one = await owner.anonymous().get(`/api/v1/foundations/${foundation}`);
    expect(one.status).toBe(200);
    expect(one.body.foundation.vectors).toEqual([]);
    expect((await owner.anonymous().get("/api/v1/foundations/nope")).status).toBe(404);
  });

  it("refuses duplicates, anonymous callers, non-admins and missing files", async () => {
    const fields = { teamSlug: team, slug: unique("dup"), name: "Dup", architecture: "llama", licence: "mit" };
    const dup = await ownerToken.post("/api/v1/foundations", await multipart(fields, { file: fx.base }));
    expect(dup.status).toBe(409);
    expect(dup.body.error.details.existingSlug).toBe(foundation);

    expect((await owner.anonymous().post("/api/v1/foundations", await multipart(fields, { file: fx.otherBase }))).status).toBe(401);

    const stranger = new ApiClient(server.baseUrl);
    await stranger.signUp(`${unique("stranger")}@example.com`);
    expect((await stranger.post("/api/v1/foundations", await multipart(fields, { file: fx.otherBase }))).status).toBe(403);

    const noFile = await ownerToken.post("/api/v1/foundations", await multipart(fields));
    expect(noFile.status).toBe(400);
    expect(await stagedLeftovers()).toEqual([]);
  });

  it("registers a checkpoint by server path inside the models dir only", async () => {
    await copyFile(fx.otherBase, path.join(server.modelsDir, "other.safetensors"));
    const fields = { teamSlug: team, name: "Other Base", architecture: "llama", licence: "mit" };
    const outside = await ownerToken.post("/api/v1/foundations", { ...fields, slug: unique("out"), path: fx.otherBase });
    expect([403, 422]).toContain(outside.status);
    const res = await ownerToken.post("/api/v1/foundations", { ...fields, slug: unique("other"), path: "other.safetensors" });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.foundation.source).toBe("path");
  });
});

describe("publishing", () => {
  it("publishes a valid task vector and shows it on the vector endpoint", async () => {
    const m = meta({ vectorSlug: "medical-qa" });
    const res = await publish(ownerToken, m, fx.taskVector);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.vector).toMatchObject({ slug: "medical-qa", teamSlug: team, foundationSlug: foundation, created: true });
    expect(res.body.version).toMatchObject({ version: "1.0.0", encoding: "dense", sourceKind: "task-vector", yanked: false });
    expect(res.body.version.sha256).toBe(await sha256File(fx.taskVector));

    const v = await owner.anonymous().get(`/api/v1/vectors/${team}/medical-qa`);
    expect(v.status).toBe(200);
    expect(v.body.vector).toMatchObject({ name: "Medical QA", task: "qa", tags: ["english", "medical"] });
    expect(v.body.vector.foundation.fingerprint).toMatch(/^sha256:/);
    expect(v.body.vector.versions).toHaveLength(1);
    expect(v.body.vector.versions[0].canDownload).toBe(true);

    // Versions only go up.
    const same = await publish(ownerToken, m, fx.taskVector2);
    expect(same.status).toBe(409);
    const next = await publish(ownerToken, { ...m, version: "1.1.0", changelog: "more data" }, fx.taskVector2);
    expect(next.status, JSON.stringify(next.body)).toBe(201);
    expect(next.body.vector.created).toBe(false);
  });

  it("derives the task vector from a fine-tuned checkpoint", async () => {
    const res = await publish(ownerToken, meta({ kind: "finetuned", vectorSlug: unique("ft") }), fx.finetuned);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.version.sourceKind).toBe("finetuned");
  });

  async function expectRejected(res: { status: number; body: any }, status: number, slug: string) {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
    expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack traces
    const rows = await db.taskVector.count({ where: { slug } });
    expect(rows).toBe(0);
    expect(await stagedLeftovers()).toEqual([]);
  }

  it("rejects a corrupt file (422) and leaves nothing behind", async () => {
    const slug = unique("corrupt");
    const versionsBefore = await db.vectorVersion.count();
    const res = await ownerToken.post(
      "/api/v1/vectors/publish",
      multipartBytes({ meta: JSON.stringify(meta({ vectorSlug: slug })) }, { file: { name: "tv.safetensors", bytes: Buffer.from("this is not a safetensors file at all") } }),
    );
    await expectRejected(res, 422, slug);
    expect(await db.vectorVersion.count()).toBe(versionsBefore);
  });

  it("rejects a truncated file (422)", async () => {
    const slug = unique("trunc");
    const bytes = await readFile(fx.taskVector);
    const res = await ownerToken.post(
      "/api/v1/vectors/publish",
      multipartBytes({ meta: JSON.stringify(meta({ vectorSlug: slug })) }, { file: { name: "tv.safetensors", bytes: bytes.subarray(0, bytes.length - 37) } }),
    );
    await expectRejected(res, 422, slug);
    expect(res.body.error.message).toMatch(/truncat|bytes|size|data/i);
  });

  it("rejects a vector made against another foundation with the mismatch list (422)", async () => {
    const slug = unique("foreign");
    const res = await publish(ownerToken, meta({ vectorSlug: slug }), fx.foreignTaskVector);
    await expectRejected(res, 422, slug);
    expect(res.body.error.code).toBe("INVALID");
    expect(res.body.error.details.expectedFingerprint).toMatch(/^sha256:/);
    expect(res.body.error.details.mismatches.length).toBeGreaterThan(0);
    expect(res.body.error.details.mismatches.join("\n")).toMatch(/embed\.weight|layers\.0/);
  });

  it("rejects bad metadata, missing parts and unauthorised publishers", async () => {
    const slug = unique("bad");
    await expectRejected(await ownerToken.post("/api/v1/vectors/publish", await multipart({ meta: "{not json" }, { file: fx.taskVector })), 400, slug);
    await expectRejected(await ownerToken.post("/api/v1/vectors/publish", await multipart({}, { file: fx.taskVector })), 400, slug);
    await expectRejected(await ownerToken.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(meta({ vectorSlug: slug })) })), 400, slug);
    await expectRejected(await publish(ownerToken, meta({ vectorSlug: slug, version: "one" }), fx.taskVector), 422, slug);
    await expectRejected(await publish(ownerToken, meta({ vectorSlug: slug, foundationSlug: "missing" }), fx.taskVector), 404, slug);
    await expectRejected(
      await ownerToken.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(meta({ vectorSlug: slug })) }, { file: fx.taskVector, adapter_model: fx.taskVector })),
      400,
      slug,
    );
    const readOnly = owner.withToken(await owner.createToken(["read"]));
    await expectRejected(await publish(readOnly, meta({ vectorSlug: slug }), fx.taskVector), 403, slug);
    await expectRejected(await publish(owner.anonymous(), meta({ vectorSlug: slug }), fx.taskVector), 401, slug);
    const outsider = new ApiClient(server.baseUrl);
    await outsider.signUp(`${unique("outsider")}@example.com`);
    await expectRejected(await publish(outsider, meta({ vectorSlug: slug }), fx.taskVector), 403, slug);
  });
});

describe("upload limits", () => {
  let small: TestServer;
  let client: ApiClient;

  beforeAll(async () => {
    small = await startServer({ env: { GRAFT_MAX_UPLOAD_BYTES: "65536" } });
    client = new ApiClient(small.baseUrl);
    await client.signUp(`${unique("limit")}@example.com`);
    await client.post("/api/v1/teams", { slug: "limits", name: "Limits" });
  }, 900_000);

  afterAll(async () => {
    await small?.stop();
  });

  it("answers 413 for a file over GRAFT_MAX_UPLOAD_BYTES and discards the partial upload", async () => {
    const big = path.join(dir, "big.safetensors");
    await writeFile(big, Buffer.alloc(200_000, 1));
    const res = await client.post(
      "/api/v1/foundations",
      await multipart({ teamSlug: "limits", slug: "big", name: "Big", architecture: "x", licence: "mit" }, { file: big }),
    );
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("TOO_LARGE");
    const pub = await client.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(meta({ teamSlug: "limits" })) }, { file: big }));
    expect(pub.status).toBe(413);
    expect(await readdir(path.join(small.blobDir, "tmp")).catch(() => [])).toEqual([]);
  });

  it("answers 413 from Content-Length alone for a request far over the limit", async () => {
    const huge = path.join(dir, "huge.safetensors");
    await writeFile(huge, Buffer.alloc(6 * 1024 * 1024, 2));
    const res = await client.post(
      "/api/v1/foundations",
      await multipart({ teamSlug: "limits", slug: "huge", name: "Huge", architecture: "x", licence: "mit" }, { file: huge }),
    );
    expect(res.status).toBe(413);
  });
});

describe("catalog", () => {
  beforeAll(async () => {
    const pub = async (m: Record<string, unknown>) => {
      const res = await publish(ownerToken, meta(m), fx.taskVector);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    };
    await pub({ vectorSlug: "legal-summaries", name: "Legal Summaries", task: "summarization", tags: ["legal"], summary: "Summarises contracts" });
    await pub({
      vectorSlug: "pirate-style",
      name: "Pirate Style",
      task: "style",
      tags: ["fun", "english"],
      summary: "Talks like a pirate",
      listing: { kind: "paid", priceCents: 1500, licence: "personal", redistribution: false },
    });
    await pub({
      vectorSlug: "cheap-style",
      name: "Cheap Style",
      task: "style",
      tags: ["fun"],
      summary: "A cheaper style",
      listing: { kind: "paid", priceCents: 300, licence: "commercial", redistribution: true },
    });
    await pub({ vectorSlug: "swap-me", name: "Swap Me", task: "code", tags: ["python"], listing: { kind: "trade", licence: "commercial", redistribution: false } });
    await pub({ vectorSlug: "hidden", name: "Hidden Unlisted", task: "code", tags: ["secret"], listing: undefined });
  }, 120_000);

  const search = async (qs: string) => {
    const res = await owner.anonymous().get(`/api/v1/vectors?${qs}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { items: { slug: string }[]; total: number; page: number; pageSize: number };
  };
  const slugs = (r: { items: { slug: string }[] }) => r.items.map((i) => i.slug).sort();

  it("searches text across name, summary and card", async () => {
    expect(slugs(await search("q=pirate"))).toEqual(["pirate-style"]);
    expect(slugs(await search("q=contracts"))).toEqual(["legal-summaries"]);
    expect((await search("q=zzzznothing")).total).toBe(0);
  });

  it("filters by task, tags, licence, listing kind, price and foundation", async () => {
    expect(slugs(await search("task=style"))).toEqual(["cheap-style", "pirate-style"]);
    expect(slugs(await search("tags=fun,english"))).toEqual(["pirate-style"]);
    expect(slugs(await search("task=style&licence=commercial"))).toEqual(["cheap-style"]);
    expect(slugs(await search("listing=trade"))).toEqual(["swap-me"]);
    expect(slugs(await search("listing=paid&maxPriceCents=500"))).toEqual(["cheap-style"]);
    expect((await search(`foundation=${foundation}`)).total).toBeGreaterThanOrEqual(6);
    expect((await search("foundation=unknown-foundation")).total).toBe(0);
  });

  it("hides unlisted vectors from the public but shows them to the team", async () => {
    expect((await search("q=hidden")).total).toBe(0);
    expect((await owner.anonymous().get(`/api/v1/vectors/${team}/hidden`)).status).toBe(404);
    expect((await ownerToken.get(`/api/v1/vectors/${team}/hidden`)).status).toBe(200);
  });

  it("sorts and paginates", async () => {
    const all = await search("pageSize=100&sort=new");
    const p1 = await search("pageSize=2&page=1&sort=new");
    const p2 = await search("pageSize=2&page=2&sort=new");
    expect(p1.items).toHaveLength(2);
    expect(p1.total).toBe(all.total);
    expect([...p1.items, ...p2.items].map((i) => i.slug)).toEqual(all.items.slice(0, 4).map((i) => i.slug));
    expect((await search("sort=downloads")).total).toBe(all.total);
    expect((await search("sort=rating")).total).toBe(all.total);
  });

  it("answers 400 for malformed parameters", async () => {
    expect((await owner.anonymous().get("/api/v1/vectors?sort=random")).status).toBe(400);
    expect((await owner.anonymous().get("/api/v1/vectors?page=0")).status).toBe(400);
    expect((await owner.anonymous().get("/api/v1/vectors?maxPriceCents=cheap")).status).toBe(400);
  });
});

describe("downloads", () => {
  let versionId: string;
  let bytes: Buffer;

  beforeAll(async () => {
    const v = await owner.anonymous().get(`/api/v1/vectors/${team}/medical-qa`);
    const release = v.body.vector.versions.find((x: { version: string }) => x.version === "1.0.0");
    versionId = release.id;
    bytes = await readFile(fx.taskVector);
  });

  it("serves a free vector to anonymous callers with ETag, disposition and the exact bytes", async () => {
    const res = await owner.anonymous().raw(`/api/v1/versions/${versionId}/download`);
    expect(res.status).toBe(200);
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("etag")).toBe(`"${sha256(bytes)}"`);
    // (Next.js drops Content-Length from route-handler responses; the body is chunked.)
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename=".*medical-qa-1\.0\.0\.safetensors"$/);
    const body = Buffer.from(await res.arrayBuffer());
    expect(sha256(body)).toBe(sha256(bytes));
  });

  it("serves byte ranges (206) and refuses unsatisfiable ones (416)", async () => {
    const get = (range: string) => owner.anonymous().raw(`/api/v1/versions/${versionId}/download`, { headers: { range } });

    const first = await get("bytes=0-99");
    expect(first.status).toBe(206);
    expect(first.headers.get("content-range")).toBe(`bytes 0-99/${bytes.length}`);
    expect(Buffer.from(await first.arrayBuffer()).equals(bytes.subarray(0, 100))).toBe(true);

    const tail = await get("bytes=-10");
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(bytes.length - 10))).toBe(true);

    const open = await get("bytes=100-");
    expect(open.status).toBe(206);
    expect(Buffer.from(await open.arrayBuffer()).equals(bytes.subarray(100))).toBe(true);

    const beyond = await get(`bytes=${bytes.length}-`);
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${bytes.length}`);
    expect((await beyond.json()).error.code).toBe("RANGE_NOT_SATISFIABLE");

    // Unparseable ranges are ignored: the whole file.
    const weird = await get("lines=1-2");
    expect(weird.status).toBe(200);
    await weird.arrayBuffer();
  });

  it("counts a download once, not per range request", async () => {
    const before = (await owner.anonymous().get(`/api/v1/vectors/${team}/medical-qa`)).body.vector.downloads;
    await (await owner.anonymous().raw(`/api/v1/versions/${versionId}/download`)).arrayBuffer();
    await (await owner.anonymous().raw(`/api/v1/versions/${versionId}/download`, { headers: { range: "bytes=50-60" } })).arrayBuffer();
    const after = (await owner.anonymous().get(`/api/v1/vectors/${team}/medical-qa`)).body.vector.downloads;
    expect(after).toBe(before + 1);
  });

  it("requires an entitlement for paid listings", async () => {
    const v = await ownerToken.get(`/api/v1/vectors/${team}/pirate-style`);
    const paidVersion = v.body.vector.versions[0].id;
    const buyer = new ApiClient(server.baseUrl);
    await buyer.signUp(`${unique("buyer")}@example.com`);
    const asBuyer = await buyer.get(`/api/v1/vectors/${team}/pirate-style`);
    expect(asBuyer.body.vector.versions[0].canDownload).toBe(false);

    const denied = await buyer.raw(`/api/v1/versions/${paidVersion}/download`);
    expect(denied.status).toBe(403);
    expect((await denied.json()).error.code).toBe("FORBIDDEN");
    const anon = await owner.anonymous().raw(`/api/v1/versions/${paidVersion}/download`);
    expect(anon.status).toBe(401);
    await anon.arrayBuffer();

    const mine = await ownerToken.raw(`/api/v1/versions/${paidVersion}/download`);
    expect(mine.status).toBe(200);
    expect(sha256(Buffer.from(await mine.arrayBuffer()))).toBe(sha256(bytes));

    expect((await owner.anonymous().raw(`/api/v1/versions/does-not-exist/download`)).status).toBe(404);
  });

  it("yanks a version: hidden from the public, still available to the team", async () => {
    const v = await ownerToken.get(`/api/v1/vectors/${team}/legal-summaries`);
    const id = v.body.vector.versions[0].id;
    const stranger = new ApiClient(server.baseUrl);
    await stranger.signUp(`${unique("yankee")}@example.com`);
    expect((await stranger.post(`/api/v1/versions/${id}/yank`)).status).toBe(403);

    const yanked = await ownerToken.post(`/api/v1/versions/${id}/yank`);
    expect(yanked.status).toBe(200);
    expect(yanked.body.version.yanked).toBe(true);

    const denied = await owner.anonymous().raw(`/api/v1/versions/${id}/download`);
    expect(denied.status).toBe(403);
    await denied.arrayBuffer();
    const own = await ownerToken.raw(`/api/v1/versions/${id}/download`);
    expect(own.status).toBe(200);
    await own.arrayBuffer();
    const search = await owner.anonymous().get("/api/v1/vectors?q=contracts");
    expect(search.body.total).toBe(0);
  });
});
