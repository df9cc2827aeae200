// glmmTMB's toep(0 + f | g): a standard deviation per column and a correlation
// per lag, rho_|j - k| between columns j and k. A sequence rho_1 .. rho_(q-1)
// makes a positive definite Toeplitz matrix exactly when its partial
// autocorrelations pi_k lie in (-1, 1), so the parameters are pi_k = tanh(u_k)
// and the correlations follow by the Durbin-Levinson recursion, run with the
// derivatives of every quantity in u alongside (forward differentiation).
import { ScaledCorrelation, type CorrelationModel } from "./scaled-correlation.js";

/** A value and its derivatives in each parameter. */
interface Dual {
  v: number;
  d: Float64Array;
}

/**
 * Autocorrelations rho_1 .. rho_m from partial autocorrelations pi_1 .. pi_m
 * (with derivatives in u, pi_k = tanh(u_k)): with AR coefficients a_(k,j),
 * rho_k = sum_(j<k) a_(k-1,j) rho_(k-j) + pi_k (1 - sum_(j<k) a_(k-1,j) rho_j),
 * a_(k,k) = pi_k, a_(k,j) = a_(k-1,j) - pi_k a_(k-1,k-j).
 */
export function autocorrelations(u: ArrayLike<number>, at: number, m: number): Dual[] {
  const constant = (v: number): Dual => ({ v, d: new Float64Array(m) });
  const add = (a: Dual, b: Dual, sb = 1): Dual => ({ v: a.v + sb * b.v, d: a.d.map((x, i) => x + sb * b.d[i]) });
  const mul = (a: Dual, b: Dual): Dual => ({ v: a.v * b.v, d: a.d.map((x, i) => x * b.v + a.v * b.d[i]) });
  const rho: Dual[] = [];
  let a: Dual[] = [];
  for (let k = 1; k <= m; k++) {
    const p = constant(Math.tanh(u[at + k - 1]));
    p.d[k - 1] = 1 - p.v * p.v;
    let carried = constant(0);
    let explained = constant(0);
    for (let j = 1; j < k; j++) {
      carried = add(carried, mul(a[j - 1], rho[k - j - 1]));
      explained = add(explained, mul(a[j - 1], rho[j - 1]));
    }
    rho.push(add(carried, mul(p, add(constant(1), explained, -1))));
    a = [...a.map((aj, j) => add(aj, mul(p, a[k - 2 - j]), -1)), p];
  }
  return rho;
}

/** The Toeplitz correlation of q columns: q - 1 parameters. */
function toeplitzCorrelation(q: number): CorrelationModel {
  const count = q - 1;
  const matrix = (u: ArrayLike<number>, at: number) => {
    const rho = autocorrelations(u, at, count);
    const R = new Float64Array(q * q);
    const dR = Array.from({ length: count }, () => new Float64Array(q * q));
    for (let i = 0; i < q; i++) {
      for (let j = 0; j < q; j++) {
        const lag = Math.abs(i - j);
        if (lag === 0) R[i * q + j] = 1;
        else {
          R[i * q + j] = rho[lag - 1].v;
          for (let k = 0; k < count; k++) dR[k][i * q + j] = rho[lag - 1].d[k];
        }
      }
    }
    return { R, dR };
  };
  return {
    count,
    start: () => new Array<number>(count).fill(0),
    matrix,
    report: (u, at): Record<string, number[]> => (count ? { lags: autocorrelations(u, at, count).map((r) => r.v) } : {}),
    pairs: Array.from({ length: count }, (_, k) => [k + 1, 0] as const),
  };
}

/** toep(0 + f | g) with q columns. */
export function toeplitz(q: number): ScaledCorrelation {
  return new ScaledCorrelation("toep", q, false, toeplitzCorrelation(q));
}
