// The CLI's routes for data larger than memory: `lmm fit data.parquet` (or a
// CSV with --engine duckdb) through DuckDB, `lmm fit --stats FILE` from the
// statistics query's result, and `lmm sql`, which prints that query.
import { basename } from "node:path";
import { LmmError, quote } from "./errors.js";
import { designOptions, type DesignFlags } from "./cli-options.js";
import { DIALECTS, type DialectName } from "./sql/dialect.js";
import type { LevelsSource } from "./sql/routes.js";
import { estimatesToJSON, type EstimatesModel } from "./output/json.js";

/** The SQL routes, loaded on first use: DuckDB's native library stays out of the other commands' start-up. */
const routes = () => import("./sql/routes.js");

/** The fit flags the SQL routes read, and those they refuse. */
export interface SqlFitFlags extends DesignFlags {
  ml?: boolean;
  ddf?: string;
  confint?: string;
  json?: boolean;
  stats?: string;
  data?: string;
  rowsOut?: string;
}

/** Whether `lmm fit` takes the SQL route: a statistics file, a Parquet file, or --engine duckdb. */
export function usesSqlRoute(data: string | undefined, flags: { engine?: string; stats?: string }): boolean {
  const engine = flags.engine;
  if (engine !== undefined && engine !== "memory" && engine !== "duckdb") throw new LmmError(`Unknown --engine ${quote(engine)}: choose memory (read the rows into this process) or duckdb.`);
  if (flags.stats !== undefined) return true;
  const parquet = data !== undefined && /\.parquet$/i.test(data);
  if (parquet && engine === "memory") throw new LmmError("A Parquet file is read through DuckDB: drop --engine memory (or convert the file to CSV).");
  return parquet || engine === "duckdb";
}

/** Why an option of the data's columns cannot go through SQL statistics, by the option's name in DesignOptions. */
const NOT_IN_SQL: Record<string, string> = {
  weights: "--weights (prior weights are not summed by the statistics query yet)",
  offset: "--offset (subtract the offset from the response in the table instead)",
};

/**
 * The design options the SQL routes take (--factor and --levels); any other
 * (prior weights, an offset, and whatever the in-memory fit learns to take) is
 * refused by name rather than silently ignored.
 */
function sqlDesignOptions(flags: DesignFlags): { factors?: string[]; levels?: Record<string, string[]> } {
  const { factors, levels, ...rest } = designOptions(flags);
  const other = Object.keys(rest)[0];
  if (other !== undefined) {
    throw new LmmError(`A fit through SQL statistics cannot take ${NOT_IN_SQL[other] ?? `the ${other} option (the statistics query does not compute it yet)`}: fit the rows in memory (--engine memory) for it.`);
  }
  return { ...(factors && { factors }), ...(levels && { levels }) };
}

/** Levels and types for a plan without the data at hand: --data FILE, or --levels (the listed columns are text, the others numbers). */
function levelsSource(flags: DesignFlags & { data?: string }): LevelsSource {
  const { factors, levels } = sqlDesignOptions(flags);
  return { ...(flags.data !== undefined && { data: flags.data }), ...(factors && { factors }), ...(levels && { levels }) };
}

/** `lmm fit` through DuckDB or from a statistics file. */
export async function sqlFitCommand(data: string | undefined, formula: string | undefined, flags: SqlFitFlags, out: (s: string) => void): Promise<void> {
  if (flags.confint !== undefined) throw new LmmError("A fit through SQL statistics cannot take --confint (profile and bootstrap intervals refit the rows): fit the rows in memory (--engine memory) for it.");
  const ddf = flags.ddf ?? "satterthwaite";
  if (ddf === "kenward-roger") throw new LmmError("Kenward-Roger needs the rows (its matrices are per row, not sums of the statistics): use --ddf satterthwaite, or fit the rows in memory (--engine memory).");
  if (ddf !== "satterthwaite" && ddf !== "none") throw new LmmError(`Unknown --ddf ${quote(ddf)}: choose satterthwaite or none.`);
  const options = { REML: !flags.ml, ddf: ddf as "satterthwaite" | "none" };
  if (flags.stats !== undefined) {
    // lmm fit --stats STATS.csv "FORMULA": the formula is the only positional argument.
    const f = formula ?? data;
    if (!f || (data !== undefined && formula !== undefined)) throw new LmmError('With --stats give the formula alone: lmm fit --stats STATS.csv "y ~ x + (x | g)".');
    if (flags.rowsOut !== undefined) throw new LmmError("--rows-out writes the rows' fitted values, and a statistics file has no rows: fit the data file through DuckDB (lmm fit data.parquet \"FORMULA\" --rows-out rows.parquet).");
    const model = await (await routes()).fitStatisticsFile(flags.stats, f, levelsSource(flags), { ...options, dataName: basename(flags.stats) });
    out(flags.json ? json(model) : model.summary());
    return;
  }
  if (flags.data !== undefined) throw new LmmError("--data gives the columns and levels for --stats (and lmm sql): to fit a data file, give it as the first argument.");
  if (!data || !formula) throw new LmmError('Give the data file and the formula: lmm fit data.parquet "y ~ x + (x | g)".');
  const { factors, levels } = sqlDesignOptions(flags);
  const rowsOut = flags.rowsOut;
  const model = await (await routes()).fitFile(data, formula, { ...options, dataName: basename(data), ...(factors && { factors }), ...(levels && { levels }), ...(rowsOut !== undefined && { rowsOut }) });
  const written = model.rowOutputs;
  if (flags.json) out(json(model, written && { rows_out: written }));
  else {
    out(model.summary());
    if (written) out(`\nWrote ${written.rows} rows (fitted, fixed, resid, scaled_resid) to ${written.file}${model.droppedRows > 0 ? `; the ${model.droppedRows} row(s) with missing values were not written` : ""}.\n`);
  }
}

/** The JSON contract of a fit from statistics: every field but the per-row fitted values and residuals, which stay with the rows (or go to --rows-out's file). */
function json(model: EstimatesModel, extra: object | null = null): string {
  return JSON.stringify({ ...estimatesToJSON(model), ...extra }, null, 2) + "\n";
}

/** `lmm sql`: the statistics query of a formula for a table, in a dialect. */
export async function sqlCommand(formula: string, flags: DesignFlags & { table?: string; dialect?: string; data?: string }, out: (s: string) => void): Promise<void> {
  if (!flags.table) throw new LmmError("Name the table the query reads: --table T (a table, a view, or a parenthesised query).");
  const name = flags.dialect ?? "duckdb";
  if (!(DIALECTS as readonly string[]).includes(name)) throw new LmmError(`Unknown --dialect ${quote(name)}: choose ${DIALECTS.join(", ")}.`);
  out(`${await (await routes()).statisticsQueryFor(formula, flags.table, name as DialectName, levelsSource(flags))};\n`);
}
