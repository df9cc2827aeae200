// The statistics query: one SQL statement that an engine runs where the data
// live, returning per cell of levels (rows sharing every grouping column's
// value) the count and the sums of products of the model's columns. It reads
// the table twice, as the engine plans it: the means of X's and y's columns
// first (each cell's sums are of centred values, so that a covariate far from
// zero keeps its digits), then the grouped sums.
import type { Dialect } from "./dialect.js";
import type { ModelPlan } from "./plan.js";

/** Names of the query's output columns (the statistics file's format). */
export const STAT_COLUMNS = {
  /** Rows of the cell. */
  count: "n",
  /** Sum over the cell of v_i v_j (i >= j; v as in VColumns). */
  sum: (i: number, j: number) => `s_${i}_${j}`,
  /** What was subtracted from v_j before summing (the mean over the rows used), for the centred columns. */
  shift: (j: number) => `shift_${j}`,
  /** Rows of the table, before rows with a missing value were dropped. */
  tableRows: "table_rows",
  /** The names of v's columns as JSON, to check that the statistics belong to the model. */
  columns: "lmm_columns",
} as const;

/** The columns of v in the plan's (formula) order, with which of them are centred. */
export interface VColumns {
  names: string[];
  sql: string[];
  /** Per column, whether it is centred: X's non-intercept columns and y, when the model has an intercept. */
  centred: boolean[];
}

/** v = [each term's Z columns, X, y], named `group.column`, X's names, and the response's. */
export function vColumns(plan: ModelPlan): VColumns {
  const z = plan.terms.flatMap((t) => t.names.map((n, k) => ({ name: `${t.group}.${n}`, sql: t.sql[k], centred: false })));
  // Centring is a change of basis only where an intercept absorbs the means.
  const intercept = plan.xNames[0] === "(Intercept)";
  const x = plan.xNames.map((name, k) => ({ name, sql: plan.xSql[k], centred: intercept && k > 0 }));
  const all = [...z, ...x, { name: plan.response, sql: plan.ySql, centred: intercept }];
  return { names: all.map((c) => c.name), sql: all.map((c) => c.sql), centred: all.map((c) => c.centred) };
}

/** The statistics query for a plan, on a table (a name, or a parenthesised query such as DuckDB's read_parquet(...)). */
export function statisticsQuery(plan: ModelPlan, table: string, d: Dialect): string {
  const v = vColumns(plan);
  const id = d.identifier;
  const groups = plan.groupColumns.map(id);
  const value = (j: number) => `v${j}`;
  const mean = (j: number) => `m${j}`;
  const centredCols = v.names.map((_, j) => j).filter((j) => v.centred[j]);
  const complete = plan.used.map((c) => `${id(c)} IS NOT NULL`).join("\n    AND ");
  const lines = [
    "WITH lmm_rows AS (",
    `  SELECT ${[...groups, ...v.sql.map((s, j) => `${s} AS ${value(j)}`)].join(",\n         ")}`,
    `  FROM ${table}`,
    `  WHERE ${complete}`,
    "),",
    "lmm_means AS (",
    `  SELECT ${[...centredCols.map((j) => `avg(${value(j)}) AS ${mean(j)}`), `(SELECT count(*) FROM ${table}) AS lmm_table_rows`].join(",\n         ")}`,
    "  FROM lmm_rows",
    "),",
    "lmm_centred AS (",
    `  SELECT ${[...groups, ...v.names.map((_, j) => (v.centred[j] ? `${value(j)} - ${mean(j)} AS ${value(j)}` : value(j))), ...centredCols.map(mean), "lmm_table_rows"].join(",\n         ")}`,
    "  FROM lmm_rows CROSS JOIN lmm_means",
    ")",
  ];
  const sums: string[] = [];
  for (let i = 0; i < v.names.length; i++) for (let j = 0; j <= i; j++) sums.push(`sum(${value(i)} * ${value(j)}) AS ${STAT_COLUMNS.sum(i, j)}`);
  const select = [
    ...groups,
    `count(*) AS ${STAT_COLUMNS.count}`,
    ...sums,
    ...centredCols.map((j) => `min(${mean(j)}) AS ${STAT_COLUMNS.shift(j)}`),
    `min(lmm_table_rows) AS ${STAT_COLUMNS.tableRows}`,
    `${d.string(JSON.stringify(v.names))} AS ${STAT_COLUMNS.columns}`,
  ];
  lines.push(`SELECT ${select.join(",\n       ")}`, "FROM lmm_centred", `GROUP BY ${groups.join(", ")}`);
  return lines.join("\n");
}
