// The statistics query: one SQL statement that an engine runs where the data
// live, returning per cell of levels (rows sharing every grouping column's
// value) the count and the sums of products of the model's columns.
//
// It sums in two stages. Every column of v is a product of factor-level
// indicators and numeric expressions (plan.ts, ColumnParts); the numeric
// products that occur form a small basis (for y ~ time * group + (time | id):
// 1, time, y). The rows are grouped by the grouping columns and the factors'
// columns, and only the basis's products are summed per such cell (6 sums,
// not 36); the indicators are constant in a cell, so the second stage, over
// the cells, writes each sum of v_i v_j as a combination of them. The rows,
// the costly part, see the few sums.
//
// Sums are of centred values, so that a covariate far from zero keeps its
// digits: the printed query reads the table twice, as the engine plans it (the
// means first, then the grouped sums). Any constant shift gives the same fit,
// exactly (ProfiledDeviance maps beta back through it); only the digits kept
// depend on its being near the mean. So a caller that has the means of a
// sample of the rows (shiftsQuery) gives them as constants, and the engine
// reads the table once.
import type { Dialect } from "./dialect.js";
import { partsSql, type ColumnParts, type ModelPlan } from "./plan.js";

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
  parts: ColumnParts[];
  /** Per column, whether it is centred: X's non-intercept columns and y, when the model has an intercept. */
  centred: boolean[];
}

/** v = [each term's Z columns, X, y], named `group.column`, X's names, and the response's. */
export function vColumns(plan: ModelPlan): VColumns {
  const z = plan.terms.flatMap((t) => t.names.map((n, k) => ({ name: `${t.group}.${n}`, sql: t.sql[k], parts: t.parts[k], centred: false })));
  // Centring is a change of basis only where an intercept absorbs the means.
  const intercept = plan.xNames[0] === "(Intercept)";
  const x = plan.xNames.map((name, k) => ({ name, sql: plan.xSql[k], parts: plan.xParts[k], centred: intercept && k > 0 }));
  const all = [...z, ...x, { name: plan.response, sql: plan.ySql, parts: { indicators: [], numeric: [plan.ySql] }, centred: intercept }];
  return { names: all.map((c) => c.name), sql: all.map((c) => c.sql), parts: all.map((c) => c.parts), centred: all.map((c) => c.centred) };
}

/**
 * v's numeric basis: the distinct products of numeric parts (`time`, `time *
 * x`, y), each centred by a shift of its own; basis element 0 is the constant 1.
 */
interface Basis {
  /** SQL of elements 1, 2, ... */
  sql: string[];
  /** Per column of v, its element. */
  of: number[];
}

function basisOf(v: VColumns): Basis {
  const sql: string[] = [];
  const of = v.parts.map((p) => {
    if (p.numeric.length === 0) return 0;
    const product = p.numeric.join(" * ");
    if (!sql.includes(product)) sql.push(product);
    return sql.indexOf(product) + 1;
  });
  return { sql, of };
}

/**
 * What the statistics are centred by: per centred column of v with
 * indicators, its own mean (the others' are their basis element's); per basis
 * element, its mean. Numbers (from a sample of the rows) or SQL (the means
 * over the rows used, as the query computes them).
 */
export interface QueryShifts {
  /** Per column of v (read only for centred columns with indicators). */
  v: readonly (number | string)[];
  /** Per basis element 1, 2, ... (index 0 unused). */
  basis: readonly (number | string)[];
}

/** The shift of v's column j, or null where it is not centred. */
function columnShift(v: VColumns, basis: Basis, shifts: QueryShifts, j: number): number | string | null {
  if (!v.centred[j]) return null;
  return v.parts[j].indicators.length === 0 && basis.of[j] > 0 ? shifts.basis[basis.of[j]] : shifts.v[j];
}

/** Whether a centred column of v needs a mean of its own (it has indicators). */
const ownMean = (v: VColumns, basis: Basis, j: number) => v.centred[j] && !(v.parts[j].indicators.length === 0 && basis.of[j] > 0);

/** The rows with every column the model uses present. */
function completeRows(plan: ModelPlan, d: Dialect): string {
  return plan.used.map((c) => `${d.identifier(c)} IS NOT NULL`).join("\n    AND ");
}

/** The columns rows are grouped by in the first stage: the grouping columns, then the columns coded as factors. */
function cellKeys(plan: ModelPlan): string[] {
  return [...new Set([...plan.groupColumns, ...Object.keys(plan.factorLevels)])];
}

/**
 * The means of the centred columns of v that need their own (m{j}) and of the
 * basis elements (c{e}), over the first `sample` rows with every column
 * present: shifts for statisticsQuery that cost a read of the table's start
 * only. One row (NULL without rows); readShifts reads it.
 */
export function shiftsQuery(plan: ModelPlan, table: string, d: Dialect, sample: number): string {
  const v = vColumns(plan);
  const basis = basisOf(v);
  const means = [...v.names.map((_, j) => j).filter((j) => ownMean(v, basis, j)).map((j) => `avg(v${j}) AS m${j}`), ...basis.sql.map((_, e) => `avg(b${e + 1}) AS c${e + 1}`)];
  const columns = [...v.sql.map((s, j) => `${s} AS v${j}`), ...basis.sql.map((s, e) => `${s} AS b${e + 1}`)];
  return [`SELECT ${means.length === 0 ? "count(*) AS n" : means.join(", ")}`, `FROM (SELECT ${columns.join(", ")} FROM ${table} WHERE ${completeRows(plan, d)} LIMIT ${sample}) AS lmm_sample`].join("\n");
}

/** The shifts in shiftsQuery's result row (0 where the sample had no rows). */
export function readShifts(plan: ModelPlan, row: Record<string, unknown> | undefined): QueryShifts {
  const v = vColumns(plan);
  const basis = basisOf(v);
  const value = (name: string) => {
    const m = row?.[name];
    return typeof m === "number" && Number.isFinite(m) ? m : 0;
  };
  return { v: v.names.map((_, j) => value(`m${j}`)), basis: [0, ...basis.sql.map((_, e) => value(`c${e + 1}`))] };
}

/**
 * The statistics query for a plan, on a table (a name, or a parenthesised
 * query such as DuckDB's read_parquet(...)). With `shifts` (sampleShifts'
 * numbers), those constants are subtracted and the table is read once;
 * without, the means over the rows used, in a first pass.
 */
export function statisticsQuery(plan: ModelPlan, table: string, d: Dialect, sampled?: QueryShifts): string {
  const v = vColumns(plan);
  const basis = basisOf(v);
  const id = d.identifier;
  const groups = plan.groupColumns.map(id);
  const keys = cellKeys(plan).map(id);
  const m = basis.sql.length;
  // The constant as a string cast to a double: the engine reads the shortest round-trip digits back to the same double.
  const literal = (x: number | string) => (typeof x === "number" ? d.double(d.string(String(x))) : x);
  const shifts: QueryShifts = sampled ?? { v: v.names.map((_, j) => `lmm_s${j}`), basis: ["", ...basis.sql.map((_, e) => `lmm_c${e + 1}`)] };

  // First stage, per cell of keys: sums of u_e u_f, u_e = basis element e minus its shift (u_0 = 1).
  const u = (e: number) => `lmm_u${e}`;
  const moment = (e: number, f: number) => `lmm_m_${Math.max(e, f)}_${Math.min(e, f)}`;
  const moments: string[] = [`count(*) AS ${moment(0, 0)}`];
  for (let e = 1; e <= m; e++) for (let f = 0; f <= e; f++) moments.push(`sum(${f === 0 ? u(e) : `${u(e)} * ${u(f)}`}) AS ${moment(e, f)}`);

  // Second stage, per cell: centred v_j = I_j u_e + (I_j c_e - s_j) u_0, I_j its indicators' product (1 without).
  const terms = v.names.map((_, j) => {
    const indicator = v.parts[j].indicators.join(" * ");
    const shift = columnShift(v, basis, shifts, j);
    const e = basis.of[j];
    const out: { e: number; coef: string }[] = [];
    if (e > 0) out.push({ e, coef: indicator || "1" });
    const constantPart = e > 0 ? (indicator ? `${indicator} * ${literal(shifts.basis[e])}` : shift === null ? literal(shifts.basis[e]) : null) : indicator || "1";
    // A numeric column without indicators is centred by its basis element's shift: its constant part is 0.
    const constant = constantPart === null ? null : shift === null || (e > 0 && !indicator) ? constantPart : `(${constantPart} - ${literal(shift)})`;
    if (constant !== null) out.push({ e: 0, coef: constant });
    return out;
  });
  const key = (j: number) => `${v.centred[j]}:${v.sql[j]}`;
  const first = v.names.map((_, j) => v.names.findIndex((_, k) => key(k) === key(j)));
  const product = (a: string, b: string) => [a, b].filter((c) => c !== "1").join(" * ") || "1";
  const sums: string[] = [];
  for (let i = 0; i < v.names.length; i++) {
    for (let j = 0; j <= i; j++) {
      const [a, b] = [first[i], first[j]].sort((x, y) => x - y);
      const parts = terms[a].flatMap((ta) => terms[b].map((tb) => `${product(product(ta.coef, tb.coef), moment(ta.e, tb.e))}`));
      sums.push(`sum(${parts.join(" + ")}) AS ${STAT_COLUMNS.sum(i, j)}`);
    }
  }
  const shiftColumns = v.names.map((_, j) => j).filter((j) => v.centred[j]).map((j) => `${sampled ? literal(columnShift(v, basis, shifts, j)!) : `min(${columnShift(v, basis, shifts, j)})`} AS ${STAT_COLUMNS.shift(j)}`);
  const cells = [
    "lmm_cells AS (",
    `  SELECT ${[...keys, ...moments].join(",\n         ")}`,
    "  FROM lmm_rows",
    `  GROUP BY ${keys.join(", ")}`,
    ")",
  ];
  const select = [
    ...groups,
    `CAST(sum(${moment(0, 0)}) AS BIGINT) AS ${STAT_COLUMNS.count}`,
    ...sums,
    ...shiftColumns,
    sampled ? `(SELECT count(*) FROM ${table}) AS ${STAT_COLUMNS.tableRows}` : `min(lmm_table_rows) AS ${STAT_COLUMNS.tableRows}`,
    `${d.string(JSON.stringify(v.names))} AS ${STAT_COLUMNS.columns}`,
  ];
  const centredBasis = basis.sql.map((s, e) => `${s} - ${literal(shifts.basis[e + 1])} AS ${u(e + 1)}`);
  const lines = sampled
    ? ["WITH lmm_rows AS (", `  SELECT ${[...keys, ...centredBasis].join(",\n         ")}`, `  FROM ${table}`, `  WHERE ${completeRows(plan, d)}`, "),"]
    : [
        "WITH lmm_means AS (",
        `  SELECT ${[
          ...v.sql.map((s, j) => (ownMean(v, basis, j) ? `avg(${s}) AS lmm_s${j}` : "")).filter(Boolean),
          ...basis.sql.map((s, e) => `avg(${s}) AS lmm_c${e + 1}`),
          `(SELECT count(*) FROM ${table}) AS lmm_table_rows`,
        ].join(",\n         ")}`,
        `  FROM ${table}`,
        `  WHERE ${completeRows(plan, d)}`,
        "),",
        "lmm_rows AS (",
        `  SELECT ${[...keys, ...centredBasis].join(",\n         ")}`,
        `  FROM ${table} CROSS JOIN lmm_means`,
        `  WHERE ${completeRows(plan, d)}`,
        "),",
      ];
  lines.push(...cells, `SELECT ${select.join(",\n       ")}`, `FROM lmm_cells${sampled ? "" : " CROSS JOIN lmm_means"}`, `GROUP BY ${groups.join(", ")}`);
  return lines.join("\n");
}
