// The gradient in rho of the profiled deviance of a model whose only variance
// parameters are its residual structure's (nlme's gls; an MMRM), analytic up to
// the derivative of Psi's entries. With e = y - X beta at the optimum for this
// rho, u_i = Psi_p^-1 e_i, M = (X' Psi^-1 X)^-1 and nu = n - p (REML) or n (ML):
//
//   dd = (nu / r2) dr2 [+ d log|X' Psi^-1 X|] + d log|Psi|
//      = sum_p tr(dPsi_p W_p),
//   W_p = -(nu / r2) sum_{i in p} u_i u_i' [- sum_{i in p} B_i M B_i'] + count_p Psi_p^-1,
//
// B_i = Psi_p^-1 X_i (beta's envelope: r2 is at its minimum in beta). The
// sums need one pass over the rows per gradient instead of two accumulations
// per parameter of rho, which an unstructured covariance over 10 visits (54
// parameters) would make 109.
import { inverseFromCholesky } from "../linalg.js";
import type { ProfiledDeviance } from "../model/deviance.js";
import type { Design } from "../model/design.js";
import type { ResidualStructure } from "../model/residual/structure.js";

/** dd/drho at the rho of the structure's last `set` and the deviance's last evaluation. */
export function glsRhoGradient(deviance: ProfiledDeviance, design: Design, residual: ResidualStructure, rho: ArrayLike<number>): Float64Array {
  const { X, y } = design;
  const p = X.columns.length;
  const beta = deviance.beta();
  const M = inverseFromCholesky(deviance.fixedFactor(), p);
  const { r2 } = deviance.parts();
  const scale = -deviance.nu / r2;
  const reml = deviance.REML;
  const W = residual.patternSizes().map(({ m }) => new Float64Array(m * m));
  const largest = Math.max(...W.map((w) => Math.sqrt(w.length)));
  const e = new Float64Array(largest);
  const t = new Float64Array(largest);
  const B = new Float64Array(largest * p); // Psi^-1 X_i, m x p
  const BM = new Float64Array(largest * p);
  residual.forEachGroup((pat, m, cinv, at, rows) => {
    const w = W[pat];
    // u = C^-T C^-1 e.
    for (let j = 0; j < m; j++) {
      const i = rows[j];
      let fit = 0;
      for (let c = 0; c < p; c++) fit += X.columns[c][i] * beta[c];
      e[j] = y[i] - fit;
    }
    applyPsiInverse(cinv, at, m, e, t);
    for (let j = 0; j < m; j++) for (let l = 0; l < m; l++) w[j * m + l] += scale * e[j] * e[l];
    if (!reml) return;
    for (let c = 0; c < p; c++) {
      for (let j = 0; j < m; j++) t[j] = X.columns[c][rows[j]];
      applyPsiInverse(cinv, at, m, t, e);
      for (let j = 0; j < m; j++) B[j * p + c] = t[j];
    }
    for (let j = 0; j < m; j++) {
      for (let c = 0; c < p; c++) {
        let s = 0;
        for (let d = 0; d < p; d++) s += B[j * p + d] * M[d * p + c];
        BM[j * p + c] = s;
      }
    }
    for (let j = 0; j < m; j++) {
      for (let l = 0; l < m; l++) {
        let s = 0;
        for (let c = 0; c < p; c++) s += BM[j * p + c] * B[l * p + c];
        w[j * m + l] -= s;
      }
    }
  });
  // + count_p Psi_p^-1, from the first group of each pattern's C_p^-1.
  const done = new Uint8Array(W.length);
  const sizes = residual.patternSizes();
  residual.forEachGroup((pat, m, cinv, at) => {
    if (done[pat]) return;
    done[pat] = 1;
    const w = W[pat];
    const count = sizes[pat].count;
    for (let j = 0; j < m; j++) {
      for (let l = 0; l < m; l++) {
        let s = 0;
        for (let k = Math.max(j, l); k < m; k++) s += cinv[at + k * m + j] * cinv[at + k * m + l];
        w[j * m + l] += count * s;
      }
    }
  });
  return residual.patternGradient(rho, W);
}

/** x = C^-T C^-1 x in place (Psi^-1 x for Psi = C C'), with `tmp` as scratch. */
function applyPsiInverse(cinv: Float64Array, at: number, m: number, x: Float64Array, tmp: Float64Array): void {
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let k = 0; k <= j; k++) s += cinv[at + j * m + k] * x[k];
    tmp[j] = s;
  }
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let k = j; k < m; k++) s += cinv[at + k * m + j] * tmp[k];
    x[j] = s;
  }
}
