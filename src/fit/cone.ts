// Optimality on the boundary of the covariance cone.
//
// theta holds each term's lower-triangular factor T (Sigma = s^2 T T'); the bound
// "diagonal >= 0" only fixes each column's sign. The real constraint is that
// Sigma be positive semi-definite, and a singular fit sits on the boundary of
// that cone. There a theta-space test is blind: the deviance can be stationary
// in a zero diagonal whose column has entries below it (its first derivative
// vanishes by the column's sign symmetry), while moving Sigma into the cone
// along a null vector w (Sigma + e w w') lowers it. The first-order condition
// for a minimum over the cone is w'Gw >= 0 for G = dd/dSigma on the null space;
// this module tests it with directional differences and returns a lower point
// when it fails, from which the optimiser continues.

import { dot, symmetricEigen, timesTranspose } from "../linalg.js";
import { factorAt, thetaLength, writeFactorAt } from "../model/covariance/unstructured.js";

/** What a check of a point found: a lower start to continue from (or null), and what was checked. */
export interface ProbeResult {
  start: Float64Array | null;
  /**
   * Where no lower point is near: a point of the cone's interior (each singular
   * term's null space filled in at the size of its other variances) from which a
   * search may find another basin; null when no singular term has other
   * variances (a scalar term at 0 has none).
   */
  jump: Float64Array | null;
  /** The directions tried, for the convergence report. */
  directions: number;
  /** Terms whose covariance was singular at the point. */
  singularTerms: number;
}

/** A check of a candidate optimum x (f(x) = fx) for lower points nearby. */
export type Probe = (f: (x: Float64Array) => number, x: Float64Array, fx: number) => ProbeResult;

/** An eigenvalue of Sigma at most this times its largest (or 1) counts as zero. */
const NULL_TOL = 1e-8;
/** Step of the directional differences, relative to the scale of Sigma. */
const DIFF_STEP = 1e-5;
/** Sizes e of the trial moves Sigma + e w w', relative to the scale of Sigma. */
const TRIAL_STEPS = [1e-4, 1e-3, 1e-2, 1e-1, 1];

/**
 * T' (lower, row-major q x q) with T'T'' = T T' + w w': the rank-one update of a
 * Cholesky factor by Givens rotations, which, unlike the textbook update, needs
 * no division by a diagonal and so works on singular factors.
 */
export function rankOneUpdate(T: Float64Array, w: ArrayLike<number>, q: number): Float64Array {
  const L = Float64Array.from(T);
  const x = Float64Array.from(w);
  for (let k = 0; k < q; k++) {
    const a = L[k * q + k];
    const b = x[k];
    const r = Math.hypot(a, b);
    if (r === 0) continue;
    const c = a / r;
    const s = b / r;
    L[k * q + k] = r;
    for (let i = k + 1; i < q; i++) {
      const li = L[i * q + k];
      L[i * q + k] = c * li + s * x[i];
      x[i] = -s * li + c * x[i];
    }
  }
  return L;
}

/** One term's covariance (relative to sigma^2) split by its eigen-decomposition. */
interface TermCovariance {
  T: Float64Array;
  /** The largest eigenvalue, or 1 if smaller: the scale of the moves. */
  scale: number;
  /** Unit eigenvectors of the zero eigenvalues. */
  nullSpace: Float64Array[];
  /** Eigenvectors of the others, each times the root of its eigenvalue (Sigma = sum of v v'). */
  range: Float64Array[];
}

function termCovariance(theta: ArrayLike<number>, at: number, q: number): TermCovariance {
  const T = factorAt(theta, at, q);
  const { values, vectors } = symmetricEigen(timesTranspose(T, q), q);
  const scale = Math.max(1, ...values);
  const column = (c: number, times: number) => Float64Array.from({ length: q }, (_, r) => vectors[r * q + c] * times);
  const nullSpace: Float64Array[] = [];
  const range: Float64Array[] = [];
  for (let c = 0; c < q; c++) {
    if (values[c] <= NULL_TOL * scale) nullSpace.push(column(c, 1));
    else range.push(column(c, Math.sqrt(values[c])));
  }
  return { T, scale, nullSpace, range };
}

/** The lower factor of T T' + sum of w w' over the given vectors. */
function updated(T: Float64Array, vectors: Float64Array[], q: number): Float64Array {
  return vectors.reduce((L, w) => rankOneUpdate(L, w, q), T);
}

/** An unstructured term of q columns whose entries of T start at `at` in the optimiser's point. */
export interface ConeBlock {
  at: number;
  q: number;
}

/**
 * The probe for the given unstructured terms of a model (other parameters are
 * left as they are). For each term whose Sigma is singular: the point on the
 * boundary itself (its tiny eigenvalues set to 0), then trial moves into the
 * cone along each null vector and along the most negative direction of G on the
 * null space (estimated by directional differences). Returns the lowest point
 * found if it is lower than fx, and the jump (see ProbeResult).
 */
export function coneProbe(blocks: readonly ConeBlock[]): Probe {
  return (f, x, fx) => {
    let best: Float64Array | null = null;
    // A trial move must lower the objective by this much to count.
    const margin = 1e-10 * (1 + Math.abs(fx));
    let fbest = fx - margin;
    let directions = 0;
    let singularTerms = 0;
    const evalAt = (theta: Float64Array) => {
      const v = f(theta);
      if (v < fbest) {
        fbest = Math.min(fbest, v);
        best = theta;
      }
      return v;
    };
    const jump = Float64Array.from(x);
    let jumps = false;
    for (const { at, q } of blocks) {
      const { T, scale, nullSpace, range } = termCovariance(x, at, q);
      const withFactor = (L: Float64Array) => {
        const theta = Float64Array.from(x);
        writeFactorAt(theta, at, L, q);
        return theta;
      };
      if (nullSpace.length > 0) {
        singularTerms++;
        // The search can stall a hair inside the boundary (a tiny eigenvalue
        // where the optimum has 0): the point on the boundary restarts it when
        // lower by the margin; when lower by less, snapToBoundary takes it at
        // the end (a restart would cost a search for nothing).
        evalAt(withFactor(updated(new Float64Array(q * q), range, q)));
        // A term with no variance left (a scalar term at 0) has no size to fill in
        // at; the trial moves below already reach it at the scale of 1.
        if (range.length > 0) {
          const fill = range.reduce((sum, v) => sum + dot(v, v), 0) / range.length;
          writeFactorAt(jump, at, updated(T, nullSpace.map((w) => w.map((v) => v * Math.sqrt(fill))), q), q);
          jumps = true;
        }
        const moveAlong = (w: Float64Array, e: number) => withFactor(rankOneUpdate(T, w.map((v) => v * Math.sqrt(e * scale)), q));
        const trial = [...nullSpace];
        const lowest = mostNegativeDirection(nullSpace, (w) => (evalAt(moveAlong(w, DIFF_STEP)) - fx) / DIFF_STEP);
        if (lowest) trial.push(lowest);
        for (const w of trial) {
          directions++;
          for (const e of TRIAL_STEPS) evalAt(moveAlong(w, e));
        }
      }
    }
    return { start: best, jump: jumps ? jump : null, directions, singularTerms };
  };
}


/**
 * The unit direction N v in the span of the null vectors N that minimises
 * v'N'GN v, from D(w) ~ w'Gw: D on each null vector and on each pair's sum
 * gives the k x k restriction of G. Null when the restriction has no negative
 * eigenvalue, or for a one-dimensional null space (the null vector itself is tried).
 */
function mostNegativeDirection(N: Float64Array[], D: (w: Float64Array) => number): Float64Array | null {
  const k = N.length;
  if (k < 2) return null;
  const G = new Float64Array(k * k);
  const diag = N.map((w) => D(w));
  for (let a = 0; a < k; a++) {
    G[a * k + a] = diag[a];
    for (let b = a + 1; b < k; b++) {
      const sum = N[a].map((v, i) => (v + N[b][i]) / Math.SQRT2);
      // D(sum) = (Gaa + Gbb)/2 + Gab for unit null vectors.
      G[a * k + b] = G[b * k + a] = D(sum) - (diag[a] + diag[b]) / 2;
    }
  }
  const { values, vectors } = symmetricEigen(G, k);
  let c = 0;
  for (let i = 1; i < k; i++) if (values[i] < values[c]) c = i;
  if (!(values[c] < 0)) return null;
  const w = new Float64Array(N[0].length);
  for (let a = 0; a < k; a++) for (let i = 0; i < w.length; i++) w[i] += vectors[a * k + c] * N[a][i];
  return w;
}

/**
 * The optimum x (objective fx) with every singular term put on the boundary
 * itself (its tiny eigenvalues set to 0), when that is not above fx by more
 * than rounding: a search that ends a hair inside the boundary (a variance of
 * 1e-33) then reports lme4's exact 0. The cone probe takes the boundary only
 * where it is lower; here an equal objective is enough. Null when no term moves.
 */
export function snapToBoundary(f: (x: Float64Array) => number, x: Float64Array, fx: number, blocks: readonly ConeBlock[]): { x: Float64Array; f: number } | null {
  const snapped = Float64Array.from(x);
  let moved = false;
  for (const { at, q } of blocks) {
    const { nullSpace, range } = termCovariance(x, at, q);
    if (nullSpace.length === 0) continue;
    writeFactorAt(snapped, at, updated(new Float64Array(q * q), range, q), q);
    for (let k = at; k < at + thetaLength(q); k++) if (snapped[k] !== x[k]) moved = true;
  }
  if (!moved) return null;
  const value = f(snapped);
  return value <= fx + 8 * Number.EPSILON * (1 + Math.abs(fx)) ? { x: snapped, f: value } : null;
}
