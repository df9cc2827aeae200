// The web app's logic that needs no browser: the formula the column pickers
// write and the roles read back from a formula, the share links, and the
// report a fit sends from the worker to the page (plots' data and downloads).
import { describe, expect, it } from "vitest";
import { lmer, parseCSV, parseFormula, readCSV } from "../src/index.js";
import { randomEffectsCSV } from "../web/src/downloads.js";
import { buildReport } from "../web/src/fit-report.js";
import { formulaFromRoles, formulaName, guessRoles, rolesFromFormula } from "../web/src/roles.js";
import { linkTo, readLink } from "../web/src/share-link.js";

const example = (name: string) => new URL(`../examples/${name}.csv`, import.meta.url).pathname;

describe("roles and formulas", () => {
  it("write y ~ time * group + (time | subject), leaving out the roles not chosen", () => {
    expect(formulaFromRoles({ response: "y", time: "t", group: "g", subject: "id" })).toBe("y ~ t * g + (t | id)");
    expect(formulaFromRoles({ response: "y", time: "t", subject: "id" })).toBe("y ~ t + (t | id)");
    expect(formulaFromRoles({ response: "y", group: "g", subject: "id" })).toBe("y ~ g + (1 | id)");
    expect(formulaFromRoles({ response: "y", subject: "id" })).toBe("y ~ 1 + (1 | id)");
  });

  it("quote column names the parser would not read as names", () => {
    expect(formulaName("reaction time")).toBe("`reaction time`");
    expect(formulaName("Days.2")).toBe("Days.2");
    const f = formulaFromRoles({ response: "reaction time", time: "day-of-study", subject: "id" });
    expect(parseFormula(f).response).toBe("reaction time");
  });

  it("read the roles back from any formula, by the columns' types", async () => {
    const orthodont = await readCSV(example("orthodont"));
    expect(rolesFromFormula(parseFormula("distance ~ age * Sex + (age | Subject)"), orthodont)).toEqual({
      response: "distance",
      time: "age",
      group: "Sex",
      subject: "Subject",
    });
    expect(rolesFromFormula(parseFormula("distance ~ Sex + (1 | Subject)"), orthodont)).toEqual({
      response: "distance",
      time: undefined,
      group: "Sex",
      subject: "Subject",
    });
  });

  it("guess a new file's roles from column names and types", () => {
    const frame = parseCSV("patient_id,visit,arm,score\np1,0,a,1.5\np1,1,a,2.5\np2,0,b,1.0\np2,1,b,0.5\n");
    expect(guessRoles(frame)).toEqual({ response: "score", time: "visit", group: "arm", subject: "patient_id" });
    expect(guessRoles(parseCSV("a,b\nx,y\n"))).toBeUndefined();
  });
});

describe("share links", () => {
  it("carry example, formula and ML, and read back the same", () => {
    const base = new URL("https://example.org/app/index.html?old=1#x");
    const url = linkTo({ example: "sleepstudy", formula: "Reaction ~ Days + (Days | Subject)", REML: false }, base);
    expect(url.pathname).toBe("/app/index.html");
    expect([...url.searchParams.keys()]).toEqual(["example", "formula", "method"]);
    expect(readLink(url)).toEqual({ example: "sleepstudy", formula: "Reaction ~ Days + (Days | Subject)", REML: false });
    expect(readLink(new URL("https://example.org/"))).toEqual({ example: undefined, formula: undefined, REML: true });
  });
});

describe("the fit report", () => {
  it("holds the population mean line, conditional SDs and R's QQ points", async () => {
    const data = await readCSV(example("sleepstudy"));
    const formula = "Reaction ~ Days + (Days | Subject)";
    const m = await lmer(formula, data);
    const report = buildReport(m, data, "sleepstudy", rolesFromFormula(parseFormula(formula), data), 0.1);

    const t = report.trajectories!;
    expect(t.points).toHaveLength(180);
    expect(t.subjectsShown).toBe(18);
    expect(t.means.map((p) => p.time)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const p of t.means) expect(p.y).toBeCloseTo(m.fixef["(Intercept)"] + m.fixef.Days * p.time, 8);

    const [intercepts, slopes] = report.caterpillars;
    expect([intercepts.group, intercepts.column, slopes.column]).toEqual(["Subject", "(Intercept)", "Days"]);
    expect(slopes.modes).toEqual(m.ranef.Subject.Days);
    const variance = m.condVar()[0].variance;
    slopes.sd.forEach((sd, l) => expect(sd).toBeCloseTo(Math.sqrt(variance[l][1][1]), 12));

    // qqnorm: ppoints(180) = (i - 1/2) / 180, and qnorm(0.5 / 180) = -2.772921...
    expect(report.qq.theoretical).toHaveLength(180);
    expect(report.qq.theoretical[0]).toBeCloseTo(-2.772921, 5);
    expect(report.qq.sample).toEqual([...m.residuals].sort((a, b) => a - b));
    expect(report.tables.fixed.rows[1][0]).toBe("Days");
  });

  it("thins a QQ plot of many residuals to its order statistics, keeping both extremes", async () => {
    const rows = ["y,g", ...Array.from({ length: 6000 }, (_, i) => `${Math.sin(i) + (i % 7)},g${i % 50}`)];
    const data = parseCSV(rows.join("\n"));
    const m = await lmer("y ~ 1 + (1 | g)", data);
    const { qq, trajectories } = buildReport(m, data, "many", rolesFromFormula(parseFormula("y ~ 1 + (1 | g)"), data), 0);
    expect(qq.sample.length).toBeLessThanOrEqual(2000);
    const sorted = [...m.residuals].sort((a, b) => a - b);
    expect([qq.sample[0], qq.sample.at(-1)]).toEqual([sorted[0], sorted.at(-1)]);
    expect(trajectories).toBeUndefined(); // no time variable
  });
});

describe("CSV downloads (issue 16, item 9)", () => {
  it("write a group level that starts like a formula as text, and numbers as numbers", async () => {
    const text = (await import("node:fs")).readFileSync(example("sleepstudy"), "utf8");
    const frame = parseCSV(text.replaceAll('"308"', '"=1+2"').replaceAll('"309"', '"-cmd"'));
    const formula = "Reaction ~ Days + (1 | Subject)";
    const m = await lmer(formula, frame);
    const report = buildReport(m, frame, "sleepstudy", rolesFromFormula(parseFormula(formula), frame), 0);
    const lines = (await randomEffectsCSV(report).text()).split("\n");
    expect(lines.find((l) => l.includes("=1+2"))).toMatch(/^Subject,"'=1\+2",\(Intercept\),-?\d/);
    expect(lines.find((l) => l.includes("-cmd"))).toMatch(/^Subject,"'-cmd",\(Intercept\),-?\d/);
  });
});
