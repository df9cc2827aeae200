// lmer(): formula + data -> fitted model, through lme4's stages: the design
// (lFormula), the deviance function (mkLmerDevfun), the optimisation
// (optimizeLmer) and the fitted object (mkMerMod). Each stage is exported.
import { toDataFrame, type DataInput } from "../data.js";
import { parseFormula } from "../formula.js";
import { buildDesign, type Design, type DesignOptions } from "../model/design.js";
import { ProfiledDeviance } from "../model/deviance.js";
import { LmerModel, type DdfMethod } from "../model/lmer-model.js";
import { thetaLower, thetaStart } from "../model/parameters.js";
import { minimize, type OptimizerOptions, type OptimizerProgress } from "./optimizer.js";
import { prepareWorkerFor } from "../model/unit-split.js";
import { LmmError, quote } from "../errors.js";

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
    throw new LmmError(`Unknown ddf ${quote(options.ddf)}: choose satterthwaite, kenward-roger or none.`);
  }
  const y = design.y;
  if (y.every((v) => v === y[0])) {
    throw new LmmError(`The response ${quote(design.response)} is ${y[0]} in every row used: there is no variation for a model to explain.`);
  }
  const threads = options.threads ?? true;
  if (threads) prepareWorkerFor(design);
  const deviance = await ProfiledDeviance.create(design, options.REML ?? true);
  if (threads) await deviance.shareWork();
  let opt;
  try {
    opt = minimize((theta) => deviance.evaluate(theta), thetaStart(design.terms), thetaLower(design.terms), {
      gradient: () => deviance.gradient(),
      onProgress: options.onProgress,
      ...options.optimizer,
    });
  } finally {
    deviance.unshareWork();
  }
  return new LmerModel(design, deviance, opt, { dataName: options.dataName, ddf: options.ddf });
}
