// How much of the response's variance each part of the model explains, as
// R's performance package reports it: the intraclass correlation (icc) and
// Nakagawa's marginal and conditional R^2 (r2_nakagawa), from the variance of
// the fixed-effects predictions, the random effects' variance averaged over the
// rows (Johnson's extension to random slopes: mean of z_i' Sigma z_i) and the
// residual variance.
import type { ModelMatrix, RandomEffectsTerm } from "../model/design.js";

/** The three variances the ICC and R^2 are built from (insight::get_variance's var.fixed, var.random, var.residual). */
export interface VarianceParts {
  /** Sample variance (n - 1) of X beta over the rows used. */
  fixed: number;
  /** Sum over the terms of the mean over the rows of z_i' Sigma_t z_i. */
  random: number;
  /** sigma^2. */
  residual: number;
}

/** performance::icc: random over random + residual (adjusted), and over all three (unadjusted). */
export interface Icc {
  adjusted: number;
  unadjusted: number;
}

/** performance::r2_nakagawa: fixed, and fixed + random, over all three. */
export interface R2 {
  marginal: number;
  conditional: number;
}

/**
 * The variance parts of a fit: X and beta give the fixed part; each term's
 * columns and its covariance (q x q, row-major, in the response's units) the
 * random part; sigma the residual.
 */
export function varianceParts(X: ModelMatrix, beta: ArrayLike<number>, terms: readonly RandomEffectsTerm[], covariances: readonly Float64Array[], sigma: number): VarianceParts {
  const n = X.columns[0]?.length ?? terms[0].columns[0].length;
  const eta = new Float64Array(n);
  X.columns.forEach((col, j) => {
    for (let i = 0; i < n; i++) eta[i] += col[i] * beta[j];
  });
  let mean = 0;
  for (let i = 0; i < n; i++) mean += eta[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (eta[i] - mean) ** 2;
  // The sums over the rows of z z' per term, for randomVariance.
  const zz = terms.map((term) => {
    const q = term.columns.length;
    const sums = new Float64Array(q * q);
    for (let a = 0; a < q; a++) {
      for (let b = 0; b < q; b++) {
        const za = term.columns[a];
        const zb = term.columns[b];
        let s = 0;
        for (let i = 0; i < n; i++) s += za[i] * zb[i];
        sums[a * q + b] = s;
      }
    }
    return sums;
  });
  return { fixed: n > 1 ? ss / (n - 1) : 0, random: randomVariance(zz, covariances, n), residual: sigma * sigma };
}

/**
 * The random effects' variance averaged over the rows: the mean of z_i' S z_i
 * is the sum over (a, b) of S_ab times the mean of z_a z_b, from each term's
 * sums over the rows of z z' (q x q, row-major).
 */
function randomVariance(zz: readonly Float64Array[], covariances: readonly Float64Array[], n: number): number {
  let random = 0;
  zz.forEach((sums, t) => sums.forEach((s, k) => (random += (covariances[t][k] * s) / n)));
  return random;
}

/**
 * The variance parts from the sums of products over the rows alone (a model
 * fitted from SQL statistics): the fixed predictions' variance is
 * beta' C beta / (n - 1), C the centred cross-products of X's columns.
 */
export function variancePartsFromSums(xCentred: Float64Array, beta: ArrayLike<number>, zz: readonly Float64Array[], covariances: readonly Float64Array[], sigma: number, n: number): VarianceParts {
  const p = beta.length;
  let ss = 0;
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) ss += beta[a] * xCentred[a * p + b] * beta[b];
  return { fixed: n > 1 ? ss / (n - 1) : 0, random: randomVariance(zz, covariances, n), residual: sigma * sigma };
}

export function iccOf(v: VarianceParts): Icc {
  return { adjusted: v.random / (v.random + v.residual), unadjusted: v.random / (v.fixed + v.random + v.residual) };
}

/** Nakagawa's R^2 from the variance parts. */
export function r2Of(v: VarianceParts): R2 {
  const total = v.fixed + v.random + v.residual;
  return { marginal: v.fixed / total, conditional: (v.fixed + v.random) / total };
}
