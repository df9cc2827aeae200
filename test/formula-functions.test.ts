// Functions in formulas (issue 12): every reference fit of
// scripts/make-formula-reference.R - coefficient names, estimates and
// predictions on new data (safe prediction) - and the errors for bad input.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bootstrap, emmeans, lmer, LmmError, parseFormula, readCSV, type LmerModel } from "../src/index.js";
import { abbreviate } from "../src/output/format.js";
import { expectClose, expectObjectiveMatches, expectThetaSigmaMatch, type ModelCase } from "./reference-cases.js";

interface FormulaCase {
  id: string;
  data: string;
  formula: string;
  REML: boolean;
  coef_names: string[];
  fixef: Record<string, number>;
  se: Record<string, number>;
  theta: number[];
  sigma: number;
  objective: number;
  nobs: number;
  newdata: Record<string, number | string>[];
  predict: number[];
  predict_population: number[];
}

const DIR = join(import.meta.dirname, "reference-formula");
const CASES: FormulaCase[] = readdirSync(join(DIR, "cases"))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(DIR, "cases", f), "utf8")));

describe.each(CASES.map((c) => [c.id, c] as const))("%s", (_id, ref) => {
  let m: LmerModel;
  beforeAll(async () => {
    m = await lmer(ref.formula, await readCSV(join(DIR, "data", ref.data)), { REML: ref.REML });
  });

  it("reaches lme4's optimum with its observations", () => {
    expectObjectiveMatches(m, ref as unknown as ModelCase);
    expect(m.nobs).toBe(ref.nobs);
  });

  it("names the coefficients as R prints them", () => {
    expect(m.coefNames).toEqual(ref.coef_names);
  });

  it("matches fixed effects and standard errors (relative 1e-4), theta and sigma", () => {
    for (const k of ref.coef_names) {
      expectClose(m.fixef[k], ref.fixef[k], 1e-4, 1e-2, `fixef ${k}`);
      expectClose(m.se[k], ref.se[k], 1e-4, 1e-2, `se ${k}`);
    }
    expectThetaSigmaMatch(m, ref as unknown as ModelCase);
  });

  it("predicts new data as lme4's predict(m, newdata), conditional and population (relative 1e-5)", () => {
    const scale = Math.max(...ref.predict.map(Math.abs));
    Array.from(m.predict(ref.newdata)).forEach((v, i) => expectClose(v, ref.predict[i], 1e-5, scale, `predict[${i}]`));
    Array.from(m.predict(ref.newdata, { re: false })).forEach((v, i) => expectClose(v, ref.predict_population[i], 1e-5, scale, `population predict[${i}]`));
  });
});

describe("functions in formulas: parsing and bad input", () => {
  const error = (f: () => unknown): LmmError => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(LmmError);
      return e as LmmError;
    }
    throw new Error("expected an LmmError");
  };
  const sleep = () => readCSV(join(DIR, "data", "sleepstudy.csv"));

  it("names variables by R's deparse of the call", () => {
    const f = parseFormula("log( y ) ~ I(x^2) + I((x-1)/2*-3) + poly(x,2,raw=TRUE) + scale(x, scale = FALSE) + factor(g) + (log1p(x) | s)");
    expect(f.response).toBe("log(y)");
    expect(f.fixed.terms).toEqual([["I(x^2)"], ["I((x - 1)/2 * -3)"], ["poly(x, 2, raw = TRUE)"], ["scale(x, scale = FALSE)"], ["factor(g)"]]);
    expect(f.random[0].lhs.terms).toEqual([["log1p(x)"]]);
  });

  it("writes numbers as R's deparse does", () => {
    const names = ["100000", "1000", "0.0001", "0.001", "123456.7", "100000.5", "2.50", ".1"].map((v) => parseFormula(`y ~ I(x/${v}) + (1 | g)`).fixed.terms[0][0]);
    expect(names).toEqual(["I(x/1e+05)", "I(x/1000)", "I(x/1e-04)", "I(x/0.001)", "I(x/123456.7)", "I(x/100000.5)", "I(x/2.5)", "I(x/0.1)"]);
  });

  it("abbreviates long coefficient names as R's abbreviate (lme4's correlation table)", () => {
    const names = ["poly(Days, 2)1", "poly(Days,2)1", "factor(age)10:SexMale", "I(Days^2)", "scale(Days)", "log(Reaction)", "poly(Days, 2, raw = TRUE)1", "I((Days - 4.5)/2)"];
    // R 4.2: abbreviate(names, 6) and abbreviate(names, 11).
    expect(abbreviate(names, 6)).toEqual(["poly(Days, 2)1", "poly(Days,2)1", "f()10:", "I(D^2)", "scl(D)", "lg(Rc)", "p(2r=T", "I((D-4"]);
    expect(abbreviate(names, 11)).toEqual(["poly(Days, 2)1", "poly(Days,2)1", "fctr()10:SM", "I(Days^2)", "scale(Days)", "log(Reactn)", "p(D,2,r=TRU", "I((D-4.5)/2"]);
  });

  it("prints the correlation of fixed effects as lme4 does for long names", async () => {
    const m = await lmer("Reaction ~ poly(Days, 2, raw=TRUE) + log1p(Days) + (1 | Subject)", await sleep());
    // R 4.2 / lme4: print(summary(m), correlation = TRUE), trailing spaces trimmed.
    expect(m.summary()).toContain(
      [
        "               (Intr) p(D,2,r=TRUE)1 p(D,2,r=TRUE)2",
        "p(D,2,r=TRUE)1  0.276",
        "p(D,2,r=TRUE)2 -0.217 -0.982",
        "log1p(Days)    -0.373 -0.977          0.926",
      ].join("\n"),
    );
  });

  it("parses deeply nested calls and parentheses without recursion", () => {
    const deep = `y ~ I(${"(".repeat(20000)}x${")".repeat(20000)}) + (1 | g)`;
    expect(parseFormula(deep).fixed.terms).toHaveLength(1);
    const nested = `y ~ ${"abs(".repeat(20000)}x${")".repeat(20000)} + (1 | g)`;
    expect(parseFormula(nested).fixed.terms).toHaveLength(1);
  });

  it("names an unsupported function and lists the supported ones", () => {
    const e = error(() => parseFormula("y ~ ns(x, 3) + (1 | g)"));
    expect(e.message).toMatch(/'ns'.*not supported.*log.*poly.*factor/);
  });

  it("refuses wrong arguments: arity, options, poly's degree, poly inside an expression", () => {
    expect(error(() => parseFormula("y ~ log(x, 2) + (1 | g)")).message).toMatch(/takes 1 argument/);
    expect(error(() => parseFormula("y ~ poly(x, raw = TRUE) + (1 | g)")).message).toMatch(/takes 2 arguments/);
    expect(error(() => parseFormula("y ~ poly(x, 2, orthogonal = TRUE) + (1 | g)")).message).toMatch(/no option 'orthogonal'.*raw/);
    expect(error(() => parseFormula("y ~ poly(x, 0) + (1 | g)")).message).toMatch(/degree/);
    expect(error(() => parseFormula("y ~ I(poly(x, 2)) + (1 | g)")).message).toMatch(/term of its own/);
    expect(error(() => parseFormula("y ~ factor(x + 1) + (1 | g)")).message).toMatch(/column name/);
  });

  it("reports a non-finite result naming the function, the column and the row", async () => {
    await expect(lmer("Reaction ~ log(Days) + (1 | Subject)", await sleep())).rejects.toThrow(/log\(\) of column 'Days' is not finite at data row 1/);
  });

  it("reports a non-finite result of arithmetic, also inside poly() and scale()", async () => {
    await expect(lmer("Reaction ~ I(1/Days) + (1 | Subject)", await sleep())).rejects.toThrow(/I\(1\/Days\) is not finite at data row 1 \(Infinity, from column\(s\) 'Days'\)/);
    await expect(lmer("Reaction ~ poly(1/Days, 2) + (1 | Subject)", await sleep())).rejects.toThrow(/poly\(1\/Days, 2\) is not finite at data row 1/);
  });

  it("refuses a function of a text column and a call as grouping factor", async () => {
    const ortho = await readCSV(join(DIR, "data", "orthodont.csv"));
    await expect(lmer("distance ~ log(Sex) + (1 | Subject)", ortho)).rejects.toThrow(/'Sex' holds text, so it cannot be used in log\(Sex\)/);
    await expect(lmer("Reaction ~ Days + (1 | factor(Subject))", await sleep())).rejects.toThrow(/grouping factor.*function call/);
  });

  it("keeps the offset in fitted values, residuals, simulations and the bootstrap, as lme4", async () => {
    const data = await sleep();
    const m = await lmer("Reaction ~ Days + offset(2 * Days) + (Days | Subject)", data);
    const y = data.columns.get("Reaction")!.values as Float64Array;
    m.fitted.forEach((f, i) => expect(f + m.residuals[i]).toBeCloseTo(y[i], 9));
    const pop = m.predict(undefined, { re: false });
    const days = data.columns.get("Days")!.values as Float64Array;
    pop.forEach((v, i) => expect(v).toBeCloseTo(m.fixef["(Intercept)"] + (m.fixef.Days + 2) * days[i], 9));
    const plain = await lmer("Reaction ~ Days + (Days | Subject)", data);
    const boot = await bootstrap(m, 3, { seed: 1 });
    const bootPlain = await bootstrap(plain, 3, { seed: 1 });
    // The offset moves the Days slope by exactly 2, in every bootstrap replicate too.
    boot.fixef.Days.forEach((v, i) => expect(v).toBeCloseTo(bootPlain.fixef.Days[i] - 2, 6));
  });

  it("refuses an offset inside an interaction or a random term", () => {
    expect(error(() => parseFormula("y ~ x * offset(z) + (1 | g)")).message).toMatch(/offset\(z\) can only be a term of its own/);
    expect(error(() => parseFormula("y ~ x + (offset(z) | g)")).message).toMatch(/offset\(z\) can only be a term of its own/);
  });

  it("gives marginal means of a function of a column on the grid of the column (emmeans: log1p at the mean age)", async () => {
    const data = await readCSV(join(DIR, "data", "orthodont.csv"));
    const m = await lmer("distance ~ Sex + log1p(age) + (1 | Subject)", data);
    const age = (data.columns.get("age") as { values: Float64Array }).values;
    const lage = { kind: "numeric" as const, values: age.map(Math.log1p) };
    const plain = await lmer("distance ~ Sex + lage + (1 | Subject)", { names: [...data.names, "lage"], columns: new Map([...data.columns, ["lage", lage]]), nrow: data.nrow });
    const meanAge = age.reduce((s, v) => s + v, 0) / age.length;
    const got = emmeans(m, "~ Sex", { ddf: "satterthwaite" }).rows;
    const want = emmeans(plain, "~ Sex", { ddf: "satterthwaite", at: { lage: [Math.log1p(meanAge)] } }).rows;
    got.forEach((row, i) => {
      for (const key of ["emmean", "SE", "df"]) expect(row[key] as number).toBeCloseTo(want[i][key] as number, 6);
    });
  });

  it("refuses poly's degree at or above the number of distinct values", async () => {
    await expect(lmer("Reaction ~ poly(Days, 10) + (1 | Subject)", await sleep())).rejects.toThrow(/degree must be less than the number of distinct values \(10\)/);
  });
});
