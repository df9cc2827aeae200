// The three routes for data larger than memory (README, "Data larger than
// memory"): a data file fitted through DuckDB; the statistics query printed for
// a table elsewhere (PostgreSQL, Spark, a warehouse); and a fit from that
// query's result, a statistics file.
import { LmmError, quote } from "../errors.js";
import { formulaVariables, parseFormula, variableColumns, type ParsedFormula } from "../formula.js";
import { statisticsTable, type StatisticsTable } from "./cell-table.js";
import { dialect, type Dialect, type DialectName } from "./dialect.js";
import { DuckDB, fileTable } from "./duckdb.js";
import { factorColumns, planModel, type ModelPlan, type PlanOptions, type TableColumn } from "./plan.js";
import { readShifts, shiftsQuery, STAT_COLUMNS, statisticsQuery } from "./statistics-query.js";
import { fitStatistics, STATISTICS_FIT_OPTIONS, type StatisticsFitOptions, type StatisticsModel } from "./statistics-model.js";
import { rowOutputColumns, rowOutputsTarget, writeRowOutputs } from "./row-outputs.js";
import { checkOptions, type OptionSpec } from "../options.js";

export type { RowOutputs } from "./row-outputs.js";

/** A batch's responses larger than memory: a Parquet (or CSV) file streamed by DuckDB, for fitMany(). */
export { openResponseFile, type ResponseFile, type ResponseFileOptions } from "../batch/response-file.js";

/** Where a plan's columns and levels come from: a data file DuckDB reads, or levels given for the text columns. */
export interface LevelsSource extends PlanOptions {
  /** A data file (CSV or Parquet) with the table's columns: their types and the factors' levels are read from it. */
  data?: string;
  /**
   * Levels of the columns coded as factors, in R's order (the first is the
   * reference). Without `data`, the columns listed here are text and every
   * other column the formula uses is numeric.
   */
  levels?: Record<string, string[]>;
}

/** The data columns a formula reads. */
function usedColumns(formula: ParsedFormula): string[] {
  return [...new Set(formulaVariables(formula).flatMap((v) => variableColumns(formula, v)))];
}

/** A data file's table expression, its columns, and the plan of a formula on them (levels by SELECT DISTINCT unless given). */
async function filePlan(db: DuckDB, path: string, formula: ParsedFormula, options: PlanOptions & { levels?: Record<string, string[]> }, d: Dialect) {
  const table = fileTable(path);
  const columns = await db.describe(table).catch((e: Error) => {
    throw new LmmError(`DuckDB could not read ${quote(path)}: ${e.message.replace(/^DuckDB could not run the query: /, "")}`);
  });
  const levels = await db.levels(table, factorColumns(formula, columns, options), usedColumns(formula), options.levels);
  return { table, columns, plan: planModel(formula, columns, levels, d, options) };
}

/** The plan of a formula in a dialect, with columns and levels from a data file or as given. */
async function plan(formula: ParsedFormula, source: LevelsSource, name: DialectName): Promise<ModelPlan> {
  const d = dialect(name);
  const given = source.levels ?? {};
  if (source.data !== undefined) return (await DuckDB.with((db) => filePlan(db, source.data!, formula, source, d))).plan;
  const columns: TableColumn[] = usedColumns(formula).map((name) => ({ name, kind: Object.hasOwn(given, name) ? "text" : "numeric" }));
  return planModel(formula, columns, given, d, source);
}

/** The statistics query of a formula for a table, in a dialect (`lmm sql`). */
export async function statisticsQueryFor(formula: string, table: string, name: DialectName, source: LevelsSource): Promise<string> {
  return statisticsQuery(await plan(parseFormula(formula), source, name), table, dialect(name));
}

/** Fit a model to a statistics file (the query's result as CSV or Parquet): same estimates and summary, without the residuals' line. */
export async function fitStatisticsFile(path: string, formula: string, source: LevelsSource, options: StatisticsFitOptions = {}): Promise<StatisticsModel> {
  const parsed = parseFormula(formula);
  const modelPlan = await plan(parsed, source, "duckdb");
  // Read, then the database closed: its memory is not held beside the fitter's.
  const columns = await DuckDB.with((db) => db.columns(`SELECT * FROM ${fileTable(path)}`, [STAT_COLUMNS.columns]));
  return fitStatistics(parsed, statisticsTable(modelPlan, columns), options);
}

/** A data file's plan and statistics, computed by DuckDB on an open connection. */
async function planAndStatistics(db: DuckDB, path: string, parsed: ParsedFormula, options: PlanOptions & { levels?: Record<string, string[]> }) {
  const d = dialect("duckdb");
  const { table, columns, plan: modelPlan } = await filePlan(db, path, parsed, options, d);
  const shifts = await sampleShifts(db, modelPlan, table);
  return { table, columns, plan: modelPlan, statistics: statisticsTable(modelPlan, await db.columns(statisticsQuery(modelPlan, table, d, shifts), [STAT_COLUMNS.columns])) };
}

/** Rows whose means centre the statistics (see shiftsQuery): enough to land near the mean, few enough to cost nothing. */
const SHIFT_SAMPLE_ROWS = 100_000;

/** The shifts of the statistics' basis: means over the table's first rows (0 where none). */
async function sampleShifts(db: DuckDB, modelPlan: ModelPlan, table: string): Promise<number[]> {
  const [means] = await db.rows(shiftsQuery(modelPlan, table, dialect("duckdb"), SHIFT_SAMPLE_ROWS));
  return readShifts(modelPlan, means);
}

/** The statistics of a formula's model on a data file, summed by DuckDB (for tests and tools that fit them later). */
export async function fileStatistics(path: string, formula: string, options: PlanOptions & { levels?: Record<string, string[]> } = {}): Promise<{ plan: ModelPlan; statistics: StatisticsTable }> {
  const { plan: modelPlan, statistics } = await DuckDB.with((db) => planAndStatistics(db, path, parseFormula(formula), options));
  return { plan: modelPlan, statistics };
}

/** Options of a fit to a data file through DuckDB: those of a fit from statistics, how columns enter the model, and where to write the per-row outputs. */
export interface FileFitOptions extends StatisticsFitOptions, PlanOptions {
  /** Levels of factors, in R's order (the first is the reference). */
  levels?: Record<string, string[]>;
  /** A Parquet or CSV file to write each used row's fitted values and residuals to (see row-outputs.ts). */
  rowsOut?: string;
}

/** The names and kinds of FileFitOptions, for checkOptions. */
export const FILE_FIT_OPTIONS: OptionSpec = { ...STATISTICS_FIT_OPTIONS, factors: "string[]", levels: "object", rowsOut: "string" };

/**
 * Fit a model to a data file through DuckDB: the levels by SELECT DISTINCT,
 * the statistics by the query's GROUP BY, the fit from them, then passes over
 * the rows with the conditional modes joined: the scaled residuals'
 * quantiles, and the per-row outputs when asked (`rowsOut`).
 */
export async function fitFile(path: string, formula: string, options: FileFitOptions = {}): Promise<StatisticsModel> {
  checkOptions(options, FILE_FIT_OPTIONS, "fitFile()");
  // A bad output name is told before the fit, not after it.
  const target = options.rowsOut === undefined ? undefined : rowOutputsTarget(options.rowsOut, path);
  const parsed = parseFormula(formula);
  // The statistics' database is closed before the fit, so that its memory is
  // not held beside the fitter's; the passes over the rows open another.
  const { table, columns, plan: modelPlan, statistics } = await DuckDB.with((db) => planAndStatistics(db, path, parsed, options));
  if (target) rowOutputColumns(modelPlan);
  const { REML, ddf, dataName, optimizer } = options;
  const model = await fitStatistics(parsed, statistics, { REML, ddf, dataName, optimizer });
  const modes = model.conditionalModes;
  const fit = { beta: model.fixedEffects, sigma: model.sigma, terms: model.terms.map((t, k) => ({ ...t, effects: modes[k] })) };
  await DuckDB.with(async (db) => {
    const rows = await db.fittedRows(modelPlan, new Map(columns.map((c) => [c.name, c.type])), fit);
    model.setScaledResidualQuantiles(await db.residualQuantiles(table, rows));
    if (target) model.rowOutputs = await writeRowOutputs(db, modelPlan, table, rows, model.nobs, target);
  });
  return model;
}
