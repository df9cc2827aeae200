// A random-effects term's covariance structure: how the term's entries of theta
// make its relative factor T (the term's covariance is sigma^2 T T'), their
// bounds, starting values and lme4's names, which entries of the covariance
// have a parameter of their own (the sd/cor parameters that varcorr, confint
// and the profile report, and Kenward-Roger's variance parameters), and the
// profile's parameterisation. Unstructured (`(x | g)`) is the one structure today.
// The kernels build T from theta as the unstructured lower triangle, so a
// structure with other parameters also needs them to take T (or a Jacobian).
import { timesTranspose } from "../../linalg.js";

/** A correlation held fixed while theta is built from the profile's parameters: rows i > j of the term. */
export interface FixedCorrelation {
  i: number;
  j: number;
  rho: number;
}

/** One random-effects term's covariance structure, for a term of q columns. */
export interface CovarianceStructure {
  /** Columns of the term. */
  readonly q: number;
  /** Entries of theta the term holds. */
  readonly size: number;
  /** Lower bounds of the term's entries of theta (the optimiser's box). */
  lower(): number[];
  /** lme4's starting values of the term's entries of theta. */
  start(): number[];
  /** lme4's names of the term's entries of theta (`Subject.(Intercept)`, `Subject.Days.(Intercept)`). */
  names(group: string, columns: readonly string[]): string[];
  /** The relative factor T (row-major q x q, lower triangle) from the term's entries of theta, which start at `at`. */
  factor(theta: ArrayLike<number>, at: number): Float64Array;
  /**
   * The entries (i, j), i >= j, of the term's covariance that have a parameter of
   * their own, in theta's order: a standard deviation when i = j, else a
   * correlation. The profile's k-th parameter of the term is the k-th pair.
   */
  covariancePairs(): readonly (readonly [number, number])[];
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
