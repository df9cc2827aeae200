// The normal quantile of Wald intervals, shared by confint(method = "Wald") and
// predict()'s intervals (a module of its own: the two import each other's users).
import qnorm from "@stdlib/stats-base-dists-normal-quantile";
import { LmmError } from "../errors.js";

/** The normal quantile of a two-sided Wald interval at `level` (an error unless 0 < level < 1). */
export function waldQuantile(level: number): number {
  if (!(level > 0 && level < 1)) throw new LmmError(`The confidence level must be between 0 and 1 (e.g. 0.95), not ${level}.`);
  return qnorm((1 + level) / 2, 0, 1);
}
