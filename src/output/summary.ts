// The text of lme4's summary(lmer(...)), section by section.
import type { SummaryModel } from "./reported.js";
import type { TermStructure } from "../model/fitted.js";
import { residualStructureLines } from "./residual-structure.js";
import { abbreviate, decimalsFor, formatColumn, formatFixed, table, formatPValue, SIGNIF_CODES, significanceStars } from "./format.js";

const DIGITS = 4; // lme4 prints with max(3, getOption("digits") - 3)

/**
 * One table of the summary as formatted cells (a header row and body rows), for
 * other layouts than text, such as HTML; `leftAlign` marks the text columns.
 */
export interface SummaryTable {
  header: string[];
  rows: string[][];
  leftAlign: boolean[];
  /** A line printed under the table: the legend of the significance stars. */
  footnote?: string;
}

/** The summary's tables: fit criteria, random effects and fixed effects, formatted as lme4 prints them. */
export interface SummaryTables {
  /** REML criterion (REML fits) or AIC, BIC, logLik, deviance, df.resid (ML fits). */
  fit: SummaryTable;
  /** Groups, Name, Variance, Std.Dev. and, with correlated terms, Corr. */
  random: SummaryTable;
  /** Estimate, Std. Error, t value and, unless ddf is "none", df, Pr(>|t|) and stars. */
  fixed: SummaryTable;
}

function fitCriteria(m: SummaryModel): SummaryTable {
  if (m.REML) return { header: ["REML criterion at convergence"], rows: [[formatFixed(m.objective, 1)]], leftAlign: [false] };
  const cells = [m.AIC, m.BIC, m.logLik, m.objective].map((v) => formatFixed(v, 1));
  cells.push(String(m.nobs - m.npar));
  return { header: ["AIC", "BIC", "logLik", "deviance", "df.resid"], rows: [cells], leftAlign: [false, false, false, false, false] };
}

/** The title line: lme4's (lmerTest's with df), or nlme's for a residual structure without random effects (gls). */
function title(m: SummaryModel): string {
  const how = m.REML ? "REML" : "maximum likelihood";
  if (Object.keys(m.ngrps).length === 0) return `Generalized least squares fit by ${how}`;
  const fit = `Linear mixed model fit by ${how}`;
  if (m.residualStructure) return fit;
  return m.ddf === "none"
    ? `${fit}${m.REML ? " " : "  "}['lmerMod']`
    : `${fit}. t-tests use ${m.ddf === "kenward-roger" ? "Kenward-Roger" : "Satterthwaite"}'s method ['lmerModLmerTest']`;
}

function header(m: SummaryModel): string[] {
  const lines = [
    title(m),
    `Formula: ${m.formula}`,
  ];
  if (m.dataName) lines.push(`   Data: ${m.dataName}`);
  // As lme4 names them: the column, or (from the JavaScript API) an array.
  const given = (v: string | ArrayLike<number> | undefined) => (typeof v === "string" ? v : v && `an array of ${v.length} values`);
  const { weights, offset } = m.design.options ?? {};
  if (weights !== undefined) lines.push(`Weights: ${given(weights)}`);
  if (offset !== undefined) lines.push(` Offset: ${given(offset)}`);
  lines.push("");
  const criteria = fitCriteria(m);
  if (m.REML) {
    lines.push(`${criteria.header[0]}: ${criteria.rows[0][0]}`);
  } else {
    // R right-aligns these headers in fields of eight.
    lines.push(table(criteria.header.map((h) => h.padStart(8)), criteria.rows, criteria.leftAlign));
  }
  return lines;
}

/** R's zapsmall: round to `digits` significant digits of the largest magnitude. */
function zapsmall(x: number[], digits: number): number[] {
  const mx = Math.max(...x.map(Math.abs));
  const dec = mx > 0 ? Math.max(0, digits - Math.ceil(Math.log10(mx))) : digits;
  return x.map((v) => Number(v.toFixed(dec)));
}

function scaledResiduals(m: SummaryModel): string[] {
  if (!m.scaledResidualQuantiles) return ["Scaled residuals: not computed (the model was fitted from statistics, without a pass over its rows)"];
  const q = zapsmall(m.scaledResidualQuantiles, DIGITS + 1);
  const cells = formatColumn(q, DIGITS);
  return ["Scaled residuals: ", table(["Min", "1Q", "Median", "3Q", "Max"], [cells], [false, false, false, false, false])];
}

/**
 * The one correlation parameter of a cs, homcs or ar1 term (glmmTMB prints it
 * once, as `0.42 (cs)`), else undefined (us, diag, toep print the matrix).
 */
function singleCorrelation(s: TermStructure | undefined): number | undefined {
  const values = s ? Object.values(s.parameters) : [];
  return values.length === 1 && typeof values[0] === "number" ? values[0] : undefined;
}

function randomEffectsTable(m: SummaryModel): SummaryTable {
  const rows: { grp: string; name: string; variance: number; sd: number; corr: number[]; note: string }[] = [];
  const structures = new Map(m.structures.map((s) => [s.grp, s]));
  // Group the varcorr rows term by term: variances first, then correlations.
  const byGroup = new Map<string, typeof m.varcorr>();
  for (const r of m.varcorr) {
    if (!byGroup.has(r.grp)) byGroup.set(r.grp, []);
    byGroup.get(r.grp)!.push(r);
  }
  let hasCorr = false;
  for (const [grp, vc] of byGroup) {
    const structure = structures.get(grp);
    // A homogeneous structure's one standard deviation is printed once, as glmmTMB does.
    const vars = vc.filter((r) => r.var2 === null).slice(0, structure?.homogeneous ? 1 : undefined);
    const single = singleCorrelation(structure);
    const display = grp === "Residual" ? "Residual" : grp.replace(/\.\d+$/, "");
    vars.forEach((v, i) => {
      const corr: number[] = [];
      let note = "";
      if (single !== undefined) {
        if (i === 0) {
          corr.push(single);
          note = ` (${structure!.structure})`;
        }
      } else {
        for (let j = 0; j < i; j++) {
          const c = vc.find((r) => r.var1 === vars[j].var1 && r.var2 === v.var1);
          corr.push(c ? c.sdcor : NaN);
        }
      }
      if (corr.length) hasCorr = true;
      rows.push({ grp: i === 0 ? display : "", name: v.var1 ?? "", variance: v.vcov, sd: v.sdcor, corr, note });
    });
  }
  const variance = formatColumn(rows.map((r) => r.variance), DIGITS);
  const sd = formatColumn(rows.map((r) => r.sd), DIGITS);
  const head = ["Groups", "Name", "Variance", "Std.Dev."];
  if (hasCorr) head.push("Corr");
  const maxCorr = Math.max(0, ...rows.map((r) => r.corr.length));
  const body = rows.map((r, i) => {
    const cells = [r.grp, r.name, variance[i], sd[i]];
    if (hasCorr) {
      const cs = r.corr.map((c) => formatFixed(c, 2).padStart(5));
      cells.push([...cs, ...Array(maxCorr - cs.length).fill("     ")].join(" ") + r.note);
    }
    return cells;
  });
  return { header: head, rows: body, leftAlign: [true, true, false, false, true] };
}

function randomEffects(m: SummaryModel): string[] {
  // A gls model has no random effects: nlme prints its residual sd alone.
  if (Object.keys(m.ngrps).length === 0) return [`Residual standard error: ${formatColumn([m.sigma], DIGITS)[0]}`, `Number of obs: ${m.nobs}`];
  const { header: head, rows, leftAlign } = randomEffectsTable(m);
  const text = table(head, rows, leftAlign).split("\n").map((l) => ` ${l}`);
  const groups = Object.entries(m.ngrps)
    .map(([g, n]) => `${g}, ${n}`)
    .join("; ");
  const lines = ["Random effects:", ...text, `Number of obs: ${m.nobs}, groups:  ${groups}`];
  // The empty model's question: how much of the variance lies between groups.
  const icc = m.coefNames.length === 1 && m.coefNames[0] === "(Intercept)" ? m.icc : null;
  if (icc) lines.push(`Intraclass correlation (ICC): ${formatFixed(icc.adjusted, 4)}`);
  return lines;
}

function fixedEffectsTable(m: SummaryModel): SummaryTable {
  const names = m.coefNames;
  const est = names.map((n) => m.fixef[n]);
  // Kenward-Roger replaces the SEs (and so the t values) by its adjusted ones.
  const kr = m.ddf === "kenward-roger" ? m.kenwardRoger : undefined;
  const se = names.map((n) => (kr ? kr.se[n] : m.se[n]));
  const t = names.map((n, i) => est[i] / se[i]);
  // printCoefmat: estimates and SEs rounded together, then formatted to DIGITS.
  const acs = [...est, ...se].map(Math.abs).filter((v) => v > 0 && Number.isFinite(v));
  const digmin = acs.length ? 1 + Math.floor(Math.log10(Math.min(...acs))) : 1;
  const round = (v: number, d: number) => Number(v.toFixed(Math.max(0, d)));
  const rd = Math.max(1, DIGITS - digmin);
  const estSe = [...est, ...se].map((v) => round(v, rd));
  const dec = decimalsFor(estSe, DIGITS);
  const tRounded = t.map((v) => round(v, Math.max(1, Math.min(5, DIGITS - 1))));
  const tDec = decimalsFor(tRounded, DIGITS);
  const rows = names.map((n, i) => [n, formatFixed(estSe[i], dec), formatFixed(estSe[names.length + i], dec), formatFixed(tRounded[i], tDec)]);
  if (m.ddf === "none") return { header: ["", "Estimate", "Std. Error", "t value"], rows, leftAlign: [true, false, false, false] };
  const { df, p } = kr ?? m.satterthwaite;
  rows.forEach((row, i) => {
    const pv = p[names[i]];
    row.splice(3, 0, formatFixed(df[names[i]], 3));
    row.push(Number.isNaN(pv) ? "NaN" : formatPValue(pv, 3, "< 2e-16"), significanceStars(pv));
  });
  return {
    header: ["", "Estimate", "Std. Error", "df", "t value", "Pr(>|t|)", ""],
    rows,
    leftAlign: [true, false, false, false, false, false, true],
    footnote: SIGNIF_CODES,
  };
}

function fixedEffects(m: SummaryModel): string[] {
  const { header: head, rows, leftAlign, footnote } = fixedEffectsTable(m);
  const text = table(head, rows, leftAlign);
  return footnote === undefined ? ["Fixed effects:", text] : ["Fixed effects:", text, "---", footnote];
}

/** The summary's tables as formatted cells (what `summary()` lays out as text). */
export function summaryTables(m: SummaryModel): SummaryTables {
  return { fit: fitCriteria(m), random: randomEffectsTable(m), fixed: fixedEffectsTable(m) };
}


function correlationOfFixed(m: SummaryModel): string[] {
  const p = m.coefNames.length;
  if (p < 2) return [];
  // lme4's print.summary.merMod: rows abbreviated to 11 characters, columns to 6.
  const abbr = abbreviate(m.coefNames, 6);
  const rowNames = abbreviate(m.coefNames, 11);
  const rows = m.coefNames.slice(1).map((name, k) => {
    const i = k + 1;
    const cells = [rowNames[i]];
    for (let j = 0; j < p - 1; j++) {
      cells.push(j < i ? formatFixed(roundedCorrelation(m.vcov[i][j] / Math.sqrt(m.vcov[i][i] * m.vcov[j][j])), 3) : "");
    }
    return cells;
  });
  // R formats the correlations to one common width and prints them left-aligned
  // under their (left-aligned) column names.
  const width = Math.max(...rows.flatMap((r) => r.slice(1).map((c) => c.length)));
  const padded = rows.map(([name, ...cells]) => [name, ...cells.map((c) => (c ? c.padStart(width) : c))]);
  return ["Correlation of Fixed Effects:", table(["", ...abbr.slice(0, p - 1)], padded, Array(p).fill(true))];
}

/**
 * A correlation rounded to 3 decimals as lme4 prints it (round, then format):
 * a correlation that is zero up to rounding noise prints as 0.000 whatever its
 * sign (R's round(-1e-17, 3) is a zero that format() prints unsigned).
 */
function roundedCorrelation(r: number): number {
  return Number(r.toFixed(3)) + 0;
}

/** The full summary text. */
export function formatSummary(m: SummaryModel): string {
  const residual = residualStructureLines(m.residualStructure);
  const out = [...header(m), "", ...scaledResiduals(m), "", ...randomEffects(m), ...(residual.length ? ["", ...residual] : []), "", ...fixedEffects(m)];
  const corr = correlationOfFixed(m);
  if (corr.length) out.push("", ...corr);
  if (m.messages.length) out.push("", ...m.messages);
  return out.join("\n") + "\n";
}
