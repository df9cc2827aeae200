// lmer(): formula + data -> fitted model, through lme4's stages: the design
// (lFormula), the deviance function (mkLmerDevfun), the optimisation
// (optimizeLmer) and the fitted object (mkMerMod). Each stage is exported.
import { toDataFrame, type DataInput } from "../data.js";
import { parseFormula } from "../formula.js";
import { buildDesign, type Design, type DesignOptions } from "../model/design.js";
import { ProfiledDeviance } from "../model/deviance.js";
import { LmerModel, type DdfMethod } from "../model/lmer-model.js";
import { thetaStart } from "../model/parameters.js";
import type { OptimizerOptions, OptimizerProgress } from "./optimizer.js";
import { optimizeTheta } from "./optimize-theta.js";
import { workingBasis } from "./working-basis.js";
import { prepareWorkerFor } from "../model/unit-split.js";
import { LmmError } from "../errors.js";

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

/**
 * Fit a linear mixed model with lme4's formula syntax.
 *
 * @example
 * const m = await lmer("Reaction ~ Days + (Days | Subject)", data);
 * console.log(m.summary());
 */
export async function lmer(formula: string, data: DataInput, options: LmerOptions = {}): Promise<LmerModel> {
  return fitDesign(buildDesign(parseFormula(formula), toDataFrame(data), options), options);
}

/** Fit a model whose design is already built (e.g. to refit by ML for a likelihood-ratio test). */
export async function fitDesign(design: Design, options: Omit<LmerOptions, keyof DesignOptions> = {}): Promise<LmerModel> {
  if (options.ddf !== undefined && !["satterthwaite", "kenward-roger", "none"].includes(options.ddf)) {
    throw new LmmError(`Unknown ddf '${options.ddf}': choose satterthwaite, kenward-roger or none.`);
  }
  const threads = options.threads ?? true;
  const reml = options.REML ?? true;
  const optimizerOptions = { onProgress: options.onProgress, ...options.optimizer };
  // Badly located or scaled random-slope covariates: the optimum of the
  // well-scaled working problem starts the fit of the design as written.
  let start = thetaStart(design.terms);
  let workingEvaluations = 0;
  const basis = workingBasis(design);
  if (basis) {
    const working = await ProfiledDeviance.create(basis.design, reml);
    start = basis.toTheta(optimizeTheta(working, basis.design.terms, thetaStart(basis.design.terms), optimizerOptions).x);
    workingEvaluations = working.evaluations;
  }
  if (threads) prepareWorkerFor(design);
  const deviance = await ProfiledDeviance.create(design, reml);
  if (threads) await deviance.shareWork();
  const onProgress = options.onProgress;
  let opt;
  try {
    opt = optimizeTheta(deviance, design.terms, start, {
      ...optimizerOptions,
      onProgress: onProgress && ((p) => onProgress({ ...p, evaluations: p.evaluations + workingEvaluations })),
    });
  } finally {
    deviance.unshareWork();
  }
  deviance.evaluations += workingEvaluations;
  return new LmerModel(design, deviance, opt, { dataName: options.dataName, ddf: options.ddf });
}
