/**
 * Interference estimated from sketches (./sketch): the same figures and
 * verdicts as ../analysis, without reading any weights.
 *
 *   cosine            <Sa, Sb> / (‖Sa‖·‖Sb‖) of the projections.
 *   overlap           |A ∩ B| / max(|A|, |B|): |A ∩ B| is the number of
 *                     sampled positions in both masks divided by the sample
 *                     rate; |A|, |B| are exact.
 *   signConflictRate  sampled positions in both masks with differing signs,
 *                     over sampled positions in both masks.
 *
 * Each figure comes with a rough ±2σ margin so a page can say how much to trust it.
 */
import { GraftError } from "../errors";
import { classifyInterference, overallVerdict, type Verdict } from "../analysis/verdict";
import { decodeSampleCodes, type VectorSketch } from "./sketch";

export interface EstimatedPair {
  a: number;
  b: number;
  label: string;
  cosine: number;
  overlap: number;
  signConflictRate: number;
  /** ±2σ margins of the estimates. */
  margin: { cosine: number; overlap: number; signConflictRate: number };
  verdict: Verdict;
}

export interface EstimatedInterference {
  labels: string[];
  norms: number[];
  pairs: EstimatedPair[];
  overall: Verdict & { pairs: string[] };
}

function decodeProjection(s: VectorSketch): Float32Array {
  const buf = Buffer.from(s.projection, "base64");
  const copy = new Uint8Array(buf.length);
  copy.set(buf);
  return new Float32Array(copy.buffer);
}

type DecodedSample = Map<string, Uint8Array>;

function decodeSample(s: VectorSketch): DecodedSample {
  return new Map(Object.entries(s.sample).map(([name, text]) => [name, decodeSampleCodes(text)]));
}

function checkComparable(sketches: readonly VectorSketch[]): void {
  const first = sketches[0];
  for (const s of sketches) {
    if (s.fingerprint !== first.fingerprint) {
      throw new GraftError("FINGERPRINT_MISMATCH", "only task vectors of the same foundation can be compared");
    }
    if (s.version !== first.version || s.dims !== first.dims || s.sampleRate !== first.sampleRate || s.topFraction !== first.topFraction) {
      throw new GraftError("INVALID_ARGUMENT", "the sketches were built with different settings; rebuild them");
    }
  }
}

/** Counts of sampled positions: in both masks, and of those with differing signs. */
function sampleCounts(a: DecodedSample, b: DecodedSample): { both: number; conflicts: number } {
  let both = 0;
  let conflicts = 0;
  for (const [name, ca] of a) {
    const cb = b.get(name);
    if (!cb) continue;
    const n = Math.min(ca.length, cb.length);
    for (let i = 0; i < n; i++) {
      const x = ca[i];
      const y = cb[i];
      if (x === 0 || y === 0) continue; // not in both masks
      both++;
      if (x !== y) conflicts++;
    }
  }
  return { both, conflicts };
}

function pairOf(a: VectorSketch, b: VectorSketch, pa: Float32Array, pb: Float32Array, sa: DecodedSample, sb: DecodedSample): Omit<EstimatedPair, "a" | "b" | "label" | "verdict"> {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < pa.length; i++) {
    dot += pa[i] * pb[i];
    na += pa[i] * pa[i];
    nb += pb[i] * pb[i];
  }
  const cosine = na > 0 && nb > 0 ? Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb))) : 0;
  const { both, conflicts } = sampleCounts(sa, sb);
  const maxMask = Math.max(a.maskSize, b.maskSize);
  const overlap = maxMask > 0 ? Math.min(1, both / a.sampleRate / maxMask) : 0;
  const signConflictRate = both > 0 ? conflicts / both : 0;
  // Sampled mask positions of the larger mask: the denominator of the overlap estimate.
  const expected = Math.max(1, maxMask * a.sampleRate);
  const exact = a.sampleRate >= 1;
  return {
    cosine,
    overlap,
    signConflictRate,
    margin: {
      cosine: 2 * Math.sqrt((1 + cosine * cosine) / pa.length),
      overlap: exact ? 0 : 2 * Math.sqrt((overlap * (1 - overlap)) / expected) + 1 / expected,
      signConflictRate: exact ? 0 : 2 * Math.sqrt((signConflictRate * (1 - signConflictRate)) / Math.max(1, both)) + 1 / Math.max(1, both),
    },
  };
}

/** Estimates every pair's figures and the verdicts; `labels` name the vectors. */
export function estimateInterference(sketches: readonly VectorSketch[], labels?: readonly string[]): EstimatedInterference {
  if (sketches.length < 2) throw new GraftError("INVALID_ARGUMENT", `interference needs at least two task vectors, got ${sketches.length}`);
  checkComparable(sketches);
  const names = labels ? [...labels] : sketches.map((_, i) => `#${i + 1}`);
  const projections = sketches.map(decodeProjection);
  const samples = sketches.map(decodeSample);
  const pairs: EstimatedPair[] = [];
  for (let a = 0; a < sketches.length; a++) {
    for (let b = a + 1; b < sketches.length; b++) {
      const f = pairOf(sketches[a], sketches[b], projections[a], projections[b], samples[a], samples[b]);
      pairs.push({ a, b, label: `${names[a]} vs ${names[b]}`, ...f, verdict: classifyInterference(f) });
    }
  }
  return { labels: names, norms: sketches.map((s) => s.l2), pairs, overall: overallVerdict(pairs) };
}
