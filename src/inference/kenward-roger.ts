// Kenward-Roger's adjusted covariance of the fixed effects and denominator df,
// as pbkrtest 0.5.2 computes them (vcovAdj, Lb_ddf) and lmerTest reports them
// (summary(m, ddf = "Kenward-Roger")): per coefficient the KR df, the adjusted
// standard error sqrt(diag(Phi_A)) and the two-sided t-test p-value.
//
// The variance parameters are pbkrtest's: for each random-effects term the
// variances and covariances of its q x q covariance matrix (lower triangle,
// column by column), then the residual variance. The marginal covariance is
// Sigma = sum_r gamma_r G_r with G_r = Z D_r Z' (D_r block diagonal over the
// term's levels, a 1 at (a, a), or at (a, b) and (b, a)) and G_last = I. With
// Phi = vcov(beta):
//   P_r  = -X' Sigma^-1 G_r Sigma^-1 X
//   Q_rs =  X' Sigma^-1 G_r Sigma^-1 G_s Sigma^-1 X
//   IE2_rs = tr(Sigma^-1 G_r Sigma^-1 G_s) - 2 tr(Phi Q_rs) + tr(Phi P_r Phi P_s)
//   W = 2 IE2^-1 (a pseudo-inverse when IE2 is near singular)
//   Phi_A = Phi + 2 Phi [sum_rs W_rs (Q_rs - P_r Phi P_s)] Phi
// and for a contrast L (here one coefficient, q = 1) Lb_ddf's moment matching
// (A1, A2, B, g, c1..c3, rho) gives the df m = 4 + (q + 2) / (q rho - 1).
//
// pbkrtest works with the dense n x n Sigma. Here nothing n x n is formed:
// with U = Z Lambda, C = I + U'U and W0 = Lambda C^-1 Lambda',
// Sigma^-1 = (I - Z W0 Z') / sigma^2 (Woodbury), so every quantity above
// reduces to Q x Q and Q x p products (Q = number of random effects): one
// pass over the rows for Z'Z, Z'X and X'X, the inverse of C taken separately
// on each coupled set of random effects (q x q blocks for one grouping factor,
// one block per outer group for nested factors, a dense Q^3 inverse when
// factors are crossed), and O(Q^2) products with the sparse Z'Z on the left.
// Memory is a few dense Q x Q arrays, hence KR_MAX_RANDOM_EFFECTS.
import tcdf from "@stdlib/stats-base-dists-t-cdf";
import { LmmError } from "../errors.js";
import type { Design, RandomEffectsTerm } from "../model/design.js";
import { whitenedDesign } from "../model/weights.js";
import type { FittedModel } from "../model/fitted.js";
import { refuseStructured, structureOf, thetaToFactors } from "../model/parameters.js";
import { crossprod, identity, matmul, solveLinear, spdInverse, symmetricEigen, symmetrise, transpose } from "../linalg.js";
import { refuseResidual } from "../model/residual/structure.js";

/** Kenward-Roger df, adjusted standard errors and p-values by coefficient name. */
export interface KenwardRogerTable {
  /** Kenward-Roger denominator degrees of freedom by coefficient name. */
  df: Record<string, number>;
  /** Adjusted standard errors, sqrt(diag(vcovAdj)). */
  se: Record<string, number>;
  /** Two-sided p-values of estimate / adjusted SE on the KR df. */
  p: Record<string, number>;
}

/** The adjusted covariance and what the df of any contrast needs. */
export interface KenwardRogerAdjustment {
  /** Unadjusted vcov(beta) (Phi), row-major p x p. */
  phi: Float64Array;
  /** Adjusted vcov(beta) (Phi_A, pbkrtest's vcovAdj), row-major p x p. */
  phiA: Float64Array;
  /** P_r, one p x p matrix per variance parameter. */
  P: Float64Array[];
  /** W = 2 IE2^-1, row-major m x m (m variance parameters). */
  W: Float64Array;
  p: number;
}

/**
 * Largest number of random effects (columns of Z) for which the adjustment is
 * computed: it needs dense Q x Q matrices and a few Q^3 products.
 */
export const KR_MAX_RANDOM_EFFECTS = 2000;

// ---------------------------------------------------------------------------
// Dense helpers of the adjustment (row-major; general ones are in linalg.ts).

/** (A - B) * s, elementwise. */
function subScale(A: Float64Array, B: Float64Array, s: number): Float64Array {
  const out = new Float64Array(A.length);
  for (let i = 0; i < A.length; i++) out[i] = (A[i] - B[i]) * s;
  return out;
}

/**
 * 2 IE2^-1 as pbkrtest: solve() when the smallest |eigenvalue| exceeds 1e-10,
 * otherwise MASS::ginv (eigenvalues below sqrt(eps) times the largest dropped).
 */
function twiceInverse(IE2: Float64Array, m: number): Float64Array {
  const { values, vectors } = symmetricEigen(IE2, m);
  const abs = Array.from(values, Math.abs);
  const condi = Math.min(...abs);
  const largest = Math.max(...abs);
  const keep = (k: number) => (condi > 1e-10 ? true : abs[k] > Math.sqrt(Number.EPSILON) * largest);
  const out = new Float64Array(m * m);
  if (condi > 1e-10) {
    const inv = spdInverse(IE2, m);
    if (inv) {
      for (let i = 0; i < m * m; i++) out[i] = 2 * inv[i];
      return out;
    }
  }
  for (let k = 0; k < m; k++) {
    if (!keep(k)) continue;
    const w = 2 / values[k];
    for (let i = 0; i < m; i++) {
      const vik = vectors[i * m + k] * w;
      for (let j = 0; j < m; j++) out[i * m + j] += vik * vectors[j * m + k];
    }
  }
  return symmetrise(out, m);
}

/**
 * Inverse of a symmetric positive-definite matrix that may be block diagonal
 * up to a permutation: each connected set of rows (nonzero couplings) is
 * inverted on its own, so a single or nested grouping costs little.
 */
function blockwiseInverse(C: Float64Array, n: number): Float64Array {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (C[i * n + j] === 0) continue;
      const a = find(i);
      const b = find(j);
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    const g = groups.get(r);
    if (g) g.push(i);
    else groups.set(r, [i]);
  }
  const out = new Float64Array(n * n);
  for (const idx of groups.values()) {
    const k = idx.length;
    const S = new Float64Array(k * k);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) S[a * k + b] = C[idx[a] * n + idx[b]];
    const inv = spdInverse(S, k);
    if (!inv) throw new Error("internal: I + Lambda'Z'Z Lambda is not positive definite");
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) out[idx[a] * n + idx[b]] = inv[a * k + b];
  }
  return out;
}

// ---------------------------------------------------------------------------

/** A derivative matrix G_r = Z D_r Z' given by the (u, v) positions of the ones in D_r. */
interface Pattern {
  u: Int32Array;
  v: Int32Array;
}

/** sum over (u, v) of L[u, :]' R[v, :]: L' D R for L (Q x a), R (Q x b). */
function sandwich(pat: Pattern, Lm: Float64Array, a: number, Rm: Float64Array, b: number): Float64Array {
  const out = new Float64Array(a * b);
  for (let e = 0; e < pat.u.length; e++) {
    const lu = pat.u[e] * a;
    const rv = pat.v[e] * b;
    for (let i = 0; i < a; i++) {
      const x = Lm[lu + i];
      if (x === 0) continue;
      for (let j = 0; j < b; j++) out[i * b + j] += x * Rm[rv + j];
    }
  }
  return out;
}

/** D R for R (Q x b): row u of the result gets row v of R. */
function applyPattern(pat: Pattern, Rm: Float64Array, Q: number, b: number): Float64Array {
  const out = new Float64Array(Q * b);
  for (let e = 0; e < pat.u.length; e++) {
    const ou = pat.u[e] * b;
    const rv = pat.v[e] * b;
    for (let j = 0; j < b; j++) out[ou + j] += Rm[rv + j];
  }
  return out;
}

/** Lb_ddf's moment matching for a contrast of rank q given A1 and A2. */
export function krDdf(A1: number, A2: number, q: number): number {
  const B = (A1 + 6 * A2) / (2 * q);
  const g = ((q + 1) * A1 - (q + 4) * A2) / ((q + 2) * A2);
  const den = 3 * q + 2 * (1 - g);
  const c1 = g / den;
  const c2 = (q - g) / den;
  const c3 = (q + 2 - g) / den;
  let V0 = 1 + c1 * B;
  const V1 = 1 - c2 * B;
  const V2 = 1 - c3 * B;
  if (Math.abs(V0) < 1e-10) V0 = 0;
  const x = 1 - A2 / q;
  const ratio = Math.abs(x) < 1e-14 && Math.abs(V1) < 1e-14 ? 1 : x / V1;
  const rho = (1 / q) * ratio * ratio * (V0 / V2);
  return 4 + (q + 2) / (q * rho - 1);
}

/** Where the random effects sit: term k, level l, component a -> offsets[k] + l q_k + a, of Q in all. */
interface RandomEffectsLayout {
  qs: number[];
  offsets: number[];
  Q: number;
}

function randomEffectsLayout(terms: readonly RandomEffectsTerm[]): RandomEffectsLayout {
  const qs = terms.map((t) => t.names.length);
  const offsets: number[] = [];
  let Q = 0;
  for (const [k, t] of terms.entries()) {
    offsets.push(Q);
    Q += t.factor.levels.length * qs[k];
  }
  if (Q > KR_MAX_RANDOM_EFFECTS) {
    throw new LmmError(
      `Kenward-Roger's method needs dense ${Q} x ${Q} matrices of the random effects (more than ${KR_MAX_RANDOM_EFFECTS}); use Satterthwaite's df for a model this large.`,
    );
  }
  return { qs, offsets, Q };
}

/** Z'Z (A, Q x Q), Z'X (B, Q x p) and X'X (p x p), in one pass over the rows. */
function crossProducts(design: Design, z: RandomEffectsLayout): { A: Float64Array; B: Float64Array; XX: Float64Array } {
  const { n, terms } = design;
  const Xc = design.X.columns;
  const p = Xc.length;
  const { qs, offsets, Q } = z;
  const nz = qs.reduce((a, b) => a + b, 0);
  const idx = new Int32Array(nz);
  const val = new Float64Array(nz);
  const A = new Float64Array(Q * Q);
  const B = new Float64Array(Q * p);
  const XX = new Float64Array(p * p);
  const xrow = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    let e = 0;
    terms.forEach((t, k) => {
      const base = offsets[k] + t.factor.codes[i] * qs[k];
      for (let a = 0; a < qs[k]; a++) {
        idx[e] = base + a;
        val[e++] = t.columns[a][i];
      }
    });
    for (let j = 0; j < p; j++) xrow[j] = Xc[j][i];
    for (let a = 0; a < nz; a++) {
      const ra = idx[a] * Q;
      const va = val[a];
      for (let b = 0; b < nz; b++) A[ra + idx[b]] += va * val[b];
      const rb = idx[a] * p;
      for (let j = 0; j < p; j++) B[rb + j] += va * xrow[j];
    }
    for (let j = 0; j < p; j++) for (let l = 0; l < p; l++) XX[j * p + l] += xrow[j] * xrow[l];
  }
  return { A, B, XX };
}

/** Products with Lambda: block diagonal, T_k for each level of term k; T's zeros above the diagonal are skipped. */
class Lambda {
  constructor(
    private readonly terms: readonly RandomEffectsTerm[],
    private readonly Ts: Float64Array[],
    private readonly z: RandomEffectsLayout,
  ) {}

  /** Lambda M for M (Q x c). */
  times(M: Float64Array, c: number): Float64Array {
    return this.apply(M, c, false);
  }

  /** Lambda' M for M (Q x c). */
  transposeTimes(M: Float64Array, c: number): Float64Array {
    return this.apply(M, c, true);
  }

  private apply(M: Float64Array, c: number, transpose: boolean): Float64Array {
    const { qs, offsets, Q } = this.z;
    const out = new Float64Array(Q * c);
    this.terms.forEach((t, k) => {
      const q = qs[k];
      const T = this.Ts[k];
      for (let l = 0; l < t.factor.levels.length; l++) {
        const base = offsets[k] + l * q;
        for (let a = 0; a < q; a++) {
          const o = (base + a) * c;
          for (let b = 0; b < q; b++) {
            const w = transpose ? T[b * q + a] : T[a * q + b];
            if (w === 0) continue;
            const r = (base + b) * c;
            for (let j = 0; j < c; j++) out[o + j] += w * M[r + j];
          }
        }
      }
    });
    return out;
  }

  /** M Lambda for M (r x Q). */
  rightOf(M: Float64Array, r: number): Float64Array {
    const { qs, offsets, Q } = this.z;
    const out = new Float64Array(r * Q);
    this.terms.forEach((t, k) => {
      const q = qs[k];
      const T = this.Ts[k];
      for (let l = 0; l < t.factor.levels.length; l++) {
        const base = offsets[k] + l * q;
        for (let b = 0; b < q; b++) {
          for (let a = b; a < q; a++) {
            const w = T[a * q + b];
            if (w === 0) continue;
            for (let i = 0; i < r; i++) out[i * Q + base + b] += M[i * Q + base + a] * w;
          }
        }
      }
    });
    return out;
  }
}

/** W0 = Lambda C^-1 Lambda' with C = I + Lambda' Z'Z Lambda: Sigma^-1 = (I - Z W0 Z') / sigma^2 (Woodbury). */
function woodburyCore(A: Float64Array, lambda: Lambda, Q: number): Float64Array {
  const C = symmetrise(lambda.rightOf(lambda.transposeTimes(A, Q), Q), Q);
  for (let i = 0; i < Q; i++) C[i * Q + i] += 1;
  const Ci = blockwiseInverse(C, Q);
  // Lambda Ci Lambda' = Lambda (Lambda Ci)', Ci symmetric.
  return symmetrise(lambda.times(transpose(lambda.times(Ci, Q), Q, Q), Q), Q);
}

/** The products with powers of Sigma^-1 that the derivatives of the adjustment are made of. */
interface SigmaProducts {
  Q: number;
  /** A W0 (W0 A is its transpose). */
  AW: Float64Array;
  /** Z'Sigma^-1 Z (Q x Q). */
  M: Float64Array;
  /** Z'Sigma^-1 X (Q x p). */
  N: Float64Array;
  /** Z'Sigma^-2 X (Q x p). */
  Y: Float64Array;
  /** X'Sigma^-2 X and X'Sigma^-3 X (p x p). */
  X2: Float64Array;
  X3: Float64Array;
  /** tr(Sigma^-2). */
  trSigma2: number;
  s2: number;
}

/**
 * Sigma^-1 = (I - Z W0 Z') / s2, so Z'Sigma^-1 U = (Z'U - A W0 Z'U) / s2 and
 * (Sigma^-1 U)'(Sigma^-1 V) = (U'Sigma^-1 V - (Z'U)' W0 (Z'Sigma^-1 V)) / s2.
 * A is sparse: products keep it on the left (matmul skips its zeros).
 */
function sigmaProducts(cp: { A: Float64Array; B: Float64Array; XX: Float64Array }, W0: Float64Array, Q: number, p: number, n: number, s2: number): SigmaProducts {
  const { A, B, XX } = cp;
  const AW = matmul(A, W0, Q, Q, Q);
  const M = symmetrise(subScale(A, matmul(A, transpose(AW, Q, Q), Q, Q, Q), 1 / s2), Q);
  const N = subScale(B, matmul(AW, B, Q, Q, p), 1 / s2);
  const W0B = matmul(W0, B, Q, Q, p);
  const XSX = symmetrise(subScale(XX, crossprod(B, W0B, Q, p, p), 1 / s2), p); // X'Sigma^-1 X
  const Y = subScale(N, matmul(AW, N, Q, Q, p), 1 / s2);
  const W0N = matmul(W0, N, Q, Q, p);
  const X2 = symmetrise(subScale(XSX, crossprod(B, W0N, Q, p, p), 1 / s2), p);
  const X3 = symmetrise(subScale(X2, crossprod(N, W0N, Q, p, p), 1 / s2), p);
  let trAW = 0;
  let trAW2 = 0;
  for (let i = 0; i < Q; i++) {
    trAW += AW[i * Q + i];
    for (let j = 0; j < Q; j++) trAW2 += AW[i * Q + j] * AW[j * Q + i];
  }
  const trSigma2 = (n - 2 * trAW + trAW2) / (s2 * s2);
  return { Q, AW, M, N, Y, X2, X3, trSigma2, s2 };
}

/** (Z'Sigma^-2 Z)[v, u] = (M[v, u] - (A W0 M)[v, u]) / s2. */
function zSigma2Z(sp: SigmaProducts, v: number, u: number): number {
  const { Q, AW, M, s2 } = sp;
  let t = 0;
  for (let k = 0; k < Q; k++) t += AW[v * Q + k] * M[u * Q + k];
  return (M[v * Q + u] - t) / s2;
}

/**
 * The variance parameters but the residual's: per term the entries (a, b) of
 * its covariance that its structure gives a parameter (for an unstructured term
 * the lower triangle column by column), each as the ones of its D_r.
 */
function variancePatterns(terms: readonly RandomEffectsTerm[], z: RandomEffectsLayout): Pattern[] {
  const patterns: Pattern[] = [];
  terms.forEach((t, k) => {
    const q = z.qs[k];
    const L = t.factor.levels.length;
    for (const [a, b] of structureOf(t).covariancePairs()) {
      const len = a === b ? L : 2 * L;
      const u = new Int32Array(len);
      const v = new Int32Array(len);
      for (let l = 0, e = 0; l < L; l++) {
        const base = z.offsets[k] + l * q;
        u[e] = base + a;
        v[e++] = base + b;
        if (a !== b) {
          u[e] = base + b;
          v[e++] = base + a;
        }
      }
      patterns.push({ u, v });
    }
  });
  return patterns;
}

/** P_r = -X'Sigma^-1 G_r Sigma^-1 X per variance parameter, the residual's last. */
function firstDerivatives(patterns: Pattern[], sp: SigmaProducts, p: number): Float64Array[] {
  const P = patterns.map((pat) => symmetrise(sandwich(pat, sp.N, p, sp.N, p).map((x) => -x), p));
  P.push(sp.X2.map((x) => -x));
  return P;
}

/** Q_rs (r <= s) and the traces tr(Sigma^-1 G_r Sigma^-1 G_s) (Kt, m x m), the residual's last. */
function secondDerivatives(patterns: Pattern[], sp: SigmaProducts, p: number): { QQ: Float64Array[][]; Kt: Float64Array } {
  const { Q, M, N, Y, X3, trSigma2 } = sp;
  const mr = patterns.length;
  const m = mr + 1;
  // The Q x p products M D_s N.
  const MDN = patterns.map((pat) => matmul(M, applyPattern(pat, N, Q, p), Q, Q, p));
  const Kt = new Float64Array(m * m);
  const QQ: Float64Array[][] = Array.from({ length: m }, () => new Array<Float64Array>(m));
  for (let r = 0; r < m; r++) {
    for (let s = r; s < m; s++) {
      let k = 0;
      let Qrs: Float64Array;
      if (s < mr) {
        const a = patterns[r];
        const b = patterns[s];
        for (let e = 0; e < a.u.length; e++) {
          const u = a.u[e];
          const v = a.v[e];
          for (let f = 0; f < b.u.length; f++) k += M[v * Q + b.u[f]] * M[b.v[f] * Q + u];
        }
        Qrs = sandwich(a, N, p, MDN[s], p);
      } else if (r < mr) {
        const a = patterns[r];
        for (let e = 0; e < a.u.length; e++) k += zSigma2Z(sp, a.v[e], a.u[e]);
        Qrs = sandwich(a, N, p, Y, p);
      } else {
        k = trSigma2;
        Qrs = X3;
      }
      Kt[r * m + s] = Kt[s * m + r] = k;
      QQ[r][s] = Qrs;
    }
  }
  return { QQ, Kt };
}

/** IE2_rs = tr(Sigma^-1 G_r Sigma^-1 G_s) - 2 tr(Phi Q_rs) + tr(Phi P_r Phi P_s). */
function expectedInformation(phi: Float64Array, P: Float64Array[], PhiP: Float64Array[], QQ: Float64Array[][], Kt: Float64Array, p: number): Float64Array {
  const m = P.length;
  const PPhi = P.map((Pr) => matmul(Pr, phi, p, p, p));
  const IE2 = new Float64Array(m * m);
  for (let r = 0; r < m; r++) {
    for (let s = r; s < m; s++) {
      let t1 = 0;
      let t2 = 0;
      const Qrs = QQ[r][s];
      for (let i = 0; i < p * p; i++) {
        t1 += phi[i] * Qrs[i];
        t2 += PhiP[r][i] * PPhi[s][i];
      }
      IE2[r * m + s] = IE2[s * m + r] = Kt[r * m + s] - 2 * t1 + t2;
    }
  }
  return IE2;
}

/** Phi_A = Phi + 2 Phi U Phi with U = sum_rs W_rs (Q_rs - P_r Phi P_s) over all (r, s), Q_sr = Q_rs'. */
function adjustedCovariance(phi: Float64Array, P: Float64Array[], PhiP: Float64Array[], QQ: Float64Array[][], W: Float64Array, p: number): Float64Array {
  const m = P.length;
  const UU = new Float64Array(p * p);
  for (let r = 0; r < m; r++) {
    for (let s = r; s < m; s++) {
      const w = W[r * m + s];
      const D = matmul(P[r], PhiP[s], p, p, p); // P_r Phi P_s
      const Qrs = QQ[r][s];
      for (let i = 0; i < p; i++) {
        for (let j = 0; j < p; j++) {
          const x = w * (Qrs[i * p + j] - D[i * p + j]);
          UU[i * p + j] += x;
          if (r !== s) UU[j * p + i] += x;
        }
      }
    }
  }
  const G = matmul(matmul(phi, UU, p, p, p), phi, p, p, p);
  return symmetrise(phi.map((x, i) => x + 2 * G[i]), p);
}

/**
 * pbkrtest's vcovAdj for a REML fit: the adjusted covariance Phi_A with the
 * P_r and W that the df of a contrast needs.
 */
export function kenwardRogerAdjustment(model: FittedModel): KenwardRogerAdjustment {
  // Its variance parameters are the unstructured terms' covariance entries.
  refuseStructured(model.design.terms, "Kenward-Roger's method", "use Satterthwaite's df (ddf \"satterthwaite\", --ddf satterthwaite)");
  // Its matrices are built for iid residuals, and no reference in reach computes it for nlme's fits to check an extension against.
  refuseResidual(model.deviance.source.residual, "Kenward-Roger's method", 'use Satterthwaite\'s df (ddf "satterthwaite", --ddf satterthwaite), which emmeans also gives for nlme\'s gls and lme fits');
  if (!model.REML) {
    throw new LmmError(
      "Kenward-Roger's method is only available for REML fits (as in lmerTest): refit by REML (REML: true, or drop --ml), or use Satterthwaite's df.",
    );
  }
  // With prior weights, the equivalent unweighted model of the scaled rows.
  const design = whitenedDesign(model.design);
  const p = design.X.columns.length;
  const z = randomEffectsLayout(design.terms);
  const cp = crossProducts(design, z);
  const W0 = woodburyCore(cp.A, new Lambda(design.terms, thetaToFactors(design.terms, model.theta), z), z.Q);
  const sp = sigmaProducts(cp, W0, z.Q, p, design.n, model.sigma * model.sigma);
  const patterns = variancePatterns(design.terms, z);
  const phi = new Float64Array(p * p);
  model.vcov.forEach((row, i) => row.forEach((x, j) => (phi[i * p + j] = x)));
  const P = firstDerivatives(patterns, sp, p);
  const { QQ, Kt } = secondDerivatives(patterns, sp, p);
  const PhiP = P.map((Pr) => matmul(phi, Pr, p, p, p));
  const W = twiceInverse(expectedInformation(phi, P, PhiP, QQ, Kt, p), P.length);
  return { phi, phiA: adjustedCovariance(phi, P, PhiP, QQ, W, p), P, W, p };
}

/**
 * Kenward-Roger df of a one-row contrast L'beta (pbkrtest's Lb_ddf with
 * V0 = vcov(beta) and Vadj = vcovAdj).
 */
export function contrastDdf(adj: KenwardRogerAdjustment, L: ArrayLike<number>): number {
  const { phi, P, W, p } = adj;
  const m = P.length;
  const Lphi = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let s = 0;
    for (let i = 0; i < p; i++) s += L[i] * phi[i * p + j];
    Lphi[j] = s;
  }
  let vL = 0;
  for (let i = 0; i < p; i++) vL += Lphi[i] * L[i];
  // Theta V0 P_r V0 = L (L'V0 L)^-1 L' V0 P_r V0 has rank one: its trace and
  // sum(u_r * t(u_s)) are a_r and a_r a_s with a_r = (L'V0) P_r (V0 L) / (L'V0 L).
  const a = P.map((Pr) => {
    let s = 0;
    for (let i = 0; i < p; i++) {
      if (Lphi[i] === 0) continue;
      let t = 0;
      for (let j = 0; j < p; j++) t += Pr[i * p + j] * Lphi[j];
      s += Lphi[i] * t;
    }
    return s / vL;
  });
  let A1 = 0;
  for (let r = 0; r < m; r++) for (let s = 0; s < m; s++) A1 += W[r * m + s] * a[r] * a[s];
  return krDdf(A1, A1, 1);
}

/**
 * Kenward-Roger t tests of the fixed effects, as lmerTest's
 * summary(m, ddf = "Kenward-Roger"): per coefficient the KR df, the adjusted
 * SE and the two-sided p-value. REML fits only, as lmerTest.
 */
export function kenwardRoger(model: FittedModel): KenwardRogerTable {
  const out: KenwardRogerTable = { df: {}, se: {}, p: {} };
  if (model.coefNames.length === 0) {
    if (!model.REML) kenwardRogerAdjustment(model); // the same error as with coefficients
    return out;
  }
  const adj = kenwardRogerAdjustment(model);
  const { p, phiA } = adj;
  model.coefNames.forEach((name, k) => {
    const L = new Float64Array(p);
    L[k] = 1;
    const df = contrastDdf(adj, L);
    const se = Math.sqrt(phiA[k * p + k]);
    const t = model.fixef[name] / se;
    out.df[name] = df;
    out.se[name] = se;
    out.p[name] = Number.isFinite(df) && df > 0 ? 2 * tcdf(-Math.abs(t), df) : NaN;
  });
  return out;
}

/**
 * Kenward-Roger F test of L beta = 0 for a q x p contrast (the rows of L), as
 * pbkrtest's KRmodcomp: the Wald statistic on the adjusted covariance, scaled
 * by lambda, with denominator df m. Theta = L'(L Phi L')^-1 L, U_r = Theta Phi P_r Phi,
 * A1 = sum W_rs tr(U_r) tr(U_s), A2 = sum W_rs tr(U_r U_s).
 */
export function contrastFTest(adj: KenwardRogerAdjustment, L: Float64Array[], beta: ArrayLike<number>): { F: number; ddf: number } {
  const { phi, phiA, P, W, p } = adj;
  const q = L.length;
  const m = P.length;
  const Lm = new Float64Array(q * p);
  L.forEach((row, r) => Lm.set(row, r * p));
  const Lt = transpose(Lm, q, p);
  // L Phi L' and L Phi_A L' are positive definite for a full-rank contrast.
  const inverse = (S: Float64Array) => {
    const inv = solveLinear(S, identity(q), q, q);
    if (!inv) throw new LmmError("The contrast of the F test is not of full rank: give linearly independent rows.");
    return inv;
  };
  // Wald statistic on the adjusted covariance.
  const Lb = matmul(Lm, Float64Array.from(beta), q, p, 1);
  const LPhiALt = matmul(matmul(Lm, phiA, q, p, p), Lt, q, p, q);
  const wald = Lb.reduce((s, v, r) => s + v * matmul(inverse(LPhiALt), Lb, q, q, 1)[r], 0);
  // Theta and the U_r.
  const Theta = matmul(matmul(Lt, inverse(matmul(matmul(Lm, phi, q, p, p), Lt, q, p, q)), p, q, q), Lm, p, q, p);
  const U = P.map((Pr) => matmul(matmul(matmul(Theta, phi, p, p, p), Pr, p, p, p), phi, p, p, p));
  const trace = (A: Float64Array) => {
    let s = 0;
    for (let i = 0; i < p; i++) s += A[i * p + i];
    return s;
  };
  const trProd = (A: Float64Array, B: Float64Array) => {
    let s = 0;
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) s += A[i * p + j] * B[j * p + i];
    return s;
  };
  const tr = U.map(trace);
  let A1 = 0;
  let A2 = 0;
  for (let r = 0; r < m; r++) {
    for (let s = 0; s < m; s++) {
      A1 += W[r * m + s] * tr[r] * tr[s];
      A2 += W[r * m + s] * trProd(U[r], U[s]);
    }
  }
  const ddf = krDdf(A1, A2, q);
  const E = 1 / (1 - A2 / q);
  const scaling = q === 1 ? 1 : ddf / (E * (ddf - 2));
  return { F: (scaling * wald) / q, ddf };
}
