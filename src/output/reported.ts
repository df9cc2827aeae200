// What the summary and the JSON contract read: the fit and its t tests' df,
// which the fitted model computes on first use (so output never imports it).
import type { KenwardRogerTable } from "../inference/kenward-roger.js";
import type { DdfTable } from "../inference/satterthwaite.js";
import type { Icc, R2 } from "../inference/variance-explained.js";
import type { Design, DesignOptions } from "../model/design.js";
import type { FitEstimates, FittedModel } from "../model/fitted.js";

/**
 * What the summary reads: the estimates, the t tests' df, the ICC and the
 * scaled residuals' quantiles. A fit from rows (LmerModel) and a fit from SQL
 * statistics (StatisticsModel, whose residuals a second pass over the rows
 * summarises) both offer it.
 */
export interface SummaryModel extends FitEstimates {
  readonly satterthwaite: DdfTable;
  readonly kenwardRoger: KenwardRogerTable;
  readonly icc: Icc | null;
  /**
   * Min, 1st quartile, median, 3rd quartile and max of the Pearson residuals
   * over sigma (R's type 7 quantiles); null for a fit from statistics whose
   * rows were not read again.
   */
  readonly scaledResidualQuantiles: number[] | null;
  /** How the prior weights and the offset were given (the summary's Weights: and Offset: lines). */
  readonly design: { options?: DesignOptions };
}

/** A fitted model with its Satterthwaite and Kenward-Roger tables, ICC and R^2 (as `LmerModel` offers them). */
export interface ReportedModel extends FittedModel, SummaryModel {
  readonly design: Design;
  readonly r2: R2 | null;
}
