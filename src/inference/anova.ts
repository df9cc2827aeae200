// Likelihood-ratio tests of nested models, as lme4's anova(m0, m1, ...): the
// models are ordered by their number of parameters, REML fits are refitted by
// ML (unless refit is false), and each row after the first is tested against
// the row before it: npar, AIC, BIC, logLik, deviance, Chisq, Df, Pr(>Chisq).
import { LmmError, quote } from "../errors.js";
import { fitDesign } from "../fit/lmer.js";
import type { LmerModel } from "../model/lmer-model.js";
import { checkOptions } from "../options.js";
import { formatColumn, formatFixed, formatPValue, SIGNIF_CODES, significanceStars, table } from "../output/format.js";
import { chisqUpper } from "./tails.js";

/** Options of `likelihoodRatioTest`, given after the models. */
export interface LrtOptions {
  /** Refit REML fits by ML before comparing (default true, as lme4); false compares REML criteria. */
  refit?: boolean;
}

/** One row of the table: a model and its test against the row before (null on the first row). */
export interface LrtRow {
  /** `m0`, `m1`, ... in the table's order (by npar). */
  model: string;
  formula: string;
  npar: number;
  AIC: number;
  BIC: number;
  logLik: number;
  deviance: number;
  Chisq: number | null;
  Df: number | null;
  "Pr(>Chisq)": number | null;
}

/** lme4's anova(m0, m1, ...) table. */
export interface LrtTable {
  /** Set when REML fits were refitted by ML, or REML criteria compared, as lme4 says. */
  note?: string;
  rows: LrtRow[];
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

/** The model as written: its formula, then its residual structure's options (models may differ in these alone). */
function modelText(m: LmerModel): string {
  const { correlation, variance } = m.design.options ?? {};
  return [m.formula, correlation && `correlation = ${correlation}`, variance && `variance = ${variance}`].filter(Boolean).join(", ");
}

const isModel = (x: unknown): x is LmerModel => typeof (x as LmerModel)?.objective === "number" && (x as LmerModel).design !== undefined;

/**
 * Likelihood-ratio tests between nested models fitted to the same rows of the
 * same response: `likelihoodRatioTest(m0, m1, m2, { refit: false })`.
 */
export async function likelihoodRatioTest(...args: (LmerModel | LrtOptions)[]): Promise<LrtTable> {
  const options = args.length > 0 && !isModel(args.at(-1)) ? (args.pop() as LrtOptions) : {};
  checkOptions(options, { refit: "boolean" }, "likelihoodRatioTest()");
  if (!args.every(isModel)) throw new LmmError("likelihoodRatioTest() takes fitted models (from lmer()), then an optional { refit } object.");
  const models = args as LmerModel[];
  if (models.length < 2) throw new LmmError("likelihoodRatioTest() compares two or more models: give at least two fitted models.");
  for (const m of models.slice(1)) {
    const why = sameData(models[0], m);
    if (why) {
      throw new LmmError(
        `The models were fitted to different data (${why}): compare models of the same response on the same rows (a variable with missing values used by only one model changes the rows).`,
      );
    }
  }
  const refit = options.refit ?? true;
  const anyREML = models.some((m) => m.REML);
  if (!refit && anyREML) {
    if (!models.every((m) => m.REML)) throw new LmmError("With refit: false every model must be fitted by REML, or every one by ML: a REML criterion and an ML deviance are not comparable.");
    const fixed = models[0].coefNames.join("\0");
    if (!models.every((m) => m.coefNames.join("\0") === fixed)) {
      throw new LmmError("REML criteria of models with different fixed effects are not comparable: compare them with refit: true (the default), which refits by ML.");
    }
  }
  const fitted = refit ? await Promise.all(models.map(maximumLikelihood)) : models;
  // Stable: models with the same npar keep the order they were given in.
  const ordered = fitted.map((m, i) => ({ m, i })).sort((a, b) => a.m.npar - b.m.npar || a.i - b.i).map(({ m }) => m);
  const rows = ordered.map((m, k): LrtRow => {
    const base = { model: `m${k}`, formula: modelText(m), npar: m.npar, AIC: m.AIC, BIC: m.BIC, logLik: m.logLik, deviance: m.objective };
    if (k === 0) return { ...base, Chisq: null, Df: null, "Pr(>Chisq)": null };
    const prev = ordered[k - 1];
    const Chisq = Math.max(0, prev.objective - m.objective);
    const Df = m.npar - prev.npar;
    return { ...base, Chisq, Df, "Pr(>Chisq)": Df > 0 ? chisqUpper(Chisq, Df) : null };
  });
  const notes = [
    ...(refit && anyREML ? ["refitting model(s) with ML (instead of REML)"] : []),
    ...(!refit && anyREML ? ["REML criteria compared (refit: false): the models share their fixed effects"] : []),
    ...(rows.some((r) => r.Df === 0) ? ["models with the same number of parameters are not nested: compare their AIC and BIC"] : []),
  ];
  return { ...(notes.length ? { note: notes.join("; ") } : {}), rows };
}

/** The table as lme4's print of anova(m0, m1, ...). */
export function formatLrt(t: LrtTable, dataName?: string): string {
  const lines: string[] = [];
  if (t.note) lines.push(t.note);
  if (dataName) lines.push(`Data: ${dataName}`);
  lines.push("Models:", ...t.rows.map((r) => `${r.model}: ${r.formula}`));
  const col = (f: (r: LrtRow) => number) => formatColumn(t.rows.map(f), 5);
  const [aic, bic, ll, dev] = [col((r) => r.AIC), col((r) => r.BIC), col((r) => r.logLik), col((r) => r.deviance)];
  const cells = t.rows.map((r, k) => {
    const p = r["Pr(>Chisq)"];
    const pText = p === null ? (r.Chisq === null ? "" : "NA") : formatPValue(p, 4, "< 2.2e-16");
    return [r.model, String(r.npar), aic[k], bic[k], ll[k], dev[k], r.Chisq === null ? "" : formatFixed(r.Chisq, 4), r.Df === null ? "" : String(r.Df), pText, p === null ? "" : significanceStars(p)];
  });
  lines.push(table(["", "npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "Pr(>Chisq)", ""], cells, [true, false, false, false, false, false, false, false, false, true]));
  lines.push("---", SIGNIF_CODES);
  return lines.join("\n") + "\n";
}
