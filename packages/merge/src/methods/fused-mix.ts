/**
 * The per-element mixing loop of generalized task arithmetic: the SIMD
 * kernel (simd/ops.ts) where WebAssembly SIMD runs, else JavaScript compiled
 * once per (model count, consensus) into straight-line code — the reference
 * the kernel matches bit for bit.
 *
 * Why it exists: this loop runs for every element of every tensor. A loop
 * over models inside the loop over elements (`deltas[i][j]`) or one pass per
 * model over an accumulator costs V8 3-4× more than a single pass with the
 * models unrolled, which is what is generated here. The arithmetic is exactly
 * the documented one, in model order, in float32 with every operation
 * rounded (Math.fround of a double operation on float32 values is the
 * float32 operation), weights and scale rounded to float32 first:
 *
 *   v_i = w_i · d_i[j]    (d_i[j] taken as +0 unless its magnitude key is above floor_i, when floors are given)
 *   no consensus:  out[j] = base[j] + (v_0 + … + v_{m-1}) · scale
 *   consensus:     vote = Σ v_i ("sum") or Σ sign(v_i) ("count");
 *                  mixed = Σ v_i, divisor = Σ w_i over the i whose sign
 *                  matches (vote ≥ 0 → v_i > 0, else v_i < 0); divisor 0 → 1;
 *                  out[j] = base[j] + (normalize ? mixed / divisor : mixed) · lambda
 */
import { simdMix } from "../simd/ops";
import type { ConsensusMethod } from "./consensus";

/** `scale` is lambda (or lambda / Σw when normalising without consensus). */
export type MixFn = (
  out: Float32Array,
  base: Float32Array,
  deltas: readonly Float32Array[],
  weights: Float64Array,
  n: number,
  scale: number,
  normalize: boolean,
  /**
   * Per model, a magnitude-key floor (RankRangeFilter.keyFloor): only the
   * elements whose key (float32 bits & 0x7fffffff) is above it count, the
   * others as +0; -1 keeps all. A top-k filter applied in the same pass.
   */
  floors?: Int32Array | null,
) => void;

const cache = new Map<string, MixFn>();

export function compileMix(models: number, consensus: ConsensusMethod | null): MixFn {
  const key = `${models}:${consensus ?? "none"}`;
  let fn = cache.get(key);
  if (!fn) {
    const js = build(models, consensus);
    fn = (out, base, deltas, weights, n, scale, normalize, floors) => {
      if (!simdMix(consensus, out, base, deltas, weights, n, scale, normalize, floors)) js(out, base, deltas, weights, n, scale, normalize, floors);
    };
    cache.set(key, fn);
  }
  return fn;
}

function build(m: number, consensus: ConsensusMethod | null): MixFn {
  const idx = Array.from({ length: m }, (_, i) => i);
  const setup = [
    "const f = Math.fround;",
    "scale = f(scale);",
    ...idx.map((i) => `const d${i} = deltas[${i}], w${i} = f(weights[${i}]), b${i} = new Uint32Array(d${i}.buffer, d${i}.byteOffset, n), k${i} = floors ? floors[${i}] : -1;`),
  ].join("\n");
  const values = idx.map((i) => `const v${i} = f(w${i} * ((b${i}[j] & 0x7fffffff) > k${i} ? d${i}[j] : 0));`).join("\n");
  /** Σ of the terms in order, rounded after each addition. */
  const sum = (terms: string[]) => terms.slice(1).reduce((acc, t) => `f(${acc} + ${t})`, terms[0]!);
  let body: string;
  if (m === 0) {
    body = "for (let j = 0; j < n; j++) out[j] = base[j];";
  } else if (!consensus) {
    body = `for (let j = 0; j < n; j++) {\n${values}\nout[j] = base[j] + f(${sum(idx.map((i) => `v${i}`))} * scale);\n}`;
  } else {
    const vote = consensus === "sum" ? sum(idx.map((i) => `v${i}`)) : idx.map((i) => `(v${i} > 0 ? 1 : v${i} < 0 ? -1 : 0)`).join(" + ");
    const agree = (op: string) => idx.map((i) => `if (v${i} ${op} 0) { mixed = f(mixed + v${i}); divisor = f(divisor + w${i}); }`).join("\n");
    body = `for (let j = 0; j < n; j++) {
${values}
let mixed = 0, divisor = 0;
if (${vote} >= 0) {\n${agree(">")}\n} else {\n${agree("<")}\n}
if (divisor === 0) divisor = 1;
out[j] = base[j] + f((normalize ? f(mixed / divisor) : mixed) * scale);
}`;
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the model count only
  return new Function("out", "base", "deltas", "weights", "n", "scale", "normalize", "floors", `"use strict";\n${setup}\n${body}`) as MixFn;
}
