// lmer(): formula + data -> fitted model, through lme4's stages: the design
// (lFormula), the deviance function (mkLmerDevfun), the optimisation
// (optimizeLmer) and the fitted object (mkMerMod). Each stage is exported.
import { toDataFrame, type DataInput } from "../data.js";
import { parseFormula } from "../formula.js";
import { buildDesign } from "../model/build-design.js";
import { DESIGN_OPTIONS, type Design, type DesignOptions, type TermOutline } from "../model/design.js";
import { checkOptions, type OptionSpec } from "../options.js";
import { ProfiledDeviance } from "../model/deviance.js";
import { LmerModel } from "../model/lmer-model.js";
import type { DdfMethod } from "../model/fitted.js";
import { parameterStart } from "../model/parameters.js";
import { OPTIMIZER_OPTIONS, type OptimizerOptions, type OptimizerProgress, type OptimizerResult } from "./optimizer.js";
import { optimizeTheta, type ThetaOptimum } from "./optimize-theta.js";
import { RowCrossProducts } from "../model/row-source.js";
import { workingBasis, type BasisChange } from "./working-basis.js";
import { prepareWorkerFor } from "../model/unit-split.js";
import { LmmError, quote } from "../errors.js";

/** Relative disagreement of the two bases' objectives at the optimum above which the fit is refused. */
const PRECISION_TOL = 1e-8;

/** Options of `lmer()`: how the data enter the model, REML or ML, the df method and the optimiser. */
export interface LmerOptions extends DesignOptions {
  /** Restricted maximum likelihood (default true), else maximum likelihood. */
  REML?: boolean;
  /** Name of the data set, shown in the summary. */
  dataName?: string;
  /** Denominator df of the t tests in the summary and JSON (default "satterthwaite"). */
  ddf?: DdfMethod;
  /** Tolerances of the optimiser. */
  optimizer?: OptimizerOptions;
  /**
   * Called after every evaluation of the objective while theta is optimised
   * (evaluations so far, lowest objective so far), e.g. to show a long fit's progress.
   */
  onProgress?: (progress: OptimizerProgress) => void;
  /**
   * Use a worker thread for large fits where a second core pays (default true;
   * Node only, see ProfiledDeviance.shareWork).
   */
  threads?: boolean;
}

/** The names and kinds of LmerOptions, for checkOptions. */
export const LMER_OPTIONS: OptionSpec = {
  ...DESIGN_OPTIONS,
  REML: "boolean",
  dataName: "string",
  ddf: ["satterthwaite", "kenward-roger", "none"],
  optimizer: "object",
  onProgress: "function",
  threads: "boolean",
};

/**
 * Fit a linear mixed model with lme4's formula syntax.
 *
 * @example
 * const m = await lmer("Reaction ~ Days + (Days | Subject)", data);
 * console.log(m.summary());
 */
export async function lmer(formula: string, data: DataInput, options: LmerOptions = {}): Promise<LmerModel> {
  checkOptions(options, LMER_OPTIONS, "lmer()");
  return fitDesign(buildDesign(parseFormula(formula), toDataFrame(data), options), options);
}

/** Fit a model whose design is already built (e.g. to refit by ML for a likelihood-ratio test). */
export async function fitDesign(design: Design, options: Omit<LmerOptions, keyof DesignOptions> = {}): Promise<LmerModel> {
  checkOptions(options, LMER_OPTIONS, "fitDesign()");
  checkOptions(options.optimizer, OPTIMIZER_OPTIONS, "the optimizer options");
  const y = design.y;
  if (y.every((v) => v === y[0])) {
    throw new LmmError(`The response ${quote(design.response)} is ${y[0]} in every row used: there is no variation for a model to explain.`);
  }
  const threads = options.threads ?? true;
  const reml = options.REML ?? true;
  const optimizerOptions = { onProgress: options.onProgress, ...options.optimizer };
  const { start, evaluations: workingEvaluations, checkPrecision } = await startingPoint(design, reml, optimizerOptions);
  if (threads) prepareWorkerFor(design);
  const deviance = await ProfiledDeviance.create(design, reml);
  if (threads) await deviance.shareWork();
  const onProgress = options.onProgress;
  let opt;
  try {
    opt = optimizeTheta(
      deviance,
      design.terms,
      start,
      {
        ...optimizerOptions,
        onProgress: onProgress && ((p) => onProgress({ ...p, evaluations: p.evaluations + workingEvaluations })),
      },
      design,
    );
  } finally {
    deviance.unshareWork();
  }
  deviance.evaluations += workingEvaluations;
  checkPrecision(opt);
  const fitted = deviance.source.absorbsRandomEffects ? await withRandomEffects(design, deviance, opt) : deviance;
  return new LmerModel(design, fitted, opt, { dataName: options.dataName, ddf: options.ddf });
}

/**
 * The deviance of a fit whose random effects were absorbed into its residual
 * structure (model/residual/pattern-statistics.ts), with the terms again, at
 * the optimum: the same objective, and the conditional modes the fit's outputs
 * need, from the whitened rows (once). It takes over the absorbed deviance's
 * kernel instance and residual structure, which are not used again.
 */
export async function withRandomEffects(design: Design, absorbed: ProfiledDeviance, opt: ThetaOptimum): Promise<ProfiledDeviance> {
  const deviance = await ProfiledDeviance.fromSource(new RowCrossProducts(design, "whitening", absorbed.source.residual), absorbed.REML, absorbed);
  deviance.source.residual!.set(opt.x.subarray(opt.x.length - deviance.source.residual!.npar));
  deviance.refill();
  deviance.evaluate(opt.theta);
  deviance.evaluations = absorbed.evaluations;
  return deviance;
}

/**
 * Where the optimisation of theta starts: lme4's start, or, when a random-slope
 * covariate is badly located or scaled, the optimum of the well-scaled working
 * problem (working-basis.ts) mapped back. With it comes the check of the final
 * optimum: the deviance of the design as written and of the working basis are
 * one function, and where they disagree there, the cross-products of a
 * covariate far from zero have lost the digits the fit needs, and the
 * estimates would be silently wrong.
 */
async function startingPoint(
  design: Design,
  reml: boolean,
  options: OptimizerOptions,
): Promise<{ start: Float64Array; evaluations: number; checkPrecision: (opt: OptimizerResult) => void }> {
  const basis = workingBasis(design);
  // The working problem is read by theta (its start, and the check's evaluation): its random effects stay its deviance's own, never absorbed into a residual structure.
  const working = basis && { ...basis, deviance: await ProfiledDeviance.fromSource(new RowCrossProducts(basis.design, "whitening"), reml) };
  return startFromWorkingBasis(design.terms, working, options);
}

/**
 * The start and the final check (see startingPoint) for a model whose working
 * problem is given: its deviance on the working basis and the change of basis,
 * or null when the model is well scaled as written. A fit from rows and a fit
 * from statistics (which transforms its sums) share it.
 */
export function startFromWorkingBasis(
  terms: readonly TermOutline[],
  working: (BasisChange & { deviance: ProfiledDeviance }) | null,
  options: OptimizerOptions,
): { start: Float64Array; evaluations: number; checkPrecision: (opt: OptimizerResult) => void } {
  if (!working) return { start: parameterStart(terms), evaluations: 0, checkPrecision: () => {} };
  // The working terms have the original terms' structures (and so bounds and start).
  const start = working.toTheta(optimizeTheta(working.deviance, terms, parameterStart(terms), options).theta);
  const checkPrecision = (opt: OptimizerResult) => {
    const atWorking = working.deviance.evaluate(working.toWorking(opt.x));
    if (Math.abs(opt.f - atWorking) <= PRECISION_TOL * (1 + Math.abs(atWorking))) return;
    throw new LmmError(
      `The random-effects covariate ${working.worstColumn} is so far from zero, or on so extreme a scale, that the fit loses the precision it needs ` +
        `(objective ${opt.f.toFixed(6)} as written, ${atWorking.toFixed(6)} on centred columns, at the same parameters). Centre or rescale it (e.g. subtract its mean) and fit again.`,
    );
  };
  return { start, evaluations: working.deviance.evaluations, checkPrecision };
}
