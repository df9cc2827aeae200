// The profiled deviance of a linear mixed model for one theta, in one call:
// scale the raw cross-products by Lambda(theta), factor the blocked system
// [Lambda'Z'Z Lambda + I, Lambda'Z'X, Lambda'Z'y; ...; y'y] = L L', and read
// log|L|^2, log|R_X|^2 and the penalised residual sum of squares off the factor.
import { ld, st, ldi, ptr, field } from "./memory";
import { groupIndex, isContiguous } from "./groups";
import { choleskyLower, logDiagonal } from "./dense";
import { choleskyBlocked, denseWorkSize } from "./blocked";
import { isSlopeModel, factorSlopeUnits } from "./slope";
import { isInterceptModel, factorInterceptUnits } from "./intercept";
import { defersTail, updateTailByRows } from "./tailrows";
import { scaleScalarTail } from "./scalartail";
import { denseTailWorkSize, updateTailDense } from "./densetail";
import { rowTimesLower, rowTimesFull, rowsTimesLowerT, solvePanelRows } from "./scaling";
import {
  D_NUNITS, D_UNITS, D_GROUPS, D_SEGS, D_NTERMS, D_TERMS, D_THETA, D_TMATS, D_A, D_F,
  D_TAILOFF, D_MT, D_ND, D_P, D_TAILSEGS, D_NTAILSEGS, D_SCRATCH, D_N, D_REML, D_IDX, D_WORK, D_HALF, D_VARIANT, VARIANT_TAIL_DENSE,
  U_PANEL, U_Q, U_NROWS, U_TERM, U_SEG0, U_NSEG, U_GROUP0, U_NGROUP, UNIT_STRIDE,
  G_FIRST, G_END, G_BASE, G_STRIDE, G_IDX0, GROUP_STRIDE,
  S_START, S_LEN, S_TERM, SEG_STRIDE, T_Q, T_THETA0, T_TMAT0, TERM_STRIDE,
} from "./layout";

const LOG_2PI: f64 = 1.8378770664093453;

/** Unpack theta into each term's lower-triangular q x q factor T_t (column-major theta, as lme4). */
function buildTmats(desc: usize): void {
  const nterms = field(desc, D_NTERMS);
  const terms = ptr(desc, D_TERMS), theta = ptr(desc, D_THETA), tm = ptr(desc, D_TMATS);
  for (let t = 0; t < nterms; t++) {
    const q = ldi(terms, t * TERM_STRIDE + T_Q);
    let k = ldi(terms, t * TERM_STRIDE + T_THETA0);
    const off = ldi(terms, t * TERM_STRIDE + T_TMAT0);
    for (let j = 0; j < q; j++) {
      for (let i = 0; i < j; i++) st(tm, off + i * q + j, 0.0);
      for (let i = j; i < q; i++) st(tm, off + i * q + j, ld(theta, k++));
    }
  }
}

function tmatOffset(terms: usize, t: i32): i32 {
  return ldi(terms, t * TERM_STRIDE + T_TMAT0);
}

/**
 * A unit of the first nested term with q >= 2 receives no Schur update (it has
 * no descendants), so it is scaled and factored in one visit: its own block
 * first, then its off-diagonal rows A Tc L^{-T} as one q x q product per row
 * (instead of a pass for Tc and one for the triangular solve), then Ts' per
 * segment (left and right factors commute). The same F in exact arithmetic.
 */
@inline function isFusedLeaf(q: i32, term: i32): bool {
  return q >= 2 && term == 0;
}

/** Rows of unit u's panel `p` in segments from the (s0 + skip)-th on <- Ts' rows (X, y rows unscaled). */
function scaleSegmentsLeft(desc: usize, u: i32, p: usize, skip: i32): void {
  const units = ptr(desc, D_UNITS), segs = ptr(desc, D_SEGS), terms = ptr(desc, D_TERMS), tm = ptr(desc, D_TMATS);
  const um = u * UNIT_STRIDE;
  const q = ldi(units, um + U_Q);
  const rowBytes = <usize>q << 3;
  const s0 = ldi(units, um + U_SEG0), ns = ldi(units, um + U_NSEG);
  for (let s = s0 + skip; s < s0 + ns; s++) {
    const term = ldi(segs, s * SEG_STRIDE + S_TERM);
    if (term < 0) continue;
    const r0 = ldi(segs, s * SEG_STRIDE + S_START), len = ldi(segs, s * SEG_STRIDE + S_LEN);
    const ts = tm + (<usize>tmatOffset(terms, term) << 3);
    if (ldi(terms, term * TERM_STRIDE + T_Q) == 1) {
      // A run of units of a scalar term (see blocks.ts): each row times its T's one entry.
      const t = load<f64>(ts), row = p + <usize>r0 * rowBytes;
      for (let j = 0; j < len * q; j++) st(row, j, t * ld(row, j));
    } else rowsTimesLowerT(p + <usize>r0 * rowBytes, len, q, q, ts);
  }
}

/**
 * Scale and factor a fused leaf unit (see isFusedLeaf): F's own block
 * Tc' A Tc + I = L L', then the off-diagonal rows R = Ts' A Tc L^{-T}. Returns
 * false if the own block is not positive definite. Scratch: q (q + 1) f64.
 */
function factorFusedLeaf(desc: usize, u: i32, scratch: usize): bool {
  const a = ptr(desc, D_A), f = ptr(desc, D_F), units = ptr(desc, D_UNITS), terms = ptr(desc, D_TERMS);
  const um = u * UNIT_STRIDE;
  const off = <usize>ldi(units, um + U_PANEL) << 3;
  const p = f + off, pa = a + off;
  const q = ldi(units, um + U_Q), nrows = ldi(units, um + U_NROWS);
  const tc = ptr(desc, D_TMATS) + (<usize>tmatOffset(terms, ldi(units, um + U_TERM)) << 3);
  const rowBytes = <usize>q << 3;
  for (let i = 0; i < q; i++) rowTimesLower(p + <usize>i * rowBytes, pa + <usize>i * rowBytes, tc, q);
  rowsTimesLowerT(p, q, q, q, tc);
  for (let i = 0; i < q; i++) st(p, i * q + i, ld(p, i * q + i) + 1.0);
  if (!choleskyLower(p, q, q)) return false;
  // M = Tc L^{-T} (q x q, row-major; Tc's zeros above the diagonal included).
  const m = scratch + rowBytes;
  memory.copy(m, tc, <usize>q * rowBytes);
  solvePanelRows(m, q, p, q, scratch);
  for (let i = q; i < nrows; i++) rowTimesFull(p + <usize>i * rowBytes, pa + <usize>i * rowBytes, m, q);
  scaleSegmentsLeft(desc, u, p, 1);
  return true;
}

/**
 * f64 scratch at D_WORK: the blocked tail kernels', the sweeps of slope.ts (two
 * mt x mt f64x2; S and four units' S R), or the dense tail updates of densetail.ts.
 */
export function workSize(mt: i32): i32 {
  return max(max(denseWorkSize(mt), 4 * mt * mt + 8 * mt), denseTailWorkSize(mt));
}

/** The tail of F starts as the tail of A (scaled in place afterwards). */
function copyTail(desc: usize): void {
  const tailOff = field(desc, D_TAILOFF), mt = field(desc, D_MT);
  memory.copy(ptr(desc, D_F) + (<usize>tailOff << 3), ptr(desc, D_A) + (<usize>tailOff << 3), <usize>(mt * mt) << 3);
}

/** F <- Lambda' A Lambda (+ I on the random-effects diagonal), panel by panel, then the tail. */
function scale(desc: usize): void {
  const a = ptr(desc, D_A), f = ptr(desc, D_F), terms = ptr(desc, D_TERMS), tm = ptr(desc, D_TMATS);
  const units = ptr(desc, D_UNITS);
  const nunits = field(desc, D_NUNITS);
  const tailOff = field(desc, D_TAILOFF), mt = field(desc, D_MT);
  const scalarTail = scaleScalarTail(desc);
  if (!scalarTail) copyTail(desc);

  for (let u = 0; u < nunits; u++) {
    const um = u * UNIT_STRIDE;
    const q = ldi(units, um + U_Q);
    if (isFusedLeaf(q, ldi(units, um + U_TERM))) continue; // scaled as it is factored (factorFusedLeaf)
    const off = <usize>ldi(units, um + U_PANEL) << 3;
    const p = f + off, pa = a + off;
    const nrows = ldi(units, um + U_NROWS);
    const tc = tm + (<usize>tmatOffset(terms, ldi(units, um + U_TERM)) << 3);
    // Every row times Tc, then each segment's rows times its Ts'.
    if (q == 1) {
      const t = load<f64>(tc);
      for (let i = 0; i < nrows; i++) st(p, i, ld(pa, i) * t);
    } else {
      const rowBytes = <usize>q << 3;
      for (let i = 0; i < nrows; i++) rowTimesLower(p + <usize>i * rowBytes, pa + <usize>i * rowBytes, tc, q);
    }
    scaleSegmentsLeft(desc, u, p, 0);
    for (let i = 0; i < q; i++) st(p, i * q + i, ld(p, i * q + i) + 1.0);
  }

  if (scalarTail) return;
  // Tail: rows and columns of each dense-term unit are scaled by its T (X, y unscaled):
  // columns [c0, c0 + q) of rows c0.. times T, then rows [c0, c0 + q) (columns ..c0 + q) times T'.
  const tail = f + (<usize>tailOff << 3);
  const tsegs = ptr(desc, D_TAILSEGS), nts = field(desc, D_NTAILSEGS);
  for (let s = 0; s < nts; s++) {
    const term = ldi(tsegs, s * SEG_STRIDE + S_TERM);
    if (term < 0) continue;
    const c0 = ldi(tsegs, s * SEG_STRIDE + S_START), q = ldi(tsegs, s * SEG_STRIDE + S_LEN);
    const t = tm + (<usize>tmatOffset(terms, term) << 3);
    for (let r = c0; r < mt; r++) {
      const at = tail + (<usize>(r * mt + c0) << 3);
      rowTimesLower(at, at, t, q);
    }
    rowsTimesLowerT(tail + (<usize>(c0 * mt) << 3), q, c0 + q, mt, t);
  }
  const nd = field(desc, D_ND);
  for (let i = 0; i < nd; i++) st(tail, i * mt + i, ld(tail, i * mt + i) + 1.0);
}

/**
 * Right-looking blocked Cholesky over the block-diagonal units. Returns the sum
 * of log pivots of the units (half of their log-determinant), or NaN.
 */
function factorUnits(desc: usize): f64 {
  const f = ptr(desc, D_F), units = ptr(desc, D_UNITS), groups = ptr(desc, D_GROUPS), idx = ptr(desc, D_IDX);
  const scratch = ptr(desc, D_SCRATCH);
  const nunits = field(desc, D_NUNITS);
  const deferred = defersTail(desc); // then the tail group (each unit's last) waits for every unit
  // Sum of log pivots, folding a running product (one log per many units).
  let product = 1.0;
  let logdet = 0.0;
  for (let u = 0; u < nunits; u++) {
    const um = u * UNIT_STRIDE;
    const p = f + (<usize>ldi(units, um + U_PANEL) << 3);
    const q = ldi(units, um + U_Q), nrows = ldi(units, um + U_NROWS);
    const fused = isFusedLeaf(q, ldi(units, um + U_TERM));
    if (fused ? !factorFusedLeaf(desc, u, scratch) : !choleskyLower(p, q, q)) return NaN;
    for (let k = 0; k < q; k++) product *= ld(p, k * q + k);
    if (product > 1e150 || product < 1e-150) {
      logdet += Math.log(product);
      product = 1.0;
    }
    if (!fused) solvePanelRows(p + (<usize>(q * q) << 3), nrows - q, p, q, scratch);
    // Schur-complement update of every target block this unit touches.
    const off = p + (<usize>(q * q) << 3);
    const g0 = ldi(units, um + U_GROUP0), ng = ldi(units, um + U_NGROUP) - (deferred ? 1 : 0);
    const noff = nrows - q;
    for (let g = g0; g < g0 + ng; g++) {
      const gm = g * GROUP_STRIDE;
      const first = ldi(groups, gm + G_FIRST), end = ldi(groups, gm + G_END);
      const base = ldi(groups, gm + G_BASE), stride = ldi(groups, gm + G_STRIDE);
      const ix = idx + (<usize>ldi(groups, gm + G_IDX0) << 2);
      const contiguous = isContiguous(ix, first, noff);
      for (let j = first; j < end; j++) {
        const rj = off + (<usize>(j * q) << 3);
        const cj = base + groupIndex(ix, contiguous, first, j);
        if (q == 1 && contiguous) {
          // Scalar rows into consecutive target rows: one column of the target.
          const x = load<f64>(rj);
          let t = f + (<usize>(cj + groupIndex(ix, true, first, j) * stride) << 3);
          const step = <usize>stride << 3;
          for (let i = j; i < noff; i++, t += step) store<f64>(t, load<f64>(t) - ld(off, i) * x);
          continue;
        }
        for (let i = j; i < noff; i++) {
          const t = cj + groupIndex(ix, contiguous, first, i) * stride;
          st(f, t, ld(f, t) - dotSmall(off + (<usize>(i * q) << 3), rj, q));
        }
      }
    }
  }
  if (deferred) {
    if (field(desc, D_VARIANT) == VARIANT_TAIL_DENSE) updateTailDense(desc);
    else updateTailByRows(desc);
  }
  return logdet + Math.log(product);
}

/** Dot product of short vectors (a unit's q), without the SIMD set-up of `dot`. */
@inline function dotSmall(a: usize, b: usize, n: i32): f64 {
  let s = 0.0;
  for (let k = 0; k < n; k++) s += ld(a, k) * ld(b, k);
  return s;
}

/**
 * Profiled deviance (ML) or REML criterion at the theta stored in the descriptor.
 * Writes [objective, log|L|^2, log|R_X|^2, r2] to `out`; returns the objective
 * (+Infinity when the system is not positive definite).
 */
export function evaluate(desc: usize, out: usize): f64 {
  return finishEvaluate(desc, out, forwardUnits(desc));
}

/**
 * The units' half of `evaluate`: scale and factor the units, leaving the Schur
 * complement in F's tail. Returns the units' sum of log pivots (NaN if one is not
 * positive). Units split between instances each leave their own share of the
 * Schur update (see src/model/unit-split.ts).
 */
export function forwardUnits(desc: usize): f64 {
  buildTmats(desc);
  if (isSlopeModel(desc)) {
    // Two halves, each summed apart: a worker thread can then take the second
    // half and the results stay the same to the last bit.
    copyTail(desc);
    const half = field(desc, D_HALF), acc = ptr(desc, D_WORK);
    const first = factorSlopeUnits(desc, acc, 0, half);
    return first + factorSlopeUnits(desc, acc, half, field(desc, D_NUNITS));
  }
  if (isInterceptModel(desc)) {
    copyTail(desc);
    return factorInterceptUnits(desc, ptr(desc, D_WORK));
  }
  scale(desc);
  return factorUnits(desc);
}

/** The tail's half of `evaluate`, given the units' sum of log pivots. */
export function finishEvaluate(desc: usize, out: usize, unitsHalf: f64): f64 {
  const tail = ptr(desc, D_F) + (<usize>field(desc, D_TAILOFF) << 3);
  const mt = field(desc, D_MT), nd = field(desc, D_ND), p = field(desc, D_P);
  if (isNaN(unitsHalf) || !choleskyBlocked(tail, mt, mt, ptr(desc, D_WORK))) {
    st(out, 0, Infinity);
    return Infinity;
  }
  const lyy = ld(tail, (mt - 1) * mt + mt - 1);
  const logdetL = 2.0 * (unitsHalf + logDiagonal(tail, nd, mt));
  const logdetRX = 2.0 * logDiagonal(tail + (<usize>(nd * (mt + 1)) << 3), p, mt);
  const r2 = lyy * lyy;
  const n = <f64>field(desc, D_N);
  let obj: f64;
  if (field(desc, D_REML)) {
    const nmp = n - <f64>p;
    obj = logdetL + logdetRX + nmp * (1.0 + LOG_2PI + Math.log(r2 / nmp));
  } else {
    obj = logdetL + n * (1.0 + LOG_2PI + Math.log(r2 / n));
  }
  st(out, 0, obj);
  st(out, 1, logdetL);
  st(out, 2, logdetRX);
  st(out, 3, r2);
  return obj;
}
