// DuckDB, embedded (@duckdb/node-api): it reads Parquet and CSV files out of
// core and in parallel, so the rows of a file larger than memory go through it
// once for the statistics and once for the residuals' quantiles, and never
// reach this process.
import { DuckDBInstance, type DuckDBConnection, type DuckDBDataChunk } from "@duckdb/node-api";
import { LmmError, quote } from "../errors.js";
import { makeFactor } from "../model/factor.js";
import { dialect } from "./dialect.js";
import type { ModelPlan, TableColumn } from "./plan.js";
import type { StatisticsColumns } from "./cell-table.js";

/** One row of a query's result: column name to value (BIGINT as bigint, DOUBLE as number, VARCHAR as string). */
export type ResultRow = Record<string, unknown>;

const DUCKDB = dialect("duckdb");

/** The cells read as missing in a CSV file: the in-memory reader's tokens (data.ts). */
const CSV_MISSING = ["", "NA", "NaN", "nan", "N/A"];

const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL(\(.*\))?)$/;

/** A data file as a DuckDB table expression: Parquet by its extension, else CSV. */
export function fileTable(path: string): string {
  const file = DUCKDB.string(path);
  if (/\.parquet$/i.test(path)) return `read_parquet(${file})`;
  return `read_csv(${file}, nullstr = [${CSV_MISSING.map(DUCKDB.string).join(", ")}], header = true)`;
}

/** A DuckDB connection in memory, and the queries the fit from a file asks of it. */
export class DuckDB {
  private constructor(private readonly connection: DuckDBConnection) {}

  static async open(): Promise<DuckDB> {
    const instance = await DuckDBInstance.create(":memory:");
    return new DuckDB(await instance.connect());
  }

  /** The rows of a query as objects (BIGINT as bigint, DOUBLE as number, VARCHAR as string): for small results. */
  async rows(sql: string): Promise<ResultRow[]> {
    return (await this.run(sql)).getRowObjectsJS();
  }

  /** The result of a query by column: for many rows, five times faster to convert than row objects. */
  async columns(sql: string): Promise<StatisticsColumns> {
    return (await this.run(sql)).getColumnsObjectJS();
  }

  /**
   * A query's result chunk by chunk as DuckDB produces it (up to 2048 rows
   * each, by column): for results too large to hold.
   */
  async *chunks(sql: string): AsyncGenerator<DuckDBDataChunk> {
    const result = await this.connection.stream(sql).catch((e: Error) => {
      throw new LmmError(`DuckDB could not run the query: ${e.message.split("\n")[0]}`);
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
      throw new LmmError(`DuckDB could not run the query: ${(e as Error).message.split("\n")[0]}`);
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
   * Min, quartiles and max (quantile_cont: R's type 7) of the scaled residuals
   * (y - X beta - Z b) / sigma over the rows used: the conditional modes of
   * each term are loaded as a table and joined to the rows by their grouping columns.
   */
  async residualQuantiles(
    plan: ModelPlan,
    table: string,
    types: Map<string, string>,
    fit: { beta: ArrayLike<number>; sigma: number; terms: { groupVars: string[]; names: string[]; sql: string[]; levelValues: unknown[][]; effects: Float64Array }[] },
  ): Promise<number[]> {
    const id = DUCKDB.identifier;
    const joins: string[] = [];
    const zb: string[] = [];
    for (const [k, term] of fit.terms.entries()) {
      const name = `lmm_modes_${k}`;
      await this.modesTable(name, term, types);
      joins.push(`JOIN ${name} ON ${term.groupVars.map((g, j) => `lmm_rows.${id(g)} = ${name}.g${j}`).join(" AND ")}`);
      term.sql.forEach((s, c) => zb.push(`(${s}) * ${name}.b${c}`));
    }
    const xb = plan.xSql.map((s, j) => `(${s}) * ${DUCKDB.double(String(fit.beta[j]))}`);
    const complete = plan.used.map((c) => `${id(c)} IS NOT NULL`).join(" AND ");
    const sql = [
      `WITH lmm_rows AS (SELECT * FROM ${table} WHERE ${complete})`,
      `SELECT quantile_cont(((${plan.ySql}) - (${xb.join(" + ")}) - (${zb.join(" + ")})) / ${DUCKDB.double(String(fit.sigma))}, [0, 0.25, 0.5, 0.75, 1]) AS q`,
      `FROM lmm_rows ${joins.join(" ")}`,
    ].join("\n");
    const [row] = await this.rows(sql);
    const q = row?.q;
    if (!Array.isArray(q) || q.length !== 5) throw new LmmError(`DuckDB returned no residual quantiles for ${quote(plan.formula.text)}.`);
    return q.map(Number);
  }

  /**
   * A term's conditional modes as a table (g0.. its grouping columns' values,
   * in the data's types; b0.. the modes), through an appender: the values
   * arrive as JavaScript gives them (text, bigint, number) and are cast to the
   * data's types in SQL, as a literal would be.
   */
  private async modesTable(name: string, term: { groupVars: string[]; names: string[]; levelValues: unknown[][]; effects: Float64Array }, types: Map<string, string>): Promise<void> {
    const q = term.names.length;
    const first = term.levelValues[0] ?? [];
    const jsType = (v: unknown) => (typeof v === "bigint" ? "BIGINT" : typeof v === "number" ? "DOUBLE" : "VARCHAR");
    const staging = `${name}_staging`;
    await this.run(`CREATE OR REPLACE TEMP TABLE ${staging} (${[...first.map((v, j) => `g${j} ${jsType(v)}`), ...term.names.map((_, c) => `b${c} DOUBLE`)].join(", ")})`);
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
    const cast = term.groupVars.map((g, j) => `CAST(g${j} AS ${types.get(g)}) AS g${j}`);
    await this.run(`CREATE OR REPLACE TEMP TABLE ${name} AS SELECT ${[...cast, ...term.names.map((_, c) => `b${c}`)].join(", ")} FROM ${staging}`);
    await this.run(`DROP TABLE ${staging}`);
  }

  close(): void {
    this.connection.closeSync();
  }
}
