// After the factorisation at the optimum: the fixed effects beta and the
// spherical random effects v, by back substitution through the same blocks.
import { ld, st, ldi, ptr, field } from "./memory";
import { solveLowerTransposed } from "./dense";
import {
  D_NUNITS, D_UNITS, D_F, D_TAILOFF, D_MT, D_NB, D_GROW,
  U_PANEL, U_Q, U_NROWS, U_GLOBAL, U_GROW0, UNIT_STRIDE,
} from "./layout";

/**
 * Solve L11' x = l21, where l21 is the y-row of the factor: x holds v for the
 * block-diagonal units (global rows 0..nB), then v of the dense terms and beta
 * (rows nB..nB+mt-1). Needs `evaluate` to have run at the same theta.
 */
export function solveCoefficients(desc: usize, x: usize): void {
  const f = ptr(desc, D_F), units = ptr(desc, D_UNITS), grow = ptr(desc, D_GROW);
  const nunits = field(desc, D_NUNITS), nb = field(desc, D_NB), mt = field(desc, D_MT);
  const tail = f + (<usize>field(desc, D_TAILOFF) << 3);
  const m = mt - 1;
  const xt = x + (<usize>nb << 3);
  for (let i = 0; i < m; i++) st(xt, i, ld(tail, m * mt + i));
  solveLowerTransposed(tail, m, mt, xt);

  for (let u = nunits - 1; u >= 0; u--) {
    const um = u * UNIT_STRIDE;
    const p = f + (<usize>ldi(units, um + U_PANEL) << 3);
    const q = ldi(units, um + U_Q), nrows = ldi(units, um + U_NROWS);
    const xu = x + (<usize>ldi(units, um + U_GLOBAL) << 3);
    const g0 = ldi(units, um + U_GROW0);
    // The last panel row is y's: it holds this unit's part of l21.
    const yrow = p + (<usize>((nrows - 1) * q) << 3);
    for (let k = 0; k < q; k++) st(xu, k, ld(yrow, k));
    for (let i = q; i < nrows - 1; i++) {
      const xi = ld(x, ldi(grow, g0 + i - q));
      const row = p + (<usize>(i * q) << 3);
      for (let k = 0; k < q; k++) st(xu, k, ld(xu, k) - ld(row, k) * xi);
    }
    solveLowerTransposed(p, q, q, xu);
  }
}
