// Residual structures (issue 14, parts 2-4): every reference fit of
// scripts/make-residual-reference.R (nlme's lme and gls with corAR1, corCAR1,
// corCompSymm, corSymm + varIdent by visit, and varIdent; REML and ML), the
// summary and JSON of the estimates, the inferences refused, and bad input.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { lmer, readCSV, type LmerModel } from "../src/index.js";
import { LmmError } from "../src/errors.js";
import { expectClose } from "./reference-cases.js";
import { run } from "./cli-run.js";
import { likelihoodRatioTest } from "../src/inference/anova.js";
import { compareStructures } from "../src/inference/structure-table.js";
import { emmeans } from "../src/inference/emmeans.js";
import { buildDesign, parseFormula, ProfiledDeviance } from "../src/index.js";
import { glsRhoGradient } from "../src/fit/gls-gradient.js";
import { residualOptions, type ResidualFitCase } from "./residual-cases.js";

interface ResidualCase extends ResidualFitCase {
  nobs: number;
  logLik: number;
  npar: number;
  AIC: number;
  BIC: number;
  fixef: Record<string, number>;
  se: Record<string, number>;
  sigma: number;
  correlation_parameters: number | number[] | null;
  variance_parameters: Record<string, number> | null;
  sd_intercept?: number;
  pearson_quantiles: number[];
}

const DIR = join(import.meta.dirname, "reference-residual");
interface LrtReference {
  formula: string;
  correlation1: string;
  npar: number[];
  logLik: number[];
  AIC: number[];
  BIC: number[];
  "L.Ratio": number;
  "p.value": number;
}

const REFERENCE = JSON.parse(readFileSync(join(DIR, "residual.json"), "utf8")) as { cases: ResidualCase[]; lrt: LrtReference; printed: Record<string, string[]> };
const data = (name: string) => readCSV(join(DIR, "data", `${name}.csv`));

describe.each(REFERENCE.cases.map((c) => [c.id, c] as const))("%s", (_id, ref) => {
  let m: LmerModel;
  beforeAll(async () => {
    m = await lmer(ref.formula, await data(ref.data), residualOptions(ref));
  });

  // nlme's optimiser stops where its own tolerance says; ours may end lower, never higher.
  it("reaches nlme's optimum (-2 logLik equal or lower by at most 1e-3) with nlme's npar, AIC and BIC", () => {
    expect(m.objective).toBeLessThanOrEqual(ref.objective + 1e-6 * Math.max(1, Math.abs(ref.objective)));
    expect(m.objective).toBeGreaterThan(ref.objective - 1e-3);
    expect(m.nobs).toBe(ref.nobs);
    expect(m.npar).toBe(ref.npar);
    const gap = Math.abs(m.objective - ref.objective);
    expect(Math.abs(m.AIC - ref.AIC)).toBeLessThanOrEqual(1e-4 + gap);
    expect(Math.abs(m.BIC - ref.BIC)).toBeLessThanOrEqual(1e-4 + gap);
  });

  it("matches the fixed effects and their standard errors (relative 1e-4)", () => {
    expect(m.coefNames).toEqual(Object.keys(ref.fixef));
    for (const k of m.coefNames) {
      expectClose(m.fixef[k], ref.fixef[k], 1e-4, 1e-2, `fixef ${k}`);
      expectClose(m.se[k], ref.se[k], 1e-4, 1e-2, `se ${k}`);
    }
  });

  it("matches sigma, the random intercept's sd and the structure's parameters (relative 1e-3, correlations 1e-4 absolute)", () => {
    const { correlation, variance } = m.residualStructure!;
    // Our variance function's reference is the factor's first level; nlme's, the
    // stratum of the first row in group order. The same model: compare ratios to ours.
    let sigmaRef = ref.sigma;
    if (ref.variance_parameters) {
      const ours = variance!.parameters;
      const first = Object.keys(ours)[0];
      const base = ref.variance_parameters[first];
      sigmaRef *= base;
      for (const [level, ratio] of Object.entries(ref.variance_parameters)) expectClose(ours[level], ratio / base, 1e-3, 1, `sd ratio ${level}`);
    } else {
      expect(variance).toBeUndefined();
    }
    expectClose(m.sigma, sigmaRef, 1e-3, 1, "sigma");
    if (ref.sd_intercept !== undefined) expectClose(m.varcorr[0].sdcor, ref.sd_intercept, 1e-3, 1, "sd (Intercept)");
    const expected = [ref.correlation_parameters ?? []].flat();
    const got = correlation ? Object.values(correlation.parameters) : [];
    expect(got.length).toBe(expected.length);
    got.forEach((v, i) => expect(Math.abs(v - expected[i]), `correlation parameter ${i}`).toBeLessThanOrEqual(1e-4 + 1e-3 * Math.abs(expected[i])));
  });
});

describe.each(REFERENCE.cases.filter((c) => c.REML).map((c) => [c.id, c] as const))("%s summary", (_id, ref) => {
  it("prints the quantiles of nlme's Pearson residuals (over sigma times the row's sd ratio) as its scaled residuals", async () => {
    const m = await lmer(ref.formula, await data(ref.data), residualOptions(ref));
    const lines = m.summary().split("\n");
    const at = lines.findIndex((l) => l.startsWith("Scaled residuals"));
    lines[at + 2].trim().split(/\s+/).map(Number).forEach((v, i) => expectClose(v, ref.pearson_quantiles[i], 1e-3, 0.1, `quantile ${i}`));
  });
});

describe("output", () => {
  let m: LmerModel;
  beforeAll(async () => {
    m = await lmer("distance ~ age * Sex + (1 | Subject)", await data("orthodont"), { correlation: "ar1(~ occ | Subject)", variance: "ident(~ 1 | Sex)" });
  });

  it("prints the correlation structure and the variance function as nlme does", () => {
    const text = m.summary();
    const phi = m.residualStructure!.correlation!.parameters.Phi;
    expect(text).toContain(["Correlation Structure: AR(1)", " Formula: ~occ | Subject ", " Parameter estimate(s):"].join("\n"));
    expect(text).toMatch(new RegExp(` +Phi \\n${phi.toPrecision(7).replace(".", "\\.")} \\n`));
    expect(text).toContain(["Variance function:", " Structure: Different standard deviations per stratum", " Formula: ~1 | Sex ", " Parameter estimates:"].join("\n"));
    // nlme's own print of a varIdent (the reference script keeps it): names right-aligned over 7 significant digits.
    expect(REFERENCE.printed.ident[1].trim().split(/\s+/)).toEqual(["Female", "Male"]);
    // As R prints c(1, x): seven significant digits, one count of decimals for both (six, or five when x's seventh digit is 0).
    const [, ones, male] = / Female +Male \n1\.(0+) (\d\.\d+) \n/.exec(text) ?? [];
    expect(ones.length).toBe(male.split(".")[1].length);
    expect(Number(male)).toBe(Number(m.residualStructure!.variance!.parameters.Male.toPrecision(7)));
  });

  it("titles a model without random effects as nlme's gls and prints its residual sd", async () => {
    const g = await lmer("y ~ visit", await data("trial"), { correlation: "cs(~ 1 | id)", REML: false });
    const text = g.summary();
    expect(text.split("\n")[0]).toBe("Generalized least squares fit by maximum likelihood");
    expect(text).toMatch(/^Residual standard error: \d+\.\d+\nNumber of obs: \d+$/m);
    expect(text).not.toContain("Random effects:");
    expect(m.summary().split("\n")[0]).toBe("Linear mixed model fit by REML");
  });

  it("adds correlation and variance, with type, formula and parameters, to the JSON", () => {
    const json = m.toJSON();
    expect(json.correlation).toEqual({ type: "ar1", formula: "~occ | Subject", parameters: { Phi: expect.any(Number) } });
    expect(json.variance?.type).toBe("ident");
    expect(Object.keys(json.variance!.parameters)).toEqual(["Female", "Male"]);
    expect(json.variance!.parameters.Female).toBe(1);
    expect(JSON.parse(JSON.stringify(json)).correlation.parameters.Phi).toBeCloseTo(m.residualStructure!.correlation!.parameters.Phi, 12);
  });

  it("counts rho in npar and leaves the model at its optimum's rho (refitting from its parameters changes nothing)", () => {
    expect(m.npar).toBe(4 + 1 + 1 + 1 + 1);
    expect(m.deviance.evaluate(m.theta)).toBeCloseTo(m.objective, 9);
  });
});

describe("inference on top", () => {
  it("gives Satterthwaite's df by default (test/residual-inference.test.ts checks them); refuses Kenward-Roger's, the profile and the bootstrap, naming the structure", async () => {
    const d = await data("trial");
    const m = await lmer("y ~ visit * arm + (1 | id)", d, { correlation: "ar1(~ visit | id)" });
    expect(m.ddf).toBe("satterthwaite");
    expect(m.summary()).toMatch(/ df t value Pr\(>\|t\|\)/);
    expect(Object.values(m.satterthwaite.df).every((v) => v > 0 && Number.isFinite(v))).toBe(true);
    expect(() => m.kenwardRoger).toThrow(/Kenward-Roger's method is not available for a model with a residual structure \(correlation 'ar1\(~ visit \| id\)'\).*Satterthwaite's df/);
    await expect(lmer("y ~ visit * arm + (1 | id)", d, { correlation: "ar1(~ visit | id)", ddf: "kenward-roger" })).rejects.toThrow(/Kenward-Roger/);
    await expect(m.confint()).rejects.toThrow(/likelihood profile .* residual structure/);
    await expect(m.confint({ method: "boot", nsim: 10 })).rejects.toThrow(/bootstrap/);
    expect((await m.confint({ method: "wald" })).length).toBeGreaterThan(0);
    expect(m.anova().map((r) => r.term)).toEqual(["visit", "arm", "visit:arm"]);
    expect(emmeans(m, "~ arm").notes).toContain("Degrees-of-freedom method: satterthwaite");
  });

  it("leaves the model where it was: the deviance at the optimum's theta and rho after the df", async () => {
    const m = await lmer("y ~ visit * arm + (1 | id)", await data("trial"), { correlation: "ar1(~ visit | id)" });
    void m.satterthwaite;
    expect(m.deviance.evaluate(m.theta)).toBeCloseTo(m.objective, 9);
    const g = await lmer("y ~ visitf * arm", await data("trial"), { correlation: "us(~ visitf | id)" });
    void g.satterthwaite;
    expect(g.deviance.evaluate(g.theta)).toBeCloseTo(g.objective, 9);
  });
});

describe("comparing structures", () => {
  const trial = join(DIR, "data", "trial.csv");

  it("tests independent against AR(1) residuals as nlme's anova(m0, m1) (both refitted by ML)", async () => {
    const ref = REFERENCE.lrt;
    const d = await data("trial");
    const m0 = await lmer(ref.formula, d);
    const m1 = await lmer(ref.formula, d, { correlation: ref.correlation1 });
    const t = await likelihoodRatioTest(m0, m1);
    t.rows.forEach((r, k) => {
      expect(r.npar).toBe(ref.npar[k]);
      expectClose(r.logLik, ref.logLik[k], 1e-7, 1, `logLik m${k}`);
      expectClose(r.AIC, ref.AIC[k], 1e-7, 1, `AIC m${k}`);
      expectClose(r.BIC, ref.BIC[k], 1e-7, 1, `BIC m${k}`);
    });
    expectClose(t.rows[1].Chisq!, ref["L.Ratio"], 1e-6, 1, "L.Ratio");
    expectClose(t.rows[1]["Pr(>Chisq)"]!, ref["p.value"], 1e-3, 1e-300, "p-value");
    expect(t.rows[1].formula).toBe(`${ref.formula}, correlation = ${ref.correlation1}`);
  });

  it("lmm compare takes the structures per model, in the order of the formulas", async () => {
    const r = await run("compare", trial, REFERENCE.lrt.formula, REFERENCE.lrt.formula, "--correlation", "none", "--correlation", REFERENCE.lrt.correlation1, "--json");
    expect(r.err).toBe("");
    const rows = JSON.parse(r.out).rows;
    expectClose(rows[1].Chisq, REFERENCE.lrt["L.Ratio"], 1e-6, 1, "L.Ratio");
    const bad = await run("compare", trial, "y ~ visit + (1 | id)", "y ~ visit + (1 | id)", "y ~ visit + (1 | id)", "--correlation", "none", "--correlation", "cs(~ 1 | id)");
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--correlation is given 2 times for 3 models/);
  });

  it("lmm structures tabulates npar, -2 logLik, AIC and BIC per structure as nlme's gls fits give them", async () => {
    const byId = (id: string) => REFERENCE.cases.find((c) => c.id === id)!;
    const rows = await compareStructures("y ~ visit * arm", await data("trial"), { structures: ["cs", "ar1"], time: "visit", group: "id" });
    expect(rows.map((r) => r.structure)).toEqual(["cs(~ 1 | id)", "ar1(~ visit | id)"]);
    [byId("trial_cs_gls_reml"), byId("trial_ar1_gls_reml")].forEach((ref, k) => {
      expect(rows[k].npar).toBe(ref.npar);
      expect(rows[k].deviance).toBeLessThanOrEqual(ref.objective + 1e-6 * ref.objective);
      expectClose(rows[k].AIC, ref.AIC, 1e-7, 1, "AIC");
      expectClose(rows[k].BIC, ref.BIC, 1e-7, 1, "BIC");
    });
    const r = await run("structures", trial, "y ~ visit * arm + (1 | id)", "--try", "none,ar1(~ visit | id)");
    expect(r.err).toBe("");
    expect(r.out).toMatch(/^structure +npar +logLik +-2 logLik \(REML\) +AIC +BIC$/m);
    expect(r.out).toMatch(/^ar1\(~ visit \| id\) +7 /m);
    expect(r.out).toContain("Smallest AIC: ar1(~ visit | id)");
    expect((await run("structures", trial, "y ~ visit", "--try", "ar1")).err).toMatch(/add --group COLUMN/);
    expect((await run("structures", trial, "y ~ visit + (1 | id)", "--try", "ar1")).err).toMatch(/add --time COLUMN/);
    expect((await run("structures", trial, "y ~ visit + (1 | id)", "--try", "arma")).err).toMatch(/Unknown structure 'arma'/);
  });

  it("lmm fit takes --correlation and --variance and its JSON lists them", async () => {
    const r = await run("fit", trial, "y ~ visit * arm", "--correlation", "ar1(~ visit | id)", "--variance", "ident(~ 1 | arm)", "--json");
    expect(r.err).toBe("");
    const json = JSON.parse(r.out);
    expect(json.correlation.type).toBe("ar1");
    expect(Object.keys(json.variance.parameters)).toEqual(["active", "placebo"]);
    const twice = await run("fit", trial, "y ~ visit", "--correlation", "cs(~ 1 | id)", "--correlation", "ar1(~ visit | id)");
    expect(twice.err).toMatch(/--correlation is given 2 times/);
  });
});

describe("bad input", () => {
  const fit = async (formula: string, options: object) => lmer(formula, await data("trial"), options);
  it.each([
    [{ correlation: "ar2(~ visit | id)" }, /Unknown correlation structure 'ar2'/],
    [{ correlation: "ar1(visit | id)" }, /is not of the form kind\(~ covariate \| group\)/],
    [{ correlation: "cs(~ visit | id)" }, /cs\(~ 1 \| id\)/],
    [{ correlation: "us(~ 1 | id)" }, /needs the visit factor/],
    [{ variance: "power(~ 1 | arm)" }, /Unknown variance function 'power'/],
    [{ correlation: "us(~ visitf | id)", variance: "ident(~ 1 | arm)" }, /already gives each visit its own residual variance/],
    [{ correlation: "ar1(~ visit | nosuch)" }, /nosuch/],
    [{ correlation: "ar1(~ arm | id)" }, /is a factor: ar1 needs numeric times/],
    [{ correlation: "ar1(~ visit | arm)" }, /varies within the group '\w+' of 'arm'/],
    [{ correlation: 3 }, /correlation/],
  ])("%o is refused", async (options, message) => {
    await expect(fit("y ~ visit + (1 | id)", options)).rejects.toThrow(message);
  });

  it("refuses non-integer times for ar1 (car1 takes them), repeated times in a group, and random effects that vary within a residual group", async () => {
    const d = await data("bodyweight");
    const halves = { ...d, columns: new Map(d.columns) };
    halves.columns.set("t", { kind: "numeric", values: (d.columns.get("Time")!.values as number[]).map((v) => v / 2) });
    await expect(lmer("weight ~ Time + (1 | Rat)", halves, { correlation: "ar1(~ t | Rat)" })).rejects.toThrow(/ar1 needs integer times, but 't' is 0.5 .* use car1\(~ t \| Rat\)/);
    await expect(lmer("weight ~ Time + (1 | Rat)", halves, { correlation: "car1(~ t | Rat)" })).resolves.toBeDefined();
    await expect(lmer("y ~ visit", await data("trial"), { correlation: "ar1(~ visit | arm)" })).rejects.toThrow(/same time/);
    await expect(lmer("y ~ visit + (1 | arm)", await data("trial"), { correlation: "ar1(~ visit | id)" })).resolves.toBeDefined();
    await expect(lmer("y ~ visit + (1 | visitf)", await data("trial"), { correlation: "cs(~ 1 | id)" })).rejects.toThrow(/varies within the group .* of 'id'/);
  });

  it("a formula without random effects needs a residual structure, and prior weights are not combined with one", async () => {
    await expect(fit("y ~ visit", {})).rejects.toThrow(/no random-effects term.*residual structure/);
    await expect(fit("y ~ visit", { correlation: "ar1(~ visit | id)", weights: "visit" })).rejects.toThrow(/Prior weights cannot be combined/);
  });
});

describe("the analytic gradient in rho of a model without random effects (gls)", () => {
  it.each([
    ["y ~ visitf * arm", { correlation: "us(~ visitf | id)" }],
    ["y ~ visit * arm", { correlation: "ar1(~ visit | id)", variance: "ident(~ 1 | arm)" }],
    ["y ~ visit", { correlation: "cs(~ 1 | id)" }],
  ] as const)("%s with %o equals central differences of the REML and ML deviance (relative 1e-6)", async (formula, options) => {
    const frame = await data("trial");
    for (const REML of [true, false]) {
      const design = buildDesign(parseFormula(formula), frame, options);
      const dev = await ProfiledDeviance.create(design, REML);
      const residual = dev.source.residual!;
      const rho = Float64Array.from({ length: residual.npar }, (_, i) => 0.1 * Math.sin(i + 1));
      const objective = (x: Float64Array) => {
        residual.set(x);
        dev.refill();
        return dev.evaluate([]);
      };
      objective(rho);
      const g = glsRhoGradient(dev, design, residual, rho);
      for (let k = 0; k < rho.length; k++) {
        const at = Float64Array.from(rho);
        at[k] += 1e-5;
        const up = objective(at);
        at[k] -= 2e-5;
        const numeric = (up - objective(at)) / 2e-5;
        expectClose(g[k], numeric, 1e-6, 1, `d/drho_${k} (REML ${REML})`);
      }
    }
  });
});

describe("whitening per pattern of occasions", () => {
  it("computes one C_p^-1 per distinct pattern of visits (time differences), not per subject", async () => {
    const frame = await data("trial");
    const design = buildDesign(parseFormula("y ~ visit + (1 | id)"), frame, { correlation: "ar1(~ visit | id)" });
    const residual = (await ProfiledDeviance.create(design, true)).source.residual!;
    const visits = new Map<string, number[]>();
    const id = frame.columns.get("id")!.values as string[];
    const visit = frame.columns.get("visit")!.values as ArrayLike<number>;
    for (let i = 0; i < frame.nrow; i++) visits.set(id[i], [...(visits.get(id[i]) ?? []), visit[i]]);
    const patterns = new Set([...visits.values()].map((v) => v.map((t) => t - v[0]).join(",")));
    expect(residual.patternCount).toBe(patterns.size);
    expect(residual.patternCount).toBeLessThan(visits.size);
    expect(residual.patternSizes().reduce((s, p) => s + p.count, 0)).toBe(visits.size);
  });
});
