// Confidence intervals against lme4's confint(m, method = "profile") and
// confint(m, method = "Wald") in the reference fits, plus boundary cases and the
// exactness of the profile ends.
import { beforeAll, describe, expect, it } from "vitest";
import { lmer, readCSV, type LmerModel } from "../src/index.js";
import { profileConfint, waldConfint, type ConfintRow } from "../src/inference/confint.js";
import { Profile } from "../src/inference/profile.js";
import { MODEL_CASES, dataPath, expectClose, type ModelCase } from "./reference-cases.js";

type CaseWithConfint = ModelCase & { confint_profile?: ConfintRow[]; confint_wald?: ConfintRow[] };
const CASES = (MODEL_CASES as CaseWithConfint[]).filter((c) => c.confint_profile && c.confint_wald);

const Z95 = 1.959963984540054;

/**
 * Reference ends that are not where lme4's own deviance puts them. The
 * orthodont profile of sigma: lme4's spline through its profile points (at the
 * reference's optimiser settings) gives 1.580485, where zeta is 1.906; the
 * crossing of zeta = 1.96 is at 1.588388 (checked in R by minimising lme4's own
 * devfun2 over the other parameters from several starts: zeta(1.588388) =
 * 1.959964; lme4 at default settings reports 1.58849). Checked against the
 * exact crossing instead.
 */
const EXACT_OVERRIDES: Record<string, number> = {
  "orthodont_agesex_ml sigma upper": 1.588388077,
  "orthodont_agesex_reml sigma upper": 1.588388077,
};

/**
 * Relative 1e-3 (the reference README's tolerance for profile intervals), of the
 * value or, for an end near 0, of the interval's width: near a boundary the
 * profile is flat and lme4's spline places the crossing only roughly
 * (orthodont's sd_(Intercept) lower end is 0.0012415 exactly, 0.0012668 by lme4,
 * where zeta differs by 3e-5).
 */
function checkProfile(id: string, got: ConfintRow[], ref: ConfintRow[]): void {
  expect(got.map((r) => r.name)).toEqual(ref.map((r) => r.name));
  ref.forEach((r, i) => {
    const width = Math.abs(r.upper - r.lower);
    for (const end of ["lower", "upper"] as const) {
      const key = `${id} ${r.name} ${end}`;
      const expected = EXACT_OVERRIDES[key] ?? r[end];
      expectClose(got[i][end], expected, 1e-3, Number.isFinite(width) ? width : 0, key);
    }
  });
}

describe.each(CASES.map((c) => [c.id, c] as const))("%s", (id, ref: CaseWithConfint) => {
  let m: LmerModel;
  beforeAll(async () => {
    m = await lmer(ref.formula, await readCSV(dataPath(ref)), { REML: ref.REML });
  });

  it("Wald intervals of the fixed effects match lme4 (relative 1e-4)", () => {
    const got = waldConfint(m);
    expect(got.map((r) => r.name)).toEqual(ref.confint_wald!.map((r) => r.name));
    ref.confint_wald!.forEach((r, i) => {
      expectClose(got[i].lower, r.lower, 1e-4, 1e-2, `${r.name} lower`);
      expectClose(got[i].upper, r.upper, 1e-4, 1e-2, `${r.name} upper`);
    });
  });

  it("profile intervals match lme4 (names, order, relative 1e-3), each well under a second", async () => {
    const t0 = performance.now();
    const got = await profileConfint(m);
    const perInterval = (performance.now() - t0) / got.length;
    checkProfile(id, got, ref.confint_profile!);
    expect(perInterval).toBeLessThan(250);
  });
});

describe("profile intervals at a boundary (lme4 1.1-31 confint at default settings)", () => {
  // A singular fit: the sd's estimate is 0, so is its lower end.
  it("dyestuff2 (singular): sd lower end 0", async () => {
    const c = MODEL_CASES.find((x) => x.id === "dyestuff2_singular_reml")!;
    const m = await lmer(c.formula, await readCSV(dataPath(c)), { REML: c.REML });
    checkProfile(c.id, await profileConfint(m), [
      { name: "sd_(Intercept)|Batch", lower: 0, upper: 2.0840435 },
      { name: "sigma", lower: 2.892831, upper: 4.8158326 },
      { name: "(Intercept)", lower: 4.3121002, upper: 7.0190923 },
    ]);
  });

  it("pastes (nested, batch sd at 0): lower end 0", async () => {
    const c = MODEL_CASES.find((x) => x.id === "pastes_nested_reml")!;
    const m = await lmer(c.formula, await readCSV(dataPath(c)), { REML: c.REML });
    checkProfile(c.id, await profileConfint(m), [
      { name: "sd_(Intercept)|cask:batch", lower: 2.15793371, upper: 4.0535889 },
      { name: "sd_(Intercept)|batch", lower: 0, upper: 2.9465911 },
      { name: "sigma", lower: 0.65202336, upper: 1.0854481 },
      { name: "(Intercept)", lower: 58.66365038, upper: 61.4430164 },
    ]);
  });
});

describe("profile ends are exact crossings", () => {
  it("zeta is -/+ qnorm(0.975) at every end inside the parameter's range (sleepstudy, orthodont)", async () => {
    for (const id of ["sleepstudy_slope_reml", "orthodont_agesex_ml"]) {
      const c = MODEL_CASES.find((x) => x.id === id)!;
      const m = await lmer(c.formula, await readCSV(dataPath(c)), { REML: c.REML });
      const profile = await Profile.create(m);
      const pars = [...profile.parameters];
      for (let j = 0; j < m.coefNames.length; j++) pars.push(await profile.fixedEffect(j));
      for (const par of pars) {
        const { lower, upper } = profile.interval(par, Z95);
        for (const [x, target] of [[lower, -Z95], [upper, Z95]]) {
          if (x === par.min || x === par.max) {
            // Not reached before the limit: zeta there is short of the cut-off.
            expect(Math.abs(par.zeta(x)), `${id} ${par.name} at its limit ${x}`).toBeLessThan(Z95);
          } else {
            expect(Math.abs(par.zeta(x) - target), `${id} ${par.name} at ${x}`).toBeLessThan(1e-6);
          }
        }
      }
    }
  });
});

describe("levels and bad input", () => {
  let m: LmerModel;
  beforeAll(async () => {
    const c = MODEL_CASES.find((x) => x.id === "sleepstudy_slope_reml")!;
    m = await lmer(c.formula, await readCSV(dataPath(c)), { REML: c.REML });
  });

  it("a higher level gives wider intervals, Wald and profile", async () => {
    const w95 = waldConfint(m);
    const w99 = waldConfint(m, 0.99);
    w95.forEach((r, i) => {
      expect(w99[i].lower).toBeLessThan(r.lower);
      expect(w99[i].upper).toBeGreaterThan(r.upper);
    });
    const p95 = await profileConfint(m, 0.95);
    const p99 = await profileConfint(m, 0.99);
    p95.forEach((r, i) => {
      expect(p99[i].lower).toBeLessThanOrEqual(r.lower);
      expect(p99[i].upper).toBeGreaterThanOrEqual(r.upper);
    });
  });

  it("rejects a level outside (0, 1)", async () => {
    expect(() => waldConfint(m, 95)).toThrow(/level/);
    await expect(profileConfint(m, 0)).rejects.toThrow(/level/);
  });
});
