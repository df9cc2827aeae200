// DuckDB, embedded (@duckdb/node-api): it reads Parquet and CSV files out of
// core and in parallel, so the rows of a file larger than memory go through it
// once for the statistics and once for the residuals' quantiles, and never
// reach this process.
import { DuckDBInstance, DuckDBTypeId, JSDuckDBValueConverter, type DuckDBConnection, type DuckDBDataChunk, type DuckDBMaterializedResult } from "@duckdb/node-api";
import { LmmError, quote } from "../errors.js";
import { makeFactor } from "../model/factor.js";
import { dialect } from "./dialect.js";
import type { ModelPlan, TableColumn } from "./plan.js";
import type { StatisticsColumns } from "./cell-table.js";
import { exactQuantiles } from "./quantiles.js";

/** One row of a query's result: column name to value (BIGINT as bigint, DOUBLE as number, VARCHAR as string). */
export type ResultRow = Record<string, unknown>;

const DUCKDB = dialect("duckdb");

/** The cells read as missing in a CSV file: the in-memory reader's tokens (data.ts). */
const CSV_MISSING = ["", "NA", "NaN", "nan", "N/A"];

const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL(\(.*\))?)$/;

/** What the passes over the rows after a fit read of it: beta, sigma and each term's conditional modes by level. */
export interface FitParameters {
  beta: ArrayLike<number>;
  sigma: number;
  /** Per term: its grouping columns, its columns' names and SQL, the grouping columns' values of each level, and the modes (levels x columns, row-major). */
  terms: { groupVars: string[]; names: string[]; sql: string[]; levelValues: unknown[][]; effects: Float64Array }[];
}

/** The rows a fit used, joined to the conditional modes (DuckDB.fittedRows): a FROM clause and expressions over it. */
export interface FittedRows {
  /** The FROM clause over a table expression's complete rows (alias lmm_rows) and the modes' tables. */
  from(table: string): string;
  /** The response y, X beta (lme4's predict(re.form = NA)), X beta + Z b (fitted()) and y - X beta - Z b (residuals()). */
  response: string;
  fixed: string;
  fitted: string;
  residual: string;
  /** The residual over sigma: the summary's scaled residuals (residuals(type = "pearson", scaled = TRUE)). */
  scaledResidual: string;
}

/** A data file as a DuckDB table expression: Parquet by its extension, else CSV. */
export function fileTable(path: string): string {
  const file = DUCKDB.string(path);
  if (/\.parquet$/i.test(path)) return `read_parquet(${file})`;
  return `read_csv(${file}, nullstr = [${CSV_MISSING.map(DUCKDB.string).join(", ")}], header = true)`;
}

/** DuckDB's refusal of a query, its first line. */
function queryError(e: unknown): LmmError {
  return new LmmError(`DuckDB could not run the query: ${(e as Error).message.split("\n")[0]}`);
}

/** A DuckDB connection in memory, and the queries the fit from a file asks of it. */
export class DuckDB {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(): Promise<DuckDB> {
    const instance = await DuckDBInstance.create(":memory:");
    return new DuckDB(instance, await instance.connect());
  }

  /** Run `work` on a database of its own, closed when the work ends (or fails). */
  static async with<T>(work: (db: DuckDB) => Promise<T>): Promise<T> {
    const db = await DuckDB.open();
    try {
      return await work(db);
    } finally {
      db.close();
    }
  }

  /** The rows of a query as objects (BIGINT as bigint, DOUBLE as number, VARCHAR as string): for small results. */
  async rows(sql: string): Promise<ResultRow[]> {
    return (await this.run(sql)).getRowObjectsJS();
  }

  /**
   * The result of a query by column, for many rows: DOUBLE columns as
   * Float64Array, copied chunk by chunk from DuckDB's own buffers (NULL as
   * NaN), the others as JavaScript values (BIGINT as bigint, VARCHAR as
   * string). Converting a million cells' sums value by value took longer than
   * summing them. Of the columns named in `constant` (a value the query
   * repeats on every row, such as the statistics' column names) only the
   * first row's value is read.
   */
  async columns(sql: string, constant: readonly string[] = []): Promise<StatisticsColumns> {
    let result: DuckDBMaterializedResult;
    try {
      result = await this.connection.run(sql);
    } catch (e) {
      throw queryError(e);
    }
    const names = result.columnNames();
    const out: Record<string, Float64Array | unknown[]> = {};
    names.forEach((name, j) => (out[name] = result.columnTypeId(j) === DuckDBTypeId.DOUBLE && !constant.includes(name) ? new Float64Array(result.rowCount) : []));
    for (let c = 0, offset = 0; c < result.chunkCount; c++) {
      const chunk = result.getChunk(c);
      const rows = chunk.rowCount;
      names.forEach((name, j) => {
        const column = out[name];
        if (column instanceof Float64Array) {
          const vector = chunk.getColumnVector(j);
          for (let i = 0; i < rows; i++) column[offset + i] = (vector.getItem(i) as number | null) ?? Number.NaN;
        } else if (!constant.includes(name)) column.push(...chunk.convertColumnValues(j, JSDuckDBValueConverter));
        else if (c === 0 && rows > 0) column.push(JSDuckDBValueConverter(chunk.getColumnVector(j).getItem(0), result.columnType(j), JSDuckDBValueConverter));
      });
      offset += rows;
    }
    return out;
  }

  /**
   * A query's result chunk by chunk as DuckDB produces it (up to 2048 rows
   * each, by column): for results too large to hold.
   */
  async *chunks(sql: string): AsyncGenerator<DuckDBDataChunk> {
    const result = await this.connection.stream(sql).catch((e: Error) => {
      throw queryError(e);
    });
    for (;;) {
      const chunk = await result.fetchChunk().catch((e: Error) => {
        throw new LmmError(`DuckDB could not read the rows: ${e.message.split("\n")[0]}`);
      });
      if (!chunk || chunk.rowCount === 0) return;
      yield chunk;
    }
  }

  private async run(sql: string) {
    try {
      return await this.connection.runAndReadAll(sql);
    } catch (e) {
      throw queryError(e);
    }
  }

  /** The columns of a table expression, numeric or text, with DuckDB's type names. */
  async describe(table: string): Promise<(TableColumn & { type: string })[]> {
    const rows = await this.rows(`DESCRIBE SELECT * FROM ${table}`);
    return rows.map((r) => {
      const type = String(r.column_type);
      return { name: String(r.column_name), type, kind: NUMERIC_TYPE.test(type) ? "numeric" : "text" };
    });
  }

  /**
   * The levels of columns coded as factors, over the rows where every column
   * the model uses is present, in R's order (text by code point, numbers
   * numerically) or in the order `given` lists them.
   */
  async levels(table: string, columns: readonly TableColumn[], used: readonly string[], given: Record<string, string[]> = {}): Promise<Record<string, string[]>> {
    const complete = used.map((c) => `${DUCKDB.identifier(c)} IS NOT NULL`).join(" AND ");
    const out: Record<string, string[]> = {};
    for (const c of columns) {
      const id = DUCKDB.identifier(c.name);
      const values = (await this.rows(`SELECT DISTINCT ${id} AS v FROM ${table} WHERE ${complete || "TRUE"}`)).map((r) => r.v);
      const column = c.kind === "numeric" ? { kind: "numeric" as const, values: Float64Array.from(values, Number) } : { kind: "text" as const, values: values.map(String) };
      const all = Int32Array.from(values, (_, i) => i);
      out[c.name] = makeFactor(c.name, column, all, Object.hasOwn(given, c.name) ? given[c.name] : undefined).levels;
    }
    return out;
  }

  /**
   * The fitted rows of a fit as SQL, shared by every pass over the rows after
   * the fit: the conditional modes of each term are loaded as a table, joined
   * to the rows by their grouping columns, and the response, X beta and
   * X beta + Z b are expressions over the joined rows.
   */
  async fittedRows(plan: ModelPlan, types: Map<string, string>, fit: FitParameters): Promise<FittedRows> {
    const id = DUCKDB.identifier;
    const joins: string[] = [];
    const zb: string[] = [];
    for (const [k, term] of fit.terms.entries()) {
      const name = `lmm_modes_${k}`;
      await this.modesTable(name, term, types);
      joins.push(`JOIN ${name} ON ${term.groupVars.map((g, j) => `lmm_rows.${id(g)} = ${name}.lmm_g${j}`).join(" AND ")}`);
      term.sql.forEach((s, c) => zb.push(`(${s}) * ${name}.lmm_b${c}`));
    }
    const fixed = `(${plan.xSql.map((s, j) => `(${s}) * ${DUCKDB.number(fit.beta[j])}`).join(" + ")})`;
    const complete = plan.used.map((c) => `${id(c)} IS NOT NULL`).join(" AND ");
    const response = `(${plan.ySql})`;
    const fitted = `(${fixed} + ${zb.join(" + ")})`;
    const residual = `(${response} - ${fitted})`;
    return {
      from: (table) => `(SELECT * FROM ${table} WHERE ${complete}) AS lmm_rows ${joins.join(" ")}`,
      response,
      fixed,
      fitted,
      residual,
      scaledResidual: `${residual} / ${DUCKDB.number(fit.sigma)}`,
    };
  }

  /** Min, quartiles and max (R's type 7, exactly: quantiles.ts) of the scaled residuals (y - X beta - Z b) / sigma over the rows used. */
  async residualQuantiles(table: string, rows: FittedRows): Promise<number[]> {
    const values = `SELECT ${rows.scaledResidual} AS r FROM ${rows.from(table)}`;
    const { min, max, quantiles } = await exactQuantiles((sql) => this.rows(sql), values, [0.25, 0.5, 0.75], DUCKDB.number);
    return [min, ...quantiles, max];
  }

  /**
   * A term's conditional modes as a table (lmm_g0.. its grouping columns'
   * values, in the data's types; lmm_b0.. the modes: prefixed, so that no data
   * column the formula reads has their names), through an appender: the values
   * arrive as JavaScript gives them (text, bigint, number) and are cast to the
   * data's types in SQL, as a literal would be.
   */
  private async modesTable(name: string, term: FitParameters["terms"][number], types: Map<string, string>): Promise<void> {
    const q = term.names.length;
    const first = term.levelValues[0] ?? [];
    const jsType = (v: unknown) => (typeof v === "bigint" ? "BIGINT" : typeof v === "number" ? "DOUBLE" : "VARCHAR");
    const staging = `${name}_staging`;
    await this.run(`CREATE OR REPLACE TEMP TABLE ${staging} (${[...first.map((v, j) => `lmm_g${j} ${jsType(v)}`), ...term.names.map((_, c) => `lmm_b${c} DOUBLE`)].join(", ")})`);
    const appender = await this.connection.createAppender(staging);
    term.levelValues.forEach((values, level) => {
      values.forEach((v, j) => {
        if (jsType(v) !== jsType(first[j])) throw new LmmError(`The grouping column ${quote(term.groupVars[j])} holds values of more than one type: cast it to one type in the table.`);
        if (typeof v === "bigint") appender.appendBigInt(v);
        else if (typeof v === "number") appender.appendDouble(v);
        else appender.appendVarchar(String(v));
      });
      for (let c = 0; c < q; c++) appender.appendDouble(term.effects[level * q + c]);
      appender.endRow();
    });
    appender.closeSync();
    const cast = term.groupVars.map((g, j) => `CAST(lmm_g${j} AS ${types.get(g)}) AS lmm_g${j}`);
    await this.run(`CREATE OR REPLACE TEMP TABLE ${name} AS SELECT ${[...cast, ...term.names.map((_, c) => `lmm_b${c}`)].join(", ")} FROM ${staging}`);
    await this.run(`DROP TABLE ${staging}`);
  }

  /** Close the connection and the database: its memory (buffers, cached data) is freed now, not at garbage collection. */
  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
