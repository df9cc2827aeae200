// The statistics query's result (rows from an engine or a statistics file) as
// the fitter's cross-product source: each grouping column's levels in R's
// order, each term's level per cell (an interaction's levels as R makes them),
// the terms in lme4's order, and the cells' sums packed in that order.
import { LmmError, quote, quoteList } from "../errors.js";
import type { Column } from "../data.js";
import type { TermList } from "../formula.js";
import { lme4TermOrder } from "../model/build-design.js";
import { CellStatistics } from "../model/cell-statistics.js";
import { interactFactors, makeFactor, type Factor } from "../model/factor.js";
import type { ModelPlan } from "./plan.js";
import { STAT_COLUMNS, vColumns } from "./statistics-query.js";

/** One row of the statistics: column name to value, as an engine returns it. */
export type StatisticsRow = Record<string, unknown>;

/** A random-effects term of a model fitted from statistics: its factor is over the cells. */
export interface CellTerm {
  group: string;
  groupVars: string[];
  lhs: TermList;
  names: string[];
  /** The SQL expressions of the term's columns (plan.ts). */
  sql: string[];
  factor: Factor;
  /** Per level, the grouping columns' values of its rows (to join the conditional modes back to them). */
  levelValues: unknown[][];
}

/** The second moments the variance decomposition needs (performance's icc and r2), from the sums. */
export interface StatisticsMoments {
  /** Sum over the rows of (x - mean)(x - mean)' for X's columns (p x p, row-major; zero for the intercept). */
  xCentred: Float64Array;
  /** Per term, the sum over the rows of z z' (q x q, row-major). */
  zz: Float64Array[];
  /** Sum over the rows of (y - mean)^2 (of y^2 when nothing was centred). */
  yy: number;
  /** Whether X's and y's columns were centred (the model has an intercept): xCentred and yy are then about the means. */
  centred: boolean;
}

/** The statistics of a model, ready to fit. */
export interface StatisticsTable {
  source: CellStatistics;
  /** Terms in lme4's order. */
  terms: CellTerm[];
  xNames: string[];
  /** Rows used. */
  n: number;
  /** Rows of the table dropped for a missing value. */
  droppedRows: number;
  moments: StatisticsMoments;
}

function numberAt(row: StatisticsRow, name: string, cell: number): number {
  if (!Object.hasOwn(row, name)) throw new LmmError(`The statistics lack the column ${quote(name)}: they must be the result of the statistics query for this formula (lmm sql).`);
  const v = row[name];
  const x = typeof v === "bigint" ? Number(v) : typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new LmmError(`The statistics' column ${quote(name)} holds ${quote(v)} in row ${cell + 1}, not a finite number: they must be the statistics query's result, unchanged.`);
  }
  return x;
}

/** A grouping column's values over the cells, as a data column. */
function groupColumn(rows: readonly StatisticsRow[], name: string): Column {
  const values = rows.map((r, i) => {
    if (!Object.hasOwn(r, name)) throw new LmmError(`The statistics lack the grouping column ${quote(name)}: they must be the result of the statistics query for this formula (lmm sql).`);
    const v = r[name];
    if (v === null || v === undefined) throw new LmmError(`The statistics' grouping column ${quote(name)} is empty in row ${i + 1}: rows with a missing value are dropped before grouping, so the statistics were changed or come from another query.`);
    return v;
  });
  if (values.every((v) => typeof v === "number" || typeof v === "bigint")) return { kind: "numeric", values: Float64Array.from(values, Number) };
  return { kind: "text", values: values.map(String) };
}

/** The statistics of a plan from its query's result rows. */
export function statisticsTable(plan: ModelPlan, rows: readonly StatisticsRow[]): StatisticsTable {
  if (rows.length === 0) throw new LmmError("The statistics have no rows: the table has no row with every column of the model present.");
  const v = vColumns(plan);
  const stated = rows[0][STAT_COLUMNS.columns];
  if (typeof stated !== "string" || stated !== JSON.stringify(v.names)) {
    let names: unknown = stated;
    try {
      names = typeof stated === "string" ? JSON.parse(stated) : stated;
    } catch {
      // Not JSON: quoted as it is below.
    }
    throw new LmmError(
      `The statistics were computed for the columns ${Array.isArray(names) ? quoteList(names) : quote(names)}, but this formula (with these levels) has ${quoteList(v.names)}: ` +
        `run the query that lmm sql prints for this formula and these levels.`,
    );
  }
  const cells = rows.length;
  const all = Int32Array.from({ length: cells }, (_, i) => i);
  const byColumn = new Map(plan.groupColumns.map((c) => [c, makeFactor(c, groupColumn(rows, c), all)]));
  const formulaTerms = plan.terms.map((t) => ({ ...t, factor: interactFactors(t.groupVars.map((g) => byColumn.get(g)!)) }));
  const order = lme4TermOrder(formulaTerms.map((t) => t.factor.levels.length));

  // v's columns in the fitted order: the terms reordered, then X and y.
  const start: number[] = [];
  formulaTerms.reduce((o, t) => (start.push(o), o + t.names.length), 0);
  const zWidth = formulaTerms.reduce((w, t) => w + t.names.length, 0);
  const perm = [...order.flatMap((k) => formulaTerms[k].names.map((_, c) => start[k] + c)), ...Array.from({ length: v.names.length - zWidth }, (_, j) => zWidth + j)];
  const width = perm.length;
  const packed = (width * (width + 1)) / 2;
  const sums = new Float64Array(cells * packed);
  const full = new Float64Array(width * width);
  let n = 0;
  rows.forEach((row, i) => {
    n += numberAt(row, STAT_COLUMNS.count, i);
    for (let a = 0; a < width; a++) for (let b = 0; b <= a; b++) full[a * width + b] = full[b * width + a] = numberAt(row, STAT_COLUMNS.sum(a, b), i);
    for (let r = 0, k = i * packed; r < width; r++) for (let c = 0; c <= r; c++, k++) sums[k] = full[perm[r] * width + perm[c]];
  });
  const p = plan.xNames.length;
  const shift = (j: number) => (v.centred[j] ? numberAt(rows[0], STAT_COLUMNS.shift(j), 0) : 0);
  const terms: CellTerm[] = order.map((k) => {
    const t = formulaTerms[k];
    const levelValues: unknown[][] = new Array(t.factor.levels.length);
    t.factor.codes.forEach((code, i) => (levelValues[code] ??= t.groupVars.map((g) => rows[i][g])));
    return { group: t.group, groupVars: t.groupVars, lhs: t.lhs, names: t.names, sql: t.sql, factor: t.factor, levelValues };
  });
  const source = new CellStatistics({
    n,
    shape: { n: cells, p, terms: terms.map((t) => ({ group: t.group, q: t.names.length, levels: t.factor.levels.length, codes: t.factor.codes })) },
    sums,
    shifts: { y: shift(width - 1), x: Float64Array.from({ length: p }, (_, j) => shift(zWidth + j)) },
  });
  return { source, terms, xNames: plan.xNames, n, droppedRows: numberAt(rows[0], STAT_COLUMNS.tableRows, 0) - n, moments: moments(sums, cells, width, terms, p, v.centred[width - 1]) };
}

/** Totals over the cells of the packed sums, cut into the blocks StatisticsMoments holds. */
function moments(sums: Float64Array, cells: number, width: number, terms: readonly CellTerm[], p: number, xCentred: boolean): StatisticsMoments {
  const packed = (width * (width + 1)) / 2;
  const total = new Float64Array(packed);
  for (let i = 0; i < cells; i++) for (let k = 0; k < packed; k++) total[k] += sums[i * packed + k];
  const at = (r: number, c: number) => (r >= c ? total[(r * (r + 1)) / 2 + c] : total[(c * (c + 1)) / 2 + r]);
  const block = (off: number, q: number, skipFirst: boolean) =>
    Float64Array.from({ length: q * q }, (_, k) => {
      const r = Math.floor(k / q);
      const c = k % q;
      return skipFirst && (r === 0 || c === 0) ? 0 : at(off + r, off + c);
    });
  let off = 0;
  const zz = terms.map((t) => {
    const b = block(off, t.names.length, false);
    off += t.names.length;
    return b;
  });
  // With an intercept the other columns are centred and the intercept's row holds no variance.
  return { xCentred: block(off, p, xCentred), zz, yy: at(width - 1, width - 1), centred: xCentred };
}
