// The cross-products of a design's rows (cross-products.ts): the rows move into
// the kernels' memory once, as columns, and one pass in WASM
// (assembly/accumulate.ts) adds every row's blocks into A. Prior weights scale
// the rows there (weights.ts), and a residual structure whitens them
// (residual/structure.ts), so the kernels never see weights or correlations;
// a model without random effects takes its structure's sums per pattern of
// occasions instead (residual/pattern-statistics.ts: no pass over the rows
// per evaluation), where residualRoute says so.
import { PAIR_BY_LEVEL, PAIR_BY_ROW, PAIR_FIXED, PAIR_STRIDE, PR } from "../wasm/layout.generated.js";
import type { KernelExports } from "../wasm/kernels.js";
import { designShape, record, type LayoutPlan, type LayoutShape } from "./blocks.js";
import type { CrossProductFill, CrossProductSource, Shifts } from "./cross-products.js";
import type { Design } from "./design.js";
import { absorbableTerms, PatternStatistics, residualRoute, type PreparedColumns as PatternColumns, type ResidualRoute } from "./residual/pattern-statistics.js";
import { ResidualStructure } from "./residual/structure.js";
import { logWeightSum, sqrtWeights } from "./weights.js";

/** Rows per call of the accumulation kernel (see RowFill.accumulate). */
const ACCUMULATE_CHUNK = 1 << 14;

/** The rows of a design as a cross-product source. */
export class RowCrossProducts implements CrossProductSource {
  readonly shape: LayoutShape;
  private readonly weightSum: number;
  readonly residual: ResidualStructure | null;
  /** The residual structure's sums per pattern of occasions, on that route (see residualRoute). */
  readonly patterns: PatternStatistics | null;
  /**
   * On the pattern route with random effects: the terms are absorbed into the
   * residual structure (`residual.set(rho, theta)`), and the cross-products are
   * those of [X y] alone (ntheta of the deviance is 0).
   */
  readonly absorbsRandomEffects: boolean;
  private readonly design: Design;

  /**
   * `route` overrides residualRoute's choice (the routes' agreement is tested
   * so); `residual`, the residual structure of another source of this design,
   * saves building it again (a pass over the groups).
   */
  constructor(design: Design, route?: ResidualRoute, residual?: ResidualStructure | null) {
    const absorbable = absorbableTerms(design);
    this.residual = residual ?? (design.residual ? new ResidualStructure(design.residual, design.n, absorbable ? design.terms : []) : null);
    this.residual?.set(this.residual.start());
    const patterns = this.residual !== null && (route ?? residualRoute(design, this.residual)) === "patterns";
    if (patterns && design.terms.length > 0 && !absorbable) throw new Error("internal: the pattern statistics take only random effects whose levels are the residual groups");
    this.patterns = patterns ? new PatternStatistics(this.residual!) : null;
    this.absorbsRandomEffects = patterns && design.terms.length > 0;
    this.design = this.absorbsRandomEffects ? { ...design, terms: [] } : design;
    this.shape = designShape(this.design);
    this.weightSum = logWeightSum(this.design);
  }

  /** The weights' log sum, less sum_i log|Psi_i| of the residual structure at its current parameters. */
  get logWeightSum(): number {
    return this.weightSum - (this.residual?.logDeterminant ?? 0);
  }

  get n(): number {
    return this.design.n;
  }

  attach(plan: LayoutPlan, reserve: (bytes: number) => number): CrossProductFill {
    const rows = planRowData(this.design, plan);
    return new RowFill(this.design, rows, reserve, (columns) => {
      if (this.patterns) {
        const K = this.design.terms.length;
        return this.patterns.attach(columns, { at: plan.cellTarget(K, K, 0), ld: plan.leadingDimension(K) }, reserve);
      }
      return this.residual && new Whitening(this.residual, columns, reserve);
    });
  }
}

/**
 * The row data of the accumulation pass: per row, `width` values (z of each
 * term, then x, then y), value c from stored column columnOf[c] (a column that
 * serves twice, as an intercept in Z and in X, is stored once: `stored`, n values
 * each); the i32 data saying where in A each pseudo-term pair of a row goes
 * (written by `writeInts` into `intsSize` values); one PAIR_STRIDE record per
 * pair in `pairs`.
 */
export interface RowData {
  width: number;
  stored: Float64Array[];
  columnOf: Int32Array;
  pairs: Int32Array;
  npairs: number;
  intsSize: number;
  writeInts(ints: Int32Array): void;
}

/** How a design's rows are written for the accumulation kernel, for a layout. */
export function planRowData(design: Design, plan: LayoutPlan): RowData {
  const { n, terms, X, y } = design;
  const { layout, cellTarget, levelTarget, leadingDimension } = plan;
  const K = terms.length;
  const m = layout.nBlockTerms;
  const p = X.columns.length;
  const rowColumns = [...terms.flatMap((t) => t.columns), ...X.columns, y];
  const width = rowColumns.length;
  // y stays a column of its own: setResponse replaces it.
  const stored = [...new Set(rowColumns.slice(0, -1)), y];
  const columnOf = Int32Array.from(rowColumns, (col, c) => (c === width - 1 ? stored.length - 1 : stored.indexOf(col)));
  const pseudo: { off: number; q: number }[] = [];
  for (let t = 0, off = 0; t < K; t++) (pseudo.push({ off, q: terms[t].columns.length }), (off += terms[t].columns.length));
  pseudo.push({ off: width - p - 1, q: p + 1 });

  // The i32 row data: each nested term's codes (once), tables by level, per-row targets.
  let intsSize = 0;
  const writes: ((ints: Int32Array) => void)[] = [];
  const codesAt = new Map<number, number>();
  const place = (length: number, write: (out: Int32Array) => void) => {
    const at = intsSize;
    intsSize += length;
    writes.push((ints) => write(ints.subarray(at, at + length)));
    return at;
  };
  const pairList: number[] = [];
  for (let t = 0; t <= K; t++) {
    for (let s = t; s <= K; s++) {
      let kind: number, p1: number, p2 = 0;
      if (t < m && (s < m || s === K)) {
        // The target depends on t's level alone: a table by level.
        const codes = terms[t].factor.codes;
        const levels = terms[t].factor.levels.length;
        if (!codesAt.has(t)) codesAt.set(t, place(n, (out) => out.set(codes)));
        const table = place(levels, (out) => {
          for (let l = 0; l < levels; l++) out[l] = levelTarget(s, t, l);
        });
        [kind, p1, p2] = [PAIR_BY_LEVEL, codesAt.get(t)!, table];
      } else if (t === K) {
        [kind, p1] = [PAIR_FIXED, cellTarget(K, K, 0)]; // (X, y) with itself: one target for every row
      } else {
        [kind, p1] = [PAIR_BY_ROW, place(n, (out) => {
          for (let i = 0; i < n; i++) out[i] = cellTarget(s, t, i);
        })];
      }
      pairList.push(...record(PAIR_STRIDE, [
        [PR.SOFF, pseudo[s].off], [PR.QS, pseudo[s].q], [PR.TOFF, pseudo[t].off], [PR.QT, pseudo[t].q],
        [PR.LD, leadingDimension(t)], [PR.KIND, kind], [PR.P1, p1], [PR.P2, p2],
        // [X y]'[X y] is read through its lower triangle only; the random-effects
        // blocks are scaled through whole diagonal blocks.
        [PR.LOWER, t === K ? 1 : 0],
      ]));
    }
  }
  return {
    width,
    stored,
    columnOf,
    pairs: Int32Array.from(pairList),
    npairs: pairList.length / PAIR_STRIDE,
    intsSize,
    writeInts: (ints) => writes.forEach((write) => write(ints)),
  };
}

/** Byte addresses of the row data in the kernels' memory. */
interface RowBuffers {
  pairs: number;
  row: number;
  columnOf: number;
  cols: number;
  ints: number;
}

/** How a residual structure's rows reach A (a route of residualRoute). */
interface ResidualPass {
  /** Once the memory holds every buffer: write the pass's own arrays. */
  moveIn(k: KernelExports): void;
  /** The columns were prepared (centred) anew. */
  prepared(): void;
  /** Fill A (byte address `a`, zeroed); `rows()` is the accumulation pass over the prepared columns' memory. */
  accumulate(k: KernelExports, a: number, rows: () => void): void;
}

/**
 * The whitening route: the prepared columns are kept, and before each
 * accumulation every group's rows are multiplied by its pattern's C_p^-1 into
 * the columns the accumulation reads (whitening commutes with centring: the
 * intercept stays in the model, whitened, and absorbs the shifts).
 */
class Whitening implements ResidualPass {
  private readonly ptr: { prepared: number; order: number; groupStart: number; groupPattern: number; cinv: number; cinvAt: number; band: number };
  private k: KernelExports | null = null;

  constructor(private readonly residual: ResidualStructure, private readonly columns: PreparedColumns, reserve: (bytes: number) => number) {
    const w = residual.kernelArrays();
    this.ptr = {
      prepared: reserve(columns.bytes),
      order: reserve(w.order.length * 4),
      groupStart: reserve(w.groupStart.length * 4),
      groupPattern: reserve(w.groupPattern.length * 4),
      cinv: reserve(w.cinv.length * 8),
      cinvAt: reserve(w.cinvAt.length * 4),
      band: reserve(w.band.length * 4),
    };
  }

  moveIn(k: KernelExports): void {
    this.k = k;
    const i32 = new Int32Array(k.memory.buffer);
    const arrays = this.residual.kernelArrays();
    i32.set(arrays.order, this.ptr.order / 4);
    i32.set(arrays.groupStart, this.ptr.groupStart / 4);
    i32.set(arrays.groupPattern, this.ptr.groupPattern / 4);
    i32.set(arrays.cinvAt, this.ptr.cinvAt / 4);
    i32.set(arrays.band, this.ptr.band / 4);
  }

  /** Keep the prepared columns (they lie next to each other, as the whitened ones). */
  prepared(): void {
    const { cols, bytes } = this.columns;
    new Uint8Array(this.k!.memory.buffer).copyWithin(this.ptr.prepared, cols, cols + bytes);
  }

  accumulate(k: KernelExports, _a: number, rows: () => void): void {
    const w = this.ptr;
    const arrays = this.residual.kernelArrays();
    new Float64Array(k.memory.buffer).set(arrays.cinv, w.cinv / 8);
    k.whiten(w.prepared, this.columns.cols, this.columns.stored, this.columns.n, w.order, w.groupStart, w.groupPattern, arrays.groupPattern.length, w.cinv, w.cinvAt, w.band);
    rows();
  }
}

/** The prepared columns in the kernels' memory, for a residual pass. */
type PreparedColumns = PatternColumns & { stored: number; bytes: number };

/**
 * A design's rows in a kernel instance. When the intercept is X's first column,
 * the response and X's columns of their own (not also columns of Z) are centred
 * before the products are formed: r2 = y'y - |r_Zy|^2 - |r_Xy|^2 and
 * R_X'R_X = X'X - R_ZX'R_ZX cancel every digit when y or a covariate sits far
 * from zero (~1e9). Weights scale the centred rows. A residual structure
 * takes the prepared columns its own way (ResidualPass: Whitening, or
 * PatternStatistics' sums).
 */
class RowFill implements CrossProductFill {
  readonly shifts: Shifts;
  private readonly ptr: RowBuffers;
  private readonly centred: boolean;
  private readonly sqrtW: Float64Array | null;
  /** A residual structure's route to A, given the prepared columns. */
  private readonly residual: ResidualPass | null;

  constructor(
    private readonly design: Design,
    private readonly rows: RowData,
    reserve: (bytes: number) => number,
    residualPass: (columns: PreparedColumns) => ResidualPass | null,
  ) {
    const { n } = design;
    this.shifts = { y: 0, x: new Float64Array(design.X.columns.length) };
    this.centred = design.X.assign[0] === -1;
    this.sqrtW = sqrtWeights(design);
    this.ptr = {
      pairs: reserve(rows.pairs.length * 4),
      row: reserve(rows.width * 8),
      columnOf: reserve(rows.width * 4),
      cols: reserve(n * rows.stored.length * 8),
      ints: reserve(rows.intsSize * 4),
    };
    const stored = rows.stored.length;
    this.residual = residualPass({ cols: this.ptr.cols, columnOf: this.ptr.columnOf, width: rows.width, n, stored, bytes: n * stored * 8 });
  }

  /** Stored column c of the row data, a view into the kernels' memory. */
  private column(k: KernelExports, c: number): Float64Array {
    return new Float64Array(k.memory.buffer, this.ptr.cols + c * this.design.n * 8, this.design.n);
  }

  moveIn(k: KernelExports): void {
    const { rows, ptr } = this;
    const i32 = new Int32Array(k.memory.buffer);
    i32.set(rows.pairs, ptr.pairs / 4);
    i32.set(rows.columnOf, ptr.columnOf / 4);
    rows.writeInts(i32.subarray(ptr.ints / 4, ptr.ints / 4 + rows.intsSize));
    rows.stored.forEach((col, c) => this.column(k, c).set(col));
    this.residual?.moveIn(k);
    if (this.centred) {
      // X's columns sit before y's in the row data; those stored once are X's alone.
      const { columnOf, width } = rows;
      const first = width - 1 - this.shifts.x.length;
      for (let j = 1; j < this.shifts.x.length; j++) {
        const c = columnOf[first + j];
        if (columnOf.indexOf(c) === columnOf.lastIndexOf(c)) this.shifts.x[j] = centre(this.column(k, c));
      }
    }
    for (let c = 0; c < rows.stored.length - 1; c++) this.weigh(this.column(k, c));
    this.prepareResponse(k);
  }

  setResponse(k: KernelExports, y: ArrayLike<number>): void {
    this.column(k, this.rows.stored.length - 1).set(y);
    this.prepareResponse(k);
  }

  /** Centre (see the class comment) and weigh the response column. */
  private prepareResponse(k: KernelExports): void {
    const y = this.column(k, this.rows.stored.length - 1);
    if (this.centred) this.shifts.y = centre(y);
    this.weigh(y);
    this.residual?.prepared();
  }

  private weigh(col: Float64Array): void {
    const w = this.sqrtW;
    if (w) for (let i = 0; i < col.length; i++) col[i] *= w[i];
  }

  /**
   * The one pass over the rows. It runs in chunks of rows: V8 first runs a WASM
   * function unoptimised and swaps in the optimised code only between calls, so
   * a single call over 10^6 rows in a fresh process would run unoptimised
   * throughout (about 3x slower). The rows are added in the same order either way.
   */
  accumulate(k: KernelExports, a: number): void {
    if (this.residual) this.residual.accumulate(k, a, () => this.accumulateRows(k, a));
    else this.accumulateRows(k, a);
  }

  private accumulateRows(k: KernelExports, a: number): void {
    const { rows, ptr } = this;
    const n = this.design.n;
    for (let from = 0; from < n; from += ACCUMULATE_CHUNK) {
      const to = Math.min(n, from + ACCUMULATE_CHUNK);
      k.accumulate(ptr.cols, ptr.columnOf, rows.width, n, from, to, ptr.ints, ptr.pairs, rows.npairs, a, ptr.row);
    }
  }
}

/** Subtract the mean of x in place and return it (a second pass takes out what the first one's rounding left). */
function centre(x: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  let mean = sum / x.length;
  let rest = 0;
  for (let i = 0; i < x.length; i++) rest += x[i] - mean;
  mean += rest / x.length;
  for (let i = 0; i < x.length; i++) x[i] -= mean;
  return mean;
}
