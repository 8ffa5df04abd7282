import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listAuxiliaryFiles, openCheckpoint } from "./checkpoint";
import { expectGraftError, f32Bytes, makeTempDir, removeDir, writeTensors } from "./testing";

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(() => removeDir(dir));

const PICKLE_MESSAGE =
  /: pickle checkpoints can execute arbitrary code when loaded; Graft only reads safetensors\. Convert it with `python -c "from safetensors\.torch import save_file; import torch; save_file\(torch\.load\('model\.bin'\), 'model\.safetensors'\)"` \(or transformers' save_pretrained\(safe_serialization=True\)\)$/;

/** Two hand-made shards: a,b in shard 1 and c in shard 2. */
async function makeShards(modelDir: string): Promise<void> {
  await mkdir(modelDir, { recursive: true });
  await writeTensors(join(modelDir, "s1.safetensors"), [
    { name: "a", dtype: "F32", shape: [1], bytes: f32Bytes([1]) },
    { name: "b", dtype: "F32", shape: [1], bytes: f32Bytes([2]) },
  ]);
  await writeTensors(join(modelDir, "s2.safetensors"), [{ name: "c", dtype: "F32", shape: [1], bytes: f32Bytes([3]) }]);
}

async function writeIndex(modelDir: string, weightMap: unknown, name = "model.safetensors.index.json"): Promise<string> {
  const path = join(modelDir, name);
  await writeFile(path, typeof weightMap === "string" ? weightMap : JSON.stringify({ metadata: { total_size: 12 }, weight_map: weightMap }));
  return path;
}

describe("openCheckpoint finds the weights", () => {
  it("opens a .safetensors file, and a directory with model.safetensors", async () => {
    const path = await writeTensors(join(dir, "model.safetensors"), [{ name: "x", dtype: "F32", shape: [1], bytes: f32Bytes([7]) }]);
    for (const target of [path, dir]) {
      const reader = await openCheckpoint(target);
      expect([...(await reader.readFloat32("x"))]).toEqual([7]);
      expect(reader.files).toEqual([path]);
      await reader.close();
    }
  });

  it("opens a directory's index and a custom-named index file directly", async () => {
    await makeShards(dir);
    const weightMap = { a: "s1.safetensors", b: "s1.safetensors", c: "s2.safetensors" };
    await writeIndex(dir, weightMap);
    const custom = await writeIndex(dir, weightMap, "other.safetensors.index.json");
    for (const target of [dir, custom]) {
      const reader = await openCheckpoint(target);
      expect(reader.tensors.map((t) => t.name)).toEqual(["a", "b", "c"]);
      expect([...(await reader.readFloat32("c"))]).toEqual([3]);
      await reader.close();
    }
  });

  it("reports a missing path and a directory without weights", async () => {
    await expectGraftError(() => openCheckpoint(join(dir, "nope")), "NOT_FOUND", /nope: no such file or directory/);
    await writeFile(join(dir, "config.json"), "{}");
    await expectGraftError(() => openCheckpoint(dir), "NOT_FOUND", /no model\.safetensors or model\.safetensors\.index\.json in this directory/);
  });
});

describe("openCheckpoint rejects a weight_map inconsistent with its shards", () => {
  beforeEach(() => makeShards(dir));

  it("a tensor missing from the weight_map", async () => {
    await writeIndex(dir, { a: "s1.safetensors", c: "s2.safetensors" });
    await expectGraftError(() => openCheckpoint(dir), "INVALID_SAFETENSORS", /tensor "b" in s1\.safetensors is missing from weight_map/);
  });

  it("a tensor mapped to the wrong shard", async () => {
    await writeIndex(dir, { a: "s1.safetensors", b: "s2.safetensors", c: "s2.safetensors" });
    await expectGraftError(() => openCheckpoint(dir), "INVALID_SAFETENSORS", /tensor "b" is in s1\.safetensors but weight_map says s2\.safetensors/);
  });

  it("a weight_map entry no shard contains", async () => {
    await writeIndex(dir, { a: "s1.safetensors", b: "s1.safetensors", c: "s2.safetensors", d: "s2.safetensors" });
    await expectGraftError(() => openCheckpoint(dir), "INVALID_SAFETENSORS", /weight_map lists tensor "d" in s2\.safetensors, which does not contain it/);
  });

  it("a tensor duplicated across shards", async () => {
    await writeTensors(join(dir, "s3.safetensors"), [{ name: "a", dtype: "F32", shape: [1], bytes: f32Bytes([9]) }]);
    await writeIndex(dir, { a: "s1.safetensors", b: "s1.safetensors", c: "s2.safetensors", x: "s3.safetensors" });
    await expectGraftError(() => openCheckpoint(dir), "INVALID_SAFETENSORS", /tensor "a" is in both s1\.safetensors and s3\.safetensors/);
  });

  it("a duplicate key in the weight_map", async () => {
    await writeIndex(dir, '{"weight_map": {"a": "s1.safetensors", "b": "s1.safetensors", "a": "s2.safetensors", "c": "s2.safetensors"}}');
    await expectGraftError(() => openCheckpoint(dir), "INVALID_SAFETENSORS", /duplicate key "a"/);
  });

  it("a shard that does not exist", async () => {
    await writeIndex(dir, { a: "s1.safetensors", b: "s1.safetensors", c: "gone.safetensors" });
    await expectGraftError(() => openCheckpoint(dir), "NOT_FOUND", /shard "gone\.safetensors" listed in weight_map does not exist/);
  });

  it("a shard name with path traversal", async () => {
    await writeIndex(dir, { a: "../s1.safetensors", b: "s1.safetensors", c: "s2.safetensors" });
    await expectGraftError(() => openCheckpoint(dir), "INVALID_SAFETENSORS", /shard name "\.\.\/s1\.safetensors" must be a plain file name/);
    await writeIndex(dir, { a: "/etc/passwd" });
    await expectGraftError(() => openCheckpoint(dir), "INVALID_SAFETENSORS", /must be a plain file name/);
  });

  it("an index without a weight_map", async () => {
    await writeIndex(dir, '{"metadata": {}}');
    await expectGraftError(() => openCheckpoint(dir), "INVALID_SAFETENSORS", /"weight_map" must be an object/);
  });

  it("a shard that is itself invalid", async () => {
    await writeFile(join(dir, "s2.safetensors"), new Uint8Array(4));
    await writeIndex(dir, { a: "s1.safetensors", b: "s1.safetensors", c: "s2.safetensors" });
    await expectGraftError(() => openCheckpoint(dir), "INVALID_SAFETENSORS", /s2\.safetensors: file is 4 bytes/);
  });
});

describe("pickle checkpoints are refused", () => {
  it("by file extension", async () => {
    for (const name of ["pytorch_model.bin", "model.pt", "model.PTH", "x.ckpt", "obj.pkl", "pytorch_model.bin.index.json"]) {
      const path = join(dir, name);
      await writeFile(path, "not read");
      await expectGraftError(() => openCheckpoint(path), "UNSAFE_FORMAT", PICKLE_MESSAGE);
    }
  });

  it("a directory holding only pickle weights", async () => {
    await writeFile(join(dir, "pytorch_model.bin"), "x");
    await writeFile(join(dir, "config.json"), "{}");
    const error = await expectGraftError(() => openCheckpoint(dir), "UNSAFE_FORMAT", PICKLE_MESSAGE);
    expect(error.message.startsWith(`${dir}: `)).toBe(true);
  });

  it("a pickle renamed to .safetensors, recognised by its zip signature", async () => {
    const path = join(dir, "model.safetensors");
    await writeFile(path, Buffer.from("PK\x03\x04\x14\x00\x00\x08archive/data.pkl", "latin1"));
    await expectGraftError(() => openCheckpoint(path), "UNSAFE_FORMAT", PICKLE_MESSAGE);
  });

  it("prefers safetensors when a directory has both", async () => {
    await writeFile(join(dir, "pytorch_model.bin"), "x");
    await writeTensors(join(dir, "model.safetensors"), [{ name: "x", dtype: "F32", shape: [1], bytes: f32Bytes([1]) }]);
    const reader = await openCheckpoint(dir);
    expect(reader.has("x")).toBe(true);
    await reader.close();
  });
});

describe("listAuxiliaryFiles", () => {
  it("lists config and tokenizer files, not weights", async () => {
    const names = [
      "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "tokenizer.model",
      "special_tokens_map.json", "vocab.json", "merges.txt", "cl100k.tiktoken", "chat_template.jinja",
      "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "README.md", "adapter_config.json",
    ];
    for (const name of names) await writeFile(join(dir, name), "");
    await mkdir(join(dir, "vocab.d"));
    expect(await listAuxiliaryFiles(dir)).toEqual(
      [
        "chat_template.jinja", "cl100k.tiktoken", "config.json", "generation_config.json", "merges.txt",
        "special_tokens_map.json", "tokenizer.json", "tokenizer.model", "tokenizer_config.json", "vocab.json",
      ].map((n) => join(dir, n)),
    );
  });

  it("returns nothing for a single file", async () => {
    const path = await writeTensors(join(dir, "m.safetensors"), []);
    expect(await listAuxiliaryFiles(path)).toEqual([]);
  });
});
