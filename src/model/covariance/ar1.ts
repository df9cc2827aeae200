// glmmTMB's ar1(0 + f | g): one standard deviation for all columns and the
// correlation phi^|j - k| between columns j and k, in the order of the columns
// (f's levels), phi = tanh(u) in (-1, 1).
import { ScaledCorrelation, type CorrelationModel } from "./scaled-correlation.js";

/** The AR(1) correlation of q columns (no parameter for q = 1). */
function autoregressive(q: number): CorrelationModel {
  const count = q > 1 ? 1 : 0;
  const matrix = (u: ArrayLike<number>, at: number) => {
    const phi = count ? Math.tanh(u[at]) : 0;
    const dphi = 1 - phi * phi;
    const R = new Float64Array(q * q);
    const dR = new Float64Array(q * q);
    for (let i = 0; i < q; i++) {
      for (let j = 0; j < q; j++) {
        const lag = Math.abs(i - j);
        R[i * q + j] = phi ** lag;
        dR[i * q + j] = lag === 0 ? 0 : lag * phi ** (lag - 1) * dphi;
      }
    }
    return { R, dR: count ? [dR] : [] };
  };
  return {
    count,
    start: () => (count ? [0] : []),
    matrix,
    report: (u, at): Record<string, number> => (count ? { phi: Math.tanh(u[at]) } : {}),
    pairs: count ? [[1, 0]] : [],
  };
}

/** ar1(0 + f | g) with q columns. */
export function ar1(q: number): ScaledCorrelation {
  return new ScaledCorrelation("ar1", q, true, autoregressive(q));
}
