import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyseInterference, type InterferenceReport } from "../analysis/interference";
import { foundationManifest, writeDenseTaskVector } from "../analysis/test-helpers";
import { fingerprintFromManifest } from "../fingerprint";
import { openTaskVector } from "../taskvector";
import { randn, tempDir } from "../taskvector/test-helpers";
import { estimateInterference, type EstimatedInterference } from "./estimate";
import { sketchTaskVector, type VectorSketch } from "./sketch";

/** Stated tolerances of the estimates against the exact analysis (absolute). */
const TOLERANCE = { cosine: 0.05, overlap: 0.05, signConflictRate: 0.06 };

const TENSORS = [
  { name: "model.embed_tokens.weight", shape: [256, 128] },
  { name: "model.layers.0.mlp.weight", shape: [256, 256] },
  { name: "model.layers.1.mlp.weight", shape: [256, 256] },
  { name: "model.layers.2.self_attn.q_proj.weight", shape: [256, 256] },
];
const manifest = foundationManifest(TENSORS);
const numelOf = (s: number[]) => s[0] * s[1];

function mix(parts: [number, Float32Array][]): Float32Array {
  const out = new Float32Array(parts[0][1].length);
  for (const [w, v] of parts) for (let i = 0; i < out.length; i++) out[i] += w * v[i];
  return out;
}

/** Vectors with known relations: aligned, opposed, independent, partial coverage, sparse. */
function generate(): Record<string, Record<string, Float32Array>> {
  const vectors: Record<string, Record<string, Float32Array>> = { base: {}, aligned: {}, opposed: {}, independent: {}, partial: {}, sparse: {} };
  TENSORS.forEach((t, k) => {
    const n = numelOf(t.shape);
    const a = randn(n, 100 + k, 0.01);
    vectors.base[t.name] = a;
    vectors.aligned[t.name] = mix([[0.6, a], [0.8, randn(n, 200 + k, 0.01)]]);
    vectors.opposed[t.name] = mix([[-0.9, a], [0.3, randn(n, 300 + k, 0.01)]]);
    vectors.independent[t.name] = randn(n, 400 + k, 0.02);
    if (k % 2 === 0) vectors.partial[t.name] = mix([[0.3, a], [1, randn(n, 500 + k, 0.01)]]);
    const s = randn(n, 600 + k, 0.01);
    for (let i = 0; i < n; i++) if (i % 10 !== 0) s[i] = 0;
    vectors.sparse[t.name] = s;
  });
  return vectors;
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
let exact: InterferenceReport;
let estimate: EstimatedInterference;
let sketches: VectorSketch[];

beforeAll(async () => {
  tmp = await tempDir("graft-sketch-");
  const vectors = generate();
  const paths: string[] = [];
  sketches = [];
  for (const [name, deltas] of Object.entries(vectors)) {
    const path = await writeDenseTaskVector(join(tmp.dir, `${name}.safetensors`), manifest, deltas);
    paths.push(path);
    const tv = await openTaskVector(path);
    try {
      sketches.push(await sketchTaskVector(tv));
    } finally {
      await tv.close();
    }
  }
  exact = await analyseInterference(paths);
  estimate = estimateInterference(sketches, Object.keys(vectors));
});
afterAll(async () => {
  await tmp.cleanup();
});

describe("sketch estimates", () => {
  it("are compact: a few tens of kilobytes whatever the vector size", () => {
    for (const s of sketches) expect(JSON.stringify(s).length).toBeLessThan(64 * 1024);
    expect(sketches[0].sampleRate).toBeLessThan(0.2); // positions are sampled, not all kept
  });

  it("record exact norms and mask sizes", () => {
    exact.vectors.forEach((v, i) => {
      expect(sketches[i].l2).toBeCloseTo(v.norm, 6);
      expect(sketches[i].maskSize).toBe(v.maskSize);
    });
  });

  it("match the exact analysis within the stated tolerance, for every pair", () => {
    expect(estimate.pairs.length).toBe(exact.pairs.length);
    const rows = exact.pairs.map((p, i) => {
      const e = estimate.pairs[i];
      return {
        pair: e.label,
        cosine: [p.cosine, e.cosine],
        overlap: [p.overlap, e.overlap],
        signs: [p.signConflictRate, e.signConflictRate],
      };
    });
    for (const [i, p] of exact.pairs.entries()) {
      const e = estimate.pairs[i];
      expect(Math.abs(e.cosine - p.cosine), `${e.label} cosine ${JSON.stringify(rows[i])}`).toBeLessThanOrEqual(TOLERANCE.cosine);
      expect(Math.abs(e.overlap - p.overlap), `${e.label} overlap`).toBeLessThanOrEqual(TOLERANCE.overlap);
      expect(Math.abs(e.signConflictRate - p.signConflictRate), `${e.label} sign conflicts`).toBeLessThanOrEqual(TOLERANCE.signConflictRate);
      // The stated margins cover the actual error.
      expect(Math.abs(e.cosine - p.cosine)).toBeLessThanOrEqual(e.margin.cosine);
    }
  });

  it("reach the same verdicts as the exact analysis where the figures are not borderline", () => {
    const byLabel = Object.fromEntries(estimate.pairs.map((p) => [p.label, p.verdict.level]));
    expect(byLabel["base vs aligned"]).toBe("aligned");
    expect(byLabel["base vs opposed"]).toBe("conflicting");
    expect(byLabel["base vs independent"]).toBe("independent");
    expect(estimate.overall.level).toBe(exact.overall.level);
  });

  it("are deterministic and refuse sketches of different foundations", async () => {
    const tv = await openTaskVector(join(tmp.dir, "base.safetensors"));
    try {
      expect(JSON.stringify(await sketchTaskVector(tv))).toBe(JSON.stringify(sketches[0]));
    } finally {
      await tv.close();
    }
    const other = { ...sketches[1], fingerprint: fingerprintFromManifest(foundationManifest(TENSORS, "other")) };
    expect(() => estimateInterference([sketches[0], other])).toThrow(/same foundation/);
    expect(() => estimateInterference([sketches[0]])).toThrow(/at least two/);
  });
});
