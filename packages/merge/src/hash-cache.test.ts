import { open, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TensorHashCache } from "./hash-cache";
import { openSafetensors, type SafetensorsFile } from "./safetensors";
import { f32Bytes, makeTempDir, removeDir, writeTensors } from "./safetensors/testing";

const SHA_A = "a".repeat(64);
const SHA_B = "b".repeat(64);

let dir: string;
let cacheDir: string;
let modelPath: string;
const opened: SafetensorsFile[] = [];

beforeEach(async () => {
  dir = await makeTempDir();
  cacheDir = join(dir, "cache");
  modelPath = await writeTensors(join(dir, "model.safetensors"), [
    { name: "a", dtype: "F32", shape: [2], bytes: f32Bytes([1, 2]) },
    { name: "b", dtype: "F32", shape: [1], bytes: f32Bytes([3]) },
  ]);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((f) => f.close()));
  await removeDir(dir);
});

async function openModel(): Promise<SafetensorsFile> {
  const file = await openSafetensors(modelPath);
  opened.push(file);
  return file;
}

/** A cache that trusts files of any age; the tests then wait a clock tick before changing a file. */
const eager = () => new TensorHashCache(cacheDir, { settleMs: 0 });

async function remember(cache: TensorHashCache, hashes: Record<string, string>): Promise<void> {
  const record = await cache.open(await openModel());
  for (const [name, sha] of Object.entries(hashes)) record.add(name, sha);
  await record.save();
}

describe("the tensor hash cache", () => {
  it("knows nothing of a new file, then remembers what was added", async () => {
    const record = await eager().open(await openModel());
    expect(record.get("a")).toBeUndefined();
    await remember(eager(), { a: SHA_A, b: SHA_B });
    const again = await eager().open(await openModel());
    expect([again.get("a"), again.get("b")]).toEqual([SHA_A, SHA_B]);
  });

  it("adds to what an earlier run remembered", async () => {
    await remember(eager(), { a: SHA_A });
    await remember(eager(), { b: SHA_B });
    const record = await eager().open(await openModel());
    expect([record.get("a"), record.get("b")]).toEqual([SHA_A, SHA_B]);
  });

  it("forgets a file once it is written, even in place with the same size", async () => {
    await remember(eager(), { a: SHA_A });
    await sleep(20); // past the file system's clock tick
    const fh = await open(modelPath, "r+");
    await fh.write(new Uint8Array([0x7f]), 0, 1, (await fh.stat()).size - 1);
    await fh.close();
    expect((await eager().open(await openModel())).get("a")).toBeUndefined();
  });

  it("does not record a file written too recently for its times to show a later write", async () => {
    await remember(new TensorHashCache(cacheDir, { settleMs: 60_000 }), { a: SHA_A });
    expect(await readdir(dir)).not.toContain("cache");
    expect((await eager().open(await openModel())).get("a")).toBeUndefined();
  });

  it("does not record a file that changed while it was read", async () => {
    const record = await eager().open(await openModel());
    record.add("a", SHA_A);
    await sleep(20);
    await writeFile(modelPath, await readFile(modelPath)); // same bytes, new times
    await record.save();
    expect((await eager().open(await openModel())).get("a")).toBeUndefined();
  });

  it("treats a corrupt entry as unknown, and a cache it cannot write as no cache", async () => {
    await remember(eager(), { a: SHA_A });
    const [entry] = await readdir(cacheDir);
    await writeFile(join(cacheDir, entry!), "{not json");
    expect((await eager().open(await openModel())).get("a")).toBeUndefined();
    await writeFile(join(dir, "a-file"), "");
    await expect(remember(new TensorHashCache(join(dir, "a-file", "cache"), { settleMs: 0 }), { a: SHA_A })).resolves.toBeUndefined();
  });

  it("finds its directory from the environment", () => {
    expect(TensorHashCache.fromEnvironment({ GRAFT_HASH_CACHE: "off" })).toBeNull();
    expect(TensorHashCache.fromEnvironment({ GRAFT_HASH_CACHE: "/srv/hashes" })?.dir).toBe("/srv/hashes");
    expect(TensorHashCache.fromEnvironment({ XDG_CACHE_HOME: "/home/u/.c" })?.dir).toBe("/home/u/.c/graft/hashes");
  });
});
