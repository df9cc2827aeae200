// The answers beyond the fit, against R's performance package: the intraclass
// correlation (icc) and Nakagawa's R^2 (r2_nakagawa), on the fits of
// test/reference-answers/icc-r2.json (made by scripts/make-answers-reference.R).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { likelihoodRatioTest, lmer, ranova, readCSV } from "../src/index.js";

interface AnswerCase {
  data: string;
  formula: string;
  REML: boolean;
  objective: number;
  singular: boolean;
  icc?: { adjusted: number; unadjusted: number };
  r2?: { marginal: number; conditional: number };
  variance?: { fixed: number; random: number; residual: number; random_all_terms: number };
}

const root = new URL("..", import.meta.url).pathname;
const reference: { cases: Record<string, AnswerCase> } = JSON.parse(readFileSync(`${root}test/reference-answers/icc-r2.json`, "utf8"));

/** Relative 1e-4 (absolute for values near 0, such as the R^2 of an empty model). */
const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-4 * Math.max(Math.abs(want), 1e-2));

describe("ICC and R^2 as performance::icc and r2_nakagawa", () => {
  for (const [id, c] of Object.entries(reference.cases)) {
    it(`${id}: ${c.formula}${c.singular ? " (singular: none, as performance)" : ""}`, async () => {
      const m = await lmer(c.formula, await readCSV(root + c.data), { REML: c.REML, ddf: "none" });
      expect(Math.abs(m.objective - c.objective)).toBeLessThan(1e-6 * c.objective);
      if (c.singular) {
        expect(m.icc).toBeNull();
        expect(m.r2).toBeNull();
        expect(m.toJSON().icc).toBeNull();
        return;
      }
      const v = m.varianceParts!;
      const want = c.variance!;
      close(v.fixed, want.fixed);
      close(v.residual, want.residual);
      // Every term counts; insight (performance's source) counts only the first
      // term of a grouping factor, which leaves out the slope of (x || g): there
      // performance's ICC and R^2 are recomputed from all the terms' variance.
      close(v.random, want.random_all_terms);
      const sameAsPerformance = Math.abs(want.random - want.random_all_terms) <= 1e-9 * want.random_all_terms;
      const total = want.fixed + want.random_all_terms + want.residual;
      const icc = sameAsPerformance ? c.icc! : { adjusted: want.random_all_terms / (want.random_all_terms + want.residual), unadjusted: want.random_all_terms / total };
      const r2 = sameAsPerformance ? c.r2! : { marginal: want.fixed / total, conditional: (want.fixed + want.random_all_terms) / total };
      close(m.icc!.adjusted, icc.adjusted);
      close(m.icc!.unadjusted, icc.unadjusted);
      close(m.r2!.marginal, r2.marginal);
      close(m.r2!.conditional, r2.conditional);
      expect(m.toJSON().r2).toEqual(m.r2);
    });
  }

  it("shows the ICC in the summary of an empty model only", async () => {
    const data = await readCSV(`${root}test/reference/data/sleepstudy.csv`);
    const empty = await lmer("Reaction ~ 1 + (1 | Subject)", data);
    expect(empty.summary()).toMatch(/Intraclass correlation \(ICC\): 0\.3949/);
    expect((await lmer("Reaction ~ Days + (1 | Subject)", data)).summary()).not.toMatch(/Intraclass/);
  });
});

interface RanovaCase {
  data: string;
  formula: string;
  REML: boolean;
  rows: { term: string; npar: number; logLik: number; AIC: number; LRT: number | null; Df: number | null; p: number | null }[];
}
const ranovaRef: { cases: Record<string, RanovaCase> } = JSON.parse(readFileSync(`${root}test/reference-answers/ranova.json`, "utf8"));

describe("ranova as lmerTest's ranova(m)", () => {
  for (const [id, c] of Object.entries(ranovaRef.cases)) {
    it(`${id}: ${c.formula}`, async () => {
      const m = await lmer(c.formula, await readCSV(root + c.data), { REML: c.REML, ddf: "none" });
      const rows = await ranova(m);
      expect(rows.map((r) => r.term)).toEqual(c.rows.map((r) => r.term));
      rows.forEach((row, k) => {
        const want = c.rows[k];
        expect(row.npar).toBe(want.npar);
        expect(row.Df).toBe(want.Df);
        // Our optimum is never worse than lme4's: logLik at least as high, to 1e-4 of it.
        expect(Math.abs(row.logLik - want.logLik)).toBeLessThanOrEqual(1e-4 * Math.abs(want.logLik));
        close(row.AIC, want.AIC);
        if (want.LRT === null) expect(row.LRT).toBeNull();
        else expect(Math.abs(row.LRT! - want.LRT)).toBeLessThanOrEqual(1e-3 * Math.max(1, want.LRT));
        if (want.p === null) expect(row.p).toBeNull();
        else expect(Math.abs(row.p! - want.p)).toBeLessThanOrEqual(Math.max(1e-3 * want.p, 1e-10));
      });
      // The model's own deviance is left at its optimum.
      expect(m.deviance.evaluate(m.theta)).toBeCloseTo(m.objective, 8);
    });
  }
});

interface LrtCase {
  data: string;
  refit: boolean;
  formulas: string[];
  rows: { formula: string; npar: number; AIC: number; BIC: number; logLik: number; deviance: number; Chisq: number | null; Df: number | null; p: number | null }[];
}
const lrtRef: { cases: Record<string, LrtCase> } = JSON.parse(readFileSync(`${root}test/reference-answers/lrt.json`, "utf8"));

describe("likelihoodRatioTest of several models as lme4's anova(m0, m1, m2)", () => {
  for (const [id, c] of Object.entries(lrtRef.cases)) {
    it(`${id}${c.refit ? "" : " (refit = FALSE)"}`, async () => {
      const data = await readCSV(root + c.data);
      const models = await Promise.all(c.formulas.map((f) => lmer(f, data, { ddf: "none" })));
      const t = await likelihoodRatioTest(...models, { refit: c.refit });
      expect(t.rows.map((r) => r.formula)).toEqual(c.rows.map((r) => r.formula));
      t.rows.forEach((row, k) => {
        const want = c.rows[k];
        expect(row.npar).toBe(want.npar);
        expect(row.deviance).toBeLessThanOrEqual(want.deviance + 1e-6 * want.deviance);
        expect(Math.abs(row.deviance - want.deviance)).toBeLessThanOrEqual(1e-3);
        close(row.AIC, want.AIC);
        close(row.BIC, want.BIC);
        expect(row.Df).toBe(want.Df);
        if (want.Chisq === null) expect(row.Chisq).toBeNull();
        else expect(Math.abs(row.Chisq! - want.Chisq)).toBeLessThanOrEqual(1e-3 * Math.max(1, want.Chisq));
        if (want.p !== null) expect(Math.abs(row["Pr(>Chisq)"]! - want.p)).toBeLessThanOrEqual(Math.max(1e-3 * want.p, 1e-10));
      });
    });
  }

  it("refuses REML criteria of models with different fixed effects, and a single model", async () => {
    const data = await readCSV(`${root}test/reference/data/sleepstudy.csv`);
    const [m0, m1] = await Promise.all([lmer("Reaction ~ 1 + (1 | Subject)", data), lmer("Reaction ~ Days + (1 | Subject)", data)]);
    await expect(likelihoodRatioTest(m0, m1, { refit: false })).rejects.toThrow(/different fixed effects are not comparable/);
    await expect(likelihoodRatioTest(m0)).rejects.toThrow(/two or more models/);
    await expect(likelihoodRatioTest(m0, m1, { refti: false } as never)).rejects.toThrow(/Unknown option 'refti'.*Did you mean 'refit'/);
  });
});
