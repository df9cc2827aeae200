// The scaling F = Lambda' A Lambda of the generic path and its reverse: the
// adjoint of F carried to each term's T. Block by block, B = Ts' A Tc gives
// Tc_bar += A' Ts Bbar and Ts_bar += A Tc Bbar'; here the blocks of a panel
// share their Tc, and the tail's are summed as one product (below). Rows of a
// unit's q entries (a few): two f64 lanes at a time, in the order of the scalar
// sums (the forward results are the same to the last bit as a plain loop's).
import { ld, st, ldi, ptr, field } from "./memory";
import { symmetrise } from "./dense";
import {
  D_NUNITS, D_UNITS, D_SEGS, D_TERMS, D_TMATS, D_TBAR, D_A, D_FBAR, D_TAILOFF, D_MT,
  D_TAILSEGS, D_NTAILSEGS, D_WORK,
  U_PANEL, U_Q, U_TERM, U_SEG0, U_NSEG, UNIT_STRIDE,
  S_START, S_LEN, S_TERM, SEG_STRIDE, T_Q, T_TMAT0, TERM_STRIDE,
} from "./layout";

/** Where term t's T (and its Tbar) starts, in f64. */
function tmatSlot(terms: usize, t: i32): i32 {
  return ldi(terms, t * TERM_STRIDE + T_TMAT0);
}

/**
 * Every unit's panel F = Ts' A Tc (segment by segment; the X, y rows have no
 * Ts, the unit's own block is Tc' A Tc with a lower-triangular adjoint),
 * reversed into Tbar. Per segment with a term: G = Ts Bbar and H = A Tc (len x q),
 * then Tc_bar += A' G and Ts_bar += H Bbar'.
 */
export function reversePanelScaling(desc: usize): void {
  const a = ptr(desc, D_A), fb = ptr(desc, D_FBAR), units = ptr(desc, D_UNITS), segs = ptr(desc, D_SEGS);
  const terms = ptr(desc, D_TERMS), tm = ptr(desc, D_TMATS), tb = ptr(desc, D_TBAR);
  const nunits = field(desc, D_NUNITS);
  const g = ptr(desc, D_WORK);
  for (let u = 0; u < nunits; u++) {
    const um = u * UNIT_STRIDE;
    const off = <usize>ldi(units, um + U_PANEL) << 3;
    const q = ldi(units, um + U_Q);
    const tc = tm + (<usize>tmatSlot(terms, ldi(units, um + U_TERM)) << 3);
    const tcb = tb + (<usize>tmatSlot(terms, ldi(units, um + U_TERM)) << 3);
    const s0 = ldi(units, um + U_SEG0), ns = ldi(units, um + U_NSEG);
    const pa = a + off, pb = fb + off;
    if (q == 1) {
      // Scalar rows: Tc_bar += sum A Ts Bbar, Ts_bar += A Tc Bbar.
      const t = load<f64>(tc);
      let acc = 0.0;
      for (let s = s0; s < s0 + ns; s++) {
        const term = ldi(segs, s * SEG_STRIDE + S_TERM);
        const r0 = ldi(segs, s * SEG_STRIDE + S_START), len = ldi(segs, s * SEG_STRIDE + S_LEN);
        if (term < 0) {
          for (let i = r0; i < r0 + len; i++) acc += ld(pa, i) * ld(pb, i);
          continue;
        }
        const slot = tmatSlot(terms, term);
        const qs = ldi(terms, term * TERM_STRIDE + T_Q);
        if (qs == 1) {
          // A run of scalar units of one term: per row, Tc_bar += A ts Bbar, Ts_bar += A tc Bbar.
          const ts = ld(tm, slot);
          let w = 0.0;
          for (let i = r0; i < r0 + len; i++) w += ld(pa, i) * ld(pb, i);
          acc += w * ts;
          st(tb, slot, ld(tb, slot) + w * t);
          continue;
        }
        // One unit of its term (len = qs): G = Ts Bbar (rows of the segment), Tc_bar += A . G; Ts_bar[x][y] += A_x t Bbar_y.
        for (let i = 0; i < qs; i++) {
          let gi = 0.0;
          for (let m = 0; m <= i; m++) gi += ld(tm, slot + i * qs + m) * ld(pb, r0 + m);
          acc += ld(pa, r0 + i) * gi;
          const at = ld(pa, r0 + i) * t;
          for (let y = 0; y < qs; y++) st(tb, slot + i * qs + y, ld(tb, slot + i * qs + y) + at * ld(pb, r0 + y));
        }
      }
      store<f64>(tcb, load<f64>(tcb) + acc);
      continue;
    }
    // The own block's adjoint lives in its lower triangle: the upper one (never
    // read by the factorisation) is zeroed so that every block reads alike.
    for (let i = 0; i < q; i++) for (let j = i + 1; j < q; j++) st(pb, i * q + j, 0.0);
    const rowBytes = <usize>q << 3;
    // Scratch: a row of G, a row of H, the q x q sums of Tc_bar.
    const h = g + rowBytes, acc = h + rowBytes;
    memory.fill(acc, 0, <usize>q * rowBytes);
    for (let s = s0; s < s0 + ns; s++) {
      const term = ldi(segs, s * SEG_STRIDE + S_TERM);
      const r0 = ldi(segs, s * SEG_STRIDE + S_START), len = ldi(segs, s * SEG_STRIDE + S_LEN);
      const ar = pa + <usize>r0 * rowBytes, br = pb + <usize>r0 * rowBytes;
      if (term < 0) {
        // No Ts: G = Bbar.
        for (let i = 0; i < len; i++) outerLower(acc, ar + <usize>i * rowBytes, br + <usize>i * rowBytes, q);
        continue;
      }
      const ts = tm + (<usize>tmatSlot(terms, term) << 3), tsb = tb + (<usize>tmatSlot(terms, term) << 3);
      if (ldi(terms, term * TERM_STRIDE + T_Q) == 1) {
        // A run of scalar units of one term: per row, G = ts Bbar_i, Ts_bar += (A_i Tc) . Bbar_i.
        const t = load<f64>(ts);
        let w = 0.0;
        for (let i = 0; i < len; i++) {
          const ai = ar + <usize>i * rowBytes, bi = br + <usize>i * rowBytes;
          scaledRow(g, bi, t, q);
          outerLower(acc, ai, g, q);
          rowTimesLower(h, ai, tc, q);
          w += dotRow(h, bi, q);
        }
        store<f64>(tsb, load<f64>(tsb) + w);
        continue;
      }
      // One unit of its term (len = its q). G = Ts Bbar (Ts lower): row i = sum_{m <= i} Ts[i][m] Bbar_m; acc += A_i' G_i.
      for (let i = 0; i < len; i++) {
        scaledRow(g, br, ld(ts, i * len), q);
        for (let m = 1; m <= i; m++) axpyRow(g, br + <usize>m * rowBytes, ld(ts, i * len + m), q);
        outerLower(acc, ar + <usize>i * rowBytes, g, q);
      }
      // H = A Tc (row x), Ts_bar[x][y] += H_x . Bbar_y for y <= x (T's lower triangle).
      for (let x = 0; x < len; x++) {
        rowTimesLower(h, ar + <usize>x * rowBytes, tc, q);
        for (let y = 0; y <= x; y++) st(tsb, x * len + y, ld(tsb, x * len + y) + dotRow(h, br + <usize>y * rowBytes, q));
      }
    }
    for (let x = 0; x < q; x++) for (let b = 0; b <= x; b++) st(tcb, x * q + b, ld(tcb, x * q + b) + ld(acc, x * q + b));
  }
}

/**
 * acc[x][b] += a[x] g[b] for b <= x < q (acc q x q row-major), pairs of b; the
 * pair at b = x also writes acc[x][x + 1], above the diagonal, which is never read.
 */
@inline function outerLower(acc: usize, a: usize, g: usize, q: i32): void {
  const rowBytes = <usize>q << 3;
  for (let x = 0; x < q; x++) {
    const ax = v128.load64_splat(a + (<usize>x << 3));
    const row = acc + <usize>x * rowBytes;
    for (let b = 0; b <= x; b += 2) {
      if (b + 1 < q) v128.store(row + (<usize>b << 3), f64x2.add(v128.load(row + (<usize>b << 3)), f64x2.mul(ax, v128.load(g + (<usize>b << 3)))));
      else st(row, b, ld(row, b) + f64x2.extract_lane(ax, 0) * ld(g, b));
    }
  }
}

/** a[0..n) . b[0..n), two lanes at a time. */
@inline function dotRow(a: usize, b: usize, n: i32): f64 {
  let acc = f64x2.splat(0.0);
  let k = 0;
  for (; k + 1 < n; k += 2) acc = f64x2.add(acc, f64x2.mul(v128.load(a + (<usize>k << 3)), v128.load(b + (<usize>k << 3))));
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (k < n) s += ld(a, k) * ld(b, k);
  return s;
}

/**
 * The tail's scaling F = Lambda' A Lambda reversed as one product: with S the
 * symmetrised adjoint (diagonal counted twice), the objective's share is
 * 0.5 <S, Lambda' A Lambda>, whose derivative in Lambda is A Lambda S; each
 * term's block of it adds to its Tbar. Y = Lambda S is formed in place, then
 * per segment Tbar[i][j] += sum_m A[r0 + i][m] Y[m][r0 + j] (A symmetric: its
 * lower triangle and whole diagonal blocks are stored).
 */
export function reverseTailScaling(desc: usize): void {
  const terms = ptr(desc, D_TERMS), tm = ptr(desc, D_TMATS), tb = ptr(desc, D_TBAR);
  const mt = field(desc, D_MT), tailOff = field(desc, D_TAILOFF);
  const ta = ptr(desc, D_A) + (<usize>tailOff << 3), tailb = ptr(desc, D_FBAR) + (<usize>tailOff << 3);
  const tsegs = ptr(desc, D_TAILSEGS), nts = field(desc, D_NTAILSEGS);
  const y = ptr(desc, D_WORK);
  const rowBytes = <usize>mt << 3;
  symmetrise(y, mt, tailb, mt, mt);
  for (let s = 0; s < nts; s++) {
    const term = ldi(tsegs, s * SEG_STRIDE + S_TERM);
    if (term < 0) continue;
    const r0 = ldi(tsegs, s * SEG_STRIDE + S_START), q = ldi(tsegs, s * SEG_STRIDE + S_LEN);
    const t = tm + (<usize>tmatSlot(terms, term) << 3);
    // rows r0.. <- T S[rows]: row i = sum_{m <= i} T[i][m] row m, from the last row up.
    for (let i = q - 1; i >= 0; i--) {
      const ri = y + <usize>(r0 + i) * rowBytes;
      scaleRow(ri, ld(t, i * q + i), mt);
      for (let m = 0; m < i; m++) axpyRow(ri, y + <usize>(r0 + m) * rowBytes, ld(t, i * q + m), mt);
    }
  }
  for (let s = 0; s < nts; s++) {
    const term = ldi(tsegs, s * SEG_STRIDE + S_TERM);
    if (term < 0) continue;
    const r0 = ldi(tsegs, s * SEG_STRIDE + S_START), q = ldi(tsegs, s * SEG_STRIDE + S_LEN);
    const tbs = tb + (<usize>tmatSlot(terms, term) << 3);
    for (let i = 0; i < q; i++) {
      const arow = ta + <usize>(r0 + i) * rowBytes, acol = ta + (<usize>(r0 + i) << 3);
      // Pairs of columns j, j + 1 (j + 1 may pass the diagonal: that lane is dropped).
      for (let j = 0; j <= i; j += 2) {
        // m < r0 + q: A[r0 + i][m] from row r0 + i; beyond: A[m][r0 + i] from row m.
        const yc = y + (<usize>(r0 + j) << 3);
        const both = j + 1 <= i;
        let v = f64x2.splat(0.0);
        if (both) {
          for (let m = 0; m < r0 + q; m++) v = f64x2.add(v, f64x2.mul(v128.load64_splat(arow + (<usize>m << 3)), v128.load(yc + <usize>m * rowBytes)));
          for (let m = r0 + q; m < mt; m++) v = f64x2.add(v, f64x2.mul(v128.load64_splat(acol + <usize>m * rowBytes), v128.load(yc + <usize>m * rowBytes)));
        } else {
          let w = 0.0;
          for (let m = 0; m < r0 + q; m++) w += ld(arow, m) * load<f64>(yc + <usize>m * rowBytes);
          for (let m = r0 + q; m < mt; m++) w += load<f64>(acol + <usize>m * rowBytes) * load<f64>(yc + <usize>m * rowBytes);
          v = f64x2.replace_lane(v, 0, w);
        }
        st(tbs, i * q + j, ld(tbs, i * q + j) + f64x2.extract_lane(v, 0));
        if (both) st(tbs, i * q + j + 1, ld(tbs, i * q + j + 1) + f64x2.extract_lane(v, 1));
      }
    }
  }
}

/**
 * out[0..q) <- a[0..q) T, T lower triangular q x q (row-major, zeros above the
 * diagonal): out_j = sum_{m >= j} a_m T[m][j], m ascending. `out` may be `a`
 * (entry j is written after the last read of a_j).
 */
@inline export function rowTimesLower(out: usize, a: usize, t: usize, q: i32): void {
  let j = 0;
  for (; j + 1 < q; j += 2) {
    let acc = f64x2.mul(v128.load64_splat(a + (<usize>j << 3)), v128.load(t + (<usize>(j * q + j) << 3)));
    for (let m = j + 1; m < q; m++) acc = f64x2.add(acc, f64x2.mul(v128.load64_splat(a + (<usize>m << 3)), v128.load(t + (<usize>(m * q + j) << 3))));
    v128.store(out + (<usize>j << 3), acc);
  }
  if (j < q) st(out, j, ld(a, j) * ld(t, j * q + j));
}

/**
 * out[0..q) <- a[0..q) M, M a full q x q matrix (row-major), pairs of columns:
 * out_j = sum_m a_m M[m][j], m ascending. `out` must not be `a`.
 */
@inline export function rowTimesFull(out: usize, a: usize, m: usize, q: i32): void {
  const rowBytes = <usize>q << 3;
  let j = 0;
  for (; j + 1 < q; j += 2) {
    const col = m + (<usize>j << 3);
    let acc = f64x2.mul(v128.load64_splat(a), v128.load(col));
    for (let k = 1; k < q; k++) acc = f64x2.add(acc, f64x2.mul(v128.load64_splat(a + (<usize>k << 3)), v128.load(col + <usize>k * rowBytes)));
    v128.store(out + (<usize>j << 3), acc);
  }
  if (j < q) {
    let s = ld(a, 0) * ld(m, j);
    for (let k = 1; k < q; k++) s += ld(a, k) * ld(m, k * q + j);
    st(out, j, s);
  }
}

/**
 * Rows r0.. (q of them, `w` entries each, row stride `stride`) <- T' rows, T
 * lower q x q: row i = sum_{m >= i} T[m][i] row m, m ascending, rows in order.
 */
export function rowsTimesLowerT(f: usize, q: i32, w: i32, stride: i32, t: usize): void {
  if (w <= 8) {
    rowsTimesLowerTNarrow(f, q, w, stride, t);
    return;
  }
  const rs = <usize>stride << 3;
  for (let i = 0; i < q; i++) {
    const ri = f + <usize>i * rs;
    scaleRow(ri, ld(t, i * q + i), w);
    for (let m = i + 1; m < q; m++) axpyRow(ri, f + <usize>m * rs, ld(t, m * q + i), w);
  }
}

/**
 * rowsTimesLowerT for rows of at most 8 entries (a panel's rows of a unit's q):
 * each output row is summed in registers, in the same order as the wide loop.
 */
function rowsTimesLowerTNarrow(f: usize, q: i32, w: i32, stride: i32, t: usize): void {
  const rs = <usize>stride << 3;
  const pairs = w >> 1, odd = (w & 1) != 0;
  const last = <usize>(w - 1) << 3;
  for (let i = 0; i < q; i++) {
    const ri = f + <usize>i * rs;
    const tii = ld(t, i * q + i);
    const d = f64x2.splat(tii);
    let a0 = f64x2.splat(0.0), a1 = a0, a2 = a0, a3 = a0;
    if (pairs > 0) a0 = f64x2.mul(v128.load(ri), d);
    if (pairs > 1) a1 = f64x2.mul(v128.load(ri, 16), d);
    if (pairs > 2) a2 = f64x2.mul(v128.load(ri, 32), d);
    if (pairs > 3) a3 = f64x2.mul(v128.load(ri, 48), d);
    let s = odd ? load<f64>(ri + last) * tii : 0.0;
    for (let m = i + 1; m < q; m++) {
      const rm = f + <usize>m * rs;
      const tmi = ld(t, m * q + i);
      const c = f64x2.splat(tmi);
      if (pairs > 0) a0 = f64x2.add(a0, f64x2.mul(v128.load(rm), c));
      if (pairs > 1) a1 = f64x2.add(a1, f64x2.mul(v128.load(rm, 16), c));
      if (pairs > 2) a2 = f64x2.add(a2, f64x2.mul(v128.load(rm, 32), c));
      if (pairs > 3) a3 = f64x2.add(a3, f64x2.mul(v128.load(rm, 48), c));
      if (odd) s += tmi * load<f64>(rm + last);
    }
    if (pairs > 0) v128.store(ri, a0);
    if (pairs > 1) v128.store(ri, a1, 16);
    if (pairs > 2) v128.store(ri, a2, 32);
    if (pairs > 3) v128.store(ri, a3, 48);
    if (odd) store<f64>(ri + last, s);
  }
}

/** out[0..n) = a x[0..n), two lanes at a time. */
@inline function scaledRow(out: usize, x: usize, a: f64, n: i32): void {
  const v = f64x2.splat(a);
  let k = 0;
  for (; k + 1 < n; k += 2) v128.store(out + (<usize>k << 3), f64x2.mul(v128.load(x + (<usize>k << 3)), v));
  if (k < n) st(out, k, ld(x, k) * a);
}

/** row[0..n) *= a, two lanes at a time. */
@inline function scaleRow(row: usize, a: f64, n: i32): void {
  const v = f64x2.splat(a);
  let k = 0;
  for (; k + 1 < n; k += 2) v128.store(row + (<usize>k << 3), f64x2.mul(v128.load(row + (<usize>k << 3)), v));
  if (k < n) st(row, k, ld(row, k) * a);
}

/** y[0..n) += a x[0..n), two lanes at a time. */
@inline function axpyRow(y: usize, x: usize, a: f64, n: i32): void {
  const v = f64x2.splat(a);
  let k = 0;
  for (; k + 1 < n; k += 2) {
    const o = <usize>k << 3;
    v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(v128.load(x + o), v)));
  }
  if (k < n) st(y, k, ld(y, k) + a * ld(x, k));
}

/**
 * A unit's off-diagonal rows R = P L^{-T} (rows of q entries, row-major; L the
 * unit's q x q factor): x_j = (p_j - sum_{k<j} x_k L[j][k]) / L[j][j], the
 * divisions as products with the q reciprocals kept in `rinv` (q f64).
 */
export function solvePanelRows(rows: usize, count: i32, l: usize, q: i32, rinv: usize): void {
  for (let j = 0; j < q; j++) st(rinv, j, 1.0 / ld(l, j * q + j));
  if (q == 1) {
    const r = ld(rinv, 0);
    for (let i = 0; i < count; i++) st(rows, i, ld(rows, i) * r);
    return;
  }
  const rowBytes = <usize>q << 3;
  for (let i = 0; i < count; i++) {
    const x = rows + <usize>i * rowBytes;
    st(x, 0, ld(x, 0) * ld(rinv, 0));
    for (let j = 1; j < q; j++) {
      const lj = l + (<usize>(j * q) << 3);
      let s = ld(x, 0) * ld(lj, 0);
      for (let k = 1; k < j; k++) s += ld(x, k) * ld(lj, k);
      st(x, j, (ld(x, j) - s) * ld(rinv, j));
    }
  }
}
