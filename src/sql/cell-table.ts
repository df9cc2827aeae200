// The statistics query's result (rows from an engine or a statistics file) as
// the fitter's cross-product source: each grouping column's levels in R's
// order, each term's level per cell (an interaction's levels as R makes them),
// the terms in lme4's order, and the cells' sums packed in that order.
import { LmmError, quote, quoteList } from "../errors.js";
import type { Column } from "../data.js";
import type { TermList } from "../formula.js";
import { lme4TermOrder } from "../model/build-design.js";
import { CellStatistics } from "../model/cell-statistics.js";
import type { Shifts } from "../model/cross-products.js";
import type { ColumnSpread, TermBasis } from "../fit/working-basis.js";
import { interactFactors, makeFactor, type Factor } from "../model/factor.js";
import type { ModelPlan } from "./plan.js";
import type { StructureKind } from "../model/covariance/structure.js";
import { basisOf, cellKeys, columnsJson, STAT_COLUMNS, vColumns } from "./statistics-query.js";

/** The statistics by column: column name to its values over the cells, as an engine returns them (DuckDB.columns: doubles as Float64Array). */
export type StatisticsColumns = Record<string, ArrayLike<unknown>>;

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
  /** The covariance structure the formula gave (`cs(0 + visit | subject)`); unstructured when absent. */
  structure?: StructureKind;
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
  /** The cells' packed sums in the fitted order, and what was subtracted before summing (the source's input). */
  sums: Float64Array;
  shifts: Shifts;
  /** Terms in lme4's order. */
  terms: CellTerm[];
  xNames: string[];
  /** Rows used. */
  n: number;
  /** Rows of the table dropped for a missing value. */
  droppedRows: number;
  moments: StatisticsMoments;
}

/** A column the statistics query writes, checked to be there. */
function column(columns: StatisticsColumns, name: string, what = "column"): ArrayLike<unknown> {
  if (!Object.hasOwn(columns, name)) throw new LmmError(`The statistics lack the ${what} ${quote(name)}: they must be the result of the statistics query for this formula (lmm sql).`);
  return columns[name];
}

/** A numeric column of the statistics as doubles, every value checked to be a finite number. */
function numbers(columns: StatisticsColumns, name: string): Float64Array {
  const values = column(columns, name);
  const out = new Float64Array(values.length);
  for (let cell = 0; cell < values.length; cell++) {
    const v = values[cell];
    const x = typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new LmmError(`The statistics' column ${quote(name)} holds ${quote(v)} in row ${cell + 1}, not a finite number: they must be the statistics query's result, unchanged.`);
    }
    out[cell] = x;
  }
  return out;
}

/** A grouping column's values over the cells, as a data column. */
function groupColumn(columns: StatisticsColumns, name: string): Column {
  const values = Array.from(column(columns, name, "grouping column"));
  values.forEach((v, i) => {
    if (v === null || v === undefined) throw new LmmError(`The statistics' grouping column ${quote(name)} is empty in row ${i + 1}: rows with a missing value are dropped before grouping, so the statistics were changed or come from another query.`);
  });
  if (values.every((v) => typeof v === "number" || typeof v === "bigint")) return { kind: "numeric", values: Float64Array.from(values, Number) };
  return { kind: "text", values: values.map(String) };
}

/** The cells' ids of the statistics' rows (rows sharing every grouping column's value are one cell) and each cell's first row. */
function cellsOfRows(groupFactors: readonly Factor[], rows: number): { cellOf: Int32Array; firstRow: Int32Array } {
  const cellOf = new Int32Array(rows);
  const firstRow: number[] = [];
  const seen = new Map<string | number, number>();
  // One number per combination of codes while their product stays exact; a text key beyond.
  const radix = groupFactors.reduce((r, f) => r * Math.max(1, f.levels.length), 1);
  const key = radix < Number.MAX_SAFE_INTEGER ? (i: number) => groupFactors.reduce((k, f) => k * f.levels.length + f.codes[i], 0) : (i: number) => groupFactors.map((f) => f.codes[i]).join(",");
  for (let i = 0; i < rows; i++) {
    const k = key(i);
    let cell = seen.get(k);
    if (cell === undefined) (cell = firstRow.length), seen.set(k, cell), firstRow.push(i);
    cellOf[i] = cell;
  }
  return { cellOf, firstRow: Int32Array.from(firstRow) };
}

/**
 * The statistics of a plan from its query's result, by column: each row's
 * moments of the centred basis u become the sums of v v' (v's centred column
 * j is I_j u_e + (I_j c_e - s_j) for its basis element e, I_j its indicators'
 * product in the row, c_e the basis's shift and s_j the column's mean; I_j - s_j
 * for the constant element), added into the row's cell.
 */
export function statisticsTable(plan: ModelPlan, columns: StatisticsColumns): StatisticsTable {
  const rows = column(columns, STAT_COLUMNS.count).length;
  if (rows === 0) throw new LmmError("The statistics have no rows: the table has no row with every column of the model present.");
  const v = vColumns(plan);
  const basis = basisOf(v);
  const stated = column(columns, STAT_COLUMNS.columns)[0];
  if (stated !== columnsJson(plan)) {
    let names: unknown = stated;
    try {
      names = typeof stated === "string" ? JSON.parse(stated).v : stated;
    } catch {
      // Not JSON: quoted as it is below.
    }
    throw new LmmError(
      `The statistics were computed for the columns ${Array.isArray(names) ? quoteList(names) : quote(names)}, but this formula (with these levels) has ${quoteList(v.names)}: ` +
        `run the query that lmm sql prints for this formula and these levels.`,
    );
  }
  const allRows = Int32Array.from({ length: rows }, (_, i) => i);
  const keyFactors = new Map(cellKeys(plan).map((c) => [c, makeFactor(c, groupColumn(columns, c), allRows)]));
  const { cellOf, firstRow } = cellsOfRows(
    plan.groupColumns.map((c) => keyFactors.get(c)!),
    rows,
  );
  const cells = firstRow.length;
  // The grouping columns' factors over the cells: every level has a cell whose first row holds it.
  const byColumn = new Map(plan.groupColumns.map((c) => {
    const f = keyFactors.get(c)!;
    return [c, { codes: Int32Array.from(firstRow, (i) => f.codes[i]), levels: f.levels }];
  }));
  const formulaTerms = plan.terms.map((t) => ({ ...t, factor: interactFactors(t.groupVars.map((g) => byColumn.get(g)!)) }));
  const order = lme4TermOrder(formulaTerms.map((t) => t.factor.levels.length));

  // v's columns in the fitted order: the terms reordered, then X and y.
  const start: number[] = [];
  formulaTerms.reduce((o, t) => (start.push(o), o + t.names.length), 0);
  const zWidth = formulaTerms.reduce((w, t) => w + t.names.length, 0);
  const perm = [...order.flatMap((k) => formulaTerms[k].names.map((_, c) => start[k] + c)), ...Array.from({ length: v.names.length - zWidth }, (_, j) => zWidth + j)];
  const width = perm.length;
  const packed = (width * (width + 1)) / 2;

  // The rows' moments, M[e][f] (element 0: the constant; M[0][0] the count), and the basis's shifts.
  const m = basis.names.length + 1;
  const count = numbers(columns, STAT_COLUMNS.count);
  const M: Float64Array[] = new Array(m * m);
  for (let e = 0; e < m; e++) for (let f = 0; f <= e; f++) M[e * m + f] = M[f * m + e] = e === 0 ? count : numbers(columns, STAT_COLUMNS.moment(e, f));
  const c = Float64Array.from({ length: m }, (_, e) => (e === 0 ? 0 : numbers(columns, STAT_COLUMNS.shift(e))[0]));
  const n = count.reduce((a, b) => a + b, 0);

  // Per column in the fitted order: its basis element and its indicators as (factor codes, level code).
  const columnsInOrder = perm.map((j) => ({
    e: basis.of[j],
    centred: v.centred[j],
    indicators: v.parts[j].indicators.map((ind) => {
      const f = keyFactors.get(ind.column)!;
      return { codes: f.codes, level: f.levels.indexOf(ind.level) };
    }),
  }));
  // Per column in the fitted order and row, its indicators' product I (1 without indicators).
  const indicators = columnsInOrder.map((col) => {
    const I = new Float64Array(rows).fill(1);
    for (const ind of col.indicators) for (let i = 0; i < rows; i++) if (ind.codes[i] !== ind.level) I[i] = 0;
    return I;
  });
  // The centred columns' means, exactly: sum of I_j (sum of basis element e) over the rows.
  const mean = columnsInOrder.map((col, k) => {
    if (!col.centred) return 0;
    const I = indicators[k];
    let total = 0;
    for (let i = 0; i < rows; i++) total += I[i] * (col.e === 0 ? count[i] : M[col.e * m][i] + c[col.e] * count[i]);
    return total / n;
  });
  const sums = new Float64Array(cells * packed);
  const C = new Float64Array(width * m); // the row's coefficients of v (fitted order) on u
  const CM = new Float64Array(width * m);
  const Mi = new Float64Array(m * m); // the row's moments
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < m * m; k++) Mi[k] = M[k][i];
    C.fill(0);
    for (let k = 0; k < width; k++) {
      const { e } = columnsInOrder[k];
      const I = indicators[k][i];
      if (e > 0) (C[k * m + e] = I), (C[k * m] = I * c[e] - mean[k]);
      else C[k * m] = I - mean[k];
    }
    for (let k = 0; k < width; k++) {
      for (let f = 0; f < m; f++) {
        let s = 0;
        for (let e = 0; e < m; e++) s += C[k * m + e] * Mi[e * m + f];
        CM[k * m + f] = s;
      }
    }
    const base = cellOf[i] * packed;
    for (let r = 0, at = base; r < width; r++) {
      for (let col = 0; col <= r; col++, at++) {
        let s = 0;
        for (let f = 0; f < m; f++) s += CM[r * m + f] * C[col * m + f];
        sums[at] += s;
      }
    }
  }
  const p = plan.xNames.length;
  const terms: CellTerm[] = order.map((k) => {
    const t = formulaTerms[k];
    const levelValues: unknown[][] = new Array(t.factor.levels.length);
    t.factor.codes.forEach((code, i) => (levelValues[code] ??= t.groupVars.map((g) => columns[g][firstRow[i]])));
    return { group: t.group, groupVars: t.groupVars, lhs: t.lhs, names: t.names, sql: t.sql, factor: t.factor, levelValues, ...(t.structure && { structure: t.structure }) };
  });
  const shifts = { y: mean[width - 1], x: Float64Array.from({ length: p }, (_, j) => mean[zWidth + j]) };
  const shape = { n: cells, p, terms: terms.map((t) => ({ group: t.group, q: t.names.length, levels: t.factor.levels.length, codes: t.factor.codes })) };
  const source = new CellStatistics({ n, shape, sums, shifts });
  return { source, sums, shifts, terms, xNames: plan.xNames, n, droppedRows: numbers(columns, STAT_COLUMNS.tableRows)[0] - n, moments: moments(sums, cells, width, terms, p, v.centred[width - 1]) };
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

/**
 * Each term's columns' location and spread, from the sums of z z' (the
 * intercept's row holds the columns' sums), as meanAndSd gives them from rows.
 */
export function columnSpreads(table: StatisticsTable): ColumnSpread[][] {
  const { n } = table;
  return table.terms.map((term, t) => {
    const q = term.names.length;
    const zz = table.moments.zz[t];
    const intercept = term.names.indexOf("(Intercept)");
    return term.names.map((_, j) => {
      const meanSquare = zz[j * q + j] / n;
      const mean = intercept >= 0 ? zz[intercept * q + j] / n : Number.NaN;
      return { mean, sd: Math.sqrt(Math.max(0, meanSquare - mean * mean)), rms: Math.sqrt(meanSquare) };
    });
  });
}

/**
 * The statistics on a working basis (working-basis.ts): each term's column j
 * becomes (z_j - shift_j z_intercept) / scale_j, so each cell's sums become
 * M S M' for that linear map M of v.
 */
export function workingSource(table: StatisticsTable, bases: readonly TermBasis[]): CellStatistics {
  const { shape } = table.source;
  const width = table.source.width;
  const packed = (width * (width + 1)) / 2;
  const out = new Float64Array(table.sums.length);
  const S = new Float64Array(width * width);
  // The changed columns: (column, intercept column or -1, shift, scale) in v.
  const changes: { j: number; i0: number; shift: number; scale: number }[] = [];
  let off = 0;
  bases.forEach((b) => {
    for (let j = 0; j < b.q; j++) {
      if (j !== b.intercept && (b.shift[j] !== 0 || b.scale[j] !== 1)) changes.push({ j: off + j, i0: b.intercept >= 0 ? off + b.intercept : -1, shift: b.shift[j], scale: b.scale[j] });
    }
    off += b.q;
  });
  for (let cell = 0; cell < shape.n; cell++) {
    const base = cell * packed;
    for (let r = 0, k = base; r < width; r++) for (let c = 0; c <= r; c++, k++) S[r * width + c] = S[c * width + r] = table.sums[k];
    // Rows, then columns (the intercept's row and column are not changed).
    for (const { j, i0, shift, scale } of changes) for (let c = 0; c < width; c++) S[j * width + c] = (S[j * width + c] - (i0 >= 0 ? shift * S[i0 * width + c] : 0)) / scale;
    for (const { j, i0, shift, scale } of changes) for (let r = 0; r < width; r++) S[r * width + j] = (S[r * width + j] - (i0 >= 0 ? shift * S[r * width + i0] : 0)) / scale;
    for (let r = 0, k = base; r < width; r++) for (let c = 0; c <= r; c++, k++) out[k] = S[r * width + c];
  }
  return new CellStatistics({ n: table.n, shape, sums: out, shifts: table.shifts });
}
