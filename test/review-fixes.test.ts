// Inputs a final review found mishandled: each must give lme4's model or a clear LmmError.
import { describe, expect, it } from "vitest";
import { bootstrap, likelihoodRatioTest, lmer, LmmError, readCSV, simulate } from "../src/index.js";
import { chisqUpper, fUpper } from "../src/inference/tails.js";

const n = 40;
const base = {
  y: Array.from({ length: n }, (_, i) => (i % 3) + (i % 2) + Math.sin(i)),
  x: Array.from({ length: n }, (_, i) => i / 7),
  g: Array.from({ length: n }, (_, i) => String(i % 5)),
};

describe("JavaScript column types", () => {
  it("treats strings that look like numbers as text (a factor), as R's character vectors", async () => {
    const m = await lmer("y ~ x + f + (1 | g)", { ...base, f: base.x.map((_, i) => (i % 2 ? "2" : "1")) });
    expect(m.coefNames).toEqual(["(Intercept)", "x", "f2"]);
  });

  it("codes booleans as the factor levels FALSE and TRUE, and rejects other objects", async () => {
    const m = await lmer("y ~ b + (1 | g)", { ...base, b: base.x.map((v) => v > 2) });
    expect(m.coefNames).toEqual(["(Intercept)", "bTRUE"]);
    await expect(lmer("y ~ o + (1 | g)", { ...base, o: base.x.map(() => ({})) })).rejects.toThrow(/Column 'o' holds a object at row 1/);
  });

  it("keeps a number column numeric when some cells are missing-value strings", async () => {
    const y: (number | string)[] = [...base.y];
    y[3] = "NA";
    const m = await lmer("y ~ x + (1 | g)", { ...base, y });
    expect(m.droppedRows).toBe(1);
  });
});

describe("prediction with new data of the wrong shape", () => {
  it("names a fitted numeric variable given as text, and a missing column", async () => {
    const m = await lmer("Reaction ~ Days + (Days | Subject)", await readCSV("test/reference/data/sleepstudy.csv"));
    expect(() => m.predict({ Days: ["x"], Subject: ["308"] })).toThrow(/Column 'Days' of the new data holds text/);
    expect(() => m.predict({ Subject: ["308"] })).toThrow(/new data has no column 'Days'/);
  });

  it("codes a fitted factor whose new values all look like numbers", async () => {
    const m = await lmer("y ~ x + f + (1 | g)", { ...base, f: base.x.map((_, i) => (i % 2 ? "1" : "ctl")) });
    const p = m.predict({ x: [1], f: ["1"], g: ["1"] }, { re: false });
    expect(p[0]).toBeCloseTo(m.fixef["(Intercept)"] + m.fixef.x, 10);
  });
});

describe("argument checks", () => {
  it("rejects bad simulation and bootstrap counts and seeds", async () => {
    const m = await lmer("y ~ x + (1 | g)", base);
    expect(() => simulate(m, -1)).toThrow(LmmError);
    expect(() => simulate(m, 1.5)).toThrow(/whole number/);
    expect(() => simulate(m, 1, { seed: 0.5 })).toThrow(/seed/);
    await expect(bootstrap(m, 0)).rejects.toThrow(LmmError);
    await expect(m.confint({ method: "boot", nsim: 1 })).rejects.toThrow(/from 2 to 100,000/);
  });

  it("rejects an unknown interval method, an out-of-range level and an unknown ddf", async () => {
    const m = await lmer("y ~ x + (1 | g)", base);
    await expect(m.confint({ method: "bayes" as "wald" })).rejects.toThrow(/Unknown method 'bayes' for confint\(\): choose wald, profile or boot/);
    await expect(m.confint({ method: "wald", level: 2 })).rejects.toThrow(LmmError);
    await expect(lmer("y ~ x + (1 | g)", base, { ddf: "kr" as "none" })).rejects.toThrow(/Unknown ddf 'kr'/);
  });
});

describe("likelihood-ratio test of models with the same number of parameters", () => {
  it("says they are not nested and gives no p-value", async () => {
    const data = await readCSV("test/reference/data/sleepstudy.csv");
    const lrt = await likelihoodRatioTest(await lmer("Reaction ~ Days + (1 | Subject)", data), await lmer("Reaction ~ 1 + (Days || Subject)", data));
    expect(lrt.rows[1].Df).toBe(0);
    expect(lrt.rows[1]["Pr(>Chisq)"]).toBeNull();
    expect(lrt.note).toMatch(/not nested/);
  });
});

describe("upper tails keep their precision far out", () => {
  it("matches closed forms and R where 1 - cdf would round to 0", () => {
    expect(chisqUpper(80, 2) / Math.exp(-40) - 1).toBeLessThan(1e-12);
    expect(chisqUpper(5.02921016501631, 1)).toBeCloseTo(0.0249232619965758, 14);
    // pf(150, 2, 30, lower.tail = FALSE) = (1 + 2 * 150 / 30)^-15
    expect(fUpper(150, 2, 30) / Math.pow(1 + 10, -15) - 1).toBeLessThan(1e-10);
  });
});
