import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fingerprintFromManifest, type Manifest } from "../fingerprint";
import { openSafetensors } from "../safetensors";
import { encodeManifest, openTaskVector, TV_META, assertFoundationStructure } from "./format";
import { tempDir, toBytes, writeSafetensors, type FixtureTensor } from "./test-helpers";

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

/** The foundation these hand-made task vectors refer to. */
const foundation: FixtureTensor[] = [
  { name: "w", dtype: "F32", shape: [3, 4], data: new Float32Array(12).fill(1) },
  { name: "b", dtype: "F32", shape: [4], data: [1, 2, 3, 4] },
  { name: "ids", dtype: "I32", shape: [2], data: [0, 1] },
];

function manifestOf(tensors: FixtureTensor[]): Manifest {
  const m: Manifest = {};
  for (const t of tensors) m[t.name] = { dtype: t.dtype, shape: t.shape, sha256: createHash("sha256").update(toBytes(t)).digest("hex") };
  return m;
}

function metadata(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const manifest = manifestOf(foundation);
  const m: Record<string, string | undefined> = {
    [TV_META.kind]: "task-vector",
    [TV_META.format]: "1",
    [TV_META.fingerprint]: fingerprintFromManifest(manifest),
    [TV_META.manifest]: encodeManifest(manifest),
    [TV_META.encoding]: "sparse",
    [TV_META.encodingParams]: JSON.stringify({ density: 0.5 }),
    [TV_META.encodingError]: JSON.stringify({ relative_frobenius: 0.1, per_tensor_max: 0.2 }),
    [TV_META.provenance]: JSON.stringify({ tool: "graft" }),
    [TV_META.deltaDtype]: "F32",
    ...overrides,
  };
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

const goodSparse: FixtureTensor[] = [
  { name: "w::indices", dtype: "I32", shape: [3], data: [0, 5, 11] },
  { name: "w::values", dtype: "F32", shape: [3], data: [0.5, -1, 2] },
];

async function writeTv(tensors: FixtureTensor[], meta: Record<string, string>): Promise<string> {
  const path = join(tmp.dir, "tv.safetensors");
  await writeSafetensors(path, tensors, meta);
  return path;
}

async function openError(path: string): Promise<{ code: string; message: string }> {
  return openTaskVector(path).then(
    async (tv) => {
      await tv.close();
      throw new Error("expected openTaskVector to fail");
    },
    (e) => e,
  );
}

describe("openTaskVector", () => {
  it("decodes a valid hand-written sparse task vector", async () => {
    const tv = await openTaskVector(await writeTv(goodSparse, metadata()));
    try {
      expect(tv.coveredTensors).toEqual(["w"]);
      const d = (await tv.readDelta("w"))!;
      expect(Array.from(d)).toEqual([0.5, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 2]);
      expect(await tv.readDelta("b")).toBeNull();
      await expect(tv.readDelta("nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
      expect(tv.error).toEqual({ relative_frobenius: 0.1, per_tensor_max: 0.2 });
      expect(tv.matchesFoundationTensor("b", toBytes(foundation[1]))).toBe(true);
      expect(tv.matchesFoundationTensor("b", new Uint8Array(16))).toBe(false);
    } finally {
      await tv.close();
    }
  });

  it("checks a base checkpoint's structure against the manifest", async () => {
    const tv = await openTaskVector(await writeTv(goodSparse, metadata()));
    const basePath = join(tmp.dir, "base.safetensors");
    await writeSafetensors(basePath, foundation);
    const otherPath = join(tmp.dir, "other.safetensors");
    await writeSafetensors(otherPath, [{ name: "w", dtype: "F32", shape: [4, 3], data: new Float32Array(12) }]);
    const base = await openSafetensors(basePath);
    const other = await openSafetensors(otherPath);
    try {
      expect(tv.structureDiff(base)).toEqual([]);
      expect(() => assertFoundationStructure(tv, base)).not.toThrow();
      expect(tv.structureDiff(other)).toEqual(["missing tensor b", "missing tensor ids", "w: shape [3,4] vs [4,3]"]);
      expect(() => assertFoundationStructure(tv, other, "other")).toThrow(expect.objectContaining({ code: "FINGERPRINT_MISMATCH" }));
    } finally {
      await Promise.all([tv.close(), base.close(), other.close()]);
    }
  });

  it("rejects a manifest that is not valid JSON", async () => {
    const err = await openError(await writeTv(goodSparse, metadata({ [TV_META.manifest]: "{not json" })));
    expect(err.code).toBe("INVALID_SAFETENSORS");
    expect(err.message).toContain("graft.foundation.manifest is not valid JSON");
  });

  it("rejects a fingerprint that does not match the manifest", async () => {
    const err = await openError(await writeTv(goodSparse, metadata({ [TV_META.fingerprint]: `sha256:${"0".repeat(64)}` })));
    expect(err.code).toBe("INVALID_SAFETENSORS");
    expect(err.message).toContain("does not match its own manifest");
  });

  it("rejects files that are not task vectors, newer formats and unknown encodings", async () => {
    expect((await openError(await writeTv(goodSparse, metadata({ [TV_META.kind]: undefined })))).message).toContain("not a Graft task vector");
    expect((await openError(await writeTv(goodSparse, metadata({ [TV_META.format]: "2" })))).code).toBe("UNSUPPORTED");
    const enc = await openError(await writeTv(goodSparse, metadata({ [TV_META.encoding]: "zip" })));
    expect(enc.code).toBe("UNSUPPORTED");
    expect(enc.message).toContain('"zip"');
    expect((await openError(await writeTv(goodSparse, metadata({ [TV_META.deltaDtype]: "I8" })))).code).toBe("INVALID_SAFETENSORS");
    expect((await openError(await writeTv(goodSparse, metadata({ [TV_META.provenance]: "[oops" })))).message).toContain("graft.provenance");
  });

  it("rejects more sparse indices than the base tensor has elements, before reading data", async () => {
    const n = 13;
    const tensors: FixtureTensor[] = [
      { name: "w::indices", dtype: "I32", shape: [n], data: Array.from({ length: n }, (_, i) => i) },
      { name: "w::values", dtype: "F32", shape: [n], data: new Float32Array(n) },
    ];
    const err = await openError(await writeTv(tensors, metadata()));
    expect(err.code).toBe("INVALID_SAFETENSORS");
    expect(err.message).toContain('base tensor "w": 13 sparse indices out of range for 12 elements');
  });

  it("rejects indices and values of different counts, and a lone half of a pair", async () => {
    const mismatched: FixtureTensor[] = [goodSparse[0], { name: "w::values", dtype: "F32", shape: [2], data: [1, 2] }];
    expect((await openError(await writeTv(mismatched, metadata()))).message).toContain("3 indices but 2 values");
    expect((await openError(await writeTv([goodSparse[0]], metadata()))).message).toContain("needs both");
  });

  it("rejects an index value out of range when the delta is read, naming tensor and index", async () => {
    const tensors: FixtureTensor[] = [{ ...goodSparse[0], data: [0, 5, 12] }, goodSparse[1]];
    const tv = await openTaskVector(await writeTv(tensors, metadata()));
    try {
      await expect(tv.readDelta("w")).rejects.toThrow(/"w::indices": index 12 at position 2 is out of range for 12 elements/);
    } finally {
      await tv.close();
    }
    const unsorted: FixtureTensor[] = [{ ...goodSparse[0], data: [5, 0, 11] }, goodSparse[1]];
    const tv2 = await openTaskVector(await writeTv(unsorted, metadata()));
    try {
      await expect(tv2.readDelta("w")).rejects.toThrow(/not strictly ascending/);
    } finally {
      await tv2.close();
    }
  });

  it("rejects up/down factors whose product is not the base shape", async () => {
    const lowrank = (upShape: number[], downShape: number[]): FixtureTensor[] => [
      { name: "w::up", dtype: "F32", shape: upShape, data: new Float32Array(upShape[0] * upShape[1]) },
      { name: "w::down", dtype: "F32", shape: downShape, data: new Float32Array(downShape[0] * downShape[1]) },
    ];
    const meta = metadata({ [TV_META.encoding]: "lowrank" });
    const ok = await openTaskVector(await writeTv(lowrank([3, 2], [2, 4]), meta));
    expect(ok.storage("w")).toMatchObject({ kind: "lowrank", rank: 2 });
    await ok.close();
    for (const [up, down] of [
      [[3, 2], [3, 4]],
      [[4, 2], [2, 3]],
      [[3, 2], [2, 5]],
    ]) {
      const err = await openError(await writeTv(lowrank(up, down), meta));
      expect(err.code).toBe("INVALID_SAFETENSORS");
      expect(err.message).toContain(`up [${up.join(",")}] · down [${down.join(",")}] does not give that shape`);
    }
    const oneD: FixtureTensor[] = [
      { name: "b::up", dtype: "F32", shape: [4, 1], data: new Float32Array(4) },
      { name: "b::down", dtype: "F32", shape: [1, 1], data: new Float32Array(1) },
    ];
    expect((await openError(await writeTv(oneD, meta))).message).toContain("low-rank deltas need a 2-D tensor");
  });

  it("rejects stored tensors with no base tensor, for integer tensors, or with the wrong shape or dtype", async () => {
    const meta = metadata({ [TV_META.encoding]: "dense" });
    const cases: [FixtureTensor[], string][] = [
      [[{ name: "ghost", dtype: "F32", shape: [1], data: [1] }], 'stored tensor "ghost" does not correspond'],
      [[{ name: "ids", dtype: "F32", shape: [2], data: [1, 1] }], "integer tensors carry no delta"],
      [[{ name: "b", dtype: "F32", shape: [2, 2], data: [1, 1, 1, 1] }], 'stored tensor "b" has shape [2,2] but the base tensor is [4]'],
      [[{ name: "b", dtype: "F16", shape: [4], data: [1, 1, 1, 1] }], 'stored tensor "b" is F16 but graft.delta_dtype is F32'],
      [[{ name: "b", dtype: "F32", shape: [4], data: [1, 1, 1, 1] }, { name: "b::up", dtype: "F32", shape: [4, 1], data: [1, 1, 1, 1] }], "stored both dense"],
    ];
    for (const [tensors, message] of cases) {
      const err = await openError(await writeTv(tensors, meta));
      expect(err.code).toBe("INVALID_SAFETENSORS");
      expect(err.message).toContain(message);
    }
  });
});
