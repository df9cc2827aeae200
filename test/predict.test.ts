// predict(): new data coded with the fitted levels, conditional and population
// predictions, new levels, missing values.
import { describe, expect, it } from "vitest";
import { LmmError, lmer, readCSV } from "../src/index.js";
import { MODEL_CASES, dataPath } from "./reference-cases.js";
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
