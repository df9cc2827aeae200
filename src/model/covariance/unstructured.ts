// The unstructured covariance of a term `(x | g)`, as lme4 parameterises it:
// theta holds the lower triangle of T column by column, diagonals bounded at 0,
// starting at the identity.
//
// The profile's parameters: T = diag(s) C with s >= 0 the relative standard
// deviations and C the lower-triangular Cholesky factor of the correlation
// matrix, rows of unit length, written through canonical partial correlations
// z = sin(u) (c_i1 = z_i1, c_ik = z_ik sqrt(1 - sum_{l<k} c_il^2), c_ii the
// rest): every u gives a valid correlation matrix and every correlation matrix
// has such a u, so the profile's inner problems have simple bounds (s >= 0, u free).
// A fixed correlation is linear in the partial correlation z_ij given the rows
// before (z_i1 = rho when j is the first column), so z_ij is solved for.
import type { FixedCorrelation, ProfiledStructure } from "./structure.js";

/** Entries of theta that a term with q columns holds. */
export function thetaLength(q: number): number {
  return (q * (q + 1)) / 2;
}

/** One term's T (row-major q x q lower triangle) from its entries of theta, which start at `at`. */
export function factorAt(theta: ArrayLike<number>, at: number, q: number): Float64Array {
  const T = new Float64Array(q * q);
  let k = at;
  for (let j = 0; j < q; j++) for (let i = j; i < q; i++) T[i * q + j] = theta[k++];
  return T;
}

/** Write one term's T (row-major q x q, lower triangle read) into theta from `at`. */
export function writeFactorAt(theta: Float64Array, at: number, T: ArrayLike<number>, q: number): void {
  let k = at;
  for (let j = 0; j < q; j++) for (let i = j; i < q; i++) theta[k++] = T[i * q + j];
}

/** The unstructured covariance of a term with q columns. */
export class Unstructured implements ProfiledStructure {
  readonly kind = "us";
  readonly homogeneous = false;
  readonly size: number;
  readonly parameterCount: number;
  /** pos[i][j] (i >= j): the position of T's entry (i, j) among the term's entries of theta. */
  private readonly pos: number[][];
  private readonly pairs: [number, number][] = [];

  constructor(readonly q: number) {
    this.size = thetaLength(q);
    this.parameterCount = this.size;
    this.pos = Array.from({ length: q }, () => new Array<number>(q).fill(-1));
    for (let j = 0; j < q; j++) {
      for (let i = j; i < q; i++) {
        this.pos[i][j] = this.pairs.length;
        this.pairs.push([i, j]);
      }
    }
  }

  /** The position of T's entry (i, j), i >= j, among the term's entries of theta. */
  position(i: number, j: number): number {
    return this.pos[i][j];
  }

  parameterLower(): number[] {
    return this.lower();
  }

  parameterStart(): number[] {
    return this.start();
  }

  toTheta(par: ArrayLike<number>, at: number, theta: Float64Array, thetaAt: number): void {
    for (let k = 0; k < this.size; k++) theta[thetaAt + k] = par[at + k];
  }

  jacobian(): null {
    return null;
  }

  correlationParameters(): Record<string, number> {
    return {};
  }

  lower(): number[] {
    return this.pairs.map(([i, j]) => (i === j ? 0 : -Infinity));
  }

  /** lme4's starting values of the term's entries of theta: T = I. */
  start(): number[] {
    return this.pairs.map(([i, j]) => (i === j ? 1 : 0));
  }

  names(group: string, columns: readonly string[]): string[] {
    return this.pairs.map(([i, j]) => (i === j ? `${group}.${columns[i]}` : `${group}.${columns[i]}.${columns[j]}`));
  }

  factor(theta: ArrayLike<number>, at: number): Float64Array {
    return factorAt(theta, at, this.q);
  }

  covariancePairs(): readonly (readonly [number, number])[] {
    return this.pairs;
  }

  naturalLower(): number[] {
    return this.lower();
  }

  moveInside(nat: Float64Array, at: number): void {
    // A partial correlation at -1 or 1 (u at -/+ pi/2) is a stationary point of
    // sin(u): start a little inside.
    this.pairs.forEach(([i, j], k) => {
      const z = Math.sin(nat[at + k]);
      if (i !== j && Math.abs(z) > 1 - 1e-8) nat[at + k] = Math.sign(z) * (Math.PI / 2 - 0.1);
    });
  }

  profileEstimates(theta: ArrayLike<number>, at: number, sigma: number, out: Float64Array): void {
    const { q, pos } = this;
    const row = (i: number) => Array.from({ length: i + 1 }, (_, k) => theta[at + pos[i][k]]);
    const norms = Array.from({ length: q }, (_, i) => Math.hypot(...row(i)));
    for (let i = 0; i < q; i++) {
      out[at + pos[i][i]] = sigma * norms[i];
      for (let j = 0; j < i; j++) {
        let s = 0;
        for (let k = 0; k <= j; k++) s += theta[at + pos[i][k]] * theta[at + pos[j][k]];
        out[at + pos[i][j]] = norms[i] > 0 && norms[j] > 0 ? s / (norms[i] * norms[j]) : NaN;
      }
    }
  }

  toNatural(theta: ArrayLike<number>, at: number, nat: Float64Array): void {
    const { q, pos } = this;
    for (let i = 0; i < q; i++) {
      let norm = 0;
      for (let k = 0; k <= i; k++) norm += theta[at + pos[i][k]] ** 2;
      norm = Math.sqrt(norm);
      nat[at + pos[i][i]] = norm;
      let rem = 1;
      for (let k = 0; k < i; k++) {
        const c = norm > 0 ? theta[at + pos[i][k]] / norm : 0;
        const r = Math.sqrt(Math.max(rem, 0));
        const z = r > 1e-300 ? Math.max(-1, Math.min(1, c / r)) : 0;
        nat[at + pos[i][k]] = Math.asin(z);
        rem -= c * c;
      }
    }
  }

  fromNatural(nat: ArrayLike<number>, at: number, theta: Float64Array, fixed?: FixedCorrelation): number {
    const { q, pos } = this;
    let excess = 0;
    const C = new Float64Array(q * q);
    for (let i = 0; i < q; i++) {
      let rem = 1;
      for (let k = 0; k < i; k++) {
        let z: number;
        if (fixed && fixed.i === i && fixed.j === k) {
          let partial = 0;
          for (let l = 0; l < k; l++) partial += C[i * q + l] * C[k * q + l];
          const coef = Math.sqrt(Math.max(rem, 0)) * C[k * q + k];
          z = coef > 0 ? (fixed.rho - partial) / coef : 0;
          if (Math.abs(z) > 1) {
            excess += Math.abs(z) - 1;
            z = Math.sign(z);
          }
        } else z = Math.sin(nat[at + pos[i][k]]);
        const c = z * Math.sqrt(Math.max(rem, 0));
        C[i * q + k] = c;
        rem -= c * c;
      }
      C[i * q + i] = Math.sqrt(Math.max(rem, 0));
    }
    for (let i = 0; i < q; i++) {
      const s = nat[at + pos[i][i]];
      for (let k = 0; k <= i; k++) theta[at + pos[i][k]] = s * C[i * q + k];
    }
    return excess;
  }
}
