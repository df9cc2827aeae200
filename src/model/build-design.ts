// From a parsed formula and a data frame to the model's pieces (design.ts): the
// response, the fixed-effects matrix X (R's contrasts, treatment unless the
// options give others, and R's column names),
// and one random-effects term per `( ... | g)`, ordered as lme4 orders them. This
// is lme4's lFormula: its result can be inspected on its own.
import { cellNumber, type Column, type DataFrame } from "../data.js";
import { LmmError, quote, quoteList } from "../errors.js";
import { choleskyDefinite } from "../linalg.js";
import { formulaVariables, rName, type ParsedFormula, type Term, type TermList } from "../formula.js";
import { encodeWithLevels, interactFactors, levelLabel, makeFactor, type Factor } from "./factor.js";
import { gigabytes, WASM_MEMORY_BYTES } from "./blocks.js";
import type { Design, DesignOptions, ModelMatrix, NewDataDesign, RandomEffectsTerm } from "./design.js";
import { TransformedVariables } from "./transforms.js";
import { contrastMatrix, contrastName, type ContrastName } from "./contrasts.js";
import { residualDesign } from "./residual/build.js";
import { residualSpec, residualVariables } from "./residual/spec.js";

/** How each factor coded by contrasts is coded. */
type Coding = (variable: string) => ContrastName;

/** R's default: contr.treatment for every factor. */
const TREATMENT: Coding = () => "treatment";

/** The coding of the fixed effects that `options.contrasts` asks for (lmer's `contrasts`). */
function fixedCoding(options: DesignOptions): Coding {
  const given = options.contrasts ?? {};
  return (v) => (Object.hasOwn(given, v) ? contrastName(v, given[v]) : "treatment");
}

function lookup(data: DataFrame, name: string): Column {
  const col = data.columns.get(name);
  if (col) return col;
  const near = data.names.find((n) => n.toLowerCase() === name.toLowerCase());
  const hint = near ? ` Did you mean ${quote(near)}?` : ` The columns are: ${quoteList(data.names)}.`;
  throw new LmmError(`Unknown column ${quote(name)} in the formula.${hint}`);
}

function isMissing(col: Column, i: number): boolean {
  return col.kind === "numeric" ? Number.isNaN(col.values[i]) : col.values[i] === null;
}

/** Set missing[i] where the column's value is missing (one loop per column kind: 10^6 rows). */
function markMissing(col: Column, missing: Uint8Array): void {
  if (col.kind === "numeric") {
    for (let i = 0; i < missing.length; i++) if (Number.isNaN(col.values[i])) missing[i] = 1;
  } else {
    for (let i = 0; i < missing.length; i++) if (col.values[i] === null) missing[i] = 1;
  }
}

/** Rows with no missing value in any variable the model uses, nor in its weights or offset option (R's na.omit). */
function completeRows(data: DataFrame, vars: string[], extra: ArgumentColumn[]): Int32Array {
  const missing = new Uint8Array(data.nrow);
  for (const v of vars) markMissing(lookup(data, v), missing);
  for (const c of extra) markMissing({ kind: "numeric", values: c.values }, missing);
  let count = 0;
  for (let i = 0; i < data.nrow; i++) count += 1 - missing[i];
  if (count === 0) {
    const allMissing = vars.find((v) => {
      const c = lookup(data, v);
      for (let i = 0; i < data.nrow; i++) if (!isMissing(c, i)) return false;
      return true;
    });
    const why = allMissing ? `column ${quote(allMissing)} is missing in every row` : "every row has a missing value in some variable of the model (or its weights or offset)";
    throw new LmmError(`No complete rows to fit: ${why}. Check the column names and missing-value codes.`);
  }
  const keep = new Int32Array(count);
  for (let i = 0, k = 0; i < data.nrow; i++) if (!missing[i]) keep[k++] = i;
  return keep;
}

function checkFinite(data: DataFrame, name: string, rows: Int32Array): void {
  const col = data.columns.get(name)!;
  if (col.kind !== "numeric") return;
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    if (!Number.isFinite(col.values[r])) {
      throw new LmmError(`Column ${quote(name)} holds ${col.values[r]} at data row ${r + 1}: remove or recode infinite values before fitting.`);
    }
  }
}

/** The weights or offset option as one number (or NaN, missing) per data row. */
interface ArgumentColumn {
  option: "weights" | "offset";
  values: Float64Array;
}

/** The weights or offset option of DesignOptions as a column: a numeric column of the data, or an array of one number per data row. */
function argumentColumn(data: DataFrame, option: "weights" | "offset", value: string | ArrayLike<number>): ArgumentColumn {
  if (typeof value === "string") {
    const col = data.columns.get(value);
    if (!col) {
      throw new LmmError(`Unknown column ${quote(value)} given as ${option}. The columns are: ${quoteList(data.names)}.`);
    }
    if (col.kind !== "numeric") throw new LmmError(`The ${option} column ${quote(value)} holds text: give a numeric column.`);
    return { option, values: Float64Array.from(col.values) };
  }
  if (value.length !== data.nrow) {
    throw new LmmError(`The ${option} array has ${value.length} values for ${data.nrow} data rows: give one per row (NaN for a missing one), or a column name.`);
  }
  const values = new Float64Array(data.nrow);
  for (let i = 0; i < data.nrow; i++) {
    const v = value[i];
    if (typeof v !== "number") throw new LmmError(`The ${option} array holds ${quote(String(v))} at position ${i + 1}: give numbers.`);
    values[i] = v;
  }
  return { option, values };
}

/** The option's values on the rows used: finite, and positive for weights (lme4 gives a -Infinity log-likelihood for a zero weight). */
function argumentValues(arg: ArgumentColumn, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const v = arg.values[rows[k]];
    if (!Number.isFinite(v)) throw new LmmError(`The ${arg.option} hold ${v} at data row ${rows[k] + 1}: remove or recode infinite values before fitting.`);
    if (arg.option === "weights" && v <= 0) {
      throw new LmmError(`The weights must be positive, but data row ${rows[k] + 1} has weight ${v}: drop the rows of weight 0 (they carry no information) and check the negative ones.`);
    }
    out[k] = v;
  }
  return out;
}

function indicator(codes: Int32Array, level: number): Float64Array {
  const out = new Float64Array(codes.length);
  for (let i = 0; i < codes.length; i++) if (codes[i] === level) out[i] = 1;
  return out;
}

function product(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] * b[i];
  return out;
}

/**
 * Columns of the model frame, each made once: a variable, an indicator or the
 * intercept used in several terms (or in X and in Z) is the same array, so
 * model columns are shared and read-only.
 */
class FrameBuilder {
  readonly factorCache = new Map<string, Factor>();
  private readonly columnCache = new Map<string, Float64Array>();
  private readonly transformedCache = new Map<string, { names: string[]; columns: Float64Array[] }>();
  constructor(
    private readonly data: DataFrame,
    private readonly rows: Int32Array,
    private readonly options: DesignOptions,
    /** The formula's function calls, and what the fit learned for them. */
    readonly transforms: TransformedVariables,
    /** Levels of a fitted model: new data is coded against them. */
    private readonly knownLevels?: Record<string, string[]>,
  ) {}

  isFactor(name: string): boolean {
    // New data is coded as the fit coded it, whatever the new column's type.
    if (this.knownLevels && Object.hasOwn(this.knownLevels, name)) return true;
    if (this.transforms.has(name)) return this.transforms.factorColumn(name) !== undefined;
    return lookup(this.data, name).kind === "text" || (this.options.factors ?? []).includes(name);
  }

  factor(name: string): Factor {
    let f = this.factorCache.get(name);
    if (!f) {
      const col = lookup(this.data, this.transforms.factorColumn(name) ?? name);
      const levels = this.options.levels;
      const known = this.knownLevels;
      f =
        known && Object.hasOwn(known, name)
          ? encodeWithLevels(name, col, this.rows, known[name])
          : makeFactor(name, col, this.rows, levels && Object.hasOwn(levels, name) ? levels[name] : undefined, this.options.levelOrder);
      this.factorCache.set(name, f);
    }
    return f;
  }

  private cached(key: string, make: () => Float64Array): Float64Array {
    let col = this.columnCache.get(key);
    if (!col) this.columnCache.set(key, (col = make()));
    return col;
  }

  numeric(name: string): Float64Array {
    return this.cached(`value ${name}`, () => {
      const col = lookup(this.data, name);
      if (col.kind !== "numeric") throw new Error(`internal: ${name} is not numeric`);
      // Plain loops here and below: typed-array from/map with a callback is an
      // order of magnitude slower in Node 20, and cohorts have 10^6 rows.
      const out = new Float64Array(this.rows.length);
      for (let i = 0; i < out.length; i++) out[i] = col.values[this.rows[i]];
      return out;
    });
  }

  /** The columns of a numeric variable, named as R names them (a function call may give several: poly). */
  numericColumns(name: string): { names: string[]; columns: Float64Array[] } {
    if (!this.transforms.has(name)) return { names: [rName(name)], columns: [this.numeric(name)] };
    let cols = this.transformedCache.get(name);
    if (!cols) this.transformedCache.set(name, (cols = this.transforms.columns(name, this.data, this.rows)));
    return cols;
  }

  /** A variable as R prints it in column names: a call as deparsed, a name backticked if not syntactic. */
  label(name: string): string {
    return this.transforms.has(name) ? name : rName(name);
  }

  /** Indicator of level k of factor `name`. */
  indicator(name: string, k: number): Float64Array {
    return this.cached(`level ${k} of ${name}`, () => indicator(this.factor(name).codes, k));
  }

  /**
   * The columns of factor `name` in a contrast coding, named as R names them. A
   * contrast that is the indicator of one level (all of treatment's) is that
   * indicator's shared column.
   */
  private contrastColumns(name: string, coding: ContrastName): { names: string[]; columns: Float64Array[] } {
    const f = this.factor(name);
    const { suffixes, columns } = contrastMatrix(name, coding, f.levels);
    return {
      names: suffixes.map((s) => `${this.label(name)}${s}`),
      columns: columns.map((c, j) => {
        const level = c.findIndex((v) => v !== 0);
        if (c[level] === 1 && c.every((v, l) => l === level || v === 0)) return this.indicator(name, level);
        return this.cached(`${coding} contrast ${j} of ${name}`, () => {
          const out = new Float64Array(f.codes.length);
          for (let i = 0; i < out.length; i++) out[i] = c[f.codes[i]];
          return out;
        });
      }),
    };
  }

  /**
   * R's model.matrix for a term list: a factor is coded by `coding`'s contrasts
   * (treatment by default, sum-to-zero for type III hypotheses) where R codes it
   * by contrasts, and by indicators of all its levels elsewhere.
   */
  modelMatrix(list: TermList, coding: Coding = TREATMENT): ModelMatrix {
    const n = this.rows.length;
    const names: string[] = [];
    const columns: Float64Array[] = [];
    const assign: number[] = [];
    if (list.intercept) {
      names.push("(Intercept)");
      columns.push(this.cached("intercept", () => new Float64Array(n).fill(1)));
      assign.push(-1);
    }
    // A factor is coded by contrasts when the term without it is already in the
    // model (its margin); otherwise by indicators of all its levels (R's rule).
    const present = new Set<string>(list.intercept ? [""] : []);
    const key = (t: Term) => [...t].sort().join(":");
    list.terms.forEach((term, termIndex) => {
      const parts: { names: string[]; columns: Float64Array[] }[] = [];
      for (const v of term) {
        if (!this.isFactor(v)) {
          parts.push(this.numericColumns(v));
          continue;
        }
        const margin = key(term.filter((u) => u !== v));
        const contrasts = present.has(margin);
        if (!contrasts && margin === "") present.add("");
        if (contrasts) {
          parts.push(this.contrastColumns(v, coding(v)));
          continue;
        }
        const f = this.factor(v);
        parts.push({
          names: f.levels.map((l) => `${this.label(v)}${l}`),
          columns: f.levels.map((_, k) => this.indicator(v, k)),
        });
      }
      // Cartesian product, first variable varying fastest.
      let acc = parts[0];
      for (const part of parts.slice(1)) {
        const next = { names: [] as string[], columns: [] as Float64Array[] };
        for (let b = 0; b < part.names.length; b++) {
          for (let a = 0; a < acc.names.length; a++) {
            next.names.push(`${acc.names[a]}:${part.names[b]}`);
            next.columns.push(product(acc.columns[a], part.columns[b]));
          }
        }
        acc = next;
      }
      names.push(...acc.names);
      columns.push(...acc.columns);
      acc.names.forEach(() => assign.push(termIndex));
      present.add(key(term));
    });
    return { names, columns, assign };
  }

  groupingFactor(vars: string[]): Factor {
    return interactFactors(vars.map((v) => this.factor(v)));
  }
}

/**
 * The fixed-effects matrix's size from the factors' levels, before it is built:
 * n x p values in X, p x p in its cross-products. A factor of 10^5 levels as a
 * fixed effect would take tens of GB (and is what a random effect is for).
 */
function checkFixedSize(list: TermList, fb: FrameBuilder, n: number): void {
  let p = list.intercept ? 1 : 0;
  let largest = { name: "", levels: 0 };
  for (const term of list.terms) {
    let columns = 1;
    for (const v of term) {
      if (!fb.isFactor(v)) continue;
      const levels = fb.factor(v).levels.length;
      columns *= levels;
      if (levels > largest.levels) largest = { name: v, levels };
    }
    p += columns;
  }
  const bytes = 8 * (n * p + p * p);
  if (bytes <= WASM_MEMORY_BYTES) return;
  const hint = largest.levels > 100 ? `: ${quote(largest.name)} has ${largest.levels} levels; as a random effect, (1 | ${rName(largest.name)}), it costs one column` : ": simplify the fixed effects";
  throw new LmmError(`The fixed effects would have about ${p} columns for ${n} rows, ${gigabytes(bytes)} of memory, more than the 4 GB WebAssembly can address${hint}.`);
}

/**
 * Each contrasts entry names a factor of the fixed effects (as the formula writes
 * it: R's model.matrix matches `factor(Diet)` by that name) and a known coding.
 * R warns and ignores an entry for another variable; here it is an error, so a
 * misspelt name cannot leave a factor silently treatment-coded.
 */
function checkContrasts(list: TermList, fb: FrameBuilder, options: DesignOptions): void {
  const variables = [...new Set(list.terms.flat())];
  const factors = variables.filter((v) => fb.isFactor(v));
  for (const [name, value] of Object.entries(options.contrasts ?? {})) {
    contrastName(name, value);
    if (factors.includes(name)) continue;
    const call = factors.find((v) => fb.transforms.factorColumn(v) === name);
    const given = `contrasts are given for ${quote(name)}`;
    if (call) throw new LmmError(`${given}, but the formula uses it as ${quote(call)}: name the contrasts ${quote(call)}, as R does.`);
    if (variables.includes(name)) throw new LmmError(`${given}, which is numeric in the model: treat it as a factor first (option factors, --factor ${name}).`);
    const those = factors.length ? `those are ${quoteList(factors)}` : "it has none";
    throw new LmmError(`${given}, which is not a factor of the fixed effects (${those}).`);
  }
}

/**
 * Drop columns of X that are linear combinations of earlier ones, as lme4 does
 * (pivoted QR, tolerance 1e-7): modified Gram-Schmidt in column order.
 */
function dropAliased(X: ModelMatrix): { X: ModelMatrix; dropped: string[] } {
  if (clearlyFullRank(X.columns)) return { X, dropped: [] };
  const kept: Float64Array[] = [];
  const keptIdx: number[] = [];
  const dropped: string[] = [];
  X.columns.forEach((col, j) => {
    const r = col.slice();
    const norm0 = Math.sqrt(dot(col, col));
    const nr = Math.sqrt(orthogonalise(r, kept));
    if (norm0 === 0 || nr <= 1e-7 * norm0) {
      dropped.push(X.names[j]);
      return;
    }
    for (let i = 0; i < r.length; i++) r[i] /= nr;
    kept.push(r);
    keptIdx.push(j);
  });
  const X2 = { names: keptIdx.map((j) => X.names[j]), columns: keptIdx.map((j) => X.columns[j]), assign: keptIdx.map((j) => X.assign[j]) };
  return { X: X2, dropped };
}

/**
 * Why a fit has no finite estimates or no residual variance, from its design:
 * values whose squares overflow, a response that the fixed effects reproduce
 * exactly, or else the scale of the largest column.
 */
export function degenerateFitCause(design: Design): string {
  const columns = [{ name: design.response, values: design.y }, ...design.X.names.map((name, j) => ({ name, values: design.X.columns[j] }))];
  let largest = { name: "", max: 0 };
  for (const c of columns) {
    let max = 0;
    for (let i = 0; i < c.values.length; i++) max = Math.max(max, Math.abs(c.values[i]));
    if (max > largest.max) largest = { name: c.name, max };
  }
  if (largest.max >= 1e100) {
    return `${quote(largest.name)} holds values as large as ${largest.max.toExponential(2)}, whose squares overflow double precision: rescale it (e.g. divide by a power of 10).`;
  }
  const withY = { names: [...design.X.names, "\0y"], columns: [...design.X.columns, design.y], assign: [...design.X.assign, -2] };
  if (dropAliased(withY).dropped.includes("\0y")) {
    return `the response ${quote(design.response)} is an exact linear function of the fixed effects (zero residual variance): there is nothing left for the random effects and the residuals to explain.`;
  }
  const within = design.terms.find((t) => constantWithinLevels(design.y, t.factor.codes));
  if (within) {
    return `the response ${quote(design.response)} is constant within each level of ${quote(within.group)}: the residual variance is zero, and the likelihood has no maximum (it grows without bound as the residual sd goes to 0).`;
  }
  return `the scale of ${quote(largest.name)} (values up to ${largest.max.toExponential(2)}) is too large for the others: center and rescale it.`;
}

/** Whether y takes one value within each level of a grouping factor. */
function constantWithinLevels(y: Float64Array, codes: Int32Array): boolean {
  const first = new Map<number, number>();
  for (let i = 0; i < y.length; i++) {
    const v = first.get(codes[i]);
    if (v === undefined) first.set(codes[i], y[i]);
    else if (v !== y[i]) return false;
  }
  return true;
}

/**
 * A sufficient condition for the Gram-Schmidt of dropAliased to keep every
 * column, from dot products alone (no column copies, one pass per pair). With
 * unit-norm columns, every column's relative residual (what Gram-Schmidt
 * compares with 1e-7) is at least the smallest singular value of X, and rounding
 * moves both by about 1e-9 at most for 10^6 rows. So if that singular value
 * exceeds 1e-3 no column is aliased, and the Cholesky factorisation of G - 1e-6 I
 * (G the Gram matrix of the unit-norm columns) succeeds exactly then.
 */
function clearlyFullRank(columns: Float64Array[]): boolean {
  const p = columns.length;
  const G = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b <= a; b++) G[a * p + b] = dotFast(columns[a], columns[b]);
  const norms = columns.map((_, a) => Math.sqrt(G[a * p + a]));
  if (!norms.every((v) => v > 0 && Number.isFinite(v))) return false;
  for (let a = 0; a < p; a++) {
    for (let b = 0; b <= a; b++) G[a * p + b] = G[a * p + b] / (norms[a] * norms[b]) - (a === b ? 1e-6 : 0);
  }
  return choleskyDefinite(G, p) !== null;
}

/**
 * a . b with four partial sums, twice as fast over long columns; for the screen
 * only, since Gram-Schmidt keeps `dot`'s left-to-right order (and so its decisions).
 */
function dotFast(a: Float64Array, b: Float64Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n4 = a.length - (a.length % 4);
  let i = 0;
  for (; i < n4; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < a.length; i++) s0 += a[i] * b[i];
  return s0 + s1 + (s2 + s3);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Subtract from r its projection on each orthonormal q in turn; returns |r|^2.
 * Each pass subtracts one projection and accumulates the next dot product (or
 * the norm) from the values just written: the same arithmetic as one loop per
 * step, with half the passes over columns of 10^6 rows.
 */
function orthogonalise(r: Float64Array, qs: Float64Array[]): number {
  let d = qs.length > 0 ? dot(qs[0], r) : dot(r, r);
  for (let k = 0; k < qs.length; k++) {
    const q = qs[k];
    const next = k + 1 < qs.length ? qs[k + 1] : r;
    let dNext = 0;
    for (let i = 0; i < r.length; i++) {
      r[i] -= d * q[i];
      dNext += next[i] * r[i];
    }
    d = dNext;
  }
  return d;
}

/** The sum of the formula's offset() terms on the frame's rows, or undefined without one. */
function modelOffset(formula: ParsedFormula, fb: FrameBuilder): Float64Array | undefined {
  if (formula.offsets.length === 0) return undefined;
  const columns = formula.offsets.map((v) => fb.numericColumns(v).columns[0]);
  return columns.reduce((sum, c) => sum.map((v, i) => v + c[i]));
}

/** The sum of two offsets, either of which may be absent. */
function addOffsets(a: Float64Array | undefined, b: Float64Array | undefined): Float64Array | undefined {
  return a && b ? a.map((v, i) => v + b[i]) : (a ?? b);
}

/**
 * The order of the random-effects terms, from their numbers of levels: lme4
 * (mkReTrms) reorders terms only when some term has more levels than an
 * earlier one, and then by rev(order(levels)).
 */
export function lme4TermOrder(levels: readonly number[]): number[] {
  const order = levels.map((_, i) => i);
  if (!levels.some((v, i) => i > 0 && v > levels[i - 1])) return order;
  return order.sort((a, b) => levels[a] - levels[b] || a - b).reverse();
}

/** Build the model's design from a parsed formula and data (lme4's lFormula). */
export function buildDesign(formula: ParsedFormula, data: DataFrame, options: DesignOptions = {}): Design {
  if (!formula.response) throw new LmmError("The formula has no response: write it as 'y ~ ...' with the response column on the left.");
  const residual = residualSpec(options);
  if (formula.random.length === 0 && !residual) {
    throw new LmmError(
      "The formula has no random-effects term: add one such as '(1 | subject)', or give a residual structure (correlation: 'ar1(~ time | subject)', as nlme's gls); for a model with neither use a linear model.",
    );
  }
  const response = formula.response;
  const messages: string[] = [];
  // lme4 (model.frame) drops the response from the right-hand side, with a warning.
  if (formula.fixed.terms.some((t) => t.includes(response))) {
    const term = formula.fixed.terms.find((t) => t.includes(response) && t.length > 1);
    if (term) throw new LmmError(`The response ${quote(response)} appears in the term ${quote(term.join(":"))} on the right-hand side: remove it from the fixed effects.`);
    formula = { ...formula, fixed: { ...formula.fixed, terms: formula.fixed.terms.filter((t) => !t.includes(response)) } };
    messages.push("the response appeared on the right-hand side and was dropped");
  }
  const transforms = new TransformedVariables(formula.calls, {}, true);
  for (const r of formula.random) {
    const call = r.group.find((v) => transforms.has(v));
    if (call) throw new LmmError(`The grouping factor ${quote(call)} of a random-effects term is a function call: use a column of the data (every grouping variable is a factor already).`);
  }
  const vars = [...new Set([...formulaVariables(formula).flatMap((v) => transforms.dataColumns(v)), ...(residual ? residualVariables(residual) : [])])];
  vars.forEach((v) => lookup(data, v));
  const rcol = transforms.has(response) ? undefined : lookup(data, response);
  if (rcol && rcol.kind !== "numeric") {
    // Quote a cell that is not a number (a column of numbers and one 'null' is text because of that one).
    const row = rcol.values.findIndex((v) => v !== null && cellNumber(v) === undefined);
    const at = row >= 0 ? row : rcol.values.findIndex((v) => v !== null);
    const cell = String(rcol.values[at]);
    // A decimal comma (1,5) is the usual cause in data from a European spreadsheet.
    const hint = /^\s*[-+]?\d+,\d+\s*$/.test(cell) ? " It looks like a decimal comma: write numbers with a decimal point (1.5), e.g. export the CSV with a point as the decimal separator." : "";
    throw new LmmError(
      `The response ${quote(response)} is not numeric (it holds text such as ${quote(cell)} at data row ${at + 1}): choose a numeric column or fix its values.${hint}`,
    );
  }
  const weightsArg = options.weights === undefined ? undefined : argumentColumn(data, "weights", options.weights);
  const offsetArg = options.offset === undefined ? undefined : argumentColumn(data, "offset", options.offset);
  const rows = completeRows(data, vars, [weightsArg, offsetArg].filter((c) => c !== undefined));
  for (const v of vars) checkFinite(data, v, rows);
  const weights = weightsArg && argumentValues(weightsArg, rows);
  const fb = new FrameBuilder(data, rows, options, transforms);
  const n = rows.length;
  const yColumns = fb.isFactor(response) ? [] : fb.numericColumns(response).columns;
  if (yColumns.length !== 1) throw new LmmError(`The response ${quote(response)} must be one numeric value per row (not a factor or several columns).`);
  const offset = addOffsets(modelOffset(formula, fb), offsetArg && argumentValues(offsetArg, rows));
  const y = offset ? yColumns[0].map((v, i) => v - offset[i]) : yColumns[0];

  checkFixedSize(formula.fixed, fb, n);
  checkContrasts(formula.fixed, fb, options);
  const { X, dropped } = dropAliased(fb.modelMatrix(formula.fixed, fixedCoding(options)));
  if (X.columns.length === 0) throw new LmmError("The fixed-effects part has no columns: keep the intercept or add a fixed effect.");

  let terms: RandomEffectsTerm[] = formula.random.map((rt) => {
    const factor = fb.groupingFactor(rt.group);
    const Z = fb.modelMatrix(rt.lhs);
    if (Z.columns.length === 0) throw new LmmError(`The random-effects term for ${quote(rt.groupName)} has no columns: write (1 | ${rt.groupName}) or (x | ${rt.groupName}).`);
    return { group: rt.groupName, groupVars: rt.group, lhs: rt.lhs, factor, names: Z.names, columns: Z.columns, assign: Z.assign, ...(rt.structure && { structure: rt.structure }) };
  });
  for (const t of terms) {
    const L = t.factor.levels.length;
    if (L < 2) {
      throw new LmmError(`Grouping factor ${quote(t.group)} has only ${L} level in the data used: a random effect needs at least 2 groups.`);
    }
    if (L >= n) {
      throw new LmmError(`Grouping factor ${quote(t.group)} has ${L} levels for ${n} observations: each group needs repeated observations (fewer levels than observations).`);
    }
    if (L * t.names.length >= n && t.names.length > 1) {
      throw new LmmError(
        `The term (${t.names.join(" + ")} | ${t.group}) has ${L * t.names.length} random effects for ${n} observations: they are not identifiable; simplify the random-effects term.`,
      );
    }
  }
  terms = lme4TermOrder(terms.map((t) => t.factor.levels.length)).map((i) => terms[i]);
  const residualVars = residual && residualDesign(residual, fb, terms, weights !== undefined);
  const factorLevels = Object.fromEntries([...fb.factorCache].map(([name, f]) => [name, f.levels]));
  const sumCodedX = () => fb.modelMatrix(formula.fixed, () => "sum");
  const covariate = (name: string) => fb.numeric(name);
  return { formula, n, rows, droppedRows: data.nrow - n, response, y, X, droppedColumns: dropped, messages, terms, options, data, factorLevels, transforms: transforms.state, sumCodedX, covariate, ...(offset && { offset }), ...(weights && { weights }), ...(residualVars && { residual: residualVars }) };
}


/**
 * Code new data for a fitted design (for prediction). Fixed-effect factors must use
 * fitted levels; grouping levels the fit did not see get code -1.
 */
export function newDataDesign(design: Design, data: DataFrame, withRandom: boolean): NewDataDesign {
  const f = design.formula;
  const vars = new Set<string>([...f.fixed.terms.flat(), ...f.offsets]);
  if (withRandom) for (const r of f.random) [...r.lhs.terms.flat(), ...r.group].forEach((v) => vars.add(v));
  const transforms = new TransformedVariables(f.calls, design.transforms ?? {}, false);
  const known = design.factorLevels ?? {};
  // Columns that enter only through factor() are coded against the fitted levels, whatever their type.
  const factorColumns = new Set([...vars].flatMap((v) => transforms.factorColumn(v) ?? []));
  const offsetOption = design.options?.offset;
  if (offsetOption !== undefined && typeof offsetOption !== "string") {
    throw new LmmError("The model's offset option was an array of values for the fitted rows: to predict new data, give the offset as a column name (offset: 'column') or as offset(column) in the formula.");
  }
  const used = [...new Set([...[...vars].flatMap((v) => transforms.dataColumns(v)), ...(offsetOption === undefined ? [] : [offsetOption])])];
  for (const v of used) {
    const col = data.columns.get(v);
    if (!col) throw new LmmError(`The new data has no column ${quote(v)}: it needs every column the formula uses (${quoteList(used)}).`);
    if (!Object.hasOwn(known, v) && !factorColumns.has(v) && col.kind === "text") {
      const example = col.values.find((x) => x !== null);
      throw new LmmError(`Column ${quote(v)} of the new data holds text (such as ${quote(example)}) but the model used it as a number: give numbers.`);
    }
  }
  const keep: number[] = [];
  for (let i = 0; i < data.nrow; i++) if (!used.some((v) => isMissing(data.columns.get(v)!, i))) keep.push(i);
  const rows = Int32Array.from(keep);
  for (const v of used) checkFinite(data, v, rows);
  const fb = new FrameBuilder(data, rows, design.options ?? {}, transforms, design.factorLevels ?? {});
  const full = fb.modelMatrix(f.fixed, fixedCoding(design.options ?? {}));
  const X = design.X.names.map((name) => full.columns[full.names.indexOf(name)]);
  const terms = withRandom
    ? design.terms.map((t) => {
        const index = new Map(t.factor.levels.map((l, i) => [l, i]));
        const labels = Array.from(rows, (r) => t.groupVars!.map((v) => levelLabel(data.columns.get(v)!, r)).join(":"));
        return { columns: fb.modelMatrix(t.lhs!).columns, codes: Int32Array.from(labels, (l) => index.get(l) ?? -1), labels };
      })
    : [];
  const offset = addOffsets(modelOffset(f, fb), offsetOption === undefined ? undefined : fb.numeric(offsetOption));
  return { rows, X, terms, ...(offset && { offset }) };
}
