// The responses of a batch: a features x samples matrix, as omics tables come
// (first column the feature id, then one column per sample). Cells are typed as
// in the sample table: numbers, Inf, and missing-value tokens (empty, NA, NaN).
// A batch reads its responses block by block through a ResponseSource: a matrix
// in memory is one, and a file read by DuckDB (response-file.ts) is another,
// streamed so that the whole matrix never has to be held.
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

/** Consecutive features of a ResponseSource, laid out for the fits. */
export interface ResponseBlock {
  features: string[];
  /** Features x sample rows, row-major: feature k's value for row i at k * rows + i; NaN = missing. */
  values: Float64Array;
  /** Features (index in the block) with a cell that is not a number: why they get no estimates. */
  invalid?: Map<number, string>;
}

/**
 * Responses read in blocks of features, in order: what `fitMany()` takes
 * besides a ResponseMatrix, for matrices larger than memory (see
 * openResponseFile).
 */
export interface ResponseSource {
  /** Sample ids, one per response column. */
  samples: string[];
  /** How many features `blocks` yields in all. */
  featureCount: number;
  /**
   * The features in order, in blocks; `columnOf[i]` is the response column of
   * sample row i (-1: not measured, NaN for every feature). A block is valid
   * until the next is asked for (its buffer may be reused): copy what you keep.
   */
  blocks(columnOf: Int32Array): AsyncIterable<ResponseBlock>;
}

/** Features per block of a matrix in memory: enough that a block costs nothing next to its fits. */
const MATRIX_BLOCK = 2048;

/** A matrix in memory as a ResponseSource. */
export function matrixSource(m: ResponseMatrix): ResponseSource {
  const S = m.samples.length;
  return {
    samples: m.samples,
    featureCount: m.features.length,
    async *blocks(columnOf) {
      const rows = columnOf.length;
      for (let first = 0; first < m.features.length; first += MATRIX_BLOCK) {
        const features = m.features.slice(first, first + MATRIX_BLOCK);
        const values = new Float64Array(features.length * rows);
        const invalid = new Map<number, string>();
        features.forEach((_, k) => {
          const f = first + k;
          for (let i = 0; i < rows; i++) values[k * rows + i] = columnOf[i] < 0 ? NaN : m.values[f * S + columnOf[i]];
          const problem = m.invalid?.get(f);
          if (problem) invalid.set(k, problem);
        });
        yield { features, values, invalid };
      }
    },
  };
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
