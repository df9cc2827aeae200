// glmmTMB's diag(x | g): one term with a standard deviation per column and no
// correlations (lme4's (x || g) as a single term). Its parameters are the
// relative standard deviations, bounded at 0, so a zero variance is reached
// exactly, as lme4 reaches it for (x || g).
import { identity } from "../../linalg.js";
import { ScaledCorrelation, type CorrelationModel } from "./scaled-correlation.js";

/** The identity correlation: no parameters. */
function uncorrelated(q: number): CorrelationModel {
  return {
    count: 0,
    start: () => [],
    matrix: () => ({ R: identity(q), dR: [] }),
    report: () => ({}),
    pairs: [],
  };
}

/** diag(x | g) with q columns. */
export function diagonal(q: number): ScaledCorrelation {
  return new ScaledCorrelation("diag", q, false, uncorrelated(q));
}
