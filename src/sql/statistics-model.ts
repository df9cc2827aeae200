// A model fitted from cell statistics (a SQL GROUP BY's result): the same
// deviance, optimiser and estimates as a fit from rows (lmer-model.ts'
// estimatesAt), so the same summary. What needs the rows is either computed by
// a pass over them (the scaled residuals' quantiles, given to the model by
// whoever can read the rows; fitted values and residuals, written by that pass
// to a file, see row-outputs.ts) or refused with the reason: fitted values and
// residuals held in memory, Kenward-Roger (its matrices are per row), prediction.
import { LmmError } from "../errors.js";
import { optimizeTheta } from "../fit/optimize-theta.js";
import { OPTIMIZER_OPTIONS, type OptimizerOptions } from "../fit/optimizer.js";
import { iccOf, r2Of, variancePartsFromSums, type Icc, type R2, type VarianceParts } from "../inference/variance-explained.js";
import { satterthwaite, type DdfTable } from "../inference/satterthwaite.js";
import type { KenwardRogerTable } from "../inference/kenward-roger.js";
import { ProfiledDeviance } from "../model/deviance.js";
import type { FitEstimates, RanefTable } from "../model/fitted.js";
import { conditionalModes, estimatesAt, ranefTables, termCovariances, type ModelOutline } from "../model/lmer-model.js";
import { checkOptions, type OptionSpec } from "../options.js";
import { formatSummary } from "../output/summary.js";
import type { SummaryModel } from "../output/reported.js";
import type { ParsedFormula } from "../formula.js";
import { columnSpreads, workingSource, type CellTerm, type StatisticsTable } from "./cell-table.js";
import type { RowOutputs } from "./row-outputs.js";
import { basisChange } from "../fit/working-basis.js";
import { startFromWorkingBasis } from "../fit/lmer.js";

/** Options of a fit from statistics: REML or ML, the df method (Satterthwaite or none), the data's name, the optimiser. */
export interface StatisticsFitOptions {
  REML?: boolean;
  ddf?: "satterthwaite" | "none";
  dataName?: string;
  optimizer?: OptimizerOptions;
}

/** The names and kinds of StatisticsFitOptions, for checkOptions. */
export const STATISTICS_FIT_OPTIONS: OptionSpec = { REML: "boolean", ddf: ["satterthwaite", "none"], dataName: "string", optimizer: "object" };

const KENWARD_ROGER_NEEDS_ROWS =
  "Kenward-Roger needs the rows (its matrices are sums over rows of the inverse covariance, not of the statistics' cross-products): use Satterthwaite's df, which the statistics give, or fit the rows in memory.";

/** The error for what only the rows give. */
function needsRows(what: string): LmmError {
  return new LmmError(`${what} are per row, and this model was fitted from statistics without its rows: write them to a file from the data file's rows (lmm fit data.parquet "FORMULA" --rows-out rows.parquet; fitFile's rowsOut), or fit the rows in memory (lmm fit data.csv) for them.`);
}

export interface StatisticsModel extends FitEstimates {}

/** A linear mixed model fitted from cell statistics. */
export class StatisticsModel implements SummaryModel {
  readonly design: { options?: undefined } = {};
  private readonly solution: Float64Array;
  private readonly beta: Float64Array;
  private readonly factors: Float64Array[];
  private residualQuantiles: number[] | null = null;
  private ddfTable?: DdfTable;

  constructor(
    readonly terms: readonly CellTerm[],
    readonly deviance: ProfiledDeviance,
    private readonly statistics: StatisticsTable,
    at: ReturnType<typeof estimatesAt>,
  ) {
    Object.assign(this, at.estimates);
    this.solution = at.solution;
    this.beta = at.beta;
    this.factors = at.factors;
  }

  /** Conditional modes b = T v of each term, row-major levels x q. */
  get conditionalModes(): Float64Array[] {
    return conditionalModes(this.terms, this.factors, this.solution, this.deviance.layout.levelPositions);
  }

  /** Conditional modes (BLUPs) per grouping factor, as lme4's ranef(). */
  get ranef(): Record<string, RanefTable> {
    return ranefTables(this.terms, this.conditionalModes);
  }

  /** The fixed effects in X's column order. */
  get fixedEffects(): Float64Array {
    return this.beta;
  }

  /** The scaled residuals' quantiles from a pass over the rows (see DuckDB.residualQuantiles); null until given. */
  get scaledResidualQuantiles(): number[] | null {
    return this.residualQuantiles;
  }

  /** Give the quantiles that a pass over the rows computed with this model's estimates. */
  setScaledResidualQuantiles(q: number[]): void {
    this.residualQuantiles = q;
  }

  /** Where a pass over the rows wrote their fitted values and residuals (lmm fit --rows-out), and how many; null when not asked. */
  rowOutputs: RowOutputs | null = null;

  get satterthwaite(): DdfTable {
    this.ddfTable ??= satterthwaite(this.deviance, this.terms, this.covarianceParameters, this.sigma, this.coefNames, this.t);
    return this.ddfTable;
  }

  get kenwardRoger(): KenwardRogerTable {
    throw new LmmError(KENWARD_ROGER_NEEDS_ROWS);
  }

  get fitted(): Float64Array {
    throw needsRows("Fitted values");
  }

  get residuals(): Float64Array {
    throw needsRows("Residuals");
  }

  /** The variance parts of performance's icc and r2, from the statistics' sums of products; null for a singular fit. */
  get varianceParts(): VarianceParts | null {
    if (this.singular) return null;
    const { moments, n } = this.statistics;
    if (!moments.centred) throw new LmmError("The variance of the fixed-effects predictions needs the model's intercept when fitted from statistics: keep the intercept, or fit the rows in memory.");
    return variancePartsFromSums(moments.xCentred, this.beta, moments.zz, termCovariances(this.terms, this.factors, this.sigma), this.sigma, n);
  }

  get icc(): Icc | null {
    const v = this.varianceParts;
    return v && iccOf(v);
  }

  get r2(): R2 | null {
    const v = this.varianceParts;
    return v && r2Of(v);
  }

  /** lme4-style text summary: the same text as a fit from the rows. */
  summary(): string {
    return formatSummary(this);
  }
}

/** Fit a model to its statistics (the statistics query's result, see cell-table.ts). */
export async function fitStatistics(formula: ParsedFormula, statistics: StatisticsTable, options: StatisticsFitOptions = {}): Promise<StatisticsModel> {
  if ((options as { ddf?: string }).ddf === "kenward-roger") throw new LmmError(KENWARD_ROGER_NEEDS_ROWS);
  checkOptions(options, STATISTICS_FIT_OPTIONS, "fitStatistics()");
  checkOptions(options.optimizer, OPTIMIZER_OPTIONS, "the optimizer options");
  const { terms, moments, n } = statistics;
  if (!(moments.yy > 0)) throw new LmmError(`The response ${formula.response} takes one value in every row used: there is no variation for a model to explain.`);
  const reml = options.REML ?? true;
  const deviance = await ProfiledDeviance.fromSource(statistics.source, reml);
  const outline: ModelOutline = { formula, n, droppedRows: statistics.droppedRows, droppedColumns: [], X: { names: statistics.xNames }, terms };
  // Start, as a fit from rows does, from the optimum on the working basis when a covariate is badly located or scaled.
  const change = basisChange(terms, columnSpreads(statistics));
  const working = change && { ...change, deviance: await ProfiledDeviance.fromSource(workingSource(statistics, change.bases), reml) };
  const { start, evaluations, checkPrecision } = startFromWorkingBasis(terms, working, options.optimizer ?? {});
  const opt = optimizeTheta(deviance, terms, start, options.optimizer);
  deviance.evaluations += evaluations;
  checkPrecision(opt);
  const responseSd = Math.sqrt(moments.yy / Math.max(1, n - 1));
  const at = estimatesAt(outline, deviance, opt, { dataName: options.dataName, ddf: options.ddf }, {
    responseSd,
    cause: () =>
      "the response is fitted exactly (zero residual variance), or the fixed-effects columns are collinear (statistics cannot drop aliased columns as a fit from rows does): check the model, or fit the rows in memory to find the cause.",
  });
  return new StatisticsModel(terms, deviance, statistics, at);
}
