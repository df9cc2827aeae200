// Functions of variables in a formula (`log(dose)`, `I(time^2)`, `poly(time, 2)`,
// `scale(age)`, `factor(Diet)`): which are supported, their values on the rows of
// a model frame, and what a fit learns from its data (poly's recurrence
// coefficients, scale's centre and scale) so that prediction on new data applies
// the same transformation (R's "safe prediction", makepredictcall).
import type { Column, DataFrame } from "../data.js";
import { LmmError, quote, quoteList } from "../errors.js";
import { ELEMENTWISE, expressionColumns, factorCallColumn, exprChildren, foldTree, type Expr } from "../expr.js";

/** What a fit learned from its data for one transformed variable. */
export type TransformState = { kind: "poly"; alpha: number[]; norm2: number[] } | { kind: "scale"; center: number; scale: number };

type Call = Expr & { t: "call" };

/**
 * The transformed variables of one formula on one set of rows. At fit time
 * `state` starts empty and is filled; for new data it is the fit's.
 */
export class TransformedVariables {
  constructor(
    private readonly calls: Record<string, Expr>,
    readonly state: Record<string, TransformState>,
    private readonly learn: boolean,
  ) {}

  has(name: string): boolean {
    return Object.hasOwn(this.calls, name);
  }

  /** The data column of `factor(x)`, or undefined when `name` is not a factor() call. */
  factorColumn(name: string): string | undefined {
    return this.has(name) ? factorCallColumn(this.calls[name]) : undefined;
  }

  /** The data columns a variable reads (itself when it is a plain column). */
  dataColumns(name: string): string[] {
    return this.has(name) ? expressionColumns(this.calls[name]) : [name];
  }

  /** The model-matrix columns of a transformed numeric variable, with R's names. */
  columns(name: string, data: DataFrame, rows: Int32Array): { names: string[]; columns: Float64Array[] } {
    const e = this.calls[name];
    if (e.t === "call" && e.fn === "poly") {
      const x = evaluate(e.args[0], data, rows, name);
      const degree = (e.args[1] as Expr & { t: "num" }).value;
      const raw = e.named.raw?.value ?? false;
      const cols = raw ? rawPoly(x, degree) : this.orthogonalPoly(name, x, degree);
      return { names: cols.map((_, k) => `${name}${k + 1}`), columns: cols };
    }
    if (e.t === "call" && e.fn === "scale") return { names: [name], columns: [this.scale(name, e, evaluate(e.args[0], data, rows, name))] };
    return { names: [name], columns: [evaluate(e, data, rows, name)] };
  }

  private learned<S extends TransformState>(name: string, make: () => S): S {
    if (this.learn) this.state[name] ??= make();
    return this.state[name] as S;
  }

  private scale(name: string, e: Call, x: Float64Array): Float64Array {
    const s = this.learned(name, () => {
      const n = x.length;
      let center = 0;
      for (let i = 0; i < n; i++) center += x[i];
      center /= n;
      let ss = 0;
      for (let i = 0; i < n; i++) ss += (x[i] - center) ** 2;
      // R's scale(): the root mean square of the centred values with n - 1, i.e. the sd.
      const scale = e.named.scale?.value === false ? 1 : Math.sqrt(ss / (n - 1));
      if (!(scale > 0)) throw new LmmError(`${name}: the values are constant, so they cannot be scaled to unit standard deviation.`);
      return { kind: "scale" as const, center, scale };
    });
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = (x[i] - s.center) / s.scale;
    return out;
  }

  /**
   * R's poly(): the fit's columns are orthonormal polynomials of the centred
   * values. R gets them by QR of the Vandermonde matrix; the monic polynomials
   * Q diag(R) that it normalises are those of the three-term recurrence, whose
   * coefficients (alpha, norm2) are what predict.poly re-applies to new data, so
   * both fit and prediction here use the recurrence.
   */
  private orthogonalPoly(name: string, x: Float64Array, degree: number): Float64Array[] {
    const s = this.learned(name, () => {
      const distinct = new Set(x).size;
      if (degree >= distinct) throw new LmmError(`${name}: the degree must be less than the number of distinct values (${distinct}), as in R.`);
      return { kind: "poly" as const, ...polyRecurrence(x, degree) };
    });
    return polyColumns(x, s.alpha, s.norm2);
  }
}

/**
 * The three-term recurrence of the monic polynomials orthogonal on the values
 * of x (R's poly(): alpha and norm2, which predict.poly re-applies).
 */
export function polyRecurrence(x: Float64Array, degree: number): { alpha: number[]; norm2: number[] } {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  const alpha: number[] = [];
  const norm2 = [1, n];
  let prev = new Float64Array(n);
  let cur = new Float64Array(n).fill(1);
  for (let d = 0; d < degree; d++) {
    let sxp = 0;
    for (let i = 0; i < n; i++) sxp += (x[i] - mean) * cur[i] * cur[i];
    const a = sxp / norm2[d + 1];
    alpha.push(a + mean);
    const ratio = norm2[d + 1] / norm2[d];
    const next = new Float64Array(n);
    let ss = 0;
    for (let i = 0; i < n; i++) {
      next[i] = (x[i] - mean - a) * cur[i] - (d > 0 ? ratio * prev[i] : 0);
      ss += next[i] * next[i];
    }
    norm2.push(ss);
    prev = cur;
    cur = next;
  }
  return { alpha, norm2 };
}

/** predict.poly's recurrence: monic orthogonal polynomials scaled to the fit's unit norms. */
export function polyColumns(x: Float64Array, alpha: number[], norm2: number[]): Float64Array[] {
  const n = x.length;
  const out: Float64Array[] = [];
  let prev = new Float64Array(n).fill(1);
  let cur = new Float64Array(n);
  for (let i = 0; i < n; i++) cur[i] = x[i] - alpha[0];
  for (let d = 1; d <= alpha.length; d++) {
    const col = new Float64Array(n);
    const norm = Math.sqrt(norm2[d + 1]);
    for (let i = 0; i < n; i++) col[i] = cur[i] / norm;
    out.push(col);
    if (d === alpha.length) break;
    const next = new Float64Array(n);
    const ratio = norm2[d + 1] / norm2[d];
    for (let i = 0; i < n; i++) next[i] = (x[i] - alpha[d]) * cur[i] - ratio * prev[i];
    prev = cur;
    cur = next;
  }
  return out;
}

function rawPoly(x: Float64Array, degree: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let d = 1; d <= degree; d++) out.push(x.map((v) => v ** d));
  return out;
}

function numericColumn(data: DataFrame, name: string, variable: string): Column & { kind: "numeric" } {
  const col = data.columns.get(name);
  if (!col) throw new LmmError(`Unknown column ${quote(name)} in ${variable}. The columns are: ${quoteList(data.names)}.`);
  if (col.kind !== "numeric") throw new LmmError(`Column ${quote(name)} holds text, so it cannot be used in ${variable}: give a numeric column (or use factor(${name}) for its levels).`);
  return col;
}

/**
 * An arithmetic expression of columns on the given rows. A non-finite value
 * (log of 0, sqrt of a negative) is an error naming the function, its columns
 * and the first such row, as a model cannot be fitted to it.
 */
function evaluate(root: Expr, data: DataFrame, rows: Int32Array, variable: string): Float64Array {
  const n = rows.length;
  const map = (a: Float64Array | number, f: (v: number) => number): Float64Array | number => {
    if (typeof a === "number") return f(a);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = f(a[i]);
    return out;
  };
  const zip = (a: Float64Array | number, b: Float64Array | number, f: (u: number, v: number) => number): Float64Array | number => {
    if (typeof a === "number" && typeof b === "number") return f(a, b);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = f(typeof a === "number" ? a : a[i], typeof b === "number" ? b : b[i]);
    return out;
  };
  const value = foldTree<Expr, Float64Array | number>(root, exprChildren, (e, [a, b]) => {
    switch (e.t) {
      case "col": {
        const col = numericColumn(data, e.name, variable);
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = col.values[rows[i]];
        return out;
      }
      case "num":
        return e.value;
      case "paren":
        return a;
      case "neg":
        return map(a, (v) => -v);
      case "bin":
        return zip(a, b, BINARY[e.op]);
      case "call": {
        if (e.fn === "I" || e.fn === "offset") return a;
        const f = ELEMENTWISE[e.fn];
        const out = map(a, f);
        checkFinite(out, e, rows);
        return out;
      }
    }
  });
  const values = typeof value === "number" ? new Float64Array(n).fill(value) : value;
  // Arithmetic too can leave the finite numbers a fit needs (I(1/x) at x = 0).
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const cols = expressionColumns(root);
    throw new LmmError(`${variable} is not finite at data row ${rows[bad] + 1} (${values[bad]}, from column(s) ${quoteList(cols)}): transform or filter the data so every value is defined.`);
  }
  return values;
}

const BINARY: Record<string, (u: number, v: number) => number> = {
  "+": (u, v) => u + v,
  "-": (u, v) => u - v,
  "*": (u, v) => u * v,
  "/": (u, v) => u / v,
  "^": (u, v) => u ** v,
};

function checkFinite(values: Float64Array | number, call: Call, rows: Int32Array): void {
  const at = typeof values === "number" ? (Number.isFinite(values) ? -1 : 0) : values.findIndex((v) => !Number.isFinite(v));
  if (at < 0) return;
  const cols = expressionColumns(call);
  const input = cols.length ? ` of column${cols.length > 1 ? "s" : ""} ${quoteList(cols)}` : "";
  throw new LmmError(
    `${call.fn}()${input} is not finite at data row ${rows[at] + 1} (${typeof values === "number" ? values : values[at]}): ${call.fn} is undefined there; transform or filter the data so every value is in its domain.`,
  );
}
