// The responses of a batch: a features x samples matrix, as omics tables come
// (first column the feature id, then one column per sample). Cells are typed as
// in the sample table: numbers, Inf, and missing-value tokens (empty, NA, NaN).
import Papa from "papaparse";
import { readTextFile } from "../csv.js";
import { cellNumber } from "../data.js";
import { LmmError, quote } from "../errors.js";

/** Features x samples, row-major; NaN = missing. */
export interface ResponseMatrix {
  /** Feature ids, one per row of `values` (duplicates allowed: each row is fitted). */
  features: string[];
  /** Sample ids, one per column of `values`. */
  samples: string[];
  values: Float64Array;
  /**
   * Features whose row holds a cell that is not a number: feature index ->
   * message. They get a row with that status and no estimates.
   */
  invalid?: Map<number, string>;
}

/**
 * Parse a responses table (CSV or TSV, the delimiter is detected): a header row
 * (any name for the id column, then the sample ids) and one row per feature.
 */
export function parseResponses(text: string): ResponseMatrix {
  if (text.trim() === "") throw new LmmError("The responses file is empty: it needs a header row (feature id, then sample ids) and one row per feature.");
  let header: string[] | undefined;
  const features: string[] = [];
  const invalid = new Map<number, string>();
  let values = new Float64Array(0);
  let rowError: string | undefined;
  const source = text.replace(/^\uFEFF/, "");
  Papa.parse<string[]>(source, {
    skipEmptyLines: "greedy",
    step: (res, parser) => {
      const row = res.data;
      if (!header) {
        header = row.map((h) => h.trim());
        values = new Float64Array(1024 * Math.max(header.length - 1, 1));
        return;
      }
      const width = header.length;
      if (row.length !== width) {
        // The file's line (blank lines are skipped, so the feature count would miss them).
        const line = source.slice(0, res.meta.cursor).trimEnd().split("\n").length;
        rowError = `Responses line ${line} has ${row.length} fields but the header has ${width}: every row needs a feature id and one value per sample.`;
        parser.abort();
        return;
      }
      const S = width - 1;
      const f = features.length;
      if ((f + 1) * S > values.length) {
        const grown = new Float64Array(values.length * 2);
        grown.set(values);
        values = grown;
      }
      features.push(row[0].trim());
      for (let j = 0; j < S; j++) {
        const v = cellNumber(row[j + 1]);
        values[f * S + j] = v ?? NaN;
        if (v === undefined && !invalid.has(f)) {
          invalid.set(f, `non-numeric value ${quote(row[j + 1].trim())} for sample ${quote(header![j + 1])}: fix the responses file`);
        }
      }
    },
  });
  if (rowError) throw new LmmError(rowError);
  if (!header || header.length < 2) throw new LmmError("The responses header needs a feature id column and at least one sample column.");
  if (features.length === 0) throw new LmmError("The responses file has a header but no features: add one row per feature.");
  const samples = header.slice(1);
  const blank = samples.indexOf("");
  if (blank >= 0) throw new LmmError(`Column ${blank + 2} of the responses header has no sample id (a trailing delimiter?): give every column a sample id.`);
  const seen = new Set<string>();
  for (const s of samples) {
    if (seen.has(s)) throw new LmmError(`The responses header names sample ${quote(s)} twice: sample ids must be unique.`);
    seen.add(s);
  }
  return { features, samples, values: values.slice(0, features.length * samples.length), invalid };
}

/** Read a responses table from a file in Node. In a browser, fetch the text and call parseResponses. */
export async function readResponses(path: string): Promise<ResponseMatrix> {
  return parseResponses(await readTextFile(path));
}
