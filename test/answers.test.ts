// The answers beyond the fit, against R's performance package: the intraclass
// correlation (icc) and Nakagawa's R^2 (r2_nakagawa), on the fits of
// test/reference-answers/icc-r2.json (made by scripts/make-answers-reference.R).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lmer, readCSV } from "../src/index.js";

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
