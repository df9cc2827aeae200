// Loading the reference fits (test/reference, synced from ../shared/reference,
// and test/reference-extra) and the tolerances of test/reference/README.md.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { LmerJSON, LmerModel } from "../src/index.js";

/** A reference fit: the JSON contract's fields, plus where its data lives. */
export interface ModelCase
  extends Pick<
    LmerJSON,
    "formula" | "REML" | "nobs" | "ngrps" | "fixef" | "se" | "t" | "vcov_beta" | "theta" | "theta_names" | "sigma" | "varcorr"
    | "objective" | "logLik" | "npar" | "AIC" | "BIC" | "singular" | "fitted" | "residuals"
  > {
  id: string;
  dir: string;
  data: string;
  /** R writes level names that look like numbers as numbers. */
  ranef: Record<string, Record<string, (number | string)[]>>;
  dropped_rows?: number;
  satterthwaite?: { df: Record<string, number>; p: Record<string, number> };
}

export interface LrtCase {
  id: string;
  dir: string;
  data: string;
  formula0: string;
  formula1: string;
  npar: number[];
  AIC: number[];
  BIC: number[];
  logLik: number[];
  deviance: number[];
  chisq: number;
  df: number;
  p: number;
}

const ROOTS = ["reference", "reference-extra"].map((d) => join(import.meta.dirname, d)).filter((d) => existsSync(join(d, "cases")));

/** R's JSON writer unboxes length-one vectors; the contract is arrays. */
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function normalise(c: Record<string, unknown>): void {
  for (const k of ["theta", "theta_names", "fitted", "residuals"]) if (k in c) c[k] = asArray(c[k]);
  if (c.vcov_beta !== undefined) c.vcov_beta = asArray(c.vcov_beta as number[][]).map((r) => asArray(r));
  const ranef = c.ranef as Record<string, Record<string, unknown>> | undefined;
  for (const g of Object.values(ranef ?? {})) for (const k of Object.keys(g)) g[k] = asArray(g[k]);
}

function load(): { models: ModelCase[]; lrts: LrtCase[] } {
  const models: ModelCase[] = [];
  const lrts: LrtCase[] = [];
  for (const root of ROOTS) {
    for (const f of readdirSync(join(root, "cases")).sort()) {
      if (!f.endsWith(".json")) continue;
      const c = JSON.parse(readFileSync(join(root, "cases", f), "utf8"));
      c.id ??= f.replace(/\.json$/, "");
      c.dir = root;
      normalise(c);
      if ("formula0" in c) lrts.push(c);
      else models.push(c);
    }
  }
  return { models, lrts };
}

export const { models: MODEL_CASES, lrts: LRT_CASES } = load();

/** The cases of a reference set written one JSON file a case (<dir>/cases/*.json), in file-name order. */
export function readCases<T>(dir: string): T[] {
  return readdirSync(join(dir, "cases"))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, "cases", f), "utf8")) as T);
}

export const dataPath = (c: { dir: string; data: string }) => join(c.dir, "data", c.data);

/** |a - b| <= rel * max(|b|, floor). */
export function expectClose(actual: number, expected: number, rel: number, floor: number, what: string): void {
  const tol = rel * Math.max(Math.abs(expected), floor);
  if (!(Math.abs(actual - expected) <= tol)) {
    expect.fail(`${what}: got ${actual}, expected ${expected} (tolerance ${tol.toExponential(2)})`);
  }
}

/** The numbers of a fit that the Node and browser suites compare alike (a model or its JSON). */
export interface FitNumbers {
  fixef: Record<string, number>;
  se: Record<string, number>;
  t: Record<string, number>;
  theta: number[];
  sigma: number;
  objective: number;
}

/** The objective equals lme4's or is better, and never far below it (that would be another model). */
export function expectObjectiveMatches(fit: FitNumbers, ref: ModelCase): void {
  expect(fit.objective).toBeLessThanOrEqual(ref.objective + 1e-6 * Math.max(1, Math.abs(ref.objective)));
  expect(fit.objective).toBeGreaterThan(ref.objective - 1e-3);
}

/** Fixed effects, standard errors and t values to relative 1e-4 (absolute 1e-6 near zero). */
export function expectFixedEffectsMatch(fit: FitNumbers, ref: ModelCase): void {
  expect(Object.keys(fit.fixef)).toEqual(Object.keys(ref.fixef));
  for (const k of Object.keys(ref.fixef)) {
    expectClose(fit.fixef[k], ref.fixef[k], 1e-4, 1e-2, `fixef ${k}`);
    expectClose(fit.se[k], ref.se[k], 1e-4, 1e-2, `se ${k}`);
    expectClose(fit.t[k], ref.t[k], 1e-4, 1e-2, `t ${k}`);
  }
}

/** Fixed effects and standard errors of the coefficients R names, to relative 1e-4 (absolute 1e-6 near zero). */
export function expectFixefSeMatch(
  fit: Pick<FitNumbers, "fixef" | "se">,
  ref: { coef_names: string[]; fixef: Record<string, number>; se: Record<string, number> },
): void {
  for (const k of ref.coef_names) {
    expectClose(fit.fixef[k], ref.fixef[k], 1e-4, 1e-2, `fixef ${k}`);
    expectClose(fit.se[k], ref.se[k], 1e-4, 1e-2, `se ${k}`);
  }
}

/** lme4's predict(m, newdata) and predict(m, newdata, re.form = NA), to relative 1e-5 of the largest prediction. */
export function expectPredictionsMatch(
  fit: LmerModel,
  ref: { newdata: Record<string, number | string>[]; predict: number[]; predict_population: number[] },
): void {
  const scale = Math.max(...ref.predict.map(Math.abs));
  Array.from(fit.predict(ref.newdata)).forEach((v, i) => expectClose(v, ref.predict[i], 1e-5, scale, `predict[${i}]`));
  Array.from(fit.predict(ref.newdata, { re: false })).forEach((v, i) =>
    expectClose(v, ref.predict_population[i], 1e-5, scale, `population predict[${i}]`),
  );
}

/** theta up to the sign of a column (relative 1e-3 of the largest entry) and sigma (relative 1e-3). */
export function expectThetaSigmaMatch(fit: FitNumbers, ref: ModelCase): void {
  const largest = Math.max(...ref.theta.map(Math.abs));
  ref.theta.forEach((v, i) => expectClose(Math.abs(fit.theta[i]), Math.abs(v), 1e-3, 1e-2 * largest, `theta[${i}]`));
  expectClose(fit.sigma, ref.sigma, 1e-3, 0, "sigma");
}

/** lmerTest's Satterthwaite df to relative 1e-3, p-values to relative 1e-3 or absolute 1e-8. */
export function expectSatterthwaiteMatches(got: { df: Record<string, number>; p: Record<string, number> }, ref: ModelCase): void {
  for (const [k, v] of Object.entries(ref.satterthwaite!.df)) expectClose(got.df[k], v, 1e-3, 0, `df ${k}`);
  for (const [k, v] of Object.entries(ref.satterthwaite!.p)) {
    expect(Math.abs(got.p[k] - v), `p ${k}: ${got.p[k]} vs ${v}`).toBeLessThanOrEqual(Math.max(1e-3 * v, 1e-8));
  }
}
