// The gradient in rho of the profiled deviance of a model whose only variance
// parameters are its residual structure's (nlme's gls; an MMRM), analytic up to
// the derivative of Psi's entries. With e = y - X beta at the optimum for this
// rho, M = (X' Psi^-1 X)^-1 and nu = n - p (REML) or n (ML):
//
//   dd = (nu / r2) dr2 [+ d log|X' Psi^-1 X|] + d log|Psi|
//      = sum_p tr(dPsi_p W_p),
//   W_p = -(nu / r2) Psi_p^-1 E_p Psi_p^-1 [- Psi_p^-1 S_p Psi_p^-1] + count_p Psi_p^-1,
//
// E_p = sum_{i in p} e_i e_i' and S_p = sum_{i in p} X_i M X_i' (beta's
// envelope: r2 is at its minimum in beta). E_p and S_p come from the pattern
// statistics when the deviance reads them (two products of the sums), else
// from one pass over the rows per gradient; either way one gradient costs no
// more than an evaluation, where differences would need two per parameter of
// rho (109 accumulations for an unstructured covariance over 10 visits). With
// random effects absorbed into Psi_p (pattern-statistics.ts) the same W_p
// gives the gradient in theta.
import { choleskyDefinite, inverseFromCholesky } from "../linalg.js";
import type { ProfiledDeviance } from "../model/deviance.js";
import type { Design } from "../model/design.js";
import type { PatternMoments } from "../model/residual/pattern-statistics.js";
import type { ResidualStructure } from "../model/residual/structure.js";

/**
 * dd/drho at the rho of the structure's last `set` and the deviance's last
 * evaluation; with random effects absorbed into the structure (set at `theta`,
 * see RowCrossProducts.absorbsRandomEffects), dd/d[theta, rho]. With `sigma`,
 * of the deviance at that fixed sigma instead of the profiled one (r2 / sigma^2
 * in place of nu log r2: the scale nu / r2 becomes 1 / sigma^2), as
 * Satterthwaite's Hessian needs.
 */
export function glsRhoGradient(
  deviance: ProfiledDeviance,
  design: Design | undefined,
  residual: ResidualStructure,
  rho: ArrayLike<number>,
  { theta, sigma }: { theta?: ArrayLike<number>; sigma?: number } = {},
): Float64Array {
  const reml = deviance.REML;
  const patterns = deviance.source.patterns;
  if (!patterns && !design) throw new Error("internal: the gradient in rho from the rows needs the design");
  const { E, S } = patterns?.moments(reml) ?? rowMoments(deviance, design!, residual);
  const scale = sigma === undefined ? -deviance.nu / deviance.parts().r2 : -1 / (sigma * sigma);
  const W = residual.patternSizes().map(({ m, count }, p) => {
    const P = residual.psiInverse(p);
    const w = sandwich(P, E[p], m);
    for (let i = 0; i < m * m; i++) w[i] *= scale;
    if (S) {
      const s = sandwich(P, S[p], m);
      for (let i = 0; i < m * m; i++) w[i] -= s[i];
    }
    for (let i = 0; i < m * m; i++) w[i] += count * P[i];
    return w;
  });
  return residual.patternGradient(rho, W, theta);
}

/** E_p and (REML) S_p by a pass over the groups' rows. */
function rowMoments(deviance: ProfiledDeviance, design: Design, residual: ResidualStructure): PatternMoments {
  const { X, y } = design;
  const p = X.columns.length;
  const beta = deviance.beta();
  const sizes = residual.patternSizes();
  const E = sizes.map(({ m }) => new Float64Array(m * m));
  const S = deviance.REML ? sizes.map(({ m }) => new Float64Array(m * m)) : null;
  const G = choleskyDefinite(inverseFromCholesky(deviance.fixedFactor(), p), p) ?? new Float64Array(p * p).fill(NaN);
  const largest = sizes.reduce((most, { m }) => Math.max(most, m), 0);
  const e = new Float64Array(largest);
  const Y = new Float64Array(largest * p); // X_i G, m x p
  residual.forEachGroup((pat, m, _cinv, _at, rows) => {
    for (let j = 0; j < m; j++) {
      const i = rows[j];
      let fit = 0;
      for (let c = 0; c < p; c++) fit += X.columns[c][i] * beta[c];
      e[j] = y[i] - fit;
    }
    const out = E[pat];
    for (let j = 0; j < m; j++) for (let l = 0; l < m; l++) out[j * m + l] += e[j] * e[l];
    if (S) addGram(S[pat], X.columns, rows, G, p, m, Y);
  });
  return { E, S };
}

/** P A P for symmetric m x m P and A (row-major). */
function sandwich(P: Float64Array, A: Float64Array, m: number): Float64Array {
  const PA = new Float64Array(m * m);
  for (let j = 0; j < m; j++) for (let k = 0; k < m; k++) {
    const pjk = P[j * m + k];
    if (pjk !== 0) for (let l = 0; l < m; l++) PA[j * m + l] += pjk * A[k * m + l];
  }
  const out = new Float64Array(m * m);
  for (let j = 0; j < m; j++) for (let k = 0; k < m; k++) {
    const a = PA[j * m + k];
    if (a !== 0) for (let l = 0; l < m; l++) out[j * m + l] += a * P[k * m + l];
  }
  return out;
}

/** S += (X_i G)(X_i G)' for one group's rows (G lower triangular p x p; Y scratch of m x p). */
function addGram(S: Float64Array, columns: Float64Array[], rows: Int32Array, G: Float64Array, p: number, m: number, Y: Float64Array): void {
  for (let j = 0; j < m; j++) {
    const i = rows[j];
    for (let c = 0; c < p; c++) {
      let s = 0;
      for (let d = c; d < p; d++) s += columns[d][i] * G[d * p + c];
      Y[j * p + c] = s;
    }
  }
  for (let j = 0; j < m; j++) {
    for (let l = 0; l <= j; l++) {
      let s = 0;
      for (let c = 0; c < p; c++) s += Y[j * p + c] * Y[l * p + c];
      S[j * m + l] += s;
      if (l !== j) S[l * m + j] += s;
    }
  }
}
