// Kenward-Roger df, adjusted SEs and p-values against pbkrtest 0.5.2 as
// lmerTest's summary(m, ddf = "Kenward-Roger") reports them.
import { describe, expect, it } from "vitest";
import { lmer, readCSV, LmmError } from "../src/index.js";
import { kenwardRoger, KR_MAX_RANDOM_EFFECTS } from "../src/inference/kenward-roger.js";
import { MODEL_CASES, dataPath, expectClose, type ModelCase } from "./reference-cases.js";

type KRCase = ModelCase & { kenward_roger: { df: Record<string, number>; se: Record<string, number>; p: Record<string, number> } };

const KR_CASES = MODEL_CASES.filter((c): c is KRCase => "kenward_roger" in c);

describe("Kenward-Roger (pbkrtest / lmerTest)", () => {
  it("has the reference cases", () => {
    expect(KR_CASES.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        "bodyweight_timediet_reml",
        "cake_nested_reml",
        "orthodont_agesex_reml",
        "sleepstudy_intercept_reml",
        "sleepstudy_slope_reml",
        "sleepstudy_zerocorr_reml",
      ]),
    );
  });

  it.each(KR_CASES.map((c) => [c.id, c] as const))(
    "%s: df (relative 1e-3), adjusted SE (relative 1e-4), p (relative 1e-3 or absolute 1e-8)",
    async (_id, ref) => {
      const m = await lmer(ref.formula, await readCSV(dataPath(ref)), { REML: ref.REML });
      const kr = kenwardRoger(m);
      const want = ref.kenward_roger;
      expect(Object.keys(kr.df)).toEqual(Object.keys(want.df));
      for (const [k, v] of Object.entries(want.df)) expectClose(kr.df[k], v, 1e-3, 0, `df ${k}`);
      for (const [k, v] of Object.entries(want.se)) expectClose(kr.se[k], v, 1e-4, 0, `se ${k}`);
      for (const [k, v] of Object.entries(want.p)) {
        if (Math.abs(kr.p[k] - v) > 1e-8) expectClose(kr.p[k], v, 1e-3, 0, `p ${k}`);
      }
      // The adjustment only inflates the variances.
      for (const k of Object.keys(want.se)) expect(kr.se[k]).toBeGreaterThanOrEqual(m.se[k] * (1 - 1e-12));
    },
  );

  it("uses a pseudo-inverse of the information when it is singular (a duplicated grouping factor)", async () => {
    // lmerTest 3.1.3 / pbkrtest 0.5.2 on sleepstudy with Subj2 a copy of Subject:
    // summary(lmer(Reaction ~ Days + (1 | Subject) + (1 | Subj2)), ddf = "Kenward-Roger").
    // G_1 = G_2, so IE2 is singular and pbkrtest takes MASS::ginv.
    const ref = KR_CASES.find((c) => c.id === "sleepstudy_intercept_reml")!;
    const data = await readCSV(dataPath(ref));
    data.columns.set("Subj2", data.columns.get("Subject")!);
    data.names.push("Subj2");
    const m = await lmer("Reaction ~ Days + (1 | Subject) + (1 | Subj2)", data);
    const kr = kenwardRoger(m);
    expectClose(kr.df["(Intercept)"], 22.8101992049, 1e-3, 0, "df (Intercept)");
    expectClose(kr.df.Days, 161, 1e-3, 0, "df Days");
    expectClose(kr.se["(Intercept)"], 9.746716200904, 1e-4, 0, "se (Intercept)");
    expectClose(kr.se.Days, 0.804221429647, 1e-4, 0, "se Days");
    expectClose(kr.p["(Intercept)"], 2.24134991818e-18, 1e-3, 0, "p (Intercept)");
    expectClose(kr.p.Days, 6.41260173247e-27, 1e-3, 0, "p Days");
  });

  it("refuses an ML fit, as lmerTest does", async () => {
    const ref = KR_CASES.find((c) => c.id === "sleepstudy_slope_reml")!;
    const m = await lmer(ref.formula, await readCSV(dataPath(ref)), { REML: false });
    expect(() => kenwardRoger(m)).toThrow(LmmError);
    expect(() => kenwardRoger(m)).toThrow(/REML/);
  });

  it("refuses a model with too many random effects for dense matrices", async () => {
    const levels = KR_MAX_RANDOM_EFFECTS + 1;
    const g: string[] = [];
    const x: number[] = [];
    const y: number[] = [];
    let s = 12345;
    const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let l = 0; l < levels; l++) {
      const b = u() - 0.5;
      for (let r = 0; r < 2; r++) {
        g.push(`g${l}`);
        const xv = u();
        x.push(xv);
        y.push(1 + 2 * xv + b + 0.5 * (u() - 0.5));
      }
    }
    const m = await lmer("y ~ x + (1 | g)", { y, x, g });
    expect(() => kenwardRoger(m)).toThrow(LmmError);
    expect(() => kenwardRoger(m)).toThrow(/Satterthwaite/);
  });
});
