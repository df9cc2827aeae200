// Likelihood-ratio test of two nested models, as lme4's anova(m0, m1): REML fits
// are refitted by ML, models are ordered by their number of parameters, and the
// table has npar, AIC, BIC, logLik, deviance, Chisq, Df and Pr(>Chisq).
import { LmmError, quote } from "../errors.js";
import { fitDesign } from "../fit/lmer.js";
import type { LmerModel } from "../model/lmer-model.js";
import { formatColumn, formatFixed, rExponent, SIGNIF_CODES, significanceStars, table } from "../output/format.js";
import { chisqUpper } from "./tails.js";

/** The fields of the reference `*_lrt.json` cases. */
export interface LrtTable {
  formula0: string;
  formula1: string;
  /** Set when REML fits were refitted by ML, as lme4 does. */
  note?: string;
  npar: [number, number];
  AIC: [number, number];
  BIC: [number, number];
  logLik: [number, number];
  deviance: [number, number];
  chisq: number;
  df: number;
  p: number;
}

function sameData(a: LmerModel, b: LmerModel): string | null {
  if (a.response !== b.response) return `responses ${quote(a.response)} and ${quote(b.response)} differ`;
  if (a.nobs !== b.nobs) return `one model uses ${a.nobs} rows and the other ${b.nobs}`;
  const ra = a.design.rows;
  const rb = b.design.rows;
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i] || a.design.y[i] !== b.design.y[i]) return `row ${ra[i] + 1} differs`;
  return null;
}

/** The ML fit of a model: itself, or a refit by ML of a REML fit. */
async function maximumLikelihood(m: LmerModel): Promise<LmerModel> {
  return m.REML ? fitDesign(m.design, { REML: false, ddf: "none" }) : m;
}

/** Likelihood-ratio test between two nested models fitted to the same rows of the same response. */
export async function likelihoodRatioTest(a: LmerModel, b: LmerModel): Promise<LrtTable> {
  const why = sameData(a, b);
  if (why) {
    throw new LmmError(
      `The models were fitted to different data (${why}): compare models of the same response on the same rows (a variable with missing values used by only one model changes the rows).`,
    );
  }
  const [m0, m1] = await Promise.all([maximumLikelihood(a), maximumLikelihood(b)]);
  const [small, large] = m0.npar <= m1.npar ? [m0, m1] : [m1, m0];
  const chisq = Math.max(0, small.objective - large.objective);
  const df = large.npar - small.npar;
  const pair = <T>(f: (m: LmerModel) => T): [T, T] => [f(small), f(large)];
  const notes = [
    ...(a.REML || b.REML ? ["refitting model(s) with ML (instead of REML)"] : []),
    ...(df === 0 ? ["the models have the same number of parameters, so they are not nested: compare their AIC and BIC"] : []),
  ];
  return {
    formula0: small.formula,
    formula1: large.formula,
    ...(notes.length ? { note: notes.join("; ") } : {}),
    npar: pair((m) => m.npar),
    AIC: pair((m) => m.AIC),
    BIC: pair((m) => m.BIC),
    logLik: pair((m) => m.logLik),
    deviance: pair((m) => m.objective),
    chisq,
    df,
    p: df > 0 ? chisqUpper(chisq, df) : NaN,
  };
}

/** The table as lme4's print of anova(m0, m1). */
export function formatLrt(t: LrtTable, dataName?: string): string {
  const lines: string[] = [];
  if (t.note) lines.push(t.note);
  if (dataName) lines.push(`Data: ${dataName}`);
  lines.push("Models:", `m0: ${t.formula0}`, `m1: ${t.formula1}`);
  const col = (v: [number, number], digits: number) => formatColumn(v, digits);
  const [aic, bic, ll, dev] = [col(t.AIC, 5), col(t.BIC, 5), col(t.logLik, 5), col(t.deviance, 5)];
  const p = Number.isNaN(t.p) ? "NA" : t.p < 2.2e-16 ? "< 2.2e-16" : rExponent(t.p.toPrecision(4));
  const stars = significanceStars(t.p);
  const rows = [
    ["m0", String(t.npar[0]), aic[0], bic[0], ll[0], dev[0], "", "", "", ""],
    ["m1", String(t.npar[1]), aic[1], bic[1], ll[1], dev[1], formatFixed(t.chisq, 4), String(t.df), p, stars],
  ];
  lines.push(table(["", "npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "Pr(>Chisq)", ""], rows, [true, false, false, false, false, false, false, false, false, true]));
  lines.push("---", SIGNIF_CODES);
  return lines.join("\n") + "\n";
}
