// The one fit loop over theta: the profiled deviance minimised with its analytic
// gradient, lme4's bounds, and the covariance-cone check at the end. lmer, the
// batch, the bootstrap and the profile all fit through it.
import type { ProfiledDeviance } from "../model/deviance.js";
import type { TermOutline } from "../model/design.js";
import { thetaLower } from "../model/parameters.js";
import { coneProbe } from "./cone.js";
import { minimize, type OptimizerOptions, type OptimizerResult } from "./optimizer.js";

/** Minimise the deviance over theta from `start` (the terms give the bounds and the cone's shape). */
export function optimizeTheta(
  deviance: ProfiledDeviance,
  terms: readonly TermOutline[],
  start: ArrayLike<number>,
  options: OptimizerOptions = {},
): OptimizerResult {
  return minimize((theta) => deviance.evaluate(theta), start, thetaLower(terms), {
    gradient: () => deviance.gradient(),
    probe: coneProbe(terms.map((t) => t.names.length)),
    ...options,
  });
}
