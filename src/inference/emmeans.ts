// Estimated marginal means and trends (emmeans' emmeans() and emtrends()) of a
// fitted model, and their comparisons: each mean is l'beta with l an equal-
// weight average of reference-grid rows; each trend the same average of the
// rows' derivatives in one covariate. Estimates, SEs and df come from
// linear-contrast.ts, so means and contrasts share one df computation.
import tquantile from "@stdlib/stats-base-dists-t-quantile";
import { LmmError, quote, quoteList } from "../errors.js";
import type { LmerModel } from "../model/lmer-model.js";
import { checkOptions } from "../options.js";
import { formatContrasts, formatEmmeans } from "../output/emmeans.js";
import { contrastFamily, levelLabels, type ContrastMethod } from "./comparisons.js";
import { CONTRAST_DDF, defaultDdf, linearInference, twoSidedP, type ContrastDdf, type LinearInference } from "./linear-contrast.js";
import { ADJUSTMENTS, adjustFamily, adjustNote, effectiveAdjust, type Adjust } from "./p-adjust.js";
import { averageOver, checkSpecs, gridColumns, gridOffset, gridRows, gridSlopes, gridVariables, parseSpecs, responseScaleNote, type AtValues, type GridVariable } from "./reference-grid.js";

/** Options of `emmeans()`. */
export interface EmmeansOptions {
  /** Values of covariates (or a subset of a factor's levels) for the grid: `{ time: [0, 4, 8] }`. */
  at?: AtValues;
  /** Df method: "kenward-roger" (REML fits; their default, as emmeans) or "satterthwaite" (the default for ML fits and models of more than 2000 random effects). */
  ddf?: ContrastDdf;
  /** Confidence level of the intervals; default 0.95. */
  level?: number;
}

/** Options of `emtrends()`: those of emmeans() and the covariate whose slope is wanted. */
export interface EmtrendsOptions extends EmmeansOptions {
  var: string;
}

/** Options of a comparison of the means. */
export interface CompareOptions {
  /** Multiplicity adjustment; default emmeans': "tukey" for pairs, "dunnettx" for trt.vs.ctrl, none for a user's contrasts. */
  adjust?: Adjust;
}

/**
 * One row of a table of means: the grid's values (`group`, `time`), then
 * `emmean` (or `<var>.trend`), `SE`, `df`, `lower.CL`, `upper.CL`.
 */
export type EmmRow = Record<string, string | number>;

/** One row of a comparison: `contrast`, the by-variables' values, `estimate`, `SE`, `df`, `t.ratio`, `p.value`. */
export type ContrastRow = Record<string, string | number>;

/** Comparisons of the means and how their p-values were adjusted. */
export interface ContrastTable {
  rows: ContrastRow[];
  /** The adjustment applied (after emmeans' substitutions, e.g. tukey -> sidak for non-pairwise contrasts). */
  adjust: Adjust;
  /** emmeans' notes: df method, adjustment. */
  notes: string[];
  /** Text as emmeans prints the table. */
  format(): string;
}

const EMMEANS_OPTIONS = { at: "object", ddf: CONTRAST_DDF, level: "number" } as const;

/**
 * A table of marginal means or trends with what its comparisons need (emmeans'
 * emmGrid). Made by `emmeans()` or `emtrends()`.
 */
export class EmmGrid {
  /** The rows, emmeans' column names. */
  readonly rows: EmmRow[];
  /** Name of the estimate's column: `emmean` or `<var>.trend`. */
  readonly estimateName: string;
  /** emmeans' notes under the table. */
  readonly notes: string[];
  /** The columns that label the means: the specs' variables, or "1" for `~ 1`. */
  private readonly labelColumns: string[];
  private readonly offset: number;
  private readonly scaleNotes: string[];

  constructor(
    /** The specs' variables, whose levels are compared. */
    readonly vars: string[],
    /** The by-variables: comparisons are made within each of their combinations. */
    readonly by: string[],
    private readonly cells: { values: (string | number)[]; l: Float64Array }[],
    private readonly inference: LinearInference,
    readonly level: number,
    options: {
      estimateName: string;
      averagedOver: string[];
      /** Added to every mean (the model's offset, held at its mean as emmeans holds it); 0 for trends. */
      offset: number;
      /** emmeans' note on a transformed response's scale, under means and their comparisons. */
      scaleNote?: string;
    },
  ) {
    this.estimateName = options.estimateName;
    this.offset = options.offset;
    this.scaleNotes = options.scaleNote ? [options.scaleNote] : [];
    // With `~ 1` the one mean's label is emmeans': a column "1" reading "overall".
    const overall = vars.length === 0;
    this.labelColumns = overall ? ["1"] : vars;
    const names = [...this.labelColumns, ...by];
    this.rows = cells.map(({ values, l }) => {
      const estimate = inference.estimate(l) + this.offset;
      const SE = inference.SE(l);
      const df = inference.df(l);
      const half = tquantile((1 + level) / 2, df) * SE;
      const row: EmmRow = {};
      (overall ? ["overall", ...values] : values).forEach((v, j) => (row[names[j]] = v));
      return Object.assign(row, { [this.estimateName]: estimate, SE, df, "lower.CL": estimate - half, "upper.CL": estimate + half });
    });
    this.notes = [
      ...(options.averagedOver.length > 0 ? [`Results are averaged over the levels of: ${options.averagedOver.join(", ")}`] : []),
      `Degrees-of-freedom method: ${inference.ddf}`,
      ...this.scaleNotes,
      `Confidence level used: ${level}`,
    ];
  }

  /** Pairwise differences of the means within each by-group (emmeans' pairs()); Tukey-adjusted by default. */
  pairs(options: CompareOptions = {}): ContrastTable {
    return this.contrast("pairs", options);
  }

  /**
   * Contrasts of the means within each by-group: "pairs", "trt.vs.ctrl" (each
   * level minus the first) or named coefficient vectors over the means of a
   * by-group (`{ "B - A": [-1, 1, 0] }`), as emmeans' contrast().
   */
  contrast(method: ContrastMethod, options: CompareOptions = {}): ContrastTable {
    checkOptions(options, { adjust: ADJUSTMENTS }, "contrast()");
    const nv = this.vars.length;
    const groups = new Set(this.cells.map((c) => JSON.stringify(c.values.slice(nv)))).size;
    const perGroup = this.cells.length / groups;
    const labels = levelLabels(
      this.vars,
      this.vars.map((_, j) => this.cells.slice(0, perGroup).map((c) => c.values[j])),
    );
    const family = contrastFamily(method, labels);
    const adjust = effectiveAdjust(options.adjust ?? family.adjust, family.names.length, family.pairwise);
    const rows: ContrastRow[] = [];
    for (let g = 0; g < groups; g++) {
      const means = this.cells.slice(g * perGroup, (g + 1) * perGroup);
      const tests = family.coefficients.map((c) => {
        const l = new Float64Array(means[0].l.length);
        let weight = 0;
        c.forEach((w, i) => {
          weight += w;
          if (w !== 0) means[i].l.forEach((x, j) => (l[j] += w * x));
        });
        // Each mean carries the offset, so a contrast carries it times the sum of its coefficients (0 for differences).
        const estimate = this.inference.estimate(l) + weight * this.offset;
        const SE = this.inference.SE(l);
        const df = this.inference.df(l);
        return { estimate, SE, df, t: estimate / SE };
      });
      const p = adjustFamily({ t: tests.map((r) => r.t), df: tests.map((r) => r.df), p: tests.map((r) => twoSidedP(r.t, r.df)), nmeans: perGroup }, adjust);
      tests.forEach((r, i) => {
        const row: ContrastRow = { contrast: family.names[i] };
        this.by.forEach((b, j) => (row[b] = means[0].values[nv + j]));
        rows.push(Object.assign(row, { estimate: r.estimate, SE: r.SE, df: r.df, "t.ratio": r.t, "p.value": p[i] }));
      });
    }
    const note = adjustNote(adjust, family.names.length, perGroup);
    const requested = options.adjust ?? family.adjust;
    const notes = [
      `Degrees-of-freedom method: ${this.inference.ddf}`,
      ...this.scaleNotes,
      ...(note ? [note] : []),
      ...(requested === "tukey" && adjust === "sidak" ? ['Note: adjust = "tukey" was changed to "sidak" because "tukey" is only appropriate for one set of pairwise comparisons'] : []),
    ];
    const by = this.by;
    return { rows, adjust, notes, format: () => formatContrasts(rows, by, notes) };
  }

  /** Text as emmeans prints the table. */
  format(): string {
    return formatEmmeans(this.rows, this.labelColumns, this.by, this.estimateName, this.notes);
  }

  toJSON(): EmmRow[] {
    return this.rows;
  }
}

function checkLevel(level: number | undefined): number {
  const value = level ?? 0.95;
  if (!(value > 0 && value < 1)) throw new LmmError(`level must be between 0 and 1 (such as 0.95), not ${quote(value)}.`);
  return value;
}

/** Factors of the grid that a table averages over (for emmeans' note). */
function averagedFactors(variables: GridVariable[], named: string[]): string[] {
  return variables.filter((v) => !named.includes(v.name) && v.values.length > 1).map((v) => v.name);
}

/**
 * Estimated marginal means (emmeans' emmeans()): the model's predictions on the
 * reference grid (every combination of the factors' levels, covariates at their
 * means unless `at` gives values), averaged with equal weights over the
 * variables `specs` does not name. Specs: `"~ group"`, `"~ group | time"`,
 * `"~ a * b"` or `"group"`.
 *
 * @example
 * const e = emmeans(m, "~ Sex | age", { at: { age: [8, 14] } });
 * e.rows;         // [{ Sex: "Female", age: 8, emmean, SE, df, "lower.CL", "upper.CL" }, ...]
 * e.pairs().rows; // [{ contrast: "Female - Male", age: 8, estimate, SE, df, "t.ratio", "p.value" }, ...]
 */
export function emmeans(m: LmerModel, specs: string, options: EmmeansOptions = {}): EmmGrid {
  checkOptions(options, EMMEANS_OPTIONS, "emmeans()");
  const level = checkLevel(options.level);
  const parsed = parseSpecs(specs);
  const at = options.at ?? {};
  const variables = gridVariables(m, at);
  checkSpecs(parsed, variables, at);
  const names = [...parsed.vars, ...parsed.by];
  const cells = averageOver(gridRows(m, variables), variables, names);
  const inference = linearInference(m, options.ddf ?? defaultDdf(m));
  return new EmmGrid(parsed.vars, parsed.by, cells, inference, level, {
    estimateName: "emmean",
    averagedOver: averagedFactors(variables, names),
    offset: gridOffset(m),
    scaleNote: responseScaleNote(m),
  });
}

/**
 * Estimated marginal trends (emmeans' emtrends()): the slope of the covariate
 * `var` in each cell of `specs`, the derivative of the model's predictions on
 * the reference grid averaged as emmeans() averages them; with interactions
 * (`time * group`) the slopes differ by group, and `pairs()` compares them.
 */
export function emtrends(m: LmerModel, specs: string, options: EmtrendsOptions): EmmGrid {
  checkOptions(options, { ...EMMEANS_OPTIONS, var: "string" }, "emtrends()");
  const level = checkLevel(options.level);
  const trendVar = options?.var;
  if (typeof trendVar !== "string") throw new LmmError('emtrends() needs the covariate whose slope is wanted: { var: "time" } (--var time).');
  const parsed = parseSpecs(specs);
  const at = options.at ?? {};
  checkTrendVar(m, trendVar);
  const variables = gridVariables(m, at, trendVar);
  if ([...parsed.vars, ...parsed.by].includes(trendVar) && !Object.hasOwn(at, trendVar)) {
    throw new LmmError(`The specs name ${quote(trendVar)}, whose slope is wanted: name the factors the slope may differ by (e.g. "~ group"), or give the values of ${quote(trendVar)} where the slopes are wanted with at.`);
  }
  checkSpecs(parsed, variables, at);
  const names = [...parsed.vars, ...parsed.by];
  const cells = averageOver(gridSlopes(m, variables, trendVar), variables, names);
  const inference = linearInference(m, options.ddf ?? defaultDdf(m));
  return new EmmGrid(parsed.vars, parsed.by, cells, inference, level, {
    estimateName: `${trendVar}.trend`,
    averagedOver: averagedFactors(variables, [...names, trendVar]),
    offset: 0,
  });
}

/**
 * The covariate of emtrends() is a numeric data column the fixed effects
 * depend on: not a factor, not only a grouping variable or in the offset (whose
 * slope emmeans leaves out of the trend).
 */
function checkTrendVar(m: LmerModel, trendVar: string): void {
  const { names, fixed, coerced } = gridColumns(m);
  if (fixed.includes(trendVar)) {
    const factor = coerced.get(trendVar) ?? (Object.hasOwn(m.design.factorLevels ?? {}, trendVar) ? trendVar : undefined);
    if (factor !== undefined) throw new LmmError(`var ${quote(trendVar)} is a factor${factor !== trendVar ? ` (as ${quote(factor)})` : ""}: emtrends() gives the slope of a numeric covariate; compare a factor's levels with emmeans().`);
    return;
  }
  const where = names.includes(trendVar)
    ? "appears only in the offset, which emmeans leaves out of trends"
    : m.design.formula.random.some((r) => r.group.includes(trendVar))
      ? "appears only in a grouping factor of the random effects"
      : m.design.formula.random.some((r) => r.lhs.terms.flat().includes(trendVar))
        ? "appears only in the random effects"
        : "is not a variable of the fixed effects";
  throw new LmmError(`var ${quote(trendVar)} ${where}: give a numeric covariate of the fixed effects (${quoteList(fixed)}).`);
}
