// Multiplicity adjustment of the p-values of a family of contrasts, as emmeans
// (.adj.p.value): within each by-group, "tukey" from the studentized range of
// the family's means, "sidak" 1 - (1 - p)^n, "bonferroni" and "holm" as R's
// p.adjust, and "dunnettx", emmeans' approximation to Dunnett's test (a
// weighted mean of the Tukey and Sidak tail probabilities, exact for two
// contrasts and close above). emmeans' rules carry over: a family of one
// contrast is not adjusted, and "tukey" on contrasts other than all pairs
// becomes "sidak".
import tcdf from "@stdlib/stats-base-dists-t-cdf";
import { ptukeyUpper } from "./ptukey.js";

/** The multiplicity adjustments. */
export type Adjust = "tukey" | "holm" | "bonferroni" | "sidak" | "dunnettx" | "none";

export const ADJUSTMENTS: readonly Adjust[] = ["tukey", "holm", "bonferroni", "sidak", "dunnettx", "none"];

/** A family of contrasts: its t statistics, df and unadjusted p-values. */
export interface Family {
  t: number[];
  df: number[];
  p: number[];
  /** Number of means compared (Tukey's studentized range). */
  nmeans: number;
}

/** emmeans' .pdunnx: P(max |T_i| <= x) for k contrasts against one control, approximately. */
function dunnettxUpper(x: number, k: number, df: number): number {
  const weight = (k - 1) / k;
  const tukey = 1 - ptukeyUpper(Math.SQRT2 * x, (1 + Math.sqrt(1 + 8 * k)) / 2, df);
  const sidak = (1 - 2 * tcdf(-x, df)) ** k;
  return 1 - (weight * tukey + (1 - weight) * sidak);
}

/** R's p.adjust(p, "holm"): step-down Bonferroni. */
function holm(p: number[]): number[] {
  const n = p.length;
  const order = p.map((_, i) => i).sort((a, b) => p[a] - p[b]);
  const out = new Array<number>(n);
  let running = 0;
  order.forEach((i, rank) => {
    running = Math.max(running, Math.min(1, (n - rank) * p[i]));
    out[i] = running;
  });
  return out;
}

/**
 * The adjustment that applies (emmeans' substitutions) to families of
 * `size` contrasts, `pairwise` when they are all the pairs of a set of means.
 */
export function effectiveAdjust(adjust: Adjust, size: number, pairwise: boolean): Adjust {
  if (size <= 1) return "none";
  if (adjust === "tukey" && !pairwise) return "sidak";
  return adjust;
}

/** Adjusted p-values of one family (after effectiveAdjust). */
export function adjustFamily(family: Family, adjust: Adjust): number[] {
  const n = family.p.length;
  switch (adjust) {
    case "none":
      return family.p;
    case "bonferroni":
      return family.p.map((p) => Math.min(1, n * p));
    case "holm":
      return holm(family.p);
    case "sidak":
      // 1 - (1 - p)^n without the loss of 1 - p for small p.
      return family.p.map((p) => -Math.expm1(n * Math.log1p(-p)));
    case "tukey":
      return family.t.map((t, i) => ptukeyUpper(Math.SQRT2 * Math.abs(t), family.nmeans, family.df[i]));
    case "dunnettx":
      return family.t.map((t, i) => dunnettxUpper(Math.abs(t), n, family.df[i]));
  }
}

/** emmeans' note under the table, or undefined where it prints none. */
export function adjustNote(adjust: Adjust, size: number, nmeans: number): string | undefined {
  if (adjust === "none" || (adjust === "tukey" && nmeans < 3)) return undefined;
  const extra = adjust === "tukey" ? `for comparing a family of ${nmeans} estimates` : `for ${size} tests`;
  return `P value adjustment: ${adjust} method ${extra}`;
}
