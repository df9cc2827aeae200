// Predictions from a fitted model (lme4's predict.merMod): the population
// prediction X beta, plus each row's conditional modes Z b when `re` is true.
import { toDataFrame, type DataInput } from "../data.js";
import { LmmError, quote } from "../errors.js";
import { newDataDesign } from "./build-design.js";
import type { FittedModel } from "./fitted.js";

/** Options of `predict()`. */
export interface PredictOptions {
  /** Include the random effects (conditional prediction, lme4's re.form = NULL); default true. */
  re?: boolean;
  /** Give a level of a grouping factor that the fit did not see the population prediction (else an error). */
  allowNewLevels?: boolean;
}

/**
 * Predictions for `newdata` (one per row; NaN where a variable the prediction
 * needs is missing), or for the fitted rows when `newdata` is omitted.
 */
export function predict(m: FittedModel, newdata?: DataInput, options: PredictOptions = {}): Float64Array {
  const re = options.re ?? true;
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
  const out = new Float64Array(data.nrow).fill(NaN);
  nd.rows.forEach((r, i) => (out[r] = eta[i]));
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
