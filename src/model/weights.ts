// Prior weights (lme4's `weights`): observation i has residual variance
// sigma^2 / w_i. Scaling row i of [Z X y] by sqrt(w_i) turns the weighted model
// into an unweighted one with the same theta, beta and sigma, so everything that
// works on rows works on the scaled rows; the likelihood gains the Jacobian of
// that scaling, sum_i log w_i (lme4's ldW), which the deviance subtracts.
import type { Design } from "./design.js";

/** sqrt(w) of the design's rows, or null without weights. */
export function sqrtWeights(design: Design): Float64Array | null {
  return design.weights ? design.weights.map(Math.sqrt) : null;
}

/** Sum of the logs of the prior weights (0 without weights). */
export function logWeightSum(design: Design): number {
  let sum = 0;
  if (design.weights) for (const w of design.weights) sum += Math.log(w);
  return sum;
}

/**
 * The design with its rows scaled by sqrt(w) and no weights: the unweighted
 * model it is equivalent to (for the computations on rows outside the kernels,
 * such as Kenward-Roger's). The design itself when it has no weights.
 */
export function whitenedDesign(design: Design): Design {
  const s = sqrtWeights(design);
  if (!s) return design;
  const scale = (col: Float64Array) => col.map((v, i) => v * s[i]);
  const scaled = new Map<Float64Array, Float64Array>(); // columns shared by X and Z stay shared
  const once = (col: Float64Array) => {
    let out = scaled.get(col);
    if (!out) scaled.set(col, (out = scale(col)));
    return out;
  };
  return {
    ...design,
    weights: undefined,
    y: once(design.y),
    X: { ...design.X, columns: design.X.columns.map(once) },
    terms: design.terms.map((t) => ({ ...t, columns: t.columns.map(once) })),
  };
}
