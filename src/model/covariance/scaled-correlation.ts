// Structured covariances written as standard deviations times a correlation
// matrix: Sigma / sigma^2 = D R(u) D with D = diag(s), s the relative standard
// deviations (one per column, or one shared by all: the homogeneous forms) and
// R a correlation matrix of the structure's own parameters u (unconstrained:
// every u gives a positive definite R). T = D C with C the Cholesky factor of R,
// and the kernels read T's lower triangle as theta.
//
// The Jacobian dtheta/d(s, u): T_ij = s_i C_ij is linear in s; for u_k the
// derivative of the Cholesky factor, dC = C Phi(C^-1 dR C^-T), Phi taking the
// lower triangle and halving its diagonal, so dT = D dC.
import { cholesky, invertLower, matmul, transpose } from "../../linalg.js";
import type { CovarianceStructure, StructureKind } from "./structure.js";
import { Unstructured, writeFactorAt } from "./unstructured.js";

/** A correlation matrix of q columns from unconstrained parameters u. */
export interface CorrelationModel {
  /** How many parameters u it has. */
  readonly count: number;
  /** The parameters at which R is the identity (lme4's start, T = I). */
  start(): number[];
  /** R (row-major q x q) at u (read from `at`), and dR/du_k for each parameter. */
  matrix(u: ArrayLike<number>, at: number): { R: Float64Array; dR: Float64Array[] };
  /** The parameters as glmmTMB reports them (`{ rho }`, `{ phi }`, `{ lags }`). */
  report(u: ArrayLike<number>, at: number): Record<string, number | number[]>;
  /** The correlations, (i, j) with i > j, that carry the parameters (varcorr's rows). */
  readonly pairs: readonly (readonly [number, number])[];
}

/** dC = C Phi(C^-1 dR C^-T) for the Cholesky factor C of R and a symmetric change dR. */
export function choleskyDerivative(C: Float64Array, dR: Float64Array, q: number): Float64Array {
  const Ci = invertLower(C, q);
  const X = matmul(matmul(Ci, dR, q, q, q), transpose(Ci, q, q), q, q, q);
  for (let i = 0; i < q; i++) {
    X[i * q + i] /= 2;
    for (let j = i + 1; j < q; j++) X[i * q + j] = 0;
  }
  return matmul(C, X, q, q, q);
}

/** A covariance structure D R(u) D (see the top of this file). */
export class ScaledCorrelation implements CovarianceStructure {
  readonly size: number;
  readonly parameterCount: number;
  /** Standard deviations: q (heterogeneous) or 1 (homogeneous). */
  private readonly scales: number;
  /** theta's layout, bounds and names are the unstructured term's (the kernels read T as one). */
  private readonly layout: Unstructured;

  constructor(
    readonly kind: StructureKind,
    readonly q: number,
    readonly homogeneous: boolean,
    private readonly correlation: CorrelationModel,
  ) {
    this.layout = new Unstructured(q);
    this.size = this.layout.size;
    this.scales = homogeneous ? 1 : q;
    this.parameterCount = this.scales + correlation.count;
  }

  parameterLower(): number[] {
    return [...new Array<number>(this.scales).fill(0), ...new Array<number>(this.correlation.count).fill(-Infinity)];
  }

  parameterStart(): number[] {
    return [...new Array<number>(this.scales).fill(1), ...this.correlation.start()];
  }

  /** The relative sd of column i. */
  private scale(par: ArrayLike<number>, at: number, i: number): number {
    return par[at + (this.scales === 1 ? 0 : i)];
  }

  toTheta(par: ArrayLike<number>, at: number, theta: Float64Array, thetaAt: number): void {
    const q = this.q;
    const C = cholesky(this.correlation.matrix(par, at + this.scales).R, q);
    for (let i = 0; i < q; i++) {
      const s = this.scale(par, at, i);
      for (let j = 0; j <= i; j++) C[i * q + j] *= s;
    }
    writeFactorAt(theta, thetaAt, C, q);
  }

  jacobian(par: ArrayLike<number>, at: number): Float64Array {
    const { q, size, parameterCount, scales, layout } = this;
    const J = new Float64Array(size * parameterCount);
    const { R, dR } = this.correlation.matrix(par, at + scales);
    const C = cholesky(R, q);
    for (let i = 0; i < q; i++) {
      for (let j = 0; j <= i; j++) J[layout.position(i, j) * parameterCount + (scales === 1 ? 0 : i)] = C[i * q + j];
    }
    dR.forEach((dRk, k) => {
      const dC = choleskyDerivative(C, dRk, q);
      for (let i = 0; i < q; i++) {
        const s = this.scale(par, at, i);
        for (let j = 0; j <= i; j++) J[layout.position(i, j) * parameterCount + scales + k] = s * dC[i * q + j];
      }
    });
    return J;
  }

  correlationParameters(par: ArrayLike<number>, at: number): Record<string, number | number[]> {
    return this.correlation.report(par, at + this.scales);
  }

  lower(): number[] {
    return this.layout.lower();
  }

  names(group: string, columns: readonly string[]): string[] {
    return this.layout.names(group, columns);
  }

  factor(theta: ArrayLike<number>, at: number): Float64Array {
    return this.layout.factor(theta, at);
  }

  covariancePairs(): readonly (readonly [number, number])[] {
    return [...Array.from({ length: this.q }, (_, i) => [i, i] as const), ...this.correlation.pairs];
  }
}
