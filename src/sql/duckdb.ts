// DuckDB, embedded (@duckdb/node-api): it reads Parquet and CSV files out of
// core and in parallel, so the rows of a file larger than memory go through it
// once for the statistics and once for the residuals' quantiles, and never
// reach this process.
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { LmmError, quote } from "../errors.js";
import { makeFactor } from "../model/factor.js";
import { dialect } from "./dialect.js";
import type { ModelPlan, TableColumn } from "./plan.js";
import type { StatisticsRow } from "./cell-table.js";

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

  /** The rows of a query as objects (BIGINT as bigint, DOUBLE as number, VARCHAR as string). */
  async rows(sql: string): Promise<StatisticsRow[]> {
    try {
      const reader = await this.connection.runAndReadAll(sql);
      return reader.getRowObjectsJS() as StatisticsRow[];
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
    const literal = (value: unknown, column: string) =>
      value === null ? "NULL" : `CAST(${typeof value === "string" ? DUCKDB.string(value) : String(value)} AS ${types.get(column)})`;
    const joins: string[] = [];
    const zb: string[] = [];
    for (const [k, term] of fit.terms.entries()) {
      const name = `lmm_modes_${k}`;
      const q = term.names.length;
      await this.rows(
        `CREATE OR REPLACE TEMP TABLE ${name} (${[...term.groupVars.map((g, j) => `g${j} ${types.get(g)}`), ...term.names.map((_, c) => `b${c} DOUBLE`)].join(", ")})`,
      );
      const CHUNK = 1000;
      for (let from = 0; from < term.levelValues.length; from += CHUNK) {
        const values = term.levelValues.slice(from, from + CHUNK).map((vals, i) => {
          const l = from + i;
          const b = term.names.map((_, c) => DUCKDB.double(String(term.effects[l * q + c])));
          return `(${[...vals.map((v, j) => literal(v, term.groupVars[j])), ...b].join(", ")})`;
        });
        await this.rows(`INSERT INTO ${name} VALUES ${values.join(", ")}`);
      }
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

  close(): void {
    this.connection.closeSync();
  }
}
