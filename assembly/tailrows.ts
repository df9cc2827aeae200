// The units' Schur-complement updates of a large dense tail (crossed terms:
// thousands of rows), done tail row by tail row instead of unit by unit. Unit
// by unit, each update scatters over the whole tail (one cache miss per entry);
// row by row, every write of a pass lands in one tail row, and the units' rows
// read (a few doubles each) stay in cache. The tail is read by no unit, so its
// updates can all wait until every unit is factored (and, in reverse, its
// adjoints can all be gathered before any unit is reversed).
//
// D_TROWS lists, per tail row, the (unit, off-diagonal row) pairs that target
// it: pairs start[r]..start[r + 1] of D_TENTRIES, start at D_TROWS.
import { ld, st, ldi, ptr, field } from "./memory";
import { groupIndex, isContiguous } from "./groups";
import {
  D_UNITS, D_GROUPS, D_F, D_FBAR, D_IDX, D_TAILOFF, D_MT, D_TROWS, D_TENTRIES, D_VARIANT, VARIANT_TAIL_ROWS, VARIANT_TAIL_DENSE,
  U_PANEL, U_Q, U_NROWS, U_GROUP0, U_NGROUP, UNIT_STRIDE,
  G_FIRST, G_IDX0, GROUP_STRIDE,
} from "./layout";

/**
 * Whether the units' tail updates wait for every unit (row by row here, or
 * densetail.ts's products): then each unit's last group, the tail's, is skipped.
 */
export function defersTail(desc: usize): bool {
  const variant = field(desc, D_VARIANT);
  return variant == VARIANT_TAIL_ROWS || variant == VARIANT_TAIL_DENSE;
}

/**
 * Every update tail[r][c] -= R_k . R_j (rows k >= j of a unit's tail group), tail
 * row by tail row; in reverse, that entry's adjoint into Rbar_k and Rbar_j.
 */
@inline function forEachTailUpdate(desc: usize, reverse: bool): void {
  const units = ptr(desc, D_UNITS), groups = ptr(desc, D_GROUPS), idx = ptr(desc, D_IDX);
  const f = ptr(desc, D_F), fbar = ptr(desc, D_FBAR);
  const start = ptr(desc, D_TROWS), entries = ptr(desc, D_TENTRIES);
  const tailOff = field(desc, D_TAILOFF), mt = field(desc, D_MT);
  const tail = (reverse ? fbar : f) + (<usize>tailOff << 3);
  for (let r = 0; r < mt; r++) {
    const row = tail + (<usize>(r * mt) << 3);
    for (let e = ldi(start, r); e < ldi(start, r + 1); e++) {
      const um = ldi(entries, 2 * e) * UNIT_STRIDE, k = ldi(entries, 2 * e + 1);
      const q = ldi(units, um + U_Q), noff = ldi(units, um + U_NROWS) - q;
      const off = (ldi(units, um + U_PANEL) + q * q) << 3;
      const rows = f + <usize>off, rowsBar = fbar + <usize>off;
      // The tail group is the unit's last.
      const gm = (ldi(units, um + U_GROUP0) + ldi(units, um + U_NGROUP) - 1) * GROUP_STRIDE;
      const first = ldi(groups, gm + G_FIRST);
      const ix = idx + (<usize>ldi(groups, gm + G_IDX0) << 2);
      const contiguous = isContiguous(ix, first, noff);
      const rk = rows + (<usize>(k * q) << 3);
      if (q == 1) {
        scalarUpdates(row, ix, contiguous, first, k, rows, rowsBar, reverse);
        continue;
      }
      for (let j = first; j <= k; j++) {
        const t = row + (<usize>groupIndex(ix, contiguous, first, j) << 3);
        const rj = rows + (<usize>(j * q) << 3);
        if (reverse) {
          // tail[r][c] -= R_k . R_j, reversed: Rbar_k -= ab R_j, Rbar_j -= ab R_k.
          const ab = load<f64>(t);
          const bk = rowsBar + (<usize>(k * q) << 3), bj = rowsBar + (<usize>(j * q) << 3);
          for (let m = 0; m < q; m++) {
            st(bk, m, ld(bk, m) - ab * ld(rj, m));
            st(bj, m, ld(bj, m) - ab * ld(rk, m));
          }
        } else {
          let s = 0.0;
          for (let m = 0; m < q; m++) s += ld(rk, m) * ld(rj, m);
          store<f64>(t, load<f64>(t) - s);
        }
      }
    }
  }
}

/** The updates of one row k of a unit whose rows are scalars (q = 1, as a random intercept's). */
@inline function scalarUpdates(row: usize, ix: usize, contiguous: bool, first: i32, k: i32, rows: usize, rowsBar: usize, reverse: bool): void {
  const x = ld(rows, k);
  if (reverse) {
    let bk = 0.0;
    for (let j = first; j <= k; j++) {
      const ab = load<f64>(row + (<usize>groupIndex(ix, contiguous, first, j) << 3));
      bk -= ab * ld(rows, j);
      st(rowsBar, j, ld(rowsBar, j) - ab * x);
    }
    st(rowsBar, k, ld(rowsBar, k) + bk);
  } else {
    for (let j = first; j <= k; j++) {
      const t = row + (<usize>groupIndex(ix, contiguous, first, j) << 3);
      store<f64>(t, load<f64>(t) - x * ld(rows, j));
    }
  }
}

/** Every unit's Schur-complement update of the tail (after all units are factored). */
export function updateTailByRows(desc: usize): void {
  forEachTailUpdate(desc, false);
}

/** Reverse of `updateTailByRows`: the tail's adjoint gathered into the units' row adjoints. */
export function gatherTailByRows(desc: usize): void {
  forEachTailUpdate(desc, true);
}
