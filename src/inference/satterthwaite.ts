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
// A residual structure's parameters rho (nlme's correlation and variance
// functions) join theta the same way: d gains sum_i log|Psi_i(rho)| through
// the whitening, and its gradient in rho at fixed sigma is analytic without
// random-effects terms (gls, fit/gls-gradient.ts) and a central difference of
// d with them (as the fit loop's); each point in rho whitens the rows anew.
import tcdf from "@stdlib/stats-base-dists-t-cdf";
import { glsRhoGradient } from "../fit/gls-gradient.js";
import { identity, inverseFromCholesky, solveLinear } from "../linalg.js";
import type { ProfiledDeviance } from "../model/deviance.js";
import type { Design, TermOutline } from "../model/design.js";
import { parameterLower, parameterMap } from "../model/parameters.js";
import { betaCovarianceScale, type ResidualStructure } from "../model/residual/structure.js";

/** Satterthwaite df and two-sided p-values by coefficient name. */
export interface DdfTable {
  /** Denominator df by coefficient name. */
  df: Record<string, number>;
  /** Two-sided p-values of the t statistics. */
  p: Record<string, number>;
}

/** What the recipe reads at one point of the covariance parameters (sigma fixed). */
interface PointValues {
  /** (R_X'R_X)^-1: vcov(beta) / sigma^2. */
  unscaledVcov: Float64Array;
  /** d's gradient in the covariance parameters (the terms', then rho) at fixed sigma. */
  g: Float64Array;
  /** dd/dsigma. */
  gSigma: number;
}

const step = (v: number) => 1e-4 * Math.max(1, Math.abs(v));

/**
 * The deviance at fixed sigma as a function of the covariance parameters x =
 * (the terms' parameters, rho): `at(x)` leaves the deviance evaluated at x and
 * reads what the recipe needs there.
 */
function fixedSigmaDeviance(dev: ProfiledDeviance, terms: readonly TermOutline[], nphi: number, sigma: number, design?: Design): (x: Float64Array) => PointValues {
  const map = parameterMap(terms);
  const residual = dev.source.residual ?? null;
  // Copies: an unstructured map hands back its argument, which the callers move.
  const thetaOf = (x: Float64Array) => map.theta(x.slice(0, nphi));
  let whitenedAt: Float64Array | null = null;
  /** Whiten the rows for rho unless they already are; false where Psi(rho) is not positive definite. */
  const setRho = (rho: Float64Array): boolean => {
    if (whitenedAt?.every((v, i) => v === rho[i])) return true;
    whitenedAt = null;
    if (!residual!.set(rho)) return false;
    dev.refill();
    whitenedAt = rho.slice();
    return true;
  };
  const rhoGradient = (x: Float64Array, r: ResidualStructure): Float64Array => {
    const rho = x.subarray(nphi);
    if (nphi === 0 && design) return glsRhoGradient(dev, design, r, rho, { sigma });
    const g = new Float64Array(rho.length);
    const moved = x.slice();
    const valueAt = (y: Float64Array) => (setRho(y.subarray(nphi)) ? (dev.evaluate(thetaOf(y)), dev.devianceAtSigma(sigma)) : NaN);
    for (let i = 0; i < rho.length; i++) {
      const h = step(rho[i]);
      moved[nphi + i] = rho[i] + h;
      const up = valueAt(moved);
      moved[nphi + i] = rho[i] - h;
      const down = valueAt(moved);
      moved[nphi + i] = rho[i];
      g[i] = (up - down) / (2 * h);
    }
    return g;
  };
  return (x) => {
    const nan = () => ({ unscaledVcov: new Float64Array(dev.layout.p * dev.layout.p).fill(NaN), g: new Float64Array(x.length).fill(NaN), gSigma: NaN });
    if (residual && !setRho(x.subarray(nphi))) return nan();
    dev.evaluate(thetaOf(x));
    const { gTheta, gSigma } = dev.sigmaDevianceGradient(sigma);
    const g = new Float64Array(x.length);
    g.set(map.gradient(x.slice(0, nphi), gTheta));
    if (residual) {
      g.set(rhoGradient(x, residual), nphi);
      // Back at x (the differences in rho moved the whitening and the evaluation).
      if (!setRho(x.subarray(nphi))) return nan();
      dev.evaluate(thetaOf(x));
    }
    return { unscaledVcov: inverseFromCholesky(dev.fixedFactor(), dev.layout.p), g, gSigma };
  };
}

/** What Satterthwaite's df of any contrast needs, computed once at the optimum. */
export interface SatterthwaitePieces {
  p: number;
  /** vcov(beta), row-major p x p. */
  C: Float64Array;
  /** dC / d(covariance parameters, sigma): one row-major p x p matrix per variance parameter. */
  jacobian: Float64Array[];
  /** Asymptotic covariance of (covariance parameters, sigma), 2 H^-1 (null when H is singular). */
  A: Float64Array | null;
}

/**
 * The pieces at the optimum (the covariance parameters `par`: the terms',
 * which are theta for unstructured terms, then a residual structure's rho;
 * and sigma). `design` (the deviance's rows) gives a model without
 * random-effects terms the analytic gradient in rho. The deviance is left
 * evaluated at the optimum.
 */
export function satterthwaitePieces(dev: ProfiledDeviance, terms: readonly TermOutline[], par: ArrayLike<number>, sigma: number, design?: Design): SatterthwaitePieces {
  const nphi = parameterLower(terms).length;
  const k = par.length;
  const p = dev.layout.p;
  const m = k + 1;
  // vcov(beta) as the fit reports it (nlme's gls scales an ML fit's); df does not depend on the scale.
  const s2 = sigma * sigma * betaCovarianceScale(dev, terms.length);
  const at = fixedSigmaDeviance(dev, terms, nphi, sigma, design);
  const H = new Float64Array(m * m);
  const jacobian: Float64Array[] = [];
  const x = Float64Array.from(par);
  for (let i = 0; i < k; i++) {
    const h = step(par[i]);
    x[i] = par[i] + h;
    const plus = at(x);
    x[i] = par[i] - h;
    const minus = at(x);
    x[i] = par[i];
    for (let j = 0; j < k; j++) H[i * m + j] = (plus.g[j] - minus.g[j]) / (2 * h);
    H[i * m + k] = H[k * m + i] = (plus.gSigma - minus.gSigma) / (2 * h);
    jacobian.push(plus.unscaledVcov.map((v, j) => (s2 * (v - minus.unscaledVcov[j])) / (2 * h)));
  }
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < i; j++) H[i * m + j] = H[j * m + i] = (H[i * m + j] + H[j * m + i]) / 2;
  }
  const C0 = at(x).unscaledVcov;
  // d2/dsigma2 of r2/sigma^2 + nu log(sigma^2).
  const r2 = dev.parts().r2;
  H[k * m + k] = (6 * r2) / (sigma ** 4) - (2 * dev.nu) / (sigma * sigma);
  const Hinv = solveLinear(H, identity(m), m, m);
  // C = s2 (R_X'R_X)^-1, so dC/dsigma = 2 C / sigma.
  jacobian.push(C0.map((v) => (2 * s2 * v) / sigma));
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
 * covariance parameters, sigma; `design` as for satterthwaitePieces). The
 * deviance object is left evaluated there.
 */
export function satterthwaite(
  dev: ProfiledDeviance,
  terms: readonly TermOutline[],
  par: ArrayLike<number>,
  sigma: number,
  names: string[],
  t: Record<string, number>,
  design?: Design,
): DdfTable {
  const pc = satterthwaitePieces(dev, terms, par, sigma, design);
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
