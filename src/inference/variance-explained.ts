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
  let random = 0;
  terms.forEach((term, t) => {
    const q = term.columns.length;
    const S = covariances[t];
    // mean of z_i' S z_i = sum over (a, b) of S_ab times the mean of z_a z_b.
    for (let a = 0; a < q; a++) {
      for (let b = 0; b < q; b++) {
        const za = term.columns[a];
        const zb = term.columns[b];
        let s = 0;
        for (let i = 0; i < n; i++) s += za[i] * zb[i];
        random += (S[a * q + b] * s) / n;
      }
    }
  });
  return { fixed: n > 1 ? ss / (n - 1) : 0, random, residual: sigma * sigma };
}

/** The ICC from the variance parts. */
export function iccOf(v: VarianceParts): Icc {
  return { adjusted: v.random / (v.random + v.residual), unadjusted: v.random / (v.fixed + v.random + v.residual) };
}

/** Nakagawa's R^2 from the variance parts. */
export function r2Of(v: VarianceParts): R2 {
  const total = v.fixed + v.random + v.residual;
  return { marginal: v.fixed / total, conditional: (v.fixed + v.random) / total };
}
