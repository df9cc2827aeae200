// A well-scaled basis for the optimiser. An unstructured term's covariance is
// invariant under a linear change of its columns: with Z = Z~ A, the model with
// Sigma~ = A Sigma A' on Z~ is the same model, with the same deviance. When a
// random-slope covariate sits far from zero (time as age in years, a shifted
// Days) or on an extreme scale, theta's problem is ill-conditioned and the
// optimiser can stop at a false boundary optimum; on centred and scaled columns
// it is the well-conditioned problem of the centred data. So the optimiser runs
// there first and its optimum, mapped back to the original theta, starts the
// final optimisation on the design as written (which every later stage uses).
import { rankOneUpdate } from "./cone.js";
import { quote } from "../errors.js";
import { meanAndSd } from "../linalg.js";
import type { Design, TermOutline } from "../model/design.js";
import { factorAt, thetaLength, writeFactorAt } from "../model/covariance/unstructured.js";
import { allUnstructured } from "../model/parameters.js";

/** A covariate whose mean exceeds this many standard deviations is centred. */
const CENTRE_RATIO = 3;
/** A covariate whose scale lies outside [1 / SCALE_RANGE, SCALE_RANGE] is rescaled. */
const SCALE_RANGE = 100;

/** How one term's columns map to the working columns: z_j = shift_j + scale_j z~_j. */
export interface TermBasis {
  q: number;
  /** The term's intercept column, or -1 (then no column is shifted). */
  intercept: number;
  shift: Float64Array;
  scale: Float64Array;
}

/** The change to the working basis, and the map from its theta to the original's. */
export interface BasisChange {
  /** Per term, its columns' map. */
  bases: TermBasis[];
  /** The original theta of the model whose working theta is given. */
  toTheta(working: ArrayLike<number>): Float64Array;
  /** The working theta of the model whose original theta is given. */
  toWorking(theta: ArrayLike<number>): Float64Array;
  /** The covariate whose location or scale is the furthest off, as `'x' (mean m, sd s)`. */
  worstColumn: string;
}

/** The design on the working columns, and the change of basis. */
export interface WorkingBasis extends BasisChange {
  design: Design;
}

/** A column's location and spread (population sd, and root mean square), as meanAndSd gives them. */
export interface ColumnSpread {
  mean: number;
  sd: number;
  rms: number;
}

const INTERCEPT = "(Intercept)";

/** The basis of one term: centre each covariate when the term has an intercept, scale it to unit spread. */
function termBasis(names: readonly string[], spreads: readonly ColumnSpread[]): { basis: TermBasis; needed: boolean } {
  const q = names.length;
  const intercept = names.indexOf(INTERCEPT);
  const shift = new Float64Array(q);
  const scale = new Float64Array(q).fill(1);
  let needed = false;
  spreads.forEach(({ mean, sd, rms }, j) => {
    if (j === intercept) return;
    const spread = intercept >= 0 ? sd : rms;
    if (!(spread > 0)) return;
    if (intercept >= 0 && Math.abs(mean) > CENTRE_RATIO * sd) needed = true;
    if (spread > SCALE_RANGE || spread < 1 / SCALE_RANGE) needed = true;
    shift[j] = intercept >= 0 ? mean : 0;
    scale[j] = spread;
  });
  return { basis: { q, intercept, shift, scale }, needed };
}

/**
/**
 * The change to a well-scaled basis of terms whose columns have the given
 * spreads, or null when every term is already well scaled, or when a term is
 * structured (then the optimiser runs on the model as written). Rows or
 * statistics give the spreads.
 */
export function basisChange(terms: readonly TermOutline[], spreads: readonly (readonly ColumnSpread[])[]): BasisChange | null {
  // A structured term's covariance (cs, ar1, ...) keeps its form only in the
  // columns as written: a change of basis would leave the structure.
  if (!allUnstructured(terms)) return null;
  const bases = terms.map((term, t) => termBasis(term.names, spreads[t]));
  if (!bases.some((b) => b.needed)) return null;
  const map = (theta: ArrayLike<number>, direction: 1 | -1) => {
    const out = new Float64Array(theta.length);
    let at = 0;
    for (const { basis } of bases) {
      writeFactorAt(out, at, changeOfBasis(basis, theta, at, direction), basis.q);
      at += thetaLength(basis.q);
    }
    return out;
  };
  return {
    bases: bases.map((b) => b.basis),
    toTheta: (working) => map(working, -1),
    toWorking: (theta) => map(theta, 1),
    worstColumn: worstColumn(terms, bases.map((b) => b.basis)),
  };
}

/**
 * The working basis of a design, or null when every term is already well
 * scaled (then the optimiser runs on the design as written). The fixed-effects
 * columns are centred too (with an intercept: a unit-triangular change of X's
 * columns, which changes neither log|R_X| nor r2), so that the working
 * cross-products keep their digits.
 */
export function workingBasis(design: Design): WorkingBasis | null {
  const change = basisChange(design.terms, design.terms.map((term) => term.columns.map(meanAndSd)));
  if (!change) return null;
  const terms = design.terms.map((term, t) => {
    const { shift, scale } = change.bases[t];
    return { ...term, columns: term.columns.map((col, j) => (shift[j] === 0 && scale[j] === 1 ? col : col.map((v) => (v - shift[j]) / scale[j]))) };
  });
  const X = design.X;
  const hasIntercept = X.assign.includes(-1);
  const columns = X.columns.map((col, j) => {
    if (!hasIntercept || X.assign[j] === -1) return col;
    const { mean } = meanAndSd(col);
    return col.map((v) => v - mean);
  });
  return { ...change, design: { ...design, X: { ...X, columns }, terms } };
}

/**
 * One term's factor in the other basis: with Z = Z~ A (z_j = shift_j + scale_j
 * z~_j), Sigma~ = A Sigma A', so T~ is the lower factor of A T (direction 1)
 * and T that of A^-1 T~ (direction -1). A has scale_j on its diagonal and
 * shift_j in the intercept's row; A^-1 has 1 / scale_j and -shift_j / scale_j.
 * The factor is built by rank-one updates with the columns of the product, so
 * that singular fits map too.
 */
function changeOfBasis(b: TermBasis, from: ArrayLike<number>, at: number, direction: 1 | -1): Float64Array {
  const q = b.q;
  const M = factorAt(from, at, q); // becomes A T or A^-1 T~
  for (let i = 0; i < q; i++) {
    if (i === b.intercept) continue;
    const s = direction === 1 ? b.scale[i] : 1 / b.scale[i];
    for (let c = 0; c < q; c++) {
      const v = M[i * q + c];
      M[i * q + c] = v * s;
      if (b.intercept >= 0) M[b.intercept * q + c] += direction === 1 ? b.shift[i] * v : -b.shift[i] * v * s;
    }
  }
  let T: Float64Array = new Float64Array(q * q);
  for (let c = 0; c < q; c++) T = rankOneUpdate(T, Float64Array.from({ length: q }, (_, i) => M[i * q + c]), q);
  return T;
}

/** The covariate furthest from a well-scaled one (most standard deviations from zero, or most orders of magnitude off), for messages. */
function worstColumn(terms: readonly { names: string[] }[], bases: TermBasis[]): string {
  let worst = { badness: -1, text: "" };
  terms.forEach((term, t) => {
    const b = bases[t];
    term.names.forEach((name, j) => {
      if (j === b.intercept) return;
      const badness = Math.max(Math.abs(b.shift[j]) / b.scale[j], Math.abs(Math.log10(b.scale[j])));
      if (badness > worst.badness) worst = { badness, text: `${quote(name)} (mean ${b.shift[j].toPrecision(3)}, sd ${b.scale[j].toPrecision(3)})` };
    });
  });
  return worst.text;
}
