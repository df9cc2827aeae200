// The dense tail when every crossed term is scalar (q = 1, random intercepts,
// as InstEval's): thousands of 1 x 1 segments, too many for the per-segment
// scaling of deviance.ts and gradient.ts. Entry (r, c) of the scaled tail is then
// t_r A_rc t_c, with t the term's one entry of T (1 for the X, y rows), and runs
// of rows of one term share t.
import { ld, st, ldi, ptr, field } from "./memory";
import { dot } from "./dense";
import {
  D_TAILSEGS, D_NTAILSEGS, D_TERMS, D_TMATS, D_TBAR, D_MT, D_ND, D_TAILOFF, D_A, D_F, D_FBAR, D_WORK,
  SEG_STRIDE, S_START, S_LEN, S_TERM, TERM_STRIDE, T_TMAT0,
} from "./layout";

/**
 * The tail's runs of consecutive rows of one term, as (start, end, T slot or -1)
 * i32 triples at D_WORK; returns how many, or -1 when a crossed term is not scalar.
 */
function scalarTailRuns(desc: usize): i32 {
  const tsegs = ptr(desc, D_TAILSEGS), nts = field(desc, D_NTAILSEGS), terms = ptr(desc, D_TERMS);
  for (let s = 0; s < nts; s++) {
    if (ldi(tsegs, s * SEG_STRIDE + S_TERM) >= 0 && ldi(tsegs, s * SEG_STRIDE + S_LEN) != 1) return -1;
  }
  const runs = ptr(desc, D_WORK);
  let nruns = 0;
  for (let s = 0; s < nts; s++) {
    const term = ldi(tsegs, s * SEG_STRIDE + S_TERM);
    const slot = term < 0 ? -1 : ldi(terms, term * TERM_STRIDE + T_TMAT0);
    const start = ldi(tsegs, s * SEG_STRIDE + S_START), end = start + ldi(tsegs, s * SEG_STRIDE + S_LEN);
    if (nruns > 0 && ldi(runs, 3 * nruns - 1) == slot) {
      store<i32>(runs + (<usize>(3 * nruns - 2) << 2), end);
      continue;
    }
    store<i32>(runs + (<usize>(3 * nruns) << 2), start);
    store<i32>(runs + (<usize>(3 * nruns + 1) << 2), end);
    store<i32>(runs + (<usize>(3 * nruns + 2) << 2), slot);
    nruns++;
  }
  return nruns;
}

/**
 * F's tail <- t_r A_rc t_c (+ 1 on the random-effects diagonal), lower triangle,
 * in one pass. Returns false (nothing done) when a crossed term is not scalar.
 */
export function scaleScalarTail(desc: usize): bool {
  const nruns = scalarTailRuns(desc);
  if (nruns < 0) return false;
  const runs = ptr(desc, D_WORK), tm = ptr(desc, D_TMATS);
  const mt = field(desc, D_MT), nd = field(desc, D_ND), tailOff = field(desc, D_TAILOFF);
  const ta = ptr(desc, D_A) + (<usize>tailOff << 3), tf = ptr(desc, D_F) + (<usize>tailOff << 3);
  for (let i = 0; i < nruns; i++) {
    const start = ldi(runs, 3 * i), end = ldi(runs, 3 * i + 1), slot = ldi(runs, 3 * i + 2);
    const tRow = slot < 0 ? 1.0 : ld(tm, slot);
    for (let r = start; r < end; r++) {
      const off = <usize>(r * mt) << 3;
      for (let j = 0; j <= i; j++) {
        const c0 = ldi(runs, 3 * j), cSlot = ldi(runs, 3 * j + 2);
        const c1 = min(ldi(runs, 3 * j + 1), r + 1);
        const t = f64x2.splat(tRow * (cSlot < 0 ? 1.0 : ld(tm, cSlot)));
        let c = c0;
        for (; c + 1 < c1; c += 2) {
          const o = off + (<usize>c << 3);
          v128.store(tf + o, f64x2.mul(v128.load(ta + o), t));
        }
        if (c < c1) st(tf + off, c, ld(ta + off, c) * f64x2.extract_lane(t, 0));
      }
      if (r < nd) st(tf + off, r, ld(tf + off, r) + 1.0);
    }
  }
  return true;
}

/**
 * The tail's scaling reversed when its crossed terms are all scalar (q = 1, as
 * random intercepts: thousands of 1 x 1 segments, too many for reverseScaling's
 * per-block calls). Entry (r, c) is then t_r A_rc t_c, with t the term's one
 * entry of T (1 for X, y); over a run of columns of one term, w = sum A_rc Fbar_rc
 * adds w t_r to the run's Tbar and w t_run to row r's. Returns false (nothing
 * done) when a crossed term is not scalar.
 */
export function reverseScalarTailScaling(desc: usize): bool {
  const nruns = scalarTailRuns(desc);
  if (nruns < 0) return false;
  const runs = ptr(desc, D_WORK), tm = ptr(desc, D_TMATS), tb = ptr(desc, D_TBAR);
  const mt = field(desc, D_MT), tailOff = field(desc, D_TAILOFF);
  const ta = ptr(desc, D_A) + (<usize>tailOff << 3), tailb = ptr(desc, D_FBAR) + (<usize>tailOff << 3);
  for (let i = 0; i < nruns; i++) {
    const start = ldi(runs, 3 * i), end = ldi(runs, 3 * i + 1), slot = ldi(runs, 3 * i + 2);
    const tRow = slot < 0 ? 1.0 : ld(tm, slot);
    for (let r = start; r < end; r++) {
      const off = <usize>(r * mt) << 3;
      let toRow = 0.0; // row r's Tbar share
      for (let j = 0; j <= i; j++) {
        const c0 = ldi(runs, 3 * j), cSlot = ldi(runs, 3 * j + 2);
        const c1 = min(ldi(runs, 3 * j + 1), r + 1);
        const w = dot(ta + off + (<usize>c0 << 3), tailb + off + (<usize>c0 << 3), c1 - c0);
        if (cSlot >= 0) {
          st(tb, cSlot, ld(tb, cSlot) + w * tRow);
          toRow += w * ld(tm, cSlot);
        } else toRow += w;
      }
      if (slot >= 0) st(tb, slot, ld(tb, slot) + toRow);
    }
  }
  return true;
}

