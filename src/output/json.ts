// The JSON contract: the fields of ../shared/reference/cases, same names and shapes.
import type { RanefTable, TermStructure, VarCorrRow } from "../model/fitted.js";
import type { R2 } from "../inference/variance-explained.js";
import type { ReportedModel, SummaryModel } from "./reported.js";

/** The JSON contract: the reference fits' field names and shapes. */
export interface LmerJSON {
  formula: string;
  REML: boolean;
  nobs: number;
  ngrps: Record<string, number>;
  dropped_rows: number;
  dropped_columns: string[];
  fixef: Record<string, number>;
  se: Record<string, number>;
  t: Record<string, number>;
  vcov_beta: number[][];
  theta: number[];
  theta_names: string[];
  sigma: number;
  varcorr: VarCorrRow[];
  /** The residual correlation structure (nlme's corAR1, ...): type ar1, car1, cs or us, formula, parameters (Phi, Rho, or us's correlations by visit pair "v2:v1"). */
  correlation?: { type: string; formula: string; parameters: Record<string, number> };
  /** The residual variance function (nlme's varIdent): type "ident", formula, the sd ratio of each level to the first. */
  variance?: { type: string; formula: string; parameters: Record<string, number> };
  /** Each random-effects term's covariance structure ("us", "diag", "cs", "homcs", "ar1", "toep"), its sds and parameters (rho, phi, lags). */
  structures: TermStructure[];
  objective: number;
  logLik: number;
  npar: number;
  AIC: number;
  BIC: number;
  singular: boolean;
  converged: boolean;
  convergence: { message: string; iterations: number; evaluations: number; max_grad: number; optimality: string };
  messages: string[];
  ranef: Record<string, RanefTable>;
  /** lmerTest's Satterthwaite df and p-values (absent with ddf "none"). */
  satterthwaite?: { df: Record<string, number>; p: Record<string, number> };
  /** pbkrtest's Kenward-Roger df, adjusted SEs and p-values (with ddf "kenward-roger"). */
  kenward_roger?: { df: Record<string, number>; se: Record<string, number>; p: Record<string, number> };
  fitted: number[];
  residuals: number[];
  /** performance::icc (null for a singular fit, as performance gives none). */
  icc: { adjusted: number; unadjusted: number } | null;
  /** performance::r2_nakagawa (null for a singular fit). */
  r2: { marginal: number; conditional: number } | null;
}

/** The JSON contract without its per-row arrays: what a fit from SQL statistics gives (its rows stay in the engine). */
export type EstimatesJSON = Omit<LmerJSON, "fitted" | "residuals">;

/** What the contract's estimates read: a summary's model with its conditional modes and R^2 (a fit from rows or from statistics). */
export type EstimatesModel = SummaryModel & { readonly ranef: Record<string, RanefTable>; readonly r2: R2 | null };

/** A fitted model as the JSON contract (what `m.toJSON()` and `lmm fit --json` emit). */
export function modelToJSON(m: ReportedModel): LmerJSON {
  // The per-row arrays sit before icc and r2, as in the reference fits.
  const { icc, r2, ...estimates } = estimatesToJSON(m);
  return { ...estimates, fitted: Array.from(m.fitted), residuals: Array.from(m.residuals), icc, r2 };
}

/** The contract's fields other than the per-row fitted values and residuals, in the same order. */
export function estimatesToJSON(m: EstimatesModel): EstimatesJSON {
  return {
    formula: m.formula,
    REML: m.REML,
    nobs: m.nobs,
    ngrps: m.ngrps,
    dropped_rows: m.droppedRows,
    dropped_columns: m.droppedColumns,
    fixef: m.fixef,
    se: m.se,
    t: m.t,
    vcov_beta: m.vcov,
    theta: m.theta,
    theta_names: m.thetaNames,
    sigma: m.sigma,
    varcorr: m.varcorr,
    structures: m.structures,
    ...(m.residualStructure?.correlation && { correlation: m.residualStructure.correlation }),
    ...(m.residualStructure?.variance && { variance: m.residualStructure.variance }),
    objective: m.objective,
    logLik: m.logLik,
    npar: m.npar,
    AIC: m.AIC,
    BIC: m.BIC,
    singular: m.singular,
    converged: m.convergence.converged,
    convergence: {
      message: m.convergence.message,
      iterations: m.convergence.iterations,
      evaluations: m.convergence.evaluations,
      max_grad: m.convergence.maxGrad,
      optimality: m.convergence.optimality,
    },
    messages: m.messages,
    ranef: m.ranef,
    ...(m.ddf !== "none" ? { satterthwaite: m.satterthwaite } : {}),
    ...(m.ddf === "kenward-roger" ? { kenward_roger: m.kenwardRoger } : {}),
    icc: m.icc,
    r2: m.r2,
  };
}
