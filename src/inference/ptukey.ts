// The studentized range distribution (R's ptukey), for Tukey's adjustment of
// pairwise comparisons and emmeans' "dunnettx" approximation. Q = R / s, R the
// range of k independent N(0, 1) and s^2 an independent chi-square(df) / df:
//   P(R > w) = k int phi(z) [Phi(z)^(k-1) - (Phi(z) - Phi(z - w))^(k-1)] dz
//   P(Q > q) = int f_s(s) P(R > q s) ds
// (the first because k int phi Phi^(k-1) = 1; both hold for a real k, which
// dunnettx needs). The upper tail is integrated directly, not as 1 - cdf, so
// that small p-values keep their relative precision; the difference of powers
// is written as a^(k-1) (1 - (b/a)^(k-1)) with expm1/log1p for the same reason.
import normalCdf from "@stdlib/stats-base-dists-normal-cdf";

/** 16-point Gauss-Legendre nodes (positive half) and weights on [-1, 1]. */
const NODES = [
  0.0950125098376374, 0.2816035507792589, 0.4580167776572274, 0.6178762444026438, 0.755404408355003, 0.8656312023878318,
  0.9445750230732326, 0.9894009349916499,
];
const WEIGHTS = [
  0.1894506104550685, 0.1826034150449236, 0.1691565193950025, 0.1495959888165767, 0.1246289712555339, 0.0951585116824928,
  0.0622535239386479, 0.0271524594117541,
];

/** Composite 16-point Gauss-Legendre rule of f over [a, b] in `panels` equal panels. */
function integrate(f: (x: number) => number, a: number, b: number, panels: number): number {
  const h = (b - a) / panels;
  let sum = 0;
  for (let i = 0; i < panels; i++) {
    const mid = a + (i + 0.5) * h;
    for (let j = 0; j < NODES.length; j++) {
      const dx = (NODES[j] * h) / 2;
      sum += WEIGHTS[j] * (f(mid - dx) + f(mid + dx));
    }
  }
  return (sum * h) / 2;
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** P(R > w) for R the range of k independent standard normals. */
function rangeUpper(w: number, k: number): number {
  if (w <= 0) return 1;
  // The integrand lives within 10 sd of w / 2 (where phi(z) phi(z - w) peaks).
  const mid = w / 2;
  const tail = (z: number) => {
    const a = normalCdf(z, 0, 1);
    if (a === 0) return 0;
    const lower = normalCdf(z - w, 0, 1);
    const diff = -Math.expm1((k - 1) * Math.log1p(-lower / a));
    return INV_SQRT_2PI * Math.exp(-0.5 * z * z) * a ** (k - 1) * diff;
  };
  return Math.min(1, k * integrate(tail, mid - 10, mid + 10, 10));
}

/** log of the density of log s, s^2 ~ chi-square(df) / df, up to a constant: df t - df e^(2t) / 2. */
const logDensity = (t: number, df: number) => df * t - (df * Math.exp(2 * t)) / 2;

/** The t where df (t - (e^(2t) - 1) / 2) = -40 on the side of 0 that `sign` gives (bisection). */
function densityBound(df: number, sign: 1 | -1): number {
  const drop = (t: number) => logDensity(t, df) - logDensity(0, df) + 40;
  let inner = 0;
  let outer: number = sign;
  while (drop(outer) > 0) outer *= 2;
  for (let i = 0; i < 100; i++) {
    const t = (inner + outer) / 2;
    if (drop(t) > 0) inner = t;
    else outer = t;
  }
  return outer;
}

/**
 * Upper tail P(Q > q) of the studentized range with `nmeans` means and `df`
 * degrees of freedom (R's `ptukey(q, nmeans, df, lower.tail = FALSE)`); df may be
 * Infinity. `nmeans` need not be a whole number (as in R).
 */
export function ptukeyUpper(q: number, nmeans: number, df: number): number {
  if (!(nmeans >= 2) || !(df > 0) || Number.isNaN(q)) return NaN;
  if (q <= 0) return 1;
  if (!Number.isFinite(q)) return 0;
  if (!Number.isFinite(df)) return rangeUpper(q, nmeans);
  // Integrate over t = log s, where the density is smooth and unimodal (peak at
  // t = 0); normalising by the same rule's integral of the density cancels the
  // constant and most of the rule's error.
  const lo = densityBound(df, -1);
  const hi = densityBound(df, 1);
  const peak = logDensity(0, df);
  const weight = (t: number) => Math.exp(logDensity(t, df) - peak);
  const panels = 12;
  const mass = integrate(weight, lo, hi, panels);
  return Math.min(1, integrate((t) => weight(t) * rangeUpper(q * Math.exp(t), nmeans), lo, hi, panels) / mass);
}

/** P(Q <= q) for the studentized range (R's `ptukey(q, nmeans, df)`). */
export function ptukey(q: number, nmeans: number, df: number): number {
  return 1 - ptukeyUpper(q, nmeans, df);
}
