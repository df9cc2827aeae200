// The units' Schur-complement updates of the tail when the units meet most of
// it (crossed terms that are nearly fully crossed, as subjects x items in a
// psycholinguistic design: every subject meets every item). Each unit's update
// is rank q (its R rows, one per tail row it meets); stacked side by side as the
// columns of W (tail rows x sum q), all of them are one symmetric rank-k update
// tail -= W W', done by the matrix-matrix kernel of gemm.ts in chunks of KCH
// columns. Rows a unit does not meet hold zeros in its columns of W. In reverse,
// the tail's adjoint S (symmetrised) gives Wbar = -S W, one product per chunk,
// and its rows go back to the units' row adjoints.
//
// Row by row (tailrows.ts) costs no flops on the zeros, but per entry it loads
// the unit's record and runs a loop of q: at q = 4 and a full tail that is
// several times slower than the packed product. The layout planner chooses per
// model from the fill of the units' tail rows (VARIANT_TAIL_DENSE, tailVariant
// in src/model/blocks.ts).
import { ld, st, ldi, ptr, field } from "./memory";
import { groupIndex, isContiguous } from "./groups";
import { symmetrise } from "./dense";
import { gemmSubtract, gemmWorkSize } from "./gemm";
import {
  D_NUNITS, D_UNITS, D_GROUPS, D_F, D_FBAR, D_IDX, D_TAILOFF, D_MT, D_WORK,
  U_PANEL, U_Q, U_NROWS, U_GROUP0, U_NGROUP, UNIT_STRIDE,
  G_FIRST, G_END, G_IDX0, GROUP_STRIDE,
} from "./layout";

/** Columns of W per product (the depth of gemm.ts's packed slices). */
const KCH: i32 = 256;

/** f64 scratch of the dense updates (forward and reverse) for a tail of dimension mt. */
export function denseTailWorkSize(mt: i32): i32 {
  return mt * mt + 2 * KCH * mt + gemmWorkSize(mt);
}

/**
 * The columns of units [u0, u1) (their tail groups' R rows) into `wt`, stored
 * transposed: column c of W is row c of wt (row stride mt), zero where the
 * unit meets no tail row. Returns the number of columns.
 */
function fillColumns(desc: usize, wt: usize, u0: i32, u1: i32): i32 {
  const units = ptr(desc, D_UNITS), groups = ptr(desc, D_GROUPS), idx = ptr(desc, D_IDX);
  const f = ptr(desc, D_F), mt = field(desc, D_MT);
  let col = 0;
  for (let u = u0; u < u1; u++) {
    const um = u * UNIT_STRIDE;
    const q = ldi(units, um + U_Q), noff = ldi(units, um + U_NROWS) - q;
    const rows = f + (<usize>(ldi(units, um + U_PANEL) + q * q) << 3);
    const gm = (ldi(units, um + U_GROUP0) + ldi(units, um + U_NGROUP) - 1) * GROUP_STRIDE;
    const first = ldi(groups, gm + G_FIRST), end = ldi(groups, gm + G_END);
    const base = wt + (<usize>(col * mt) << 3);
    col += q;
    if (end - first == mt) {
      // The unit meets every tail row (its indices are then 0..mt-1): W' rows are R' as it is.
      const rk = rows + (<usize>(first * q) << 3);
      if (q == 1) {
        memory.copy(base, rk, <usize>mt << 3);
        continue;
      }
      for (let k = 0; k < mt; k++) {
        const r = rk + (<usize>(k * q) << 3), t = base + (<usize>k << 3);
        for (let m = 0; m < q; m++) store<f64>(t + (<usize>(m * mt) << 3), ld(r, m));
      }
      continue;
    }
    memory.fill(base, 0, <usize>(q * mt) << 3);
    const ix = idx + (<usize>ldi(groups, gm + G_IDX0) << 2);
    const contiguous = isContiguous(ix, first, noff);
    for (let k = first; k < end; k++) {
      const t = base + (<usize>groupIndex(ix, contiguous, first, k) << 3);
      const rk = rows + (<usize>(k * q) << 3);
      for (let m = 0; m < q; m++) store<f64>(t + (<usize>(m * mt) << 3), ld(rk, m));
    }
  }
  return col;
}

/** The last unit of the chunk from u0: as many units as fit in KCH columns (at least one). */
function chunkEnd(desc: usize, u0: i32): i32 {
  const units = ptr(desc, D_UNITS), nunits = field(desc, D_NUNITS);
  let cols = ldi(units, u0 * UNIT_STRIDE + U_Q);
  let u1 = u0 + 1;
  while (u1 < nunits && cols + ldi(units, u1 * UNIT_STRIDE + U_Q) <= KCH) cols += ldi(units, u1++ * UNIT_STRIDE + U_Q);
  return u1;
}

/** Every unit's Schur-complement update of the tail, tail -= W W' (lower triangle), after all units are factored. */
export function updateTailDense(desc: usize): void {
  const mt = field(desc, D_MT), nunits = field(desc, D_NUNITS);
  const tail = ptr(desc, D_F) + (<usize>field(desc, D_TAILOFF) << 3);
  const wt = ptr(desc, D_WORK), gw = wt + (<usize>(KCH * mt) << 3);
  for (let u0 = 0; u0 < nunits; ) {
    const u1 = chunkEnd(desc, u0);
    const cols = fillColumns(desc, wt, u0, u1);
    // C = tail (m = n = mt), P(r, s) = W[r][s] = wt[s * mt + r], Q(s, c) = W[c][s] = wt[s * mt + c].
    gemmSubtract(tail, mt, wt, 1, mt, wt, mt, 1, mt, mt, cols, true, gw);
    u0 = u1;
  }
}

/**
 * Reverse of `updateTailDense`: with S the symmetrised adjoint of the tail
 * (its diagonal counted twice), Wbar = -S W, added into each unit's row adjoints.
 */
export function gatherTailDense(desc: usize): void {
  const units = ptr(desc, D_UNITS), groups = ptr(desc, D_GROUPS), idx = ptr(desc, D_IDX);
  const fb = ptr(desc, D_FBAR), mt = field(desc, D_MT), nunits = field(desc, D_NUNITS);
  const tailOff = field(desc, D_TAILOFF);
  const sym = ptr(desc, D_WORK);
  const wt = sym + (<usize>(mt * mt) << 3), wbt = wt + (<usize>(KCH * mt) << 3), gw = wbt + (<usize>(KCH * mt) << 3);
  symmetrise(sym, mt, fb + (<usize>tailOff << 3), mt, mt);
  for (let u0 = 0; u0 < nunits; ) {
    const u1 = chunkEnd(desc, u0);
    const cols = fillColumns(desc, wt, u0, u1);
    // Wbar' = -W' S: C = wbt (cols x mt), P(s, r) = wt[s * mt + r], Q(r, c) = S[r * mt + c].
    memory.fill(wbt, 0, <usize>(cols * mt) << 3);
    gemmSubtract(wbt, mt, wt, mt, 1, sym, mt, 1, cols, mt, mt, false, gw);
    let col = 0;
    for (let u = u0; u < u1; u++) {
      const um = u * UNIT_STRIDE;
      const q = ldi(units, um + U_Q), noff = ldi(units, um + U_NROWS) - q;
      const rowsBar = fb + (<usize>(ldi(units, um + U_PANEL) + q * q) << 3);
      const gm = (ldi(units, um + U_GROUP0) + ldi(units, um + U_NGROUP) - 1) * GROUP_STRIDE;
      const first = ldi(groups, gm + G_FIRST), end = ldi(groups, gm + G_END);
      const ix = idx + (<usize>ldi(groups, gm + G_IDX0) << 2);
      const contiguous = isContiguous(ix, first, noff);
      const base = wbt + (<usize>(col * mt) << 3);
      for (let k = first; k < end; k++) {
        const t = base + (<usize>groupIndex(ix, contiguous, first, k) << 3);
        const bk = rowsBar + (<usize>(k * q) << 3);
        for (let m = 0; m < q; m++) st(bk, m, ld(bk, m) + load<f64>(t + (<usize>(m * mt) << 3)));
      }
      col += q;
    }
    u0 = u1;
  }
}
