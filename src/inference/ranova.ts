// lmerTest's ranova(m): an ANOVA-like table of the random effects by single
// term deletions. Each variable of a random-effects term's left side is
// removed in turn ("Days in (Days | Subject)" leaves (1 | Subject)); a term with
// nothing left, or (1 | g), is removed whole. Each reduced model is fitted as
// the model was (REML or ML, no refit) and tested against the full model: LRT
// on the difference in npar.
import { termText } from "../model/parameters.js";
import { fitDesign } from "../fit/lmer.js";
import type { Design, RandomEffectsTerm } from "../model/design.js";
import type { LmerModel } from "../model/lmer-model.js";
import { formatColumn, formatFixed, formatPValue, SIGNIF_CODES, significanceStars, table } from "../output/format.js";
import { chisqUpper } from "./tails.js";

/** One row of the table: `<none>` (the model), then one per reduction. */
export interface RanovaRow {
  term: string;
  npar: number;
  logLik: number;
  AIC: number;
  LRT: number | null;
  Df: number | null;
  p: number | null;
}

/** The design without the columns of one variable of term t (without term t when none is left). */
function reduced(design: Design, t: number, variable: number | null): Design {
  const term = design.terms[t];
  const keep = term.names.map((_, c) => variable !== null && term.assign![c] !== variable);
  if (!keep.some(Boolean)) return { ...design, terms: design.terms.filter((_, k) => k !== t) };
  const lhs = { intercept: term.lhs!.intercept, terms: term.lhs!.terms.filter((_, k) => k !== variable) };
  const pick = <T>(xs: T[]) => xs.filter((_, c) => keep[c]);
  const smaller: RandomEffectsTerm = { ...term, lhs, names: pick(term.names), columns: pick(term.columns), assign: pick(term.assign!).map((a) => (a > variable! ? a - 1 : a)) };
  return { ...design, terms: design.terms.map((x, k) => (k === t ? smaller : x)) };
}

/** The reductions of every term, in the formula's order (lme4's findbars), with lmerTest's row names. */
function reductions(design: Design): { term: string; design: Design }[] {
  return design.formula.random.flatMap((rt) => {
    const t = design.terms.findIndex((x) => x.lhs === rt.lhs && x.group === rt.groupName);
    const term = design.terms[t];
    const text = termText(term);
    const vars = term.lhs?.terms ?? [];
    if (vars.length === 0) return [{ term: text, design: reduced(design, t, null) }];
    return vars.map((v, k) => ({ term: `${v.join(":")} in ${text}`, design: reduced(design, t, k) }));
  });
}

/**
 * The model's objective with no random effects at all: its deviance at theta =
 * 0, where log|L| = 0 and the profiled criterion is that of the linear model
 * (lmerTest then fits lm(), whose REML or ML log-likelihood this is).
 */
function withoutRandomEffects(m: LmerModel): { objective: number; npar: number } {
  const objective = m.deviance.evaluate(new Float64Array(m.theta.length));
  m.deviance.evaluate(m.theta); // leave the model's deviance at its optimum
  return { objective, npar: m.coefNames.length + 1 };
}

/** lmerTest's ranova(m): the model, then each single-term reduction of its random effects, with LRT. */
export async function ranova(m: LmerModel): Promise<RanovaRow[]> {
  const row = (term: string, objective: number, npar: number): RanovaRow => {
    const LRT = Math.max(0, objective - m.objective);
    const Df = m.npar - npar;
    return { term, npar, logLik: -objective / 2, AIC: objective + 2 * npar, LRT, Df, p: chisqUpper(LRT, Df) };
  };
  const rows: RanovaRow[] = [{ term: "<none>", npar: m.npar, logLik: m.logLik, AIC: m.AIC, LRT: null, Df: null, p: null }];
  for (const r of reductions(m.design)) {
    if (r.design.terms.length === 0) {
      const { objective, npar } = withoutRandomEffects(m);
      rows.push(row(r.term, objective, npar));
      continue;
    }
    const fit = await fitDesign(r.design, { REML: m.REML, ddf: "none" });
    rows.push(row(r.term, fit.objective, fit.npar));
  }
  return rows;
}

/** The table as lmerTest prints ranova(m). */
export function formatRanova(rows: RanovaRow[], formula: string): string {
  const col = (f: (r: RanovaRow) => number) => formatColumn(rows.map(f), 5);
  const [ll, aic] = [col((r) => r.logLik), col((r) => r.AIC)];
  const cells = rows.map((r, k) => [
    r.term,
    String(r.npar),
    ll[k],
    aic[k],
    r.LRT === null ? "" : formatFixed(r.LRT, 3),
    r.Df === null ? "" : String(r.Df),
    r.p === null ? "" : formatPValue(r.p, 4, "< 2.2e-16"),
    r.p === null ? "" : significanceStars(r.p),
  ]);
  return [
    "ANOVA-like table for random-effects: Single term deletions",
    "",
    "Model:",
    formula,
    table(["", "npar", "logLik", "AIC", "LRT", "Df", "Pr(>Chisq)", ""], cells, [true, false, false, false, false, false, false, true]),
    "---",
    SIGNIF_CODES,
  ].join("\n") + "\n";
}
