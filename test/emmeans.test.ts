// Marginal means, trends and their comparisons against emmeans 1.8 (lme4 fits
// at a tight optimum, Kenward-Roger from pbkrtest, Satterthwaite from
// lmerTest), on the cases of test/reference-emmeans/ (made by
// scripts/make-emmeans-reference.R): estimates, SEs and interval ends to
// relative 1e-4 (of the SE where the estimate is near zero), df to 1e-3,
// p-values (Tukey, dunnettx, holm, ...) to relative 1e-3; the same columns,
// in emmeans' order, with emmeans' labels.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { contrast, emmeans, emtrends, lmer, LmmError, readCSV, type Adjust, type ContrastMethod, type EmmGrid } from "../src/index.js";
import { conform, type Row } from "./emmeans-conform.js";

interface Query {
  kind: "emmeans" | "emtrends";
  specs: string;
  ddf: "kenward-roger" | "satterthwaite";
  // jsonlite writes R's NULL as {}.
  at: Record<string, number[]> | Record<string, never>;
  var: string | Record<string, never>;
  level: number;
  rows: Row[];
  contrasts: { method: string | Record<string, number[]>; adjust: string | Record<string, never>; rows: Row[] }[];
}
interface Case {
  id: string;
  data: string;
  formula: string;
  REML: boolean;
  factors: string[];
  objective: number;
  queries: Query[];
}

const root = new URL("..", import.meta.url).pathname;
const dir = `${root}test/reference-emmeans/`;
const cases: Case[] = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .map((f) => JSON.parse(readFileSync(dir + f, "utf8")));

const given = <T>(x: T | Record<string, never>): T | undefined => (typeof x === "object" && x !== null && !Array.isArray(x) && Object.keys(x).length === 0 ? undefined : (x as T));

const counted = { queries: 0, means: 0, contrasts: 0 };

describe("emmeans and emtrends as emmeans 1.8", () => {
  for (const c of cases) {
    describe(`${c.id}: ${c.formula}${c.REML ? "" : " (ML)"}`, () => {
      let model: Awaited<ReturnType<typeof lmer>>;
      it("fits at lme4's optimum", async () => {
        model = await lmer(c.formula, await readCSV(root + c.data), { REML: c.REML, factors: c.factors, ddf: "none" });
        expect(Math.abs(model.objective - c.objective)).toBeLessThan(1e-6 * Math.abs(c.objective));
      });
      c.queries.forEach((q) => {
        const at = given(q.at);
        const trendVar = given(q.var);
        const name = `${q.kind}(${q.specs}${at ? `, at ${JSON.stringify(at)}` : ""}${trendVar ? `, var ${trendVar}` : ""}) ${q.ddf}${q.level !== 0.95 ? ` level ${q.level}` : ""}`;
        it(name, () => {
          const options = { at, ddf: q.ddf, level: q.level };
          const grid: EmmGrid = q.kind === "emmeans" ? emmeans(model, q.specs, options) : emtrends(model, q.specs, { ...options, var: trendVar! });
          conform(grid.rows, q.rows, name);
          counted.queries++;
          counted.means += q.rows.length;
          for (const con of q.contrasts) {
            const adjust = given(con.adjust) as Adjust | undefined;
            const table = grid.contrast(con.method as ContrastMethod, { adjust });
            conform(table.rows, con.rows, `${name} ${typeof con.method === "string" ? con.method : "user"} ${adjust ?? "default"}`);
            counted.contrasts += con.rows.length;
          }
        });
      });
    });
  }

  it("counts what conformed", () => {
    // Every query of every case passed before this runs (vitest runs the tests in order).
    expect(counted.queries).toBe(cases.reduce((s, c) => s + c.queries.length, 0));
    console.log(`emmeans conformance: ${cases.length} fits, ${counted.queries} queries, ${counted.means} means/trends, ${counted.contrasts} contrasts`);
  });
});

describe("contrast(m, L): the general contrast with Satterthwaite or Kenward-Roger df", () => {
  it("gives the coefficient's own test for a unit row (lmerTest's summary and pbkrtest)", async () => {
    const m = await lmer("distance ~ age * Sex + (age | Subject)", await readCSV(`${root}test/reference/data/orthodont.csv`));
    const [s] = contrast(m, [[0, 0, 0, 1]], { ddf: "satterthwaite" });
    expect(s.estimate).toBeCloseTo(m.fixef["age:SexMale"], 12);
    expect(s.SE).toBeCloseTo(m.se["age:SexMale"], 12);
    expect(s.df).toBeCloseTo(m.satterthwaite.df["age:SexMale"], 8);
    expect(s.p).toBeCloseTo(m.satterthwaite.p["age:SexMale"], 10);
    const [k] = contrast(m, [[0, 0, 0, 1]], { ddf: "kenward-roger" });
    expect(k.SE).toBeCloseTo(m.kenwardRoger.se["age:SexMale"], 12);
    expect(k.df).toBeCloseTo(m.kenwardRoger.df["age:SexMale"], 8);
    expect(k.t).toBeCloseTo(k.estimate / k.SE, 12);
  });
});

describe("bad input to emmeans and emtrends is one clear LmmError", () => {
  let m: Awaited<ReturnType<typeof lmer>>;
  const expectError = (f: () => unknown, message: RegExp) => {
    expect(f).toThrow(LmmError);
    expect(f).toThrow(message);
  };
  it("names the problem", async () => {
    m = await lmer("distance ~ age * Sex + (age | Subject)", await readCSV(`${root}test/reference/data/orthodont.csv`));
    expectError(() => emmeans(m, "~ Gender"), /'Gender', which is not a variable of the fixed effects/);
    expectError(() => emmeans(m, "~ Sex", { at: { height: [1] } }), /at names 'height'/);
    expectError(() => emmeans(m, "~ age"), /'age' is numeric.*at \(--at age=/);
    expectError(() => emmeans(m, "~ Sex", { at: { age: ["old"] } }), /at.age must hold numbers/);
    expectError(() => emmeans(m, "~ Sex", { at: { Sex: ["Other"] } }), /'Other', which is not a level of 'Sex'/);
    expectError(() => emmeans(m, "~ Sex", { ddf: "kr" as never }), /Unknown ddf 'kr'/);
    expectError(() => emmeans(m, "~ Sex", { level: 95 }), /level must be between 0 and 1/);
    expectError(() => emmeans(m, "pairwise ~ Sex"), /left-hand side/);
    expectError(() => emmeans(m, "~ Sex | age | Subject"), /more than one '\|'/);
    expectError(() => emtrends(m, "~ Sex", { var: "Sex" }), /'Sex' is a factor/);
    expectError(() => emtrends(m, "~ Sex", { var: "height" }), /'height' is not a variable/);
    expectError(() => emtrends(m, "~ age", { var: "age" }), /whose slope is wanted/);
    expectError(() => emmeans(m, "~ Sex").contrast({ "F - M": [1, -1, 0] }), /must hold 2 finite numbers/);
    expectError(() => emmeans(m, "~ Sex").pairs({ adjust: "scheffe" as never }), /Unknown adjust 'scheffe'/);
    expectError(() => contrast(m, [[1, 0]]), /must hold 4 finite numbers/);
  });

  it("defaults to Satterthwaite where Kenward-Roger's dense matrices would be too large", async () => {
    // 2100 subjects, two rows each: 2100 random effects, over KR_MAX_RANDOM_EFFECTS.
    const n = 2100;
    const id = Array.from({ length: 2 * n }, (_, i) => `s${i >> 1}`);
    const group = id.map((_, i) => ((i >> 1) % 2 === 0 ? "A" : "B"));
    const y = id.map((_, i) => Math.sin(i * 12.9898) * 2 + ((i >> 1) % 7) / 3 + (group[i] === "B" ? 1 : 0));
    const big = await lmer("y ~ group + (1 | id)", { y, id, group }, { ddf: "none" });
    expect(emmeans(big, "~ group").notes).toContain("Degrees-of-freedom method: satterthwaite");
    expectError(() => emmeans(big, "~ group", { ddf: "kenward-roger" }), /use Satterthwaite's df/);
  });

  it("refuses Kenward-Roger for an ML fit, as the model's own tests", async () => {
    const ml = await lmer("distance ~ age * Sex + (age | Subject)", await readCSV(`${root}test/reference/data/orthodont.csv`), { REML: false });
    expectError(() => emmeans(ml, "~ Sex", { ddf: "kenward-roger" }), /only available for REML fits/);
    expect(emmeans(ml, "~ Sex").notes).toContain("Degrees-of-freedom method: satterthwaite");
  });
});

describe("transformed terms: the grid on the data's columns, emmeans' notes and errors", () => {
  const orthodont = () => readCSV(`${root}test/reference/data/orthodont.csv`);
  const chickweight = () => readCSV(`${root}test/reference-extra/data/chickweight.csv`);

  it("notes the scale of a transformed response under means and their comparisons, not under trends (emmeans drops it there)", async () => {
    const m = await lmer("log(distance) ~ log(age) * Sex + (1 | Subject)", await orthodont());
    const note = "Results are given on the log (not the response) scale.";
    const e = emmeans(m, "~ Sex");
    expect(e.notes).toEqual(["Degrees-of-freedom method: kenward-roger", note, "Confidence level used: 0.95"]);
    expect(e.pairs().notes).toEqual(["Degrees-of-freedom method: kenward-roger", note]);
    expect(emtrends(m, "~ Sex", { var: "age" }).notes).not.toContain(note);
    const shifted = await lmer("log(distance + 1) ~ Sex + (1 | Subject)", await orthodont());
    expect(emmeans(shifted, "~ Sex").notes).toContain("Results are given on the log(mu + 1) (not the response) scale.");
    const plain = await lmer("distance ~ Sex + (1 | Subject)", await orthodont());
    expect(emmeans(plain, "~ Sex").notes.join("\n")).not.toMatch(/scale/);
  });

  it("holds an offset at its mean over the data, as emmeans 1.8, in the means and in contrasts by the sum of their coefficients", async () => {
    const data = await orthodont();
    const m = await lmer("distance ~ Sex + offset(age / 2) + (1 | Subject)", data);
    const age = (data.columns.get("age") as { values: Float64Array }).values;
    const offset = age.reduce((s, v) => s + v / 2, 0) / age.length;
    const e = emmeans(m, "~ Sex");
    expect(e.rows[0].emmean).toBeCloseTo(m.fixef["(Intercept)"] + offset, 10);
    const c = e.contrast({ both: [1, 1], diff: [1, -1] }).rows;
    expect(c[0].estimate).toBeCloseTo((e.rows[0].emmean as number) + (e.rows[1].emmean as number), 10);
    expect(c[1].estimate).toBeCloseTo(-m.fixef.SexMale, 10);
  });

  it("names a var that the fixed effects do not depend on, and a column used both as factor() and as a number", async () => {
    const expectError = (f: () => unknown, message: RegExp) => {
      expect(f).toThrow(LmmError);
      expect(f).toThrow(message);
    };
    const m = await lmer("distance ~ Sex + offset(age / 2) + (1 | Subject)", await orthodont());
    expectError(() => emtrends(m, "~ Sex", { var: "age" }), /var 'age' appears only in the offset/);
    expectError(() => emtrends(m, "~ Sex", { var: "Subject" }), /var 'Subject' appears only in a grouping factor of the random effects: give a numeric covariate of the fixed effects \('Sex'\)/);
    const slopes = await lmer("distance ~ Sex + (age | Subject)", await orthodont());
    expectError(() => emtrends(slopes, "~ Sex", { var: "age" }), /var 'age' appears only in the random effects/);
    const cw = await lmer("weight ~ poly(Time, 2) * factor(Diet) + (1 | Chick)", await chickweight());
    expectError(() => emmeans(cw, "~ Diet", { at: { Diet: [5] } }), /at.Diet gives '5', which is not a level of 'factor\(Diet\)'/);
    expectError(() => emmeans(cw, "~ Diet", { at: { "poly(Time, 2)": [1] } }), /at names 'poly\(Time, 2\)', which is not a variable of the fixed effects \('Time', 'Diet'\)/);
    expectError(() => emtrends(cw, "~ Time", { var: "Time" }), /whose slope is wanted.*or give the values of 'Time'/);
    const logAge = await lmer("distance ~ log(age) * Sex + (1 | Subject)", await orthodont());
    expectError(() => emmeans(logAge, "~ Sex", { at: { age: [8, 0] } }), /grid's point age = 0, Sex = Female is outside the domain of the model's functions \(log\(\) of column 'age' is not finite\): give at values/);
    const both = await lmer("weight ~ factor(Diet) + Diet:Time + (1 | Chick)", await chickweight());
    expectError(() => emmeans(both, "~ Diet"), /'Diet' enters the fixed effects both as 'factor\(Diet\)' and in 'Diet'/);
  });
});
