import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fingerprintCheckpoint, fingerprintFromManifest, structureDiff, structureOf, type FingerprintProgress } from "./fingerprint";
import { openCheckpoint } from "./safetensors/checkpoint";
import { createCheckpointWriter } from "./safetensors/sharded";
import { expectGraftError, f32Bytes, makeTempDir, removeDir, writeTensors, type TestTensor } from "./safetensors/testing";

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(() => removeDir(dir));

const tensors: TestTensor[] = [
  { name: "model.embed", dtype: "F32", shape: [2, 3], bytes: f32Bytes([1, 2, 3, 4, 5, 6]) },
  { name: "model.norm", dtype: "BF16", shape: [2], bytes: new Uint8Array([0x80, 0x3f, 0x00, 0x40]) },
  { name: "lm_head", dtype: "F32", shape: [3], bytes: f32Bytes([7, 8, 9]) },
  { name: "step", dtype: "I64", shape: [], bytes: new Uint8Array(8).fill(1) },
];

async function writeDir(name: string, list: TestTensor[], maxShardBytes: number): Promise<string> {
  const out = join(dir, name);
  const writer = await createCheckpointWriter(out, list, { maxShardBytes, metadata: { name } });
  for (const t of list) await writer.write(t.name, t.bytes);
  await writer.finish();
  return out;
}

async function fingerprintOf(path: string) {
  const reader = await openCheckpoint(path);
  try {
    return await fingerprintCheckpoint(reader);
  } finally {
    await reader.close();
  }
}

describe("fingerprint", () => {
  it("matches the documented definition (computed independently with Python hashlib)", async () => {
    const path = await writeTensors(join(dir, "m.safetensors"), [
      { name: "b", dtype: "BF16", shape: [], bytes: new Uint8Array([0x80, 0x3f]) },
      { name: "a", dtype: "F32", shape: [2], bytes: f32Bytes([1, 2]) },
    ]);
    const { fingerprint, manifest } = await fingerprintOf(path);
    expect(manifest).toEqual({
      a: { dtype: "F32", shape: [2], sha256: "b9c80b5adeca450753a16950c3cc655d271f7bef7a485bc83f112b72fef21d37" },
      b: { dtype: "BF16", shape: [], sha256: "b9c205bdac187f20bf876cea369cb6032ad1bf69043b31d716b36b8defbffdf2" },
    });
    expect(fingerprint).toBe("sha256:a4ed5fbe6654d31d3d3d519e42ad2de231c373fce775e4d66885671b539f6e42");
  });

  it("is the same for one file, three shards, and any tensor order", async () => {
    const single = await fingerprintOf(await writeDir("single", tensors, 1 << 20));
    const sharded = await fingerprintOf(await writeDir("sharded", tensors, 20));
    const reordered = await fingerprintOf(await writeDir("reordered", [...tensors].reverse(), 1 << 20));
    const shardedReader = await openCheckpoint(join(dir, "sharded"));
    expect(shardedReader.files).toHaveLength(3);
    await shardedReader.close();
    expect(sharded.fingerprint).toBe(single.fingerprint);
    expect(reordered.fingerprint).toBe(single.fingerprint);
    expect(sharded.manifest).toEqual(single.manifest);
  });

  it("changes when one value changes, and when a shape or dtype changes", async () => {
    const base = await fingerprintOf(await writeDir("base", tensors, 1 << 20));
    const changed = tensors.map((t) => (t.name === "lm_head" ? { ...t, bytes: f32Bytes([7, 8, 9.000001]) } : t));
    expect((await fingerprintOf(await writeDir("changed", changed, 1 << 20))).fingerprint).not.toBe(base.fingerprint);
    const reshaped = tensors.map((t) => (t.name === "model.embed" ? { ...t, shape: [3, 2] } : t));
    expect((await fingerprintOf(await writeDir("reshaped", reshaped, 1 << 20))).fingerprint).not.toBe(base.fingerprint);
    const retyped = tensors.map((t) => (t.name === "model.norm" ? { ...t, dtype: "F16" as const } : t));
    expect((await fingerprintOf(await writeDir("retyped", retyped, 1 << 20))).fingerprint).not.toBe(base.fingerprint);
  });

  it("can be recomputed from the manifest alone", async () => {
    const { fingerprint, manifest } = await fingerprintOf(await writeDir("m", tensors, 20));
    expect(fingerprintFromManifest(manifest)).toBe(fingerprint);
    expect(fingerprintFromManifest(JSON.parse(JSON.stringify(manifest)))).toBe(fingerprint);
  });

  it("reports progress tensor by tensor", async () => {
    const reader = await openCheckpoint(await writeDir("p", tensors, 20));
    const progress: FingerprintProgress[] = [];
    await fingerprintCheckpoint(reader, (p) => progress.push(p));
    await reader.close();
    expect(progress.map((p) => p.name)).toEqual(["lm_head", "model.embed", "model.norm", "step"]);
    expect(progress.at(-1)).toMatchObject({ tensorsDone: 4, tensorsTotal: 4, bytesDone: 48, bytesTotal: 48 });
  });

  it("refuses names that would make the canonical lines ambiguous", async () => {
    await expectGraftError(() => fingerprintFromManifest({ "a\tb": { dtype: "F32", shape: [1], sha256: "00" } }), "UNSUPPORTED", /contains a tab or newline/);
  });
});

describe("structureDiff", () => {
  it("lists missing, extra, reshaped and retyped tensors in name order", () => {
    const expected = { a: { dtype: "F32", shape: [2, 3] }, b: { dtype: "F16", shape: [4] }, c: { dtype: "F32", shape: [1] }, same: { dtype: "U8", shape: [] } };
    const actual = { a: { dtype: "F32", shape: [3, 2] }, b: { dtype: "F32", shape: [4] }, d: { dtype: "F32", shape: [1] }, same: { dtype: "U8", shape: [] } };
    expect(structureDiff(expected, actual)).toEqual([
      "a: shape [2,3] vs [3,2]",
      "b: dtype F16 vs F32",
      "missing tensor c",
      "extra tensor d",
    ]);
    expect(structureDiff(expected, expected)).toEqual([]);
  });

  it("compares a manifest with an opened checkpoint", async () => {
    const reader = await openCheckpoint(await writeDir("s", tensors, 1 << 20));
    const { manifest } = await fingerprintCheckpoint(reader);
    expect(structureDiff(manifest, structureOf(reader))).toEqual([]);
    await reader.close();
  });
});
