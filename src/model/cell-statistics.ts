// Cross-products summed outside the kernels, per cell of levels
// (cross-products.ts): a cell is a group of rows that share every term's level
// (a subject with one grouping factor; a pair of levels with crossed factors),
// and its statistics are the sums over its rows of v v', v = [z of each term,
// x, y]. They are what a SQL engine's GROUP BY returns (DESIGN.md, "Statistics
// from SQL"): the rows never reach this process, and A is filled from the
// cells' sums in one pass over the cells.
import { LmmError } from "../errors.js";
import type { KernelExports } from "../wasm/kernels.js";
import type { LayoutPlan, LayoutShape } from "./blocks.js";
import type { CrossProductFill, CrossProductSource, Shifts } from "./cross-products.js";

/** The statistics of a model's cells. */
export interface CellStatisticsInput {
  /** Observations the sums run over. */
  n: number;
  /** Per term its columns, levels and the level of each cell; `shape.n` is the number of cells. */
  shape: LayoutShape;
  /**
   * Per cell, the lower triangle of the sum of v v' over its rows, packed by
   * rows ((0,0), (1,0), (1,1), (2,0), ...): width (width + 1) / 2 values per
   * cell, width = the terms' columns + p + 1. With prior weights, sums of w v v'.
   */
  sums: Float64Array;
  /** Sum of the logs of the prior weights (0 or absent without weights). */
  logWeightSum?: number;
  /** What was subtracted from y and X's columns before summing (absent: nothing). */
  shifts?: Shifts;
}

/** Statistics per cell as a cross-product source. */
export class CellStatistics implements CrossProductSource {
  readonly n: number;
  readonly shape: LayoutShape;
  readonly logWeightSum: number;
  /** Values per cell's row of v. */
  readonly width: number;
  private readonly sums: Float64Array;
  private readonly shifts: Shifts;

  constructor(input: CellStatisticsInput) {
    const { shape } = input;
    this.n = input.n;
    this.shape = shape;
    this.width = shape.terms.reduce((w, t) => w + t.q, 0) + shape.p + 1;
    const packed = (this.width * (this.width + 1)) / 2;
    if (input.sums.length !== shape.n * packed) {
      throw new LmmError(`The statistics hold ${input.sums.length} sums for ${shape.n} cells of ${packed} sums each (${this.width} columns): they do not belong to this model.`);
    }
    this.sums = input.sums;
    this.logWeightSum = input.logWeightSum ?? 0;
    this.shifts = input.shifts ?? { y: 0, x: new Float64Array(shape.p) };
  }

  attach(plan: LayoutPlan): CrossProductFill {
    const { shape, width, sums, shifts } = this;
    const K = shape.terms.length;
    // Pseudo-terms: the random terms, then [X y]; each one's first value in v.
    const off: number[] = [];
    const size: number[] = [];
    for (let t = 0, o = 0; t < K; t++) (off.push(o), size.push(shape.terms[t].q), (o += shape.terms[t].q));
    off.push(width - shape.p - 1);
    size.push(shape.p + 1);
    const packed = (width * (width + 1)) / 2;
    return {
      shifts,
      moveIn: () => {},
      setResponse: () => {
        throw new LmmError("A model fitted from statistics cannot take another response: compute the statistics of that response.");
      },
      accumulate: (k: KernelExports, a: number) => {
        const A = new Float64Array(k.memory.buffer, a, plan.layout.aSize);
        // Entry (r, c) of a cell's packed lower triangle, either side of the diagonal.
        const at = (base: number, r: number, c: number) => (r >= c ? base + (r * (r + 1)) / 2 + c : base + (c * (c + 1)) / 2 + r);
        for (let i = 0; i < shape.n; i++) {
          const base = i * packed;
          for (let t = 0; t <= K; t++) {
            const ld = plan.leadingDimension(t);
            for (let s = t; s <= K; s++) {
              const target = plan.cellTarget(s, t, i);
              for (let r = 0; r < size[s]; r++) {
                // [X y]'[X y] is read through its lower triangle only (see LayoutPlan).
                const end = t === K ? r + 1 : size[t];
                for (let c = 0; c < end; c++) A[target + r * ld + c] += sums[at(base, off[s] + r, off[t] + c)];
              }
            }
          }
        }
      },
    };
  }
}
