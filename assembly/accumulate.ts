// One pass over the rows that accumulates every cross-product block the model
// needs (Z_s'Z_t, X'Z_t, X'X, X'y, y'y, ...) into their places in A.
import { ld, ldi, st } from "./memory";

/**
 * Each row of `w` (n rows of `width` f64) holds the row's values for every
 * pseudo-term: the z-values of each random-effects term, then [x, y].
 * `pairs` lists (sOff, qs, tOff, qt, ld) for every pseudo-term pair s >= t; the
 * block (s, t) of row r is added at A[bases[r * npairs + k] + i * ld + j].
 * A negative base skips the pair for that row.
 */
export function accumulate(w: usize, width: i32, n: i32, bases: usize, pairs: usize, npairs: i32, a: usize): void {
  for (let r = 0; r < n; r++) {
    const row = w + (<usize>(r * width) << 3);
    const rb = bases + (<usize>(r * npairs) << 2);
    for (let k = 0; k < npairs; k++) {
      const base = load<i32>(rb + (<usize>k << 2));
      if (base < 0) continue;
      const pk = pairs + (<usize>(k * 5) << 2);
      const sOff = ldi(pk, 0), qs = ldi(pk, 1), tOff = ldi(pk, 2), qt = ldi(pk, 3), stride = ldi(pk, 4);
      for (let i = 0; i < qs; i++) {
        const vi = ld(row, sOff + i);
        if (vi == 0.0) continue;
        const dst = base + i * stride;
        for (let j = 0; j < qt; j++) st(a, dst + j, ld(a, dst + j) + vi * ld(row, tOff + j));
      }
    }
  }
}
