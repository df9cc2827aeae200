// One model, many responses: the design (X, Z, factor codes, the block layout
// and its WASM instance) is built once for the samples; each feature then only
// writes its response, re-accumulates the cross-products and optimises theta.
// A feature with missing values gets the design of its own rows, cached by the
// pattern of missing samples (features of one assay tend to share patterns).
import { LmmError, quote } from "../errors.js";
import { optimizeTheta } from "../fit/optimize-theta.js";
import { buildDesign } from "../model/build-design.js";
import type { Design, DesignOptions } from "../model/design.js";
import { ProfiledDeviance } from "../model/deviance.js";
import { LmerModel } from "../model/lmer-model.js";
import { parameterMap, parameterStart } from "../model/parameters.js";
import type { DataFrame } from "../data.js";
import type { ParsedFormula } from "../formula.js";
import { varianceParameters } from "../inference/confint.js";

/** The fit of one feature; `status` is "ok" or why there are no estimates. */
export interface FeatureFit {
  feature: string;
  nobs: number;
  status: string;
  /** By coefficient name: estimate, se, t, df, p (absent for a dropped coefficient). */
  coef: Record<string, { estimate: number; se: number; t: number; df: number; p: number }>;
  /** Variance components with lme4's names (`sd_(Intercept)|id`, `cor_...`, `sigma`). */
  varcomp: Record<string, number>;
  logLik: number;
  converged: boolean;
  singular: boolean;
}

/** A feature without estimates, and why. */
export function unfitted(feature: string, status: string, nobs = 0): FeatureFit {
  return { feature, nobs, status, coef: {}, varcomp: {}, logLik: NaN, converged: false, singular: false };
}

/** The reusable pieces of one design: the deviance and what an optimisation needs. */
interface PreparedDesign {
  design: Design;
  deviance: ProfiledDeviance;
  /** Where each fit's covariance parameters start. */
  start: Float64Array;
}

/** How many designs for distinct missing-value patterns are kept. */
const PATTERN_CACHE_SIZE = 16;

/** Name of the response column added to the sample table; chosen not to clash with R names. */
export const RESPONSE_COLUMN = ".feature";

export interface FeatureFitterOptions {
  REML: boolean;
  /** Satterthwaite df and p-values (true) or none (df and p NaN). */
  satterthwaite: boolean;
  /** Sample id of each row of the sample table, for messages. */
  sampleIds: string[];
  /** How the samples' columns enter the model (factors, levels, contrasts, level order). */
  design: DesignOptions;
}

/**
 * Fits one feature after another against the same samples. Not thread-safe:
 * one per worker.
 */
export class FeatureFitter {
  private readonly patterns = new Map<string, Promise<PreparedDesign>>();

  private constructor(
    private readonly formula: ParsedFormula,
    private readonly samples: DataFrame,
    private readonly base: PreparedDesign,
    private readonly options: FeatureFitterOptions,
  ) {}

  /**
   * Prepare the shared design. `formula` is one-sided; the samples hold its
   * variables, one row per sample (rows missing a covariate are dropped for
   * every feature). Errors in the formula or samples throw here, once.
   */
  static async create(formula: ParsedFormula, samples: DataFrame, options: FeatureFitterOptions): Promise<FeatureFitter> {
    const withResponse: ParsedFormula = { ...formula, response: RESPONSE_COLUMN };
    const base = await prepare(withResponse, withColumn(samples, new Float64Array(samples.nrow)), options);
    return new FeatureFitter(withResponse, samples, base, options);
  }

  /** Names of the variance components, lme4's (`sd_(Intercept)|id`, ..., `sigma`). */
  varianceComponentNames(): string[] {
    const terms = this.base.design.terms;
    return varianceParameters(terms, parameterMap(terms).theta(this.base.start), 1).map((v) => v.name);
  }

  /** The base design (rows with every covariate present). */
  get design(): Design {
    return this.base.design;
  }

  /**
   * Fit one feature. `values` holds its value for each sample row (NaN =
   * missing). Problems of the feature (constant, all missing, too few rows for
   * the design) give a row with a status message, never an exception.
   */
  async fit(feature: string, values: Float64Array): Promise<FeatureFit> {
    try {
      return await this.fitOrExplain(feature, values);
    } catch (e) {
      // The batch always finishes: even an unforeseen failure is one feature's status.
      const message = e instanceof LmmError ? e.message : `internal error: ${(e as Error).message}; please report it`;
      return unfitted(feature, message);
    }
  }

  private async fitOrExplain(feature: string, values: Float64Array): Promise<FeatureFit> {
    const rows = this.base.design.rows;
    const missing: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const v = values[rows[i]];
      if (Number.isNaN(v)) missing.push(rows[i]);
      else if (!Number.isFinite(v)) return unfitted(feature, `non-finite value (${v}) for sample ${quote(this.options.sampleIds[rows[i]])}: fix or remove it`);
    }
    const nobs = rows.length - missing.length;
    if (nobs === 0) return unfitted(feature, "all values missing");
    let prepared: PreparedDesign;
    try {
      prepared = missing.length === 0 ? this.base : await this.forPattern(missing);
    } catch (e) {
      if (e instanceof LmmError) return unfitted(feature, e.message, nobs);
      throw e;
    }
    const { design, deviance } = prepared;
    const y = new Float64Array(design.n);
    for (let i = 0; i < design.n; i++) y[i] = values[design.rows[i]];
    if (y.every((v) => v === y[0])) return unfitted(feature, "constant response: nothing to fit", nobs);
    deviance.setResponse(y);
    deviance.evaluations = 0;
    const opt = optimizeTheta(deviance, design.terms, prepared.start);
    if (!Number.isFinite(opt.f)) return unfitted(feature, `the objective is not finite (${opt.message}): check the response's scale`, nobs);
    const model = new LmerModel({ ...design, y }, deviance, opt, { ddf: this.options.satterthwaite ? "satterthwaite" : "none" });
    const ddf = this.options.satterthwaite ? model.satterthwaite : undefined;
    const coef: FeatureFit["coef"] = {};
    for (const name of model.coefNames) {
      coef[name] = { estimate: model.fixef[name], se: model.se[name], t: model.t[name], df: ddf?.df[name] ?? NaN, p: ddf?.p[name] ?? NaN };
    }
    const varcomp: Record<string, number> = {};
    for (const { name, value } of varianceParameters(design.terms, model.theta, model.sigma)) varcomp[name] = value;
    return {
      feature,
      nobs: design.n,
      status: "ok",
      coef,
      varcomp,
      logLik: model.logLik,
      converged: model.convergence.converged,
      singular: model.singular,
    };
  }

  /** The design of the rows a feature has, cached by its missing samples. */
  private forPattern(missing: number[]): Promise<PreparedDesign> {
    const key = missing.join(",");
    let hit = this.patterns.get(key);
    if (hit) {
      this.patterns.delete(key);
    } else {
      const y = new Float64Array(this.samples.nrow);
      for (const i of missing) y[i] = NaN;
      let recycle: Promise<PreparedDesign> | undefined;
      if (this.patterns.size >= PATTERN_CACHE_SIZE) {
        const [oldest, evicted] = this.patterns.entries().next().value!;
        this.patterns.delete(oldest);
        recycle = evicted;
      }
      hit = prepare(this.formula, withColumn(this.samples, y), this.options, recycle);
    }
    this.patterns.set(key, hit);
    return hit;
  }
}

/** The samples with the feature as a column; left out of `names`, which messages list as the user's columns. */
function withColumn(samples: DataFrame, y: Float64Array): DataFrame {
  const columns = new Map(samples.columns);
  columns.set(RESPONSE_COLUMN, { kind: "numeric", values: y });
  return { names: samples.names, columns, nrow: samples.nrow };
}

/** Build the design and its deviance, in the WASM instance of an evicted design when there is one. */
async function prepare(formula: ParsedFormula, data: DataFrame, options: FeatureFitterOptions, recycle?: Promise<PreparedDesign>): Promise<PreparedDesign> {
  const reused = await recycle?.catch(() => undefined);
  const design = buildDesign(formula, data, options.design);
  const deviance = await ProfiledDeviance.create(design, options.REML, reused?.deviance);
  return { design, deviance, start: parameterStart(design.terms) };
}
