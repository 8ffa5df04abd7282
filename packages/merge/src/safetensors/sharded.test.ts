import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openCheckpoint } from "./checkpoint";
import { createCheckpointWriter, planShards } from "./sharded";
import { expectGraftError, f32Bytes, makeTempDir, removeDir, type TestTensor } from "./testing";

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(() => removeDir(dir));

/** Five F32 tensors of 16, 16, 40, 8 and 16 bytes. */
const tensors: TestTensor[] = [
  { name: "layers.0.w", dtype: "F32", shape: [2, 2], bytes: f32Bytes([1, 2, 3, 4]) },
  { name: "layers.0.b", dtype: "F32", shape: [4], bytes: f32Bytes([5, 6, 7, 8]) },
  { name: "embed", dtype: "F32", shape: [10], bytes: f32Bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) },
  { name: "norm", dtype: "F32", shape: [2], bytes: f32Bytes([-1, 1]) },
  { name: "head", dtype: "F32", shape: [4], bytes: f32Bytes([9, 9, 9, 9]) },
];

async function writeCheckpoint(outDir: string, list: TestTensor[], options: Parameters<typeof createCheckpointWriter>[2] = {}) {
  const writer = await createCheckpointWriter(outDir, list, options);
  for (const t of list) await writer.write(t.name, t.bytes);
  await writer.finish();
  return writer;
}

describe("planShards", () => {
  it("puts everything in model.safetensors when it fits", () => {
    expect(planShards(tensors, 96).map((s) => s.fileName)).toEqual(["model.safetensors"]);
    expect(planShards([], 10)).toEqual([{ fileName: "model.safetensors", tensors: [], byteLength: 0 }]);
  });

  it("splits in order, and gives an oversized tensor its own shard", () => {
    const plan = planShards(tensors, 32);
    expect(plan.map((s) => [s.fileName, s.tensors.map((t) => t.name), s.byteLength])).toEqual([
      ["model-00001-of-00003.safetensors", ["layers.0.w", "layers.0.b"], 32],
      ["model-00002-of-00003.safetensors", ["embed"], 40],
      ["model-00003-of-00003.safetensors", ["norm", "head"], 24],
    ]);
  });
});

describe("sharded write → read round trip", () => {
  it("writes shards plus an HF index, and reads every tensor back", async () => {
    const out = join(dir, "merged");
    await writeCheckpoint(out, tensors, { maxShardBytes: 32, metadata: { format: "pt" } });
    expect((await readdir(out)).sort()).toEqual([
      "model-00001-of-00003.safetensors",
      "model-00002-of-00003.safetensors",
      "model-00003-of-00003.safetensors",
      "model.safetensors.index.json",
    ]);
    const indexText = await readFile(join(out, "model.safetensors.index.json"), "utf8");
    expect(indexText).toBe(
      `${JSON.stringify(
        {
          metadata: { total_size: 96 },
          weight_map: {
            embed: "model-00002-of-00003.safetensors",
            head: "model-00003-of-00003.safetensors",
            "layers.0.b": "model-00001-of-00003.safetensors",
            "layers.0.w": "model-00001-of-00003.safetensors",
            norm: "model-00003-of-00003.safetensors",
          },
        },
        null,
        2,
      )}\n`,
    );
    for (const path of [out, join(out, "model.safetensors.index.json")]) {
      const reader = await openCheckpoint(path);
      try {
        expect(reader.tensors.map((t) => t.name)).toEqual(["embed", "head", "layers.0.b", "layers.0.w", "norm"]);
        expect(reader.metadata).toEqual({ format: "pt" });
        expect(reader.files).toHaveLength(3);
        for (const t of tensors) expect(Buffer.from(await reader.readBytes(t.name)).equals(Buffer.from(t.bytes))).toBe(true);
        expect([...(await reader.readFloat32("norm"))]).toEqual([-1, 1]);
        expect([...(await reader.readFloat32Range("embed", 7, 3))]).toEqual([7, 8, 9]);
        await expect(reader.readBytes("missing")).rejects.toThrow(/no tensor named "missing"/);
      } finally {
        await reader.close();
      }
    }
    expect((await readdir(dir)).sort()).toEqual(["merged"]); // no .partial- left behind
  });

  it("writes a single model.safetensors when everything fits", async () => {
    const out = join(dir, "single");
    await writeCheckpoint(out, tensors, { maxShardBytes: 1000 });
    expect(await readdir(out)).toEqual(["model.safetensors"]);
    const reader = await openCheckpoint(out);
    expect(reader.tensors).toHaveLength(5);
    await reader.close();
  });

  it("copies auxiliary files into the output", async () => {
    const src = join(dir, "src");
    await mkdir(src);
    await writeFile(join(src, "config.json"), '{"model_type":"llama"}');
    await writeFile(join(src, "tokenizer.json"), "{}");
    const out = join(dir, "out");
    await writeCheckpoint(out, tensors, { copyFiles: [join(src, "config.json"), join(src, "tokenizer.json")] });
    expect((await readdir(out)).sort()).toEqual(["config.json", "model.safetensors", "tokenizer.json"]);
    expect(await readFile(join(out, "config.json"), "utf8")).toBe('{"model_type":"llama"}');
  });

  it("rejects copy files that are missing or clash with weight files", async () => {
    const out = join(dir, "out");
    await expectGraftError(() => createCheckpointWriter(out, tensors, { copyFiles: [join(dir, "config.json")] }), "NOT_FOUND", /config\.json: no such file/);
    const clash = join(dir, "model.safetensors");
    await writeFile(clash, "");
    await expectGraftError(() => createCheckpointWriter(out, tensors, { copyFiles: [clash] }), "INVALID_ARGUMENT", /"model.safetensors" is already part of/);
  });
});

describe("output directory safety", () => {
  it("refuses a non-empty output directory", async () => {
    const out = join(dir, "out");
    await mkdir(out);
    await writeFile(join(out, "keep.txt"), "x");
    await expectGraftError(() => createCheckpointWriter(out, tensors), "INVALID_ARGUMENT", /out: output directory already exists and is not empty/);
    expect(await readdir(out)).toEqual(["keep.txt"]);
  });

  it("writes into an existing empty directory", async () => {
    const out = join(dir, "out");
    await mkdir(out);
    await writeCheckpoint(out, tensors);
    expect(await readdir(out)).toEqual(["model.safetensors"]);
  });

  it("with overwrite, replaces the old output only after success", async () => {
    const out = join(dir, "out");
    await mkdir(out);
    await writeFile(join(out, "old.txt"), "x");
    const writer = await createCheckpointWriter(out, tensors, { overwrite: true, maxShardBytes: 32 });
    await writer.write(tensors[0].name, tensors[0].bytes);
    expect(await readdir(out)).toEqual(["old.txt"]); // untouched while writing
    for (const t of tensors.slice(1)) await writer.write(t.name, t.bytes);
    await writer.finish();
    expect(await readdir(out)).not.toContain("old.txt");
    expect((await readdir(dir)).sort()).toEqual(["out"]);
  });

  it("abort removes the temporary directory and leaves the old output in place", async () => {
    const out = join(dir, "out");
    await mkdir(out);
    await writeFile(join(out, "old.txt"), "x");
    const writer = await createCheckpointWriter(out, tensors, { overwrite: true, maxShardBytes: 32 });
    for (const t of tensors.slice(0, 3)) await writer.write(t.name, t.bytes);
    expect((await readdir(dir)).some((n) => n.startsWith("out.partial-"))).toBe(true);
    await writer.abort();
    expect(await readdir(dir)).toEqual(["out"]);
    expect(await readdir(out)).toEqual(["old.txt"]);
  });

  it("a failed write aborts and cleans up", async () => {
    const out = join(dir, "out");
    const writer = await createCheckpointWriter(out, tensors, { maxShardBytes: 32 });
    await writer.write(tensors[0].name, tensors[0].bytes);
    await expectGraftError(() => writer.write("embed", tensors[2].bytes), "INVALID_ARGUMENT", /expected tensor "layers.0.b" next, got "embed"/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("rejects duplicate tensor names across the checkpoint", async () => {
    await expectGraftError(() => createCheckpointWriter(join(dir, "out"), [tensors[0], tensors[0]], { maxShardBytes: 16 }), "INVALID_ARGUMENT", /listed twice/);
    expect(await readdir(dir)).toEqual([]);
  });
});
