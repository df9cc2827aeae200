// Small dense kernels on row-major f64 matrices with a given row stride.
import { ld, st } from "./memory";

/** y[0..n) += alpha * x[0..n), two f64 lanes at a time. */
export function axpy(y: usize, x: usize, alpha: f64, n: i32): void {
  const a = f64x2.splat(alpha);
  let k = 0;
  for (; k + 1 < n; k += 2) {
    const off = <usize>k << 3;
    v128.store(y + off, f64x2.add(v128.load(y + off), f64x2.mul(a, v128.load(x + off))));
  }
  if (k < n) st(y, k, ld(y, k) + alpha * ld(x, k));
}

/** Dot product of a[0..n) and b[0..n), two f64 lanes at a time. */
export function dot(a: usize, b: usize, n: i32): f64 {
  let acc = f64x2.splat(0.0);
  let k = 0;
  for (; k + 1 < n; k += 2) {
    const off = <usize>k << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(a + off), v128.load(b + off)));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (k < n) s += ld(a, k) * ld(b, k);
  return s;
}

/**
 * In-place lower Cholesky factor of the leading n x n block (row stride `stride`),
 * row by row so each inner product runs over contiguous memory; four rows at a
 * time, so each earlier row is read once per four. For the units' panels and the
 * diagonal blocks of blocked.ts. Returns false when a pivot is not positive.
 */
export function choleskyLower(a: usize, n: i32, stride: i32): bool {
  let i0 = 0;
  for (; i0 + 4 <= n; i0 += 4) {
    solveFourRowsLowerT(a + (<usize>(i0 * stride) << 3), stride, a, stride, i0);
    if (!choleskyRows(a, i0, i0 + 4, i0, stride)) return false;
  }
  return choleskyRows(a, i0, n, 0, stride);
}

/**
 * `count` rows (`rowStride` apart) <- rows L^{-T} over their first n entries, L
 * lower triangular (row stride `stride`): four rows at a time, so each row of L
 * is read once per four.
 */
export function solveRowsLowerT(rows: usize, count: i32, rowStride: i32, l: usize, n: i32, stride: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) solveFourRowsLowerT(rows + (<usize>(i * rowStride) << 3), rowStride, l, stride, n);
  for (; i < count; i++) solveRowLowerT(rows + (<usize>(i * rowStride) << 3), l, n, stride);
}

/** Four rows (from r0, `rowStride` apart) <- rows L^{-T} over their first n entries (see solveRowsLowerT). */
function solveFourRowsLowerT(r0: usize, rowStride: i32, l: usize, stride: i32, n: i32): void {
  const r1 = r0 + (<usize>rowStride << 3), r2 = r1 + (<usize>rowStride << 3), r3 = r2 + (<usize>rowStride << 3);
  for (let j = 0; j < n; j++) {
    const rj = l + (<usize>(j * stride) << 3);
    let s0 = f64x2.splat(0.0), s1 = f64x2.splat(0.0), s2 = f64x2.splat(0.0), s3 = f64x2.splat(0.0);
    let k = 0;
    for (; k + 1 < j; k += 2) {
      const off = <usize>k << 3;
      const lk = v128.load(rj + off);
      s0 = f64x2.add(s0, f64x2.mul(v128.load(r0 + off), lk));
      s1 = f64x2.add(s1, f64x2.mul(v128.load(r1 + off), lk));
      s2 = f64x2.add(s2, f64x2.mul(v128.load(r2 + off), lk));
      s3 = f64x2.add(s3, f64x2.mul(v128.load(r3 + off), lk));
    }
    let d0 = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
    let d1 = f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
    let d2 = f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1);
    let d3 = f64x2.extract_lane(s3, 0) + f64x2.extract_lane(s3, 1);
    if (k < j) {
      const lk = ld(rj, k);
      d0 += ld(r0, k) * lk;
      d1 += ld(r1, k) * lk;
      d2 += ld(r2, k) * lk;
      d3 += ld(r3, k) * lk;
    }
    const ljj = ld(rj, j);
    st(r0, j, (ld(r0, j) - d0) / ljj);
    st(r1, j, (ld(r1, j) - d1) / ljj);
    st(r2, j, (ld(r2, j) - d2) / ljj);
    st(r3, j, (ld(r3, j) - d3) / ljj);
  }
}

/** Rows [from, to) of the factor, columns j0.. of each (earlier columns already done). */
function choleskyRows(a: usize, from: i32, to: i32, j0: i32, stride: i32): bool {
  for (let i = from; i < to; i++) {
    const ri = a + (<usize>(i * stride) << 3);
    for (let j = j0; j < i; j++) {
      const rj = a + (<usize>(j * stride) << 3);
      st(ri, j, (ld(ri, j) - dot(ri, rj, j)) / ld(rj, j));
    }
    const d = ld(ri, i) - dot(ri, ri, i);
    if (!(d > 0.0)) return false;
    st(ri, i, Math.sqrt(d));
  }
  return true;
}

/**
 * Sum of log a[k * (stride + 1)] for k < n (a diagonal), taking one log per many
 * entries: the running product is folded into the sum before it can overflow.
 */
export function logDiagonal(a: usize, n: i32, stride: i32): f64 {
  let product = 1.0;
  let sum = 0.0;
  for (let k = 0; k < n; k++) {
    product *= ld(a, k * (stride + 1));
    if (product > 1e150 || product < 1e-150) {
      sum += Math.log(product);
      product = 1.0;
    }
  }
  return sum + Math.log(product);
}

/** row <- row L^{-T} for one row of length n, L lower triangular (row stride `stride`). */
export function solveRowLowerT(row: usize, l: usize, n: i32, stride: i32): void {
  for (let j = 0; j < n; j++) {
    const lj = l + (<usize>(j * stride) << 3);
    st(row, j, (ld(row, j) - dot(row, lj, j)) / ld(lj, j));
  }
}

/** x <- L^{-T} x, L lower triangular n x n (row stride `stride`): back substitution. */
export function solveLowerTransposed(l: usize, n: i32, stride: i32, x: usize): void {
  for (let i = n - 1; i >= 0; i--) {
    let s = ld(x, i);
    for (let k = i + 1; k < n; k++) s -= ld(l, k * stride + i) * ld(x, k);
    st(x, i, s / ld(l, i * stride + i));
  }
}

/**
 * Reverse mode of `choleskyLower` (Murray, 2016): on entry `abar` holds the
 * adjoint of the factor L (lower), on exit the adjoint of the lower triangle of
 * the matrix that was factored. Same storage convention as the forward kernel.
 */
export function choleskyLowerReverse(l: usize, abar: usize, n: i32, stride: i32): void {
  for (let j = n - 1; j >= 0; j--) {
    const ljj = ld(l, j * stride + j);
    let s = 0.0;
    for (let i = j + 1; i < n; i++) s += ld(l, i * stride + j) * ld(abar, i * stride + j);
    st(abar, j * stride + j, ld(abar, j * stride + j) - s / ljj);
    for (let i = j; i < n; i++) st(abar, i * stride + j, ld(abar, i * stride + j) / ljj);
    // Abar[j, :j] -= sum_i Abar[i, j] L[i, :j], as row updates (contiguous memory).
    const rj = abar + (<usize>(j * stride) << 3);
    for (let i = j; i < n; i++) {
      const aij = ld(abar, i * stride + j);
      if (aij != 0.0) axpy(rj, l + (<usize>(i * stride) << 3), -aij, j);
    }
    const rl = l + (<usize>(j * stride) << 3);
    for (let i = j + 1; i < n; i++) {
      const aij = ld(abar, i * stride + j);
      if (aij != 0.0) axpy(abar + (<usize>(i * stride) << 3), rl, -aij, j);
    }
    st(abar, j * stride + j, ld(abar, j * stride + j) * 0.5);
  }
}

/**
 * dst (n x n, row stride dstStride) <- L + L', L the lower triangle of src (row
 * stride srcStride): the symmetric form of an adjoint that lives in a lower
 * triangle (its diagonal counted twice).
 */
export function symmetrise(dst: usize, dstStride: i32, src: usize, srcStride: i32, n: i32): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const v = ld(src, i * srcStride + j);
      st(dst, i * dstStride + j, v);
      st(dst, j * dstStride + i, v);
    }
    st(dst, i * dstStride + i, 2.0 * ld(src, i * srcStride + i));
  }
}
