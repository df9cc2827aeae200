// Contrasts and level order (issue 12, parts 4 and 8): every reference fit of
// scripts/make-contrasts-reference.R (lme4/lmerTest with contr.treatment,
// contr.sum, contr.helmert, contr.poly; levels sorted as R in en_US.UTF-8 and in
// the C locale) - coefficient names, estimates, type III F tests, marginal means
// and predictions - and R's own sort of tricky strings; then the invariance of
// marginal means and type III tests to the coding, and bad input.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { emmeans, emtrends, lmer, LmmError, readCSV, update, type LmerModel } from "../src/index.js";
import { contrastMatrix } from "../src/model/contrasts.js";
import { makeFactor } from "../src/model/factor.js";
import type { DesignOptions } from "../src/model/design.js";
import { expectClose, expectObjectiveMatches, expectThetaSigmaMatch, type ModelCase } from "./reference-cases.js";

interface ContrastCase {
  id: string;
  data: string;
  formula: string;
  REML: boolean;
  options: DesignOptions;
  levels: Record<string, string[]>;
  coef_names: string[];
  fixef: Record<string, number>;
  se: Record<string, number>;
  theta: number[];
  sigma: number;
  objective: number;
  nobs: number;
  anova: { term: string[]; F: number[]; NumDF: number[]; DenDF: number[]; p: number[] };
  newdata: Record<string, number | string>[];
  predict: number[];
  predict_population: number[];
  emmeans?: { specs: string; rows: Record<string, string | number>[] };
}

const DIR = join(import.meta.dirname, "reference-contrasts");
const CASES: ContrastCase[] = readdirSync(join(DIR, "cases"))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(DIR, "cases", f), "utf8")));
const data = (file: string) => readCSV(join(DIR, "data", file));

describe.each(CASES.map((c) => [c.id, c] as const))("%s", (_id, ref) => {
  let m: LmerModel;
  beforeAll(async () => {
    m = await lmer(ref.formula, await data(ref.data), { REML: ref.REML, ...ref.options });
  });

  it("reaches lme4's optimum, with R's levels", () => {
    expectObjectiveMatches(m, ref as unknown as ModelCase);
    expect(m.nobs).toBe(ref.nobs);
    for (const [name, levels] of Object.entries(ref.levels)) expect(m.design.factorLevels![name]).toEqual(levels);
  });

  it("names the coefficients as R's model.matrix", () => {
    expect(m.coefNames).toEqual(ref.coef_names);
  });

  it("matches fixed effects and standard errors (relative 1e-4), theta and sigma", () => {
    for (const k of ref.coef_names) {
      expectClose(m.fixef[k], ref.fixef[k], 1e-4, 1e-2, `fixef ${k}`);
      expectClose(m.se[k], ref.se[k], 1e-4, 1e-2, `se ${k}`);
    }
    expectThetaSigmaMatch(m, ref as unknown as ModelCase);
  });

  it("matches lmerTest's type III anova (F and df to relative 1e-3)", () => {
    const rows = m.anova();
    expect(rows.map((r) => r.term)).toEqual(ref.anova.term);
    rows.forEach((r, i) => {
      expectClose(r.F, ref.anova.F[i], 1e-3, 0, `F ${r.term}`);
      expect(r.numDF).toBe(ref.anova.NumDF[i]);
      expectClose(r.denDF, ref.anova.DenDF[i], 1e-3, 0, `DenDF ${r.term}`);
      expect(Math.abs(r.p - ref.anova.p[i])).toBeLessThanOrEqual(Math.max(1e-3 * ref.anova.p[i], 1e-8));
    });
  });

  it("predicts new data with the fit's contrasts, as lme4's predict(m, newdata) (relative 1e-5)", () => {
    const scale = Math.max(...ref.predict.map(Math.abs));
    Array.from(m.predict(ref.newdata)).forEach((v, i) => expectClose(v, ref.predict[i], 1e-5, scale, `predict[${i}]`));
    Array.from(m.predict(ref.newdata, { re: false })).forEach((v, i) => expectClose(v, ref.predict_population[i], 1e-5, scale, `population predict[${i}]`));
  });

  it.runIf(ref.emmeans)("gives emmeans' marginal means (Satterthwaite df)", () => {
    const { specs, rows } = ref.emmeans!;
    const got = emmeans(m, specs, { ddf: "satterthwaite" }).rows;
    expect(got.length).toBe(rows.length);
    rows.forEach((r, i) => {
      const v = specs.replace("~", "").trim();
      expect(String(got[i][v])).toBe(String(r[v]));
      expectClose(got[i].emmean as number, r.emmean as number, 1e-4, 1e-2, `emmean ${r[v]}`);
      expectClose(got[i].SE as number, r.SE as number, 1e-4, 0, `SE ${r[v]}`);
      expectClose(got[i].df as number, r.df as number, 1e-3, 0, `df ${r[v]}`);
    });
  });
});

describe("the coding does not change what is estimated", () => {
  const codings = ["treatment", "sum", "helmert", "poly"] as const;
  const formula = "angle ~ recipe * temp + (1 | recipe:replicate)";
  let fits: LmerModel[];
  beforeAll(async () => {
    const cake = await data("cake.csv");
    fits = await Promise.all(codings.map((c) => lmer(formula, cake, { factors: ["temp"], contrasts: { recipe: c, temp: c } })));
  });

  it("marginal means, their SEs and df are the same in every coding", () => {
    expect(fits.map((m) => m.coefNames[1])).toEqual(["recipeB", "recipe1", "recipe1", "recipe.L"]);
    for (const specs of ["~ recipe", "~ temp", "~ recipe | temp"]) {
      const [base, ...others] = fits.map((m) => emmeans(m, specs, { ddf: "satterthwaite" }).rows);
      expect(base.length).toBeGreaterThanOrEqual(3);
      for (const rows of others) {
        rows.forEach((r, i) => {
          expectClose(r.emmean as number, base[i].emmean as number, 1e-8, 1, `${specs} emmean ${i}`);
          expectClose(r.SE as number, base[i].SE as number, 1e-6, 0, `${specs} SE ${i}`);
          expectClose(r.df as number, base[i].df as number, 1e-5, 0, `${specs} df ${i}`);
        });
      }
    }
  });

  it("trends are the same in every coding", async () => {
    const chick = await data("chickweight.csv");
    const trends = await Promise.all(
      codings.map(async (c) => emtrends(await lmer("weight ~ Time * Diet + (Time | Chick)", chick, { factors: ["Diet"], contrasts: { Diet: c } }), "~ Diet", { var: "Time", ddf: "satterthwaite" }).rows),
    );
    expect(trends[0]).toHaveLength(4);
    for (const rows of trends.slice(1)) {
      rows.forEach((r, i) => {
        expectClose(r["Time.trend"] as number, trends[0][i]["Time.trend"] as number, 1e-7, 1, `trend ${i}`);
        expectClose(r.SE as number, trends[0][i].SE as number, 1e-6, 0, `SE ${i}`);
      });
    }
  });

  it("type III F tests and predictions are the same in every coding", () => {
    const base = fits[0].anova();
    const newdata = [{ recipe: "C", temp: 205, replicate: 2 }];
    for (const m of fits.slice(1)) {
      m.anova().forEach((r, i) => expectClose(r.F, base[i].F, 1e-6, 0, `F ${r.term}`));
      expectClose(m.predict(newdata)[0], fits[0].predict(newdata)[0], 1e-8, 1, "predict");
    }
  });

  it("update() keeps the contrasts, and drops those of a factor the new formula drops (as R)", async () => {
    const m = fits[1];
    const ml = await update(m, { REML: false });
    expect(ml.coefNames).toEqual(m.coefNames);
    const smaller = await update(m, { formula: "angle ~ temp + (1 | recipe:replicate)" });
    expect(smaller.coefNames).toEqual(["(Intercept)", "temp1", "temp2", "temp3", "temp4", "temp5"]);
    const recoded = await update(m, { contrasts: { recipe: "poly" } });
    expect(recoded.coefNames.slice(0, 3)).toEqual(["(Intercept)", "recipe.L", "recipe.Q"]);
  });

  it("keeps treatment contrasts in the random effects, as lme4", async () => {
    const m = await lmer("angle ~ recipe + (recipe | replicate)", await data("cake.csv"), { contrasts: { recipe: "sum" } });
    expect(m.coefNames).toEqual(["(Intercept)", "recipe1", "recipe2"]);
    expect(m.design.terms[0].names).toEqual(["(Intercept)", "recipeB", "recipeC"]);
  });
});

describe("contrast matrices as R computes them", () => {
  const rows = (c: { columns: Float64Array[] }, k: number) => Array.from({ length: k }, (_, l) => c.columns.map((col) => col[l]));

  it("contr.treatment, contr.sum and contr.helmert", () => {
    const lv = ["a", "b", "c", "d"];
    expect(rows(contrastMatrix("f", "treatment", lv), 4)).toEqual([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(rows(contrastMatrix("f", "sum", lv), 4)).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, -1, -1]]);
    expect(rows(contrastMatrix("f", "helmert", lv), 4)).toEqual([[-1, -1, -1], [1, -1, -1], [0, 2, -1], [0, 0, 3]]);
    expect(contrastMatrix("f", "treatment", lv).suffixes).toEqual(["b", "c", "d"]);
    expect(contrastMatrix("f", "helmert", lv).suffixes).toEqual(["1", "2", "3"]);
  });

  it("contr.poly: orthonormal polynomials on 1..k, R's values and names", () => {
    // R: contr.poly(5)
    const R = [
      [-0.632455532033676, 0.534522483824849, -0.316227766016838, 0.119522860933439],
      [-0.316227766016838, -0.267261241912424, 0.632455532033676, -0.478091443733757],
      [0, -0.534522483824849, 0, 0.717137165600636],
      [0.316227766016838, -0.267261241912424, -0.632455532033676, -0.478091443733757],
      [0.632455532033676, 0.534522483824849, 0.316227766016838, 0.119522860933439],
    ];
    const c = contrastMatrix("f", "poly", ["1", "2", "3", "4", "5"]);
    rows(c, 5).forEach((row, l) => row.forEach((v, j) => expect(v).toBeCloseTo(R[l][j], 13)));
    expect(c.suffixes).toEqual([".L", ".Q", ".C", "^4"]);
  });
});

describe("level order of text columns", () => {
  const collation = JSON.parse(readFileSync(join(DIR, "collation.json"), "utf8")) as { strings: string[]; "en_US.UTF_8": string[]; C: string[] };
  const levels = (values: string[], order?: "english" | "codepoint") =>
    makeFactor("v", { kind: "text", values }, Int32Array.from(values, (_, i) => i), undefined, order).levels;

  it("sorts as R in en_US.UTF-8 by default: mixed case, digits, punctuation, spaces, accents", () => {
    expect(levels(collation.strings)).toEqual(collation["en_US.UTF_8"]);
  });

  it("sorts as R in the C locale with levelOrder 'codepoint'", () => {
    expect(levels(collation.strings, "codepoint")).toEqual(collation.C);
  });
});

describe("contrasts and level order: bad input", () => {
  const error = async (options: object): Promise<string> => {
    const cake = await data("cake.csv");
    const e = await lmer("angle ~ recipe + temp + (1 | replicate)", cake, options as DesignOptions).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(LmmError);
    return (e as LmmError).message;
  };

  it("names an unknown coding and the choices", async () => {
    expect(await error({ contrasts: { recipe: "deviation" } })).toMatch(/Unknown contrasts 'deviation' for 'recipe': choose 'treatment', 'sum', 'helmert', 'poly'/);
    expect(await error({ contrasts: { recipe: 3 } })).toMatch(/Unknown contrasts '3' for 'recipe'/);
  });

  it("accepts R's function names", async () => {
    const m = await lmer("angle ~ recipe + (1 | replicate)", await data("cake.csv"), { contrasts: { recipe: "contr.helmert" as "helmert" } });
    expect(m.coefNames).toEqual(["(Intercept)", "recipe1", "recipe2"]);
  });

  it("names a contrasts entry that is not a factor of the fixed effects", async () => {
    expect(await error({ contrasts: { temp: "sum" } })).toMatch(/^contrasts are given for 'temp', which is numeric in the model: treat it as a factor first \(option factors, --factor temp\)\.$/);
    expect(await error({ contrasts: { Recipe: "sum" } })).toMatch(/^contrasts are given for 'Recipe', which is not a factor of the fixed effects \(those are 'recipe'\)\.$/);
    expect(await error({ contrasts: { replicate: "sum" } })).toMatch(/'replicate', which is not a factor of the fixed effects/);
  });

  it("asks for factor(Diet) when the formula uses it", async () => {
    const e = await lmer("weight ~ Time + factor(Diet) + (1 | Chick)", await data("chickweight.csv"), { contrasts: { Diet: "sum" } }).catch((err: unknown) => err);
    expect((e as LmmError).message).toMatch(/^contrasts are given for 'Diet', but the formula uses it as 'factor\(Diet\)': name the contrasts 'factor\(Diet\)', as R does\.$/);
  });

  it("checks the option types", async () => {
    expect(await error({ contrasts: "sum" })).toMatch(/contrasts must be an object/);
    expect(await error({ levelOrder: "locale" })).toMatch(/Unknown levelOrder 'locale'.*english or codepoint/);
  });
});
