/**
 * Pure numeric encodings of a task vector's per-tensor deltas:
 *
 * - `topKSparse`: keep the k entries of largest magnitude (O(n) selection).
 * - `lowRank`: truncated SVD by randomized range finding (Halko, Martinsson &
 *   Tropp 2011), returning `up = U·diag(S)` [rows, r] and `down = Vᵀ` [r, cols].
 * - reconstruction and error helpers (relative Frobenius norm).
 *
 * Everything here is deterministic: the same input and seed give the same bits
 * on every machine (no Math.random, no platform-dependent math beyond IEEE
 * double arithmetic and Math.sqrt/log/cos, which V8 implements portably).
 */

// ---------------------------------------------------------------------------
// Deterministic random numbers.

/** mulberry32: a tiny 32-bit seeded PRNG; returns uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box–Muller on a mulberry32 stream. */
export function gaussianSource(seed: number): () => number {
  const uniform = mulberry32(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = uniform();
    while (u === 0) u = uniform(); // log(0) guard
    const v = uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * v;
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

/** FNV-1a hash of a string → 32-bit seed (used to derive per-tensor seeds from names). */
export function seedFromString(text: string, base = 0): number {
  let h = (0x811c9dc5 ^ base) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

// ---------------------------------------------------------------------------
// Top-k sparsification.

export interface SparseDelta {
  /** Flat indices, strictly ascending. */
  indices: Uint32Array;
  /** delta[indices[i]] */
  values: Float32Array;
}

/** Magnitude used for ranking; NaN ranks above everything so it is never silently dropped. */
function magnitude(x: number): number {
  return x !== x ? Infinity : Math.abs(x);
}

/**
 * The k entries of largest |x|, ties broken by lower index. Runs in expected
 * O(n): a three-way-partition quickselect finds the k-th largest magnitude,
 * then one pass collects everything above it plus the first tied entries.
 */
export function topKSparse(delta: Float32Array, k: number): SparseDelta {
  const n = delta.length;
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`topKSparse: k must be a non-negative integer, got ${k}`);
  if (k > n) k = n;
  if (k === 0) return { indices: new Uint32Array(0), values: new Float32Array(0) };
  if (k === n) {
    const indices = new Uint32Array(n);
    for (let i = 0; i < n; i++) indices[i] = i;
    return { indices, values: new Float32Array(delta) };
  }
  const mags = new Float32Array(n);
  for (let i = 0; i < n; i++) mags[i] = magnitude(delta[i]);
  // The k-th largest magnitude is the (n-k)-th smallest (0-based).
  const threshold = quickselect(mags, n - k);
  let above = 0;
  for (let i = 0; i < n; i++) if (magnitude(delta[i]) > threshold) above++;
  let tiesToTake = k - above;
  const indices = new Uint32Array(k);
  const values = new Float32Array(k);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const m = magnitude(delta[i]);
    if (m > threshold || (m === threshold && tiesToTake-- > 0)) {
      indices[j] = i;
      values[j] = delta[i];
      j++;
    }
  }
  return { indices, values };
}

/**
 * Returns the value that would sit at position `target` if `a` were sorted
 * ascending. Reorders `a` in place. Three-way partitioning keeps long runs of
 * equal values (e.g. zeros) linear; pivots are medians of three positions drawn
 * from a fixed-seed PRNG, so adversarial orders are not a practical concern and
 * results are reproducible.
 */
export function quickselect(a: Float32Array, target: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const rand = mulberry32(0x5eed);
  while (lo < hi) {
    const span = hi - lo + 1;
    const p1 = a[lo + Math.floor(rand() * span)];
    const p2 = a[lo + Math.floor(rand() * span)];
    const p3 = a[lo + Math.floor(rand() * span)];
    const pivot = Math.max(Math.min(p1, p2), Math.min(Math.max(p1, p2), p3));
    // Dutch national flag: [lo, lt) < pivot, [lt, i) == pivot, (gt, hi] > pivot
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const v = a[i];
      if (v < pivot) {
        a[i] = a[lt];
        a[lt] = v;
        lt++;
        i++;
      } else if (v > pivot) {
        a[i] = a[gt];
        a[gt] = v;
        gt--;
      } else {
        i++;
      }
    }
    if (target < lt) hi = lt - 1;
    else if (target > gt) lo = gt + 1;
    else return pivot;
  }
  return a[target];
}

/** Dense reconstruction of a sparse delta. */
export function densifySparse(numel: number, indices: ArrayLike<number>, values: ArrayLike<number>): Float32Array {
  const out = new Float32Array(numel);
  for (let i = 0; i < indices.length; i++) out[indices[i]] = values[i];
  return out;
}

// ---------------------------------------------------------------------------
// Randomized low-rank factorisation.

export interface LowRankDelta {
  /** U·diag(S), row-major [rows, rank] */
  up: Float32Array;
  /** Vᵀ, row-major [rank, cols] */
  down: Float32Array;
  rank: number;
  /** Singular values, descending (length rank). */
  singularValues: Float64Array;
}

export interface LowRankOptions {
  /** Extra columns sampled beyond the rank (default 8). */
  oversampling?: number;
  /** Power iterations, each followed by re-orthonormalisation (default 2). */
  powerIterations?: number;
}

/**
 * Rank-`rank` approximation of the row-major [rows, cols] matrix `a` by
 * randomized SVD: Y = A·Ω with a seeded Gaussian Ω (cols × (rank+p)),
 * q power iterations (Q ← orth(A·orth(Aᵀ·Q))), B = QᵀA, then an exact SVD of
 * the small B by one-sided Jacobi, all in Float64.
 *
 * Internally, tall matrices are stored as sets of contiguous vectors: Q as
 * l vectors of length rows ("Qt", l × rows) and B / Aᵀ·Q as l × cols, so every
 * inner loop runs over contiguous memory of both operands.
 */
export function lowRank(
  a: Float32Array,
  rows: number,
  cols: number,
  rank: number,
  seed: number,
  options: LowRankOptions = {},
): LowRankDelta {
  if (a.length !== rows * cols) throw new RangeError(`lowRank: ${a.length} values is not ${rows}×${cols}`);
  if (!Number.isInteger(rank) || rank < 1) throw new RangeError(`lowRank: rank must be a positive integer, got ${rank}`);
  const r = Math.min(rank, rows, cols);
  if (r === 0) {
    return { up: new Float32Array(0), down: new Float32Array(0), rank: 0, singularValues: new Float64Array(0) };
  }
  const p = options.oversampling ?? 8;
  const q = options.powerIterations ?? 2;
  const l = Math.min(r + p, rows, cols);

  // Ω stored as l × cols (row j = column j of Ω).
  const gauss = gaussianSource(seed);
  const omega = new Float64Array(l * cols);
  for (let i = 0; i < omega.length; i++) omega[i] = gauss();

  let qt = multiplyA(a, rows, cols, omega, l); // (A·Ω)ᵀ : l × rows
  orthonormalize(qt, l, rows);
  for (let it = 0; it < q; it++) {
    const z = multiplyAt(a, rows, cols, qt, l); // (Aᵀ·Q)ᵀ : l × cols
    orthonormalize(z, l, cols);
    qt = multiplyA(a, rows, cols, z, l);
    orthonormalize(qt, l, rows);
  }
  const b = multiplyAt(a, rows, cols, qt, l); // B = QᵀA : l × cols (row-major)

  // One-sided Jacobi on the rows of B: B = V·W with V (l×l) orthogonal and the
  // rows of W mutually orthogonal; row norms of W are the singular values.
  const v = jacobiRows(b, l, cols);
  const sigma = new Float64Array(l);
  for (let j = 0; j < l; j++) sigma[j] = Math.sqrt(dot(b, j * cols, b, j * cols, cols));
  const order = Array.from({ length: l }, (_, j) => j).sort((x, y) => sigma[y] - sigma[x] || x - y);

  // A ≈ Q·B = (Q·V)·W; keep the r strongest components.
  const up = new Float32Array(rows * r);
  const down = new Float32Array(r * cols);
  const singularValues = new Float64Array(r);
  const coef = new Float64Array(l);
  for (let c = 0; c < r; c++) {
    const j = order[c];
    const s = sigma[j];
    singularValues[c] = s;
    if (s === 0) continue; // zero component: leave up column / down row at zero
    for (let m = 0; m < l; m++) coef[m] = v[m * l + j];
    // up[:, c] = (Q·V)[:, j] · s   — unit left singular vector times σ
    for (let i = 0; i < rows; i++) {
      let acc = 0;
      for (let m = 0; m < l; m++) acc += qt[m * rows + i] * coef[m];
      up[i * r + c] = acc * s;
    }
    // down[c, :] = W[j, :] / s   — unit right singular vector
    const inv = 1 / s;
    const off = j * cols;
    for (let k = 0; k < cols; k++) down[c * cols + k] = b[off + k] * inv;
  }
  return { up, down, rank: r, singularValues };
}

/** (A · Z)ᵀ for Z given as l vectors of length cols (l × cols): returns l × rows. */
function multiplyA(a: Float32Array, rows: number, cols: number, zt: Float64Array, l: number): Float64Array {
  const out = new Float64Array(l * rows);
  for (let i = 0; i < rows; i++) {
    const aOff = i * cols;
    let j = 0;
    // Four vectors per pass: each row element of A is loaded once for four dot products.
    for (; j + 4 <= l; j += 4) {
      const z0 = j * cols;
      const z1 = z0 + cols;
      const z2 = z1 + cols;
      const z3 = z2 + cols;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < cols; k++) {
        const x = a[aOff + k];
        s0 += x * zt[z0 + k];
        s1 += x * zt[z1 + k];
        s2 += x * zt[z2 + k];
        s3 += x * zt[z3 + k];
      }
      out[j * rows + i] = s0;
      out[(j + 1) * rows + i] = s1;
      out[(j + 2) * rows + i] = s2;
      out[(j + 3) * rows + i] = s3;
    }
    for (; j < l; j++) {
      const zOff = j * cols;
      let acc = 0;
      for (let k = 0; k < cols; k++) acc += a[aOff + k] * zt[zOff + k];
      out[j * rows + i] = acc;
    }
  }
  return out;
}

/** (Aᵀ · Q)ᵀ = Qᵀ·A for Q given as l vectors of length rows (l × rows): returns l × cols. */
function multiplyAt(a: Float32Array, rows: number, cols: number, qt: Float64Array, l: number): Float64Array {
  const out = new Float64Array(l * cols);
  for (let i = 0; i < rows; i++) {
    const aOff = i * cols;
    let j = 0;
    for (; j + 4 <= l; j += 4) {
      const w0 = qt[j * rows + i];
      const w1 = qt[(j + 1) * rows + i];
      const w2 = qt[(j + 2) * rows + i];
      const w3 = qt[(j + 3) * rows + i];
      const o0 = j * cols;
      const o1 = o0 + cols;
      const o2 = o1 + cols;
      const o3 = o2 + cols;
      for (let k = 0; k < cols; k++) {
        const x = a[aOff + k];
        out[o0 + k] += w0 * x;
        out[o1 + k] += w1 * x;
        out[o2 + k] += w2 * x;
        out[o3 + k] += w3 * x;
      }
    }
    for (; j < l; j++) {
      const w = qt[j * rows + i];
      if (w === 0) continue;
      const oOff = j * cols;
      for (let k = 0; k < cols; k++) out[oOff + k] += w * a[aOff + k];
    }
  }
  return out;
}

function dot(x: Float64Array, xOff: number, y: Float64Array, yOff: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[xOff + i] * y[yOff + i];
  return s;
}

/**
 * Modified Gram–Schmidt, applied twice ("twice is enough") for stability, on
 * `count` vectors of length `n` stored contiguously. Vectors that vanish
 * (numerically dependent on earlier ones) become zero, which downstream code
 * treats as a zero singular component.
 */
export function orthonormalize(vecs: Float64Array, count: number, n: number): void {
  const originalNorm = new Float64Array(count);
  for (let j = 0; j < count; j++) originalNorm[j] = Math.sqrt(dot(vecs, j * n, vecs, j * n, n));
  for (let j = 0; j < count; j++) {
    const jOff = j * n;
    for (let pass = 0; pass < 2; pass++) {
      for (let m = 0; m < j; m++) {
        const mOff = m * n;
        const proj = dot(vecs, mOff, vecs, jOff, n);
        if (proj === 0) continue;
        for (let i = 0; i < n; i++) vecs[jOff + i] -= proj * vecs[mOff + i];
      }
    }
    const norm = Math.sqrt(dot(vecs, jOff, vecs, jOff, n));
    if (norm === 0 || norm <= 1e-14 * originalNorm[j] || !Number.isFinite(norm)) {
      vecs.fill(0, jOff, jOff + n);
    } else {
      const inv = 1 / norm;
      for (let i = 0; i < n; i++) vecs[jOff + i] *= inv;
    }
  }
}

/**
 * One-sided (Hestenes) Jacobi: rotates pairs of the `count` rows of `m`
 * (count × n, modified in place) until all rows are mutually orthogonal.
 * Returns the accumulated rotation V (count × count, row-major) such that
 * original = V · result.
 */
function jacobiRows(m: Float64Array, count: number, n: number): Float64Array {
  const v = new Float64Array(count * count);
  for (let j = 0; j < count; j++) v[j * count + j] = 1;
  const eps = 1e-15;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < count - 1; p++) {
      const pOff = p * n;
      for (let q = p + 1; q < count; q++) {
        const qOff = q * n;
        const alpha = dot(m, pOff, m, pOff, n);
        const beta = dot(m, qOff, m, qOff, n);
        const gamma = dot(m, pOff, m, qOff, n);
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < n; i++) {
          const x = m[pOff + i];
          const y = m[qOff + i];
          m[pOff + i] = c * x - s * y;
          m[qOff + i] = s * x + c * y;
        }
        // original = V·M; M_new = G·M with G rotating rows p,q  ⇒  V_new = V·Gᵀ
        for (let i = 0; i < count; i++) {
          const x = v[i * count + p];
          const y = v[i * count + q];
          v[i * count + p] = c * x - s * y;
          v[i * count + q] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  return v;
}

/** up·down as a dense row-major [rows, cols] Float32Array (i-k-j order, Float64 row accumulator). */
export function reconstructLowRank(up: Float32Array, down: Float32Array, rows: number, cols: number, rank: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const acc = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    acc.fill(0);
    for (let c = 0; c < rank; c++) {
      const w = up[i * rank + c];
      if (w === 0) continue;
      const dOff = c * cols;
      for (let k = 0; k < cols; k++) acc[k] += w * down[dOff + k];
    }
    out.set(acc, i * cols);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Error measurement.

/** Squared Frobenius norms of the reference and of the difference, accumulated in Float64. */
export interface ErrorAccumulator {
  /** Σ reference² */
  refSq: number;
  /** Σ (reference − approximation)² */
  errSq: number;
  /** max |reference − approximation| */
  maxAbs: number;
}

export function compareDense(reference: ArrayLike<number>, approx: ArrayLike<number>): ErrorAccumulator {
  if (reference.length !== approx.length) throw new RangeError(`compareDense: lengths differ (${reference.length} vs ${approx.length})`);
  let refSq = 0;
  let errSq = 0;
  let maxAbs = 0;
  for (let i = 0; i < reference.length; i++) {
    const x = reference[i];
    const d = x - approx[i];
    refSq += x * x;
    errSq += d * d;
    const ad = Math.abs(d);
    if (ad > maxAbs || ad !== ad) maxAbs = ad !== ad ? Infinity : ad;
  }
  return { refSq, errSq, maxAbs };
}

/** Error of a sparse approximation (values kept exactly at `indices`, zero elsewhere). */
export function compareSparse(reference: Float32Array, indices: ArrayLike<number>, values: ArrayLike<number>): ErrorAccumulator {
  let refSq = 0;
  let errSq = 0;
  let maxAbs = 0;
  let j = 0;
  for (let i = 0; i < reference.length; i++) {
    const x = reference[i];
    refSq += x * x;
    let d = x;
    if (j < indices.length && indices[j] === i) {
      d = x - values[j];
      j++;
    }
    errSq += d * d;
    const ad = Math.abs(d);
    if (ad > maxAbs || ad !== ad) maxAbs = ad !== ad ? Infinity : ad;
  }
  return { refSq, errSq, maxAbs };
}

/**
 * Error of a low-rank approximation up·down against `reference`, computed row
 * by row so no dense reconstruction is materialised.
 */
export function compareLowRank(
  reference: Float32Array,
  up: Float32Array,
  down: Float32Array,
  rows: number,
  cols: number,
  rank: number,
): ErrorAccumulator {
  let refSq = 0;
  let errSq = 0;
  let maxAbs = 0;
  const acc = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    acc.fill(0);
    for (let c = 0; c < rank; c++) {
      const w = up[i * rank + c];
      if (w === 0) continue;
      const dOff = c * cols;
      for (let k = 0; k < cols; k++) acc[k] += w * down[dOff + k];
    }
    const rOff = i * cols;
    for (let k = 0; k < cols; k++) {
      const x = reference[rOff + k];
      // Compare against the float the reader will produce.
      const d = x - Math.fround(acc[k]);
      refSq += x * x;
      errSq += d * d;
      const ad = Math.abs(d);
      if (ad > maxAbs || ad !== ad) maxAbs = ad !== ad ? Infinity : ad;
    }
  }
  return { refSq, errSq, maxAbs };
}

/** ‖reference − approx‖_F / ‖reference‖_F; 0 when both are zero, the absolute error when the reference is zero. */
export function relativeFrobenius(e: Pick<ErrorAccumulator, "refSq" | "errSq">): number {
  if (e.errSq === 0) return 0;
  if (e.refSq === 0) return Math.sqrt(e.errSq);
  return Math.sqrt(e.errSq / e.refSq);
}

/** Relative Frobenius error of two dense arrays. */
export function relativeFrobeniusError(reference: ArrayLike<number>, approx: ArrayLike<number>): number {
  return relativeFrobenius(compareDense(reference, approx));
}
