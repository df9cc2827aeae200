// The statistics query: one SQL statement that an engine runs where the data
// live, returning per cell of levels (rows sharing every grouping column's
// value) the count and the sums of products of the model's columns.
//
// Every column of v = [Z, X, y] is a product of factor-level indicators and
// numeric parts (plan.ts, ColumnParts); the numeric products that occur form a
// small basis (for y ~ time * group + (time | id): 1, time, y). The rows are
// grouped by the grouping columns and the factors' columns, and only the
// basis's products are summed per such cell (6 sums, not the 36 distinct sums
// of v_i v_j): the indicators are constant in a cell, so each sum of v_i v_j
// is a combination of them, formed by the reader (cell-table.ts). The rows,
// the costly part, see the few sums, and the result is small.
//
// The basis is centred, so that a covariate far from zero keeps its digits:
// the printed query reads the table twice, as the engine plans it (the means
// first, then the grouped sums). Any constant shift gives the same statistics
// up to rounding; only the digits kept depend on its being near the mean. So a
// caller that has the means of a sample of the rows (shiftsQuery) gives them
// as constants, and the engine reads the table once.
import type { Dialect } from "./dialect.js";
import type { ColumnParts, ModelPlan } from "./plan.js";

/** Names of the query's output columns (the statistics file's format). */
export const STAT_COLUMNS = {
  /** Rows of the cell. */
  count: "n",
  /** Sum over the cell of u_e u_f (e >= f >= 1), u_e the basis element e minus its shift; f = 0: of u_e. */
  moment: (e: number, f: number) => `m_${e}_${f}`,
  /** What was subtracted from basis element e before summing (the same in every row). */
  shift: (e: number) => `c_${e}`,
  /** Rows of the table, before rows with a missing value were dropped. */
  tableRows: "table_rows",
  /** v's column names and the basis's as JSON, to check that the statistics belong to the model. */
  columns: "lmm_columns",
} as const;

/** The columns of v in the plan's (formula) order, with which of them are centred. */
export interface VColumns {
  names: string[];
  parts: ColumnParts[];
  /** Per column, whether it is centred: X's non-intercept columns and y, when the model has an intercept. */
  centred: boolean[];
}

/** v = [each term's Z columns, X, y], named `group.column`, X's names, and the response's. */
export function vColumns(plan: ModelPlan): VColumns {
  const z = plan.terms.flatMap((t) => t.names.map((n, k) => ({ name: `${t.group}.${n}`, parts: t.parts[k], centred: false })));
  // Centring is a change of basis only where an intercept absorbs the means.
  const intercept = plan.xNames[0] === "(Intercept)";
  const x = plan.xNames.map((name, k) => ({ name, parts: plan.xParts[k], centred: intercept && k > 0 }));
  const y: ColumnParts = { indicators: [], numeric: [{ name: plan.response, sql: plan.ySql }] };
  const all = [...z, ...x, { name: plan.response, parts: y, centred: intercept }];
  return { names: all.map((c) => c.name), parts: all.map((c) => c.parts), centred: all.map((c) => c.centred) };
}

/**
 * v's numeric basis: the distinct products of numeric parts (`time`,
 * `time:x`, y); element 0 is the constant 1, elements 1, 2, ... these.
 */
export interface Basis {
  /** Names of elements 1, 2, ... (the parts' R names joined by ":"). */
  names: string[];
  sql: string[];
  /** Per column of v, its element. */
  of: number[];
}

export function basisOf(v: VColumns): Basis {
  const names: string[] = [];
  const sql: string[] = [];
  const of = v.parts.map((p) => {
    if (p.numeric.length === 0) return 0;
    const name = p.numeric.map((x) => x.name).join(":");
    if (!names.includes(name)) (names.push(name), sql.push(p.numeric.map((x) => x.sql).join(" * ")));
    return names.indexOf(name) + 1;
  });
  return { names, sql, of };
}

/** The JSON that identifies the statistics' model: v's names and the basis's. */
export function columnsJson(plan: ModelPlan): string {
  return JSON.stringify({ v: vColumns(plan).names, basis: basisOf(vColumns(plan)).names });
}

/** The columns rows are grouped by: the grouping columns, then the columns coded as factors. */
export function cellKeys(plan: ModelPlan): string[] {
  return [...new Set([...plan.groupColumns, ...Object.keys(plan.factorLevels)])];
}

/** The rows with every column the model uses present. */
function completeRows(plan: ModelPlan, d: Dialect): string {
  return plan.used.map((c) => `${d.identifier(c)} IS NOT NULL`).join("\n    AND ");
}

/**
 * The means of the basis elements (c1, c2, ...) over the first `sample` rows
 * with every column present: shifts for statisticsQuery that cost a read of
 * the table's start only. One row (NULL without rows); readShifts reads it.
 */
export function shiftsQuery(plan: ModelPlan, table: string, d: Dialect, sample: number): string {
  const basis = basisOf(vColumns(plan));
  const means = basis.sql.map((_, e) => `avg(b${e + 1}) AS c${e + 1}`);
  const columns = basis.sql.map((s, e) => `${s} AS b${e + 1}`);
  return [
    `SELECT ${means.length === 0 ? "count(*) AS n" : means.join(", ")}`,
    `FROM (SELECT ${columns.length === 0 ? "1 AS one" : columns.join(", ")} FROM ${table} WHERE ${completeRows(plan, d)} LIMIT ${sample}) AS lmm_sample`,
  ].join("\n");
}

/** The basis's shifts in shiftsQuery's result row, elements 1, 2, ... (0 where the sample had no rows). */
export function readShifts(plan: ModelPlan, row: Record<string, unknown> | undefined): number[] {
  return basisOf(vColumns(plan)).names.map((_, e) => {
    const m = row?.[`c${e + 1}`];
    return typeof m === "number" && Number.isFinite(m) ? m : 0;
  });
}

/**
 * The statistics query for a plan, on a table (a name, or a parenthesised
 * query such as DuckDB's read_parquet(...)). With `shifts` (the basis's,
 * elements 1, 2, ...: readShifts), those constants are subtracted and the
 * table is read once; without, the means over the rows used, in a first pass.
 */
export function statisticsQuery(plan: ModelPlan, table: string, d: Dialect, shifts?: readonly number[]): string {
  const basis = basisOf(vColumns(plan));
  const id = d.identifier;
  const keys = cellKeys(plan).map(id);
  const m = basis.sql.length;
  const shift = (e: number) => (shifts ? d.number(shifts[e - 1]) : `lmm_c${e}`);
  const u = (e: number) => `lmm_u${e}`;
  const moments: string[] = [];
  for (let e = 1; e <= m; e++) for (let f = 0; f <= e; f++) moments.push(`sum(${f === 0 ? u(e) : `${u(e)} * ${u(f)}`}) AS ${STAT_COLUMNS.moment(e, f)}`);
  const centred = basis.sql.map((s, e) => `${s} - ${shift(e + 1)} AS ${u(e + 1)}`);
  const select = [
    ...keys,
    `count(*) AS ${STAT_COLUMNS.count}`,
    ...moments,
    ...basis.sql.map((_, e) => `${shifts ? shift(e + 1) : `min(${shift(e + 1)})`} AS ${STAT_COLUMNS.shift(e + 1)}`),
    shifts ? `(SELECT count(*) FROM ${table}) AS ${STAT_COLUMNS.tableRows}` : `min(lmm_table_rows) AS ${STAT_COLUMNS.tableRows}`,
    `${d.string(columnsJson(plan))} AS ${STAT_COLUMNS.columns}`,
  ];
  const rows = (from: string) => ["lmm_rows AS (", `  SELECT ${[...keys, ...centred].join(",\n         ")}`, `  FROM ${from}`, `  WHERE ${completeRows(plan, d)}`, ")"];
  const lines = shifts
    ? ["WITH", ...rows(table)]
    : [
        "WITH lmm_means AS (",
        `  SELECT ${[...basis.sql.map((s, e) => `avg(${s}) AS lmm_c${e + 1}`), `(SELECT count(*) FROM ${table}) AS lmm_table_rows`].join(",\n         ")}`,
        `  FROM ${table}`,
        `  WHERE ${completeRows(plan, d)}`,
        "),",
        ...rows(`${table} CROSS JOIN lmm_means`),
      ];
  lines.push(`SELECT ${select.join(",\n       ")}`, `FROM lmm_rows${shifts ? "" : " CROSS JOIN lmm_means"}`, `GROUP BY ${keys.join(", ")}`);
  return lines.join("\n");
}
