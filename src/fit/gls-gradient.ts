// The gradient in rho of the profiled deviance of a model whose only variance
// parameters are its residual structure's (nlme's gls; an MMRM), analytic up to
// the derivative of Psi's entries. With e = y - X beta at the optimum for this
// rho, u_i = Psi_p^-1 e_i, M = (X' Psi^-1 X)^-1 and nu = n - p (REML) or n (ML):
//
//   dd = (nu / r2) dr2 [+ d log|X' Psi^-1 X|] + d log|Psi|
//      = sum_p tr(dPsi_p W_p),
//   W_p = -(nu / r2) sum_{i in p} u_i u_i' [- Psi_p^-1 S_p Psi_p^-1] + count_p Psi_p^-1,
//
// S_p = sum_{i in p} X_i M X_i' = sum (X_i G)(X_i G)' with M = G G' (beta's
// envelope: r2 is at its minimum in beta). The
// sums need one pass over the rows per gradient instead of two accumulations
// per parameter of rho, which an unstructured covariance over 10 visits (54
// parameters) would make 109.
import { inverseFromCholesky } from "../linalg.js";
import type { ProfiledDeviance } from "../model/deviance.js";
import type { Design } from "../model/design.js";
import type { ResidualStructure } from "../model/residual/structure.js";

/**
 * dd/drho at the rho of the structure's last `set` and the deviance's last
 * evaluation; with `sigma`, of the deviance at that fixed sigma instead of the
 * profiled one (r2 / sigma^2 in place of nu log r2: the scale nu / r2 becomes
 * 1 / sigma^2), as Satterthwaite's Hessian needs.
 */
export function glsRhoGradient(deviance: ProfiledDeviance, design: Design, residual: ResidualStructure, rho: ArrayLike<number>, sigma?: number): Float64Array {
  const { X, y } = design;
  const p = X.columns.length;
  const beta = deviance.beta();
  const M = inverseFromCholesky(deviance.fixedFactor(), p);
  const { r2 } = deviance.parts();
  const scale = sigma === undefined ? -deviance.nu / r2 : -1 / (sigma * sigma);
  const reml = deviance.REML;
  const sizes = residual.patternSizes();
  const W = sizes.map(({ m }) => new Float64Array(m * m));
  const S = sizes.map(({ m }) => new Float64Array(reml ? m * m : 0));
  const G = choleskyLower(M, p);
  const largest = Math.max(...sizes.map(({ m }) => m));
  const e = new Float64Array(largest);
  const t = new Float64Array(largest);
  const Y = new Float64Array(largest * p); // X_i G, m x p
  residual.forEachGroup((pat, m, cinv, at, rows) => {
    // u = C^-T C^-1 e.
    for (let j = 0; j < m; j++) {
      const i = rows[j];
      let fit = 0;
      for (let c = 0; c < p; c++) fit += X.columns[c][i] * beta[c];
      e[j] = y[i] - fit;
    }
    applyPsiInverse(cinv, at, m, e, t);
    addOuter(W[pat], e, m, scale);
    if (reml) addGram(S[pat], X.columns, rows, G, p, m, Y);
  });
  // + count_p Psi_p^-1 [- Psi_p^-1 S_p Psi_p^-1], from the first group of each pattern's C_p^-1.
  const done = new Uint8Array(W.length);
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
    if (!reml) return;
    // Psi^-1 S Psi^-1, column by column of S, then by row.
    const q = Float64Array.from(S[pat]);
    for (let l = 0; l < m; l++) {
      for (let j = 0; j < m; j++) e[j] = q[j * m + l];
      applyPsiInverse(cinv, at, m, e, t);
      for (let j = 0; j < m; j++) q[j * m + l] = e[j];
    }
    for (let j = 0; j < m; j++) {
      for (let l = 0; l < m; l++) e[l] = q[j * m + l];
      applyPsiInverse(cinv, at, m, e, t);
      for (let l = 0; l < m; l++) w[j * m + l] -= e[l];
    }
  });
  return residual.patternGradient(rho, W);
}

/** w += scale x x' (m x m). */
function addOuter(w: Float64Array, x: Float64Array, m: number, scale: number): void {
  for (let j = 0; j < m; j++) for (let l = 0; l < m; l++) w[j * m + l] += scale * x[j] * x[l];
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

/** The lower Cholesky factor of a symmetric positive definite p x p matrix (row-major). */
function choleskyLower(M: Float64Array, p: number): Float64Array {
  const L = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    let d = M[j * p + j];
    for (let k = 0; k < j; k++) d -= L[j * p + k] * L[j * p + k];
    L[j * p + j] = Math.sqrt(d);
    for (let i = j + 1; i < p; i++) {
      let s = M[i * p + j];
      for (let k = 0; k < j; k++) s -= L[i * p + k] * L[j * p + k];
      L[i * p + j] = s / L[j * p + j];
    }
  }
  return L;
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
