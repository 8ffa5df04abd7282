// S3BlobStore against a real S3-compatible server on loopback (s3rver):
// multipart uploads, HEAD/GET with ranges, listing, presigned URLs, and the
// local read-through cache with hash verification.
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BlobNotFoundError, S3BlobStore, TooLargeError } from "./index";

let server: S3rver;
let endpoint: string;
let dirs: string[] = [];
const BUCKET = "graft-blobs";

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "graft-s3rver-"));
  dirs.push(dir);
  server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: dir });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await server.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

let store: S3BlobStore;
let scratch: string;
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), "graft-s3-scratch-"));
  dirs.push(scratch);
  store = makeStore(scratch, `run-${randomBytes(4).toString("hex")}/`);
  await store.client.send(new CreateBucketCommand({ Bucket: BUCKET })).catch((e) => {
    if (!/BucketAlready/.test(String(e?.name))) throw e;
  });
});

/** A fresh local folder, deleted after the run. */
async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

function makeStore(scratchDir: string, prefix: string, extra: { maxBytes?: number } = {}) {
  return new S3BlobStore({
    bucket: BUCKET,
    prefix,
    scratchDir,
    client: { endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } },
    partSize: 5 * 1024 * 1024,
    ...extra,
  });
}
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
async function* chunks(data: Uint8Array, size: number) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}
async function readAll(s: Readable) {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe("S3BlobStore", () => {
  it("uploads a multi-part blob and reads it back whole and by range", async () => {
    const data = randomBytes(12 * 1024 * 1024 + 123);
    const staged = await store.stage(chunks(data, 1 << 20));
    expect(staged.sha256).toBe(sha(data));
    expect(await store.commit(staged)).toEqual({ hash: sha(data), size: data.length });
    expect(await store.stat(sha(data))).toEqual({ hash: sha(data), size: data.length });

    // A second store instance (another web replica) has no cached copy and reads from S3.
    const other = makeStore(await tempDir("graft-s3-other-"), (store as unknown as { prefix: string }).prefix);
    expect((await readAll(await other.createReadStream(sha(data)))).equals(data)).toBe(true);
    const part = await readAll(await other.createReadStream(sha(data), { start: 6_000_000, end: 6_000_099 }));
    expect(part.equals(data.subarray(6_000_000, 6_000_100))).toBe(true);
    await expect(other.createReadStream(sha(data), { start: 0, end: data.length })).rejects.toThrow(/outside/);
  });

  it("dedupes identical content and drops the second staged copy", async () => {
    const data = Buffer.from("same bytes");
    await store.commit(await store.stage(chunks(data, 3)));
    const again = await store.stage(chunks(data, 4));
    await store.commit(again);
    await expect(readFile(again.path)).rejects.toThrow();
    expect(await store.listOrphans([])).toEqual([sha(data)]);
  });

  it("enforces the upload limit while staging, before anything reaches S3", async () => {
    const small = makeStore(scratch, "limited/", { maxBytes: 10 });
    await expect(small.stage(chunks(Buffer.alloc(11), 4))).rejects.toBeInstanceOf(TooLargeError);
    expect(await small.listOrphans([])).toEqual([]);
  });

  it("downloads into the local cache once for localPath, verifying the hash", async () => {
    const data = randomBytes(70_000);
    const { hash } = await store.commit(await store.stage(chunks(data, 10_000)));
    const cold = makeStore(await tempDir("graft-s3-cold-"), (store as unknown as { prefix: string }).prefix);
    const path = await cold.localPath(hash);
    expect((await readFile(path)).equals(data)).toBe(true);
    expect(await cold.localPath(hash)).toBe(path);
  });

  it("refuses an object whose content does not match its hash", async () => {
    const fake = sha(Buffer.from("what the key claims"));
    const prefix = (store as unknown as { prefix: string }).prefix;
    await store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}sha256/${fake.slice(0, 2)}/${fake.slice(2)}`, Body: "tampered" }));
    await expect(store.localPath(fake)).rejects.toMatchObject({ code: "CORRUPT" });
  });

  it("reports missing blobs and malformed hashes", async () => {
    const missing = "ab".repeat(32);
    expect(await store.stat(missing)).toBeNull();
    expect(await store.has(missing)).toBe(false);
    await expect(store.createReadStream(missing)).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.localPath(missing)).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.stat("../../etc/passwd")).rejects.toThrow(/not a sha256/);
  });

  it("serves presigned download URLs over plain HTTP", async () => {
    const data = Buffer.from("presigned content");
    const { hash } = await store.commit(await store.stage(chunks(data, 5)));
    const url = await store.presignedDownloadUrl(hash, { expiresInSeconds: 60, filename: "vector.safetensors" });
    expect(url).toContain("X-Amz-Signature=");
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="vector.safetensors"');
  });

  it("lists orphans across pages and deletes blobs", async () => {
    const hashes: string[] = [];
    for (let i = 0; i < 3; i++) hashes.push((await store.commit(await store.stage(chunks(Buffer.from(`blob ${i}`), 4)))).hash);
    expect(await store.listOrphans([hashes[0]!])).toEqual([hashes[1]!, hashes[2]!].sort());
    expect(await store.delete(hashes[1]!)).toBe(true);
    expect(await store.delete(hashes[1]!)).toBe(false);
    expect(await store.has(hashes[1]!)).toBe(false);
  });

  it("keeps the staged file and publishes nothing when an upload fails", async () => {
    const data = randomBytes(11 * 1024 * 1024);
    const staged = await store.stage(chunks(data, 1 << 20));
    const broken = new S3BlobStore({
      bucket: "no-such-bucket-here",
      scratchDir: scratch,
      client: { endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } },
    });
    await expect(broken.commit(staged)).rejects.toThrow();
    // The staged file is still there for a retry, which succeeds.
    expect((await readFile(staged.path)).length).toBe(data.length);
    expect(await store.has(staged.sha256)).toBe(false);
    expect(await store.commit(staged)).toEqual({ hash: sha(data), size: data.length });
  });
});
