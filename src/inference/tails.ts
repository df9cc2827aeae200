// Upper-tail probabilities computed directly (not 1 - cdf), so that tiny
// p-values keep their relative precision.
import betainc from "@stdlib/math-base-special-betainc";
import gammainc from "@stdlib/math-base-special-gammainc";

/** P(X > x) for X ~ chi-square(df): the regularized upper incomplete gamma Q(df/2, x/2). */
export function chisqUpper(x: number, df: number): number {
  return gammainc(x / 2, df / 2, true, true);
}

/** P(F > f) for F ~ F(d1, d2): the regularized incomplete beta I_{d2/(d2 + d1 f)}(d2/2, d1/2). */
export function fUpper(f: number, d1: number, d2: number): number {
  return betainc(d2 / (d2 + d1 * f), d2 / 2, d1 / 2, true, false);
}
