// The longitudinal case, one random-effects term with two columns (a random
// intercept and slope per subject: `(time | id)`), unrolled. Every unit's panel
// then has the same shape: its 2 x 2 own block, then one row per tail row (X
// and y), with a contiguous Schur-complement target, the whole tail. Generic
// loops over q = 2 spend their time on loop and call overhead, so scaling,
// factor, triangular solve and Schur update are fused here into one pass per
// unit (and their reverse into one more), with the same results and the same
// factor layout as deviance.ts and gradient.ts.
import { ld, st, ptr, field } from "./memory";
import { symmetrise } from "./dense";
import { D_TMATS, D_A, D_F, D_FBAR, D_TBAR, D_TAILOFF, D_MT, D_VARIANT, VARIANT_SLOPE } from "./layout";

/** Whether the planner chose these sweeps (the model has one term, of q = 2). */
export function isSlopeModel(desc: usize): bool {
  return field(desc, D_VARIANT) == VARIANT_SLOPE;
}

/**
 * Scale, factor and Schur-update units [u0, u1) (T is term 0's factor, at
 * tmats[0..4)): M = T'A_own T + I = L L', R = A_off T L^{-T}, tail -= sum of R R'.
 * `acc` holds mt x mt f64x2 scratch. Returns the sum of log pivots, or NaN.
 */
export function factorSlopeUnits(desc: usize, acc: usize, u0: i32, u1: i32): f64 {
  const a = ptr(desc, D_A), f = ptr(desc, D_F), tm = ptr(desc, D_TMATS);
  const mt = field(desc, D_MT);
  const tail = f + (<usize>field(desc, D_TAILOFF) << 3);
  const t00 = ld(tm, 0), t10 = ld(tm, 2), t11 = ld(tm, 3);
  const panel = 2 * (2 + mt);
  // Entry (i, j) of sum R R' accumulates in both lanes of acc[i * mt + j]: R's two
  // columns, added once at the end. Blocks of units are summed apart and then
  // added into `total` (after acc), so round-off grows with the block and the
  // number of blocks, not with the number of units.
  const total = acc + (<usize>(mt * mt) << 4);
  memory.fill(acc, 0, <usize>(mt * mt) << 5);
  let product = 1.0;
  let logdet = 0.0;
  for (let u = u0; u < u1; u++) {
    if (((u - u0) & (SUM_BLOCK - 1)) == 0) addInto(total, acc, mt);
    const pa = a + (<usize>(u * panel) << 3), pf = f + (<usize>(u * panel) << 3);
    // A T, then T'(A T) + I: the lower triangle of M (A_own symmetric).
    const a00 = ld(pa, 0), a10 = ld(pa, 2), a11 = ld(pa, 3);
    const at10 = a10 * t00 + a11 * t10, at11 = a11 * t11;
    const m00 = t00 * (a00 * t00 + a10 * t10) + t10 * at10 + 1.0;
    const m10 = t11 * at10;
    const m11 = t11 * at11 + 1.0;
    if (!(m00 > 0.0)) return NaN;
    const l00 = Math.sqrt(m00), l10 = m10 / l00;
    const d11 = m11 - l10 * l10;
    if (!(d11 > 0.0)) return NaN;
    const l11 = Math.sqrt(d11);
    st(pf, 0, l00);
    st(pf, 1, 0.0);
    st(pf, 2, l10);
    st(pf, 3, l11);
    product *= l00 * l11;
    if (product > 1e150 || product < 1e-150) {
      logdet += Math.log(product);
      product = 1.0;
    }
    // Off rows: (A_off T) L^{-T}, each stored as one f64x2 (read back as one).
    const rows = pf + 32;
    for (let i = 0; i < mt; i++) {
      const b0 = ld(pa, 4 + 2 * i), b1 = ld(pa, 5 + 2 * i);
      const x0 = (b0 * t00 + b1 * t10) / l00;
      const x1 = (b1 * t11 - l10 * x0) / l11;
      v128.store(rows + (<usize>i << 4), f64x2.replace_lane(f64x2.splat(x0), 1, x1));
    }
    // The Schur sum, four units at a time (their rows are still in cache): one
    // load and store of each entry of acc per four units.
    const done = u + 1 - u0;
    if ((done & 3) == 0) addFourUnits(acc, f + (<usize>((u - 3) * panel) << 3), panel << 3, mt);
    else if (u + 1 == u1) for (let v = u1 - (done & 3); v < u1; v++) addUnit(acc, f + (<usize>(v * panel) << 3), mt);
  }
  addInto(total, acc, mt);
  for (let i = 0; i < mt; i++) {
    for (let j = 0; j <= i; j++) {
      const s = v128.load(total + (<usize>(i * mt + j) << 4));
      const t = tail + (<usize>(i * mt + j) << 3);
      store<f64>(t, load<f64>(t) - (f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1)));
    }
  }
  return logdet + Math.log(product);
}

/** acc += R R' (lower triangles) for the unit whose F panel is at pf. */
function addUnit(acc: usize, pf: usize, mt: i32): void {
  const rows = pf + 32;
  for (let i = 0; i < mt; i++) {
    const ri = v128.load(rows + (<usize>i << 4));
    const ai = acc + (<usize>(i * mt) << 4);
    for (let j = 0; j <= i; j++) {
      const o = <usize>j << 4;
      v128.store(ai + o, f64x2.add(v128.load(ai + o), f64x2.mul(ri, v128.load(rows + o))));
    }
  }
}

/** acc += sum of R R' of four consecutive units (F panels `step` bytes apart from p0). */
function addFourUnits(acc: usize, p0: usize, step: usize, mt: i32): void {
  const r0 = p0 + 32, r1 = r0 + step, r2 = r1 + step, r3 = r2 + step;
  for (let i = 0; i < mt; i++) {
    const oi = <usize>i << 4;
    const a0 = v128.load(r0 + oi), a1 = v128.load(r1 + oi), a2 = v128.load(r2 + oi), a3 = v128.load(r3 + oi);
    const ai = acc + (<usize>(i * mt) << 4);
    for (let j = 0; j <= i; j++) {
      const o = <usize>j << 4;
      const s01 = f64x2.add(f64x2.mul(a0, v128.load(r0 + o)), f64x2.mul(a1, v128.load(r1 + o)));
      const s23 = f64x2.add(f64x2.mul(a2, v128.load(r2 + o)), f64x2.mul(a3, v128.load(r3 + o)));
      v128.store(ai + o, f64x2.add(v128.load(ai + o), f64x2.add(s01, s23)));
    }
  }
}

/**
 * out[k * mt + i] = (S R)_i (f64x2: both columns) for `count` <= 4 consecutive
 * units (F panels `step` bytes apart from p0), S the mt x mt `sym`: each entry of
 * S loaded once for all four.
 */
function timesRows(out: usize, sym: usize, p0: usize, step: usize, count: i32, mt: i32): void {
  const r0 = p0 + 32, r1 = r0 + step, r2 = r1 + step, r3 = r2 + step;
  const o1 = out + (<usize>mt << 4), o2 = o1 + (<usize>mt << 4), o3 = o2 + (<usize>mt << 4);
  for (let i = 0; i < mt; i++) {
    const s = sym + (<usize>(i * mt) << 3);
    const oi = <usize>i << 4;
    if (count == 4) {
      let c0 = f64x2.splat(0.0), c1 = f64x2.splat(0.0), c2 = f64x2.splat(0.0), c3 = f64x2.splat(0.0);
      for (let j = 0; j < mt; j++) {
        const sij = v128.load64_splat(s + (<usize>j << 3));
        const o = <usize>j << 4;
        c0 = f64x2.add(c0, f64x2.mul(sij, v128.load(r0 + o)));
        c1 = f64x2.add(c1, f64x2.mul(sij, v128.load(r1 + o)));
        c2 = f64x2.add(c2, f64x2.mul(sij, v128.load(r2 + o)));
        c3 = f64x2.add(c3, f64x2.mul(sij, v128.load(r3 + o)));
      }
      v128.store(out + oi, c0);
      v128.store(o1 + oi, c1);
      v128.store(o2 + oi, c2);
      v128.store(o3 + oi, c3);
      continue;
    }
    for (let k = 0; k < count; k++) {
      const rk = r0 + <usize>k * step;
      let c = f64x2.splat(0.0);
      for (let j = 0; j < mt; j++) c = f64x2.add(c, f64x2.mul(v128.load64_splat(s + (<usize>j << 3)), v128.load(rk + (<usize>j << 4))));
      v128.store(out + (<usize>(k * mt) << 4) + oi, c);
    }
  }
}

/** Units per block of the Schur sum (a power of two, a multiple of four). */
const SUM_BLOCK: i32 = 64;

/** total += acc, acc = 0 (lower triangles of mt x mt f64x2). */
function addInto(total: usize, acc: usize, mt: i32): void {
  for (let i = 0; i < mt; i++) {
    for (let j = 0; j <= i; j++) {
      const o = <usize>(i * mt + j) << 4;
      v128.store(total + o, f64x2.add(v128.load(total + o), v128.load(acc + o)));
      v128.store(acc + o, f64x2.splat(0.0));
    }
  }
}

/**
 * tail -= R R' (lower triangle), reversed, needs Rbar = -(Tbar + Tbar') R: this S
 * (the same for every unit) into `sym` (mt x mt), from the tail's adjoint in Fbar.
 */
export function symmetricTailAdjoint(desc: usize, sym: usize): void {
  const mt = field(desc, D_MT);
  symmetrise(sym, mt, ptr(desc, D_FBAR) + (<usize>field(desc, D_TAILOFF) << 3), mt, mt);
}

/**
 * Reverse of `factorSlopeUnits` for units [u0, u1), given S (symmetricTailAdjoint)
 * in `sym`, which has room after S for four units' S R (8 mt f64): adds their
 * contribution to the adjoint of T (at tbar[0..4)) and leaves the adjoint of each
 * M in its Fbar panel (as gradient.ts, for the inverse blocks).
 */
export function reverseSlopeUnits(desc: usize, cLogdetL: f64, sym: usize, u0: i32, u1: i32): void {
  const a = ptr(desc, D_A), f = ptr(desc, D_F), fb = ptr(desc, D_FBAR), tm = ptr(desc, D_TMATS), tb = ptr(desc, D_TBAR);
  const mt = field(desc, D_MT);
  const t00 = ld(tm, 0), t10 = ld(tm, 2), t11 = ld(tm, 3);
  const panel = 2 * (2 + mt);
  const c2 = 2.0 * cLogdetL;
  const srs = sym + (<usize>(mt * mt) << 3); // (S R)_i of four units, f64x2 each
  let tb00 = 0.0, tb10 = 0.0, tb11 = 0.0;
  for (let u = u0; u < u1; u++) {
    const pa = a + (<usize>(u * panel) << 3), pf = f + (<usize>(u * panel) << 3);
    const k = (u - u0) & 3;
    if (k == 0) timesRows(srs, sym, pf, <usize>panel << 3, min(4, u1 - u), mt);
    const sru = srs + (<usize>(k * mt) << 4);
    const l00 = ld(pf, 0), l10 = ld(pf, 2), l11 = ld(pf, 3);
    const i00 = 1.0 / l00, i11 = 1.0 / l11;
    // Per off row: Rbar = -S R, Gbar = Rbar L^{-1}; accumulate Lbar -= tril(Gbar' R)
    // and, through G = A_off T, Tbar += A_off' Gbar.
    let lb00 = c2 * i00, lb10 = 0.0, lb11 = c2 * i11;
    for (let i = 0; i < mt; i++) {
      const sr = v128.load(sru + (<usize>i << 4));
      const g1 = -f64x2.extract_lane(sr, 1) * i11;
      const g0 = (-f64x2.extract_lane(sr, 0) - g1 * l10) * i00;
      const x0 = ld(pf, 4 + 2 * i), x1 = ld(pf, 5 + 2 * i);
      lb00 -= g0 * x0;
      lb10 -= g1 * x0;
      lb11 -= g1 * x1;
      const b0 = ld(pa, 4 + 2 * i), b1 = ld(pa, 5 + 2 * i);
      tb00 += b0 * g0;
      tb10 += b1 * g0;
      tb11 += b1 * g1;
    }
    // Reverse Cholesky of the 2 x 2 block (as choleskyLowerReverse): Mbar, lower.
    const e10 = lb10 - lb11 * i11 * l10;
    const mb11 = 0.5 * lb11 * i11;
    const mb10 = e10 * i00;
    const mb00 = 0.5 * (lb00 - l10 * e10 * i00) * i00;
    const pb = fb + (<usize>(u * panel) << 3);
    st(pb, 0, mb00);
    st(pb, 1, 0.0);
    st(pb, 2, mb10);
    st(pb, 3, mb11);
    // M = T'A T + I, reversed: Tbar += 2 A T W with W the symmetric Mbar (off-diagonal halved).
    const a00 = ld(pa, 0), a10 = ld(pa, 2), a11 = ld(pa, 3);
    const at00 = a00 * t00 + a10 * t10, at01 = a10 * t11;
    const at10 = a10 * t00 + a11 * t10, at11 = a11 * t11;
    const w10 = 0.5 * mb10;
    tb00 += 2.0 * (at00 * mb00 + at01 * w10);
    tb10 += 2.0 * (at10 * mb00 + at11 * w10);
    tb11 += 2.0 * (at10 * w10 + at11 * mb11);
  }
  st(tb, 0, ld(tb, 0) + tb00);
  st(tb, 2, ld(tb, 2) + tb10);
  st(tb, 3, ld(tb, 3) + tb11);
}
