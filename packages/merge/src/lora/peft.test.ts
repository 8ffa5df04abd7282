import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GraftError } from "../errors";
import { fingerprintCheckpoint } from "../fingerprint";
import { openSafetensors } from "../safetensors";
import type { TensorReader } from "../types";
import { openTaskVector } from "../taskvector/format";
import { tempDir, writeSafetensors, type FixtureTensor } from "../taskvector/test-helpers";
import { importPeftAdapter, isTargetModule, matchPatternKey } from "./peft";

let tmp: Awaited<ReturnType<typeof tempDir>>;
const readers: TensorReader[] = [];
beforeEach(async () => {
  tmp = await tempDir("graft-peft-");
});
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  await tmp.cleanup();
});

// The hand-worked example: r = 2, lora_alpha = 4 → scale 2.
const A = [1, 0, 2, -1, 0, 1, 1, 3]; // [2, 4]
const B = [1, 2, 0, -1, 3, 1]; // [3, 2]
// B·A = [[1,2,4,5],[0,-1,-1,-3],[3,1,7,0]]
const BA = [1, 2, 4, 5, 0, -1, -1, -3, 3, 1, 7, 0];
const TWO_BA = BA.map((v) => 2 * v);
// (2·B·A)ᵀ, shape [4, 3]
const TWO_BA_T = [2, 0, 6, 4, -2, 2, 8, -2, 14, 10, -6, 0];

async function baseCheckpoint(tensors: FixtureTensor[]): Promise<TensorReader> {
  const path = join(tmp.dir, "base.safetensors");
  await writeSafetensors(path, tensors);
  const r = await openSafetensors(path);
  readers.push(r);
  return r;
}

const llamaBase: FixtureTensor[] = [
  { name: "model.layers.0.self_attn.q_proj.weight", dtype: "F32", shape: [3, 4], data: new Float32Array(12).fill(0.5) },
  { name: "model.layers.0.self_attn.v_proj.weight", dtype: "F32", shape: [3, 4], data: new Float32Array(12).fill(-0.25) },
  { name: "model.norm.weight", dtype: "F32", shape: [4], data: [1, 1, 1, 1] },
  { name: "lm_head.weight", dtype: "F32", shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] },
];

async function adapter(config: Record<string, unknown>, tensors: FixtureTensor[], name = "adapter"): Promise<string> {
  const dir = join(tmp.dir, name);
  const { mkdir } = await import("node:fs/promises");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "adapter_config.json"), JSON.stringify({ peft_type: "LORA", ...config }));
  if (tensors.length > 0) await writeSafetensors(join(dir, "adapter_model.safetensors"), tensors);
  return dir;
}

const qProj = (prefix = "base_model.model.model.layers.0.self_attn.q_proj", infix = ""): FixtureTensor[] => [
  { name: `${prefix}.lora_A${infix}.weight`, dtype: "F32", shape: [2, 4], data: A },
  { name: `${prefix}.lora_B${infix}.weight`, dtype: "F32", shape: [3, 2], data: B },
];

describe("importPeftAdapter", () => {
  it("imports delta = (alpha/r)·B·A losslessly as low-rank factors by default", async () => {
    const base = await baseCheckpoint(llamaBase);
    const dir = await adapter({ r: 2, lora_alpha: 4, target_modules: ["q_proj", "v_proj"], base_model_name_or_path: "tiny-llama" }, qProj());
    const out = join(tmp.dir, "tv.safetensors");
    const report = await importPeftAdapter({ adapterDir: dir, base, out });
    expect(report).toMatchObject({ modules: 1, fullTensors: 0, tensors: 1, encoding: "lowrank", relativeError: 0 });
    const tv = await openTaskVector(out);
    try {
      expect(tv.fingerprint).toBe((await fingerprintCheckpoint(base)).fingerprint);
      expect(tv.coveredTensors).toEqual(["model.layers.0.self_attn.q_proj.weight"]);
      expect(tv.storage("model.layers.0.self_attn.q_proj.weight")).toMatchObject({ kind: "lowrank", rank: 2 });
      const stored = await tv.readStored("model.layers.0.self_attn.q_proj.weight");
      if (stored?.kind !== "lowrank") throw new Error("expected factors");
      expect(Array.from(stored.up)).toEqual(B.map((v) => 2 * v)); // up = scale·B
      expect(Array.from(stored.down)).toEqual(A); // down = A
      expect(Array.from((await tv.readDelta("model.layers.0.self_attn.q_proj.weight"))!)).toEqual(TWO_BA);
      expect(await tv.readDelta("model.layers.0.self_attn.v_proj.weight")).toBeNull();
      const lora = tv.provenance.lora as Record<string, unknown>;
      expect(lora).toMatchObject({ r: 2, lora_alpha: 4, target_modules: ["q_proj", "v_proj"], use_rslora: false });
      expect((tv.provenance.adapter as Record<string, unknown>).base_model_name_or_path).toBe("tiny-llama");
      expect(tv.encodingParams).toMatchObject({ rank: 2, lossless: true });
    } finally {
      await tv.close();
    }
  });

  it("stores the same delta dense on request", async () => {
    const base = await baseCheckpoint(llamaBase);
    const dir = await adapter({ r: 2, lora_alpha: 4, target_modules: ["q_proj"] }, qProj());
    const out = join(tmp.dir, "tv.safetensors");
    await importPeftAdapter({ adapterDir: dir, base, out, encoding: { kind: "dense" } });
    const tv = await openTaskVector(out);
    try {
      expect(tv.encoding).toBe("dense");
      expect(tv.storage("model.layers.0.self_attn.q_proj.weight")?.kind).toBe("dense");
      expect(Array.from((await tv.readDelta("model.layers.0.self_attn.q_proj.weight"))!)).toEqual(TWO_BA);
    } finally {
      await tv.close();
    }
  });

  it("transposes the delta when fan_in_fan_out is set (GPT-2 Conv1D layout)", async () => {
    const base = await baseCheckpoint([{ name: "transformer.h.0.attn.c_attn.weight", dtype: "F32", shape: [4, 3], data: new Float32Array(12) }]);
    const dir = await adapter(
      { r: 2, lora_alpha: 4, target_modules: ["c_attn"], fan_in_fan_out: true },
      qProj("base_model.model.transformer.h.0.attn.c_attn"),
    );
    for (const encoding of [undefined, { kind: "dense" as const }]) {
      const out = join(tmp.dir, `tv-${encoding?.kind ?? "default"}.safetensors`);
      await importPeftAdapter({ adapterDir: dir, base, out, encoding });
      const tv = await openTaskVector(out);
      expect(Array.from((await tv.readDelta("transformer.h.0.attn.c_attn.weight"))!)).toEqual(TWO_BA_T);
      await tv.close();
    }
  });

  it("scales by alpha/√r under use_rslora", async () => {
    const base = await baseCheckpoint(llamaBase);
    const dir = await adapter({ r: 2, lora_alpha: 4, target_modules: ["q_proj"], use_rslora: true }, qProj());
    const out = join(tmp.dir, "tv.safetensors");
    await importPeftAdapter({ adapterDir: dir, base, out });
    const tv = await openTaskVector(out);
    try {
      const delta = (await tv.readDelta("model.layers.0.self_attn.q_proj.weight"))!;
      const scale = 4 / Math.sqrt(2);
      BA.forEach((v, i) => expect(delta[i]).toBeCloseTo(scale * v, 5));
    } finally {
      await tv.close();
    }
  });

  it("maps keys across a leading model. prefix difference and named-adapter key variants", async () => {
    const base = await baseCheckpoint(llamaBase);
    // Adapter trained on the bare decoder (no "model." in module paths), keys with the adapter name kept.
    const dir = await adapter({ r: 2, lora_alpha: 4, target_modules: ["q_proj"] }, qProj("base_model.model.layers.0.self_attn.q_proj", ".default"));
    const out = join(tmp.dir, "tv.safetensors");
    await importPeftAdapter({ adapterDir: dir, base, out, encoding: { kind: "dense" } });
    const tv = await openTaskVector(out);
    expect(Array.from((await tv.readDelta("model.layers.0.self_attn.q_proj.weight"))!)).toEqual(TWO_BA);
    await tv.close();
  });

  it("applies rank_pattern and alpha_pattern per module and accepts a regex target_modules", async () => {
    const base = await baseCheckpoint(llamaBase);
    const v: FixtureTensor[] = [
      { name: "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight", dtype: "F32", shape: [1, 4], data: [1, 2, 3, 4] },
      { name: "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight", dtype: "F32", shape: [3, 1], data: [1, 0, -1] },
    ];
    const dir = await adapter(
      {
        r: 2,
        lora_alpha: 4,
        target_modules: "model\\.layers\\.\\d+\\.self_attn\\.(q|v)_proj",
        rank_pattern: { v_proj: 1 },
        alpha_pattern: { "layers.0.self_attn.v_proj": 3 },
      },
      [...qProj(), ...v],
    );
    const out = join(tmp.dir, "tv.safetensors");
    const report = await importPeftAdapter({ adapterDir: dir, base, out });
    expect(report.modules).toBe(2);
    const tv = await openTaskVector(out);
    try {
      expect(Array.from((await tv.readDelta("model.layers.0.self_attn.v_proj.weight"))!)).toEqual([3, 6, 9, 12, 0, 0, 0, 0, -3, -6, -9, -12]);
      expect(Array.from((await tv.readDelta("model.layers.0.self_attn.q_proj.weight"))!)).toEqual(TWO_BA);
    } finally {
      await tv.close();
    }
  });

  it("imports embedding LoRA as scale·(B·A)ᵀ and modules_to_save tensors as saved − base", async () => {
    const base = await baseCheckpoint([
      ...llamaBase,
      { name: "model.embed_tokens.weight", dtype: "F32", shape: [4, 3], data: new Float32Array(12) },
    ]);
    const dir = await adapter({ r: 2, lora_alpha: 4, target_modules: ["embed_tokens"], modules_to_save: ["lm_head"] }, [
      { name: "base_model.model.model.embed_tokens.lora_embedding_A", dtype: "F32", shape: [2, 4], data: A },
      { name: "base_model.model.model.embed_tokens.lora_embedding_B", dtype: "F32", shape: [3, 2], data: B },
      { name: "base_model.model.lm_head.modules_to_save.default.weight", dtype: "F32", shape: [2, 4], data: [2, 2, 3, 4, 5, 6, 7, 10] },
    ]);
    const out = join(tmp.dir, "tv.safetensors");
    const report = await importPeftAdapter({ adapterDir: dir, base, out });
    expect(report).toMatchObject({ modules: 1, fullTensors: 1, tensors: 2 });
    const tv = await openTaskVector(out);
    try {
      expect(Array.from((await tv.readDelta("model.embed_tokens.weight"))!)).toEqual(TWO_BA_T);
      expect(tv.storage("lm_head.weight")?.kind).toBe("dense");
      expect(Array.from((await tv.readDelta("lm_head.weight"))!)).toEqual([1, 0, 0, 0, 0, 0, 0, 2]);
    } finally {
      await tv.close();
    }
  });

  it("rejects unmapped keys, listing them all, and writes nothing", async () => {
    const base = await baseCheckpoint(llamaBase);
    const dir = await adapter({ r: 2, lora_alpha: 4, target_modules: ["q_proj", "up_proj", "gate_proj"] }, [
      ...qProj(),
      ...qProj("base_model.model.model.layers.0.mlp.up_proj"),
      ...qProj("base_model.model.model.layers.0.mlp.gate_proj"),
    ]);
    const out = join(tmp.dir, "tv.safetensors");
    const err = await importPeftAdapter({ adapterDir: dir, base, out }).catch((e) => e);
    expect(err).toBeInstanceOf(GraftError);
    expect(err.code).toBe("MISMATCH");
    expect(err.message).toContain("2 problems");
    expect(err.details).toEqual([
      "unmapped adapter key base_model.model.model.layers.0.mlp.gate_proj.lora_A.weight: the base has no tensor model.layers.0.mlp.gate_proj.weight",
      "unmapped adapter key base_model.model.model.layers.0.mlp.up_proj.lora_A.weight: the base has no tensor model.layers.0.mlp.up_proj.weight",
    ]);
    expect(await tmp.list()).toEqual(["adapter", "base.safetensors"]);
  });

  it("rejects modules outside target_modules and shapes that do not fit the base", async () => {
    const base = await baseCheckpoint(llamaBase);
    const notTargeted = await adapter({ r: 2, lora_alpha: 4, target_modules: ["v_proj"] }, qProj(), "a1");
    const e1 = await importPeftAdapter({ adapterDir: notTargeted, base, out: join(tmp.dir, "x.safetensors") }).catch((e) => e);
    expect(e1.code).toBe("MISMATCH");
    expect(e1.message).toContain('does not match target_modules ["v_proj"]');
    const transposed = await adapter({ r: 2, lora_alpha: 4, target_modules: ["q_proj"], fan_in_fan_out: true }, qProj(), "a2");
    const e2 = await importPeftAdapter({ adapterDir: transposed, base, out: join(tmp.dir, "x.safetensors") }).catch((e) => e);
    expect(e2.code).toBe("MISMATCH");
    expect(e2.message).toContain("delta shape [4,3]");
    const wrongRank = await adapter({ r: 4, lora_alpha: 4, target_modules: ["q_proj"] }, qProj(), "a3");
    const e3 = await importPeftAdapter({ adapterDir: wrongRank, base, out: join(tmp.dir, "x.safetensors") }).catch((e) => e);
    expect(e3.message).toContain("do not have rank r=4");
  });

  it("refuses DoRA adapters", async () => {
    const base = await baseCheckpoint(llamaBase);
    const flagged = await adapter({ r: 2, lora_alpha: 4, target_modules: ["q_proj"], use_dora: true }, qProj(), "d1");
    const e1 = await importPeftAdapter({ adapterDir: flagged, base, out: join(tmp.dir, "x.safetensors") }).catch((e) => e);
    expect(e1.code).toBe("UNSUPPORTED");
    expect(e1.message).toContain("DoRA");
    const magnitude = await adapter(
      { r: 2, lora_alpha: 4, target_modules: ["q_proj"] },
      [...qProj(), { name: "base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector", dtype: "F32", shape: [3], data: [1, 1, 1] }],
      "d2",
    );
    const e2 = await importPeftAdapter({ adapterDir: magnitude, base, out: join(tmp.dir, "x.safetensors") }).catch((e) => e);
    expect(e2.code).toBe("UNSUPPORTED");
    expect(e2.message).toContain("DoRA");
    expect(await tmp.list()).toEqual(["base.safetensors", "d1", "d2"]);
  });

  it("refuses pickle adapters and reports a missing config", async () => {
    const base = await baseCheckpoint(llamaBase);
    const dir = await adapter({ r: 2, lora_alpha: 4 }, [], "pickled");
    await writeFile(join(dir, "adapter_model.bin"), new Uint8Array([0x80, 0x02, 0x7d]));
    const err = await importPeftAdapter({ adapterDir: dir, base, out: join(tmp.dir, "x.safetensors") }).catch((e) => e);
    expect(err.code).toBe("UNSAFE_FORMAT");
    expect(err.message).toContain("pickle checkpoints can execute arbitrary code when loaded; Graft only reads safetensors");
    const missing = await importPeftAdapter({ adapterDir: join(tmp.dir, "nope"), base, out: join(tmp.dir, "x.safetensors") }).catch((e) => e);
    expect(missing.code).toBe("NOT_FOUND");
    expect(missing.message).toContain("adapter_config.json");
  });
});

describe("PEFT module matching rules", () => {
  it("matches list targets by name or dotted suffix and string targets as a full regex", () => {
    expect(isTargetModule(["q_proj"], "model.layers.0.self_attn.q_proj")).toBe(true);
    expect(isTargetModule(["q_proj"], "model.layers.0.self_attn.xq_proj")).toBe(false);
    expect(isTargetModule(".*q_proj", "model.layers.0.self_attn.q_proj")).toBe(true);
    expect(isTargetModule("q_proj", "model.layers.0.self_attn.q_proj")).toBe(false);
    expect(isTargetModule("all-linear", "anything")).toBe(true);
    expect(isTargetModule(null, "anything")).toBe(true);
  });

  it("matches rank_pattern keys on a dotted-suffix boundary", () => {
    expect(matchPatternKey({ v_proj: 4 }, "model.layers.0.self_attn.v_proj")).toBe(4);
    expect(matchPatternKey({ v_proj: 4 }, "model.layers.0.self_attn.xv_proj")).toBeUndefined();
    expect(matchPatternKey({ "^model.layers.0": 4 }, "model.layers.0.self_attn.v_proj")).toBeUndefined();
  });
});
