// The analytic gradient of the profiled deviance (reverse mode through the
// blocked factorisation) against central finite differences.
import { describe, expect, it } from "vitest";
import { buildDesign, parseFormula, ProfiledDeviance, readCSV } from "../src/index.js";
import { MODEL_CASES, dataPath } from "./reference-cases.js";
import { randomCrossedDesign, randomDesign, randomDesignsWithQ, randomTheta, rng, STRUCTURES } from "./random-models.js";

// The step balances truncation (h^2) against round-off in the objective, which
// on badly conditioned data (oxboys: heights around 150, so y'y dwarfs r2) is
// about 4e-9 absolute: at h = 1e-5 that alone moves a difference by ~2e-4.
function centralDifferences(dev: ProfiledDeviance, theta: number[]): number[] {
  return theta.map((_, i) => {
    const h = 1e-4 * Math.max(1, Math.abs(theta[i]));
    const t = theta.slice();
    t[i] += h;
    const fp = dev.evaluate(t);
    t[i] -= 2 * h;
    const fm = dev.evaluate(t);
    return (fp - fm) / (2 * h);
  });
}

/** Analytic and numeric gradients agree to 1e-4 relative (1e-4 absolute near zero). */
function expectGradientsAgree(dev: ProfiledDeviance, theta: number[]): void {
  const { f, g } = dev.evaluateWithGradient(theta);
  expect(Number.isFinite(f)).toBe(true);
  const fd = centralDifferences(dev, theta);
  fd.forEach((v, i) => expect(Math.abs(g[i] - v), `d/dtheta[${i}]: ${g[i]} vs ${v}`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(v))));
}

describe.each(MODEL_CASES.map((c) => [c.id, c] as const))("gradient at a point near the optimum of %s", (_id, ref) => {
  it("matches central differences", async () => {
    const design = buildDesign(parseFormula(ref.formula), await readCSV(dataPath(ref)));
    const dev = await ProfiledDeviance.create(design, ref.REML);
    // Off the optimum, where the gradient is not zero.
    expectGradientsAgree(dev, ref.theta.map((v, i) => v + 0.05 + 0.01 * i));
  });
});

describe.each(STRUCTURES)("gradient on random models (%s terms)", (structure) => {
  for (let trial = 0; trial < 4; trial++) {
    for (const reml of [false, true]) {
      it(`random model ${trial} (${reml ? "REML" : "ML"})`, async () => {
        const seed = 5000 + 100 * STRUCTURES.indexOf(structure) + 10 * trial + (reml ? 1 : 0);
        const design = randomDesign(structure, seed);
        const dev = await ProfiledDeviance.create(design, reml);
        expectGradientsAgree(dev, randomTheta(design, rng(seed + 3), false));
      });
    }
  }
});

describe.each([
  [1, "intercept.ts"],
  [2, "slope.ts"],
])("gradient of the unrolled q = %i sweep (assembly/%s) on random models", (q) => {
  randomDesignsWithQ(q, 8, 600 + 50 * q).forEach(({ design, seed }, trial) => {
    it(`random model ${trial}`, async () => {
      const dev = await ProfiledDeviance.create(design, trial % 2 === 1);
      expectGradientsAgree(dev, randomTheta(design, rng(seed + 3), false));
    });
  });
});

describe.each([
  ["fully crossed (dense tail updates)", true, false],
  ["sparse (tail updates by row)", false, false],
  ["fully crossed, zero-correlation terms", true, true],
  ["fully crossed, zero-correlation item terms", true, "items"],
] as const)("gradient on subjects x items designs, %s", (_name, full, split) => {
  for (const [q1, q2] of [[3, 1], [4, 4], [5, 2], [6, 3], [8, 8], [2, 5]]) {
    it(`q = ${q1} on subjects, ${q2} on items`, async () => {
      const seed = 8000 + 100 * q1 + 10 * q2 + (full ? 1 : 0) + (split === true ? 2 : split ? 4 : 0);
      const design = randomCrossedDesign(seed, q1, q2, full, split);
      const dev = await ProfiledDeviance.create(design, q1 % 2 === 1);
      expectGradientsAgree(dev, randomTheta(design, rng(seed + 3), false));
    });
  }
});
