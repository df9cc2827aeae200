// Predictions from a fitted model (lme4's predict.merMod): the population
// prediction X beta, plus each row's conditional modes Z b when `re` is true;
// for population predictions, standard errors from vcov(beta) and Wald intervals.
import { toDataFrame, type DataInput } from "../data.js";
import { LmmError, quote } from "../errors.js";
import { waldQuantile } from "../inference/wald-quantile.js";
import { newDataDesign } from "./build-design.js";
import type { FittedModel } from "./fitted.js";

/** Options of `predict()`. */
export interface PredictOptions {
  /** Include the random effects (conditional prediction, lme4's re.form = NULL); default true. */
  re?: boolean;
  /** Give a level of a grouping factor that the fit did not see the population prediction (else an error). */
  allowNewLevels?: boolean;
  /**
   * Standard errors and confidence intervals of population-level predictions
   * (requires `re: false`); `predict()` then returns {@link PredictionIntervals}.
   */
  se?: boolean;
  /** Confidence level of the intervals with `se: true`; default 0.95. */
  level?: number;
}

/**
 * Population-level predictions with their uncertainty, one entry per row of
 * the new data (NaN in every column where a variable the prediction needs is
 * missing). `se` is sqrt(x' V x), x the row of the fixed-effects design and V
 * the covariance of the fixed effects (`vcov`); the interval is the Wald
 * interval fit -/+ z se with the normal quantile z, as lme4's
 * confint(method = "Wald") gives for the coefficients themselves. It ignores
 * the uncertainty of the variance parameters (as every vcov-based interval
 * does); for intervals with Satterthwaite or Kenward-Roger df at chosen
 * covariate values, use `emmeans()`.
 */
export interface PredictionIntervals {
  /** X beta (plus the offset), as `predict(newdata, { re: false })`. */
  fit: Float64Array;
  /** Standard error of each prediction. */
  se: Float64Array;
  /** Lower end of the confidence interval. */
  lower: Float64Array;
  /** Upper end of the confidence interval. */
  upper: Float64Array;
  /** Confidence level of the intervals. */
  level: number;
}

/**
 * Predictions for `newdata` (one per row; NaN where a variable the prediction
 * needs is missing), or for the fitted rows when `newdata` is omitted; with
 * `se: true`, population predictions with standard errors and intervals.
 */
export function predict(m: FittedModel, newdata?: DataInput, options?: PredictOptions & { se?: false }): Float64Array;
export function predict(m: FittedModel, newdata?: DataInput, options?: PredictOptions): Float64Array | PredictionIntervals;
export function predict(m: FittedModel, newdata?: DataInput, options: PredictOptions = {}): Float64Array | PredictionIntervals {
  const re = options.re ?? true;
  if (options.se) {
    if (re) {
      throw new LmmError(
        "Standard errors are given for population-level predictions (X beta, from the covariance of the fixed effects): pass re: false with se: true (--no-re with --se).",
      );
    }
    return withIntervals(m, newdata, options.level ?? 0.95);
  }
  if (options.level !== undefined) throw new LmmError("The option level sets the confidence level of the intervals of se: true: pass se: true with it (--se with --level).");
  if (newdata === undefined) {
    if (re) return Float64Array.from(m.fitted);
    return linearPredictor(m, m.design.X.columns, m.nobs, m.design.offset);
  }
  const data = toDataFrame(newdata);
  const nd = newDataDesign(m.design, data, re);
  const eta = linearPredictor(m, nd.X, nd.rows.length, nd.offset);
  nd.terms.forEach((t, k) => {
    const term = m.design.terms[k];
    const table = m.ranef[term.group];
    const q = term.names.length;
    for (let i = 0; i < nd.rows.length; i++) {
      const level = t.codes[i];
      if (level < 0) {
        if (options.allowNewLevels) continue;
        throw new LmmError(
          `Level ${quote(t.labels[i])} of grouping factor ${quote(term.group)} (data row ${nd.rows[i] + 1}) was not in the fitted data: pass allowNewLevels (--allow-new-levels) to predict it at the population level.`,
        );
      }
      for (let c = 0; c < q; c++) eta[i] += t.columns[c][i] * (table[term.names[c]] as number[])[level];
    }
  });
  return spread(eta, nd.rows, data.nrow);
}

/** Population predictions of the new data (or the fitted rows) with standard errors and Wald intervals. */
function withIntervals(m: FittedModel, newdata: DataInput | undefined, level: number): PredictionIntervals {
  const z = waldQuantile(level);
  const data = newdata === undefined ? undefined : toDataFrame(newdata);
  // The grouping columns are not read: a population prediction does not depend on the group.
  const nd = data ? newDataDesign(m.design, data, false) : { X: m.design.X.columns, offset: m.design.offset, rows: undefined };
  const n = nd.rows ? nd.rows.length : m.nobs;
  const fit = linearPredictor(m, nd.X, n, nd.offset);
  const se = standardErrors(m.vcov, nd.X, n);
  const lower = fit.map((f, i) => f - z * se[i]);
  const upper = fit.map((f, i) => f + z * se[i]);
  if (!nd.rows) return { fit, se, lower, upper, level };
  const place = (v: Float64Array) => spread(v, nd.rows, data!.nrow);
  return { fit: place(fit), se: place(se), lower: place(lower), upper: place(upper), level };
}

/** sqrt(x_i' V x_i) for each row i of X (given by columns). */
function standardErrors(V: number[][], X: Float64Array[], n: number): Float64Array {
  const variance = new Float64Array(n);
  V.forEach((row, j) => {
    row.forEach((v, k) => {
      if (v !== 0) addProduct(variance, X[j], X[k], v);
    });
  });
  for (let i = 0; i < n; i++) variance[i] = Math.sqrt(variance[i]);
  return variance;
}

/** out += s * a * b, elementwise. */
function addProduct(out: Float64Array, a: Float64Array, b: Float64Array, s: number): void {
  for (let i = 0; i < out.length; i++) out[i] += a[i] * b[i] * s;
}

/** Values of the predicted rows at their places among `nrow` rows; NaN for the rows left out (missing values). */
function spread(values: Float64Array, rows: Int32Array, nrow: number): Float64Array {
  const out = new Float64Array(nrow).fill(NaN);
  rows.forEach((r, i) => (out[r] = values[i]));
  return out;
}

/** X beta, plus the offset when the model has one (lme4's predictions include it). */
function linearPredictor(m: FittedModel, X: Float64Array[], n: number, offset?: Float64Array): Float64Array {
  const eta = offset ? Float64Array.from(offset) : new Float64Array(n);
  m.coefNames.forEach((name, j) => {
    const b = m.fixef[name];
    const col = X[j];
    for (let i = 0; i < n; i++) eta[i] += col[i] * b;
  });
  return eta;
}
