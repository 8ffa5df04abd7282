import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCheckpoint } from "@graft/merge";
import { equip, loadCheckpoint, saveCheckpoint } from "./checkpoint";
import { loadCorpus } from "./datasets";
import { evaluateCheckpoint, evaluateModel } from "./evaluate";
import { generate } from "./generate";
import { mergeVectors } from "./merge";
import { disposeParams, fromParams, initWeights, toParams } from "./model";
import { modelConfig, TINY_CONFIG, trainDemo, type DemoModels } from "./pipeline";
import { train } from "./train";

let root: string;
let models: DemoModels;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "graft-lab-"));
  models = await trainDemo(TINY_CONFIG, { cacheRoot: root });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("training", () => {
  it("lowers the training loss from the untrained model", async () => {
    const config = modelConfig(TINY_CONFIG);
    const text = loadCorpus("names", TINY_CONFIG.data).splits.train;
    const result = await train(config, initWeights(config, 3), text, { steps: 80, batch: 64, learningRate: 1e-2, seed: 3 });
    expect(result.lastLoss).toBeLessThan(result.firstLoss * 0.85);
  });

  it("gives the same weights for the same seed, and is served from the cache the second time", async () => {
    const again = await trainDemo(TINY_CONFIG, { cacheRoot: root });
    expect(again.dir).toBe(models.dir);
    expect(again.seconds).toBe(models.seconds);
    const other = mkdtempSync(join(tmpdir(), "graft-lab-rerun-"));
    try {
      const rerun = await trainDemo(TINY_CONFIG, { cacheRoot: other });
      expect(readFileSync(join(rerun.foundationDir, "model.safetensors")).equals(readFileSync(join(models.foundationDir, "model.safetensors")))).toBe(true);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe("safetensors export", () => {
  it("round-trips every weight bit-exactly, under stable tensor names", async () => {
    const loaded = await loadCheckpoint(models.foundationDir);
    const out = join(root, "roundtrip");
    await saveCheckpoint(out, loaded.config, loaded.weights);
    const back = await loadCheckpoint(out);
    expect([...back.weights.keys()]).toEqual(["embed.weight", "head.bias", "head.weight", "layers.0.bias", "layers.0.weight", "layers.1.bias", "layers.1.weight"]);
    for (const [name, values] of loaded.weights) {
      expect(Buffer.from(back.weights.get(name)!.buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
    }
    // And through live tfjs variables: what the model computes with is what was stored.
    const params = toParams(back.config, back.weights);
    const fromTf = await fromParams(params);
    disposeParams(params);
    for (const [name, values] of loaded.weights) expect(Buffer.from(fromTf.get(name)!.buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
    const reader = await openCheckpoint(out);
    expect(reader.tensors.every((t) => t.dtype === "F32")).toBe(true);
    await reader.close();
  });

  it("refuses a checkpoint that is not of this model family, naming the tensor", async () => {
    const loaded = await loadCheckpoint(models.foundationDir);
    const bad = join(root, "bad");
    const weights = new Map(loaded.weights);
    const config = { ...loaded.config, hidden: loaded.config.hidden };
    await saveCheckpoint(bad, config, weights);
    // Rewrite with a head of the wrong width.
    const { createCheckpointWriter } = await import("@graft/merge");
    const w = await createCheckpointWriter(bad, [{ name: "embed.weight", dtype: "F32", shape: [loaded.config.vocab, loaded.config.embed] }, { name: "layers.0.weight", dtype: "F32", shape: [3, 5] }], { overwrite: true });
    await w.write("embed.weight", new Uint8Array(loaded.weights.get("embed.weight")!.buffer));
    await w.write("layers.0.weight", new Uint8Array(60));
    await w.finish();
    await expect(loadCheckpoint(bad)).rejects.toThrow(/layers\.0\.weight|not a demo language model/);
  });
});

describe("task vectors", () => {
  it("fine-tuning improves each task over the foundation", () => {
    for (const task of TINY_CONFIG.tasks) {
      expect(models.metrics[task]![task]!.accuracy).toBeGreaterThan(models.metrics.foundation![task]!.accuracy);
    }
  });

  it("adding a vector with the merge engine improves its task; subtracting it worsens it", async () => {
    const vector = models.tasks.names!.vectorPath;
    const suite = models.suites.names!;
    const base = await evaluateCheckpoint(models.foundationDir, suite);
    expect(base).toEqual(models.metrics.foundation!.names);
    await mergeVectors(models.foundationDir, [vector], { method: "task_arithmetic", lambda: 1 }, join(root, "plus"));
    await mergeVectors(models.foundationDir, [vector], { method: "task_arithmetic", lambda: 1, weights: [-1] }, join(root, "minus"));
    const plus = await evaluateCheckpoint(join(root, "plus"), suite);
    const minus = await evaluateCheckpoint(join(root, "minus"), suite);
    expect(plus.bitsPerChar).toBeLessThan(base.bitsPerChar);
    expect(plus.accuracy).toBeGreaterThan(base.accuracy);
    expect(minus.bitsPerChar).toBeGreaterThan(base.bitsPerChar);
  });

  it("equipping in memory gives the same model as the merge engine's task_arithmetic", async () => {
    const base = await loadCheckpoint(models.foundationDir);
    const vectors = TINY_CONFIG.tasks.map((t) => models.tasks[t]!.vectorPath);
    const inMemory = await equip(base, models.foundationDir, vectors.map((path) => ({ path, weight: 0.5 })));
    await mergeVectors(models.foundationDir, vectors, { method: "task_arithmetic", lambda: 1, weights: [0.5, 0.5] }, join(root, "sum"));
    const merged = await loadCheckpoint(join(root, "sum"));
    for (const [name, values] of merged.weights) {
      const mine = inMemory.weights.get(name)!;
      let maxDiff = 0;
      for (let i = 0; i < values.length; i++) maxDiff = Math.max(maxDiff, Math.abs(values[i]! - mine[i]!));
      expect(maxDiff, name).toBeLessThan(1e-6);
    }
    const suite = models.suites.control!;
    expect(evaluateModel(inMemory, suite).accuracy).toBeCloseTo((await evaluateCheckpoint(join(root, "sum"), suite)).accuracy, 5);
  });
});

describe("generation", () => {
  it("is deterministic for a seed, greedy by default, and only emits vocabulary characters", async () => {
    const model = await loadCheckpoint(models.foundationDir);
    const a = generate(model, "The ", { maxChars: 40, temperature: 0.8, seed: 5 });
    expect(a).toHaveLength(40);
    expect(generate(model, "The ", { maxChars: 40, temperature: 0.8, seed: 5 })).toBe(a);
    expect(generate(model, "The ", { maxChars: 20 })).toBe(generate(model, "The ", { maxChars: 20 }));
    expect(a).toMatch(/^[\n a-z0-9.,;:!?'"\-()$/@~]*$/);
  });
});
