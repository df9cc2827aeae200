// The grouped case, one random-effects term with one column (a random
// intercept per group: `(1 | id)`), unrolled as slope.ts does for q = 2. Every
// unit's panel is its 1 x 1 own entry, then one entry per tail row (X and y);
// scaling, factor, division and the rank-one Schur update of the tail are one
// pass per unit, and their reverse one more, with the same results and the same
// factor layout as deviance.ts and gradient.ts.
import { ld, st, ptr, field } from "./memory";
import { D_NUNITS, D_TMATS, D_A, D_F, D_FBAR, D_TBAR, D_TAILOFF, D_MT, D_VARIANT, VARIANT_INTERCEPT } from "./layout";

/** Whether the planner chose these sweeps (the model has one term, of q = 1). */
export function isInterceptModel(desc: usize): bool {
  return field(desc, D_VARIANT) == VARIANT_INTERCEPT;
}

/**
 * Scale, factor and Schur-update every unit (t = T's one entry): m = t^2 a + 1 =
 * l^2, r = A_off t / l, tail -= sum of r r'. The tail must hold its unscaled
 * cross-products; `acc` holds mt x mt f64 scratch. Returns the sum of log pivots, or NaN.
 */
export function factorInterceptUnits(desc: usize, acc: usize): f64 {
  const a = ptr(desc, D_A), f = ptr(desc, D_F), tm = ptr(desc, D_TMATS);
  const nunits = field(desc, D_NUNITS), mt = field(desc, D_MT);
  const tail = f + (<usize>field(desc, D_TAILOFF) << 3);
  const t = ld(tm, 0);
  const panel = 1 + mt;
  memory.fill(acc, 0, <usize>(mt * mt) << 3);
  let product = 1.0;
  let logdet = 0.0;
  for (let u = 0; u < nunits; u++) {
    const pa = a + (<usize>(u * panel) << 3), pf = f + (<usize>(u * panel) << 3);
    const m = t * t * ld(pa, 0) + 1.0;
    if (!(m > 0.0)) return NaN;
    const l = Math.sqrt(m);
    st(pf, 0, l);
    product *= l;
    if (product > 1e150 || product < 1e-150) {
      logdet += Math.log(product);
      product = 1.0;
    }
    const s = t / l;
    for (let i = 1; i <= mt; i++) st(pf, i, ld(pa, i) * s);
    // acc += r r', lower triangle, row by row.
    const r = pf + 8;
    for (let i = 0; i < mt; i++) {
      const ri = ld(r, i);
      const ai = acc + (<usize>(i * mt) << 3);
      for (let j = 0; j <= i; j++) st(ai, j, ld(ai, j) + ri * ld(r, j));
    }
  }
  for (let i = 0; i < mt; i++) {
    for (let j = 0; j <= i; j++) st(tail, i * mt + j, ld(tail, i * mt + j) - ld(acc, i * mt + j));
  }
  return logdet + Math.log(product);
}

/**
 * Reverse of `factorInterceptUnits`, given S = Tbar + Tbar' of the tail
 * (slope.ts's symmetricTailAdjoint) in `sym`: rbar = -S r per unit. Adds each
 * unit's contribution to the adjoint of t (tbar[0]) and leaves the adjoint of
 * each m in its Fbar panel (as gradient.ts, for the inverse blocks).
 */
export function reverseInterceptUnits(desc: usize, cLogdetL: f64, sym: usize): void {
  const a = ptr(desc, D_A), f = ptr(desc, D_F), fb = ptr(desc, D_FBAR), tm = ptr(desc, D_TMATS), tb = ptr(desc, D_TBAR);
  const nunits = field(desc, D_NUNITS), mt = field(desc, D_MT);
  const t = ld(tm, 0);
  const panel = 1 + mt;
  const c2 = 2.0 * cLogdetL;
  let tbar = 0.0;
  for (let u = 0; u < nunits; u++) {
    const pa = a + (<usize>(u * panel) << 3), pf = f + (<usize>(u * panel) << 3);
    const l = ld(pf, 0);
    const il = 1.0 / l;
    // r = b t / l with b = A_off: tbar += rbar'b / l, lbar -= rbar'r / l.
    const r = pf + 8, b = pa + 8;
    let rb = 0.0, rr = 0.0;
    for (let i = 0; i < mt; i++) {
      const s = sym + (<usize>(i * mt) << 3);
      let sr = 0.0;
      for (let j = 0; j < mt; j++) sr += ld(s, j) * ld(r, j);
      rb -= sr * ld(b, i);
      rr -= sr * ld(r, i);
    }
    tbar += rb * il;
    const lbar = c2 * il - rr * il;
    // l = sqrt(m); m = t^2 a + 1.
    const mbar = 0.5 * lbar * il;
    st(fb + (<usize>(u * panel) << 3), 0, mbar);
    tbar += 2.0 * t * ld(pa, 0) * mbar;
  }
  st(tb, 0, ld(tb, 0) + tbar);
}
