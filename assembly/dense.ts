// Small dense kernels on row-major f64 matrices with a given row stride.
import { ld, st } from "./memory";

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
 * row by row so each inner product runs over contiguous memory. Returns the sum of
 * log pivots, or NaN when a pivot is not positive.
 */
export function choleskyLower(a: usize, n: i32, stride: i32): f64 {
  let logdet = 0.0;
  for (let i = 0; i < n; i++) {
    const ri = a + (<usize>(i * stride) << 3);
    for (let j = 0; j < i; j++) {
      const rj = a + (<usize>(j * stride) << 3);
      st(ri, j, (ld(ri, j) - dot(ri, rj, j)) / ld(rj, j));
    }
    const d = ld(ri, i) - dot(ri, ri, i);
    if (!(d > 0.0)) return NaN;
    const l = Math.sqrt(d);
    st(ri, i, l);
    logdet += Math.log(l);
  }
  return logdet;
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
