// Where a model's cross-products come from: the seam between the data and the
// deviance. The deviance needs only the sums [Z X y]'[Z X y], laid out in A by
// the block layout (blocks.ts); a source fills A. Two sources exist: the rows
// of a design (row-source.ts: one pass in WASM, with prior weights applied to
// the rows) and sums computed elsewhere, per cell of levels (cell-statistics.ts:
// a SQL GROUP BY, a statistics file). The kernels see only A.
import type { KernelExports } from "../wasm/kernels.js";
import type { LayoutPlan, LayoutShape } from "./blocks.js";
import type { PatternStatistics } from "./residual/pattern-statistics.js";
import type { ResidualStructure } from "./residual/structure.js";

/**
 * Constants subtracted from y and from X's columns before the products were
 * summed (zeros when nothing was centred): the deviance maps beta and R_X back
 * through them (see ProfiledDeviance). x[0], the intercept's, is always 0.
 */
export interface Shifts {
  y: number;
  x: Float64Array;
}

/** A model's cross-products, for the deviance to lay out and fill. */
export interface CrossProductSource {
  /** Observations the sums run over (n of the deviance). */
  readonly n: number;
  /**
   * log|T'T| of the row transformation that makes the model an ordinary one,
   * subtracted from the deviance: the sum of the logs of the prior weights
   * (lme4's ldW), less sum_i log|Psi_i| of a residual structure; 0 without either.
   */
  readonly logWeightSum: number;
  /**
   * The residual structure whitening the rows, when the model has one: after
   * its parameters change (`set`), the deviance accumulates again (ProfiledDeviance.refill).
   */
  readonly residual?: ResidualStructure | null;
  /** The structure's sums per pattern of occasions, when the cross-products come from them (see residualRoute). */
  readonly patterns?: PatternStatistics | null;
  /** The random effects are absorbed into the residual structure (see RowCrossProducts.absorbsRandomEffects). */
  readonly absorbsRandomEffects?: boolean;
  /** What the layout is planned from. */
  readonly shape: LayoutShape;
  /**
   * Bind the source to a layout in a kernel instance: `reserve(bytes)` takes the
   * kernel memory the source keeps (before the memory grows to hold it all).
   */
  attach(plan: LayoutPlan, reserve: (bytes: number) => number): CrossProductFill;
}

/** A source bound to a layout (CrossProductSource.attach). */
export interface CrossProductFill {
  /** Once the memory holds every reserved buffer: write the source's own data there. */
  moveIn(k: KernelExports): void;
  /** Add the cross-products into A (at byte address `a`, zeroed by the caller). */
  accumulate(k: KernelExports, a: number): void;
  /** What was subtracted before summing (see Shifts). */
  readonly shifts: Shifts;
  /** Replace the response on the same rows (a batch's next feature); accumulate follows. */
  setResponse(k: KernelExports, y: ArrayLike<number>): void;
}
