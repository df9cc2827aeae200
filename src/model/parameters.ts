// theta: the lower-triangular relative covariance factors of all terms, stored
// column by column as lme4 does, with lme4's names, bounds and start values.
import type { RandomEffectsTerm } from "./design.js";

/** Lower bounds: 0 on each factor's diagonal, -Infinity elsewhere. */
export function thetaLower(terms: RandomEffectsTerm[]): Float64Array {
  const out: number[] = [];
  for (const t of terms) {
    const q = t.names.length;
    for (let j = 0; j < q; j++) for (let i = j; i < q; i++) out.push(i === j ? 0 : -Infinity);
  }
  return Float64Array.from(out);
}

/** lme4's start: 1 on diagonals, 0 elsewhere. */
export function thetaStart(terms: RandomEffectsTerm[]): Float64Array {
  return thetaLower(terms).map((v) => (v === 0 ? 1 : 0));
}

/** lme4's names: `Subject.(Intercept)`, `Subject.Days.(Intercept)`, `Subject.Days`. */
export function thetaNames(terms: RandomEffectsTerm[]): string[] {
  const out: string[] = [];
  for (const t of terms) {
    const q = t.names.length;
    for (let j = 0; j < q; j++) {
      for (let i = j; i < q; i++) out.push(i === j ? `${t.group}.${t.names[i]}` : `${t.group}.${t.names[i]}.${t.names[j]}`);
    }
  }
  return out;
}

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

/** Each term's T (row-major q x q lower triangle) from theta. */
export function thetaToFactors(terms: RandomEffectsTerm[], theta: ArrayLike<number>): Float64Array[] {
  let at = 0;
  return terms.map((t) => {
    const q = t.names.length;
    const T = factorAt(theta, at, q);
    at += thetaLength(q);
    return T;
  });
}
