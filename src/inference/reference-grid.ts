// emmeans' reference grid of a fitted model: every combination of the levels
// of the fixed effects' factors, with each numeric covariate at its mean (or
// at the values `at` gives), and the rows of X there. The grid's variables are
// the data's columns (time, not poly(time, 2)); X at each point is coded as
// predict(newdata) codes it, re-applying the formula's functions. Marginal
// means are equal-weight averages of those rows over the variables the specs
// do not name; trends are derivatives of them in one covariate.
import type { DataFrame, Column } from "../data.js";
import { LmmError, quote, quoteList } from "../errors.js";
import { newDataDesign } from "../model/build-design.js";
import type { LmerModel } from "../model/lmer-model.js";
import { TransformedVariables } from "../model/transforms.js";

/** Values of the grid's variables where `at` sets them: numbers for covariates, levels for factors. */
export type AtValues = Record<string, readonly (number | string)[]>;

/** One variable of the grid. */
export interface GridVariable {
  name: string;
  /** A factor's values are its level labels; a covariate's are numbers. */
  kind: "factor" | "covariate";
  values: (string | number)[];
}

/** The variables the specs name: `~ a * b | c` gives [a, b] and by [c]; `~ 1` gives no variables. */
export interface Specs {
  vars: string[];
  by: string[];
}

/** Largest number of grid points: the grid's X has one row of p per point. */
const MAX_GRID = 100_000;

/** Parse emmeans' specs: `~ a`, `~ a | b`, `~ a * b`, `~ a + b`, `a:b`, a bare `a`, or `~ 1` (one overall mean). */
export function parseSpecs(specs: string): Specs {
  if (typeof specs !== "string") throw new LmmError(`The specs must be a string such as "~ group | time", not ${quote(specs)}.`);
  const text = specs.trim();
  const tilde = text.indexOf("~");
  if (tilde > 0) {
    throw new LmmError(`Specs ${quote(text)} have a left-hand side: give the means as "~ ${text.slice(tilde + 1).trim()}" and the comparisons with pairs() or contrast() (--pairs).`);
  }
  const rhs = tilde === 0 ? text.slice(1) : text;
  const parts = rhs.split("|");
  if (parts.length > 2) throw new LmmError(`Specs ${quote(text)} have more than one '|': write "~ a | b * c" for several by-variables.`);
  const names = (s: string) => s.split(/[*+:]/).map((v) => v.trim());
  const vars = parts[0].trim() === "1" ? [] : names(parts[0]);
  const by = parts.length === 2 ? names(parts[1]) : [];
  for (const v of [...vars, ...by]) {
    if (!/^[A-Za-z0-9._]+$/.test(v)) throw new LmmError(`Specs ${quote(text)} are not of the form "~ a", "~ a * b" or "~ a | b".`);
  }
  const all = [...vars, ...by];
  const twice = all.find((v, i) => all.indexOf(v) !== i);
  if (twice) throw new LmmError(`Specs ${quote(text)} name ${quote(twice)} twice.`);
  return { vars, by };
}

/** Distinct values of a column, sorted. */
function distinct(x: Float64Array): number[] {
  return [...new Set(x)].sort((a, b) => a - b);
}

function mean(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/**
 * The data columns of the fixed part and the offset, in order of appearance:
 * emmeans builds its grid on them (`time` for poly(time, 2) or I(time^2)), and
 * the model's columns at each point come from re-applying the transformations.
 * `coerced` maps a column that enters through factor() to that variable.
 */
export function gridColumns(m: LmerModel): { names: string[]; fixed: string[]; coerced: Map<string, string> } {
  const { formula, transforms: state } = m.design;
  const transforms = new TransformedVariables(formula.calls, state ?? {}, false);
  const fixedVariables = [...new Set(formula.fixed.terms.flat())];
  const columnsOf = (vars: string[]) => [...new Set(vars.flatMap((v) => transforms.dataColumns(v)))];
  const fixed = columnsOf(fixedVariables);
  const coerced = new Map<string, string>();
  for (const v of fixedVariables) {
    const column = transforms.factorColumn(v);
    if (column !== undefined) coerced.set(column, v);
  }
  for (const [column, variable] of coerced) {
    const numeric = fixedVariables.find((v) => v !== variable && transforms.dataColumns(v).includes(column));
    if (numeric) {
      throw new LmmError(`${quote(column)} enters the fixed effects both as ${quote(variable)} and in ${quote(numeric)}: the reference grid cannot hold it both as a factor and as a number; add a copy of the column under another name for one of them.`);
    }
  }
  return { names: columnsOf([...fixedVariables, ...formula.offsets]), fixed, coerced };
}

/**
 * The grid's variables: factors with their levels (a numeric column in
 * factor() keeps its numbers as values, as emmeans shows them); numeric
 * covariates with two or fewer distinct values as factors of those values
 * (emmeans' cov.keep = "2"); other covariates at their mean over the rows
 * used. `at` replaces either. `trendVar` is kept a covariate whatever its values.
 */
export function gridVariables(m: LmerModel, at: AtValues = {}, trendVar?: string): GridVariable[] {
  const { design } = m;
  if (design.droppedColumns.length > 0) {
    throw new LmmError(`Marginal means need a full-rank fixed-effects matrix, and ${quoteList(design.droppedColumns)} were dropped as aliased: remove those terms from the formula first.`);
  }
  const { names, coerced } = gridColumns(m);
  for (const v of Object.keys(at)) {
    if (!names.includes(v)) throw new LmmError(`at names ${quote(v)}, which is not a variable of the fixed effects (${quoteList(names)}).`);
    if (!Array.isArray(at[v]) || at[v].length === 0) throw new LmmError(`at.${v} must be a non-empty array of values.`);
  }
  const levels = design.factorLevels ?? {};
  return names.map((name): GridVariable => {
    const given = Object.hasOwn(at, name) ? at[name] : undefined;
    const factorName = coerced.get(name) ?? (Object.hasOwn(levels, name) ? name : undefined);
    if (factorName !== undefined) {
      const known = levels[factorName];
      const labels = given ? given.map(String) : known;
      const unknown = labels.find((l) => !known.includes(l));
      if (unknown !== undefined) throw new LmmError(`at.${name} gives ${quote(unknown)}, which is not a level of ${quote(factorName)} (${quoteList(known)}).`);
      const numeric = coerced.has(name) && design.data?.columns.get(name)?.kind === "numeric";
      return { name, kind: "factor", values: numeric ? labels.map(Number) : labels };
    }
    if (given) {
      const bad = given.find((v) => typeof v !== "number" || !Number.isFinite(v));
      if (bad !== undefined) throw new LmmError(`at.${name} must hold numbers (${quote(name)} is numeric), not ${quote(bad)}.`);
      return { name, kind: "covariate", values: [...given] };
    }
    const x = design.covariate!(name);
    const values = distinct(x);
    if (values.length <= 2 && name !== trendVar) return { name, kind: "covariate", values };
    return { name, kind: "covariate", values: [mean(x)] };
  });
}

/**
 * The offset of every grid point: emmeans (1.8) holds the offset at its mean
 * over the rows used, whatever the grid's values of its variables; 0 without one.
 */
export function gridOffset(m: LmerModel): number {
  return m.design.offset ? mean(m.design.offset) : 0;
}

/**
 * emmeans' note on the scale of means of a transformed response ("log" for
 * log(y), "log(mu + 1)" for log(y + 1), "identity" for I(...)): the means are
 * of the transformed response, not back-transformed. Undefined for a plain one.
 */
export function responseScaleNote(m: LmerModel): string | undefined {
  const { formula, transforms, response } = m.design;
  const e = Object.hasOwn(formula.calls, response) ? formula.calls[response] : undefined;
  if (e?.t !== "call") return undefined;
  let scale = e.fn === "I" ? "identity" : e.fn;
  const [arg] = e.args;
  if (arg?.t === "bin" && arg.op === "+" && arg.a.t === "col" && arg.b.t === "num") scale = `${e.fn}(mu + ${arg.b.text})`;
  const state = transforms?.[response];
  if (state?.kind === "scale") scale = `scale(${signif3(state.center)}, ${signif3(state.scale)})`;
  return `Results are given on the ${scale} (not the response) scale.`;
}

/** A number to 3 significant digits as R prints it (24, 2.93). */
const signif3 = (x: number) => String(Number(x.toPrecision(3)));

/** The grid's points (first variable fastest) as a data frame the model can code. */
function gridFrame(variables: GridVariable[]): DataFrame {
  const size = variables.reduce((s, v) => s * v.values.length, 1);
  if (size > MAX_GRID) throw new LmmError(`The reference grid would have ${size} points (more than ${MAX_GRID}): give fewer values in at.`);
  const columns = new Map<string, Column>();
  let stride = 1;
  for (const v of variables) {
    const k = v.values.length;
    const pick = (i: number) => v.values[Math.floor(i / stride) % k];
    columns.set(
      v.name,
      v.kind === "factor"
        ? { kind: "text", values: Array.from({ length: size }, (_, i) => String(pick(i))) }
        : { kind: "numeric", values: Float64Array.from({ length: size }, (_, i) => pick(i) as number) },
    );
    stride *= k;
  }
  return { names: variables.map((v) => v.name), columns, nrow: size };
}

/** Rows of X (length p each) at every point of the grid, first variable fastest. */
export function gridRows(m: LmerModel, variables: GridVariable[]): Float64Array[] {
  const frame = gridFrame(variables);
  const X = codeGrid(m, frame);
  return Array.from({ length: frame.nrow }, (_, i) => Float64Array.from(X, (col) => col[i]));
}

/**
 * The grid's X by the model's own coding (predict's). A function undefined at
 * a grid point (log(age) at age = 0 given in at) is reported at that point:
 * the transformation's message names a row of the grid frame, not of the data.
 */
function codeGrid(m: LmerModel, frame: DataFrame): Float64Array[] {
  try {
    return newDataDesign(m.design, frame, false).X;
  } catch (error) {
    const row = error instanceof LmmError ? / at data row (\d+)/.exec(error.message) : null;
    if (!row) throw error;
    const i = Number(row[1]) - 1;
    const point = frame.names.map((name) => `${name} = ${frame.columns.get(name)!.values[i]}`).join(", ");
    throw new LmmError(`The reference grid's point ${point} is outside the domain of the model's functions (${(error as LmmError).message.slice(0, row.index)}): give at values where they are defined.`);
  }
}

/**
 * Rows of dX/d`trendVar` at every point of the grid, by emmeans' forward
 * difference (X(v + h) - X(v)) / h with h a thousandth of the covariate's
 * range over the rows used: exact up to rounding where X is linear in the
 * covariate, and emmeans' own approximation where it is not (poly, I(), log).
 */
export function gridSlopes(m: LmerModel, variables: GridVariable[], trendVar: string): Float64Array[] {
  const x = m.design.covariate!(trendVar);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const h = 0.001 * (hi - lo);
  if (!(h > 0)) throw new LmmError(`var ${quote(trendVar)} takes one value in the data used, so it has no slope to estimate.`);
  const here = gridRows(m, variables);
  const step = gridRows(
    m,
    variables.map((v) => (v.name === trendVar ? { ...v, values: v.values.map((x) => (x as number) + h) } : v)),
  );
  return here.map((row, i) => row.map((x, j) => (step[i][j] - x) / h));
}

/** The specs checked against the grid: each a variable of it, and a covariate only with values from `at`. */
export function checkSpecs(specs: Specs, variables: GridVariable[], at: AtValues): void {
  for (const name of [...specs.vars, ...specs.by]) {
    const v = variables.find((g) => g.name === name);
    if (!v) throw new LmmError(`The specs name ${quote(name)}, which is not a variable of the fixed effects (${quoteList(variables.map((g) => g.name))}).`);
    if (v.kind === "covariate" && v.values.length === 1 && !Object.hasOwn(at, name)) {
      throw new LmmError(`${quote(name)} is numeric, so the grid holds it at its mean: give the values to compare with at (--at ${name}=v1,v2,...), or ask for its slope with emtrends.`);
    }
  }
}

/**
 * One equal-weight average of grid rows per combination of the specs' variables
 * (specs' variables then by-variables, the first fastest), with the values of
 * that combination.
 */
export function averageOver(rows: Float64Array[], variables: GridVariable[], names: string[]): { values: (string | number)[]; l: Float64Array }[] {
  const index = names.map((n) => variables.findIndex((v) => v.name === n));
  const sizes = index.map((i) => variables[i].values.length);
  const cells = sizes.reduce((s, k) => s * k, 1);
  const sums = Array.from({ length: cells }, () => new Float64Array(rows[0]?.length ?? 0));
  const counts = new Float64Array(cells);
  const strides: number[] = [];
  let stride = 1;
  for (const v of variables) {
    strides.push(stride);
    stride *= v.values.length;
  }
  rows.forEach((row, point) => {
    let cell = 0;
    let mult = 1;
    index.forEach((i, j) => {
      cell += (Math.floor(point / strides[i]) % variables[i].values.length) * mult;
      mult *= sizes[j];
    });
    counts[cell]++;
    for (let c = 0; c < row.length; c++) sums[cell][c] += row[c];
  });
  return sums.map((sum, cell) => {
    const values: (string | number)[] = [];
    let rest = cell;
    index.forEach((i, j) => {
      values.push(variables[i].values[rest % sizes[j]]);
      rest = Math.floor(rest / sizes[j]);
    });
    return { values, l: sum.map((s) => s / counts[cell]) };
  });
}
