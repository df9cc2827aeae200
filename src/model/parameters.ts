// theta and the covariance parameters. theta holds every term's relative factor
// T (its lower triangle), term after term in lme4's order, with lme4's names:
// what the kernels read. The parameters are what the optimiser moves: each
// term's structure's own (model/covariance/), which for an unstructured term
// are its entries of theta, so that a model of unstructured terms is optimised
// over theta itself, exactly as lme4 does.
import type { TermOutline } from "./design.js";
import type { CovarianceStructure, ProfiledStructure, StructureKind } from "./covariance/structure.js";
import { Unstructured } from "./covariance/unstructured.js";
import { diagonal } from "./covariance/diagonal.js";
import { compoundSymmetry } from "./covariance/compound-symmetry.js";
import { ar1 } from "./covariance/ar1.js";
import { toeplitz } from "./covariance/toeplitz.js";
import { LmmError } from "../errors.js";

const STRUCTURES: Record<StructureKind, (q: number) => CovarianceStructure> = {
  us: (q) => new Unstructured(q),
  diag: diagonal,
  cs: (q) => compoundSymmetry(q, false),
  homcs: (q) => compoundSymmetry(q, true),
  ar1,
  toep: toeplitz,
};

/** A term's covariance structure: unstructured unless the formula gave one (`cs(0 + visit | subject)`). */
export function structureOf(term: TermOutline): CovarianceStructure {
  return STRUCTURES[term.structure ?? "us"](term.names.length);
}

/** Whether every term is unstructured (its parameters are its entries of theta). */
export function allUnstructured(terms: readonly TermOutline[]): boolean {
  return terms.every((t) => (t.structure ?? "us") === "us");
}

/** Each term's covariance structure, where its entries start in theta (`at`) and where its parameters start (`parAt`). */
export function termStructures(terms: readonly TermOutline[]): { structure: CovarianceStructure; at: number; parAt: number }[] {
  let at = 0;
  let parAt = 0;
  return terms.map((term) => {
    const structure = structureOf(term);
    const out = { structure, at, parAt };
    at += structure.size;
    parAt += structure.parameterCount;
    return out;
  });
}

/**
 * The unstructured terms' structures with their profile parameterisation, for
 * the profile and the intervals built on it; a structured term is refused.
 */
export function profiledStructures(terms: readonly TermOutline[], what: string, instead: string): { structure: ProfiledStructure; at: number }[] {
  refuseStructured(terms, what, instead);
  return termStructures(terms).map(({ structure, at }) => ({ structure: structure as Unstructured, at }));
}

/** The term as lme4 writes it in a formula: `(1 | g)`, `(Days | Subject)`, `(0 + Days | Subject)`; a structured one as glmmTMB, `cs(0 + visit | subject)`. */
export function termText(t: TermOutline): string {
  const vars = (t.lhs?.terms ?? []).map((v) => v.join(":"));
  const intercept = t.lhs ? t.lhs.intercept : t.names[0] === "(Intercept)";
  const lhs = vars.length === 0 ? "1" : intercept ? vars.join(" + ") : `0 + ${vars.join(" + ")}`;
  return `${t.structure ?? ""}(${lhs} | ${t.group})`;
}

/** Refuse an inference that is built and validated for unstructured terms only, naming it, the term and what to do instead. */
export function refuseStructured(terms: readonly TermOutline[], what: string, instead: string): void {
  const term = terms.find((t) => (t.structure ?? "us") !== "us");
  if (term) {
    throw new LmmError(
      `${what} is not available for the structured random-effects term ${termText(term)}: ` +
        `it is built and checked for unstructured terms only. Instead ${instead}, or fit the term unstructured, ${termText({ ...term, structure: undefined })}.`,
    );
  }
}

/** Lower bounds of theta (for unstructured terms: 0 on each factor's diagonal, -Infinity elsewhere). */
export function thetaLower(terms: readonly TermOutline[]): Float64Array {
  return Float64Array.from(terms.flatMap((t) => structureOf(t).lower()));
}

/** lme4's names: `Subject.(Intercept)`, `Subject.Days.(Intercept)`, `Subject.Days`. */
export function thetaNames(terms: readonly TermOutline[]): string[] {
  return terms.flatMap((t) => structureOf(t).names(t.group, t.names));
}

/** Each term's T (row-major q x q lower triangle) from theta. */
export function thetaToFactors(terms: readonly TermOutline[], theta: ArrayLike<number>): Float64Array[] {
  return termStructures(terms).map(({ structure, at }) => structure.factor(theta, at));
}

/** Lower bounds of the covariance parameters. */
export function parameterLower(terms: readonly TermOutline[]): Float64Array {
  return Float64Array.from(terms.flatMap((t) => structureOf(t).parameterLower()));
}

/** Where the optimisation starts: T = I for every term (lme4's start for unstructured terms). */
export function parameterStart(terms: readonly TermOutline[]): Float64Array {
  return Float64Array.from(terms.flatMap((t) => structureOf(t).parameterStart()));
}

/** The map from the covariance parameters to theta, and of the deviance's gradient back onto the parameters. */
export interface ParameterMap {
  /** theta at the parameters (the parameters themselves when every term is unstructured). */
  theta(par: Float64Array): Float64Array;
  /** J' g: the gradient in the parameters from the gradient g in theta at the same point. */
  gradient(par: Float64Array, g: Float64Array): Float64Array;
}

/** The parameter map of a model's terms. */
export function parameterMap(terms: readonly TermOutline[]): ParameterMap {
  if (allUnstructured(terms)) return { theta: (par) => par, gradient: (_, g) => g };
  const structures = termStructures(terms);
  const size = structures.reduce((n, { structure }) => n + structure.size, 0);
  return {
    theta(par) {
      const theta = new Float64Array(size);
      for (const { structure, at, parAt } of structures) structure.toTheta(par, parAt, theta, at);
      return theta;
    },
    gradient(par, g) {
      const out = new Float64Array(par.length);
      for (const { structure, at, parAt } of structures) {
        const J = structure.jacobian(par, parAt);
        const m = structure.parameterCount;
        for (let k = 0; k < m; k++) {
          if (!J) out[parAt + k] = g[at + k];
          else for (let r = 0; r < structure.size; r++) out[parAt + k] += J[r * m + k] * g[at + r];
        }
      }
      return out;
    },
  };
}
