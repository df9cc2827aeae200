// The summary's tables as cells: the same numbers, formatted as the text summary prints them.
import { describe, expect, it } from "vitest";
import { lmer, readCSV, summaryTables } from "../src/index.js";

const sleepstudy = new URL("../examples/sleepstudy.csv", import.meta.url).pathname;

describe("summaryTables", () => {
  it("gives lmerTest's fixed-effects row, the variance components and the REML criterion", async () => {
    const m = await lmer("Reaction ~ Days + (Days | Subject)", await readCSV(sleepstudy));
    const { fit, random, fixed } = summaryTables(m);
    expect(fit).toEqual({ header: ["REML criterion at convergence"], rows: [["1743.6"]], leftAlign: [false] });
    expect(fixed.header).toEqual(["", "Estimate", "Std. Error", "df", "t value", "Pr(>|t|)", ""]);
    expect(fixed.rows[1]).toEqual(["Days", "10.467", "1.546", "17.000", "6.771", "3.26e-06", "***"]);
    expect(fixed.footnote).toMatch(/^Signif\. codes:/);
    expect(random.header).toEqual(["Groups", "Name", "Variance", "Std.Dev.", "Corr"]);
    expect(random.rows.map((r) => r.slice(0, 2))).toEqual([["Subject", "(Intercept)"], ["", "Days"], ["Residual", ""]]);
    // Every cell stands in the text summary, table by table.
    const text = m.summary();
    for (const row of [...fixed.rows, ...random.rows]) for (const cell of row) expect(text).toContain(cell.trim());
  });

  it("gives AIC, BIC, logLik, deviance and df.resid for an ML fit, and no df or p with ddf none", async () => {
    const m = await lmer("Reaction ~ Days + (Days | Subject)", await readCSV(sleepstudy), { REML: false, ddf: "none" });
    const { fit, fixed } = summaryTables(m);
    expect(fit.header).toEqual(["AIC", "BIC", "logLik", "deviance", "df.resid"]);
    expect(fit.rows).toEqual([["1763.9", "1783.1", "-876.0", "1751.9", "174"]]);
    expect(fixed.header).toEqual(["", "Estimate", "Std. Error", "t value"]);
    expect(fixed.footnote).toBeUndefined();
  });
});
