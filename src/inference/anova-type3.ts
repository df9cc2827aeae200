// Type III F tests of each fixed-effects term, as lmerTest's anova(m) (Satterthwaite
// denominator df). A term's type III hypothesis is "its columns are zero" in
// the sum-to-zero coding of the factors (numeric covariates as they are); since
// X_sum = X M for the model's own coding (treatment, or the contrasts the fit
// was given), that is L beta = 0 with L = L_sum M^-1: the same hypothesis, and
// the same F, whatever that coding (as lmerTest maps its type III contrasts to
// the model's coding). The F statistic and its df follow lmerTest's contestMD: the
// contrast is split along the eigenvectors of L C L', each direction gets its
// Satterthwaite df nu_m, and the F df is 2E / (E - q), E = sum nu_m / (nu_m - 2).
import { LmmError } from "../errors.js";
import type { FittedModel } from "../model/fitted.js";
import { formatPValue, SIGNIF_CODES, significanceStars, table } from "../output/format.js";
import { fUpper } from "./tails.js";
import { identity, solveLinear, symmetricEigen } from "../linalg.js";
import { contrastDf, satterthwaitePieces } from "./satterthwaite.js";
import { contrastFTest, kenwardRogerAdjustment } from "./kenward-roger.js";

/** One row of the table. */
export interface AnovaRow {
  term: string;
  sumSq: number;
  meanSq: number;
  numDF: number;
  denDF: number;
  F: number;
  p: number;
}

/** lmerTest's get_Fstat_ddf. */
function fDenominatorDf(nu: number[]): number {
  if (nu.length === 1) return nu[0];
  if (nu.every((v) => Math.abs(v - nu[0]) < 1e-8)) return nu.reduce((s, v) => s + v, 0) / nu.length;
  if (nu.some((v) => v <= 2)) return 2;
  const E = nu.reduce((s, v) => s + v / (v - 2), 0);
  return (2 * E) / (E - nu.length);
}

/**
 * Type III F tests of every fixed-effects term (lmerTest's anova(m)), with
 * Satterthwaite's df (default) or Kenward-Roger's (pbkrtest's KRmodcomp).
 */
export function anovaTypeIII(m: FittedModel, options: { ddf?: "satterthwaite" | "kenward-roger" } = {}): AnovaRow[] {
  const { design } = m;
  if (design.droppedColumns.length > 0 || !design.sumCodedX) {
    throw new LmmError("Type III tests need a full-rank fixed-effects matrix: remove the aliased terms from the formula first.");
  }
  if (design.formula.fixed.terms.length === 0) {
    throw new LmmError("The model has no fixed-effects terms to test besides the intercept: add terms to the formula.");
  }
  const X = design.X.columns;
  const p = X.length;
  const Xs = design.sumCodedX();
  // M solves X M = X_sum in least squares: (X'X) M = X'X_sum (exact: same column space).
  const XtX = new Float64Array(p * p);
  const XtXs = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) {
      let s = 0;
      let t = 0;
      for (let i = 0; i < design.n; i++) {
        s += X[a][i] * X[b][i];
        t += X[a][i] * Xs.columns[b][i];
      }
      XtX[a * p + b] = s;
      XtXs[a * p + b] = t;
    }
  }
  const fullRank = () => new LmmError("Type III tests need a full-rank fixed-effects matrix: remove the aliased terms from the formula first.");
  const M = solveLinear(XtX, XtXs, p, p);
  if (!M) throw fullRank();
  // L_sum M^-1 for a term = rows of M^-1 belonging to the term's sum-coded columns: solve M' Y = I.
  const Mt = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) Mt[a * p + b] = M[b * p + a];
  const MinvT = solveLinear(Mt, identity(p), p, p); // (M^-1)'
  if (!MinvT) throw fullRank();
  const beta = m.coefNames.map((name) => m.fixef[name]);
  const kr = options.ddf === "kenward-roger" ? kenwardRogerAdjustment(m) : undefined;
  const pc = kr ? undefined : satterthwaitePieces(m.deviance, m.design.terms, m.covarianceParameters, m.sigma, m.design);
  return design.formula.fixed.terms.map((term, t) => {
    const cols = Xs.assign.flatMap((a, j) => (a === t ? [j] : []));
    const L = cols.map((j) => Float64Array.from({ length: p }, (_, c) => MinvT[c * p + j]));
    if (kr) {
      const { F, ddf } = contrastFTest(kr, L, beta);
      return row(term.join(":"), F, L.length, ddf, m.sigma);
    }
    return contestMD(term.join(":"), L, beta, pc!, m.sigma);
  });
}

/** lmerTest's contestMD: Satterthwaite F test of L beta = 0. */
function contestMD(term: string, L: Float64Array[], beta: number[], pc: ReturnType<typeof satterthwaitePieces>, sigma: number): AnovaRow {
  const p = beta.length;
  const q = L.length;
  // L C L' and its eigen-decomposition.
  const LCL = new Float64Array(q * q);
  for (let r = 0; r < q; r++) {
    for (let s = 0; s < q; s++) {
      let v = 0;
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) v += L[r][a] * pc.C[a * p + b] * L[s][b];
      LCL[r * q + s] = v;
    }
  }
  const { values, vectors } = symmetricEigen(LCL, q);
  const tol = Math.max(1e-8 * Math.max(...values), 0);
  let sumT2 = 0;
  const nu: number[] = [];
  values.forEach((d, k) => {
    if (!(d > tol)) return;
    const l = new Float64Array(p);
    for (let r = 0; r < q; r++) for (let a = 0; a < p; a++) l[a] += vectors[r * q + k] * L[r][a];
    const lb = l.reduce((s, v, a) => s + v * beta[a], 0);
    sumT2 += (lb * lb) / d;
    nu.push(contrastDf(pc, l));
  });
  return row(term, sumT2 / nu.length, nu.length, fDenominatorDf(nu), sigma);
}

/** A table row from F and its df; Mean Sq = F sigma^2 as lmerTest reports it. */
function row(term: string, F: number, numDF: number, denDF: number, sigma: number): AnovaRow {
  const meanSq = F * sigma * sigma;
  const pValue = fUpper(F, numDF, denDF);
  return { term, sumSq: meanSq * numDF, meanSq, numDF, denDF, F, p: pValue };
}

/** The table as lmerTest prints it. */
export function formatAnova(rows: AnovaRow[], method = "Satterthwaite"): string {
  const fmt = (v: number) => v.toPrecision(7);
  const body = rows.map((r) => [r.term, fmt(r.sumSq), fmt(r.meanSq), String(r.numDF), fmt(r.denDF), r.F.toPrecision(5), formatPValue(r.p, 5, "< 2.2e-16"), significanceStars(r.p)]);
  const head = ["", "Sum Sq", "Mean Sq", "NumDF", "DenDF", "F value", "Pr(>F)", ""];
  return [
    `Type III Analysis of Variance Table with ${method}'s method`,
    table(head, body, [true, false, false, false, false, false, false, true]),
    "---",
    SIGNIF_CODES,
  ].join("\n") + "\n";
}
