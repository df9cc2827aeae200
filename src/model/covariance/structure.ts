// A random-effects term's covariance structure: how the term's own parameters
// (what the optimiser moves) make its relative factor T (the term's covariance
// is sigma^2 T T'), held as the term's entries of theta, the lower triangle of T
// that the kernels read; their bounds, starting values and lme4's names; which
// entries of the covariance are reported (varcorr, confint); and, for
// unstructured terms, the profile's parameterisation.
//
// The kernels give the deviance and its gradient in theta; a structure with
// parameters phi of its own supplies the Jacobian dtheta/dphi, and the
// optimiser's gradient is J' (dd/dtheta). For unstructured terms phi is theta.
import { timesTranspose } from "../../linalg.js";

/** A correlation held fixed while theta is built from the profile's parameters: rows i > j of the term. */
export interface FixedCorrelation {
  i: number;
  j: number;
  rho: number;
}

/** glmmTMB's names of the structures: unstructured, diagonal, (homogeneous) compound symmetry, AR(1), Toeplitz. */
export const STRUCTURE_KINDS = ["us", "diag", "cs", "homcs", "ar1", "toep"] as const;
/** A structure's name as glmmTMB spells it in formulas (`cs(0 + visit | subject)`). */
export type StructureKind = (typeof STRUCTURE_KINDS)[number];

/** One random-effects term's covariance structure, for a term of q columns. */
export interface CovarianceStructure {
  readonly kind: StructureKind;
  /** Columns of the term. */
  readonly q: number;
  /** Whether one standard deviation serves all columns (ar1, homcs). */
  readonly homogeneous: boolean;
  /** Entries of theta the term holds: the lower triangle of T, q (q + 1) / 2. */
  readonly size: number;
  /** The structure's own parameters, what the optimiser moves (size for unstructured terms, where they are theta's entries). */
  readonly parameterCount: number;
  /** Lower bounds of the term's parameters (the optimiser's box). */
  parameterLower(): number[];
  /** Starting values of the term's parameters (T = I, as lme4 starts). */
  parameterStart(): number[];
  /** The term's entries of theta (written at `thetaAt`) from its parameters (read at `at`). */
  toTheta(par: ArrayLike<number>, at: number, theta: Float64Array, thetaAt: number): void;
  /**
   * dtheta/dphi of the term at its parameters (read at `at`): row-major,
   * size x parameterCount; null where the parameters are theta's entries
   * (the identity), so that unstructured fits run exactly as before.
   */
  jacobian(par: ArrayLike<number>, at: number): Float64Array | null;
  /**
   * The parameters as glmmTMB reports them beside the standard deviations:
   * `{ rho }` (cs, homcs), `{ phi }` (ar1), `{ lags }` (toep, the correlation
   * at lag 1, 2, ...); empty for us and diag, whose correlations are the varcorr's.
   */
  correlationParameters(par: ArrayLike<number>, at: number): Record<string, number | number[]>;
  /** Lower bounds of the term's entries of theta (for unstructured terms, the optimiser's box). */
  lower(): number[];
  /** lme4's names of the term's entries of theta (`Subject.(Intercept)`, `Subject.Days.(Intercept)`). */
  names(group: string, columns: readonly string[]): string[];
  /** The relative factor T (row-major q x q, lower triangle) from the term's entries of theta, which start at `at`. */
  factor(theta: ArrayLike<number>, at: number): Float64Array;
  /**
   * The entries (i, j), i >= j, of the term's covariance that varcorr and
   * confint report: a standard deviation when i = j, else a correlation. For an
   * unstructured term these are theta's entries, in theta's order, and the
   * profile's k-th parameter of the term is the k-th pair; a structured term
   * reports every column's sd and the correlations that carry its parameters
   * (cs's, ar1's common one between columns 2 and 1; toep's lag k between
   * columns k + 1 and 1).
   */
  covariancePairs(): readonly (readonly [number, number])[];
}

/**
 * An unstructured term's profile parameterisation (profile.ts): only unstructured
 * terms have one; the profile and intervals built on it refuse structured terms.
 */
export interface ProfiledStructure extends CovarianceStructure {
  /**
   * The profile's parameters of the term from theta, into `nat` at `at`: one per
   * covariance pair, under simple bounds only; a standard deviation's is the
   * relative sd (sd / sigma), which the profiles of an sd and of sigma rescale.
   */
  toNatural(theta: ArrayLike<number>, at: number, nat: Float64Array): void;
  /**
   * theta from the profile's parameters (both at `at`), optionally with one
   * correlation held fixed; returns how far that correlation is infeasible
   * (0 when it holds).
   */
  fromNatural(nat: ArrayLike<number>, at: number, theta: Float64Array, fixed?: FixedCorrelation): number;
  /** Lower bounds of the profile's parameters of the term. */
  naturalLower(): number[];
  /** Move a start of the profile's inner problems (its parameters at `at`) off points where they are stationary whichever way the deviance pulls. */
  moveInside(nat: Float64Array, at: number): void;
  /**
   * The sd/cor parameters from theta and sigma as the profile starts from them,
   * in covariance-pair order into `out` at `at` (lme4's Cv_to_Sv; the same
   * values as TermCovariance's, rounded the profile's way).
   */
  profileEstimates(theta: ArrayLike<number>, at: number, sigma: number, out: Float64Array): void;
}

/** lme4's name of a term's sd/cor parameter (confint, profile): `sd_Days|Subject` (i = j), `cor_Days.(Intercept)|Subject`. */
export function sdcorName(group: string, columns: readonly string[], i: number, j: number): string {
  return i === j ? `sd_${columns[i]}|${group}` : `cor_${columns[i]}.${columns[j]}|${group}`;
}

/** sigma^2 T T' of a term (row-major q x q), with its standard deviations and correlations. */
export class TermCovariance {
  /** The covariance matrix, row-major q x q. */
  readonly S: Float64Array;

  constructor(
    T: Float64Array,
    readonly q: number,
    sigma: number,
  ) {
    this.S = timesTranspose(T, q).map((v) => v * sigma * sigma);
  }

  /** Standard deviation of column i. */
  sd(i: number): number {
    return Math.sqrt(this.S[i * this.q + i]);
  }

  /** Correlation of columns i and j (NaN when either variance is 0). */
  cor(i: number, j: number): number {
    const q = this.q;
    const denom = Math.sqrt(this.S[i * q + i] * this.S[j * q + j]);
    return denom > 0 ? this.S[i * q + j] / denom : NaN;
  }
}
