/**
 * Principal component analysis of n points in d dimensions (the projector's PCA): the covariance
 * (divisor n − 1, as numpy's `cov` and scikit-learn), its leading eigenvectors by subspace
 * iteration with a Rayleigh–Ritz step (a cyclic Jacobi solve of the small projected matrix), and
 * the points' coordinates along them. Deterministic: a fixed start, and each component's sign
 * chosen so that its entry of largest absolute value is positive.
 */
import { LabError } from '../errors';
import { Rng } from '../rng';

export interface PcaResult {
  /** The points' mean, d values. */
  mean: Float64Array;
  /** k components, each d values (unit length, row-major k×d). */
  components: Float64Array;
  /** The variance along each component (the covariance's eigenvalues, largest first). */
  eigenvalues: number[];
  /** The total variance (the covariance's trace). */
  totalVariance: number;
  /** eigenvalues / totalVariance. */
  explained: number[];
  /** n×k coordinates: (x − mean) · component. */
  scores: Float64Array;
  /** Subspace iterations done. */
  iterations: number;
  /** Every residual ‖Cv − λv‖ ended below the tolerance (else maxIterations ran out). */
  converged: boolean;
}

/** Above this many dimensions the covariance is never formed (d² doubles). */
export const EXPLICIT_MAX_DIMENSIONS = 2048;

export interface PcaOptions {
  /** Relative residual at which an eigenpair counts as found (‖Cv − λv‖ ≤ tol·λ₁). */
  tolerance?: number;
  maxIterations?: number;
}

/** The covariance matrix (d×d, row-major, divisor n − 1) of n points (row-major n×d) and their mean. */
export function covariance(points: ArrayLike<number>, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += points[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= n;
  // Σ x xᵀ − n·μμᵀ: the sum skips zero entries (after fc1's ReLU about half of them are zero).
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = points[i * d + j]!;
    for (let a = 0; a < d; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      const base = a * d;
      for (let b = a; b < d; b++) cov[base + b]! += ra * row[b]!;
    }
  }
  const div = n - 1;
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = (cov[a * d + b]! - n * mean[a]! * mean[b]!) / div;
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  }
  return { mean, cov };
}

/**
 * Eigen-decomposition of a small symmetric matrix (row-major m×m) by cyclic Jacobi rotations:
 * eigenvalues largest first, eigenvectors as the columns of `vectors` (row-major m×m).
 */
export function symmetricEigen(matrix: ArrayLike<number>, m: number): { values: number[]; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += a[p * m + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * m + q]! - a[p * m + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = a[k * m + p]!;
          const akq = a[k * m + q]!;
          a[k * m + p] = c * akp - s * akq;
          a[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = a[p * m + k]!;
          const aqk = a[q * m + k]!;
          a[p * m + k] = c * apk - s * aqk;
          a[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = v[k * m + p]!;
          const vkq = v[k * m + q]!;
          v[k * m + p] = c * vkp - s * vkq;
          v[k * m + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => a[j * m + j]! - a[i * m + i]! || i - j);
  const vectors = new Float64Array(m * m);
  order.forEach((src, dst) => {
    for (let k = 0; k < m; k++) vectors[k * m + dst] = v[k * m + src]!;
  });
  return { values: order.map((i) => a[i * m + i]!), vectors };
}

/** Orthonormalises the p columns of q (d×p, row-major) in place (modified Gram–Schmidt, twice). */
function orthonormalise(q: Float64Array, d: number, p: number, rng: Rng): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < p; j++) {
      for (let attempt = 0; attempt < 3; attempt++) {
        for (let i = 0; i < j; i++) {
          let dot = 0;
          for (let r = 0; r < d; r++) dot += q[r * p + i]! * q[r * p + j]!;
          for (let r = 0; r < d; r++) q[r * p + j]! -= dot * q[r * p + i]!;
        }
        let norm = 0;
        for (let r = 0; r < d; r++) norm += q[r * p + j]! ** 2;
        norm = Math.sqrt(norm);
        if (norm > 1e-12) {
          for (let r = 0; r < d; r++) q[r * p + j]! /= norm;
          break;
        }
        // The column lay in the others' span (a rank-deficient covariance): start it afresh.
        for (let r = 0; r < d; r++) q[r * p + j] = rng.next() - 0.5;
      }
    }
  }
}

/** y = C·q for C d×d and q d×p (row-major). */
function multiply(c: Float64Array, q: Float64Array, d: number, p: number, y: Float64Array): void {
  y.fill(0);
  for (let r = 0; r < d; r++) {
    for (let k = 0; k < d; k++) {
      const crk = c[r * d + k]!;
      if (crk === 0) continue;
      for (let j = 0; j < p; j++) y[r * p + j]! += crk * q[k * p + j]!;
    }
  }
}

/** The k leading principal components of n points (row-major n×d) and the points' coordinates along them. */
export function pca(points: ArrayLike<number>, n: number, d: number, k: number, options: PcaOptions = {}): PcaResult {
  if (!Number.isInteger(n) || n < 2) throw new LabError(`PCA needs at least 2 points, got ${n}`);
  if (!Number.isInteger(d) || d < 1 || points.length !== n * d) throw new LabError(`PCA: expected ${n}×${d} values, got ${points.length}`);
  if (!Number.isInteger(k) || k < 1 || k > d) throw new LabError(`PCA: the number of components must be 1..${d}, got ${k}`);
  const tolerance = options.tolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? 1000;
  // Up to EXPLICIT_MAX_DIMENSIONS the d×d covariance is formed once; above it (fc1 may have up to
  // 8,192 units) C·Q is applied as Xcᵀ(Xc·Q)/(n − 1), without the d² memory.
  let mean: Float64Array;
  let totalVariance = 0;
  let apply: (q: Float64Array, p: number, y: Float64Array) => void;
  if (d <= EXPLICIT_MAX_DIMENSIONS) {
    const c = covariance(points, n, d);
    mean = c.mean;
    for (let j = 0; j < d; j++) totalVariance += c.cov[j * d + j]!;
    apply = (q, p, y) => multiply(c.cov, q, d, p, y);
  } else {
    mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += points[i * d + j]!;
    for (let j = 0; j < d; j++) mean[j]! /= n;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) totalVariance += (points[i * d + j]! - mean[j]!) ** 2;
    totalVariance /= n - 1;
    const m = mean;
    apply = (q, p, y) => {
      y.fill(0);
      const t = new Float64Array(p);
      for (let i = 0; i < n; i++) {
        t.fill(0);
        for (let r = 0; r < d; r++) {
          const xr = points[i * d + r]! - m[r]!;
          for (let j = 0; j < p; j++) t[j]! += xr * q[r * p + j]!;
        }
        for (let r = 0; r < d; r++) {
          const xr = (points[i * d + r]! - m[r]!) / (n - 1);
          for (let j = 0; j < p; j++) y[r * p + j]! += xr * t[j]!;
        }
      }
    };
  }

  // A block a little wider than k converges at the rate λ(p+1)/λ(k), not λ(k+1)/λ(k).
  const p = Math.min(d, k + 8);
  const rng = new Rng(0x5ca1e);
  let q = Float64Array.from({ length: d * p }, () => rng.next() - 0.5);
  orthonormalise(q, d, p, rng);
  const y = new Float64Array(d * p);
  let values: number[];
  let iterations = 0;
  let converged: boolean;
  for (;;) {
    iterations++;
    apply(q, p, y);
    // Rayleigh–Ritz: the eigenpairs of T = Qᵀ C Q rotate Q onto the best approximations.
    const t = new Float64Array(p * p);
    for (let a = 0; a < p; a++)
      for (let b = a; b < p; b++) {
        let s = 0;
        for (let r = 0; r < d; r++) s += q[r * p + a]! * y[r * p + b]!;
        t[a * p + b] = s;
        t[b * p + a] = s;
      }
    const eig = symmetricEigen(t, p);
    values = eig.values;
    const rotated = new Float64Array(d * p);
    const cRotated = new Float64Array(d * p);
    for (let r = 0; r < d; r++)
      for (let j = 0; j < p; j++) {
        let s = 0;
        let cs = 0;
        for (let i = 0; i < p; i++) {
          const w = eig.vectors[i * p + j]!;
          s += q[r * p + i]! * w;
          cs += y[r * p + i]! * w;
        }
        rotated[r * p + j] = s;
        cRotated[r * p + j] = cs;
      }
    converged = true;
    const scale = Math.max(Math.abs(values[0] ?? 0), 1e-300);
    for (let j = 0; j < k && converged; j++) {
      let res = 0;
      for (let r = 0; r < d; r++) res += (cRotated[r * p + j]! - values[j]! * rotated[r * p + j]!) ** 2;
      if (Math.sqrt(res) > tolerance * scale) converged = false;
    }
    if (converged || iterations >= maxIterations) {
      q = rotated;
      break;
    }
    // The next block: C·Q, orthonormalised.
    q = cRotated;
    orthonormalise(q, d, p, rng);
  }

  const components = new Float64Array(k * d);
  for (let j = 0; j < k; j++) {
    let big = 0;
    for (let r = 1; r < d; r++) if (Math.abs(q[r * p + j]!) > Math.abs(q[big * p + j]!)) big = r;
    const sign = q[big * p + j]! < 0 ? -1 : 1;
    for (let r = 0; r < d; r++) components[j * d + r] = sign * q[r * p + j]!;
  }
  const scores = new Float64Array(n * k);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let r = 0; r < d; r++) s += (points[i * d + r]! - mean[r]!) * components[j * d + r]!;
      scores[i * k + j] = s;
    }
  const eigenvalues = values.slice(0, k).map((v) => Math.max(v, 0));
  return {
    mean,
    components,
    eigenvalues,
    totalVariance,
    explained: eigenvalues.map((v) => (totalVariance > 0 ? v / totalVariance : 0)),
    scores,
    iterations,
    converged,
  };
}
