// The web app configured for object storage (GRAFT_BLOB_STORE=s3) against a
// real S3-compatible server on loopback: a foundation and a task vector are
// uploaded over HTTP, land in the bucket under their sha256, and download
// intact — whole and by range — through a server whose local cache is empty.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../server";
import { ApiClient, multipart, unique } from "../client";
import { sha256File, writeFixtures, type FixtureSet } from "../fixtures";

const BUCKET = "graft-web-test";
let s3: S3rver;
let s3Dir: string;
let client: S3Client;
let env: Record<string, string>;
let server: TestServer;
let dir: string;
let fx: FixtureSet;

beforeAll(async () => {
  s3Dir = await mkdtemp(path.join(tmpdir(), "graft-s3rver-"));
  s3 = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: s3Dir });
  const { port } = await s3.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
  client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  env = {
    GRAFT_BLOB_STORE: "s3",
    GRAFT_S3_BUCKET: BUCKET,
    GRAFT_S3_PREFIX: "blobs/",
    GRAFT_S3_ENDPOINT: endpoint,
    GRAFT_S3_FORCE_PATH_STYLE: "1",
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  };
  server = await startServer({ env });
  dir = await mkdtemp(path.join(tmpdir(), "graft-web-fx-"));
  fx = await writeFixtures(dir);
}, 900_000);

afterAll(async () => {
  await server?.stop();
  await s3?.close();
  await Promise.all([s3Dir, dir].filter(Boolean).map((d) => rm(d, { recursive: true, force: true })));
});

async function keys(): Promise<string[]> {
  const out = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "blobs/" }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}
const keyOf = (hash: string) => `blobs/sha256/${hash.slice(0, 2)}/${hash.slice(2)}`;

describe("object storage", () => {
  it("stores uploads in the bucket and serves them back", async () => {
    const owner = new ApiClient(server.baseUrl);
    await owner.signUp(`${unique("owner")}@example.com`);
    const team = unique("lab");
    expect((await owner.post("/api/v1/teams", { slug: team, name: "Lab" })).status).toBe(201);
    const foundation = unique("base");
    const f = await owner.post(
      "/api/v1/foundations",
      await multipart({ teamSlug: team, slug: foundation, name: "Base", architecture: "llama", licence: "apache-2.0" }, { file: fx.base }),
    );
    expect(f.status, JSON.stringify(f.body)).toBe(201);
    const meta = {
      teamSlug: team,
      foundationSlug: foundation,
      vectorSlug: "s3-vec",
      name: "S3 vector",
      task: "qa",
      version: "1.0.0",
      listing: { kind: "free", licence: "commercial", redistribution: false },
    };
    const p = await owner.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(meta) }, { file: fx.taskVector }));
    expect(p.status, JSON.stringify(p.body)).toBe(201);

    const vectorHash = await sha256File(fx.taskVector);
    expect(await keys()).toEqual([keyOf(await sha256File(fx.base)), keyOf(vectorHash)].sort());

    // A second server on the same bucket and database, with an empty local cache (another replica).
    const replica = await startServer({ env: { ...env, DATABASE_URL: server.databaseUrl, GRAFT_AUTO_MIGRATE: "0" } });
    try {
      const versionId = p.body.version.id as string;
      const whole = await fetch(`${replica.baseUrl}/api/v1/versions/${versionId}/download`);
      expect(whole.status).toBe(200);
      const bytes = Buffer.from(await whole.arrayBuffer());
      expect(bytes.equals(await readFile(fx.taskVector))).toBe(true);
      const part = await fetch(`${replica.baseUrl}/api/v1/versions/${versionId}/download`, { headers: { range: "bytes=8-27" } });
      expect(part.status).toBe(206);
      expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(8, 28))).toBe(true);
    } finally {
      await replica.stop();
    }
  });

  it("rejects a corrupt upload with a 4xx and puts nothing in the bucket", async () => {
    const before = await keys();
    const owner = new ApiClient(server.baseUrl);
    await owner.signUp(`${unique("owner")}@example.com`);
    const team = unique("lab");
    await owner.post("/api/v1/teams", { slug: team, name: "Lab" });
    const bad = path.join(dir, "bad.safetensors");
    await writeFile(bad, Buffer.from("definitely not safetensors"));
    const res = await owner.post(
      "/api/v1/foundations",
      await multipart({ teamSlug: team, slug: unique("bad"), name: "Bad", architecture: "llama", licence: "mit" }, { file: bad }),
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.error).toBeTruthy();
    expect(await keys()).toEqual(before);
  });
});
