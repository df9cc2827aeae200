// Simulation and the parametric bootstrap: reproducible draws with the right
// moments, and refits that recover the parameters they were drawn from.
import { beforeAll, describe, expect, it } from "vitest";
import { COHORT_FIXEF, generateCohort } from "../bench/cohort.js";
import { bootstrap, lmer, readCSV, simulate, type LmerModel } from "../src/index.js";

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
const sd = (a: ArrayLike<number>) => {
  const m = mean(a);
  return Math.sqrt(Array.from(a).reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1));
};

describe("simulate", () => {
  let m: LmerModel;
  beforeAll(async () => {
    m = await lmer("Reaction ~ Days + (Days | Subject)", await readCSV("test/reference/data/sleepstudy.csv"));
  });

  it("is reproducible for a seed and differs between seeds", () => {
    const a = simulate(m, 2, { seed: 3 });
    expect(simulate(m, 2, { seed: 3 })).toEqual(a);
    expect(simulate(m, 1, { seed: 4 })[0]).not.toEqual(a[0]);
    expect(a[0].length).toBe(m.nobs);
  });

  it("draws responses with the model's marginal mean and variance", () => {
    const sims = simulate(m, 4000, { seed: 11 });
    // Row 10 is Subject 309 at Days 0: mean = intercept, variance = sigma^2 + var(intercept).
    const row = sims.map((y) => y[10]);
    const sdInt = m.varcorr.find((r) => r.var1 === "(Intercept)" && r.var2 === null)!.vcov;
    const expectedVar = m.sigma ** 2 + sdInt;
    expect(Math.abs(mean(row) - m.fixef["(Intercept)"])).toBeLessThan(4 * Math.sqrt(expectedVar / 4000));
    expect(sd(row) ** 2 / expectedVar).toBeGreaterThan(0.9);
    expect(sd(row) ** 2 / expectedVar).toBeLessThan(1.1);
  });
});

describe("bootstrap", () => {
  it("refits simulated responses; the spread of the estimates matches the standard errors", async () => {
    const m = await lmer("Reaction ~ Days + (Days | Subject)", await readCSV("test/reference/data/sleepstudy.csv"));
    const b = await bootstrap(m, 400, { seed: 5 });
    expect(b.notConverged).toBe(0);
    expect(b.theta).toHaveLength(400);
    for (const name of m.coefNames) {
      const est = b.fixef[name];
      expect(Math.abs(mean(est) - m.fixef[name])).toBeLessThan((4 * m.se[name]) / Math.sqrt(400));
      expect(sd(est) / m.se[name]).toBeGreaterThan(0.8);
      expect(sd(est) / m.se[name]).toBeLessThan(1.2);
    }
    expect(Math.abs(mean(b.sigma) / m.sigma - 1)).toBeLessThan(0.02);
  });
});

describe("recovering known parameters on a large simulated cohort", () => {
  it("estimates the fixed effects, SDs, correlation and sigma it was generated with", async () => {
    const truth = { sdIntercept: 10, sdSlope: 2, correlation: 0.3, sigma: 5 };
    const data = generateCohort({ subjects: 3000, seed: 99, ...truth });
    const m = await lmer("y ~ time * group + (time | id)", data);
    expect(m.convergence.converged).toBe(true);
    for (const [name, value] of Object.entries(COHORT_FIXEF)) {
      expect(Math.abs(m.fixef[name] - value), name).toBeLessThan(4 * m.se[name]);
    }
    const vc = (v1: string, v2: string | null = null) => m.varcorr.find((r) => r.var1 === v1 && r.var2 === v2)!.sdcor;
    expect(Math.abs(vc("(Intercept)") / truth.sdIntercept - 1)).toBeLessThan(0.06);
    expect(Math.abs(vc("time") / truth.sdSlope - 1)).toBeLessThan(0.06);
    expect(Math.abs(vc("(Intercept)", "time") - truth.correlation)).toBeLessThan(0.08);
    expect(Math.abs(m.sigma / truth.sigma - 1)).toBeLessThan(0.02);
  });
});
