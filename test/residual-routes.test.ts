// The two routes of a residual structure to the cross-products (issue 14, part
// 3): sums per pattern of occasions, which cost no pass over the rows per
// evaluation, and whitening the rows. They are one likelihood: fitted each way,
// every model of test/reference-residual without random effects or with random
// effects per residual group (absorbed into the patterns' covariance), and a
// simulated trial with many subjects and missing visits, gives the same
// objective (1e-9 relative), estimates (1e-6), standard errors and summary.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDesign, parseFormula, ProfiledDeviance, readCSV, toDataFrame, type DataFrame } from "../src/index.js";
import { withRandomEffects } from "../src/fit/lmer.js";
import { optimizeTheta } from "../src/fit/optimize-theta.js";
import { parameterStart } from "../src/model/parameters.js";
import { glsRhoGradient } from "../src/fit/gls-gradient.js";
import type { Design } from "../src/model/design.js";
import { LmerModel } from "../src/model/lmer-model.js";
import { absorbableTerms, residualRoute, type ResidualRoute } from "../src/model/residual/pattern-statistics.js";
import { RowCrossProducts } from "../src/model/row-source.js";
import { mulberry32, normalSource } from "../src/random.js";
import { expectClose } from "./reference-cases.js";
import { residualStructures, type ResidualFitCase } from "./residual-cases.js";

const DIR = join(import.meta.dirname, "reference-residual");
type Case = ResidualFitCase;
const cases = (JSON.parse(readFileSync(join(DIR, "residual.json"), "utf8")) as { cases: Case[] }).cases;
const frameOf = (ref: Case) => readCSV(join(DIR, "data", `${ref.data}.csv`));
const designOf = async (ref: Case) =>
  buildDesign(parseFormula(ref.formula), await frameOf(ref), residualStructures(ref));

async function fitBy(design: Design, REML: boolean, route: ResidualRoute): Promise<LmerModel> {
  const deviance = await ProfiledDeviance.fromSource(new RowCrossProducts(design, route), REML);
  expect(deviance.source.patterns != null).toBe(route === "patterns");
  expect(deviance.source.absorbsRandomEffects).toBe(route === "patterns" && design.terms.length > 0);
  const opt = optimizeTheta(deviance, design.terms, parameterStart(design.terms), {}, design);
  return new LmerModel(design, deviance.source.absorbsRandomEffects ? await withRandomEffects(design, deviance, opt) : deviance, opt);
}

/** The two routes' fits agree: objective to 1e-9 relative, estimates and SEs to 1e-6, the structure's parameters and the summary. */
async function expectSameFit(design: Design, REML: boolean): Promise<LmerModel> {
  const [patterns, whitening] = [await fitBy(design, REML, "patterns"), await fitBy(design, REML, "whitening")];
  expectClose(patterns.objective, whitening.objective, 1e-9, 0, "objective");
  expectClose(patterns.sigma, whitening.sigma, 1e-6, 0, "sigma");
  patterns.varcorr.forEach((row, i) => expectClose(row.sdcor, whitening.varcorr[i].sdcor, 1e-6, 1e-6, `varcorr ${i}`));
  // The conditional modes, from the whitened rows at the optimum either way.
  for (const [group, table] of Object.entries(whitening.ranef)) {
    for (const [name, values] of Object.entries(table)) {
      if (name === "levels") expect(patterns.ranef[group].levels).toEqual(values);
      else (values as number[]).forEach((v, i) => expectClose(patterns.ranef[group][name][i] as number, v, 1e-5, 1e-3, `ranef ${group} ${name} ${i}`));
    }
  }
  for (const k of whitening.coefNames) {
    expectClose(patterns.fixef[k], whitening.fixef[k], 1e-6, 1e-9, `fixef ${k}`);
    expectClose(patterns.se[k], whitening.se[k], 1e-6, 0, `se ${k}`);
  }
  const parameters = (m: LmerModel) => [m.residualStructure!.correlation?.parameters, m.residualStructure!.variance?.parameters].flatMap((x) => Object.values(x ?? {}));
  const [a, b] = [parameters(patterns), parameters(whitening)];
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]), `structure parameter ${i}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(b[i]))));
  // The printed summary: the same text, and numbers the same to 1e-6 (a last printed digit may round either way), but for the optimiser's own line.
  const printed = (m: LmerModel) => m.summary().split("\n").filter((l) => !/evaluations|iterations|converge/i.test(l));
  const [pl, wl] = [printed(patterns), printed(whitening)];
  const numbers = /-?\d+\.?\d*(?:e[-+]?\d+)?/g;
  expect(pl.map((l) => l.replace(numbers, "#"))).toEqual(wl.map((l) => l.replace(numbers, "#")));
  // Below "Fixed effects": Satterthwaite's df (central differences in rho with
  // random effects) and the t and p built on them, to their reference's 1e-4;
  // estimates and SEs were compared above.
  const table = wl.findIndex((l) => l.startsWith("Fixed effects"));
  pl.forEach((line, i) => {
    const theirs = wl[i].match(numbers) ?? [];
    (line.match(numbers) ?? []).forEach((v, k) => {
      const expected = Number(theirs[k]);
      // One unit of the last printed digit: values 1e-6 apart print either side of a rounding tie.
      const decimals = /\.(\d+)(?:e|$)/.exec(v)?.[1].length ?? 0;
      const unit = 10 ** (Number(/e([-+]?\d+)$/.exec(v)?.[1] ?? 0) - decimals);
      const tol = Math.max((table >= 0 && i > table ? 1e-4 : 1e-6) * Math.max(Math.abs(expected), 1e-4), 1.0000001 * unit);
      expect(Math.abs(Number(v) - expected), `summary line ${i}: ${line}`).toBeLessThanOrEqual(tol);
    });
  });
  return patterns;
}

describe("pattern statistics and whitening fit the same model", () => {
  it.each(cases.map((c) => [c.id, c] as const))("%s", async (_id, ref) => {
    const design = await designOf(ref);
    if (design.terms.length > 0 && !absorbableTerms(design)) {
      // Random effects over several residual groups (or without a correlation's groups): whitening only.
      expect(() => new RowCrossProducts(design, "patterns")).toThrow(/random effects whose levels are the residual groups/);
      return;
    }
    const m = await expectSameFit(design, ref.REML);
    // And nlme's optimum, reached either way.
    expect(m.objective).toBeLessThanOrEqual(ref.objective + 1e-6 * Math.abs(ref.objective));
  });

  it("on a simulated trial of 3000 subjects x 8 visits with visits missing at random (us, ar1 + ident, ar1 + random intercept), and chooses the pattern route there", async () => {
    const frame = simulatedTrial(3000, 8);
    for (const [formula, options] of [
      ["y ~ visitf * arm", { correlation: "us(~ visitf | id)" }],
      ["y ~ visit * arm", { correlation: "ar1(~ visit | id)", variance: "ident(~ 1 | arm)" }],
      ["y ~ visit * arm + (1 | id)", { correlation: "ar1(~ visit | id)" }],
    ] as const) {
      const design = buildDesign(parseFormula(formula), frame, options);
      expect(residualRoute(design, new RowCrossProducts(design, "whitening").residual!)).toBe("patterns");
      expect((await ProfiledDeviance.create(design, true)).source.patterns).not.toBeNull();
      for (const REML of [true, false]) await expectSameFit(design, REML);
    }
  });

  it("whitens where the patterns' pairs outnumber half the rows (continuous times, a random slope on a continuous covariate) or the random effects span several residual groups", async () => {
    const frame = simulatedTrial(200, 6, true);
    const car1 = buildDesign(parseFormula("y ~ time + arm"), frame, { correlation: "car1(~ time | id)" });
    expect((await ProfiledDeviance.create(car1, true)).source.patterns).toBeNull();
    const slope = buildDesign(parseFormula("y ~ time + (time | id)"), frame, { correlation: "ar1(~ visit | id)" });
    expect(absorbableTerms(slope)).toBe(true);
    expect((await ProfiledDeviance.create(slope, true)).source.patterns).toBeNull();
    const crossed = buildDesign(parseFormula("y ~ visit + (1 | arm)"), simulatedTrial(3000, 8), { correlation: "ar1(~ visit | id)" });
    expect(absorbableTerms(crossed)).toBe(false);
    expect((await ProfiledDeviance.create(crossed, true)).source.patterns).toBeNull();
    expect(() => new RowCrossProducts(crossed, "patterns")).toThrow(/random effects whose levels are the residual groups/);
  });

  it("its analytic gradient in rho equals central differences and the whitening route's gradient", async () => {
    const design = buildDesign(parseFormula("y ~ visitf * arm"), simulatedTrial(500, 5), { correlation: "us(~ visitf | id)" });
    for (const REML of [true, false]) {
      const routes = await Promise.all((["patterns", "whitening"] as const).map((r) => ProfiledDeviance.fromSource(new RowCrossProducts(design, r), REML)));
      const rho = Float64Array.from({ length: routes[0].source.residual!.npar }, (_, i) => 0.1 * Math.sin(i + 1));
      const objective = (dev: ProfiledDeviance, x: Float64Array) => {
        dev.source.residual!.set(x);
        dev.refill();
        return dev.evaluate([]);
      };
      const [gp, gw] = routes.map((dev) => (objective(dev, rho), glsRhoGradient(dev, design, dev.source.residual!, rho)));
      const dev = routes[0];
      for (let k = 0; k < rho.length; k++) {
        const at = Float64Array.from(rho);
        at[k] += 1e-5;
        const up = objective(dev, at);
        at[k] -= 2e-5;
        const numeric = (up - objective(dev, at)) / 2e-5;
        expectClose(gp[k], numeric, 1e-6, 1, `d/drho_${k} (REML ${REML})`);
        expectClose(gp[k], gw[k], 1e-8, 1e-8, `routes' d/drho_${k} (REML ${REML})`);
      }
    }
  });
});

/**
 * A seeded trial: `visits` visits, a subject effect (sd 0.8), AR(1) errors whose sd grows with the visit,
 * 8% of visits missing; with `irregular`, real-valued times jittered per subject.
 */
function simulatedTrial(subjects: number, visits: number, irregular = false): DataFrame {
  const uniform = mulberry32(14_3);
  const normal = normalSource(uniform);
  const id: string[] = [], arm: string[] = [], visitf: string[] = [];
  const visit: number[] = [], time: number[] = [], y: number[] = [];
  for (let s = 0; s < subjects; s++) {
    const b = 0.8 * normal();
    let e = normal();
    for (let v = 1; v <= visits; v++) {
      if (v > 1) e = 0.5 * e + 0.85 * normal();
      if (uniform() < 0.08) continue;
      id.push(`s${s}`);
      arm.push(s % 2 ? "active" : "placebo");
      visit.push(v);
      visitf.push(`v${v}`);
      time.push(irregular ? v + 0.4 * uniform() : v);
      y.push(10 + b + 0.5 * v + (s % 2 ? 0.3 * v : 0) + (1 + 0.1 * v) * e);
    }
  }
  return toDataFrame({ id, arm, visitf, visit: Float64Array.from(visit), time: Float64Array.from(time), y: Float64Array.from(y) });
}
