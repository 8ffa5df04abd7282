import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalBlobStore, TooLargeError, BlobNotFoundError, type BlobStore } from "./index";

let root: string;
let store: LocalBlobStore;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "graft-blobs-"));
  store = new LocalBlobStore(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function sha(b: Uint8Array) {
  return createHash("sha256").update(b).digest("hex");
}
async function* chunks(data: Uint8Array, size: number) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}
async function readAll(s: Readable) {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
async function scratchFiles() {
  return readdir(join(root, "tmp")).catch(() => [] as string[]);
}

describe("LocalBlobStore.stage", () => {
  it("streams chunks to a staged file whose hash matches node:crypto", async () => {
    const data = randomBytes(300_000);
    const staged = await store.stage(chunks(data, 7_777), { maxBytes: 1_000_000 });
    expect(staged.sha256).toBe(sha(data));
    expect(staged.size).toBe(data.length);
    expect(Buffer.compare(await readFile(staged.path), data)).toBe(0);
  });

  it("accepts a Node Readable", async () => {
    const data = randomBytes(10_000);
    const staged = await store.stage(Readable.from([data.subarray(0, 5000), data.subarray(5000)]));
    expect(staged.sha256).toBe(sha(data));
  });

  it("aborts over the limit with TooLargeError and leaves no scratch file", async () => {
    const data = randomBytes(50_000);
    const source = Readable.from(chunks(data, 4096));
    const err = await store.stage(source, { maxBytes: 20_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(TooLargeError);
    expect(err.code).toBe("TOO_LARGE");
    expect(await scratchFiles()).toEqual([]);
    expect(source.destroyed).toBe(true);
  });

  it("accepts exactly maxBytes", async () => {
    const data = randomBytes(4096);
    await expect(store.stage(chunks(data, 1000), { maxBytes: 4096 })).resolves.toMatchObject({ size: 4096 });
  });

  it("deletes the scratch file when the source fails midway", async () => {
    async function* failing() {
      yield new Uint8Array(10);
      throw new Error("connection reset");
    }
    await expect(store.stage(failing())).rejects.toThrow("connection reset");
    expect(await scratchFiles()).toEqual([]);
  });
});

describe("LocalBlobStore.commit", () => {
  it("moves the staged file to sha256/ab/cdef… and makes it readable", async () => {
    const data = randomBytes(1000);
    const staged = await store.stage(chunks(data, 100));
    const info = await store.commit(staged);
    const h = sha(data);
    expect(info).toEqual({ hash: h, size: 1000 });
    expect(await store.has(h)).toBe(true);
    expect(await store.localPath(h)).toBe(join(root, "sha256", h.slice(0, 2), h.slice(2)));
    expect(await scratchFiles()).toEqual([]);
  });

  it("dedupes: committing identical content twice keeps one blob and drops the second staged copy", async () => {
    const data = randomBytes(1000);
    const a = await store.stage(chunks(data, 100));
    const b = await store.stage(chunks(data, 333));
    await store.commit(a);
    await store.commit(b);
    expect(await scratchFiles()).toEqual([]);
    expect(await store.listOrphans([])).toEqual([sha(data)]);
  });

  it("refuses to commit or discard paths outside its scratch area", async () => {
    const outside = join(root, "elsewhere");
    await writeFile(outside, "x");
    const forged = { path: outside, sha256: sha(Buffer.from("x")), size: 1 };
    await expect(store.commit(forged)).rejects.toThrow(/not a file staged/);
    await expect(store.discard(forged)).rejects.toThrow(/not a file staged/);
  });

  it("discard removes the staged file", async () => {
    const staged = await store.stage(chunks(randomBytes(10), 10));
    await store.discard(staged);
    await store.discard(staged);
    expect(await scratchFiles()).toEqual([]);
  });
});

describe("LocalBlobStore reads", () => {
  it("serves inclusive byte ranges", async () => {
    const data = randomBytes(10_000);
    const { hash } = await store.commit(await store.stage(chunks(data, 1024)));
    expect(Buffer.compare(await readAll(await store.createReadStream(hash)), data)).toBe(0);
    expect(Buffer.compare(await readAll(await store.createReadStream(hash, { start: 100, end: 199 })), data.subarray(100, 200))).toBe(0);
    expect(Buffer.compare(await readAll(await store.createReadStream(hash, { start: 9_990 })), data.subarray(9_990))).toBe(0);
    await expect(store.createReadStream(hash, { start: 0, end: 10_000 })).rejects.toThrow(/outside/);
  });

  it("reports missing blobs", async () => {
    const h = "0".repeat(64);
    expect(await store.stat(h)).toBeNull();
    await expect(store.createReadStream(h)).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.localPath(h)).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await store.delete(h)).toBe(false);
  });

  it("rejects malformed hashes instead of touching arbitrary paths", async () => {
    await expect(store.has("../../etc/passwd")).rejects.toThrow(/sha256/);
  });
});

describe("LocalBlobStore housekeeping", () => {
  it("lists orphans not in the known set and deletes them", async () => {
    const s: BlobStore = store;
    const a = await s.commit(await s.stage(chunks(Buffer.from("aaa"), 3)));
    const b = await s.commit(await s.stage(chunks(Buffer.from("bbb"), 3)));
    expect(await s.listOrphans([a.hash])).toEqual([b.hash]);
    expect(await s.delete(b.hash)).toBe(true);
    expect(await s.listOrphans([a.hash])).toEqual([]);
  });

  it("stageFile adopts a derived file from the scratch area", async () => {
    const p = await store.scratchPath(".safetensors");
    await writeFile(p, "derived");
    const staged = await store.stageFile(p);
    expect(staged.sha256).toBe(sha(Buffer.from("derived")));
    const { hash } = await store.commit(staged);
    expect(await store.has(hash)).toBe(true);
    expect(await scratchFiles()).toEqual([]);
  });
});
