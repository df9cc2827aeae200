// The sufficient statistics of a residual structure per pattern of occasions
// (src/model/residual/pattern-statistics.ts): one pass over the rows sums, per
// pattern and pair of occasions, the products of the rows' [x, y]; each
// evaluation then weighs those sums by Psi_p^-1 instead of passing over the
// rows again.
import { ld, ldi, st } from "./memory";

/**
 * For each group g in [fromGroup, toGroup) (rows order[groupStart[g], groupStart[g + 1]), i32 arrays)
 * of pattern p = groupPattern[g], with v_j the `width` values of its j-th row
 * (value c in column columnOf[c] of `cols`, n f64 each): add, for every pair
 * of occasions j >= k, v_j v_k' + v_k v_j' (v_j v_j' when j = k) as a packed
 * lower triangle (row by row, len = width (width + 1) / 2 f64) at block
 * pairAt[p] + j (j + 1) / 2 + k of `sums`. `rows` is f64 scratch of the
 * largest group's rows x width.
 */
export function patternSums(
  cols: usize, columnOf: usize, width: i32, n: i32, order: usize, groupStart: usize, groupPattern: usize, fromGroup: i32, toGroup: i32, pairAt: usize, sums: usize, rows: usize,
): void {
  const len = (width * (width + 1)) >> 1;
  for (let g = fromGroup; g < toGroup; g++) {
    const from = ldi(groupStart, g);
    const m = ldi(groupStart, g + 1) - from;
    const first = ldi(pairAt, ldi(groupPattern, g));
    for (let j = 0; j < m; j++) {
      const i = ldi(order, from + j);
      for (let c = 0; c < width; c++) st(rows, j * width + c, ld(cols, ldi(columnOf, c) * n + i));
    }
    for (let j = 0; j < m; j++) {
      const vj = j * width;
      for (let k = 0; k < j; k++) {
        const vk = k * width;
        let at = (first + ((j * (j + 1)) >> 1) + k) * len;
        for (let r = 0; r < width; r++) {
          const ajr = ld(rows, vj + r), akr = ld(rows, vk + r);
          for (let c = 0; c <= r; c++) {
            st(sums, at, ld(sums, at) + ajr * ld(rows, vk + c) + akr * ld(rows, vj + c));
            at++;
          }
        }
      }
      let at = (first + ((j * (j + 1)) >> 1) + j) * len;
      for (let r = 0; r < width; r++) {
        const ajr = ld(rows, vj + r);
        for (let c = 0; c <= r; c++) {
          st(sums, at, ld(sums, at) + ajr * ld(rows, vj + c));
          at++;
        }
      }
    }
  }
}

/** out[c] = sum_i w[i] sums[i len + c] over the `npairs` blocks (those of weight 0 skipped: AR(1)'s Psi^-1 is tridiagonal). */
export function weighPatternSums(sums: usize, npairs: i32, len: i32, w: usize, out: usize): void {
  for (let c = 0; c < len; c++) st(out, c, 0.0);
  for (let i = 0; i < npairs; i++) {
    const wi = ld(w, i);
    if (wi == 0.0) continue;
    const at = i * len;
    for (let c = 0; c < len; c++) st(out, c, ld(out, c) + wi * ld(sums, at + c));
  }
}

/** out[i] = sum_c sums[i len + c] coef[c] for each of the `npairs` blocks. */
export function formPatternSums(sums: usize, npairs: i32, len: i32, coef: usize, out: usize): void {
  for (let i = 0; i < npairs; i++) {
    const at = i * len;
    let s = 0.0;
    for (let c = 0; c < len; c++) s += ld(sums, at + c) * ld(coef, c);
    st(out, i, s);
  }
}
