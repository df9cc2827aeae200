// The one fit loop over the covariance parameters: the profiled deviance
// minimised with its analytic gradient, each structure's bounds, and the
// covariance-cone check at the end. The deviance and its gradient are the
// kernels' in theta; each term's structure maps its parameters to theta and the
// gradient back (model/parameters.ts), which for unstructured terms is the
// identity, so their fits are lme4's over theta itself. lmer, the batch, the
// bootstrap and the profile all fit through it.
import type { ProfiledDeviance } from "../model/deviance.js";
import type { TermOutline } from "../model/design.js";
import { parameterLower, parameterMap, termStructures } from "../model/parameters.js";
import { coneProbe, snapToBoundary } from "./cone.js";
import { minimize, type OptimizerOptions, type OptimizerResult } from "./optimizer.js";

/** Where the fit loop stopped: `x` holds the covariance parameters, `theta` the kernels' theta there. */
export interface ThetaOptimum extends OptimizerResult {
  theta: Float64Array;
}

/** Minimise the deviance over the covariance parameters from `start` (the terms give their structures, bounds and the cone's shape). */
export function optimizeTheta(
  deviance: ProfiledDeviance,
  terms: readonly TermOutline[],
  start: ArrayLike<number>,
  options: OptimizerOptions = {},
): ThetaOptimum {
  const map = parameterMap(terms);
  // The cone's boundary is checked for unstructured terms, whose parameters are
  // T's entries; a structure's own parameters reach its boundary by their bounds.
  const unstructured = termStructures(terms)
    .filter(({ structure }) => structure.kind === "us")
    .map(({ structure, parAt }) => ({ at: parAt, q: structure.q }));
  const objective = (par: Float64Array) => deviance.evaluate(map.theta(par));
  const opt = minimize(objective, start, parameterLower(terms), {
    gradient: (par) => map.gradient(par, deviance.gradient()),
    probe: coneProbe(unstructured),
    ...options,
  });
  let evaluations = opt.evaluations;
  const counted = (par: Float64Array) => (evaluations++, objective(par));
  const snapped = snapToBoundary(counted, opt.x, opt.f, unstructured);
  const x = snapped?.x ?? opt.x;
  return { ...opt, x, f: snapped?.f ?? opt.f, evaluations, theta: map.theta(x) };
}
