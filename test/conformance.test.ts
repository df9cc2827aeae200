// The conformance suite: every reference fit, every field, the documented tolerances.
import { beforeAll, describe, expect, it } from "vitest";
import { likelihoodRatioTest, lmer, readCSV, type LmerModel } from "../src/index.js";
import {
  LRT_CASES,
  MODEL_CASES,
  dataPath,
  expectClose,
  expectFixedEffectsMatch,
  expectObjectiveMatches,
  expectSatterthwaiteMatches,
  expectThetaSigmaMatch,
  type ModelCase,
} from "./reference-cases.js";

describe.each(MODEL_CASES.map((c) => [c.id, c] as const))("%s", (_id, ref: ModelCase) => {
  let m: LmerModel;
  beforeAll(async () => {
    m = await lmer(ref.formula, await readCSV(dataPath(ref)), { REML: ref.REML });
  });

  it("reaches lme4's optimum: objective equal or better, never far below", () => {
    expectObjectiveMatches(m, ref);
    expect(m.convergence.converged).toBe(true);
  });

  it("has the same observations, groups and parameter count", () => {
    expect(m.nobs).toBe(ref.nobs);
    expect(m.ngrps).toEqual(ref.ngrps);
    expect(m.npar).toBe(ref.npar);
    expect(m.thetaNames).toEqual(ref.theta_names);
    if (ref.dropped_rows !== undefined) expect(m.droppedRows).toBe(ref.dropped_rows);
  });

  it("matches fixed effects, standard errors, t values and vcov (relative 1e-4)", () => {
    expectFixedEffectsMatch(m, ref);
    const p = ref.vcov_beta.length;
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) {
        const scale = Math.sqrt(ref.vcov_beta[i][i] * ref.vcov_beta[j][j]);
        expect(Math.abs(m.vcov[i][j] - ref.vcov_beta[i][j])).toBeLessThanOrEqual(1e-4 * scale);
      }
    }
  });

  it("matches theta (up to column sign), sigma and the variance components", () => {
    expectThetaSigmaMatch(m, ref);
    expect(m.varcorr.map((r) => [r.grp, r.var1, r.var2])).toEqual(ref.varcorr.map((r) => [r.grp, r.var1, r.var2]));
    ref.varcorr.forEach((r, i) => {
      const got = m.varcorr[i];
      const what = `varcorr ${r.grp} ${r.var1} ${r.var2 ?? ""}`;
      if (r.var2 !== null) {
        expect(Math.abs(got.sdcor - r.sdcor), `${what} correlation`).toBeLessThanOrEqual(1e-4);
        const sdScale = Math.sqrt(Math.abs(r.vcov / r.sdcor));
        expectClose(got.vcov, r.vcov, 1e-3, sdScale * sdScale * 1e-2, `${what} covariance`);
      } else if (r.sdcor < 1e-3 * ref.sigma) {
        expect(got.sdcor, `${what} (singular)`).toBeLessThanOrEqual(1e-3 * ref.sigma);
      } else {
        expectClose(got.vcov, r.vcov, 1e-3, 0, `${what} variance`);
        expectClose(got.sdcor, r.sdcor, 1e-3, 0, `${what} sd`);
      }
    });
    expect(m.singular).toBe(ref.singular);
  });

  it("matches logLik, AIC and BIC beyond what the objective difference explains", () => {
    const dObj = m.objective - ref.objective;
    expect(Math.abs(m.logLik - ref.logLik + dObj / 2)).toBeLessThanOrEqual(1e-4);
    expect(Math.abs(m.AIC - ref.AIC - dObj)).toBeLessThanOrEqual(1e-4);
    expect(Math.abs(m.BIC - ref.BIC - dObj)).toBeLessThanOrEqual(1e-4);
  });

  it("matches the conditional modes (relative 1e-3 of each column's largest mode)", () => {
    expect(Object.keys(m.ranef)).toEqual(Object.keys(ref.ranef));
    for (const [grp, table] of Object.entries(ref.ranef)) {
      expect(m.ranef[grp].levels).toEqual(table.levels.map(String));
      for (const [col, values] of Object.entries(table)) {
        if (col === "levels") continue;
        const ours = m.ranef[grp][col] as number[];
        expect(ours, `ranef ${grp} ${col}`).toBeDefined();
        const scale = Math.max(...(values as number[]).map(Math.abs));
        (values as number[]).forEach((v, i) => {
          expect(Math.abs(ours[i] - v), `ranef ${grp} ${col} [${table.levels[i]}]`).toBeLessThanOrEqual(1e-3 * scale + 1e-3 * ref.sigma * (scale === 0 ? 1 : 0));
        });
      }
    }
  });

  it("matches fitted values and residuals (to 1e-3 of sigma)", () => {
    expect(m.fitted.length).toBe(ref.fitted.length);
    ref.fitted.forEach((v, i) => expect(Math.abs(m.fitted[i] - v)).toBeLessThanOrEqual(1e-3 * ref.sigma));
    ref.residuals.forEach((v, i) => expect(Math.abs(m.residuals[i] - v)).toBeLessThanOrEqual(1e-3 * ref.sigma));
  });

  it.runIf(ref.satterthwaite !== undefined)("matches lmerTest's Satterthwaite df (relative 1e-3) and p-values (relative 1e-3 or absolute 1e-8)", () => {
    expectSatterthwaiteMatches(m.satterthwaite, ref);
  });

  it("emits the reference fields in toJSON()", () => {
    const j = m.toJSON();
    for (const k of ["fixef", "se", "t", "vcov_beta", "theta", "sigma", "varcorr", "objective", "logLik", "npar", "AIC", "BIC", "nobs", "ngrps", "singular", "ranef", "fitted", "residuals", "satterthwaite"]) {
      expect(j, k).toHaveProperty(k);
    }
    expect(JSON.parse(JSON.stringify(j)).fixef).toEqual(m.fixef);
  });
});

describe.each(LRT_CASES.map((c) => [c.id, c] as const))("%s (likelihood-ratio test)", (_id, ref) => {
  it("matches lme4's anova(m0, m1): both models refitted by ML, Chisq, Df and p", async () => {
    const data = await readCSV(dataPath(ref));
    // Given in the larger-first order and fitted by REML: the test must reorder and refit.
    const lrt = await likelihoodRatioTest(await lmer(ref.formula1, data), await lmer(ref.formula0, data));
    expect(lrt.note).toMatch(/ML/);
    expect(lrt.rows.map((r) => r.formula)).toEqual([ref.formula0, ref.formula1]);
    expect(lrt.rows.map((r) => r.npar)).toEqual(ref.npar);
    lrt.rows.forEach((row, k) => {
      expect(row.deviance).toBeLessThanOrEqual(ref.deviance[k] + 1e-6 * Math.abs(ref.deviance[k]));
      const d = row.deviance - ref.deviance[k];
      expect(Math.abs(d)).toBeLessThanOrEqual(1e-3);
      expect(Math.abs(row.logLik - ref.logLik[k] + d / 2)).toBeLessThanOrEqual(1e-4);
      expect(Math.abs(row.AIC - ref.AIC[k] - d)).toBeLessThanOrEqual(1e-4);
      expect(Math.abs(row.BIC - ref.BIC[k] - d)).toBeLessThanOrEqual(1e-4);
    });
    const [first, test] = lrt.rows;
    expect([first.Chisq, first.Df, first["Pr(>Chisq)"]]).toEqual([null, null, null]);
    expect(Math.abs(test.Chisq! - ref.chisq)).toBeLessThanOrEqual(1e-3);
    expect(test.Df).toBe(ref.df);
    expect(Math.abs(test["Pr(>Chisq)"]! - ref.p)).toBeLessThanOrEqual(Math.max(1e-3 * ref.p, 1e-8));
  });

  it("refuses models fitted to different rows", async () => {
    const data = await readCSV(dataPath(ref));
    const m0 = await lmer(ref.formula0, data);
    const firstColumn = data.names[0];
    const col = data.columns.get(firstColumn)!;
    if (col.kind === "numeric") col.values[0] = NaN; // one missing response or covariate drops a row
    else col.values[0] = null;
    const m1 = await lmer(ref.formula1, data);
    await expect(likelihoodRatioTest(m0, m1)).rejects.toThrow(/different data/);
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
