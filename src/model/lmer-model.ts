// The fitted model (lme4's merMod): estimates, variance components, conditional
// modes, fitted values and fit statistics at the optimum.
import { inverseFromCholesky, meanAndSd, quantileSorted, timesTranspose } from "../linalg.js";
import { LmmError } from "../errors.js";
import { checkOptions } from "../options.js";
import { iccOf, r2Of, varianceParts, type Icc, type R2, type VarianceParts } from "../inference/variance-explained.js";
import type { ThetaOptimum } from "../fit/optimize-theta.js";
import { degenerateFitCause } from "./build-design.js";
import type { Design, TermOutline } from "./design.js";
import type { ParsedFormula } from "../formula.js";
import type { ProfiledDeviance } from "./deviance.js";
import { termStructures, thetaLower, thetaNames, thetaToFactors } from "./parameters.js";
import { TermCovariance } from "./covariance/structure.js";
import { betaCovarianceScale } from "./residual/structure.js";
import { formatSummary } from "../output/summary.js";
import { modelToJSON, type LmerJSON } from "../output/json.js";
import { satterthwaite, type DdfTable } from "../inference/satterthwaite.js";
import { kenwardRoger, type KenwardRogerTable } from "../inference/kenward-roger.js";
import { anovaTypeIII, type AnovaRow } from "../inference/anova-type3.js";
import { bootConfint, profileConfint, waldConfint, type ConfintRow } from "../inference/confint.js";
import { predict, type PredictionIntervals, type PredictOptions } from "./predict.js";
import type { DataInput } from "../data.js";
import type { Convergence, DdfMethod, FitEstimates, FittedModel, RanefTable, TermStructure, VarCorrRow } from "./fitted.js";

/** lme4's isSingular tolerance on the relative factor's diagonal. */
const SINGULAR_TOL = 1e-4;

/** A residual sd at most this fraction of the response's is zero (see fitEstimates' check). */
const ZERO_RESIDUAL = 1e-7;

// Loops over the rows (10^6 for cohorts) live in small functions of their own,
// which V8 optimises at once (a loop inside a long function runs unoptimised
// until on-stack replacement compiles the whole function).

/** out += s * col. */
function addScaled(out: Float64Array, col: Float64Array, s: number): void {
  for (let i = 0; i < out.length; i++) out[i] += col[i] * s;
}

/** b = T v per level (row-major, levels x q), v at pos[l] in the solution. */
function levelEffects(T: Float64Array, q: number, sol: Float64Array, pos: Int32Array): Float64Array {
  const b = new Float64Array(pos.length * q);
  for (let l = 0; l < pos.length; l++) {
    for (let i = 0; i < q; i++) {
      let s = 0;
      for (let m = 0; m <= i; m++) s += T[i * q + m] * sol[pos[l] + m];
      b[l * q + i] = s;
    }
  }
  return b;
}

/** out += z * (column c of b, a levels x q matrix, at each row's level). */
function addScaledByLevel(out: Float64Array, z: Float64Array, codes: Int32Array, b: Float64Array, q: number, c: number): void {
  for (let i = 0; i < out.length; i++) out[i] += z[i] * b[codes[i] * q + c];
}

/** Conditional modes b = T v of each term (row-major levels x q), from the solution [v, beta] at the optimum. */
export function conditionalModes(terms: readonly TermOutline[], factors: Float64Array[], solution: Float64Array, positions: Int32Array[]): Float64Array[] {
  return terms.map((term, k) => levelEffects(factors[k], term.names.length, solution, positions[k]));
}

/** lme4's ranef(): per grouping factor its levels and one array per column (terms of one factor merged). */
export function ranefTables(terms: readonly TermOutline[], effects: Float64Array[]): Record<string, RanefTable> {
  const ranef: Record<string, RanefTable> = {};
  terms.forEach((term, k) => {
    const table = (ranef[term.group] ??= { levels: term.factor.levels });
    term.names.forEach((name, c) => (table[name] = column(effects[k], term.names.length, c)));
  });
  return ranef;
}

/** Each term's covariance sigma^2 T T' (row-major q x q). */
export function termCovariances(terms: readonly TermOutline[], factors: Float64Array[], sigma: number): Float64Array[] {
  return factors.map((T, t) => timesTranspose(T, terms[t].names.length).map((v) => v * sigma * sigma));
}

/** Min, quartiles and max (R's type 7 quantiles) of values. */
export function fiveNumbers(values: Float64Array): number[] {
  const sorted = Float64Array.from(values).sort();
  return [0, 0.25, 0.5, 0.75, 1].map((p) => quantileSorted(sorted, p));
}

/** Column c of a row-major matrix with q columns. */
function column(b: Float64Array, q: number, c: number): number[] {
  const out: number[] = [];
  for (let l = c; l < b.length; l += q) out.push(b[l]);
  return out;
}

function difference(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] - b[i];
  return out;
}

/** lme4's names of the terms' groups in varcorr: a grouping factor's second term is `Subject.1`. */
function varcorrGroups(terms: readonly TermOutline[]): string[] {
  const seen = new Map<string, number>();
  return terms.map((term) => {
    const c = seen.get(term.group) ?? 0;
    seen.set(term.group, c + 1);
    return c === 0 ? term.group : `${term.group}.${c}`;
  });
}

/**
 * Variance components as lme4's as.data.frame(VarCorr(m)): per term its standard
 * deviations, then every correlation of its columns (a structured term's too,
 * diag()'s zeros included, as glmmTMB's VarCorr shows them); then the residual.
 */
function varianceComponents(terms: readonly TermOutline[], Ts: Float64Array[], sigma: number): VarCorrRow[] {
  const varcorr: VarCorrRow[] = [];
  const groups = varcorrGroups(terms);
  terms.forEach((term, k) => {
    const q = term.names.length;
    const cov = new TermCovariance(Ts[k], q, sigma);
    const grp = groups[k];
    for (let i = 0; i < q; i++) varcorr.push({ grp, var1: term.names[i], var2: null, vcov: cov.S[i * q + i], sdcor: cov.sd(i) });
    for (let j = 0; j < q; j++) {
      for (let i = j + 1; i < q; i++) varcorr.push({ grp, var1: term.names[j], var2: term.names[i], vcov: cov.S[i * q + j], sdcor: cov.cor(i, j) });
    }
  });
  varcorr.push({ grp: "Residual", var1: null, var2: null, vcov: sigma * sigma, sdcor: sigma });
  return varcorr;
}

/** Each term's structure with its sds and parameters (glmmTMB's meanings). */
function termStructureReports(terms: readonly TermOutline[], Ts: Float64Array[], par: ArrayLike<number>, sigma: number): TermStructure[] {
  const groups = varcorrGroups(terms);
  return termStructures(terms).map(({ structure, parAt }, k) => {
    const cov = new TermCovariance(Ts[k], structure.q, sigma);
    return {
      grp: groups[k],
      structure: structure.kind,
      homogeneous: structure.homogeneous,
      names: terms[k].names,
      sd: terms[k].names.map((_, i) => cov.sd(i)),
      parameters: structure.correlationParameters(par, parAt),
    };
  });
}

/**
 * What the estimates at an optimum read of a model besides its deviance: the
 * outline of its design, without rows (a Design is one; so is a model fitted
 * from statistics).
 */
export interface ModelOutline {
  formula: ParsedFormula;
  n: number;
  droppedRows: number;
  droppedColumns: string[];
  messages?: string[];
  X: { names: string[] };
  terms: readonly TermOutline[];
}

/**
 * How a fit without a finite optimum is told apart and explained: the
 * response's sd (a residual sd far below it is zero) and the cause.
 */
export interface Degeneracy {
  responseSd: number;
  cause(): string;
}

/** Notes for the user: lFormula's, missing rows, rank deficiency, convergence, singularity. */
function fitMessages(design: ModelOutline, opt: ThetaOptimum, singular: boolean): string[] {
  const messages = [...(design.messages ?? [])];
  if (design.droppedRows > 0) messages.push(`${design.droppedRows} row(s) with missing values were dropped.`);
  if (design.droppedColumns.length > 0) {
    const k = design.droppedColumns.length;
    messages.push(
      `fixed-effect model matrix is rank deficient so dropping ${k} column${k > 1 ? "s" : ""} / coefficient${k > 1 ? "s" : ""} (${design.droppedColumns.join(", ")})`,
    );
  }
  if (!opt.converged) messages.push(`Model failed to converge: ${opt.message} (max|grad| = ${opt.maxGrad.toExponential(2)}).`);
  if (singular) messages.push("boundary (singular) fit: a variance component is estimated as zero or a correlation as +/-1.");
  return messages;
}

/**
 * The estimates at the optimum (the deviance is evaluated there), with the
 * solution [v, beta] and the factors T that the conditional modes need.
 */
export function estimatesAt(
  design: ModelOutline,
  deviance: ProfiledDeviance,
  opt: ThetaOptimum,
  options: { dataName?: string; ddf?: DdfMethod },
  degeneracy: Degeneracy,
): { estimates: FitEstimates; solution: Float64Array; beta: Float64Array; factors: Float64Array[] } {
  const { terms, X, n } = design;
  const p = X.names.length;
  const theta = Array.from(opt.theta);
  const convergence: Convergence = {
    converged: opt.converged,
    message: opt.message,
    iterations: opt.iterations,
    evaluations: deviance.evaluations,
    maxGrad: opt.maxGrad,
    optimality: opt.optimality,
  };

  deviance.evaluate(opt.theta);
  const objective = deviance.parts().objective;
  const sigma = deviance.sigma();
  const solution = deviance.solve();
  const beta = deviance.beta(solution);

  const residual = deviance.source.residual;
  const scale = betaCovarianceScale(deviance, terms.length);
  const V = inverseFromCholesky(deviance.fixedFactor(), p).map((v) => v * sigma * sigma * scale);
  const fixef: Record<string, number> = {};
  const se: Record<string, number> = {};
  const t: Record<string, number> = {};
  X.names.forEach((name, i) => {
    fixef[name] = beta[i];
    se[name] = Math.sqrt(V[i * p + i]);
    t[name] = beta[i] / se[name];
  });
  // Never print NaN or Inf as an estimate, nor the estimates of a likelihood
  // without a maximum (a residual sd of zero: the objective falls without
  // bound as sigma goes to 0): a degenerate fit is refused with its cause.
  const values = [objective, sigma, ...Object.values(fixef), ...Object.values(se)];
  if (!(sigma > ZERO_RESIDUAL * degeneracy.responseSd) || !values.every(Number.isFinite)) {
    throw new LmmError(`The model cannot be fitted: ${degeneracy.cause()}`);
  }

  const factors = thetaToFactors(terms, opt.theta);
  const ngrps: Record<string, number> = {};
  terms.forEach((term) => {
    if (!Object.hasOwn(ngrps, term.group)) ngrps[term.group] = term.factor.levels.length;
  });
  const npar = p + opt.x.length + 1;
  const lower = thetaLower(terms);
  const singular = theta.some((v, i) => lower[i] === 0 && v < SINGULAR_TOL);
  const estimates: FitEstimates = {
    formula: design.formula.text,
    REML: deviance.REML,
    nobs: n,
    droppedRows: design.droppedRows,
    droppedColumns: design.droppedColumns,
    messages: fitMessages(design, opt, singular),
    fixef,
    se,
    t,
    vcov: X.names.map((_, i) => Array.from(V.subarray(i * p, i * p + p))),
    coefNames: X.names,
    theta,
    thetaNames: thetaNames(terms),
    covarianceParameters: Array.from(opt.x),
    ...(residual && { residualStructure: residual.report(opt.x.subarray(opt.x.length - residual.npar)) }),
    structures: termStructureReports(terms, factors, opt.x, sigma),
    sigma,
    varcorr: varianceComponents(terms, factors, sigma),
    objective,
    logLik: -objective / 2,
    npar,
    AIC: objective + 2 * npar,
    // nlme's BIC of a REML fit counts n - p observations (lme4's, n).
    BIC: objective + npar * Math.log(residual && deviance.REML ? n - p : n),
    ngrps,
    singular,
    convergence,
    dataName: options.dataName,
    ddf: options.ddf ?? "satterthwaite",
  };
  return { estimates, solution, beta, factors };
}

// The estimates' fields are declared once, with their documentation, in
// FitEstimates (model/fitted.ts); this declaration merges them into the class.
export interface LmerModel extends FitEstimates {}

/**
 * A fitted linear mixed model (lme4's merMod): estimates, variance components,
 * conditional modes, fitted values and fit statistics, computed at the optimum;
 * inference (Satterthwaite, Kenward-Roger, intervals, type III tests) on demand.
 * Made by `lmer()`; the deviance object stays attached for further evaluations.
 */
export class LmerModel implements FittedModel {
  /** [v of the units, v of the dense terms, beta] at the optimum, as `ProfiledDeviance.solve()`. */
  private readonly solution: Float64Array;
  /** The fixed effects at the optimum (the end of `solution`). */
  private readonly beta: Float64Array;
  /** Each term's relative factor T at the optimum. */
  private readonly factors: Float64Array[];
  // Conditional modes and fitted values are computed on first use (a batch of
  // fits reads neither; a cohort's fitted values are 10^6 rows).
  private cache: { effects?: Float64Array[]; ranef?: Record<string, RanefTable>; fitted?: Float64Array; residuals?: Float64Array } = {};
  private ddfTable?: DdfTable;
  private krTable?: KenwardRogerTable;

  constructor(
    readonly design: Design,
    readonly deviance: ProfiledDeviance,
    opt: ThetaOptimum,
    options: { dataName?: string; ddf?: DdfMethod } = {},
  ) {
    const at = estimatesAt(design, deviance, opt, options, { responseSd: meanAndSd(design.y).sd, cause: () => degenerateFitCause(design) });
    Object.assign(this, at.estimates);
    // Kenward-Roger's df asked of a model with a residual structure are refused at once (see kenward-roger.ts), not at the first summary.
    if (deviance.source.residual && this.ddf === "kenward-roger") void this.kenwardRoger;
    this.solution = at.solution;
    this.beta = at.beta;
    this.factors = at.factors;
  }

  /** Conditional modes b = T v of each term, row-major levels x q. */
  private levelEffects(): Float64Array[] {
    return (this.cache.effects ??= conditionalModes(this.design.terms, this.factors, this.solution, this.deviance.layout.levelPositions));
  }

  /** Conditional modes (BLUPs) per grouping factor, merged as lme4's ranef(): levels and one array per column. */
  get ranef(): Record<string, RanefTable> {
    return (this.cache.ranef ??= ranefTables(this.design.terms, this.levelEffects()));
  }

  /** Conditional fitted values X beta + Z b (+ the offset), in the order of the rows used. */
  get fitted(): Float64Array {
    if (!this.cache.fitted) {
      const { X, terms, n } = this.design;
      const effects = this.levelEffects();
      // Each row adds X beta, then each term's z b, in column order.
      const fitted = this.design.offset ? Float64Array.from(this.design.offset) : new Float64Array(n);
      X.columns.forEach((x, j) => addScaled(fitted, x, this.beta[j]));
      terms.forEach((term, k) => {
        const q = term.names.length;
        for (let c = 0; c < q; c++) addScaledByLevel(fitted, term.columns[c], term.factor.codes, effects[k], q, c);
      });
      this.cache.fitted = fitted;
    }
    return this.cache.fitted;
  }

  /** Response minus fitted values (design.y has the offset taken out already, the fitted values have it in). */
  get residuals(): Float64Array {
    if (!this.cache.residuals) {
      const r = difference(this.design.y, this.fitted);
      const offset = this.design.offset;
      if (offset) for (let i = 0; i < r.length; i++) r[i] += offset[i];
      this.cache.residuals = r;
    }
    return this.cache.residuals;
  }

  /** Min, quartiles and max of the scaled (Pearson) residuals: each residual over sigma times its row's residual sd ratio. */
  get scaledResidualQuantiles(): number[] {
    const scale = this.residualScale();
    return fiveNumbers(Float64Array.from(this.residuals, (v, i) => v / (this.sigma * scale(i))));
  }

  /**
   * Each row's residual sd over sigma: a variance function's ratio for the
   * row's stratum (or `us`'s visit; nlme's Pearson residuals), else 1 / sqrt(w)
   * with prior weights (lme4's), else 1.
   */
  private residualScale(): (i: number) => number {
    const w = this.design.weights;
    const residual = this.design.residual;
    const ratios = this.residualStructure?.variance?.parameters;
    const strata = residual && (residual.strata ?? residual.visits);
    if (strata && ratios) return (i) => ratios[strata.levels[strata.codes[i]]];
    return w ? (i) => 1 / Math.sqrt(w[i]) : () => 1;
  }

  /**
   * The variances the ICC and R^2 are built from (insight::get_variance): the
   * fixed-effects predictions', the random effects' (averaged over the rows)
   * and the residual; null for a singular fit, as performance gives none then.
   */
  get varianceParts(): VarianceParts | null {
    if (this.singular) return null;
    return varianceParts(this.design.X, this.coefNames.map((name) => this.fixef[name]), this.design.terms, termCovariances(this.design.terms, this.factors, this.sigma), this.sigma);
  }

  /** Intraclass correlation, adjusted and unadjusted (performance::icc); null for a singular fit. */
  get icc(): Icc | null {
    const v = this.varianceParts;
    return v && iccOf(v);
  }

  /** Nakagawa's marginal and conditional R^2 (performance::r2_nakagawa); null for a singular fit. */
  get r2(): R2 | null {
    const v = this.varianceParts;
    return v && r2Of(v);
  }

  /**
   * Satterthwaite denominator df and two-sided p-values of the t tests, as
   * lmerTest's summary gives them; computed on first use (a few evaluations).
   */
  get satterthwaite(): DdfTable {
    this.ddfTable ??= satterthwaite(this.deviance, this.design.terms, this.covarianceParameters, this.sigma, this.coefNames, this.t, this.design);
    return this.ddfTable;
  }

  /**
   * Conditional variances of the random effects (lme4's ranef(condVar = TRUE)):
   * per term, one q x q covariance matrix per level, sigma^2 T (M^-1)_ll T',
   * for caterpillar plots. The deviance is left evaluated at the optimum.
   */
  condVar(): { group: string; names: string[]; levels: string[]; variance: number[][][] }[] {
    this.deviance.evaluate(this.theta);
    const blocks = this.deviance.inverseDiagonalBlocks();
    const Ts = thetaToFactors(this.design.terms, this.theta);
    return this.design.terms.map((term, k) => {
      const q = term.names.length;
      const T = Ts[k];
      const variance = blocks[k].map((B) =>
        Array.from({ length: q }, (_, i) =>
          Array.from({ length: q }, (_, j) => {
            let s = 0;
            for (let a = 0; a <= i; a++) for (let b = 0; b <= j; b++) s += T[i * q + a] * B[a * q + b] * T[j * q + b];
            return this.sigma * this.sigma * s;
          }),
        ),
      );
      return { group: term.group, names: term.names, levels: term.factor.levels, variance };
    });
  }

  /**
   * Predictions for new data (or the fitted rows): with the random effects by
   * default; `{ re: false }` for the population level; `{ allowNewLevels: true }`
   * to predict unseen groups at the population level.
   */
  predict(newdata?: DataInput, options?: PredictOptions & { se?: false }): Float64Array;
  /**
   * Population-level predictions with standard errors from vcov(beta) and Wald
   * confidence intervals (`{ re: false, se: true, level: 0.95 }`): columns
   * `fit`, `se`, `lower`, `upper` (see {@link PredictionIntervals}).
   */
  predict(newdata: DataInput | undefined, options: PredictOptions & { se: true }): PredictionIntervals;
  predict(newdata?: DataInput, options?: PredictOptions): Float64Array | PredictionIntervals;
  predict(newdata?: DataInput, options?: PredictOptions): Float64Array | PredictionIntervals {
    checkOptions(options, { re: "boolean", allowNewLevels: "boolean", se: "boolean", level: "number" }, "predict()");
    return predict(this, newdata, options);
  }

  /** Type III F tests of each fixed-effects term (lmerTest's anova(m)); Satterthwaite's df unless `ddf` says Kenward-Roger. */
  anova(options: { ddf?: "satterthwaite" | "kenward-roger" } = {}): AnovaRow[] {
    if (options instanceof LmerModel) {
      throw new LmmError("anova() of one model gives its type III tests; to compare two models use likelihoodRatioTest(m0, m1) (lme4's anova(m0, m1)).");
    }
    checkOptions(options, { ddf: ["satterthwaite", "kenward-roger"] }, "anova()");
    return anovaTypeIII(this, options);
  }

  /**
   * Kenward-Roger df, adjusted SEs and p-values (pbkrtest, as lmerTest's
   * ddf = "Kenward-Roger"); REML fits only. Computed on first use.
   */
  get kenwardRoger(): KenwardRogerTable {
    this.krTable ??= kenwardRoger(this);
    return this.krTable;
  }

  /**
   * Confidence intervals as lme4's confint(): "wald" (fixed effects), "profile"
   * (likelihood profile of the sd/cor parameters, sigma and fixed effects) or
   * "boot" (parametric-bootstrap percentiles; seeded).
   */
  async confint(options: { method?: "wald" | "profile" | "boot"; level?: number; nsim?: number; seed?: number } = {}): Promise<ConfintRow[]> {
    checkOptions(options, { method: ["wald", "profile", "boot"], level: "number", nsim: "number", seed: "number" }, "confint()");
    const level = options.level ?? 0.95;
    const method = options.method ?? "profile";
    if (method === "wald") return waldConfint(this, level);
    if (method === "boot") return bootConfint(this, { level, nsim: options.nsim, seed: options.seed });
    return profileConfint(this, level);
  }

  /** Response name. */
  get response(): string {
    return this.design.response;
  }

  /** lme4-style text summary (as `summary(lmer(...))` prints). */
  summary(): string {
    return formatSummary(this);
  }

  /** The fields of the reference fits, with the same names and shapes. */
  toJSON(): LmerJSON {
    return modelToJSON(this);
  }
}
