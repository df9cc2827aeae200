// Satterthwaite's denominator degrees of freedom for the fixed effects, as
// lmerTest computes them. The variance parameters are (theta, sigma); their
// asymptotic covariance is A = 2 H^-1, H the Hessian of the (REML or ML)
// deviance d(theta, sigma) = log|L|^2 [+ log|R_X|^2] + r2/sigma^2 + nu log(2 pi sigma^2).
// For a coefficient j with variance C_jj(theta, sigma), df = 2 C_jj^2 / (g' A g),
// g the gradient of C_jj. Derivatives in theta are central differences (of the
// analytic gradient for H, of C for g) at the same points theta +/- h e_i, so
// each point costs one evaluation; derivatives in sigma are analytic.
// A structured term's variance parameters are its own (theta is a function of
// them): the derivatives are taken in those, through the structure's map to
// theta and its Jacobian; g'Ag is the same in any smooth parameterisation of
// the same model, so for unstructured terms (theta itself) nothing changes.
import tcdf from "@stdlib/stats-base-dists-t-cdf";
import { identity, inverseFromCholesky, solveLinear } from "../linalg.js";
import type { ProfiledDeviance } from "../model/deviance.js";
import type { TermOutline } from "../model/design.js";
import { parameterMap, type ParameterMap } from "../model/parameters.js";
import { refuseResidual } from "../model/residual/structure.js";

/** Satterthwaite df and two-sided p-values by coefficient name. */
export interface DdfTable {
  /** Denominator degrees of freedom by coefficient name. */
  df: Record<string, number>;
  /** Two-sided p-values of the t statistics. */
  p: Record<string, number>;
}

/** What one evaluation at theta gives: r2 and (R_X'R_X)^-1 (vcov(beta) / sigma^2). */
function atPoint(dev: ProfiledDeviance, theta: ArrayLike<number>): { r2: number; unscaledVcov: Float64Array } {
  dev.evaluate(theta);
  return { r2: dev.parts().r2, unscaledVcov: inverseFromCholesky(dev.fixedFactor(), dev.layout.p) };
}

/** atPoint at the covariance parameters, and d's gradient in them and in sigma at the same point. */
function withGradient(dev: ProfiledDeviance, map: ParameterMap, par: Float64Array, sigma: number) {
  const point = atPoint(dev, map.theta(par));
  const { gTheta, gSigma } = dev.sigmaDevianceGradient(sigma);
  return { ...point, gPar: map.gradient(par, gTheta), gSigma };
}

const step = (v: number) => 1e-4 * Math.max(1, Math.abs(v));

/** What Satterthwaite's df of any contrast needs, computed once at the optimum. */
export interface SatterthwaitePieces {
  p: number;
  /** vcov(beta), row-major p x p. */
  C: Float64Array;
  /** dC / d(theta, sigma): one row-major p x p matrix per variance parameter. */
  jacobian: Float64Array[];
  /** Asymptotic covariance of (covariance parameters, sigma), 2 H^-1 (null when H is singular). */
  A: Float64Array | null;
}

/**
 * The pieces at the optimum (the terms' covariance parameters `par`, which are
 * theta for unstructured terms, and sigma). The deviance is left evaluated there.
 */
export function satterthwaitePieces(dev: ProfiledDeviance, terms: readonly TermOutline[], par: ArrayLike<number>, sigma: number): SatterthwaitePieces {
  // Its Hessian would have to run over rho too (each step a new whitening); without a reference to check it against, it is refused.
  refuseResidual(dev.source.residual, "Satterthwaite's df", 'use t tests without df (ddf "none", --ddf none; the summary\'s default for such models) or a likelihood-ratio test (lmm compare)');
  const map = parameterMap(terms);
  const k = par.length;
  const p = dev.layout.p;
  const m = k + 1;
  const s2 = sigma * sigma;
  const H = new Float64Array(m * m);
  const jacobian: Float64Array[] = [];
  const th = Float64Array.from(par);
  for (let i = 0; i < k; i++) {
    const h = step(par[i]);
    th[i] = par[i] + h;
    const plus = withGradient(dev, map, th, sigma);
    th[i] = par[i] - h;
    const minus = withGradient(dev, map, th, sigma);
    th[i] = par[i];
    for (let j = 0; j < k; j++) H[i * m + j] = (plus.gPar[j] - minus.gPar[j]) / (2 * h);
    H[i * m + k] = H[k * m + i] = (plus.gSigma - minus.gSigma) / (2 * h);
    jacobian.push(plus.unscaledVcov.map((v, j) => (s2 * (v - minus.unscaledVcov[j])) / (2 * h)));
  }
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < i; j++) H[i * m + j] = H[j * m + i] = (H[i * m + j] + H[j * m + i]) / 2;
  }
  const here = atPoint(dev, map.theta(Float64Array.from(par)));
  // d2/dsigma2 of r2/sigma^2 + nu log(sigma^2).
  H[k * m + k] = (6 * here.r2) / (s2 * s2) - (2 * dev.nu) / s2;
  const Hinv = solveLinear(H, identity(m), m, m);
  const C0 = here.unscaledVcov;
  // C = sigma^2 (R_X'R_X)^-1, so dC/dsigma = 2 sigma (R_X'R_X)^-1.
  jacobian.push(C0.map((v) => 2 * sigma * v));
  return { p, C: C0.map((v) => s2 * v), jacobian, A: Hinv ? Hinv.map((v) => 2 * v) : null };
}

const quadratic = (l: ArrayLike<number>, M: Float64Array, n: number) => {
  let s = 0;
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) s += l[a] * M[a * n + b] * l[b];
  return s;
};

/** Satterthwaite's df of the contrast l'beta: 2 (l'Cl)^2 / (g'Ag), g_k = l' (dC/dvarpar_k) l. */
export function contrastDf(pc: SatterthwaitePieces, l: ArrayLike<number>): number {
  if (!pc.A) return NaN;
  const g = pc.jacobian.map((J) => quadratic(l, J, pc.p));
  const gAg = quadratic(g, pc.A, g.length);
  const v = quadratic(l, pc.C, pc.p);
  return gAg > 0 ? (2 * v * v) / gAg : NaN;
}

/**
 * Satterthwaite df and p-values for every coefficient, at the optimum (the
 * covariance parameters, sigma). The deviance object is left evaluated there.
 */
export function satterthwaite(
  dev: ProfiledDeviance,
  terms: readonly TermOutline[],
  par: ArrayLike<number>,
  sigma: number,
  names: string[],
  t: Record<string, number>,
): DdfTable {
  const pc = satterthwaitePieces(dev, terms, par, sigma);
  const df: Record<string, number> = {};
  const pv: Record<string, number> = {};
  names.forEach((name, j) => {
    const l = new Float64Array(pc.p);
    l[j] = 1;
    df[name] = contrastDf(pc, l);
    pv[name] = Number.isFinite(df[name]) ? 2 * tcdf(-Math.abs(t[name]), df[name]) : NaN;
  });
  return { df, p: pv };
}
