// Prior weights and the offset option (issue 12, part 3): every reference fit of
// scripts/make-weights-reference.R (lme4 with weights =, offset =; lmerTest's
// Satterthwaite and pbkrtest's Kenward-Roger df), and the bad input around them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { lmer, readCSV, type LmerModel } from "../src/index.js";
import { formatSummary } from "../src/output/summary.js";
import { expectClose, expectObjectiveMatches, expectThetaSigmaMatch, type ModelCase } from "./reference-cases.js";

interface WeightsCase {
  id: string;
  data: string;
  formula: string;
  REML: boolean;
  weights: string | null;
  offset: string | null;
  coef_names: string[];
  fixef: Record<string, number>;
  se: Record<string, number>;
  theta: number[] | number;
  sigma: number;
  objective: number;
  logLik: number;
  nobs: number;
  scaled_residuals: number[];
  df_satterthwaite: Record<string, number>;
  df_kenward_roger?: Record<string, number>;
  newdata?: Record<string, number | string>[];
  predict?: number[];
  predict_population?: number[];
}

const DIR = join(import.meta.dirname, "reference-weights");
const CASES: WeightsCase[] = readdirSync(join(DIR, "cases"))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(DIR, "cases", f), "utf8")));

describe.each(CASES.map((c) => [c.id, c] as const))("%s", (_id, ref) => {
  let m: LmerModel;
  beforeAll(async () => {
    const options = { REML: ref.REML, ...(ref.weights && { weights: ref.weights }), ...(ref.offset && { offset: ref.offset }) };
    m = await lmer(ref.formula, await readCSV(join(DIR, "data", ref.data)), options);
  });
  const asCase = () => ({ ...ref, theta: [ref.theta].flat() }) as unknown as ModelCase;

  it("reaches lme4's optimum, with the weights' term in the objective and logLik", () => {
    expectObjectiveMatches(m, asCase());
    expectClose(m.logLik, ref.logLik, 1e-7, 1, "logLik");
    expect(m.nobs).toBe(ref.nobs);
  });

  it("matches fixed effects and standard errors (relative 1e-4), theta and sigma", () => {
    expect(m.coefNames).toEqual(ref.coef_names);
    for (const k of ref.coef_names) {
      expectClose(m.fixef[k], ref.fixef[k], 1e-4, 1e-2, `fixef ${k}`);
      expectClose(m.se[k], ref.se[k], 1e-4, 1e-2, `se ${k}`);
    }
    expectThetaSigmaMatch(m, asCase());
  });

  it("has lmerTest's Satterthwaite df and pbkrtest's Kenward-Roger df of the equivalent scaled rows (relative 1e-3)", () => {
    for (const k of ref.coef_names) expectClose(m.satterthwaite.df[k], ref.df_satterthwaite[k], 1e-3, 0.01, `Satterthwaite df ${k}`);
    if (ref.df_kenward_roger) for (const k of ref.coef_names) expectClose(m.kenwardRoger.df[k], ref.df_kenward_roger[k], 1e-3, 0.01, `KR df ${k}`);
  });

  it("summarises the Pearson residuals over sigma, as lme4's summary", () => {
    const line = formatSummary(m).split("\n").findIndex((l) => l.startsWith("Scaled residuals"));
    const printed = formatSummary(m).split("\n")[line + 2].trim().split(/\s+/).map(Number);
    printed.forEach((v, i) => expectClose(v, ref.scaled_residuals[i], 1e-3, 0.1, `scaled residual quantile ${i}`));
  });

  it.runIf(ref.newdata)("predicts new data as lme4 (the weights do not enter predictions)", () => {
    Array.from(m.predict(ref.newdata!)).forEach((v, i) => expectClose(v, ref.predict![i], 1e-5, 100, `predict[${i}]`));
    Array.from(m.predict(ref.newdata!, { re: false })).forEach((v, i) => expectClose(v, ref.predict_population![i], 1e-5, 100, `population predict[${i}]`));
  });
});

describe("weights and offset options: output and bad input", () => {
  const sleep = () => readCSV(join(DIR, "data", "sleepstudy.csv"));

  it("the summary names them as lme4 does", async () => {
    const m = await lmer("Reaction ~ Days + (1 | Subject)", await sleep(), { weights: "w", offset: "o" });
    expect(formatSummary(m).split("\n").slice(2, 4)).toEqual(["Weights: w", " Offset: o"]);
  });

  it("an array gives the same fit as the column, and a missing weight drops its row", async () => {
    const data = await sleep();
    const w = Float64Array.from(data.columns.get("w")!.values as Float64Array);
    const byColumn = await lmer("Reaction ~ Days + (1 | Subject)", data, { weights: "w" });
    const byArray = await lmer("Reaction ~ Days + (1 | Subject)", data, { weights: w });
    expect(byArray.objective).toBe(byColumn.objective);
    w[3] = NaN;
    const dropped = await lmer("Reaction ~ Days + (1 | Subject)", data, { weights: w });
    expect(dropped.nobs).toBe(179);
    expect(dropped.design.droppedRows).toBe(1);
  });

  it("the offset option adds to offset() terms and enters predictions of new data by its column", async () => {
    const data = await sleep();
    const m = await lmer("Reaction ~ Days + (1 | Subject)", data, { offset: "o" });
    const newdata = [{ Days: 2, Subject: "308", o: 10 }, { Days: 2, Subject: "308", o: 0 }];
    const [a, b] = m.predict(newdata);
    expectClose(a - b, 10, 1e-12, 1, "offset difference");
    const arrayOffset = await lmer("Reaction ~ Days + (1 | Subject)", data, { offset: new Float64Array(data.nrow) });
    expect(() => arrayOffset.predict(newdata)).toThrow(/give the offset as a column name/);
  });

  it("bad weights and offsets are refused, naming the problem and the fix", async () => {
    const data = await sleep();
    const f = "Reaction ~ Days + (1 | Subject)";
    await expect(lmer(f, data, { weights: "nope" })).rejects.toThrow(/Unknown column 'nope' given as weights/);
    await expect(lmer(f, data, { weights: "Subject", offset: "Subjekt" })).rejects.toThrow(/Unknown column 'Subjekt' given as offset/);
    await expect(lmer(f, data, { weights: [1, 2, 3] })).rejects.toThrow(/weights array has 3 values for 180 data rows/);
    const zero = new Float64Array(data.nrow).fill(1);
    zero[5] = 0;
    await expect(lmer(f, data, { weights: zero })).rejects.toThrow(/weights must be positive, but data row 6 has weight 0/);
    const inf = new Float64Array(data.nrow);
    inf[0] = Infinity;
    await expect(lmer(f, data, { offset: inf })).rejects.toThrow(/offset hold Infinity at data row 1/);
    await expect(lmer(f, data, { weights: 3 as never })).rejects.toThrow(/weights must be a column name or an array of numbers/);
  });
});
