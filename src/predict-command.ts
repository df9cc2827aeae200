// `lmm predict`: fit, then predict the rows of new data; CSV of the new data's
// columns followed by `fit` (and `se`, `lower`, `upper` with --se), or with
// --json an array of row objects with the same keys.
import { designOptions, type DesignFlags } from "./cli-options.js";
import { formatCSV, readCSV } from "./csv.js";
import type { Column, DataFrame } from "./data.js";
import { LmmError, quote } from "./errors.js";
import { lmer } from "./fit/lmer.js";

/** The flags of `lmm predict`. */
export interface PredictFlags extends DesignFlags {
  newdata?: string;
  ml?: boolean;
  re?: boolean;
  allowNewLevels?: boolean;
  se?: boolean;
  level?: string;
  json?: boolean;
}

/**
 * Significant digits of the CSV's predictions: R's write.csv writes 15, which
 * keeps every digit a double carries with meaning and drops the last
 * binary-to-decimal noise (251.405104848486, not 251.40510484848602).
 */
const CSV_DIGITS = 15;

/** A cell of the new data as read: numbers stay numbers, missing values are NA (as R's write.csv). */
function cell(col: Column, i: number): number | string {
  if (col.kind === "numeric") return Number.isNaN(col.values[i]) ? "NA" : col.values[i];
  return col.values[i] ?? "NA";
}

/** JSON value of a cell: missing is null. */
function jsonCell(col: Column, i: number): number | string | null {
  if (col.kind === "numeric") return Number.isNaN(col.values[i]) ? null : col.values[i];
  return col.values[i];
}

/** Fit the model, predict the new data and write the table; a note on `err` counts the rows left NA. */
export async function predictCommand(data: string, formula: string, flags: PredictFlags, out: (s: string) => void, err: (s: string) => void): Promise<void> {
  if (!flags.newdata) throw new LmmError("No new data given: add --newdata NEW.csv with the columns the formula uses.");
  if (flags.level !== undefined && !flags.se) throw new LmmError("--level sets the confidence level of the intervals of --se: add --se (and --no-re).");
  const level = flags.level === undefined ? undefined : Number(flags.level);
  if (level !== undefined && Number.isNaN(level)) throw new LmmError(`--level must be a number such as 0.95, not ${quote(flags.level)}.`);
  const newdata = await readCSV(flags.newdata);
  const clash = (flags.se ? ["fit", "se", "lower", "upper"] : ["fit"]).find((k) => newdata.columns.has(k));
  if (clash) throw new LmmError(`The new data has a column ${quote(clash)}, which the output adds: rename that column.`);
  const model = await lmer(formula, await readCSV(data), { REML: !flags.ml, ddf: "none", ...designOptions(flags) });
  const options = { re: flags.re !== false, allowNewLevels: flags.allowNewLevels };
  let results: Record<string, Float64Array>;
  if (flags.se) {
    const { fit, se, lower, upper } = model.predict(newdata, { ...options, se: true, level });
    results = { fit, se, lower, upper };
  } else {
    results = { fit: model.predict(newdata, options) };
  }
  out(flags.json ? predictionJSON(newdata, results) : predictionCSV(newdata, results));
  const missing = results.fit.filter(Number.isNaN).length;
  if (missing > 0) {
    err(`lmm: ${missing} of ${newdata.nrow} rows of the new data lack a value the prediction needs: their fit is NA.\n`);
  }
}

function predictionCSV(newdata: DataFrame, results: Record<string, Float64Array>): string {
  const value = (x: number) => (Number.isNaN(x) ? "NA" : Number(x.toPrecision(CSV_DIGITS)));
  const rows = Array.from({ length: newdata.nrow }, (_, i) => [
    ...newdata.names.map((name) => cell(newdata.columns.get(name)!, i)),
    ...Object.values(results).map((col) => value(col[i])),
  ]);
  return formatCSV([[...newdata.names, ...Object.keys(results)], ...rows]);
}

function predictionJSON(newdata: DataFrame, results: Record<string, Float64Array>): string {
  const rows = Array.from({ length: newdata.nrow }, (_, i) => ({
    ...Object.fromEntries(newdata.names.map((name) => [name, jsonCell(newdata.columns.get(name)!, i)])),
    ...Object.fromEntries(Object.entries(results).map(([k, col]) => [k, Number.isNaN(col[i]) ? null : col[i]])),
  }));
  return JSON.stringify(rows, null, 2) + "\n";
}
