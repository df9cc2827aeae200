// A responses file read by DuckDB as a ResponseSource: Parquet (or CSV with
// --engine duckdb), laid out as the CSV responses are (the feature id in the
// first column, then one numeric column per sample id, one row per feature).
// Features stream in blocks; only the sample columns the batch uses are read,
// by column from DuckDB's vectors, so the matrix itself is never held.
import type { DuckDBVector } from "@duckdb/node-api";
import { statSync } from "node:fs";
import { LmmError, quote } from "../errors.js";
import { checkOptions, type OptionSpec } from "../options.js";
import { dialect } from "../sql/dialect.js";
import { DuckDB, fileTable } from "../sql/duckdb.js";
import type { ResponseBlock, ResponseSource } from "./responses.js";

/** Options of `openResponseFile()`. */
export interface ResponseFileOptions {
  /** Features read per block (default 2048): the memory a block takes is this x samples x 8 bytes. */
  blockFeatures?: number;
}

const RESPONSE_FILE_OPTIONS: OptionSpec = { blockFeatures: "count" };

/** A responses file open in DuckDB; close it when the batch is done. */
export interface ResponseFile extends ResponseSource {
  close(): void;
}

/** Features per block by default: DuckDB's own chunk of rows. */
const BLOCK_FEATURES = 2048;
/** Features transposed at a time from DuckDB's columns into rows, so that the rows written stay in cache. */
const TILE = 64;

const SQL = dialect("duckdb");

/**
 * Open a responses file (`.parquet`, else CSV/TSV) through DuckDB: its
 * columns are checked and its features counted here; `blocks()` reads them.
 */
export async function openResponseFile(path: string, options: ResponseFileOptions = {}): Promise<ResponseFile> {
  checkOptions(options, RESPONSE_FILE_OPTIONS, "openResponseFile()");
  const blockFeatures = options.blockFeatures ?? BLOCK_FEATURES;
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new LmmError(`Cannot read ${quote(path)} (no such file): give the path of a Parquet or CSV file.`);
  if (stat.isDirectory()) throw new LmmError(`Cannot read ${quote(path)} (it is a directory): give the path of a Parquet or CSV file.`);
  if (stat.size === 0) throw new LmmError(`The responses file ${quote(path)} is empty: it needs a feature id column, then one column per sample, and one row per feature.`);
  const db = await DuckDB.open();
  try {
    // One thread: the fits take the cores, and a parallel scan would read row
    // groups ahead of them (held in memory until the fits catch up); one thread
    // reads only as the fits take blocks, several times faster than they fit.
    // No cache of the file's bytes: each is read once, and the cache would grow
    // toward the file's size.
    await db.rows("SET threads = 1");
    await db.rows("SET enable_external_file_cache = false");
    const table = fileTable(path);
    const columns = await db.describe(table).catch((e: Error) => {
      throw new LmmError(`DuckDB could not read ${quote(path)}: ${e.message.replace(/^DuckDB could not run the query: /, "")}`);
    });
    if (columns.length < 2) throw new LmmError(`The responses file ${quote(path)} has ${columns.length} column: it needs a feature id column and at least one sample column.`);
    const [id, ...samples] = columns;
    for (const c of samples) {
      if (c.kind !== "numeric") throw new LmmError(await notNumeric(db, table, path, id.name, c));
    }
    const [{ n }] = await db.rows(`SELECT count(*) AS n FROM ${table}`);
    const featureCount = Number(n);
    if (featureCount === 0) throw new LmmError(`The responses file ${quote(path)} has sample columns but no features: add one row per feature.`);
    return {
      samples: samples.map((c) => c.name),
      featureCount,
      blocks: (columnOf) => readBlocks(db, path, table, id.name, samples, columnOf, blockFeatures),
      close: () => db.close(),
    };
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Why a sample column is refused: its type, and for text a cell that is not a number. */
async function notNumeric(db: DuckDB, table: string, path: string, id: string, c: { name: string; type: string }): Promise<string> {
  const column = SQL.identifier(c.name);
  const csv = !/\.parquet$/i.test(path);
  let example = "";
  if (c.type === "VARCHAR") {
    const [row] = await db.rows(
      `SELECT CAST(${SQL.identifier(id)} AS VARCHAR) AS feature, ${column} AS cell FROM ${table} WHERE ${column} IS NOT NULL AND TRY_CAST(${column} AS DOUBLE) IS NULL LIMIT 1`,
    );
    if (row) example = ` (e.g. ${quote(String(row.cell))} for feature ${quote(String(row.feature))})`;
  }
  const fix = csv
    ? "fix those cells, or read the file with --engine memory, which gives such features a status instead of estimates"
    : "write the column as numbers (DOUBLE), with missing values as NULL";
  return `Sample column ${quote(c.name)} of ${quote(path)} holds ${c.type}, not numbers${example}: ${fix}.`;
}

/**
 * The features in blocks of `size`: ids as text, and each block's values laid
 * out by sample row (NaN for rows without a column, and for NULL and NaN cells).
 */
async function* readBlocks(
  db: DuckDB,
  path: string,
  table: string,
  id: string,
  samples: { name: string; type: string }[],
  columnOf: Int32Array,
  size: number,
): AsyncGenerator<ResponseBlock> {
  const rows = columnOf.length;
  // The sample rows that have a column, and the columns they read, in row order
  // (as DOUBLE: other numeric types are cast; NULL is read as NaN below).
  const targets = Array.from(columnOf.keys()).filter((i) => columnOf[i] >= 0);
  const select = targets.map((i) => {
    const { name, type } = samples[columnOf[i]];
    return type === "DOUBLE" ? SQL.identifier(name) : `CAST(${SQL.identifier(name)} AS DOUBLE)`;
  });
  const sql = `SELECT coalesce(trim(CAST(${SQL.identifier(id)} AS VARCHAR)), '') AS feature, ${select.join(", ")} FROM ${table}`;
  // One buffer for every block (a block is the consumer's until it asks for
  // the next): rows without a column stay NaN, the others are overwritten.
  const values = new Float64Array(size * rows).fill(NaN);
  let features: string[] = [];
  const chunks = db.chunks(sql);
  for (;;) {
    const next = await chunks.next().catch((e: Error) => {
      throw new LmmError(`DuckDB could not read ${quote(path)}: ${e.message.replace(/^DuckDB could not (run the query|read the rows): /, "")}`);
    });
    if (next.done) break;
    const chunk = next.value;
    const n = chunk.rowCount;
    const ids = chunk.getColumnVector(0);
    const vectors = targets.map((_, j) => chunk.getColumnVector(j + 1));
    for (let r = 0; r < n; ) {
      const k = features.length;
      const take = Math.min(n - r, size - k);
      for (let t = 0; t < take; t++) features.push(String(ids.getItem(r + t)));
      transpose(vectors, targets, r, take, values, k, rows);
      r += take;
      if (features.length === size) {
        yield { features, values };
        features = [];
      }
    }
  }
  if (features.length > 0) yield { features, values: values.subarray(0, features.length * rows) };
}

/**
 * Rows r.. r+take-1 of DuckDB's column vectors into rows k.. of `values`
 * (feature-major, `rows` wide; vector j fills sample row targets[j]), a tile
 * of features at a time. A plain function, apart from the async generator,
 * so that the engine optimises its loop.
 */
function transpose(vectors: DuckDBVector[], targets: number[], r: number, take: number, values: Float64Array, k: number, rows: number): void {
  for (let t0 = 0; t0 < take; t0 += TILE) {
    const t1 = Math.min(take, t0 + TILE);
    for (let j = 0; j < targets.length; j++) {
      const v = vectors[j];
      const i = targets[j];
      for (let t = t0; t < t1; t++) values[(k + t) * rows + i] = (v.getItem(r + t) as number | null) ?? NaN;
    }
  }
}
