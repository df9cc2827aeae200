// Structured random-effects terms (glmmTMB's us, diag, cs, homcs, ar1, toep):
// the Jacobian of each structure against central differences, the formula
// syntax, and fits conforming to glmmTMB's (and, for homcs, lme4's) reference
// fits of scripts/make-structures-reference.R.
//
// Tolerances are those of the shared reference README: the objective at most
// the reference's + 1e-6 relative (glmmTMB's REML objective is its Laplace
// approximation, exact for a linear model, and agrees with lme4's to 1e-11 on
// the twins here), so the estimates agree to what a 1e-6 flat optimum leaves:
// fixed effects and SEs 1e-4 relative, sds and sigma 1e-3 relative,
// correlations 1e-4 absolute, Satterthwaite df 1e-3 relative.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildDesign, likelihoodRatioTest, lmer, parseCSV, parseFormula, ProfiledDeviance, type LmerModel } from "../src/index.js";
import { parameterLower, parameterMap } from "../src/model/parameters.js";
import { run } from "./cli-run.js";
import { LmmError } from "../src/errors.js";
import { mulberry32 } from "../src/random.js";
import { ar1 } from "../src/model/covariance/ar1.js";
import { compoundSymmetry } from "../src/model/covariance/compound-symmetry.js";
import { diagonal } from "../src/model/covariance/diagonal.js";
import { toeplitz } from "../src/model/covariance/toeplitz.js";
import { TermCovariance, type CovarianceStructure } from "../src/model/covariance/structure.js";

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "reference-structures");

interface Case {
  structure: string;
  formula: string;
  REML: boolean;
  nobs: number;
  objective: number;
  npar: number;
  fixef: Record<string, number>;
  se: Record<string, number>;
  sigma: number;
  sd: Record<string, number>;
  correlation: number[][];
  reference: string;
  /** Satterthwaite's df computed by the script from the deviance in the structure's natural parameters (cs, ar1, toep). */
  satterthwaite_df?: Record<string, number>;
  twin?: { formula: string; objective: number; satterthwaite_df: Record<string, number> };
}

const REFERENCE: { data: string; cases: Case[] } = JSON.parse(readFileSync(path.join(DIR, "structures.json"), "utf8"));
const DATA = parseCSV(readFileSync(path.join(DIR, REFERENCE.data), "utf8"));

/** A case of the reference by its formula and REML. */
function referenceCase(formula: string, REML: boolean): Case {
  return REFERENCE.cases.find((c) => c.formula === formula && c.REML === REML)!;
}

/** The theta of a structure at its parameters. */
function thetaAt(s: CovarianceStructure, par: Float64Array): Float64Array {
  const theta = new Float64Array(s.size);
  s.toTheta(par, 0, theta, 0);
  return theta;
}

describe("structures map their parameters to T, with the Jacobian of that map", () => {
  const structures: CovarianceStructure[] = [diagonal(3), compoundSymmetry(4, false), compoundSymmetry(4, true), ar1(5), toeplitz(5), toeplitz(2), compoundSymmetry(2, false)];
  const rng = mulberry32(11);

  for (const s of structures) {
    it(`${s.kind} with ${s.q} columns: dtheta/dphi matches central differences`, () => {
      for (let rep = 0; rep < 5; rep++) {
        const par = Float64Array.from(s.parameterLower(), (lo) => (lo === 0 ? 0.3 + rng() * 2 : rng() * 3 - 1.5));
        const J = s.jacobian(par, 0)!;
        const m = s.parameterCount;
        for (let k = 0; k < m; k++) {
          const h = 1e-6;
          const plus = Float64Array.from(par);
          const minus = Float64Array.from(par);
          plus[k] += h;
          minus[k] -= h;
          const tp = thetaAt(s, plus);
          const tm = thetaAt(s, minus);
          for (let r = 0; r < s.size; r++) expect(J[r * m + k]).toBeCloseTo((tp[r] - tm[r]) / (2 * h), 7);
        }
      }
    });
  }

  it("start at T = I, and give the covariance their names promise", () => {
    for (const s of structures) {
      const T = s.factor(thetaAt(s, Float64Array.from(s.parameterStart())), 0);
      for (let i = 0; i < s.q; i++) for (let j = 0; j < s.q; j++) expect(T[i * s.q + j]).toBeCloseTo(i === j ? 1 : 0, 14);
    }
    // cs: sds 1, 2, 3, 4 and one correlation; ar1: phi^|j-k|; toep: a correlation per lag.
    const cs = compoundSymmetry(4, false);
    const par = Float64Array.from([1, 2, 3, 4, 0.7]);
    const cov = new TermCovariance(cs.factor(thetaAt(cs, par), 0), 4, 1);
    const rho = cs.correlationParameters(par, 0).rho as number;
    expect(rho).toBeGreaterThan(-1 / 3);
    for (let i = 0; i < 4; i++) {
      expect(cov.sd(i)).toBeCloseTo(i + 1, 12);
      for (let j = 0; j < i; j++) expect(cov.cor(i, j)).toBeCloseTo(rho, 12);
    }
    const a = ar1(4);
    const apar = Float64Array.from([2, 0.4]);
    const acov = new TermCovariance(a.factor(thetaAt(a, apar), 0), 4, 1);
    const phi = a.correlationParameters(apar, 0).phi as number;
    expect(phi).toBeCloseTo(Math.tanh(0.4), 14);
    for (let i = 0; i < 4; i++) for (let j = 0; j <= i; j++) expect(acov.S[i * 4 + j]).toBeCloseTo(4 * phi ** (i - j), 12);
    const t = toeplitz(4);
    const tpar = Float64Array.from([1, 1, 1, 1, 0.9, -0.5, 0.3]);
    const tcov = new TermCovariance(t.factor(thetaAt(t, tpar), 0), 4, 1);
    const lags = t.correlationParameters(tpar, 0).lags as number[];
    expect(lags[0]).toBeCloseTo(Math.tanh(0.9), 14);
    for (let i = 0; i < 4; i++) for (let j = 0; j < i; j++) expect(tcov.cor(i, j)).toBeCloseTo(lags[i - j - 1], 12);
  });
});

describe("the deviance's gradient in a structure's parameters, J' (dd/dtheta)", () => {
  const rng = mulberry32(5);
  for (const term of ["diag(1 + time | subject)", "cs(0 + visit | subject)", "homcs(0 + visit | subject)", "ar1(0 + visit | subject)", "toep(0 + visit | subject)"]) {
    it(`${term}: matches central differences of the REML and ML deviance`, async () => {
      const design = buildDesign(parseFormula(`y ~ visit + arm + ${term}`), DATA);
      const map = parameterMap(design.terms);
      for (const reml of [true, false]) {
        const dev = await ProfiledDeviance.create(design, reml);
        const par = Float64Array.from(parameterLower(design.terms), (lo) => (lo === 0 ? 0.5 + rng() : rng() - 0.5));
        dev.evaluate(map.theta(par));
        const g = map.gradient(par, dev.gradient());
        for (let k = 0; k < par.length; k++) {
          const h = 1e-5;
          const at = (v: number) => {
            const p = Float64Array.from(par);
            p[k] = v;
            return dev.evaluate(map.theta(p));
          };
          const fd = (at(par[k] + h) - at(par[k] - h)) / (2 * h);
          expect(Math.abs(g[k] - fd), `parameter ${k}: ${g[k]} vs ${fd}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
        }
      }
    });
  }
});

describe("glmmTMB's structure syntax in formulas", () => {
  it("reads us(), diag(), cs(), homcs(), ar1() and toep() around one random-effects term", () => {
    expect(parseFormula("y ~ x + us(x | g)").random).toEqual(parseFormula("y ~ x + (x | g)").random);
    const f = parseFormula("y ~ t + cs(0 + t | g) + ar1(0 + t | h) + diag(1 + x | g)");
    expect(f.random.map((r) => r.structure)).toEqual(["cs", "ar1", "diag"]);
    expect(f.random[2].lhs).toEqual({ intercept: true, terms: [["x"]] });
    expect(f.fixed.terms).toEqual([["t"]]);
  });

  it("refuses a structure without a bar, or with ||, naming the fix", () => {
    expect(() => parseFormula("y ~ cs(0 + t) + (1 | g)")).toThrow(/cs\(\) at position 5 must enclose a random-effects term, as in cs\(0 \+ visit \| subject\)/);
    expect(() => parseFormula("y ~ diag(x || g)")).toThrow(/diag\(\) at position 5 takes a single bar/);
  });
});

/** Relative closeness with an absolute floor. */
function expectClose(actual: number, expected: number, rel: number, abs: number, what: string) {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(Math.max(rel * Math.abs(expected), abs));
}

describe.each(REFERENCE.cases)("$formula, REML $REML (reference: $reference)", (c) => {
  let m: LmerModel;

  it("reaches the reference's objective or lower", async () => {
    m = await lmer(c.formula, DATA, { REML: c.REML });
    expect(m.nobs).toBe(c.nobs);
    expect(m.npar).toBe(c.npar);
    expect(m.objective).toBeLessThanOrEqual(c.objective + 1e-6 * Math.abs(c.objective));
    expect(m.objective).toBeGreaterThanOrEqual(c.objective - 1e-3);
    expect(m.convergence.converged).toBe(true);
  });

  it("matches its fixed effects, SEs, sds and correlations", () => {
    for (const [name, value] of Object.entries(c.fixef)) {
      expectClose(m.fixef[name], value, 1e-4, 1e-6, name);
      expectClose(m.se[name], c.se[name], 1e-4, 1e-6, `se ${name}`);
    }
    expectClose(m.sigma, c.sigma, 1e-3, 0, "sigma");
    const s = m.structures[0];
    expect(s.structure).toBe(c.structure);
    Object.values(c.sd).forEach((sd, i) => expectClose(s.sd[i], sd, 1e-3, 1e-4, `sd ${s.names[i]}`));
    const T = m.varcorr.filter((r) => r.grp === "subject");
    const q = s.names.length;
    const cor = (i: number, j: number) => T.find((r) => r.var1 === s.names[j] && r.var2 === s.names[i])?.sdcor;
    if (c.structure === "us") for (let i = 0; i < q; i++) for (let j = 0; j < i; j++) expectClose(cor(i, j)!, c.correlation[i][j], 0, 1e-4, `cor ${i} ${j}`);
    if (c.structure === "cs" || c.structure === "homcs") expectClose(s.parameters.rho as number, c.correlation[1][0], 0, 1e-4, "rho");
    if (c.structure === "ar1") expectClose(s.parameters.phi as number, c.correlation[1][0], 0, 1e-4, "phi");
    if (c.structure === "toep") (s.parameters.lags as number[]).forEach((r, k) => expectClose(r, c.correlation[k + 1][0], 0, 1e-4, `lag ${k + 1}`));
  });

  if (c.satterthwaite_df) {
    it("gives lmerTest's Satterthwaite df, as the script computes them from the deviance in the structure's parameters", () => {
      for (const [name, df] of Object.entries(c.satterthwaite_df!)) expectClose(m.satterthwaite.df[name], df, 1e-3, 0, `df ${name}`);
    });
  }

  if (c.twin) {
    it("gives the Satterthwaite df of its lme4 twin", () => {
      for (const [name, df] of Object.entries(c.twin!.satterthwaite_df)) expectClose(m.satterthwaite.df[name], df, 1e-3, 0, `df ${name}`);
    });
  }
});

describe("a structured fit's output and inference", () => {
  const fit = (term: string, REML = true) => lmer(`y ~ visit + arm + ${term}`, DATA, { REML });

  it("prints cs's, homcs's and ar1's correlation once, as glmmTMB, the homogeneous sd once, and diag's zero correlations", async () => {
    const cs = (await fit("cs(0 + visit | subject)")).summary();
    expect(cs).toMatch(/ subject {2}visitv1 +[\d.]+ +0\.769\d? +0\.42 \(cs\)\n {10}visitv2 +[\d.]+ +1\.15\d+\n/);
    const ar = (await fit("ar1(0 + visit | subject)")).summary();
    expect(ar).toMatch(/ subject {2}visitv1 +[\d.]+ +1\.43\d+ +0\.56 \(ar1\)\n Residual/);
    const diag = (await fit("diag(1 + time | subject)")).summary();
    expect(diag).toMatch(/Std\.Dev\. Corr *\n subject {2}\(Intercept\) +[\d.]+ +0\.79\d+ *\n {10}time +[\d.]+ +0\.39\d+ +0\.00\n/);
  });

  it("lists the structure and its parameters in toJSON(), and every correlation in varcorr", async () => {
    const m = await fit("toep(0 + visit | subject)");
    const json = m.toJSON();
    expect(json.structures).toHaveLength(1);
    const [s] = json.structures;
    expect(s.structure).toBe("toep");
    expect(s.names).toEqual(["visitv1", "visitv2", "visitv3", "visitv4", "visitv5"]);
    expect((s.parameters.lags as number[]).length).toBe(4);
    expect(json.varcorr.filter((r) => r.grp === "subject" && r.var2 !== null)).toHaveLength(10);
    const unstructured = (await lmer("y ~ visit + (1 + time | subject)", DATA)).toJSON().structures;
    expect(unstructured.map((t) => [t.structure, t.parameters])).toEqual([["us", {}]]);
  });

  it("refuses profile intervals and Kenward-Roger for a structured term, naming the term and what to use", async () => {
    const m = await fit("cs(0 + visit | subject)");
    await expect(m.confint({ method: "profile" })).rejects.toThrow(LmmError);
    await expect(m.confint()).rejects.toThrow(
      /The likelihood profile \(and profile intervals\) is not available for the structured random-effects term cs\(0 \+ visit \| subject\).*method "wald".*method "boot".*unstructured, \(0 \+ visit \| subject\)\./,
    );
    expect(() => m.kenwardRoger).toThrow(/Kenward-Roger's method is not available for the structured random-effects term cs\(.*Satterthwaite/);
    await expect(lmer("y ~ visit + ar1(0 + visit | subject)", DATA, { ddf: "kenward-roger" }).then((k) => k.summary())).rejects.toThrow(/Kenward-Roger's method is not available/);
  });

  it("gives Wald and bootstrap intervals of its sds and correlation parameters", async () => {
    const m = await fit("ar1(0 + visit | subject)");
    expect((await m.confint({ method: "wald" })).map((r) => r.name)).toEqual(m.coefNames);
    const boot = await m.confint({ method: "boot", nsim: 20, seed: 1 });
    const names = boot.map((r) => r.name);
    expect(names.slice(0, 7)).toEqual(["sd_visitv1|subject", "sd_visitv2|subject", "sd_visitv3|subject", "sd_visitv4|subject", "sd_visitv5|subject", "cor_visitv2.visitv1|subject", "sigma"]);
    const phi = boot[5];
    const estimate = m.structures[0].parameters.phi as number;
    expect(phi.lower).toBeLessThan(estimate);
    expect(phi.upper).toBeGreaterThan(estimate);
    expect(phi.upper).toBeLessThan(1);
  });
});

describe("structures compared, and on the command line", () => {
  it("compares nested structures by lme4's likelihood-ratio test, refitted by ML, with glmmTMB's deviances and npar", async () => {
    const cs = "y ~ visit + arm + cs(0 + visit | subject)";
    const us = "y ~ visit + arm + us(0 + visit | subject)";
    const table = await likelihoodRatioTest(await lmer(cs, DATA), await lmer(us, DATA));
    const [small, large] = table.rows;
    const [rc, ru] = [referenceCase(cs, false), referenceCase(us, false)];
    expect([small.npar, large.npar]).toEqual([rc.npar, ru.npar]);
    expectClose(small.deviance, rc.objective, 1e-6, 0, "deviance cs");
    expectClose(large.deviance, ru.objective, 1e-6, 0, "deviance us");
    expect(large.Df).toBe(ru.npar - rc.npar);
    expectClose(large.Chisq!, rc.objective - ru.objective, 1e-5, 0, "Chisq");
  });

  it("lmm fit takes the syntax and --json lists the structure", async () => {
    const file = path.join(DIR, REFERENCE.data);
    const r = await run("fit", file, "y ~ visit + arm + ar1(0 + visit | subject)", "--json");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.structures[0].structure).toBe("ar1");
    expectClose(json.structures[0].parameters.phi, referenceCase("y ~ visit + arm + ar1(0 + visit | subject)", true).correlation[1][0], 0, 1e-4, "phi");
    const bad = await run("fit", file, "y ~ visit + ar1(0 + visit || subject)");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^lmm: Formula: ar1\(\) at position 13 takes a single bar/);
  });
});
