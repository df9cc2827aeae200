// predict(): new data coded with the fitted levels, conditional and population
// predictions, new levels, missing values.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { LmmError, lmer, readCSV, type LmerModel } from "../src/index.js";
import { MODEL_CASES, dataPath, expectClose } from "./reference-cases.js";
import { SMALL_DATA as base } from "./small-data.js";

const CASES = ["orthodont_agesex_reml", "cake_nested_reml", "pastes_nested_reml", "penicillin_crossed_reml", "machines_slope_reml"];

describe.each(MODEL_CASES.filter((c) => CASES.includes(c.id)).map((c) => [c.id, c] as const))("predict on %s", (_id, ref) => {
  it("reproduces lme4's fitted values when the fitted data is given as new data", async () => {
    const data = await readCSV(dataPath(ref));
    const m = await lmer(ref.formula, data, { REML: ref.REML });
    const pred = m.predict(data);
    expect(pred.length).toBe(ref.fitted.length);
    ref.fitted.forEach((v, i) => expect(Math.abs(pred[i] - v)).toBeLessThanOrEqual(1e-3 * ref.sigma));
    expect(Array.from(m.predict())).toEqual(Array.from(m.fitted));
  });
});

describe("predict on sleepstudy", () => {
  const fit = async () => lmer("Reaction ~ Days + (Days | Subject)", await readCSV("test/reference/data/sleepstudy.csv"));

  it("gives population predictions with re: false", async () => {
    const m = await fit();
    const p = m.predict({ Days: [0, 2], Subject: ["308", "309"] }, { re: false });
    expect(p[0]).toBeCloseTo(m.fixef["(Intercept)"], 10);
    expect(p[1]).toBeCloseTo(m.fixef["(Intercept)"] + 2 * m.fixef.Days, 10);
  });

  it("adds the subject's conditional modes with re: true", async () => {
    const m = await fit();
    const b = m.ranef.Subject;
    const k = b.levels.indexOf("309");
    const p = m.predict({ Days: [4], Subject: ["309"] });
    const expected = m.fixef["(Intercept)"] + (b["(Intercept)"] as number[])[k] + 4 * (m.fixef.Days + (b.Days as number[])[k]);
    expect(p[0]).toBeCloseTo(expected, 9);
  });

  it("refuses a new subject unless allowNewLevels, then predicts it at the population level", async () => {
    const m = await fit();
    const data = { Days: [1, 1], Subject: ["308", "new"] };
    expect(() => m.predict(data)).toThrow(LmmError);
    expect(() => m.predict(data)).toThrow(/Level 'new' of grouping factor 'Subject'.*allowNewLevels/);
    const p = m.predict(data, { allowNewLevels: true });
    expect(p[1]).toBeCloseTo(m.fixef["(Intercept)"] + m.fixef.Days, 10);
    expect(p[0]).not.toBeCloseTo(p[1], 3);
  });

  it("returns NaN for a row with a missing variable and predicts the others", async () => {
    const m = await fit();
    const p = m.predict({ Days: [1, null, 3], Subject: ["308", "308", "308"] });
    expect(Number.isNaN(p[1])).toBe(true);
    expect(Number.isFinite(p[0]) && Number.isFinite(p[2])).toBe(true);
  });
});

describe("predict with fixed-effect factors", () => {
  it("names a fixed-effect level the fit did not see", async () => {
    const m = await lmer("distance ~ age * Sex + (age | Subject)", await readCSV("test/reference/data/orthodont.csv"));
    expect(() => m.predict({ age: [8], Sex: ["Other"], Subject: ["M01"] })).toThrow(/Level 'Other' of 'Sex'/);
    // A single row of the non-reference level still gets the SexMale columns.
    const p = m.predict({ age: [10], Sex: ["Male"], Subject: ["M01"] }, { re: false });
    const f = m.fixef;
    expect(p[0]).toBeCloseTo(f["(Intercept)"] + 10 * f.age + f.SexMale + 10 * f["age:SexMale"], 9);
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

/** A case of scripts/make-predict-reference.R: population predictions with se = sqrt(x' V x) and Wald intervals. */
interface IntervalCase {
  id: string;
  data: string;
  formula: string;
  REML: boolean;
  factors: string[];
  level: number;
  newdata: Record<string, number | string>[];
  fit: number[];
  se: number[];
  lower: number[];
  upper: number[];
}

const INTERVALS_DIR = join(import.meta.dirname, "reference-predict");
const INTERVAL_CASES: IntervalCase[] = JSON.parse(readFileSync(join(INTERVALS_DIR, "predict.json"), "utf8"));

describe.each(INTERVAL_CASES.map((c) => [c.id, c] as const))("predict with se on %s", (_id, ref) => {
  let m: LmerModel;
  beforeAll(async () => {
    const options = { REML: ref.REML, ...(ref.factors.length ? { factors: ref.factors } : {}) };
    m = await lmer(ref.formula, await readCSV(join(INTERVALS_DIR, "data", ref.data)), options);
  });

  it("matches X_new beta, sqrt(diag(X_new V X_new')) and the Wald intervals computed from lme4 (relative 1e-4 of the se)", () => {
    const p = m.predict(ref.newdata, { re: false, se: true, level: ref.level });
    expect(p.level).toBe(ref.level);
    const scale = Math.max(...ref.fit.map(Math.abs));
    ref.fit.forEach((f, i) => {
      expectClose(p.fit[i], f, 1e-5, scale, `fit[${i}]`);
      expectClose(p.se[i], ref.se[i], 1e-4, 0, `se[${i}]`);
      // The bounds' tolerance: the fit's and z times the se's.
      const tol = 1e-5 * scale + 3e-4 * ref.se[i];
      expect(Math.abs(p.lower[i] - ref.lower[i]), `lower[${i}]`).toBeLessThanOrEqual(tol);
      expect(Math.abs(p.upper[i] - ref.upper[i]), `upper[${i}]`).toBeLessThanOrEqual(tol);
    });
  });

  it("gives the same fit as predict(newdata, { re: false })", () => {
    const p = m.predict(ref.newdata, { re: false, se: true });
    expect(Array.from(p.fit)).toEqual(Array.from(m.predict(ref.newdata, { re: false })));
  });
});

describe("predict with se: the fitted rows, missing values and bad options", () => {
  let m: LmerModel;
  beforeAll(async () => {
    m = await lmer("Reaction ~ Days + (Days | Subject)", await readCSV("test/reference/data/sleepstudy.csv"));
  });

  it("gives the fitted rows' population predictions with the standard error of the intercept at Days = 0", () => {
    const p = m.predict(undefined, { re: false, se: true });
    expect(p.fit.length).toBe(m.nobs);
    expect(Array.from(p.fit)).toEqual(Array.from(m.predict(undefined, { re: false })));
    const day0 = m.design.X.columns[1].indexOf(0);
    expect(p.se[day0]).toBeCloseTo(m.se["(Intercept)"], 10);
    expect(p.level).toBe(0.95);
    expect(p.upper[day0] - p.fit[day0]).toBeCloseTo(1.959963984540054 * m.se["(Intercept)"], 9);
  });

  it("keeps a row with a missing variable as NaN in every column", () => {
    const p = m.predict({ Days: [1, null, 3] }, { re: false, se: true });
    for (const col of [p.fit, p.se, p.lower, p.upper]) {
      expect(Number.isNaN(col[1])).toBe(true);
      expect(Number.isFinite(col[0]) && Number.isFinite(col[2])).toBe(true);
    }
  });

  it("widens the interval with the level", () => {
    const narrow = m.predict({ Days: [5] }, { re: false, se: true, level: 0.5 });
    const wide = m.predict({ Days: [5] }, { re: false, se: true, level: 0.99 });
    expect(wide.upper[0] - wide.lower[0]).toBeGreaterThan(narrow.upper[0] - narrow.lower[0]);
    expect(wide.se[0]).toBe(narrow.se[0]);
  });

  it("refuses se with the random effects, a level without se, and a level outside (0, 1)", () => {
    const data = { Days: [1], Subject: ["308"] };
    expect(() => m.predict(data, { se: true })).toThrow(LmmError);
    expect(() => m.predict(data, { se: true })).toThrow(/population-level predictions.*pass re: false with se: true/);
    expect(() => m.predict(data, { re: false, level: 0.9 })).toThrow(/level sets the confidence level.*pass se: true/);
    expect(() => m.predict(data, { re: false, se: true, level: 95 })).toThrow(/between 0 and 1/);
    expect(() => m.predict(data, { re: false, se: "yes" as unknown as true })).toThrow(/se/);
    expect(() => m.predict(data, { re: false, SE: true } as object)).toThrow(/Unknown option 'SE' of predict\(\)\. Did you mean 'se'\?/);
  });
});
