// theta: the entries of every term's covariance structure, term after term in
// lme4's order, with lme4's names, bounds and start values. Each term's part
// is read through its structure (model/covariance/).
import type { TermOutline } from "./design.js";
import type { CovarianceStructure } from "./covariance/structure.js";
import { Unstructured } from "./covariance/unstructured.js";

/**
 * A term's covariance structure. Every term is unstructured today (the formula
 * splits a `(x || g)` term into terms of one column each, as lme4 does).
 */
export function structureOf(term: TermOutline): CovarianceStructure {
  return new Unstructured(term.names.length);
}

/** Each term's covariance structure and the position in theta where its entries start. */
export function termStructures(terms: readonly TermOutline[]): { structure: CovarianceStructure; at: number }[] {
  let at = 0;
  return terms.map((term) => {
    const structure = structureOf(term);
    const out = { structure, at };
    at += structure.size;
    return out;
  });
}

/** Lower bounds of theta (for unstructured terms: 0 on each factor's diagonal, -Infinity elsewhere). */
export function thetaLower(terms: readonly TermOutline[]): Float64Array {
  return Float64Array.from(terms.flatMap((t) => structureOf(t).lower()));
}

/** lme4's start (for unstructured terms: 1 on diagonals, 0 elsewhere). */
export function thetaStart(terms: readonly TermOutline[]): Float64Array {
  return Float64Array.from(terms.flatMap((t) => structureOf(t).start()));
}

/** lme4's names: `Subject.(Intercept)`, `Subject.Days.(Intercept)`, `Subject.Days`. */
export function thetaNames(terms: readonly TermOutline[]): string[] {
  return terms.flatMap((t) => structureOf(t).names(t.group, t.names));
}

/** Each term's T (row-major q x q lower triangle) from theta. */
export function thetaToFactors(terms: readonly TermOutline[], theta: ArrayLike<number>): Float64Array[] {
  return termStructures(terms).map(({ structure, at }) => structure.factor(theta, at));
}
