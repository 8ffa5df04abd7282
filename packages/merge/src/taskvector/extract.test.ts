import { stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GraftError } from "../errors";
import { fingerprintCheckpoint } from "../fingerprint";
import { decodeToFloat32, encodeFromFloat32, openSafetensors } from "../safetensors";
import type { TensorReader } from "../types";
import { compareLowRank, relativeFrobenius, relativeFrobeniusError } from "./encodings";
import { extractTaskVector } from "./extract";
import { isTaskVectorFile, openTaskVector, TV_META } from "./format";
import { matmul, randn, tempDir, writeSafetensors, type FixtureTensor } from "./test-helpers";

let tmp: Awaited<ReturnType<typeof tempDir>>;
const readers: TensorReader[] = [];

beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  await tmp.cleanup();
});

async function open(path: string): Promise<TensorReader> {
  const r = await openSafetensors(path);
  readers.push(r);
  return r;
}

/** A small model: two matrices, a bias, and an integer buffer. */
function model(seed: number, dtype: "F32" | "BF16" = "F32", tweak = 0.01): FixtureTensor[] {
  const base = [
    { name: "layers.0.attn.weight", shape: [16, 12], data: randn(192, 1) },
    { name: "layers.0.bias", shape: [12], data: randn(12, 2) },
    { name: "layers.1.mlp.weight", shape: [20, 8], data: randn(160, 3) },
  ];
  const tensors: FixtureTensor[] = base.map((t) => {
    const noise = randn(t.data.length, seed * 100 + t.data.length, tweak);
    const data = seed === 0 ? t.data : t.data.map((v, i) => v + noise[i]);
    return { name: t.name, dtype, shape: t.shape, data };
  });
  tensors.push({ name: "position_ids", dtype: "I64", shape: [4], data: [0, 1, 2, 3] });
  return tensors;
}

async function writeModel(name: string, tensors: FixtureTensor[]): Promise<string> {
  const path = join(tmp.dir, name);
  await writeSafetensors(path, tensors);
  return path;
}

describe("extractTaskVector, dense", () => {
  it("stores ft − base exactly for F32 checkpoints and records the foundation", async () => {
    const basePath = await writeModel("base.safetensors", model(0));
    const ftPath = await writeModel("ft.safetensors", model(1));
    const base = await open(basePath);
    const ft = await open(ftPath);
    const out = join(tmp.dir, "tv.safetensors");
    const report = await extractTaskVector({ base, finetuned: ft, out, encoding: { kind: "dense" } });

    const tv = await openTaskVector(out);
    try {
      expect(tv.encoding).toBe("dense");
      expect(tv.deltaDtype).toBe("F32");
      expect(tv.coveredTensors).toEqual(["layers.0.attn.weight", "layers.0.bias", "layers.1.mlp.weight"]);
      const expected = await fingerprintCheckpoint(base);
      expect(tv.fingerprint).toBe(expected.fingerprint);
      expect(report.fingerprint).toBe(expected.fingerprint);
      expect(tv.manifest).toEqual(expected.manifest);
      for (const name of tv.coveredTensors) {
        const b = await base.readFloat32(name);
        const f = await ft.readFloat32(name);
        const delta = await tv.readDelta(name);
        expect(delta).not.toBeNull();
        const exact = f.map((v, i) => v - b[i]);
        expect(Array.from(delta!)).toEqual(Array.from(exact));
      }
      expect(await tv.readDelta("position_ids")).toBeNull(); // integer: carried through, no delta
      expect(tv.error).toEqual({ relative_frobenius: 0, per_tensor_max: 0, max_abs: 0 });
      expect(tv.provenance.tool).toBe("graft");
      expect((tv.provenance.finetuned as { fingerprint: string }).fingerprint).toBe((await fingerprintCheckpoint(ft)).fingerprint);
      expect(report.relativeError).toBe(0);
      expect(report.tensors).toBe(3);
    } finally {
      await tv.close();
    }
    expect(await isTaskVectorFile(out)).toBe(true);
    expect(await isTaskVectorFile(basePath)).toBe(false);
    expect(await isTaskVectorFile(join(tmp.dir, "missing.safetensors"))).toBe(false);
    // only the inputs and the output remain: no temporary files
    expect(await tmp.list()).toEqual(["base.safetensors", "ft.safetensors", "tv.safetensors"]);
  });

  it("stores BF16 deltas within bf16 rounding of ft − base by default for BF16 checkpoints", async () => {
    const base = await open(await writeModel("base.safetensors", model(0, "BF16")));
    const ft = await open(await writeModel("ft.safetensors", model(1, "BF16", 0.05)));
    const out = join(tmp.dir, "tv.safetensors");
    const report = await extractTaskVector({ base, finetuned: ft, out, encoding: { kind: "dense" } });
    expect(report.deltaDtype).toBe("BF16");
    const tv = await openTaskVector(out);
    try {
      expect(tv.deltaDtype).toBe("BF16");
      for (const name of tv.coveredTensors) {
        const b = await base.readFloat32(name);
        const f = await ft.readFloat32(name);
        const exact = f.map((v, i) => v - b[i]);
        const delta = (await tv.readDelta(name))!;
        const rounded = decodeToFloat32("BF16", encodeFromFloat32("BF16", exact));
        expect(Array.from(delta)).toEqual(Array.from(rounded));
        for (let i = 0; i < exact.length; i++) expect(Math.abs(delta[i] - exact[i])).toBeLessThanOrEqual(Math.abs(exact[i]) * 2 ** -8);
      }
      expect(tv.error!.relative_frobenius).toBeGreaterThan(0);
      expect(tv.error!.relative_frobenius).toBeLessThan(2 ** -8);
    } finally {
      await tv.close();
    }
  });

  it("reports sizes that match the file on disk", async () => {
    const base = await open(await writeModel("base.safetensors", model(0)));
    const ft = await open(await writeModel("ft.safetensors", model(1)));
    for (const encoding of [{ kind: "dense" as const }, { kind: "sparse" as const, density: 0.1 }, { kind: "lowrank" as const, rank: 2 }]) {
      const out = join(tmp.dir, `tv-${encoding.kind}.safetensors`);
      const report = await extractTaskVector({ base, finetuned: ft, out, encoding });
      const size = (await stat(out)).size;
      expect(report.bytesWritten).toBe(size);
      expect(report.denseBytes).toBe((192 + 12 + 160) * 4);
      expect(report.compressionRatio).toBeCloseTo(report.denseBytes / size, 12);
    }
  });
});

describe("extractTaskVector, structure check", () => {
  it("rejects mismatched checkpoints listing every difference and leaves no output file", async () => {
    const baseTensors = model(0);
    const ftTensors = model(1)
      .filter((t) => t.name !== "layers.0.bias") // missing
      .map((t) =>
        t.name === "layers.1.mlp.weight"
          ? { ...t, shape: [8, 20] } // shape
          : t.name === "layers.0.attn.weight"
            ? { ...t, dtype: "F16" as const } // dtype
            : t,
      );
    ftTensors.push({ name: "extra.weight", dtype: "F32", shape: [2], data: [1, 2] }); // extra
    const base = await open(await writeModel("base.safetensors", baseTensors));
    const ft = await open(await writeModel("ft.safetensors", ftTensors));
    const out = join(tmp.dir, "tv.safetensors");
    const err = await extractTaskVector({ base, finetuned: ft, out, encoding: { kind: "dense" } }).catch((e) => e);
    expect(err).toBeInstanceOf(GraftError);
    expect(err.code).toBe("MISMATCH");
    expect(err.message).toContain("4 differences");
    expect(err.details).toEqual([
      "extra tensor extra.weight",
      "layers.0.attn.weight: dtype F32 vs F16",
      "missing tensor layers.0.bias",
      "layers.1.mlp.weight: shape [20,8] vs [8,20]",
    ]);
    expect(await tmp.list()).toEqual(["base.safetensors", "ft.safetensors"]);
  });

  it("refuses bad encoding parameters before writing anything", async () => {
    const base = await open(await writeModel("base.safetensors", model(0)));
    const ft = await open(await writeModel("ft.safetensors", model(1)));
    const out = join(tmp.dir, "tv.safetensors");
    for (const encoding of [
      { kind: "sparse", density: 0 },
      { kind: "sparse", density: 1.5 },
      { kind: "lowrank", rank: 0 },
      { kind: "lowrank", rank: 2.5 },
      { kind: "zip" },
    ]) {
      const err = await extractTaskVector({ base, finetuned: ft, out, encoding: encoding as never }).catch((e) => e);
      expect(err.code).toBe("INVALID_ARGUMENT");
    }
    const bad = await extractTaskVector({ base, finetuned: ft, out, encoding: { kind: "dense" }, deltaDtype: "I32" }).catch((e) => e);
    expect(bad.code).toBe("INVALID_ARGUMENT");
    expect(await tmp.list()).toEqual(["base.safetensors", "ft.safetensors"]);
  });

  it("refuses a non-finite delta, naming the tensor, and cleans up", async () => {
    const ftTensors = model(1);
    (ftTensors[1].data as Float32Array)[3] = Infinity;
    const base = await open(await writeModel("base.safetensors", model(0)));
    const ft = await open(await writeModel("ft.safetensors", ftTensors));
    const err = await extractTaskVector({ base, finetuned: ft, out: join(tmp.dir, "tv.safetensors"), encoding: { kind: "dense" } }).catch((e) => e);
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.message).toContain('"layers.0.bias"');
    expect(await tmp.list()).toEqual(["base.safetensors", "ft.safetensors"]);
  });
});

describe("extractTaskVector, output safety", () => {
  it("refuses deltas that overflow the requested delta dtype and leaves nothing behind", async () => {
    const base = await open(await writeModel("base.safetensors", [{ name: "w", dtype: "F32", shape: [2], data: [0, 0] }]));
    const ft = await open(await writeModel("ft.safetensors", [{ name: "w", dtype: "F32", shape: [2], data: [1e5, 1] }]));
    const err = await extractTaskVector({ base, finetuned: ft, out: join(tmp.dir, "tv.safetensors"), encoding: { kind: "dense" }, deltaDtype: "F16" }).catch((e) => e);
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.message).toContain('tensor "w" does not fit F16');
    expect(await tmp.list()).toEqual(["base.safetensors", "ft.safetensors"]);
  });

  it("reports a missing output directory", async () => {
    const base = await open(await writeModel("base.safetensors", model(0)));
    const ft = await open(await writeModel("ft.safetensors", model(1)));
    const err = await extractTaskVector({ base, finetuned: ft, out: join(tmp.dir, "no", "tv.safetensors"), encoding: { kind: "dense" } }).catch((e) => e);
    expect(err.code).toBe("NOT_FOUND");
    expect(err.message).toContain("output directory does not exist");
  });
});

describe("extractTaskVector, sparse", () => {
  it("keeps exactly the k largest deltas per tensor and reports the error", async () => {
    const base = await open(await writeModel("base.safetensors", model(0)));
    const ft = await open(await writeModel("ft.safetensors", model(1)));
    const out = join(tmp.dir, "tv.safetensors");
    const density = 0.25;
    const report = await extractTaskVector({ base, finetuned: ft, out, encoding: { kind: "sparse", density } });
    const tv = await openTaskVector(out);
    try {
      expect(tv.encoding).toBe("sparse");
      expect(tv.encodingParams.density).toBe(density);
      let refSq = 0;
      let errSq = 0;
      let perTensorMax = 0;
      for (const name of tv.coveredTensors) {
        const b = await base.readFloat32(name);
        const f = await ft.readFloat32(name);
        const exact = f.map((v, i) => v - b[i]);
        const k = Math.round(density * exact.length);
        const delta = (await tv.readDelta(name))!;
        const kept = Array.from(delta.keys()).filter((i) => delta[i] !== 0);
        expect(kept.length).toBe(k);
        const expectedKept = Array.from(exact.keys())
          .sort((x, y) => Math.abs(exact[y]) - Math.abs(exact[x]) || x - y)
          .slice(0, k)
          .sort((x, y) => x - y);
        expect(kept).toEqual(expectedKept);
        for (const i of kept) expect(delta[i]).toBe(exact[i]);
        let r = 0;
        let e = 0;
        for (let i = 0; i < exact.length; i++) {
          r += exact[i] ** 2;
          e += (exact[i] - delta[i]) ** 2;
        }
        refSq += r;
        errSq += e;
        perTensorMax = Math.max(perTensorMax, Math.sqrt(e / r));
      }
      expect(report.relativeError).toBeCloseTo(Math.sqrt(errSq / refSq), 10);
      expect(report.perTensorMaxError).toBeCloseTo(perTensorMax, 10);
      expect(tv.error!.relative_frobenius).toBeCloseTo(report.relativeError, 12);
      expect(report.relativeError).toBeGreaterThan(0);
      const stored = tv.storage("layers.0.attn.weight");
      expect(stored).toMatchObject({ kind: "sparse", count: 48, indices: "layers.0.attn.weight::indices" });
    } finally {
      await tv.close();
    }
    const raw = await open(out);
    expect(raw.info("layers.0.attn.weight::indices").dtype).toBe("I32");
  });
});

describe("extractTaskVector, low-rank", () => {
  it("reconstructs an exactly rank-2 delta at rank 2 and stores 1-D tensors dense", async () => {
    const rows = 32;
    const cols = 24;
    const baseW = randn(rows * cols, 5);
    const exactDelta = matmul(randn(rows * 2, 6), randn(2 * cols, 7), rows, 2, cols);
    const ftW = baseW.map((v, i) => v + exactDelta[i]);
    const baseT: FixtureTensor[] = [
      { name: "w", dtype: "F32", shape: [rows, cols], data: baseW },
      { name: "b", dtype: "F32", shape: [cols], data: randn(cols, 8) },
    ];
    const ftT: FixtureTensor[] = [
      { name: "w", dtype: "F32", shape: [rows, cols], data: ftW },
      { name: "b", dtype: "F32", shape: [cols], data: randn(cols, 9) },
    ];
    const base = await open(await writeModel("base.safetensors", baseT));
    const ft = await open(await writeModel("ft.safetensors", ftT));
    const out = join(tmp.dir, "tv.safetensors");
    const report = await extractTaskVector({ base, finetuned: ft, out, encoding: { kind: "lowrank", rank: 2 } });
    expect(report.relativeError).toBeLessThan(1e-5);
    const tv = await openTaskVector(out);
    try {
      expect(tv.storage("w")).toMatchObject({ kind: "lowrank", rank: 2, up: "w::up", down: "w::down" });
      expect(tv.storage("b")).toMatchObject({ kind: "dense" });
      const w = (await tv.readDelta("w"))!;
      const actual = ftW.map((v, i) => v - baseW[i]);
      expect(relativeFrobeniusError(actual, w)).toBeLessThan(1e-5);
      const stored = await tv.readStored("w");
      expect(stored?.kind).toBe("lowrank");
    } finally {
      await tv.close();
    }
  });

  it("error decreases as the rank grows on a random delta", async () => {
    const rows = 40;
    const cols = 36;
    const baseW = randn(rows * cols, 10);
    const ftW = baseW.map((v, i) => v + randn(rows * cols, 11)[i] * 0.1);
    const base = await open(await writeModel("base.safetensors", [{ name: "w", dtype: "F32", shape: [rows, cols], data: baseW }]));
    const ft = await open(await writeModel("ft.safetensors", [{ name: "w", dtype: "F32", shape: [rows, cols], data: ftW }]));
    let previous = Infinity;
    for (const rank of [1, 4, 8, 16]) {
      const out = join(tmp.dir, `tv-${rank}.safetensors`);
      const report = await extractTaskVector({ base, finetuned: ft, out, encoding: { kind: "lowrank", rank } });
      expect(report.relativeError).toBeLessThan(previous);
      previous = report.relativeError;
      const tv = await openTaskVector(out);
      const stored = await tv.readStored("w");
      await tv.close();
      if (stored?.kind !== "lowrank") throw new Error("expected low-rank storage");
      const exact = ftW.map((v, i) => v - baseW[i]);
      const e = relativeFrobenius(compareLowRank(exact, stored.up, stored.down, rows, cols, stored.rank));
      expect(e).toBeCloseTo(report.relativeError, 6);
    }
  });

  it("writes the metadata keys of the format", async () => {
    const base = await open(await writeModel("base.safetensors", model(0)));
    const ft = await open(await writeModel("ft.safetensors", model(1)));
    const out = join(tmp.dir, "tv.safetensors");
    await extractTaskVector({ base, finetuned: ft, out, encoding: { kind: "lowrank", rank: 3 }, deltaDtype: "F16" });
    const raw = await open(out);
    const m = raw.metadata;
    expect(m[TV_META.kind]).toBe("task-vector");
    expect(m[TV_META.format]).toBe("1");
    expect(m[TV_META.encoding]).toBe("lowrank");
    expect(JSON.parse(m[TV_META.encodingParams]).rank).toBe(3);
    expect(m[TV_META.deltaDtype]).toBe("F16");
    const manifest = JSON.parse(m[TV_META.manifest]);
    expect(manifest["position_ids"][0]).toBe("I64");
    expect(manifest["position_ids"][1]).toEqual([4]);
    expect(manifest["layers.0.attn.weight"][2]).toMatch(/^[0-9a-f]{64}$/);
    const err = JSON.parse(m[TV_META.encodingError]);
    expect(typeof err.relative_frobenius).toBe("number");
    expect(typeof err.per_tensor_max).toBe("number");
    expect(JSON.parse(m[TV_META.provenance]).created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(raw.info("layers.0.attn.weight::up").shape).toEqual([16, 3]);
    expect(raw.info("layers.0.attn.weight::down").shape).toEqual([3, 12]);
    expect(raw.info("layers.0.attn.weight::up").dtype).toBe("F16");
  });
});
