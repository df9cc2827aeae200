// The statistics query: one SQL statement that an engine runs where the data
// live, returning per cell of levels (rows sharing every grouping column's
// value) the count and the sums of products of the model's columns. Each
// cell's sums are of centred values, so that a covariate far from zero keeps
// its digits: the printed query reads the table twice, as the engine plans it
// (the means of X's and y's columns first, then the grouped sums). Any
// constant shift gives the same fit, exactly (ProfiledDeviance maps beta back
// through it); only the digits kept depend on its being near the mean. So a
// caller that has the means of a sample of the rows (shiftsQuery) gives them as
// constants, and the engine reads the table once.
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

/**
 * The sum of each product v_i v_j (i >= j), written so that equal sums are the
 * same SQL: a column repeated (the intercept of X and of a random term, a
 * covariate in both) is read from its first copy, and the constant 1 is not
 * multiplied by (its sums are count(*) and the other column's sum). The engine
 * then computes each distinct aggregate once (DuckDB's binder merges equal
 * aggregates): 46 aggregates become 36 for (time | id) with time * group.
 */
function productSums(v: VColumns, d: Dialect, value: (j: number) => string): string[] {
  const key = (j: number) => `${v.centred[j]}:${v.sql[j]}`;
  const first = v.names.map((_, j) => v.names.findIndex((_, k) => key(k) === key(j)));
  const one = (j: number) => !v.centred[j] && v.sql[j] === d.double("1");
  const sums: string[] = [];
  for (let i = 0; i < v.names.length; i++) {
    for (let j = 0; j <= i; j++) {
      const [a, b] = [first[i], first[j]].sort((x, y) => x - y);
      const factors = [a, b].filter((k) => !one(k)).map(value);
      const sum = factors.length === 0 ? "count(*)" : `sum(${factors.join(" * ")})`;
      sums.push(`${sum} AS ${STAT_COLUMNS.sum(i, j)}`);
    }
  }
  return sums;
}

/** The rows with every column the model uses present. */
function completeRows(plan: ModelPlan, d: Dialect): string {
  return plan.used.map((c) => `${d.identifier(c)} IS NOT NULL`).join("\n    AND ");
}

/**
 * The means of the centred columns of v (in v's order, over the first `sample`
 * rows with every column present): shifts for statisticsQuery that cost a read
 * of the table's start only. One row, columns m0, m1, ... (NULL without rows).
 */
export function shiftsQuery(plan: ModelPlan, table: string, d: Dialect, sample: number): string {
  const v = vColumns(plan);
  const centred = v.names.map((_, j) => j).filter((j) => v.centred[j]);
  return [
    `SELECT ${centred.length === 0 ? "count(*) AS n" : centred.map((j) => `avg(v${j}) AS m${j}`).join(", ")}`,
    `FROM (SELECT ${v.sql.map((s, j) => `${s} AS v${j}`).join(", ")} FROM ${table} WHERE ${completeRows(plan, d)} LIMIT ${sample}) AS lmm_sample`,
  ].join("\n");
}

/**
 * The statistics query for a plan, on a table (a name, or a parenthesised
 * query such as DuckDB's read_parquet(...)). With `shifts` (per column of v,
 * read for the centred ones), those constants are subtracted and the table is
 * read once; without, the means over the rows used, in a first pass.
 */
export function statisticsQuery(plan: ModelPlan, table: string, d: Dialect, shifts?: readonly number[]): string {
  const v = vColumns(plan);
  const id = d.identifier;
  const groups = plan.groupColumns.map(id);
  const value = (j: number) => `v${j}`;
  const mean = (j: number) => `m${j}`;
  const centredCols = v.names.map((_, j) => j).filter((j) => v.centred[j]);
  const complete = completeRows(plan, d);
  const sums = productSums(v, d, value);
  const columnsJson = `${d.string(JSON.stringify(v.names))} AS ${STAT_COLUMNS.columns}`;
  if (shifts) {
    // The constant as a string cast to a double: the engine reads the shortest round-trip digits back to the same double.
    const constant = (j: number) => d.double(d.string(String(shifts[j])));
    return [
      "WITH lmm_rows AS (",
      `  SELECT ${[...groups, ...v.sql.map((s, j) => (v.centred[j] ? `${s} - ${constant(j)}` : s) + ` AS ${value(j)}`)].join(",\n         ")}`,
      `  FROM ${table}`,
      `  WHERE ${complete}`,
      ")",
      `SELECT ${[
        ...groups,
        `count(*) AS ${STAT_COLUMNS.count}`,
        ...sums,
        ...centredCols.map((j) => `${constant(j)} AS ${STAT_COLUMNS.shift(j)}`),
        `(SELECT count(*) FROM ${table}) AS ${STAT_COLUMNS.tableRows}`,
        columnsJson,
      ].join(",\n       ")}`,
      "FROM lmm_rows",
      `GROUP BY ${groups.join(", ")}`,
    ].join("\n");
  }
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
  const select = [
    ...groups,
    `count(*) AS ${STAT_COLUMNS.count}`,
    ...sums,
    ...centredCols.map((j) => `min(${mean(j)}) AS ${STAT_COLUMNS.shift(j)}`),
    `min(lmm_table_rows) AS ${STAT_COLUMNS.tableRows}`,
    columnsJson,
  ];
  lines.push(`SELECT ${select.join(",\n       ")}`, "FROM lmm_centred", `GROUP BY ${groups.join(", ")}`);
  return lines.join("\n");
}
