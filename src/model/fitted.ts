// What a fitted model offers to the modules that read it (inference, output,
// prediction). LmerModel implements it and wires those modules into its methods;
// they import this type, never LmerModel, so no import runs back to the model.
import type { Design } from "./design.js";
import type { ProfiledDeviance } from "./deviance.js";
import type { StructureKind } from "./covariance/structure.js";
import type { ResidualReport } from "./residual/structure.js";

/** One row of lme4's as.data.frame(VarCorr(m)). */
export interface VarCorrRow {
  grp: string;
  var1: string | null;
  var2: string | null;
  /** Variance or covariance. */
  vcov: number;
  /** Standard deviation or correlation. */
  sdcor: number;
}

/** One random-effects term's covariance structure and its estimates, as glmmTMB reports them. */
export interface TermStructure {
  /** The term's group as varcorr's `grp` names it. */
  grp: string;
  structure: StructureKind;
  /** One standard deviation for all columns (ar1, homcs). */
  homogeneous: boolean;
  /** The term's columns. */
  names: string[];
  /** Standard deviation of each column. */
  sd: number[];
  /** The structure's correlation parameters: `{ rho }` (cs, homcs), `{ phi }` (ar1), `{ lags }` (toep); empty for us and diag. */
  parameters: Record<string, number | number[]>;
}

/** Conditional modes of one grouping factor: level names and one array per column. */
export interface RanefTable {
  levels: string[];
  [column: string]: string[] | number[];
}

/** How the optimisation ended. */
export interface Convergence {
  converged: boolean;
  message: string;
  iterations: number;
  evaluations: number;
  /** Largest |projected gradient| of the objective at the optimum. */
  maxGrad: number;
  /** What was checked before the optimum was accepted (gradient, directions into the covariance cone, restarts). */
  optimality: string;
}

/** Denominator degrees of freedom for the t tests of the fixed effects. */
export type DdfMethod = "satterthwaite" | "kenward-roger" | "none";

/** The estimates of a fitted linear mixed model at its optimum, as plain values. */
export interface FitEstimates {
  /** The formula as given. */
  readonly formula: string;
  readonly REML: boolean;
  readonly nobs: number;
  /** Rows dropped because a variable of the model was missing. */
  readonly droppedRows: number;
  /** Fixed-effect columns dropped because X was rank deficient. */
  readonly droppedColumns: string[];
  /** Notes for the user (rank deficiency, singular fit, convergence). */
  readonly messages: string[];
  /** Fixed effects by R's coefficient name (`(Intercept)`, `SexMale`, `age:SexMale`). */
  readonly fixef: Record<string, number>;
  /** Standard errors of the fixed effects. */
  readonly se: Record<string, number>;
  /** t values of the fixed effects. */
  readonly t: Record<string, number>;
  /** Covariance matrix of the fixed effects (row-major arrays, coefficient order). */
  readonly vcov: number[][];
  /** Fixed-effect names in the model's column order (the order of `vcov`). */
  readonly coefNames: string[];
  /** Relative covariance factors, lme4's order: per term, the lower triangle of T column by column. */
  readonly theta: number[];
  /** lme4's names of theta: `Subject.(Intercept)`, `Subject.Days.(Intercept)`, `Subject.Days`. */
  readonly thetaNames: string[];
  /**
   * The covariance parameters the optimiser moved: theta itself for unstructured
   * terms; a structured term's relative sds and its correlation parameters on
   * their unconstrained scale (see model/covariance/).
   */
  readonly covarianceParameters: number[];
  /** Each random-effects term's covariance structure with its sds and parameters. */
  readonly structures: TermStructure[];
  /**
   * The residual structure's estimates (nlme's correlation and variance
   * function), when the model has one; sigma is then the residual sd of the
   * variance function's first level (of the first visit for `us`).
   */
  readonly residualStructure?: ResidualReport;
  /** Residual standard deviation. */
  readonly sigma: number;
  readonly varcorr: VarCorrRow[];
  /** REML criterion (REML fits) or deviance (ML fits) at the optimum. */
  readonly objective: number;
  readonly logLik: number;
  readonly npar: number;
  readonly AIC: number;
  readonly BIC: number;
  /** Levels per grouping factor. */
  readonly ngrps: Record<string, number>;
  readonly singular: boolean;
  readonly convergence: Convergence;
  /** Name of the data (for the summary's `Data:` line). */
  readonly dataName?: string;
  /** The df method of the summary's and JSON's t tests (lmerTest's default: Satterthwaite). */
  readonly ddf: DdfMethod;
}

/**
 * A fitted linear mixed model: its estimates, its design and the deviance it
 * was fitted with (left attached for further evaluations), and what is computed
 * from them on first use. Inference, output and prediction read a fit through
 * this interface.
 */
export interface FittedModel extends FitEstimates {
  readonly design: Design;
  readonly deviance: ProfiledDeviance;
  /** Conditional modes (BLUPs) per grouping factor, merged as lme4's ranef(). */
  readonly ranef: Record<string, RanefTable>;
  /** Conditional fitted values X beta + Z b, in the order of the rows used. */
  readonly fitted: Float64Array;
  /** Response minus fitted values. */
  readonly residuals: Float64Array;
}
