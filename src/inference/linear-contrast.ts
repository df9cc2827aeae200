// Inference on linear combinations l'beta of the fixed effects: estimate,
// standard error and denominator df by Satterthwaite (lmerTest's contest1D) or
// Kenward-Roger (pbkrtest's Lb_ddf, with the SE from the adjusted covariance,
// as emmeans' lmer.df = "kenward-roger"). Everything marginal means, trends and
// their comparisons report is built on this.
import tcdf from "@stdlib/stats-base-dists-t-cdf";
import { LmmError, quote } from "../errors.js";
import type { LmerModel } from "../model/lmer-model.js";
import { checkOptions } from "../options.js";
import { contrastDdf, kenwardRogerAdjustment, KR_MAX_RANDOM_EFFECTS } from "./kenward-roger.js";
import { contrastDf, satterthwaitePieces } from "./satterthwaite.js";

/** How the df of a contrast are computed. */
export type ContrastDdf = "satterthwaite" | "kenward-roger";

export const CONTRAST_DDF: readonly ContrastDdf[] = ["satterthwaite", "kenward-roger"];

/** One row of `contrast()`: l'beta, its SE, df, t and two-sided p. */
export interface ContrastResult {
  estimate: number;
  SE: number;
  df: number;
  t: number;
  p: number;
}

/** Estimate, SE and df of l'beta under one df method. */
export interface LinearInference {
  ddf: ContrastDdf;
  estimate(l: ArrayLike<number>): number;
  SE(l: ArrayLike<number>): number;
  df(l: ArrayLike<number>): number;
}

/**
 * emmeans' default for lmer fits: Kenward-Roger for REML. An ML fit gets
 * Satterthwaite's df, since Kenward-Roger's method is defined for REML only,
 * and so does a model with more random effects than the adjustment's dense
 * matrices allow (where emmeans, above 3000 rows, drops to asymptotic df), and
 * a model with a residual structure (emmeans' mode "satterthwaite" for nlme's
 * fits; Kenward-Roger's is not available for them).
 */
export function defaultDdf(m: LmerModel): ContrastDdf {
  const randomEffects = m.design.terms.reduce((s, t) => s + t.factor.levels.length * t.names.length, 0);
  return m.REML && randomEffects <= KR_MAX_RANDOM_EFFECTS && !m.deviance.source.residual ? "kenward-roger" : "satterthwaite";
}

const quadratic = (l: ArrayLike<number>, M: Float64Array, p: number) => {
  let s = 0;
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) s += l[a] * M[a * p + b] * l[b];
  return s;
};

// The pieces (a few deviance evaluations, or pbkrtest's adjustment) are computed
// once per model and method: a table of means and its comparisons share them.
const cache = new WeakMap<LmerModel, Partial<Record<ContrastDdf, LinearInference>>>();

/** The estimate, SE and df of any l'beta of `m` by `ddf` (cached per model). */
export function linearInference(m: LmerModel, ddf: ContrastDdf): LinearInference {
  const byMethod = cache.get(m) ?? {};
  cache.set(m, byMethod);
  const known = byMethod[ddf];
  if (known) return known;
  const beta = m.coefNames.map((name) => m.fixef[name]);
  const p = beta.length;
  const estimate = (l: ArrayLike<number>) => beta.reduce((s, b, j) => s + l[j] * b, 0);
  let made: LinearInference;
  if (ddf === "kenward-roger") {
    const adj = kenwardRogerAdjustment(m);
    made = { ddf, estimate, SE: (l) => Math.sqrt(quadratic(l, adj.phiA, p)), df: (l) => contrastDdf(adj, l) };
  } else {
    const pc = satterthwaitePieces(m.deviance, m.design.terms, m.covarianceParameters, m.sigma, m.design);
    made = { ddf, estimate, SE: (l) => Math.sqrt(quadratic(l, pc.C, p)), df: (l) => contrastDf(pc, l) };
  }
  byMethod[ddf] = made;
  return made;
}

/** Two-sided p-value of t on df (NaN when the df are not finite and positive). */
export function twoSidedP(t: number, df: number): number {
  return df > 0 ? 2 * tcdf(-Math.abs(t), df) : NaN;
}

/**
 * Tests of linear combinations of the fixed effects: for each row l of `L`
 * (one coefficient per fixed effect, in `m.coefNames` order) the estimate
 * l'beta, its SE, denominator df, t and two-sided p-value (unadjusted).
 * `ddf`: "kenward-roger" (REML fits; the default for them, as emmeans) or
 * "satterthwaite" (the default for ML fits and for models with more than
 * KR_MAX_RANDOM_EFFECTS random effects).
 *
 * @example
 * // The difference between Male and Female at age 14 in distance ~ age * Sex:
 * contrast(m, [[0, 0, 1, 14]], { ddf: "satterthwaite" });
 */
export function contrast(m: LmerModel, L: ArrayLike<number>[], options: { ddf?: ContrastDdf } = {}): ContrastResult[] {
  checkOptions(options, { ddf: CONTRAST_DDF }, "contrast()");
  const p = m.coefNames.length;
  if (!Array.isArray(L)) throw new LmmError("The contrast matrix must be an array of rows, one coefficient per fixed effect.");
  L.forEach((l, i) => {
    if (l?.length !== p || !Array.from(l).every(Number.isFinite)) {
      throw new LmmError(`Row ${i + 1} of the contrast matrix must hold ${p} finite numbers, one per fixed effect (${m.coefNames.map((n) => quote(n)).join(", ")}).`);
    }
  });
  const inf = linearInference(m, options.ddf ?? defaultDdf(m));
  return L.map((l) => {
    const estimate = inf.estimate(l);
    const SE = inf.SE(l);
    const df = inf.df(l);
    const t = estimate / SE;
    return { estimate, SE, df, t, p: twoSidedP(t, df) };
  });
}
