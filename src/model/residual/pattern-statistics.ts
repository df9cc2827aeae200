// The sufficient statistics of a model whose residuals follow a structure
// (nlme's gls, an MMRM; random effects per residual group below). With V = sigma^2 diag(Psi_p) over
// the groups, and v_ij = [x_ij, y_ij] the j-th row of group i,
//
//   [X y]' V^-1 [X y] sigma^2 = sum_p sum_{j,k} (Psi_p^-1)_jk T_p[j, k],
//   T_p[j, k] = sum_{i in p} v_ij v_ik',
//
// so the sums T_p, taken once in one pass over the rows (assembly/patterns.ts),
// give every evaluation's cross-products at a cost of pairs of occasions x
// (p + 1)^2, whatever the number of rows; log|V| is sum_p count_p log|Psi_p|
// (ResidualStructure.set). Where the patterns are nearly as many as the groups
// (continuous times, irregular visits) the sums would outgrow the rows, and the
// rows are whitened instead (row-source.ts): residualRoute decides.
//
// Random effects whose levels are the residual groups (a random intercept per
// subject with AR(1) residuals per subject) join Psi_p: the group's marginal
// covariance is sigma^2 (Psi_p + Z_p T T' Z_p'), Z_p the rows' z values, which
// then belong to the pattern. The fit runs over theta and rho on these sums,
// and the profiled deviance it minimises is lme4's (the marginal likelihood is
// the same function of theta, rho, beta and sigma); the conditional modes are
// computed at the optimum from the whitened rows (fit/lmer.ts).
import { spdInverse } from "../../linalg.js";
import type { KernelExports } from "../../wasm/kernels.js";
import type { Design } from "../design.js";
import type { ResidualStructure } from "./structure.js";

/**
 * How each evaluation reaches the cross-products of a model with a residual
 * structure: from the sums per pattern of occasions ("patterns"), or by
 * whitening the rows and accumulating them again ("whitening").
 */
export type ResidualRoute = "patterns" | "whitening";

/**
 * The one place that chooses the route. The patterns' sums hold everything a
 * model needs whose random effects, if any, can be absorbed (absorbableTerms),
 * and they are worth it when their pairs of occasions are at most half the
 * rows: an evaluation then weighs at most half as many products as an
 * accumulation over the rows would add, before the whitening's own cost.
 * Other random effects need each group's own sums (Z_i'X differs per group and
 * their groups hold several residual groups), so their models whiten.
 * `residual` is the structure with the absorbable terms' z values in its patterns.
 */
export function residualRoute(design: Design, residual: ResidualStructure): ResidualRoute {
  return (design.terms.length === 0 || absorbableTerms(design)) && 2 * residual.pairCount <= design.n ? "patterns" : "whitening";
}

/**
 * Whether the random-effects terms can join the residual covariance: every
 * term's levels are the residual groups, one to one (then V is block diagonal
 * by residual group, sigma^2 (Psi_i + Z_i T T' Z_i')).
 */
export function absorbableTerms(design: Design): boolean {
  const groups = design.residual?.groups;
  if (!groups || design.terms.length === 0) return false;
  return design.terms.every(({ factor }) => {
    const levelOf = new Int32Array(groups.levels.length).fill(-1);
    const groupOf = new Int32Array(factor.levels.length).fill(-1);
    for (let i = 0; i < groups.codes.length; i++) {
      const g = groups.codes[i], l = factor.codes[i];
      if (levelOf[g] === -1) levelOf[g] = l;
      if (groupOf[l] === -1) groupOf[l] = g;
      if (levelOf[g] !== l || groupOf[l] !== g) return false;
    }
    return true;
  });
}

/** Where the prepared columns are in the kernels' memory (row-source.ts): `width` values per row, value c in column columnOf[c]. */
export interface PreparedColumns {
  cols: number;
  columnOf: number;
  width: number;
  n: number;
}

/** Groups per call of the sums' kernel. */
const SUM_CHUNK = 256;

/** Byte addresses of the statistics' buffers. */
interface PatternBuffers {
  order: number;
  groupStart: number;
  groupPattern: number;
  pairAt: number;
  sums: number;
  rows: number;
  weights: number;
  weighed: number;
  coef: number;
  forms: number;
}

/** Per pattern, sum_i e_i e_i' and (REML) sum_i X_i M X_i', m x m row-major (see PatternStatistics.moments). */
export interface PatternMoments {
  E: Float64Array[];
  S: Float64Array[] | null;
}

/**
 * A structure's sums per pattern and pair of occasions in a kernel instance:
 * `prepared` takes them from the prepared columns, `accumulate` writes the
 * cross-products [X y]' Psi^-1 [X y] at the structure's current parameters.
 */
export class PatternStatistics {
  /** Values of a packed lower triangle of [x y][x y]' (set by `attach`). */
  private len = 0;
  /** Each pattern's first pair of occasions among the sums. */
  private readonly pairAt: Int32Array;
  private readonly npairs: number;
  private ptr: PatternBuffers | null = null;
  private columns: PreparedColumns | null = null;
  private target = { at: 0, ld: 0 };
  private k: KernelExports | null = null;

  constructor(private readonly residual: ResidualStructure) {
    const sizes = residual.patternSizes();
    this.pairAt = new Int32Array(sizes.length + 1);
    sizes.forEach(({ m }, p) => (this.pairAt[p + 1] = this.pairAt[p] + (m * (m + 1)) / 2));
    this.npairs = this.pairAt[sizes.length];
  }

  /**
   * Take the statistics' memory beside the prepared columns; the
   * cross-products go to A at f64 index `at` (row i at at + i ld, lower triangle).
   */
  attach(columns: PreparedColumns, target: { at: number; ld: number }, reserve: (bytes: number) => number): this {
    const { order, groupStart, groupPattern } = this.residual.kernelArrays();
    const len = (columns.width * (columns.width + 1)) / 2;
    const largest = this.residual.patternSizes().reduce((most, { m }) => Math.max(most, m), 0);
    this.len = len;
    this.columns = columns;
    this.target = target;
    this.ptr = {
      order: reserve(order.length * 4),
      groupStart: reserve(groupStart.length * 4),
      groupPattern: reserve(groupPattern.length * 4),
      pairAt: reserve(this.pairAt.length * 4),
      sums: reserve(this.npairs * len * 8),
      rows: reserve(largest * columns.width * 8),
      weights: reserve(this.npairs * 8),
      weighed: reserve(len * 8),
      coef: reserve(len * 8),
      forms: reserve(this.npairs * 8),
    };
    return this;
  }

  private get bound(): { k: KernelExports; ptr: PatternBuffers; columns: PreparedColumns } {
    if (!this.k || !this.ptr || !this.columns) throw new Error("internal: pattern statistics used before moveIn");
    return { k: this.k, ptr: this.ptr, columns: this.columns };
  }

  /** Once the memory holds every buffer: write where each group's rows are. */
  moveIn(k: KernelExports): void {
    this.k = k;
    const { ptr } = this.bound;
    const i32 = new Int32Array(k.memory.buffer);
    const { order, groupStart, groupPattern } = this.residual.kernelArrays();
    i32.set(order, ptr.order / 4);
    i32.set(groupStart, ptr.groupStart / 4);
    i32.set(groupPattern, ptr.groupPattern / 4);
    i32.set(this.pairAt, ptr.pairAt / 4);
  }

  /** The columns were prepared (centred) anew: sum them per pattern and pair of occasions, in one pass over the rows. */
  prepared(): void {
    const { k, ptr, columns } = this.bound;
    new Float64Array(k.memory.buffer).fill(0, ptr.sums / 8, ptr.sums / 8 + this.npairs * this.len);
    // In chunks of groups: V8 swaps a WASM function's optimised code in only between calls (see row-source.ts).
    const ngroups = this.residual.kernelArrays().groupPattern.length;
    for (let from = 0; from < ngroups; from += SUM_CHUNK) {
      const to = Math.min(ngroups, from + SUM_CHUNK);
      k.patternSums(columns.cols, columns.columnOf, columns.width, columns.n, ptr.order, ptr.groupStart, ptr.groupPattern, from, to, ptr.pairAt, ptr.sums, ptr.rows);
    }
  }

  /** Add [X y]' Psi^-1 [X y] at the structure's last `set` into A (byte address `a`, zeroed). No pass over the rows. */
  accumulate(k: KernelExports, a: number): void {
    const { ptr, columns } = this.bound;
    const f64 = new Float64Array(k.memory.buffer);
    const weights = f64.subarray(ptr.weights / 8, ptr.weights / 8 + this.npairs);
    this.residual.patternSizes().forEach(({ m }, p) => {
      const P = this.residual.psiInverse(p);
      // A pair j > k stands for both (j, k) and (k, j): its sums hold both products.
      for (let j = 0, at = this.pairAt[p]; j < m; j++) for (let l = 0; l <= j; l++) weights[at++] = P[j * m + l];
    });
    k.weighPatternSums(ptr.sums, this.npairs, this.len, ptr.weights, ptr.weighed);
    const { at, ld } = this.target;
    const base = a / 8 + at;
    for (let r = 0, c0 = ptr.weighed / 8; r < columns.width; r++) for (let c = 0; c <= r; c++) f64[base + r * ld + c] += f64[c0++];
  }

  /**
   * Per pattern, E_p = sum_i e_i e_i' and, for REML, S_p = sum_i X_i M X_i'
   * (the gradient's pieces, fit/gls-gradient.ts), at the generalised least
   * squares fit of the last `accumulate`: e = y - X beta, M = (X' Psi^-1 X)^-1.
   * With b = [-beta, 1], sum_i e_ij e_ik = b' T_p[j, k] b and sum_i x_ij' M x_ik
   * = tr(M T_p[j, k]): two products of the sums with a packed vector.
   */
  moments(reml: boolean): PatternMoments {
    const { k, ptr, columns } = this.bound;
    const w = columns.width;
    const p = w - 1;
    const f64 = new Float64Array(k.memory.buffer);
    const packed = f64.slice(ptr.weighed / 8, ptr.weighed / 8 + this.len);
    const entry = (r: number, c: number) => (r >= c ? packed[(r * (r + 1)) / 2 + c] : packed[(c * (c + 1)) / 2 + r]);
    const Qxx = new Float64Array(p * p);
    for (let r = 0; r < p; r++) for (let c = 0; c < p; c++) Qxx[r * p + c] = entry(r, c);
    const M = spdInverse(Qxx, p) ?? new Float64Array(p * p).fill(NaN);
    const b = new Float64Array(w);
    b[p] = 1;
    for (let r = 0; r < p; r++) for (let c = 0; c < p; c++) b[r] -= M[r * p + c] * entry(c, p);
    const coef = f64.subarray(ptr.coef / 8, ptr.coef / 8 + this.len);
    // A packed entry off the diagonal stands for both of its places in the quadratic form.
    const form = (value: (r: number, c: number) => number): Float64Array => {
      for (let r = 0, i = 0; r < w; r++) for (let c = 0; c <= r; c++) coef[i++] = (r === c ? 1 : 2) * value(r, c);
      k.formPatternSums(ptr.sums, this.npairs, this.len, ptr.coef, ptr.forms);
      return f64.slice(ptr.forms / 8, ptr.forms / 8 + this.npairs);
    };
    const byPattern = (forms: Float64Array) =>
      this.residual.patternSizes().map(({ m }, pat) => {
        const out = new Float64Array(m * m);
        for (let j = 0, at = this.pairAt[pat]; j < m; j++) {
          // T_p[j, k] + T_p[k, j] for j > k: each is half the form.
          for (let l = 0; l <= j; l++, at++) out[j * m + l] = out[l * m + j] = l === j ? forms[at] : forms[at] / 2;
        }
        return out;
      });
    return {
      E: byPattern(form((r, c) => b[r] * b[c])),
      S: reml ? byPattern(form((r, c) => (r < p && c < p ? M[r * p + c] : 0))) : null,
    };
  }
}
