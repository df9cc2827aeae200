// Per-row outputs of a fit through DuckDB (lmm fit --rows-out FILE): a pass
// over the rows, run by DuckDB from the file to the output file, that writes
// each used row's model-frame columns with lme4's fitted(), predict(re.form =
// NA), residuals() and the scaled residuals of the summary. The rows never
// reach this process; rows dropped for missing values are not written.
import { resolve } from "node:path";
import { LmmError, quote, quoteList } from "../errors.js";
import { dialect } from "./dialect.js";
import type { DuckDB, FittedRows } from "./duckdb.js";
import type { ModelPlan } from "./plan.js";

const DUCKDB = dialect("duckdb");

/** The row's number in the data file, 1-based (R's row names): it identifies the row, whose place in the output a join does not promise to keep. */
const ROW_COLUMN = "row";

/** The columns computed for each row, after the model frame's. */
const OUTPUT_COLUMNS = ["fitted", "fixed", "resid", "scaled_resid"] as const;

/** A file the per-row outputs were written to, and how many rows it holds. */
export interface RowOutputs {
  file: string;
  rows: number;
}

/** Where to write the per-row outputs, and as what. */
export interface RowOutputsTarget {
  file: string;
  format: "parquet" | "csv";
}

/** The output file and its format by its extension; an error for another extension or for the data file itself. */
export function rowOutputsTarget(file: string, data: string): RowOutputsTarget {
  const format = /\.parquet$/i.test(file) ? "parquet" : /\.csv$/i.test(file) ? "csv" : undefined;
  if (format === undefined) throw new LmmError(`--rows-out writes Parquet or CSV, chosen by the extension: name the file ${quote(file.replace(/(\.[^./]*)?$/, ".parquet"))} or ${quote(file.replace(/(\.[^./]*)?$/, ".csv"))}.`);
  if (resolve(file) === resolve(data)) throw new LmmError(`--rows-out ${quote(file)} is the data file itself: write the per-row outputs to another file.`);
  return { file, format };
}

/**
 * The columns written, in order: the row's number, the grouping columns, the
 * other columns the formula reads, the response as the model sees it (named
 * as in the formula: `log(Reaction)`), then fitted, fixed, resid and scaled_resid.
 */
export function rowOutputColumns(plan: ModelPlan): { frame: string[]; names: string[] } {
  const frame = [...plan.groupColumns, ...plan.used.filter((c) => !plan.groupColumns.includes(c) && c !== plan.response)];
  const names = [ROW_COLUMN, ...frame, plan.response, ...OUTPUT_COLUMNS];
  const clash = names.find((n, i) => names.indexOf(n) !== i);
  if (clash !== undefined) {
    throw new LmmError(`The data column ${quote(clash)} has the name of a column --rows-out writes (${quoteList([ROW_COLUMN, ...OUTPUT_COLUMNS])}): rename it in the data, or fit a view that renames it.`);
  }
  return { frame, names };
}

/**
 * Write the per-row outputs of a fit with COPY (SELECT ...) TO: the rows are
 * numbered as they come from the file (row_number() OVER () keeps the file's
 * order), then the complete ones are joined to the conditional modes. Returns
 * the number of rows written, checked against the rows the fit used.
 */
export async function writeRowOutputs(
  db: DuckDB,
  plan: ModelPlan,
  table: string,
  rows: FittedRows,
  nobs: number,
  { file, format }: RowOutputsTarget,
): Promise<RowOutputs> {
  const { frame, names } = rowOutputColumns(plan);
  const id = DUCKDB.identifier;
  const values = [
    "lmm_rows.lmm_row_number",
    ...frame.map((c) => `lmm_rows.${id(c)}`),
    rows.response,
    rows.fitted,
    rows.fixed,
    rows.residual,
    rows.scaledResidual,
  ];
  // Numbered under a name of its own: a data column called `row` that the formula does not read is no clash.
  const numbered = `(SELECT *, row_number() OVER () AS lmm_row_number FROM ${table})`;
  const select = `SELECT ${values.map((v, i) => `${v} AS ${id(names[i])}`).join(", ")} FROM ${rows.from(numbered)}`;
  const options = format === "parquet" ? "FORMAT parquet" : "FORMAT csv, HEADER";
  const [result] = await db.rows(`COPY (${select}) TO ${DUCKDB.string(file)} (${options})`).catch((e: LmmError) => {
    throw new LmmError(`--rows-out could not write ${quote(file)}: ${e.message.replace(/^DuckDB could not run the query: /, "")}`);
  });
  const written = Number(result?.Count);
  // A level whose values did not match the data's (a type DuckDB cast otherwise) would lose its rows in the join.
  if (written !== nobs) throw new LmmError(`--rows-out wrote ${written} rows to ${quote(file)}, but the fit used ${nobs}: the conditional modes did not join to every row. Please report this with the data's column types.`);
  return { file, rows: written };
}
