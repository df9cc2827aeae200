// Families of contrasts among the means of one by-group, with emmeans' names
// and order: "pairs" (pairwise.emmc: 1 - 2, 1 - 3, ..., 2 - 3, ...),
// "trt.vs.ctrl" (each level minus the first) and a user's named coefficient
// vectors. The level labels are emmeans': the values of the non-by variables
// joined by a space, a variable whose values are all numbers prefixed by its
// name ("Diet1", "age8"), and a label with - + / or * in parentheses.
import { LmmError, quote } from "../errors.js";
import type { Adjust } from "./p-adjust.js";

/** Contrasts of the means: all pairs, each level against the first, or named coefficient vectors. */
export type ContrastMethod = "pairs" | "trt.vs.ctrl" | Record<string, readonly number[]>;

/** A family: names and coefficients over the means of a by-group, and emmeans' default adjustment. */
export interface ContrastFamily {
  names: string[];
  coefficients: number[][];
  adjust: Adjust;
  /** All pairs of a set of means (Tukey's adjustment applies). */
  pairwise: boolean;
}

/** Looks like a number to R's as.numeric (emmeans' .is.num). */
const isNumeric = (s: string) => s.trim() !== "" && Number.isFinite(Number(s));

/**
 * emmeans' labels of the means of one by-group: `columns[j]` holds variable
 * `names[j]`'s value for each mean.
 */
export function levelLabels(names: string[], columns: (string | number)[][]): string[] {
  const shown = columns.map((col, j) => {
    const text = col.map(String);
    return text.every(isNumeric) ? text.map((v) => `${names[j]}${v}`) : text;
  });
  const count = columns[0]?.length ?? 0;
  return Array.from({ length: count }, (_, i) => {
    const label = shown.map((col) => col[i]).join(" ");
    return /[-+/*]/.test(label) ? `(${label})` : label;
  });
}

/** The family of `method` over means labelled `levels`. */
export function contrastFamily(method: ContrastMethod, levels: string[]): ContrastFamily {
  const k = levels.length;
  const unit = (i: number, j: number) => Array.from({ length: k }, (_, c) => (c === i ? 1 : c === j ? -1 : 0));
  if (method === "pairs") {
    const family: ContrastFamily = { names: [], coefficients: [], adjust: "tukey", pairwise: true };
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) {
        family.names.push(`${levels[i]} - ${levels[j]}`);
        family.coefficients.push(unit(i, j));
      }
    }
    return family;
  }
  if (method === "trt.vs.ctrl") {
    return {
      names: levels.slice(1).map((l) => `${l} - ${levels[0]}`),
      coefficients: levels.slice(1).map((_, i) => unit(i + 1, 0)),
      adjust: "dunnettx",
      pairwise: false,
    };
  }
  if (typeof method !== "object" || method === null || Array.isArray(method)) {
    throw new LmmError(`Unknown contrast method ${quote(method)}: give "pairs", "trt.vs.ctrl" or named coefficient vectors such as { "A - avg(B,C)": [1, -0.5, -0.5] }.`);
  }
  const names = Object.keys(method);
  if (names.length === 0) throw new LmmError("The contrast list is empty: give at least one named coefficient vector.");
  for (const name of names) {
    const c = method[name];
    if (!Array.isArray(c) || c.length !== k || !c.every(Number.isFinite)) {
      throw new LmmError(`Contrast ${quote(name)} must hold ${k} finite numbers, one per mean (${levels.map((l) => quote(l)).join(", ")}).`);
    }
  }
  return { names, coefficients: names.map((n) => [...method[n]]), adjust: "none", pairwise: false };
}
