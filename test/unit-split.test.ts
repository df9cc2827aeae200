// The units shared with a worker thread (src/model/unit-split.ts) give the
// objective and gradient of one thread, to round-off, and leave the deviance
// whole afterwards.
import { describe, expect, it } from "vitest";
import { COHORT_FORMULA, generateCohort } from "../bench/cohort.js";
import { buildDesign, lmer, parseFormula, ProfiledDeviance, toDataFrame } from "../src/index.js";
import { SPLIT_MIN_UNITS } from "../src/model/unit-split.js";

const data = generateCohort({ subjects: SPLIT_MIN_UNITS + 17, seed: 31 });

describe("units shared with a worker thread", () => {
  it("agree with one thread on the objective, its gradient and the solution", async () => {
    const dev = await ProfiledDeviance.create(buildDesign(parseFormula(COHORT_FORMULA), toDataFrame(data)), true);
    const points = [
      [0.5, 0.1, 0.3],
      [1.2, -0.4, 0.05],
    ];
    const single = points.map((theta) => ({ f: dev.evaluate(theta), g: Array.from(dev.gradient()) }));
    const solution = dev.solve();
    expect(await dev.shareUnits()).toBe(true);
    points.forEach((theta, i) => {
      const f = dev.evaluate(theta);
      const g = dev.gradient();
      expect(Math.abs(f - single[i].f)).toBeLessThanOrEqual(1e-11 * Math.abs(single[i].f));
      single[i].g.forEach((v, j) => expect(Math.abs(g[j] - v)).toBeLessThanOrEqual(1e-8 * Math.max(1, Math.abs(v))));
    });
    // solve() returns to one thread and makes the factor whole at the last theta.
    const again = dev.solve();
    expect(Math.max(...again.map((v, i) => Math.abs(v - solution[i]) / (1 + Math.abs(v))))).toBeLessThanOrEqual(1e-9);
    expect(await dev.shareUnits()).toBe(true);
    dev.unshareUnits();
    expect(dev.evaluate(points[0])).toBe(single[0].f);
  });

  it("fits the same model with and without threads", async () => {
    const [one, two] = [await lmer(COHORT_FORMULA, data, { threads: false }), await lmer(COHORT_FORMULA, data)];
    expect(Math.abs(one.objective - two.objective)).toBeLessThanOrEqual(1e-8 * Math.abs(one.objective));
    for (const name of one.coefNames) expect(Math.abs(one.fixef[name] - two.fixef[name])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(one.fixef[name])));
  });

  it("does not share small models", async () => {
    const small = generateCohort({ subjects: 200, seed: 3 });
    const dev = await ProfiledDeviance.create(buildDesign(parseFormula(COHORT_FORMULA), toDataFrame(small)), true);
    expect(await dev.shareUnits()).toBe(false);
  });
});
