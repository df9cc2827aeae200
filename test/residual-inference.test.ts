// Satterthwaite's df for models with a residual structure (nlme's gls and lme
// fits) against test/reference-residual-inference/ (made by
// scripts/make-residual-inference-reference.R): each coefficient's df (the
// summary's t tests), emmeans() grids with their pairwise contrasts, and type
// III F tests by lmerTest's method, REML and ML. The reference is emmeans'
// recipe with exact dfargs (A from numDeriv's Hessian of the deviance in
// nlme's parameters, dV/dpar from numDeriv's Jacobian; emmeans' own, from
// nlme's finite-difference apVar and, for lme, a random-perturbation
// estimate, miss by up to 50% on these fits: see the script). Our Hessian
// and dV/dpar are central differences in our own parameters (the df do not
// depend on the parameterisation at the optimum), and nlme's optimum is
// looser than ours on the MMRM: the df conform to relative 1e-4 (within
// 2e-5 on every fit); means, SEs, t ratios and F to 1e-4 (they do not depend
// on the df); p-values to relative 1e-3.
import tcdf from "@stdlib/stats-base-dists-t-cdf";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { emmeans, lmer, LmmError, readCSV, type Adjust, type LmerModel } from "../src/index.js";
import { run } from "./cli-run.js";
import { conform, type Row } from "./emmeans-conform.js";
import { residualOptions, type ResidualFitCase } from "./residual-cases.js";

interface Query {
  specs: string;
  at: Record<string, number[]> | null;
  adjust: Adjust | null;
  rows: Row[];
  contrasts: Row[];
}
interface AnovaReference {
  term: string;
  NumDF: number;
  DenDF: number;
  F: number;
  "p.value": number;
}
interface Case extends ResidualFitCase {
  kind: "gls" | "lme";
  coefficients: Record<string, number>;
  queries: Query[];
  anova: { objective: number; rows: AnovaReference[] };
}

const root = join(import.meta.dirname, "..");
const DIR = join(import.meta.dirname, "reference-residual-inference");
const CASES: Case[] = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .map((f) => JSON.parse(readFileSync(join(DIR, f), "utf8")));

const DF_TOLERANCE = 1e-4;


const relative = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);

describe.each(CASES.map((c) => [c.id, c] as const))("%s", (_id, c) => {
  let m: LmerModel;
  beforeAll(async () => {
    m = await lmer(c.formula, await readCSV(join(root, c.data)), residualOptions(c));
  });

  it("is at nlme's optimum (-2 logLik to 1e-6 relative, or lower)", () => {
    expect(m.objective).toBeLessThanOrEqual(c.objective + 1e-6 * Math.abs(c.objective));
    expect(m.objective).toBeGreaterThan(c.objective - 1e-3);
  });

  it(`gives each coefficient's t test Satterthwaite's df by default (relative ${DF_TOLERANCE})`, () => {
    expect(m.ddf).toBe("satterthwaite");
    const { df, p } = m.satterthwaite;
    expect(Object.keys(df)).toEqual(Object.keys(c.coefficients));
    for (const [name, want] of Object.entries(c.coefficients)) {
      expect(relative(df[name], want), `df of ${name}: ${df[name]} vs ${want}`).toBeLessThanOrEqual(DF_TOLERANCE);
      expect(p[name]).toBeCloseTo(2 * tcdf(-Math.abs(m.t[name]), df[name]), 12);
    }
    expect(m.summary()).toMatch(/Estimate Std. Error +df t value Pr\(>\|t\|\)/);
  });

  c.queries.forEach((q) => {
    const name = `emmeans(${q.specs}${q.at ? `, at ${JSON.stringify(q.at)}` : ""}) and its pairwise contrasts${q.adjust ? ` (${q.adjust})` : ""}`;
    it(name, () => {
      const grid = emmeans(m, q.specs, { ...(q.at && { at: q.at }), ddf: "satterthwaite" });
      conform(grid.rows, q.rows, name, DF_TOLERANCE);
      conform(grid.pairs(q.adjust ? { adjust: q.adjust } : {}).rows, q.contrasts, `${name}: pairs`, DF_TOLERANCE);
      // Kenward-Roger is not available for these models: emmeans' default here is Satterthwaite's df.
      expect(emmeans(m, q.specs, { ...(q.at && { at: q.at }) }).notes).toContain("Degrees-of-freedom method: satterthwaite");
    });
  });

  it("gives type III F tests with Satterthwaite's df (lmerTest's method)", () => {
    const rows = m.anova();
    expect(rows.map((r) => r.term)).toEqual(c.anova.rows.map((r) => r.term));
    rows.forEach((r, i) => {
      const want = c.anova.rows[i];
      expect(r.numDF, r.term).toBe(want.NumDF);
      expect(relative(r.denDF, want.DenDF), `DenDF of ${r.term}: ${r.denDF} vs ${want.DenDF}`).toBeLessThanOrEqual(DF_TOLERANCE);
      expect(relative(r.F, want.F), `F of ${r.term}`).toBeLessThanOrEqual(1e-4);
      expect(relative(r.p, want["p.value"]), `p of ${r.term}: ${r.p} vs ${want["p.value"]}`).toBeLessThanOrEqual(1e-3);
    });
  });

  it("refuses Kenward-Roger's df with one LmmError naming Satterthwaite's", () => {
    const call = () => emmeans(m, c.queries[0].specs, { ...(c.queries[0].at && { at: c.queries[0].at }), ddf: "kenward-roger" });
    expect(call).toThrow(LmmError);
    expect(call).toThrow(/Kenward-Roger's method is not available for a model with a residual structure.*use Satterthwaite's df/);
    expect(() => m.kenwardRoger).toThrow(/use Satterthwaite's df/);
    expect(() => m.anova({ ddf: "kenward-roger" })).toThrow(/use Satterthwaite's df/);
  });
});

describe("the command line", () => {
  const c = CASES.find((k) => k.id === "orthodont_ar1_ident_gls")!;
  const structure = ["--correlation", c.correlation!, "--variance", c.variance!];

  it("lmm emmeans and lmm anova give the same df with --correlation and --variance (Satterthwaite's by default)", async () => {
    const q = c.queries[0];
    const at = Object.entries(q.at ?? {}).flatMap(([k, v]) => ["--at", `${k}=${v.join(",")}`]);
    const e = await run("emmeans", join(root, c.data), c.formula, q.specs, ...at, ...structure, "--pairs", "--json");
    expect(e.err).toBe("");
    const out = JSON.parse(e.out);
    conform(out.emmeans, q.rows, "lmm emmeans", DF_TOLERANCE);
    conform(out.contrasts, q.contrasts, "lmm emmeans --pairs", DF_TOLERANCE);
    const a = await run("anova", join(root, c.data), c.formula, ...structure, "--json");
    expect(a.err).toBe("");
    JSON.parse(a.out).forEach((r: { denDF: number }, i: number) => expect(relative(r.denDF, c.anova.rows[i].DenDF)).toBeLessThanOrEqual(DF_TOLERANCE));
  });

  it("lmm fit prints the df column, and refuses --ddf kenward-roger naming Satterthwaite's", async () => {
    const f = await run("fit", join(root, c.data), c.formula, ...structure);
    expect(f.out).toMatch(/Estimate Std. Error +df t value Pr\(>\|t\|\)/);
    const kr = await run("fit", join(root, c.data), c.formula, ...structure, "--ddf", "kenward-roger");
    expect(kr.code).not.toBe(0);
    expect(kr.err).toMatch(/Kenward-Roger's method is not available for a model with a residual structure.*Satterthwaite's df/);
  });
});
