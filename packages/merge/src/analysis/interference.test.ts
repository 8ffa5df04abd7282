import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GraftError } from "../errors";
import { openSafetensors } from "../safetensors";
import { extractTaskVector, seedFromString, type TaskVectorEncoding } from "../taskvector";
import { randn, tempDir, writeSafetensors, type FixtureTensor } from "../taskvector/test-helpers";
import { analyseInterference, type InterferenceProgress } from "./interference";
import { formatInterferenceTable } from "./table";
import { foundationManifest, writeDenseTaskVector } from "./test-helpers";
import { classifyInterference, INTERFERENCE_THRESHOLDS } from "./verdict";

let tmp: Awaited<ReturnType<typeof tempDir>>;

beforeEach(async () => {
  tmp = await tempDir("graft-analysis-");
});
afterEach(async () => {
  await tmp.cleanup();
});

async function expectGraftError(action: () => Promise<unknown>, code: string, message: RegExp): Promise<GraftError> {
  let error: unknown;
  try {
    await action();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(GraftError);
  const g = error as GraftError;
  expect(g.code).toBe(code);
  expect(g.message).toMatch(message);
  expect(g.message).not.toContain("\n");
  return g;
}

const SHAPES: { name: string; shape: number[] }[] = [
  { name: "model.embed_tokens.weight", shape: [10, 6] },
  { name: "model.layers.0.mlp.weight", shape: [12, 8] },
  { name: "model.layers.1.mlp.weight", shape: [12, 8] },
];

function checkpoint(values: (name: string, numel: number) => Float32Array): FixtureTensor[] {
  return SHAPES.map(({ name, shape }) => ({ name, dtype: "F32", shape, data: values(name, shape[0] * shape[1]) }));
}

/** Extracts a task vector for `ft` against `base` through the real extraction. */
async function extract(baseTensors: FixtureTensor[], ftTensors: FixtureTensor[], name: string, encoding: TaskVectorEncoding = { kind: "dense" }): Promise<string> {
  const basePath = join(tmp.dir, `base-for-${name}`);
  const ftPath = join(tmp.dir, `ft-for-${name}`);
  await writeSafetensors(basePath, baseTensors);
  await writeSafetensors(ftPath, ftTensors);
  const base = await openSafetensors(basePath);
  const ft = await openSafetensors(ftPath);
  const out = join(tmp.dir, name);
  try {
    await extractTaskVector({ base, finetuned: ft, out, encoding });
  } finally {
    await base.close();
    await ft.close();
  }
  return out;
}

const zeros = checkpoint((_, n) => new Float32Array(n));
const skill = checkpoint((name, n) => randn(n, seedFromString(name), 0.02));
const negated = checkpoint((name, n) => randn(n, seedFromString(name), 0.02).map((x) => -x));

describe("analyseInterference on extracted task vectors", () => {
  it("reports identical vectors as cosine 1, full overlap and no sign conflicts", async () => {
    const a = await extract(zeros, skill, "a.safetensors");
    const b = await extract(zeros, skill, "b.safetensors");
    const report = await analyseInterference([a, b]);
    expect(report.pairs).toHaveLength(1);
    const p = report.pairs[0];
    expect(p.cosine).toBeCloseTo(1, 12);
    expect(p.overlap).toBe(1);
    expect(p.jaccard).toBe(1);
    expect(p.signConflictRate).toBe(0);
    expect(p.conflicts).toBe(0);
    // floor(0.2 · 60) + 2 · floor(0.2 · 96)
    expect(report.kTotal).toBe(12 + 19 + 19);
    expect(p.maskSizes).toEqual([50, 50]);
    expect(p.verdict.level).toBe("aligned");
    expect(report.overall.level).toBe("aligned");
    expect(report.vectors[0].norm).toBeCloseTo(report.vectors[1].norm, 12);
    expect(report.vectors[0].norm).toBeGreaterThan(0);
  });

  it("reports a vector and its negation as cosine −1 with every shared position conflicting", async () => {
    const a = await extract(zeros, skill, "skill.safetensors");
    const b = await extract(zeros, negated, "anti-skill.safetensors");
    const report = await analyseInterference([a, b]);
    const p = report.pairs[0];
    expect(p.cosine).toBeCloseTo(-1, 12);
    expect(p.overlap).toBe(1);
    expect(p.signConflictRate).toBe(1);
    expect(p.verdict.level).toBe("conflicting");
    expect(report.overall.recommendedMethod).toBe("ties");
    for (const layer of p.layers) {
      expect(layer.cosine).toBeCloseTo(-1, 12);
      expect(layer.signConflictRate).toBe(1);
    }
  });

  it("decodes sparse task vectors: two sparse copies of one skill overlap fully", async () => {
    const a = await extract(zeros, skill, "s1.safetensors", { kind: "sparse", density: 0.3 });
    const b = await extract(zeros, skill, "s2.safetensors", { kind: "sparse", density: 0.3 });
    const report = await analyseInterference([a, b], { topFraction: 0.2 });
    expect(report.vectors.map((v) => v.encoding)).toEqual(["sparse", "sparse"]);
    expect(report.pairs[0].cosine).toBeCloseTo(1, 12);
    expect(report.pairs[0].overlap).toBe(1);
  });

  it("finds unrelated random skills independent: cosine near 0, overlap near topFraction", async () => {
    const big: FixtureTensor[] = [{ name: "model.layers.0.w", dtype: "F32", shape: [200, 100], data: randn(20000, 1, 0.02) }];
    const bigOther: FixtureTensor[] = [{ name: "model.layers.0.w", dtype: "F32", shape: [200, 100], data: randn(20000, 2, 0.02) }];
    const bigZero: FixtureTensor[] = [{ name: "model.layers.0.w", dtype: "F32", shape: [200, 100], data: new Float32Array(20000) }];
    const a = await extract(bigZero, big, "x.safetensors");
    const b = await extract(bigZero, bigOther, "y.safetensors");
    const report = await analyseInterference([a, b]);
    const p = report.pairs[0];
    expect(Math.abs(p.cosine)).toBeLessThan(0.03);
    expect(p.overlap).toBeGreaterThan(0.15);
    expect(p.overlap).toBeLessThan(0.25);
    expect(p.signConflictRate).toBeGreaterThan(0.4);
    expect(p.signConflictRate).toBeLessThan(0.6);
    expect(p.verdict.level).toBe("independent");
    expect(report.overall.recommendedMethod).toBe("task_arithmetic");
  });
});

describe("analyseInterference on hand-written task vectors", () => {
  it("reports vectors on disjoint tensors as cosine 0 and overlap 0", async () => {
    const manifest = foundationManifest([
      { name: "model.layers.0.w", shape: [4] },
      { name: "model.layers.1.w", shape: [4] },
    ]);
    const a = await writeDenseTaskVector(join(tmp.dir, "a.safetensors"), manifest, { "model.layers.0.w": [1, -2, 3, -4] });
    const b = await writeDenseTaskVector(join(tmp.dir, "b.safetensors"), manifest, { "model.layers.1.w": [5, 6, -7, 8] });
    const report = await analyseInterference([a, b], { topFraction: 0.5 });
    const p = report.pairs[0];
    expect(p.cosine).toBe(0);
    expect(p.overlap).toBe(0);
    expect(p.jaccard).toBe(0);
    expect(p.signConflictRate).toBe(0);
    expect(p.maskSizes).toEqual([2, 2]);
    expect(p.verdict.level).toBe("independent");
    expect(report.tensors).toBe(2);
    expect(report.vectors.map((v) => v.coveredTensors)).toEqual([1, 1]);
    expect(report.vectors[0].norm).toBeCloseTo(Math.sqrt(30), 12);
    expect(report.vectors[1].norm).toBeCloseTo(Math.sqrt(174), 12);
    expect(report.layers.map((l) => [l.group, l.norms[0], l.norms[1]])).toEqual([
      ["0", Math.sqrt(30), 0],
      ["1", 0, Math.sqrt(174)],
    ]);
  });

  it("computes overlap, Jaccard and sign conflicts of a hand-worked two-tensor example", async () => {
    const manifest = foundationManifest([
      { name: "model.layers.0.w", shape: [2, 4] },
      { name: "lm_head.weight", shape: [5] },
    ]);
    // topFraction 0.5 → k = 4 for the 8-element tensor, 2 for the 5-element one.
    //   A layer 0: |x| = 4 3 .5 2 1 0 3 .25 → mask {0, 1, 3, 6}
    //   B layer 0: |x| = 1 2 5 2 0 0 2 7    → 7, 5, then the tie at 2 goes to indices 1, 3 (not 6): {1, 2, 3, 7}
    //     shared {1, 3}: index 1 (−3 vs +2) conflicts, index 3 (+2 vs +2) agrees
    //   A head: only two non-zeros → {2, 3};  B head: 3, then the tie at .5 goes to index 2: {1, 2}
    //     shared {2}: +1 vs −0.5 conflicts
    const a = await writeDenseTaskVector(join(tmp.dir, "a.safetensors"), manifest, {
      "model.layers.0.w": [4, -3, 0.5, 2, -1, 0, 3, 0.25],
      "lm_head.weight": [0, 0, 1, -1, 0],
    });
    const b = await writeDenseTaskVector(join(tmp.dir, "b.safetensors"), manifest, {
      "model.layers.0.w": [1, 2, -5, 2, 0, 0, -2, 7],
      "lm_head.weight": [0, 3, -0.5, 0.5, 0],
    });
    const report = await analyseInterference([a, b], { topFraction: 0.5 });
    const p = report.pairs[0];
    expect(report.kTotal).toBe(6);
    expect(p.maskSizes).toEqual([6, 6]);
    expect(p.shared).toBe(3);
    expect(p.conflicts).toBe(2);
    expect(p.overlap).toBe(0.5);
    expect(p.jaccard).toBeCloseTo(1 / 3, 15);
    expect(p.signConflictRate).toBeCloseTo(2 / 3, 15);
    // dot = −4.75 (layer 0) − 1 (head); |a|² = 39.3125 + 2; |b|² = 87 + 9.5
    expect(p.cosine).toBeCloseTo(-5.75 / Math.sqrt(41.3125 * 96.5), 12);
    expect(report.vectors[0].norm).toBeCloseTo(Math.sqrt(41.3125), 12);
    expect(report.vectors[1].norm).toBeCloseTo(Math.sqrt(96.5), 12);

    const [layer0, other] = p.layers;
    expect(layer0).toMatchObject({ group: "0", shared: 2, conflicts: 1, overlap: 0.5, signConflictRate: 0.5, maskSizes: [4, 4] });
    expect(layer0.jaccard).toBeCloseTo(1 / 3, 15);
    expect(layer0.cosine).toBeCloseTo(-4.75 / Math.sqrt(39.3125 * 87), 12);
    expect(other).toMatchObject({ group: "other", shared: 1, conflicts: 1, overlap: 0.5, signConflictRate: 1, maskSizes: [2, 2] });
    expect(other.cosine).toBeCloseTo(-1 / Math.sqrt(2 * 9.5), 12);
  });

  it("groups tensors by layer index, with embeddings and heads under 'other'", async () => {
    const manifest = foundationManifest([
      { name: "model.embed_tokens.weight", shape: [6] },
      { name: "model.layers.10.mlp.w", shape: [6] },
      { name: "model.layers.2.attn.q", shape: [6] },
      { name: "model.layers.2.attn.k", shape: [6] },
      { name: "lm_head.weight", shape: [6] },
    ]);
    const v = [1, -2, 3, -4, 5, -6];
    const neg = v.map((x) => -x);
    const a = await writeDenseTaskVector(join(tmp.dir, "a.safetensors"), manifest, {
      "model.embed_tokens.weight": v,
      "model.layers.2.attn.q": v,
      "model.layers.2.attn.k": v,
      "model.layers.10.mlp.w": v,
    });
    const b = await writeDenseTaskVector(join(tmp.dir, "b.safetensors"), manifest, {
      "model.layers.2.attn.q": v,
      "model.layers.2.attn.k": v,
      "model.layers.10.mlp.w": neg,
      "lm_head.weight": v,
    });
    const progress: InterferenceProgress[] = [];
    const report = await analyseInterference([a, b], { onProgress: (p) => progress.push(p) });
    expect(report.layers.map((l) => [l.group, l.layer, l.tensors, l.elements])).toEqual([
      ["2", 2, 2, 12],
      ["10", 10, 1, 6],
      ["other", null, 2, 12],
    ]);
    const byGroup = Object.fromEntries(report.pairs[0].layers.map((l) => [l.group, l]));
    expect(byGroup["2"].cosine).toBeCloseTo(1, 12);
    expect(byGroup["2"].verdict.level).toBe("aligned");
    expect(byGroup["10"].cosine).toBeCloseTo(-1, 12);
    expect(byGroup["10"].verdict.level).toBe("conflicting");
    expect(byGroup.other.cosine).toBe(0); // embeddings (a only) and head (b only) never meet
    expect(byGroup.other.overlap).toBe(0);
    // Layer norms add up to the whole-vector norm.
    const sq = (i: number) => report.layers.reduce((s, l) => s + l.norms[i] ** 2, 0);
    expect(sq(0)).toBeCloseTo(report.vectors[0].norm ** 2, 10);
    expect(sq(1)).toBeCloseTo(report.vectors[1].norm ** 2, 10);
    // The union of covered tensors is streamed once each, in name order (code points).
    expect(progress.map((p) => p.tensor)).toEqual([
      "lm_head.weight",
      "model.embed_tokens.weight",
      "model.layers.10.mlp.w",
      "model.layers.2.attn.k",
      "model.layers.2.attn.q",
    ]);
    expect(progress.at(-1)).toMatchObject({ done: 5, total: 5 });
  });

  it("compares every pair of three vectors and lets the worst pair set the overall verdict", async () => {
    const manifest = foundationManifest([
      { name: "model.layers.0.w", shape: [4] },
      { name: "model.layers.1.w", shape: [4] },
    ]);
    const math = await writeDenseTaskVector(join(tmp.dir, "math.safetensors"), manifest, { "model.layers.0.w": [1, -2, 3, -4] });
    const code = await writeDenseTaskVector(join(tmp.dir, "code.safetensors"), manifest, { "model.layers.1.w": [5, 6, -7, 8] });
    const antiMath = await writeDenseTaskVector(join(tmp.dir, "anti-math.safetensors"), manifest, { "model.layers.0.w": [-1, 2, -3, 4] });
    const report = await analyseInterference([math, code, antiMath], { topFraction: 0.5 });
    expect(report.pairs.map((p) => [p.a, p.b, p.label, p.verdict.level])).toEqual([
      [0, 1, "math.safetensors vs code.safetensors", "independent"],
      [0, 2, "math.safetensors vs anti-math.safetensors", "conflicting"],
      [1, 2, "code.safetensors vs anti-math.safetensors", "independent"],
    ]);
    expect(report.overall.level).toBe("conflicting");
    expect(report.overall.pairs).toEqual(["math.safetensors vs anti-math.safetensors"]);
    expect(report.overall.recommendedMethod).toBe("ties");

    // The report is plain data: it survives a JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);

    const table = formatInterferenceTable(report);
    const lines = table.split("\n");
    expect(table).toContain("math.safetensors");
    const header = lines.find((l) => l.startsWith("pair"))!;
    expect(header).toMatch(/^pair\s+cosine\s+overlap\s+jaccard\s+sign conflicts\s+verdict$/);
    const row13 = lines.find((l) => l.startsWith("1-3"))!;
    expect(row13).toMatch(/^1-3\s+-1\.0000\s+1\.0000\s+1\.0000\s+1\.0000\s+conflicting: /);
    // Fixed width: the figure columns line up under their headers.
    expect(row13.indexOf("conflicting")).toBe(header.indexOf("verdict"));
    expect(table).toContain("Per layer, pair 1-3 (math.safetensors vs anti-math.safetensors):");
    expect(lines.some((l) => /^\s+0\s+-1\.0000/.test(l))).toBe(true);
    expect(table).toContain("Recommended method: ties");
    expect(lines.every((l) => l === l.trimEnd())).toBe(true);
  });
});

describe("analyseInterference refusals", () => {
  it("refuses vectors of different foundations before reading any tensor data", async () => {
    const shapes = [{ name: "model.layers.0.w", shape: [4] }];
    // NaN deltas: reading them would fail with UNSUPPORTED, so FINGERPRINT_MISMATCH proves nothing was read.
    const a = await writeDenseTaskVector(join(tmp.dir, "a.safetensors"), foundationManifest(shapes, "one"), { "model.layers.0.w": [NaN, 1, 2, 3] });
    const b = await writeDenseTaskVector(join(tmp.dir, "b.safetensors"), foundationManifest(shapes, "two"), { "model.layers.0.w": [NaN, 1, 2, 3] });
    const progress: InterferenceProgress[] = [];
    const error = await expectGraftError(
      () => analyseInterference([a, b], { onProgress: (p) => progress.push(p) }),
      "FINGERPRINT_MISMATCH",
      /b\.safetensors.*a\.safetensors/,
    );
    expect(error.message).toContain(a);
    expect(error.message).toContain(b);
    expect(progress).toEqual([]);

    // The same data against one foundation is read, and refused for its NaN.
    const c = await writeDenseTaskVector(join(tmp.dir, "c.safetensors"), foundationManifest(shapes, "one"), { "model.layers.0.w": [1, 1, 2, 3] });
    await expectGraftError(() => analyseInterference([c, a]), "UNSUPPORTED", /a\.safetensors.*NaN or infinite/);
  });

  it("refuses fewer than two task vectors", async () => {
    const manifest = foundationManifest([{ name: "w", shape: [2] }]);
    const a = await writeDenseTaskVector(join(tmp.dir, "a.safetensors"), manifest, { w: [1, 2] });
    await expectGraftError(() => analyseInterference([a]), "INVALID_ARGUMENT", /at least two task vectors, got 1/);
    await expectGraftError(() => analyseInterference([]), "INVALID_ARGUMENT", /at least two task vectors, got 0/);
  });

  it("refuses a topFraction outside (0, 1]", async () => {
    const manifest = foundationManifest([{ name: "w", shape: [2] }]);
    const a = await writeDenseTaskVector(join(tmp.dir, "a.safetensors"), manifest, { w: [1, 2] });
    for (const bad of [0, -0.1, 1.5, NaN]) {
      await expectGraftError(() => analyseInterference([a, a], { topFraction: bad }), "INVALID_ARGUMENT", /topFraction/);
    }
  });

  it("refuses files that are not task vectors", async () => {
    const plain = join(tmp.dir, "plain.safetensors");
    await writeSafetensors(plain, [{ name: "w", dtype: "F32", shape: [2], data: [1, 2] }]);
    const manifest = foundationManifest([{ name: "w", shape: [2] }]);
    const a = await writeDenseTaskVector(join(tmp.dir, "a.safetensors"), manifest, { w: [1, 2] });
    await expectGraftError(() => analyseInterference([a, plain]), "INVALID_ARGUMENT", /not a Graft task vector/);
  });
});

describe("interference verdicts", () => {
  const t = INTERFERENCE_THRESHOLDS;
  it("follows the documented thresholds", () => {
    expect(t).toEqual({ independentCosine: 0.05, alignedCosine: 0.3, opposedCosine: -0.3, conflictHigh: 0.4, overlapHigh: 0.3, conflictLow: 0.2 });
    expect(classifyInterference({ cosine: 0.01, overlap: 0.2, signConflictRate: 0.5 }).level).toBe("independent");
    expect(classifyInterference({ cosine: 0.01, overlap: 0.5, signConflictRate: 0.1 }).level).toBe("independent");
    expect(classifyInterference({ cosine: 0.01, overlap: 0.5, signConflictRate: 0.3 }).level).toBe("partial");
    expect(classifyInterference({ cosine: 0.31, overlap: 0.9, signConflictRate: 0 }).level).toBe("aligned");
    expect(classifyInterference({ cosine: -0.31, overlap: 0.9, signConflictRate: 0.9 }).level).toBe("conflicting");
    expect(classifyInterference({ cosine: 0.35, overlap: 0.31, signConflictRate: 0.41 }).level).toBe("conflicting");
    expect(classifyInterference({ cosine: 0.1, overlap: 0.2, signConflictRate: 0.5 }).level).toBe("partial");
    expect(classifyInterference({ cosine: -0.2, overlap: 0.2, signConflictRate: 0.5 }).recommendedMethod).toBe("ties");
    expect(classifyInterference({ cosine: 0, overlap: 0, signConflictRate: 0 }).message).toBe("independent: safe to add");
  });
});
