// The profiled deviance as a function of theta (lme4's mkLmerDevfun): the data
// moves into a WASM instance once, the cross-products are accumulated once, and
// each evaluation is a single kernel call whose cost depends on the number of
// groups and columns, not on the number of rows.
import { D, JOB_BYTES, T, TERM_STRIDE, U, UNIT_STRIDE } from "../wasm/layout.generated.js";
import { loadKernels, sharedMemory, type KernelExports } from "../wasm/kernels.js";
import { planBlockLayout, type BlockLayout } from "./blocks.js";
import type { CrossProductFill, CrossProductSource } from "./cross-products.js";
import type { Design } from "./design.js";
import { RowCrossProducts } from "./row-source.js";
import { TailHelper, UnitSplit, worthSharingTail, worthSplitting } from "./unit-split.js";

/** The pieces of the deviance at one theta. */
export interface DevianceParts {
  objective: number;
  /** log det of Lambda'Z'Z Lambda + I. */
  logdetL: number;
  /** log det of R_X'R_X. */
  logdetRX: number;
  /** Penalised residual sum of squares. */
  r2: number;
}

class Arena {
  private top: number;
  constructor(base: number) {
    this.top = (base + 15) & ~15;
  }
  take(bytes: number): number {
    const at = this.top;
    this.top = (this.top + bytes + 15) & ~15;
    return at;
  }
  get size(): number {
    return this.top;
  }
}

/** Byte addresses of one model's buffers in its WASM instance: a misspelt buffer does not compile. */
interface Buffers {
  desc: number;
  // The layout's i32 records (see BlockLayout).
  units: number;
  groups: number;
  segs: number;
  idx: number;
  grow: number;
  terms: number;
  tailSegs: number;
  tailRowStart: number;
  tailRowEntries: number;
  // f64 parameters, results and the factor's buffers.
  theta: number;
  tmats: number;
  scratch: number;
  out: number;
  x: number;
  grad: number;
  tbar: number;
  A: number;
  F: number;
  Fbar: number;
  work: number;
  /** The job block and the helper thread's packing area, when the tail's products are shared (see shareWork). */
  gemm?: { job: number; helperWork: number };
}

/**
 * The profiled deviance of one model in its own WASM instance (lme4's
 * mkLmerDevfun): `evaluate(theta)` is one kernel call; `gradient()`,
 * `solve()`, `parts()` and `inverseDiagonalBlocks()` read the same factor.
 * The cross-products come from a source (cross-products.ts), once; with prior
 * weights the objective is that of the weighted rows minus the sum of the
 * weights' logs (lme4's ldW).
 */
export class ProfiledDeviance {
  private f64!: Float64Array;
  private i32!: Int32Array;
  private ptr!: Buffers;
  /** Evaluations since creation. */
  evaluations = 0;
  /** While the units, or the tail's products, are shared with a worker thread (see shareWork). */
  private split: UnitSplit | null = null;
  private tailHelper: TailHelper | null = null;
  /** The source's cross-products, bound to this instance's layout. */
  private fill!: CrossProductFill;

  private constructor(
    private readonly k: KernelExports,
    readonly layout: BlockLayout,
    readonly n: number,
    private reml: boolean,
    /** Where the cross-products come from. */
    readonly source: CrossProductSource,
  ) {
    this.logWeightSum = source.logWeightSum;
  }

  /** log|T'T| of the rows' transformation (see CrossProductSource.logWeightSum), at the source's current parameters. */
  private logWeightSum: number;

  /** The deviance of a design's rows (see fromSource). */
  static create(design: Design, reml: boolean, recycle?: ProfiledDeviance): Promise<ProfiledDeviance> {
    return ProfiledDeviance.fromSource(new RowCrossProducts(design), reml, recycle);
  }

  /**
   * Lay the model out in a fresh WASM instance and accumulate its cross-products.
   * With `recycle`, the instance of that deviance is reused instead (instantiating
   * costs more than laying out a small model); `recycle` must not be used again.
   */
  static async fromSource(source: CrossProductSource, reml: boolean, recycle?: ProfiledDeviance): Promise<ProfiledDeviance> {
    const plan = planBlockLayout(source.shape);
    const { layout } = plan;
    // A large dense tail runs on a shared memory, so that a worker can take half of its products.
    const shareTail = worthSharingTail(layout.mt);
    const k =
      recycle && !shareTail && !worthSharingTail(recycle.layout.mt)
        ? recycle.k
        : await loadKernels(shareTail ? sharedMemory() : undefined);
    const dev = new ProfiledDeviance(k, layout, source.n, reml, source);
    dev.moveIn((reserve) => source.attach(plan, reserve));
    return dev;
  }

  get ntheta(): number {
    return this.layout.ntheta;
  }
  get REML(): boolean {
    return this.reml;
  }
  set REML(v: boolean) {
    this.reml = v;
    this.i32[this.ptr.desc / 4 + D.REML] = v ? 1 : 0;
  }

  /** Allocate every buffer (the source's last), copy the layout in, let the source move its data in, and accumulate. */
  private moveIn(attach: (reserve: (bytes: number) => number) => CrossProductFill): void {
    const L = this.layout;
    const a = new Arena(this.k.heapBase());
    // Taken in this order (the row data last: it is needed only for the accumulation pass).
    const P: Buffers = (this.ptr = {
      desc: a.take(D.LENGTH * 4),
      units: a.take(L.units.length * 4),
      groups: a.take(L.groups.length * 4),
      segs: a.take(L.segs.length * 4),
      idx: a.take(L.idx.length * 4),
      grow: a.take(L.grow.length * 4),
      terms: a.take(L.terms.length * 4),
      tailSegs: a.take(L.tailSegs.length * 4),
      tailRowStart: a.take(L.tailRowStart.length * 4),
      tailRowEntries: a.take(L.tailRowEntries.length * 4),
      theta: a.take(L.ntheta * 8),
      tmats: a.take(L.tmatSize * 8),
      scratch: a.take(Math.max(L.maxq, 2) * (Math.max(L.maxq, 2) + 1) * 8), // q reciprocals and a q x q product (deviance.ts factorFusedLeaf)
      out: a.take(4 * 8),
      x: a.take((L.nb + L.mt) * 8),
      grad: a.take(Math.max(L.ntheta, 1) * 8),
      tbar: a.take(L.tmatSize * 8),
      A: a.take(L.aSize * 8),
      F: a.take(L.aSize * 8),
      Fbar: a.take(L.aSize * 8),
      work: a.take(this.k.workSize(L.mt) * 8),
      ...(worthSharingTail(L.mt) && {
        gemm: { job: a.take(JOB_BYTES), helperWork: a.take(this.k.gemmWorkSize(L.mt) * 8) },
      }),
    });
    this.fill = attach((bytes) => a.take(bytes));
    const mem = this.k.memory;
    const need = a.size - mem.buffer.byteLength;
    if (need > 0) mem.grow(Math.ceil(need / 65536));
    this.f64 = new Float64Array(mem.buffer);
    this.i32 = new Int32Array(mem.buffer);
    const setI = (p: number, v: Int32Array) => this.i32.set(v, p / 4);
    setI(P.units, L.units);
    setI(P.groups, L.groups);
    setI(P.segs, L.segs);
    setI(P.idx, L.idx);
    setI(P.grow, L.grow);
    setI(P.terms, L.terms);
    setI(P.tailSegs, L.tailSegs);
    setI(P.tailRowStart, L.tailRowStart);
    setI(P.tailRowEntries, L.tailRowEntries);
    const desc = new Int32Array(D.LENGTH);
    desc[D.NUNITS] = L.nUnits;
    desc[D.VARIANT] = L.variant;
    desc[D.UNITS] = P.units;
    desc[D.GROUPS] = P.groups;
    desc[D.SEGS] = P.segs;
    desc[D.NTERMS] = L.terms.length / TERM_STRIDE;
    desc[D.TERMS] = P.terms;
    desc[D.THETA] = P.theta;
    desc[D.TMATS] = P.tmats;
    desc[D.A] = P.A;
    desc[D.F] = P.F;
    desc[D.TAILOFF] = L.tailOff;
    desc[D.MT] = L.mt;
    desc[D.ND] = L.nd;
    desc[D.P] = L.p;
    desc[D.TAILSEGS] = P.tailSegs;
    desc[D.NTAILSEGS] = L.tailSegs.length / 3;
    desc[D.SCRATCH] = P.scratch;
    desc[D.N] = this.n;
    desc[D.REML] = this.reml ? 1 : 0;
    desc[D.NB] = L.nb;
    desc[D.GROW] = P.grow;
    desc[D.IDX] = P.idx;
    desc[D.FBAR] = P.Fbar;
    desc[D.TBAR] = P.tbar;
    desc[D.WORK] = P.work;
    desc[D.TROWS] = P.tailRowStart; // read under VARIANT_TAIL_ROWS alone
    desc[D.TENTRIES] = P.tailRowEntries;
    desc[D.HALF] = L.nUnits >> 1;
    setI(P.desc, desc);
    this.fill.moveIn(this.k);
    this.accumulate();
  }

  /** Fill A with the source's cross-products. */
  private accumulate(): void {
    this.f64.fill(0, this.ptr.A / 8, this.ptr.A / 8 + this.layout.aSize);
    this.fill.accumulate(this.k, this.ptr.A);
  }

  /**
   * Accumulate the cross-products again after the source's own parameters
   * changed (a residual structure's, see CrossProductSource.residual), and take
   * its new log-determinant term; `evaluate` follows. One pass over the rows.
   */
  refill(): void {
    this.unshareWork(); // the worker's copy of the cross-products would be stale
    this.logWeightSum = this.source.logWeightSum;
    this.accumulate();
  }

  /**
   * Keep a copy of the cross-products and of the source's log-determinant term:
   * `restore()` puts them back, for the cost of a copy of A instead of a pass
   * over the rows (a difference quotient in the source's parameters returns to
   * where it started); `evaluate` follows.
   */
  saveCrossProducts(): { restore(): void } {
    const a = this.ptr.A / 8;
    const copy = this.f64.slice(a, a + this.layout.aSize);
    const logWeightSum = this.logWeightSum;
    return {
      restore: () => {
        this.unshareWork();
        this.f64.set(copy, a);
        this.logWeightSum = logWeightSum;
      },
    };
  }

  /**
   * Replace the response (same rows, same design) and accumulate the
   * cross-products again: a refit then costs no new layout or allocation.
   */
  setResponse(y: ArrayLike<number>): void {
    if (y.length !== this.n) throw new Error(`internal: response of length ${y.length} for ${this.n} rows`);
    this.unshareWork(); // the worker's copy of the cross-products would be stale
    this.fill.setResponse(this.k, y);
    this.accumulate();
  }

  /** The objective (REML criterion or ML deviance) at theta; +Infinity where undefined. */
  evaluate(theta: ArrayLike<number>): number {
    this.f64.set(theta, this.ptr.theta / 8);
    this.evaluations++;
    return (this.split ? this.split.evaluate() : this.k.evaluate(this.ptr.desc, this.ptr.out)) - this.logWeightSum;
  }

  /**
   * Share the work with a worker thread for the evaluations and gradients that
   * follow, where a second core pays (in Node; see unit-split.ts): a one-term
   * q = 2 model with many levels gives it half of its units; a model with a large
   * dense tail (crossed terms), half of the rows of the tail's matrix products.
   * Returns whether it does. Until `unshareWork`, only evaluate, gradient and
   * parts are meant for use (the others return to one thread first).
   */
  async shareWork(): Promise<boolean> {
    if (this.split || this.tailHelper) return true;
    const L = this.layout;
    const P = this.ptr;
    if (P.gemm) {
      this.tailHelper = await TailHelper.start(this.k, P.gemm.job, P.gemm.helperWork);
      return this.tailHelper !== null;
    }
    if (!worthSplitting(L.variant, L.nUnits)) return false;
    this.split = await UnitSplit.start(
      {
        k: this.k, f64: this.f64, i32: this.i32, desc: P.desc, theta: P.theta, out: P.out, grad: P.grad,
        fTail: P.F / 8 + L.tailOff, fbarTail: P.Fbar / 8 + L.tailOff, tbar: P.tbar / 8, a: P.A / 8,
        nUnits: L.nUnits, mt: L.mt, ntheta: L.ntheta,
      },
      2 * (2 + L.mt),
    );
    return this.split !== null;
  }

  /** Back to one thread: the worker goes back to the pool, and the factor is made whole again at the last theta. */
  unshareWork(): void {
    this.tailHelper?.release();
    this.tailHelper = null;
    if (!this.split) return;
    this.split.release();
    this.split = null;
    this.k.evaluate(this.ptr.desc, this.ptr.out);
  }

  /**
   * The objective and its gradient with respect to theta (reverse-mode through
   * the same blocked factorisation; about twice the cost of `evaluate`).
   * The gradient is NaN where the objective is not finite.
   */
  evaluateWithGradient(theta: ArrayLike<number>): { f: number; g: Float64Array } {
    const f = this.evaluate(theta);
    return { f, g: this.gradient() };
  }

  /** Residual degrees of freedom of the objective: n - p (REML) or n (ML); sigma^2 = r2 / nu. */
  get nu(): number {
    return this.reml ? this.n - this.layout.p : this.n;
  }

  /** Residual standard deviation at the theta of the last `evaluate`: sqrt(r2 / nu). */
  sigma(): number {
    return Math.sqrt(this.parts().r2 / this.nu);
  }

  /** Gradient of the objective with respect to theta at the theta of the last `evaluate` (NaN if it was not finite). */
  gradient(): Float64Array {
    return this.componentGradient(1, this.reml ? 1 : 0, this.nu / this.parts().r2);
  }

  /**
   * The deviance at the theta of the last `evaluate` and the given sigma, before
   * sigma is profiled out: log|L|^2 [+ log|R_X|^2] + r2 / sigma^2 + nu log(2 pi
   * sigma^2), less the weights' term as the objective.
   */
  devianceAtSigma(sigma: number): number {
    const { logdetL, logdetRX, r2 } = this.parts();
    const s2 = sigma * sigma;
    return logdetL + (this.reml ? logdetRX : 0) + r2 / s2 + this.nu * Math.log(2 * Math.PI * s2) - this.logWeightSum;
  }

  /**
   * Gradient, at the theta of the last `evaluate` and the given sigma, of the
   * deviance before sigma is profiled out, d(theta, sigma) = log|L|^2
   * [+ log|R_X|^2] + r2 / sigma^2 + nu log(2 pi sigma^2): in theta and in sigma.
   */
  sigmaDevianceGradient(sigma: number): { gTheta: Float64Array; gSigma: number } {
    return {
      gTheta: this.componentGradient(1, this.reml ? 1 : 0, 1 / (sigma * sigma)),
      gSigma: (-2 * this.parts().r2) / sigma ** 3 + (2 * this.nu) / sigma,
    };
  }

  /**
   * Diagonal blocks of M^-1, M = Lambda'Z'Z Lambda + I, at the theta of the last
   * `evaluate`: per term, one row-major q x q block per level. They come from the
   * reverse sweep seeded on log|M| alone (d log|M| / dM = M^-1), which leaves the
   * selected inverse in the adjoint of the factor's blocks.
   */
  inverseDiagonalBlocks(): Float64Array[][] {
    this.unshareWork();
    this.componentGradient(1, 0, 0);
    const L = this.layout;
    const fbar = this.ptr.Fbar / 8;
    // The adjoint holds M^-1 on the diagonal and twice it below (only the lower
    // triangle is read by the factorisation).
    const block = (at: number, q: number, stride: number) => {
      const b = new Float64Array(q * q);
      for (let i = 0; i < q; i++) {
        for (let j = 0; j <= i; j++) {
          const v = this.f64[at + i * stride + j] * (i === j ? 1 : 0.5);
          b[i * q + j] = v;
          b[j * q + i] = v;
        }
      }
      return b;
    };
    const blocks: Float64Array[][] = L.levelPositions.map(() => []);
    for (let u = 0; u < L.nUnits; u++) {
      const rec = u * UNIT_STRIDE;
      blocks[L.units[rec + U.TERM]].push(block(fbar + L.units[rec + U.PANEL], L.units[rec + U.Q], L.units[rec + U.Q]));
    }
    L.levelPositions.forEach((pos, t) => {
      if (t < L.nBlockTerms) return;
      const q = L.terms[t * TERM_STRIDE + T.Q];
      for (const g of pos) {
        const tp = g - L.nb;
        blocks[t].push(block(fbar + L.tailOff + tp * L.mt + tp, q, L.mt));
      }
    });
    return blocks;
  }

  /**
   * Gradient with respect to theta of cLogdetL log|L|^2 + cLogdetRX log|R_X|^2 + cR2 r2
   * at the theta of the last `evaluate` (NaN if it was not finite): the pieces from
   * which any deviance built on them (profiled or not) is differentiated.
   */
  componentGradient(cLogdetL: number, cLogdetRX: number, cR2: number): Float64Array {
    if (!Number.isFinite(this.parts().objective)) return new Float64Array(this.ntheta).fill(NaN);
    if (this.split) this.split.gradient(cLogdetL, cLogdetRX, cR2);
    else this.k.gradient(this.ptr.desc, this.ptr.grad, cLogdetL, cLogdetRX, cR2);
    return this.f64.slice(this.ptr.grad / 8, this.ptr.grad / 8 + this.ntheta);
  }

  /** The pieces of the last evaluation. */
  parts(): DevianceParts {
    const o = this.ptr.out / 8;
    return { objective: this.f64[o] - this.logWeightSum, logdetL: this.f64[o + 1], logdetRX: this.f64[o + 2], r2: this.f64[o + 3] };
  }

  /**
   * Spherical random effects v and fixed effects beta at the last evaluated theta:
   * [v of block-diagonal units, v of dense-term units, beta]; positions per level in
   * layout.levelPositions.
   */
  solve(): Float64Array {
    this.unshareWork();
    this.k.solveCoefficients(this.ptr.desc, this.ptr.x);
    const L = this.layout;
    const sol = this.f64.slice(this.ptr.x / 8, this.ptr.x / 8 + L.nb + L.mt - 1);
    // beta = C beta~ for X~ = X C, C unit triangular (the centred columns; see Shifts), and a shift of y moves the intercept alone.
    const { x: xShift, y: yShift } = this.fill.shifts;
    const b0 = sol.length - L.p;
    let shift = yShift;
    for (let j = 1; j < L.p; j++) shift -= xShift[j] * sol[b0 + j];
    sol[b0] += shift;
    return sol;
  }

  /** The fixed effects beta of a `solve()` result (its last p entries, a view); by default solved at the last theta. */
  beta(solution: Float64Array = this.solve()): Float64Array {
    return solution.subarray(solution.length - this.layout.p);
  }

  /** The fixed-effects block L_XX of the factor at the last theta (row-major p x p, lower). */
  fixedFactor(): Float64Array {
    const L = this.layout;
    const out = new Float64Array(L.p * L.p);
    const tail = this.ptr.F / 8 + L.tailOff;
    for (let i = 0; i < L.p; i++) {
      for (let j = 0; j <= i; j++) out[i * L.p + j] = this.f64[tail + (L.nd + i) * L.mt + L.nd + j];
    }
    // R_X = C^-T R_X~: row i gains xShift_i times row 0, which is (R_00, 0, ...).
    for (let i = 1; i < L.p; i++) out[i * L.p] += this.fill.shifts.x[i] * out[0];
    return out;
  }
}
