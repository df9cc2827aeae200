// The whitening pass of a residual structure (src/model/residual/structure.ts):
// every group's rows of every column multiplied by its pattern's C_p^-1, so
// that the accumulation pass that follows sees iid errors.
import { ld, ldi, st } from "./memory";

/**
 * For each group g (rows order[groupStart[g], groupStart[g + 1]), i32 arrays)
 * with pattern p = groupPattern[g] and m rows: for each of the `ncols` columns
 * (n f64 each, column c at `src` + 8 c n), out row order[from + j] =
 * sum_{k <= j} C^-1[j, k] src row order[from + k], C^-1 row-major m x m at
 * f64 index cinvAt[p] of `cinv`; out column c at `dst` + 8 c n. C^-1 is zero
 * below its band[p]-th subdiagonal (1 for AR(1) in time order: a Markov chain).
 */
export function whiten(
  src: usize, dst: usize, ncols: i32, n: i32, order: usize, groupStart: usize, groupPattern: usize, ngroups: i32, cinv: usize, cinvAt: usize, band: usize,
): void {
  for (let g = 0; g < ngroups; g++) {
    const from = ldi(groupStart, g);
    const m = ldi(groupStart, g + 1) - from;
    const p = ldi(groupPattern, g);
    const at = ldi(cinvAt, p);
    const b = ldi(band, p);
    for (let c = 0; c < ncols; c++) {
      const s = src + (<usize>(c * n) << 3);
      const d = dst + (<usize>(c * n) << 3);
      for (let j = 0; j < m; j++) {
        const row = at + j * m;
        let acc = 0.0;
        for (let k = max(0, j - b); k <= j; k++) acc += ld(cinv, row + k) * ld(s, ldi(order, from + k));
        st(d, ldi(order, from + j), acc);
      }
    }
  }
}
