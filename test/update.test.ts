// update(m, changes): lme4's update, refitting with part of the specification changed.
import { describe, expect, it } from "vitest";
import { lmer, readCSV, update } from "../src/index.js";

const sleepstudy = new URL("../test/reference/data/sleepstudy.csv", import.meta.url).pathname;

describe("update", () => {
  it("refits with a new formula, or by ML, on the model's own data and options", async () => {
    const data = await readCSV(sleepstudy);
    const m = await lmer("Reaction ~ Days + (Days | Subject)", data, { ddf: "none" });
    const smaller = await update(m, { formula: "Reaction ~ Days + (1 | Subject)" });
    const direct = await lmer("Reaction ~ Days + (1 | Subject)", data, { ddf: "none" });
    expect(smaller.objective).toBe(direct.objective);
    expect(smaller.ddf).toBe("none");
    const ml = await update(m, { REML: false });
    expect(ml.REML).toBe(false);
    expect(ml.formula).toBe(m.formula);
    expect(ml.objective).toBeCloseTo(1751.939, 3); // lme4: deviance of the ML fit
  });

  it("takes other data, and refuses unknown changes and R's '.' shorthand", async () => {
    const data = await readCSV(sleepstudy);
    const m = await lmer("Reaction ~ Days + (Days | Subject)", data);
    const firstHalf = { Reaction: (data.columns.get("Reaction")!.values as Float64Array).slice(0, 90), Days: (data.columns.get("Days")!.values as Float64Array).slice(0, 90), Subject: (data.columns.get("Subject")!.values as string[]).slice(0, 90) };
    expect((await update(m, { data: firstHalf })).nobs).toBe(90);
    await expect(update(m, { REMl: false } as never)).rejects.toThrow(/Unknown option 'REMl' of update\(\)\. Did you mean 'REML'\?/);
    await expect(update(m, { formula: ". ~ . - Days" })).rejects.toThrow(/'\.' at position 1 .* write the variables out/);
  });
});
