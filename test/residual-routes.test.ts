// The two routes of a residual structure to the cross-products (issue 14, part
// 3): sums per pattern of occasions, which cost no pass over the rows per
// evaluation, and whitening the rows. They are one likelihood: fitted each way,
// every model without random effects of test/reference-residual (and a
// simulated trial with many subjects and missing visits) gives the same
// objective (1e-9 relative), estimates (1e-6), standard errors and summary.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDesign, parseFormula, ProfiledDeviance, readCSV, toDataFrame, type DataFrame } from "../src/index.js";
import { optimizeTheta } from "../src/fit/optimize-theta.js";
import { glsRhoGradient } from "../src/fit/gls-gradient.js";
import type { Design, DesignOptions } from "../src/model/design.js";
import { LmerModel } from "../src/model/lmer-model.js";
import { residualRoute, type ResidualRoute } from "../src/model/residual/pattern-statistics.js";
import { RowCrossProducts } from "../src/model/row-source.js";
import { mulberry32, normalSource } from "../src/random.js";
import { expectClose } from "./reference-cases.js";

const DIR = join(import.meta.dirname, "reference-residual");
interface Case {
  id: string;
  data: string;
  formula: string;
  correlation: string | null;
  variance: string | null;
  REML: boolean;
  objective: number;
}
const cases = (JSON.parse(readFileSync(join(DIR, "residual.json"), "utf8")) as { cases: Case[] }).cases;
const gls = cases.filter((c) => !c.formula.includes("|"));

async function fitBy(design: Design, REML: boolean, route: ResidualRoute): Promise<LmerModel> {
  const deviance = await ProfiledDeviance.fromSource(new RowCrossProducts(design, route), REML);
  expect(deviance.source.patterns != null).toBe(route === "patterns");
  const opt = optimizeTheta(deviance, design.terms, new Float64Array(0), {}, design);
  return new LmerModel(design, deviance, opt);
}

/** The two routes' fits agree: objective to 1e-9 relative, estimates and SEs to 1e-6, the structure's parameters and the summary. */
async function expectSameFit(design: Design, REML: boolean): Promise<LmerModel> {
  const [patterns, whitening] = [await fitBy(design, REML, "patterns"), await fitBy(design, REML, "whitening")];
  expectClose(patterns.objective, whitening.objective, 1e-9, 0, "objective");
  expectClose(patterns.sigma, whitening.sigma, 1e-6, 0, "sigma");
  for (const k of whitening.coefNames) {
    expectClose(patterns.fixef[k], whitening.fixef[k], 1e-6, 1e-9, `fixef ${k}`);
    expectClose(patterns.se[k], whitening.se[k], 1e-6, 0, `se ${k}`);
  }
  const parameters = (m: LmerModel) => [m.residualStructure!.correlation?.parameters, m.residualStructure!.variance?.parameters].flatMap((x) => Object.values(x ?? {}));
  const [a, b] = [parameters(patterns), parameters(whitening)];
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]), `structure parameter ${i}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(b[i]))));
  // The printed summary: the same to the digits it shows, but for the optimiser's own line.
  const printed = (m: LmerModel) => m.summary().split("\n").filter((l) => !/evaluations|iterations|converge/i.test(l));
  expect(printed(patterns)).toEqual(printed(whitening));
  return patterns;
}

describe("pattern statistics and whitening fit the same model", () => {
  it.each(gls.map((c) => [c.id, c] as const))("%s", async (_id, ref) => {
    const frame = await readCSV(join(DIR, "data", `${ref.data}.csv`));
    const options: DesignOptions = { ...(ref.correlation && { correlation: ref.correlation }), ...(ref.variance && { variance: ref.variance }) };
    const m = await expectSameFit(buildDesign(parseFormula(ref.formula), frame, options), ref.REML);
    // And nlme's optimum, reached either way.
    expect(m.objective).toBeLessThanOrEqual(ref.objective + 1e-6 * Math.abs(ref.objective));
  });

  it("on a simulated trial of 3000 subjects x 8 visits with visits missing at random (us and ar1 + ident), and chooses the pattern route there", async () => {
    const frame = simulatedTrial(3000, 8);
    for (const [formula, options] of [
      ["y ~ visitf * arm", { correlation: "us(~ visitf | id)" }],
      ["y ~ visit * arm", { correlation: "ar1(~ visit | id)", variance: "ident(~ 1 | arm)" }],
    ] as const) {
      const design = buildDesign(parseFormula(formula), frame, options);
      expect(residualRoute(design, new RowCrossProducts(design, "whitening").residual!)).toBe("patterns");
      expect((await ProfiledDeviance.create(design, true)).source.patterns).not.toBeNull();
      for (const REML of [true, false]) await expectSameFit(design, REML);
    }
  });

  it("whitens where the patterns' pairs outnumber half the rows (continuous times) or the model has random effects", async () => {
    const frame = simulatedTrial(200, 6, true);
    const car1 = buildDesign(parseFormula("y ~ time + arm"), frame, { correlation: "car1(~ time | id)" });
    expect((await ProfiledDeviance.create(car1, true)).source.patterns).toBeNull();
    const lme = buildDesign(parseFormula("y ~ visit + (1 | id)"), simulatedTrial(3000, 8), { correlation: "ar1(~ visit | id)" });
    expect((await ProfiledDeviance.create(lme, true)).source.patterns).toBeNull();
    expect(() => new RowCrossProducts(lme, "patterns")).toThrow(/random effects/);
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
 * A seeded trial: `visits` visits, AR(1) errors whose sd grows with the visit,
 * 8% of visits missing; with `irregular`, real-valued times jittered per subject.
 */
function simulatedTrial(subjects: number, visits: number, irregular = false): DataFrame {
  const uniform = mulberry32(14_3);
  const normal = normalSource(uniform);
  const id: string[] = [], arm: string[] = [], visitf: string[] = [];
  const visit: number[] = [], time: number[] = [], y: number[] = [];
  for (let s = 0; s < subjects; s++) {
    let e = normal();
    for (let v = 1; v <= visits; v++) {
      if (v > 1) e = 0.5 * e + 0.85 * normal();
      if (uniform() < 0.08) continue;
      id.push(`s${s}`);
      arm.push(s % 2 ? "active" : "placebo");
      visit.push(v);
      visitf.push(`v${v}`);
      time.push(irregular ? v + 0.4 * uniform() : v);
      y.push(10 + 0.5 * v + (s % 2 ? 0.3 * v : 0) + (1 + 0.1 * v) * e);
    }
  }
  return toDataFrame({ id, arm, visitf, visit: Float64Array.from(visit), time: Float64Array.from(time), y: Float64Array.from(y) });
}
