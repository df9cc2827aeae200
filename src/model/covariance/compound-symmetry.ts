// Compound symmetry: one correlation rho between every two columns, with a
// standard deviation per column (glmmTMB's cs) or one for all (homcs, as
// lme4 2.0 and glmmTMB name it). R = (1 - rho) I + rho 11' is positive definite
// exactly for -1/(q-1) < rho < 1, so rho is a logistic map of an unconstrained
// u onto that interval: rho = lo + (1 - lo) / (1 + exp(-u)), lo = -1/(q-1).
import { ScaledCorrelation, type CorrelationModel } from "./scaled-correlation.js";

/** The exchangeable correlation of q columns (no parameter for q = 1). */
function exchangeable(q: number): CorrelationModel {
  const lo = -1 / (q - 1);
  const rhoOf = (u: number) => lo + (1 - lo) / (1 + Math.exp(-u));
  const count = q > 1 ? 1 : 0;
  const matrix = (u: ArrayLike<number>, at: number) => {
    const rho = count ? rhoOf(u[at]) : 0;
    const R = new Float64Array(q * q);
    const dR = new Float64Array(q * q);
    const p = count ? (rho - lo) / (1 - lo) : 0;
    const drho = (1 - lo) * p * (1 - p);
    for (let i = 0; i < q; i++) {
      for (let j = 0; j < q; j++) {
        R[i * q + j] = i === j ? 1 : rho;
        dR[i * q + j] = i === j ? 0 : drho;
      }
    }
    return { R, dR: count ? [dR] : [] };
  };
  return {
    count,
    // rho = 0: u = log(-lo / 1) = log(1 / (q - 1)).
    start: () => (count ? [Math.log(1 / (q - 1))] : []),
    matrix,
    report: (u, at): Record<string, number> => (count ? { rho: rhoOf(u[at]) } : {}),
    pairs: count ? [[1, 0]] : [],
  };
}

/** cs(0 + f | g) (heterogeneous) or homcs(0 + f | g) (homogeneous) with q columns. */
export function compoundSymmetry(q: number, homogeneous: boolean): ScaledCorrelation {
  return new ScaledCorrelation(homogeneous ? "homcs" : "cs", q, homogeneous, exchangeable(q));
}
