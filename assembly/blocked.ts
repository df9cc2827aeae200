// Blocked dense Cholesky and its reverse mode, for the dense tail of crossed
// models (thousands of rows: larger than the cache, so the work must run as
// matrix-matrix updates, see gemm.ts). Row-major, lower triangle, row stride
// `stride`; below one block they fall back to the unblocked kernels.
import { ld, st } from "./memory";
import { axpy, choleskyLower, choleskyLowerReverse, solveRowsLowerT, symmetrise } from "./dense";
import { gemmSubtract, gemmWorkSize } from "./gemm";

const NB: i32 = 64; // block size (the largest)

/** Block size for an n x n matrix: 32 below 256 rows (more of the work in the matrix-matrix kernel), else 64. */
@inline function blockSize(n: i32): i32 {
  return n < 256 ? 32 : NB;
}

/** f64 scratch the blocked kernels need for an n x n matrix. */
export function denseWorkSize(n: i32): i32 {
  return n <= blockSize(n) ? 0 : gemmWorkSize(n) + NB * NB;
}

/**
 * In-place lower Cholesky factor (left-looking by blocks): for each block column,
 * A[j0:, j0:j1] -= L[j0:, :j0] L[j0:j1, :j0]', factor the diagonal block, then
 * L[j1:, j0:j1] = A[j1:, j0:j1] L_D^{-T}. Returns false when a pivot is not positive.
 */
export function choleskyBlocked(a: usize, n: i32, stride: i32, work: usize): bool {
  const nb = blockSize(n);
  if (n <= nb) return choleskyLower(a, n, stride);
  for (let j0 = 0; j0 < n; j0 += nb) {
    const b = min(nb, n - j0), j1 = j0 + b;
    const d = at(a, j0, j0, stride);
    if (j0 > 0) {
      const left = at(a, j0, 0, stride);
      gemmSubtract(d, stride, left, stride, 1, left, 1, stride, n - j0, b, j0, true, work);
    }
    if (!choleskyLower(d, b, stride)) return false;
    solveRowsLowerT(at(a, j1, j0, stride), n - j1, stride, d, b, stride);
  }
  return true;
}

/**
 * Reverse mode of `choleskyBlocked` (Murray, 2016, blocked): on entry `abar`
 * holds the adjoint of the factor L, on exit the adjoint of the lower triangle of
 * the matrix factored (as `choleskyLowerReverse`). Block column by block column
 * from the last, with D the diagonal block, R = L[j0:j1, :j0], B = L[j1:, :j0]
 * and C = L[j1:, j0:j1]:
 *   Cbar <- Cbar D^{-1};  Bbar -= Cbar R;  Dbar -= tril(Cbar' C);
 *   Dbar <- reverse Cholesky of D;  Rbar -= Cbar' B + (Dbar + Dbar') R.
 */
export function choleskyBlockedReverse(l: usize, abar: usize, n: i32, stride: i32, work: usize): void {
  const nb = blockSize(n);
  if (n <= nb) {
    choleskyLowerReverse(l, abar, n, stride);
    return;
  }
  const sym = work + (<usize>gemmWorkSize(n) << 3); // nb x nb: Dbar + Dbar'
  const lastBlock = (n - 1) / nb * nb;
  for (let j0 = lastBlock; j0 >= 0; j0 -= nb) {
    const b = min(nb, n - j0), j1 = j0 + b, below = n - j1;
    const d = at(l, j0, j0, stride), dbar = at(abar, j0, j0, stride);
    const cbar = at(abar, j1, j0, stride);
    solveRowsRightLower(cbar, below, stride, d, b, stride);
    if (j0 > 0 && below > 0) gemmSubtract(at(abar, j1, 0, stride), stride, cbar, stride, 1, at(l, j0, 0, stride), stride, 1, below, j0, b, false, work);
    if (below > 0) gemmSubtract(dbar, stride, cbar, 1, stride, at(l, j1, j0, stride), stride, 1, b, b, below, true, work);
    choleskyLowerReverse(d, dbar, b, stride);
    if (j0 == 0) continue;
    const rbar = at(abar, j0, 0, stride), r = at(l, j0, 0, stride);
    if (below > 0) gemmSubtract(rbar, stride, cbar, 1, stride, at(l, j1, 0, stride), stride, 1, b, j0, below, false, work);
    symmetrise(sym, b, dbar, stride, b);
    gemmSubtract(rbar, stride, sym, b, 1, r, stride, 1, b, j0, b, false, work);
  }
}

/** Address of element (i, j) of a row-major matrix. */
@inline function at(a: usize, i: i32, j: i32, stride: i32): usize {
  return a + (<usize>(i * stride + j) << 3);
}

/**
 * `count` rows (`rowStride` apart) <- rows D^{-1} over their first n entries, D
 * lower triangular: back substitution by axpys along D's rows, four rows at a
 * time so each row of D is read once per four.
 */
function solveRowsRightLower(rows: usize, count: i32, rowStride: i32, d: usize, n: i32, stride: i32): void {
  const step = <usize>rowStride << 3;
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const r0 = rows + (<usize>(i * rowStride) << 3), r1 = r0 + step, r2 = r1 + step, r3 = r2 + step;
    for (let k = n - 1; k >= 0; k--) {
      const dk = d + (<usize>(k * stride) << 3);
      const dkk = ld(dk, k);
      const x0 = ld(r0, k) / dkk, x1 = ld(r1, k) / dkk, x2 = ld(r2, k) / dkk, x3 = ld(r3, k) / dkk;
      st(r0, k, x0);
      st(r1, k, x1);
      st(r2, k, x2);
      st(r3, k, x3);
      const v0 = f64x2.splat(x0), v1 = f64x2.splat(x1), v2 = f64x2.splat(x2), v3 = f64x2.splat(x3);
      let m = 0;
      for (; m + 1 < k; m += 2) {
        const o = <usize>m << 3;
        const dm = v128.load(dk + o);
        v128.store(r0 + o, f64x2.sub(v128.load(r0 + o), f64x2.mul(v0, dm)));
        v128.store(r1 + o, f64x2.sub(v128.load(r1 + o), f64x2.mul(v1, dm)));
        v128.store(r2 + o, f64x2.sub(v128.load(r2 + o), f64x2.mul(v2, dm)));
        v128.store(r3 + o, f64x2.sub(v128.load(r3 + o), f64x2.mul(v3, dm)));
      }
      if (m < k) {
        const dm = ld(dk, m);
        st(r0, m, ld(r0, m) - x0 * dm);
        st(r1, m, ld(r1, m) - x1 * dm);
        st(r2, m, ld(r2, m) - x2 * dm);
        st(r3, m, ld(r3, m) - x3 * dm);
      }
    }
  }
  for (; i < count; i++) {
    const row = rows + (<usize>(i * rowStride) << 3);
    for (let k = n - 1; k >= 0; k--) {
      const dk = d + (<usize>(k * stride) << 3);
      const x = ld(row, k) / ld(dk, k);
      st(row, k, x);
      axpy(row, dk, -x, k);
    }
  }
}
