// The gradient of the profiled deviance with respect to theta, by reverse-mode
// differentiation of `evaluate`: the same blocks, visited backwards. The
// objective reads the factor only through its log pivots, so the adjoint starts
// on the diagonal; the reverse Cholesky and the reversed Schur-complement
// scatters carry it back to the scaled cross-products, and the scaling
// Lambda' A Lambda carries it to each term's T, whose entries are theta.
import { ld, st, ldi, ptr, field } from "./memory";
import { groupIndex, isContiguous } from "./groups";
import { choleskyLowerReverse } from "./dense";
import { reverseScalarTailScaling } from "./scalartail";
import { choleskyBlockedReverse } from "./blocked";
import { reversePanelScaling, reverseTailScaling, rowTimesLower } from "./scaling";
import { isSlopeModel, reverseSlopeUnits, symmetricTailAdjoint } from "./slope";
import { isInterceptModel, reverseInterceptUnits } from "./intercept";
import { defersTail, gatherTailByRows } from "./tailrows";
import { gatherTailDense } from "./densetail";
import {
  D_NUNITS, D_UNITS, D_GROUPS, D_SEGS, D_NTERMS, D_TERMS, D_TMATS, D_A, D_F, D_FBAR, D_TBAR,
  D_TAILOFF, D_MT, D_ND, D_P, D_TAILSEGS, D_NTAILSEGS, D_IDX, D_WORK, D_HALF, D_SCRATCH, D_VARIANT, VARIANT_TAIL_DENSE,
  U_PANEL, U_Q, U_NROWS, U_TERM, U_SEG0, U_NSEG, U_GROUP0, U_NGROUP, UNIT_STRIDE,
  G_FIRST, G_END, G_BASE, G_STRIDE, G_IDX0, GROUP_STRIDE,
  S_START, S_LEN, S_TERM, SEG_STRIDE, T_Q, T_THETA0, T_TMAT0, TERM_STRIDE,
} from "./layout";

/** Adjoint of one unit's panel: reverse of factor, triangular solve and scatter. */
function reverseUnit(desc: usize, u: i32, cLogdetL: f64): void {
  const f = ptr(desc, D_F), fb = ptr(desc, D_FBAR), units = ptr(desc, D_UNITS);
  const groups = ptr(desc, D_GROUPS), idx = ptr(desc, D_IDX);
  const um = u * UNIT_STRIDE;
  const off = ldi(units, um + U_PANEL);
  const p = f + (<usize>off << 3), pb = fb + (<usize>off << 3);
  const q = ldi(units, um + U_Q), nrows = ldi(units, um + U_NROWS);
  const noff = nrows - q;
  const r = p + (<usize>(q * q) << 3), rb = pb + (<usize>(q * q) << 3);
  // Scatter F[t] -= R_i . R_j, reversed: gather the targets' adjoints into Rbar
  // (the tail group's already gathered when the tail goes row by row).
  const g0 = ldi(units, um + U_GROUP0), ng = ldi(units, um + U_NGROUP) - (defersTail(desc) ? 1 : 0);
  for (let g = g0; g < g0 + ng; g++) {
    const gm = g * GROUP_STRIDE;
    const first = ldi(groups, gm + G_FIRST), end = ldi(groups, gm + G_END);
    const base = ldi(groups, gm + G_BASE), stride = ldi(groups, gm + G_STRIDE);
    const ix = idx + (<usize>ldi(groups, gm + G_IDX0) << 2);
    const contiguous = isContiguous(ix, first, noff);
    for (let j = first; j < end; j++) {
      const cj = base + groupIndex(ix, contiguous, first, j);
      if (q == 1 && contiguous) {
        // Scalar rows from consecutive target rows (one column of the target).
        const x = ld(r, j);
        let t = fb + (<usize>(cj + groupIndex(ix, true, first, j) * stride) << 3);
        const step = <usize>stride << 3;
        let acc = 0.0;
        for (let i = j; i < noff; i++, t += step) {
          const ab = load<f64>(t);
          st(rb, i, ld(rb, i) - ab * x);
          acc += ab * ld(r, i);
        }
        st(rb, j, ld(rb, j) - acc);
        continue;
      }
      for (let i = j; i < noff; i++) {
        const ab = ld(fb, cj + groupIndex(ix, contiguous, first, i) * stride);
        if (ab == 0.0) continue;
        for (let k = 0; k < q; k++) {
          st(rb, i * q + k, ld(rb, i * q + k) - ab * ld(r, j * q + k));
          st(rb, j * q + k, ld(rb, j * q + k) - ab * ld(r, i * q + k));
        }
      }
    }
  }
  // R = P L^{-T}, reversed: Pbar = Rbar L^{-1}, Lbar -= tril(Pbar' R), row by
  // row: each row's Pbar is a product with L^{-1} (formed once per unit; a
  // product pairs its columns where a substitution is one serial chain), then
  // its outer product with R is added into acc (q x q at D_WORK, pairs of columns).
  const rinv = ptr(desc, D_SCRATCH);
  for (let k = 0; k < q; k++) st(rinv, k, 1.0 / ld(p, k * q + k));
  if (q == 1) {
    const r0 = ld(rinv, 0);
    let s = 0.0;
    for (let i = 0; i < noff; i++) {
      const v = ld(rb, i) * r0;
      st(rb, i, v);
      s += v * ld(r, i);
    }
    st(pb, 0, ld(pb, 0) - s + (2.0 * cLogdetL) / ld(p, 0));
  } else {
    const acc = ptr(desc, D_WORK);
    memory.fill(acc, 0, <usize>(q * q) << 3);
    const rowBytes = <usize>q << 3;
    const linv = rinv + rowBytes;
    lowerInverse(linv, p, rinv, q);
    for (let i = 0; i < noff; i++) {
      const bi = rb + <usize>i * rowBytes, ri = r + <usize>i * rowBytes;
      rowTimesLower(bi, bi, linv, q);
      for (let a = 0; a < q; a++) {
        const ba = v128.load64_splat(bi + (<usize>a << 3));
        const row = acc + <usize>a * rowBytes;
        for (let b = 0; b <= a; b += 2) {
          // b + 1 <= a + 1 < q except for b = a = q - 1 (q odd): then the one lane.
          if (b + 1 < q) v128.store(row + (<usize>b << 3), f64x2.add(v128.load(row + (<usize>b << 3)), f64x2.mul(ba, v128.load(ri + (<usize>b << 3)))));
          else st(row, b, ld(row, b) + f64x2.extract_lane(ba, 0) * ld(ri, b));
        }
      }
    }
    for (let a = 0; a < q; a++) {
      for (let b = 0; b <= a; b++) st(pb, a * q + b, ld(pb, a * q + b) - ld(acc, a * q + b));
      // log|L|^2 = 2 sum log L_kk
      st(pb, a * q + a, ld(pb, a * q + a) + (2.0 * cLogdetL) / ld(p, a * q + a));
    }
  }
  choleskyLowerReverse(p, pb, q, q);
}

/** x <- L^{-1} (q x q, row-major, zeros above the diagonal) for L lower, given rinv[k] = 1 / L[k][k]. */
function lowerInverse(x: usize, l: usize, rinv: usize, q: i32): void {
  for (let c = 0; c < q; c++) {
    for (let i = 0; i < c; i++) st(x, i * q + c, 0.0);
    st(x, c * q + c, ld(rinv, c));
    for (let i = c + 1; i < q; i++) {
      let s = 0.0;
      for (let k = c; k < i; k++) s += ld(l, i * q + k) * ld(x, k * q + c);
      st(x, i * q + c, -s * ld(rinv, i));
    }
  }
}

/**
 * Gradient with respect to theta of cLogdetL log|L|^2 + cLogdetRX log|R_X|^2 +
 * cR2 r2 at the theta of the last `evaluate` call (which must have succeeded).
 * The profiled deviance is (1, REML ? 1 : 0, nu / r2). Writes ntheta values to `grad`.
 */
export function gradient(desc: usize, grad: usize, cLogdetL: f64, cLogdetRX: f64, cR2: f64): void {
  reverseTail(desc, cLogdetL, cLogdetRX, cR2);
  reverseUnits(desc, cLogdetL);
  writeGradient(desc, grad);
}

/** The tail's half of `gradient`: adjoints zeroed, the log pivots' adjoint seeded and carried through the tail's factor. */
export function reverseTail(desc: usize, cLogdetL: f64, cLogdetRX: f64, cR2: f64): void {
  const f = ptr(desc, D_F), fb = ptr(desc, D_FBAR), terms = ptr(desc, D_TERMS), tb = ptr(desc, D_TBAR);
  const nterms = field(desc, D_NTERMS);
  const tailOff = field(desc, D_TAILOFF), mt = field(desc, D_MT), nd = field(desc, D_ND), p = field(desc, D_P);
  // The unrolled sweeps (q = 1, 2) write every panel adjoint they leave behind; the others accumulate.
  if (isSlopeModel(desc) || isInterceptModel(desc)) memory.fill(fb + (<usize>tailOff << 3), 0, <usize>(mt * mt) << 3);
  else memory.fill(fb, 0, <usize>(tailOff + mt * mt) << 3);
  const lastTerm = (nterms - 1) * TERM_STRIDE;
  const qLast = ldi(terms, lastTerm + T_Q);
  memory.fill(tb, 0, <usize>(ldi(terms, lastTerm + T_TMAT0) + qLast * qLast) << 3);

  const tail = f + (<usize>tailOff << 3), tailb = fb + (<usize>tailOff << 3);
  for (let i = 0; i < nd; i++) st(tailb, i * mt + i, (2.0 * cLogdetL) / ld(tail, i * mt + i));
  for (let i = nd; i < nd + p; i++) st(tailb, i * mt + i, (2.0 * cLogdetRX) / ld(tail, i * mt + i));
  // r2 = L_yy^2
  st(tailb, (mt - 1) * mt + mt - 1, 2.0 * cR2 * ld(tail, (mt - 1) * mt + mt - 1));
  choleskyBlockedReverse(tail, tailb, mt, mt, ptr(desc, D_WORK));
}

/**
 * The units' half of `gradient`, after `reverseTail` left the tail's adjoint in
 * Fbar: the units' reverse sweep and the scaling's, added into Tbar.
 */
export function reverseUnits(desc: usize, cLogdetL: f64): void {
  if (isSlopeModel(desc)) {
    // In the halves of forwardUnits.
    const sym = ptr(desc, D_WORK), half = field(desc, D_HALF);
    symmetricTailAdjoint(desc, sym);
    reverseSlopeUnits(desc, cLogdetL, sym, 0, half);
    reverseSlopeUnits(desc, cLogdetL, sym, half, field(desc, D_NUNITS));
    return;
  }
  if (isInterceptModel(desc)) {
    const sym = ptr(desc, D_WORK);
    symmetricTailAdjoint(desc, sym);
    reverseInterceptUnits(desc, cLogdetL, sym);
    return;
  }
  const nunits = field(desc, D_NUNITS);
  if (defersTail(desc)) {
    if (field(desc, D_VARIANT) == VARIANT_TAIL_DENSE) gatherTailDense(desc);
    else gatherTailByRows(desc);
  }
  for (let u = nunits - 1; u >= 0; u--) reverseUnit(desc, u, cLogdetL);

  // Scaling F = Lambda' A Lambda, reversed: the panels, then the tail.
  reversePanelScaling(desc);
  if (!reverseScalarTailScaling(desc)) reverseTailScaling(desc);
}

/** theta is each T's lower triangle, column by column: its gradient is read off Tbar. */
export function writeGradient(desc: usize, grad: usize): void {
  const terms = ptr(desc, D_TERMS), tb = ptr(desc, D_TBAR);
  const nterms = field(desc, D_NTERMS);
  for (let t = 0; t < nterms; t++) {
    const q = ldi(terms, t * TERM_STRIDE + T_Q);
    let k = ldi(terms, t * TERM_STRIDE + T_THETA0);
    const to = ldi(terms, t * TERM_STRIDE + T_TMAT0);
    for (let j = 0; j < q; j++) for (let i = j; i < q; i++) st(grad, k++, ld(tb, to + i * q + j));
  }
}
