import { describe, expect, it } from "vitest";
import type { MergeChunk, ParamValue } from "../types";
import { getMethod, resolveParameters } from "./registry";
import { buildInput, lcgData, modelTensor } from "./test-support";

/**
 * Feeds a method's streaming kernel the way the engine does — scan passes then
 * the merge pass, fresh chunk objects in increasing offset order each pass —
 * and returns the assembled output.
 */
function runChunked(
  methodName: string,
  base: Float32Array | null,
  models: Float32Array[],
  shape: number[],
  params: Record<string, ParamValue>,
  modelParams: Record<string, ParamValue>[],
  seed: number,
  chunkLen: number,
  name = "layer.weight",
): Float32Array {
  const method = getMethod(methodName);
  const numel = shape.reduce((a, b) => a * b, 1);
  const kernel = method.createKernel({ name, shape, numel, params, modelParams, seed });
  const out = new Float32Array(numel);
  const chunkAt = (offset: number): MergeChunk => {
    const length = Math.min(chunkLen, numel - offset);
    const b = base ? base.slice(offset, offset + length) : null;
    return { offset, length, base: b, models: models.map((m) => modelTensor(m.slice(offset, offset + length), b)) };
  };
  for (let pass = 0; pass <= kernel.scanPasses; pass++) {
    for (let offset = 0; offset < numel; offset += chunkLen) {
      const chunk = chunkAt(offset);
      if (pass < kernel.scanPasses) kernel.scan!(pass, chunk);
      else {
        const o = new Float32Array(chunk.length);
        kernel.merge(chunk, o);
        out.set(o, offset);
      }
    }
    if (pass < kernel.scanPasses) kernel.endScan?.(pass);
  }
  return out;
}

interface Case {
  method: string;
  params?: Record<string, ParamValue>;
  modelParams: Record<string, ParamValue>[];
  shape?: number[];
  noBase?: boolean;
}

const ROWS = 12;
const COLS = 50;
const n = ROWS * COLS;
// few distinct magnitudes → many ties straddling chunk boundaries
const base = lcgData(n, 77);
const deltas = [1, 2, 3].map((s) => lcgData(n, 300 + s, 1).map((v) => Math.round(v * 8) / 100));
const models = deltas.map((d) => base.map((b, i) => b + d[i]));

const w3 = (extra: Record<string, ParamValue> = {}) => [
  { weight: 0.5, ...extra },
  { weight: 1.0, ...extra },
  { weight: -0.3, ...extra },
];

const CASES: Case[] = [
  { method: "linear", modelParams: [{ weight: 1 }, { weight: 2 }, { weight: 3 }], noBase: true },
  { method: "task_arithmetic", modelParams: w3(), params: { lambda: 0.7 } },
  { method: "ties", modelParams: w3({ density: 0.3 }) },
  { method: "ties", modelParams: w3({ density: 0.3 }), params: { rescale: true } },
  { method: "ties", modelParams: w3({ density: 0.45 }), params: { rescale: true, rescale_mode: "l2" } },
  { method: "ties", modelParams: w3({ density: 0.45 }), params: { rescale: true, rescale_mode: "linf" } },
  { method: "ties", modelParams: w3({ density: 0.2 }), params: { rescale: true, rescale_mode: "inverse_density" } },
  { method: "dare_ties", modelParams: w3({ density: 0.4 }) },
  { method: "dare_linear", modelParams: w3({ density: 0.4 }), params: { rescale_mode: "inverse_density" } },
  { method: "dare_linear", modelParams: w3({ density: 0.6 }), params: { rescale_mode: "linf" } },
  { method: "breadcrumbs", modelParams: w3({ density: 0.5, gamma: 0.1 }) },
  { method: "breadcrumbs_ties", modelParams: w3({ density: 0.5, gamma: 0.1 }), params: { rescale: true } },
  { method: "della", modelParams: w3({ density: 0.4, epsilon: 0.1 }), shape: [ROWS, COLS] },
  { method: "della_linear", modelParams: w3({ density: 0.4, epsilon: 0.2 }), shape: [ROWS, COLS], params: { rescale_mode: "l2" } },
  { method: "della_linear", modelParams: w3({ density: 0.4, epsilon: 0.2 }), shape: [ROWS, COLS], params: { rescale_mode: "inverse_density" } },
  { method: "della", modelParams: w3({ density: 0.5 }), shape: [n] }, // rank 1: one row, gathered
  { method: "model_stock", modelParams: [{}, {}, {}] },
  { method: "model_stock", modelParams: [{}, {}, {}], params: { filter_wise: true }, shape: [ROWS, COLS] },
];

describe("streaming kernels equal whole-tensor merges for any chunking", () => {
  for (const c of CASES) {
    const label = `${c.method} ${JSON.stringify(c.params ?? {})} ${JSON.stringify(c.modelParams[0])} shape ${JSON.stringify(c.shape ?? [n])}`;
    it(label, () => {
      const shape = c.shape ?? [n];
      const seed = 1234;
      const input = buildInput(c.method, {
        base: c.noBase ? null : Array.from(base),
        models: models.map((m) => Array.from(m)),
        modelParams: c.modelParams,
        params: c.params ?? {},
        shape,
        seed,
      });
      const whole = getMethod(c.method).mergeTensor(input);
      const rowAligned = getMethod(c.method).rowAligned && shape.length >= 2;
      const lens = rowAligned ? [COLS, 2 * COLS, 5 * COLS, n] : [1, 7, 64, 333, n];
      for (const len of lens) {
        const chunked = runChunked(
          c.method,
          c.noBase ? null : base,
          models,
          shape,
          input.params,
          input.modelParams,
          seed,
          len,
        );
        expect(chunked, `chunk length ${len}`).toEqual(whole);
      }
    });
  }

  it("slerp streams its dot product", () => {
    const input = buildInput("slerp", { base: Array.from(base), models: [Array.from(models[0])], params: { t: 0.3 } });
    const whole = getMethod("slerp").mergeTensor(input);
    for (const len of [1, 64, n]) {
      expect(runChunked("slerp", base, [models[0]], [n], input.params, input.modelParams, 0, len)).toEqual(whole);
    }
  });

  it("della refuses chunks that split rows", () => {
    const input = buildInput("della", {
      base: Array.from(base),
      models: [Array.from(models[0])],
      modelParams: [{ weight: 1, density: 0.4 }],
      shape: [ROWS, COLS],
    });
    expect(() => runChunked("della", base, [models[0]], [ROWS, COLS], input.params, input.modelParams, 0, 7)).toThrow(
      /whole rows/,
    );
  });

  it("declares the passes it needs", () => {
    const ctx = (method: string, params: Record<string, ParamValue>, mp: Record<string, ParamValue>[]) =>
      getMethod(method).createKernel({ name: "x", shape: [ROWS, COLS], numel: n, params, modelParams: mp, seed: 0 });
    const g = (m: string, p: Record<string, ParamValue> = {}) => resolveParameters(getMethod(m), p, "global");
    expect(ctx("task_arithmetic", g("task_arithmetic"), [{ weight: 1, density: 1 }]).scanPasses).toBe(0);
    // One pass to begin with; a selector that has boundaries left to find adds another (below).
    expect(ctx("ties", g("ties"), [{ weight: 1, density: 0.5 }]).scanPasses).toBe(1);
    expect(ctx("ties", g("ties"), [{ weight: 1, density: 1 }]).scanPasses).toBe(0);
    expect(ctx("dare_linear", g("dare_linear"), [{ weight: 1, density: 0.5 }]).scanPasses).toBe(1);
    expect(ctx("dare_linear", g("dare_linear", { rescale: false }), [{ weight: 1, density: 0.5 }]).scanPasses).toBe(0);
    expect(ctx("della", g("della", { rescale_mode: "inverse_density" }), [{ weight: 1, density: 0.5, epsilon: 0.1 }]).scanPasses).toBe(0);
    expect(getMethod("della").rowAligned).toBe(true);
    expect(getMethod("ties").rowAligned).toBe(false);
  });

  it("ties needs no second pass when the first found every model's boundary, and asks for one when it did not", () => {
    // Continuous deltas and first chunks of thousands of elements, whose quantiles are close to the whole tensor's.
    const [rows, cols] = [50, 1000];
    const size = rows * cols;
    const b0 = lcgData(size, 3);
    const smooth = [5, 6].map((s) => b0.map((b, i) => b + lcgData(size, s)[i]! * 0.01));
    const mp = [{ weight: 1, density: 0.3 }, { weight: 0.5, density: 0.3 }];
    const params = resolveParameters(getMethod("ties"), {}, "global");
    const kernel = getMethod("ties").createKernel({ name: "x", shape: [rows, cols], numel: size, params, modelParams: mp, seed: 0 });
    expect(kernel.scanPasses).toBe(1);
    for (let offset = 0; offset < size; offset += 10_000) {
      const b = b0.slice(offset, offset + 10_000);
      kernel.scan!(0, { offset, length: b.length, base: b, models: smooth.map((m) => modelTensor(m.slice(offset, offset + 10_000), b)) });
    }
    kernel.endScan!(0);
    expect(kernel.scanPasses).toBe(1);
    // And the result is the one of a whole-tensor merge.
    const chunked = runChunked("ties", b0, smooth, [rows, cols], params, mp, 0, 10_000);
    const whole = getMethod("ties").mergeTensor(buildInput("ties", { base: Array.from(b0), models: smooth.map((m) => Array.from(m)), modelParams: mp, shape: [rows, cols] }));
    expect(chunked).toEqual(whole);
    // A first chunk a thousand times larger than the rest misplaces the boundary: a second pass is declared.
    const skewed = smooth[0]!.map((v, i) => (i < 10_000 ? b0[i]! + (v - b0[i]!) * 1000 : v));
    const misled = getMethod("ties").createKernel({ name: "x", shape: [rows, cols], numel: size, params, modelParams: [mp[0]!], seed: 0 });
    for (let offset = 0; offset < size; offset += 10_000) {
      const b = b0.slice(offset, offset + 10_000);
      misled.scan!(0, { offset, length: b.length, base: b, models: [modelTensor(skewed.slice(offset, offset + 10_000), b)] });
    }
    misled.endScan!(0);
    expect(misled.scanPasses).toBe(2);
  });
});
