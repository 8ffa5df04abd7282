/**
 * Compact sketches of task vectors, so interference between any two versions
 * can be estimated in microseconds instead of streaming gigabytes.
 *
 * A sketch is built in one pass over the deltas (tensor by tensor) and holds:
 *
 *   projection   a count-sketch (sparse random projection) of the whole
 *                flattened delta into DIMS buckets: element i of tensor t goes
 *                to bucket h(t, i) with sign s(t, i). E[<Sa, Sb>] = <a, b>, so
 *                cosines are estimated with an error of about 1/sqrt(DIMS).
 *   sample       a coordinated sample of element positions (the same positions
 *                for every vector of a foundation, chosen by hashing (t, i)):
 *                at each, whether the element is in the vector's top-k mask
 *                (as ../analysis defines it) and its sign. Top-k overlap and
 *                sign-conflict rates are estimated from the positions both
 *                masks hold.
 *   layers       per layer group: exact L2 norm and counts of positive and
 *                negative entries.
 *
 * Everything is seeded by tensor names only, so sketches of different vectors
 * of the same foundation are comparable, and rebuilding gives the same bytes.
 */
import { layerIndexOf } from "../recipe/layers";
import { topCount, topMaskCut } from "../analysis/top-mask";
import { DEFAULT_TOP_FRACTION } from "../analysis/interference";
import type { Manifest } from "../fingerprint";

export const SKETCH_VERSION = 1;
/** Buckets of the projection (a power of two). */
export const SKETCH_DIMS = 4096;
/** Target number of sampled positions over the whole foundation. */
export const SKETCH_SAMPLES = 32768;

export interface LayerStats {
  l2: number;
  positive: number;
  negative: number;
}

export interface VectorSketch {
  version: number;
  /** Foundation fingerprint the vector targets. */
  fingerprint: string;
  dims: number;
  topFraction: number;
  /** Probability with which each element is sampled. */
  sampleRate: number;
  /** L2 norm of the whole delta. */
  l2: number;
  /** |top-k mask| over the whole model (exact). */
  maskSize: number;
  /** Float32 little-endian projection, base64. */
  projection: string;
  /**
   * Per covered tensor: "<count>:<base64>", two bits per sampled position
   * (0 not in the mask, 1 in the mask and positive, 2 in the mask and negative).
   */
  sample: Record<string, string>;
  /** Per layer group ("0", "1", …, "other"). */
  layers: Record<string, LayerStats>;
}

/** A 32-bit integer mix (murmur3 finaliser). */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Seed of a tensor: FNV-1a of its name. */
export function tensorSeed(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return mix32(h >>> 0);
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Two-bit codes packed four to a byte. */
class CodeWriter {
  private bytes = new Uint8Array(64);
  private count = 0;

  push(code: number): void {
    const at = this.count >> 2;
    if (at >= this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[at] |= code << ((this.count & 3) * 2);
    this.count++;
  }

  encode(): string {
    return `${this.count}:${Buffer.from(this.bytes.subarray(0, (this.count + 3) >> 2)).toString("base64")}`;
  }
}

/** Decodes a tensor's sample codes (see VectorSketch.sample). */
export function decodeSampleCodes(text: string): Uint8Array {
  const colon = text.indexOf(":");
  const count = Number(text.slice(0, colon));
  const packed = Buffer.from(text.slice(colon + 1), "base64");
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (packed[i >> 2] >> ((i & 3) * 2)) & 3;
  return out;
}

/** Builds a sketch from deltas given one tensor at a time, in any order. */
export class SketchBuilder {
  private readonly projection = new Float64Array(SKETCH_DIMS);
  private readonly sample: Record<string, string> = {};
  private readonly layers: Record<string, LayerStats> = {};
  private readonly sampleThreshold: number;
  readonly sampleRate: number;
  private sumSq = 0;
  private maskSize = 0;
  private scratch = new Float32Array(0);

  constructor(
    private readonly manifest: Manifest,
    private readonly fingerprint: string,
    private readonly topFraction = DEFAULT_TOP_FRACTION,
  ) {
    const total = Object.values(manifest).reduce((s, e) => s + numel(e.shape), 0);
    this.sampleRate = total > 0 ? Math.min(1, SKETCH_SAMPLES / total) : 1;
    this.sampleThreshold = Math.floor(this.sampleRate * 2 ** 32);
  }

  add(name: string, delta: Float32Array): void {
    const entry = this.manifest[name];
    if (!entry) throw new Error(`sketch: tensor "${name}" is not in the foundation`);
    const layer = String(layerIndexOf(name) ?? "other");
    const stats = (this.layers[layer] ??= { l2: 0, positive: 0, negative: 0 });
    if (this.scratch.length < delta.length) this.scratch = new Float32Array(delta.length);
    const cut = topMaskCut(delta, topCount(this.topFraction, delta.length), this.scratch);
    this.maskSize += cut.size;
    const seed = tensorSeed(name);
    const mask = SKETCH_DIMS - 1;
    const full = this.sampleRate >= 1;
    const codes = new CodeWriter();
    let sq = 0;
    let pos = 0;
    let neg = 0;
    for (let i = 0; i < delta.length; i++) {
      const x = delta[i];
      const h = mix32(seed ^ Math.imul(i, 0x9e3779b1));
      if (full || mix32(h ^ 0x68e31da4) < this.sampleThreshold) {
        const m = x < 0 ? -x : x;
        const inMask = x !== 0 && (m > cut.threshold || (m === cut.threshold && i <= cut.tieCutoff));
        codes.push(inMask ? (x < 0 ? 2 : 1) : 0);
      }
      if (x === 0) continue;
      this.projection[h & mask] += (h & 0x80000000 ? -x : x);
      sq += x * x;
      if (x > 0) pos++;
      else neg++;
    }
    this.sample[name] = codes.encode();
    stats.l2 = Math.sqrt(stats.l2 * stats.l2 + sq);
    stats.positive += pos;
    stats.negative += neg;
    this.sumSq += sq;
  }

  finish(): VectorSketch {
    const f32 = Float32Array.from(this.projection);
    const sample: Record<string, string> = {};
    for (const k of Object.keys(this.sample).sort()) sample[k] = this.sample[k];
    const layers: Record<string, LayerStats> = {};
    for (const k of Object.keys(this.layers).sort()) layers[k] = this.layers[k];
    return {
      version: SKETCH_VERSION,
      fingerprint: this.fingerprint,
      dims: SKETCH_DIMS,
      topFraction: this.topFraction,
      sampleRate: this.sampleRate,
      l2: Math.sqrt(this.sumSq),
      maskSize: this.maskSize,
      projection: Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString("base64"),
      sample,
      layers,
    };
  }
}

/** Sketches a task vector through a reader (one tensor in memory at a time). */
export async function sketchTaskVector(tv: {
  manifest: Manifest;
  fingerprint: string;
  coveredTensors: readonly string[];
  readDelta(name: string): Promise<Float32Array | null>;
}): Promise<VectorSketch> {
  const b = new SketchBuilder(tv.manifest, tv.fingerprint);
  for (const name of tv.coveredTensors) {
    const d = await tv.readDelta(name);
    if (d) b.add(name, d);
  }
  return b.finish();
}
