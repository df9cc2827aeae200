// Contrast matrices of a factor, as R's contr.treatment, contr.sum, contr.helmert
// and contr.poly compute them, with the suffixes R's model.matrix appends to the
// factor's name: the level labels for treatment (`SexMale`), the column numbers
// for sum and helmert (`Diet1`), and `.L`, `.Q`, `.C`, `^4`, ... for poly.
import { LmmError, quote, quoteList } from "../errors.js";
import type { TermList } from "../formula.js";
import { polyColumns, polyRecurrence } from "./transforms.js";

/** The codings of a factor: R's contr.treatment (the default), contr.sum, contr.helmert, contr.poly. */
export type ContrastName = "treatment" | "sum" | "helmert" | "poly";

export const CONTRAST_NAMES: readonly ContrastName[] = ["treatment", "sum", "helmert", "poly"];

/** A factor's contrast matrix: one column of k values (one per level) per model-matrix column. */
export interface ContrastMatrix {
  /** What R appends to the factor's name for each column. */
  suffixes: string[];
  /** columns[j][level]: the value of column j for a row at that level. */
  columns: Float64Array[];
}

/**
 * The coding a contrasts entry names: "sum" or R's own function name "contr.sum"
 * (as lme4 users write it). Anything else is an error naming the entry.
 */
export function contrastName(factor: string, value: unknown): ContrastName {
  const name = typeof value === "string" ? value.replace(/^contr\./, "") : value;
  if (CONTRAST_NAMES.includes(name as ContrastName)) return name as ContrastName;
  throw new LmmError(`Unknown contrasts ${quote(value)} for ${quote(factor)}: choose ${quoteList(CONTRAST_NAMES)}.`);
}

/** R refuses orthogonal polynomials of more than 95 degrees (they lose accuracy). */
const MAX_POLY_DEGREE = 95;

/** The contrast matrix of a factor with `levels` (at least 2) in the coding `name`. */
export function contrastMatrix(factor: string, name: ContrastName, levels: string[]): ContrastMatrix {
  const k = levels.length;
  const columns = Array.from({ length: k - 1 }, () => new Float64Array(k));
  const numbers = columns.map((_, j) => String(j + 1));
  switch (name) {
    case "treatment":
      // Level j + 1 against the first.
      columns.forEach((c, j) => (c[j + 1] = 1));
      return { suffixes: levels.slice(1), columns };
    case "sum":
      // Level j against the last.
      columns.forEach((c, j) => {
        c[j] = 1;
        c[k - 1] = -1;
      });
      return { suffixes: numbers, columns };
    case "helmert":
      // Level j + 1 against the mean of the levels before it (unscaled: -1 each, j for it).
      columns.forEach((c, j) => {
        for (let l = 0; l <= j; l++) c[l] = -1;
        c[j + 1] = j + 1;
      });
      return { suffixes: numbers, columns };
    case "poly": {
      if (k - 1 > MAX_POLY_DEGREE) {
        throw new LmmError(`poly contrasts for ${quote(factor)} would need orthogonal polynomials of degree ${k - 1}, which R refuses beyond ${MAX_POLY_DEGREE}: use another coding.`);
      }
      // Orthonormal polynomials on the scores 1..k: those of poly(1:k, k - 1).
      const scores = Float64Array.from({ length: k }, (_, l) => l + 1);
      const { alpha, norm2 } = polyRecurrence(scores, k - 1);
      const named = [".L", ".Q", ".C"];
      return { suffixes: numbers.map((s, j) => named[j] ?? `^${s}`), columns: polyColumns(scores, alpha, norm2) };
    }
  }
}

/**
 * The contrasts entries that name a variable of a fixed part. A model refitted
 * or compared without one of the factors (update(), `lmm compare`) drops that
 * entry, as R's model.matrix ignores the contrasts of an absent variable.
 */
export function contrastsOfTerms(fixed: TermList, contrasts: Record<string, ContrastName>): Record<string, ContrastName> {
  const variables = new Set(fixed.terms.flat());
  return Object.fromEntries(Object.entries(contrasts).filter(([name]) => variables.has(name)));
}
