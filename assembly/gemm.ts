// C -= P Q for the blocked dense Cholesky and its reverse: one matrix-matrix
// kernel serves every update of both, because each operand is read through a
// (row, column) stride pair, so a transposed operand costs nothing extra.
//
// Blocked as in Goto's GEMM: a KC-deep slice of Q is packed into strips of four
// columns and a MC x KC block of P into strips of four rows (zero-padded), so
// the 4 x 4 register tile streams contiguous memory; C is touched once per slice.
import { ld, st } from "./memory";
import {
  GEMM_RUN, GEMM_STOP, J_C, J_CMD, J_CS, J_DONE, J_K, J_LOWER, J_M, J_N, J_P, J_PRS, J_PSS, J_Q, J_QCS, J_QRS, J_ROW0, J_WORK,
} from "./layout";

const KC: i32 = 256; // depth of a packed slice
const MC: i32 = 128; // rows of a packed block of P

/** f64 scratch `gemmSubtract` needs when N <= maxCols. */
export function gemmWorkSize(maxCols: i32): i32 {
  return KC * ((maxCols + 3) & ~3) + MC * KC;
}

/**
 * C[r][c] -= sum_s P(r, s) Q(s, c) for r < m, c < n, s < k, where
 * P(r, s) = p[r * prs + s * pss], Q(s, c) = q[s * qrs + c * qcs] and
 * C[r][c] = c[r * cs + c]. With `lower`, only entries with c <= r are written.
 * `work` holds gemmWorkSize(n) f64. In a threaded build with a helper thread
 * (see serveGemm), a large product is split by rows between the two threads.
 */
export function gemmSubtract(
  c: usize, cs: i32, p: usize, prs: i32, pss: i32, q: usize, qrs: i32, qcs: i32,
  m: i32, n: i32, k: i32, lower: bool, work: usize,
): void {
  if (ASC_FEATURE_THREADS) if (helperJob != 0 && m >= 16 && <f64>m * <f64>n * <f64>k >= SPLIT_WORK) {
    // Under `lower` row r carries r + 1 columns, so rows [0, h) hold (h / m)^2
    // of the work: the helper takes the rows from h = m / sqrt(2) on.
    const half = (lower ? <i32>(<f64>m * Math.SQRT1_2) : m >> 1) & ~3;
    const job = helperJob;
    store<i32>(job, <i32>(c + (<usize>(half * cs) << 3)), J_C);
    store<i32>(job, cs, J_CS);
    store<i32>(job, <i32>(p + (<usize>(half * prs) << 3)), J_P);
    store<i32>(job, prs, J_PRS);
    store<i32>(job, pss, J_PSS);
    store<i32>(job, <i32>q, J_Q);
    store<i32>(job, qrs, J_QRS);
    store<i32>(job, qcs, J_QCS);
    store<i32>(job, m - half, J_M);
    store<i32>(job, n, J_N);
    store<i32>(job, k, J_K);
    store<i32>(job, lower ? 1 : 0, J_LOWER);
    store<i32>(job, half, J_ROW0);
    atomic.store<i32>(job, 0, J_DONE);
    atomic.store<i32>(job, GEMM_RUN, J_CMD);
    atomic.notify(job + J_CMD, 1);
    gemmRows(c, cs, p, prs, pss, q, qrs, qcs, half, n, k, lower, 0, work);
    while (atomic.load<i32>(job, J_DONE) == 0) atomic.wait<i32>(job + J_DONE, 0, -1);
    return;
  }
  gemmRows(c, cs, p, prs, pss, q, qrs, qcs, m, n, k, lower, 0, work);
}

/** Multiply-adds below which a product is not worth splitting between threads. */
const SPLIT_WORK: f64 = 2e5;

/** The job block of this instance's helper thread, or 0 (set on the main thread's instance only). */
let helperJob: usize = 0;

/** Share this instance's large products with the thread that serves `job` (0: none again). */
export function setGemmHelper(job: usize): void {
  helperJob = job;
}

/**
 * The helper thread's loop (a threaded build, in an instance on the same shared
 * memory): run the rows it is given until told to stop. Blocks its thread.
 */
export function serveGemm(job: usize): void {
  if (!ASC_FEATURE_THREADS) return;
  for (;;) {
    atomic.wait<i32>(job + J_CMD, 0, -1);
    const cmd = atomic.load<i32>(job, J_CMD);
    if (cmd == 0) continue;
    atomic.store<i32>(job, 0, J_CMD);
    if (cmd == GEMM_STOP) return;
    gemmRows(
      <usize>load<i32>(job, J_C), load<i32>(job, J_CS), <usize>load<i32>(job, J_P), load<i32>(job, J_PRS), load<i32>(job, J_PSS),
      <usize>load<i32>(job, J_Q), load<i32>(job, J_QRS), load<i32>(job, J_QCS), load<i32>(job, J_M), load<i32>(job, J_N),
      load<i32>(job, J_K), load<i32>(job, J_LOWER) != 0, load<i32>(job, J_ROW0), <usize>load<i32>(job, J_WORK),
    );
    atomic.store<i32>(job, 1, J_DONE);
    atomic.notify(job + J_DONE, 1);
  }
}

/** gemmSubtract on one thread; under `lower`, row r of C is row r + row0 of the whole product. */
function gemmRows(
  c: usize, cs: i32, p: usize, prs: i32, pss: i32, q: usize, qrs: i32, qcs: i32,
  m: i32, n: i32, k: i32, lower: bool, row0: i32, work: usize,
): void {
  const n4 = (n + 3) & ~3;
  const qp = work, pp = work + (<usize>(KC * n4) << 3);
  for (let s0 = 0; s0 < k; s0 += KC) {
    const kc = min(KC, k - s0);
    pack(qp, q + (<usize>(s0 * qrs) << 3), qcs, qrs, n, kc);
    for (let r0 = 0; r0 < m; r0 += MC) {
      const mc = min(MC, m - r0);
      // Under `lower`, columns past the block's last row are never written.
      const nc = lower ? min(n, row0 + r0 + mc) : n;
      pack(pp, p + (<usize>(r0 * prs + s0 * pss) << 3), prs, pss, mc, kc);
      for (let j = 0; j < nc; j += 4) {
        const qs = qp + (<usize>(j * kc) << 3);
        for (let i = 0; i < mc; i += 4) {
          const r = r0 + i;
          if (lower && j > row0 + r + 3) continue;
          const ps = pp + (<usize>(i * kc) << 3);
          tile(ps, qs, kc, c + (<usize>(r * cs + j) << 3), cs, min(4, m - r), min(4, n - j), lower ? row0 + r - j : 4);
        }
      }
    }
  }
}

/**
 * Pack `count` vectors (vector v, element s at src[v * vs + s * ss]) of length
 * kc into strips of four vectors: dst[(v & ~3) * kc + s * 4 + (v & 3)], with
 * the last strip zero-padded.
 */
function pack(dst: usize, src: usize, vs: i32, ss: i32, count: i32, kc: i32): void {
  const sstep = <usize>ss << 3;
  for (let v0 = 0; v0 < count; v0 += 4) {
    let out = dst + (<usize>(v0 * kc) << 3);
    const end = out + (<usize>kc << 5);
    const w = min(4, count - v0);
    let from = src + (<usize>(v0 * vs) << 3);
    if (w == 4 && vs == 1) {
      // Four adjacent vectors: each step is four consecutive f64.
      for (; out < end; out += 32, from += sstep) {
        v128.store(out, v128.load(from));
        v128.store(out, v128.load(from, 16), 16);
      }
    } else if (w == 4) {
      const vstep = <usize>vs << 3;
      for (; out < end; out += 32, from += sstep) {
        store<f64>(out, load<f64>(from));
        store<f64>(out, load<f64>(from + vstep), 8);
        store<f64>(out, load<f64>(from + 2 * vstep), 16);
        store<f64>(out, load<f64>(from + 3 * vstep), 24);
      }
    } else {
      for (let s = 0; s < kc; s++) {
        for (let l = 0; l < 4; l++) st(out, s * 4 + l, l < w ? ld(from + (<usize>(l * vs) << 3), s * ss) : 0.0);
      }
    }
  }
}

/**
 * The 4 x 4 register tile: C -= Ps' Qs over kc packed steps. Only rows < rows,
 * columns < cols and (tile-relative) c <= r + diag are written.
 */
function tile(ps: usize, qs: usize, kc: i32, c: usize, cs: i32, rows: i32, cols: i32, diag: i32): void {
  let c00 = f64x2.splat(0.0), c01 = f64x2.splat(0.0);
  let c10 = f64x2.splat(0.0), c11 = f64x2.splat(0.0);
  let c20 = f64x2.splat(0.0), c21 = f64x2.splat(0.0);
  let c30 = f64x2.splat(0.0), c31 = f64x2.splat(0.0);
  const end = ps + (<usize>kc << 5);
  for (let a = ps, b = qs; a < end; a += 32, b += 32) {
    const q0 = v128.load(b), q1 = v128.load(b, 16);
    const a0 = v128.load64_splat(a);
    c00 = f64x2.add(c00, f64x2.mul(a0, q0));
    c01 = f64x2.add(c01, f64x2.mul(a0, q1));
    const a1 = v128.load64_splat(a, 8);
    c10 = f64x2.add(c10, f64x2.mul(a1, q0));
    c11 = f64x2.add(c11, f64x2.mul(a1, q1));
    const a2 = v128.load64_splat(a, 16);
    c20 = f64x2.add(c20, f64x2.mul(a2, q0));
    c21 = f64x2.add(c21, f64x2.mul(a2, q1));
    const a3 = v128.load64_splat(a, 24);
    c30 = f64x2.add(c30, f64x2.mul(a3, q0));
    c31 = f64x2.add(c31, f64x2.mul(a3, q1));
  }
  if (rows == 4 && cols == 4 && diag >= 3) {
    const r1 = c + (<usize>cs << 3), r2 = r1 + (<usize>cs << 3), r3 = r2 + (<usize>cs << 3);
    v128.store(c, f64x2.sub(v128.load(c), c00));
    v128.store(c, f64x2.sub(v128.load(c, 16), c01), 16);
    v128.store(r1, f64x2.sub(v128.load(r1), c10));
    v128.store(r1, f64x2.sub(v128.load(r1, 16), c11), 16);
    v128.store(r2, f64x2.sub(v128.load(r2), c20));
    v128.store(r2, f64x2.sub(v128.load(r2, 16), c21), 16);
    v128.store(r3, f64x2.sub(v128.load(r3), c30));
    v128.store(r3, f64x2.sub(v128.load(r3, 16), c31), 16);
    return;
  }
  storeRow(c, c00, c01, min(cols, 1 + diag));
  if (rows > 1) storeRow(c + (<usize>cs << 3), c10, c11, min(cols, 2 + diag));
  if (rows > 2) storeRow(c + (<usize>(2 * cs) << 3), c20, c21, min(cols, 3 + diag));
  if (rows > 3) storeRow(c + (<usize>(3 * cs) << 3), c30, c31, min(cols, 4 + diag));
}

/** row[0..w) -= [lo, hi] (w <= 4). */
@inline function storeRow(row: usize, lo: v128, hi: v128, w: i32): void {
  if (w > 0) st(row, 0, ld(row, 0) - f64x2.extract_lane(lo, 0));
  if (w > 1) st(row, 1, ld(row, 1) - f64x2.extract_lane(lo, 1));
  if (w > 2) st(row, 2, ld(row, 2) - f64x2.extract_lane(hi, 0));
  if (w > 3) st(row, 3, ld(row, 3) - f64x2.extract_lane(hi, 1));
}
