// One pass over the rows that accumulates every cross-product block the model
// needs (Z_s'Z_t, X'Z_t, X'X, X'y, y'y, ...) into their places in A.
import { ld, ldi, st } from "./memory";
import {
  PAIR_BY_LEVEL, PAIR_FIXED, PAIR_STRIDE, PR_KIND, PR_LD, PR_LOWER, PR_P1, PR_P2, PR_QS, PR_QT, PR_SOFF, PR_TOFF,
} from "./layout";

/**
 * Rows [from, to) of the columns `cols` (columns of n f64; a row's value c, of
 * `width` -- the z-values of each random-effects term, then [x, y] -- is in
 * column columnOf[c], an i32 array). `pairs` holds a PAIR_STRIDE record
 * (layout.ts, PR_*) for every pseudo-term pair s >= t: the block (s, t) of a
 * row is added at A[base + i * ld + j] (only j <= i with `lower`), base found by
 * kind in the i32 data `ints`. A negative base skips the pair for that row. `row`
 * is f64 scratch of `width`.
 */
export function accumulate(
  cols: usize, columnOf: usize, width: i32, n: i32, from: i32, to: i32, ints: usize, pairs: usize, npairs: i32, a: usize, row: usize,
): void {
  for (let r = from; r < to; r++) {
    for (let c = 0; c < width; c++) st(row, c, ld(cols, ldi(columnOf, c) * n + r));
    for (let k = 0; k < npairs; k++) {
      const pk = pairs + (<usize>(k * PAIR_STRIDE) << 2);
      const kind = ldi(pk, PR_KIND), p1 = ldi(pk, PR_P1);
      // Otherwise PAIR_BY_ROW.
      const base = kind == PAIR_FIXED ? p1 : kind == PAIR_BY_LEVEL ? ldi(ints, ldi(pk, PR_P2) + ldi(ints, p1 + r)) : ldi(ints, p1 + r);
      if (base < 0) continue;
      const sOff = ldi(pk, PR_SOFF), qs = ldi(pk, PR_QS), tOff = ldi(pk, PR_TOFF), qt = ldi(pk, PR_QT), stride = ldi(pk, PR_LD);
      const lower = ldi(pk, PR_LOWER) != 0;
      for (let i = 0; i < qs; i++) {
        const vi = ld(row, sOff + i);
        if (vi == 0.0) continue;
        const dst = base + i * stride;
        const end = lower ? i + 1 : qt;
        for (let j = 0; j < end; j++) st(a, dst + j, ld(a, dst + j) + vi * ld(row, tOff + j));
      }
    }
  }
}
