// lmer(): formula + data -> fitted model, through lme4's stages: the design
// (lFormula), the deviance function (mkLmerDevfun), the optimisation
// (optimizeLmer) and the fitted object (mkMerMod). Each stage is exported.
import { toDataFrame, type DataInput } from "../data.js";
import { parseFormula } from "../formula.js";
import { buildDesign } from "../model/build-design.js";
import { DESIGN_OPTIONS, type Design, type DesignOptions } from "../model/design.js";
import { checkOptions, type OptionSpec } from "../options.js";
import { ProfiledDeviance } from "../model/deviance.js";
import { LmerModel } from "../model/lmer-model.js";
import type { DdfMethod } from "../model/fitted.js";
import { thetaStart } from "../model/parameters.js";
import { OPTIMIZER_OPTIONS, type OptimizerOptions, type OptimizerProgress } from "./optimizer.js";
import { optimizeTheta } from "./optimize-theta.js";
import { workingBasis } from "./working-basis.js";
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
  // Badly located or scaled random-slope covariates: the optimum of the
  // well-scaled working problem starts the fit of the design as written.
  let start = thetaStart(design.terms);
  const basis = workingBasis(design);
  const working = basis && (await ProfiledDeviance.create(basis.design, reml));
  if (basis && working) start = basis.toTheta(optimizeTheta(working, basis.design.terms, thetaStart(basis.design.terms), optimizerOptions).x);
  const workingEvaluations = working?.evaluations ?? 0;
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
  if (basis && working) checkPrecision(opt.f, working.evaluate(basis.toWorking(opt.x)), basis.worstColumn);
  return new LmerModel(design, deviance, opt, { dataName: options.dataName, ddf: options.ddf });
}

/**
 * The deviance of the design as written and of the working basis are one
 * function; where they disagree at the optimum, the cross-products of a
 * covariate far from zero have lost the digits the fit needs, and the estimates
 * would be silently wrong.
 */
function checkPrecision(asWritten: number, working: number, column: string): void {
  if (Math.abs(asWritten - working) <= PRECISION_TOL * (1 + Math.abs(working))) return;
  throw new LmmError(
    `The random-effects covariate ${column} is so far from zero, or on so extreme a scale, that the fit loses the precision it needs ` +
      `(objective ${asWritten.toFixed(6)} as written, ${working.toFixed(6)} on centred columns, at the same parameters). Centre or rescale it (e.g. subtract its mean) and fit again.`,
  );
}
