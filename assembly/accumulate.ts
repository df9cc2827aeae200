// One pass over the rows that accumulates every cross-product block the model
// needs (Z_s'Z_t, X'Z_t, X'X, X'y, y'y, ...) into their places in A.
import { ld, ldi, st } from "./memory";

// How a pair finds its target in A (src/wasm/layout.ts mirrors these).
const PAIR_FIXED: i32 = 0; // the same for every row: p1
const PAIR_BY_LEVEL: i32 = 1; // ints[p2 + ints[p1 + row]]: a table by a nested term's level
// otherwise (PAIR_BY_ROW = 2): ints[p1 + row]
const PAIR_STRIDE: i32 = 9;

/**
 * Rows [from, to) of the columns `cols` (columns of n f64; a row's value c, of
 * `width` -- the z-values of each random-effects term, then [x, y] -- is in
 * column columnOf[c], an i32 array). `pairs` holds, for every pseudo-term
 * pair s >= t, (sOff, qs, tOff, qt, ld, kind, p1, p2, lower): the block (s, t) of a
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
      const kind = ldi(pk, 5), p1 = ldi(pk, 6);
      const base = kind == PAIR_FIXED ? p1 : kind == PAIR_BY_LEVEL ? ldi(ints, ldi(pk, 7) + ldi(ints, p1 + r)) : ldi(ints, p1 + r);
      if (base < 0) continue;
      const sOff = ldi(pk, 0), qs = ldi(pk, 1), tOff = ldi(pk, 2), qt = ldi(pk, 3), stride = ldi(pk, 4), lower = ldi(pk, 8) != 0;
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
