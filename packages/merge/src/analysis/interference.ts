/**
 * Interference analysis: will these skills collide when merged?
 *
 * "Different tasks should not move the same parameters." For two or more
 * task vectors made against the same foundation this measures, for every
 * pair, over the whole model and per layer:
 *
 *   cosine            dot(a, b) / (‖a‖·‖b‖) of the full flattened deltas,
 *                     accumulated in double precision; 0 when a norm is 0.
 *   overlap           |A ∩ B| / max(|A|, |B|), where A is a's top-k mask: in
 *                     each tensor, its k = floor(topFraction · numel) entries
 *                     of largest |x| (ties to the lower index) among its
 *                     non-zero entries. For vectors with at least k non-zero
 *                     entries in every tensor both analyse, |A| = |B| =
 *                     k_total = Σ k, so this is |A ∩ B| / k_total.
 *   jaccard           |A ∩ B| / |A ∪ B|.
 *   signConflictRate  fraction of the positions in A ∩ B where the signs of
 *                     a and b differ (0 when A ∩ B is empty).
 *
 * plus each vector's L2 norm, and a verdict per pair and overall (see
 * ./verdict for the thresholds).
 *
 * Memory: tensors are streamed one at a time over the union of the vectors'
 * covered tensors (a vector that does not cover a tensor has a zero delta
 * there). At any moment it holds each vector's delta of the current tensor
 * plus one float32 scratch copy of |x| for the selection: (vectors + 1)
 * tensors. Masks are never materialised (see ./top-mask).
 *
 * Every vector's foundation fingerprint is compared (from the headers) before
 * any tensor data is read.
 */
import { basename } from "node:path";
import { GraftError } from "../errors";
import { layerIndexOf } from "../recipe/layers";
import { compareNames } from "../safetensors";
import { numelOf, openTaskVector, type EncodingKind, type TaskVectorReader } from "../taskvector";
import { EMPTY_CUT, topCount, topMaskCut, type MaskCut } from "./top-mask";
import {
  classifyInterference,
  INTERFERENCE_THRESHOLDS,
  overallVerdict,
  type InterferenceThresholds,
  type Verdict,
} from "./verdict";

export interface InterferenceProgress {
  /** The tensor just analysed. */
  tensor: string;
  done: number;
  total: number;
}

export interface InterferenceOptions {
  /** Fraction of each tensor's entries (by |x|) in a vector's top-k mask; (0, 1]. Default 0.2. */
  topFraction?: number;
  onProgress?: (progress: InterferenceProgress) => void;
  signal?: AbortSignal;
}

/** The figures of one pair, over the whole model or one layer group. */
export interface PairFigures {
  cosine: number;
  /** |A ∩ B| / max(|A|, |B|) (0 when both masks are empty). */
  overlap: number;
  /** |A ∩ B| / |A ∪ B| (0 when both masks are empty). */
  jaccard: number;
  /** Positions in A ∩ B whose signs differ, over |A ∩ B| (0 when empty). */
  signConflictRate: number;
  /** |A ∩ B|. */
  shared: number;
  /** Positions of A ∩ B with differing signs. */
  conflicts: number;
  /** [|A|, |B|]. */
  maskSizes: [number, number];
}

export interface LayerPairFigures extends PairFigures {
  /** Layer group key: the layer index as a string, or "other". */
  group: string;
  verdict: Verdict;
}

export interface PairReport extends PairFigures {
  /** Indices into `vectors`. */
  a: number;
  b: number;
  /** "<label a> vs <label b>". */
  label: string;
  verdict: Verdict;
  /** The same figures per layer group, in the order of `layers`. */
  layers: LayerPairFigures[];
}

export interface VectorSummary {
  index: number;
  path: string;
  /** Short name for tables: the file name, or the path where file names repeat. */
  label: string;
  encoding: EncodingKind;
  /** Base tensors with a delta in the file. */
  coveredTensors: number;
  /** L2 norm of the whole delta. */
  norm: number;
  /** |top-k mask| over the whole model. */
  maskSize: number;
}

export interface LayerGroupSummary {
  /** The layer index as a string, or "other" for tensors outside the repeated blocks. */
  group: string;
  layer: number | null;
  tensors: number;
  elements: number;
  /** Σ k over the group's tensors. */
  kTotal: number;
  /** Each vector's L2 norm within the group, parallel to `vectors`. */
  norms: number[];
}

export interface InterferenceReport {
  fingerprint: string;
  topFraction: number;
  thresholds: InterferenceThresholds;
  vectors: VectorSummary[];
  /** Tensors analysed (the union of the covered tensors). */
  tensors: number;
  elements: number;
  /** Σ floor(topFraction · numel) over the analysed tensors. */
  kTotal: number;
  layers: LayerGroupSummary[];
  /** Every pair (i < j), in order (0,1), (0,2), …, (1,2), … */
  pairs: PairReport[];
  overall: Verdict & {
    /** Labels of the pairs that set the overall verdict. */
    pairs: string[];
  };
}

export const DEFAULT_TOP_FRACTION = 0.2;
const OTHER = "other";

function checkTopFraction(value: unknown): number {
  if (typeof value !== "number" || !(value > 0 && value <= 1)) {
    throw new GraftError("INVALID_ARGUMENT", `topFraction must be a number in (0, 1], got ${JSON.stringify(value)}`);
  }
  return value;
}

function shortFingerprint(fp: string): string {
  return fp.length > 19 ? `${fp.slice(0, 19)}…` : fp;
}

/** Table labels: file names, falling back to paths (and positions) where they repeat. */
function labelsOf(paths: readonly string[]): string[] {
  const unique = (xs: string[]) => new Set(xs).size === xs.length;
  const names = paths.map((p) => basename(p));
  if (unique(names)) return names;
  if (unique([...paths])) return [...paths];
  return paths.map((p, i) => `${p} (#${i + 1})`);
}

async function openAll(paths: readonly string[]): Promise<TaskVectorReader[]> {
  const readers: TaskVectorReader[] = [];
  try {
    for (const path of paths) {
      const reader = await openTaskVector(path);
      readers.push(reader);
      const first = readers[0];
      if (reader.fingerprint !== first.fingerprint) {
        throw new GraftError(
          "FINGERPRINT_MISMATCH",
          `${path} was made against foundation ${shortFingerprint(reader.fingerprint)} but ${first.path} against ${shortFingerprint(first.fingerprint)}; only task vectors of the same foundation can be compared`,
          { [first.path]: first.fingerprint, [path]: reader.fingerprint },
        );
      }
    }
    return readers;
  } catch (e) {
    await closeAll(readers);
    throw e;
  }
}

async function closeAll(readers: readonly TaskVectorReader[]): Promise<void> {
  for (const r of readers) await r.close().catch(() => {});
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new GraftError("CANCELLED", "interference analysis was cancelled");
}

function ratio(num: number, den: number): number {
  return den > 0 ? num / den : 0;
}

function cosineOf(dot: number, sumSqA: number, sumSqB: number): number {
  if (!(sumSqA > 0 && sumSqB > 0)) return 0;
  const c = dot / Math.sqrt(sumSqA * sumSqB);
  return Math.max(-1, Math.min(1, c));
}

function figuresOf(dot: number, sumSqA: number, sumSqB: number, maskA: number, maskB: number, shared: number, conflicts: number): PairFigures {
  return {
    cosine: cosineOf(dot, sumSqA, sumSqB),
    overlap: ratio(shared, Math.max(maskA, maskB)),
    jaccard: ratio(shared, maskA + maskB - shared),
    signConflictRate: ratio(conflicts, shared),
    shared,
    conflicts,
    maskSizes: [maskA, maskB],
  };
}

/**
 * Dot product, shared top-k positions and sign conflicts of two deltas of one
 * tensor (the hot loop; mask membership is decided inline from the cuts).
 */
function pairStats(a: Float32Array, b: Float32Array, cutA: MaskCut, cutB: MaskCut): [dot: number, shared: number, conflicts: number] {
  const ta = cutA.threshold;
  const ca = cutA.tieCutoff;
  const tb = cutB.threshold;
  const cb = cutB.tieCutoff;
  let dot = 0;
  let shared = 0;
  let conflicts = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    dot += x * y;
    const mx = x < 0 ? -x : x;
    if (mx > ta || (mx === ta && i <= ca)) {
      const my = y < 0 ? -y : y;
      if (my > tb || (my === tb && i <= cb)) {
        shared++;
        // Masks hold non-zero entries only, so the signs are well defined.
        if (x < 0 !== y < 0) conflicts++;
      }
    }
  }
  return [dot, shared, conflicts];
}

/**
 * Measures how two or more task vectors would interfere (see the module
 * comment for the definitions). Throws INVALID_ARGUMENT for fewer than two
 * paths or a bad topFraction, FINGERPRINT_MISMATCH (before any tensor data is
 * read) when the vectors were made against different foundations.
 */
export async function analyseInterference(paths: readonly string[], options: InterferenceOptions = {}): Promise<InterferenceReport> {
  if (!Array.isArray(paths) || paths.length < 2) {
    const n = Array.isArray(paths) ? paths.length : 0;
    throw new GraftError("INVALID_ARGUMENT", `interference analysis needs at least two task vectors, got ${n}`);
  }
  const topFraction = checkTopFraction(options.topFraction ?? DEFAULT_TOP_FRACTION);
  const { onProgress, signal } = options;
  checkCancelled(signal);

  const readers = await openAll(paths);
  try {
    return await analyse(readers, paths, topFraction, onProgress, signal);
  } finally {
    await closeAll(readers);
  }
}

async function analyse(
  readers: readonly TaskVectorReader[],
  paths: readonly string[],
  topFraction: number,
  onProgress: InterferenceOptions["onProgress"],
  signal: AbortSignal | undefined,
): Promise<InterferenceReport> {
  const n = readers.length;
  const manifest = readers[0].manifest;
  const labels = labelsOf(paths);

  // Union of covered tensors, in name order, and the layer groups.
  const covered = readers.map((r) => new Set(r.coveredTensors));
  const names = [...new Set(readers.flatMap((r) => r.coveredTensors))].sort(compareNames);
  const layerOf = new Map<string, number | null>(names.map((name) => [name, layerIndexOf(name)]));
  const layerNumbers = [...new Set([...layerOf.values()].filter((l): l is number => l !== null))].sort((x, y) => x - y);
  const hasOther = [...layerOf.values()].some((l) => l === null);
  const groupKeys = [...layerNumbers.map(String), ...(hasOther ? [OTHER] : [])];
  const groupIndex = new Map(groupKeys.map((key, g) => [key, g]));
  const groupOf = (name: string) => groupIndex.get(String(layerOf.get(name) ?? OTHER))!;
  const numGroups = groupKeys.length;

  const pairs: [number, number][] = [];
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) pairs.push([a, b]);
  const numPairs = pairs.length;

  // Accumulators, per layer group (totals are sums over the groups).
  const sumSq = new Float64Array(numGroups * n);
  const maskSize = new Float64Array(numGroups * n);
  const dots = new Float64Array(numGroups * numPairs);
  const shared = new Float64Array(numGroups * numPairs);
  const conflicts = new Float64Array(numGroups * numPairs);
  const groupTensors = new Float64Array(numGroups);
  const groupElements = new Float64Array(numGroups);
  const groupK = new Float64Array(numGroups);

  let scratch = new Float32Array(0);
  const deltas: (Float32Array | null)[] = new Array(n).fill(null);
  const cuts: MaskCut[] = new Array(n).fill(EMPTY_CUT);

  for (const [t, name] of names.entries()) {
    checkCancelled(signal);
    const g = groupOf(name);
    const numel = numelOf(manifest[name].shape);
    const k = topCount(topFraction, numel);
    groupTensors[g]++;
    groupElements[g] += numel;
    groupK[g] += k;
    // Release the previous tensor's deltas before reading this one's.
    deltas.fill(null);
    cuts.fill(EMPTY_CUT);
    if (scratch.length < numel) scratch = new Float32Array(numel);

    for (let v = 0; v < n; v++) {
      if (!covered[v].has(name)) continue;
      const d = await readers[v].readDelta(name);
      if (d === null) continue;
      if (d.length !== numel) {
        throw new GraftError("INVALID_SAFETENSORS", `${readers[v].path}: delta of "${name}" has ${d.length} elements, expected ${numel}`);
      }
      let s = 0;
      for (let i = 0; i < d.length; i++) s += d[i] * d[i];
      if (!Number.isFinite(s)) {
        throw new GraftError("UNSUPPORTED", `${readers[v].path}: delta of "${name}" contains NaN or infinite values`);
      }
      sumSq[g * n + v] += s;
      const cut = topMaskCut(d, k, scratch);
      maskSize[g * n + v] += cut.size;
      deltas[v] = d;
      cuts[v] = cut;
    }

    for (const [p, [a, b]] of pairs.entries()) {
      const da = deltas[a];
      const db = deltas[b];
      if (da === null || db === null) continue; // a zero delta: no dot, no shared positions
      const [dot, sh, cf] = pairStats(da, db, cuts[a], cuts[b]);
      dots[g * numPairs + p] += dot;
      shared[g * numPairs + p] += sh;
      conflicts[g * numPairs + p] += cf;
    }
    onProgress?.({ tensor: name, done: t + 1, total: names.length });
  }
  deltas.fill(null);

  const total = (arr: Float64Array, stride: number, j: number) => {
    let s = 0;
    for (let g = 0; g < numGroups; g++) s += arr[g * stride + j];
    return s;
  };

  const vectors: VectorSummary[] = readers.map((r, v) => ({
    index: v,
    path: paths[v],
    label: labels[v],
    encoding: r.encoding,
    coveredTensors: r.coveredTensors.length,
    norm: Math.sqrt(total(sumSq, n, v)),
    maskSize: total(maskSize, n, v),
  }));

  const layers: LayerGroupSummary[] = groupKeys.map((key, g) => ({
    group: key,
    layer: key === OTHER ? null : Number(key),
    tensors: groupTensors[g],
    elements: groupElements[g],
    kTotal: groupK[g],
    norms: Array.from({ length: n }, (_, v) => Math.sqrt(sumSq[g * n + v])),
  }));

  const pairReports: PairReport[] = pairs.map(([a, b], p) => {
    const whole = figuresOf(
      total(dots, numPairs, p),
      total(sumSq, n, a),
      total(sumSq, n, b),
      total(maskSize, n, a),
      total(maskSize, n, b),
      total(shared, numPairs, p),
      total(conflicts, numPairs, p),
    );
    const perLayer = groupKeys.map((key, g): LayerPairFigures => {
      const f = figuresOf(
        dots[g * numPairs + p],
        sumSq[g * n + a],
        sumSq[g * n + b],
        maskSize[g * n + a],
        maskSize[g * n + b],
        shared[g * numPairs + p],
        conflicts[g * numPairs + p],
      );
      return { group: key, ...f, verdict: classifyInterference(f) };
    });
    return { a, b, label: `${labels[a]} vs ${labels[b]}`, ...whole, verdict: classifyInterference(whole), layers: perLayer };
  });

  return {
    fingerprint: readers[0].fingerprint,
    topFraction,
    thresholds: { ...INTERFERENCE_THRESHOLDS },
    vectors,
    tensors: names.length,
    elements: layers.reduce((s, l) => s + l.elements, 0),
    kTotal: layers.reduce((s, l) => s + l.kTotal, 0),
    layers,
    pairs: pairReports,
    overall: overallVerdict(pairReports),
  };
}
