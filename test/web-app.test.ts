// The web app's logic that needs no browser: the formula the column pickers
// write and the roles read back from a formula, the share links, the summary
// of loaded data and the report a fit sends from the worker to the page (plots'
// data and downloads).
import { describe, expect, it } from "vitest";
import { emmeans, emtrends, lmer, parseCSV, parseFormula, readCSV, toDataFrame } from "../src/index.js";
import { summarize } from "../web/src/data-reader.js";
import { questionsCSV, randomEffectsCSV } from "../web/src/downloads.js";
import { buildReport, levelsToPlot } from "../web/src/fit-report.js";
import { formulaFromRoles, formulaName, guessRoles, rolesFromFormula, withFactors } from "../web/src/roles.js";
import { sentencesFor } from "../web/src/sentences.js";
import { linkTo, readLink } from "../web/src/share-link.js";

const example = (name: string) => new URL(`../examples/${name}.csv`, import.meta.url).pathname;
/** ChickWeight with Diet coded 1-4 (scripts/make-predict-reference.R). */
const CHICK = new URL("reference-predict/data/chickweight.csv", import.meta.url).pathname;

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

  it("read the roles through functions (poly, log, I(), factor()) and numeric columns switched to factors", async () => {
    const orthodont = await readCSV(example("orthodont"));
    expect(rolesFromFormula(parseFormula("log(distance) ~ poly(age, 2) * Sex + (I(age - 8) | Subject)"), orthodont)).toEqual({
      response: "log(distance)",
      time: "age",
      group: "Sex",
      subject: "Subject",
    });
    const chick = await readCSV(CHICK);
    expect(rolesFromFormula(parseFormula("weight ~ log(Time + 1) + factor(Diet) + (1 | Chick)"), chick)).toMatchObject({ time: "Time", group: "Diet" });
    expect(rolesFromFormula(parseFormula("weight ~ Time * Diet + (Time | Chick)"), chick)).toMatchObject({ time: "Time", group: undefined });
    expect(rolesFromFormula(parseFormula("weight ~ Time * Diet + (Time | Chick)"), withFactors(chick, ["Diet"]))).toMatchObject({ time: "Time", group: "Diet" });
    // A function of two columns plays no single role.
    expect(rolesFromFormula(parseFormula("weight ~ I(Time * Diet) + (1 | Chick)"), chick)).toMatchObject({ time: undefined, group: undefined });
    expect(withFactors(chick, ["Diet"]).columns.get("Diet")!.kind).toBe("text");
    expect(withFactors(chick, ["Diet"]).columns.get("Time")!.kind).toBe("numeric");
  });

  it("guess a new file's roles from column names and types", () => {
    const frame = parseCSV("patient_id,visit,arm,score\np1,0,a,1.5\np1,1,a,2.5\np2,0,b,1.0\np2,1,b,0.5\n");
    expect(guessRoles(frame)).toEqual({ response: "score", time: "visit", group: "arm", subject: "patient_id" });
    expect(guessRoles(parseCSV("a,b\nx,y\n"))).toBeUndefined();
  });
});

describe("the summary of loaded data", () => {
  it("holds the size, the column types and the first six rows as text, NA for missing", () => {
    const rows = ["id,visit,y", ...Array.from({ length: 8 }, (_, i) => `s${i},${i},${i === 1 ? "NA" : i / 2}`)];
    const summary = summarize(parseCSV(rows.join("\n")), "small.csv");
    expect([summary.name, summary.nrow, summary.names]).toEqual(["small.csv", 8, ["id", "visit", "y"]]);
    expect([...summary.columns.values()].map((c) => c.kind)).toEqual(["text", "numeric", "numeric"]);
    expect(summary.preview).toHaveLength(6);
    expect(summary.preview[1]).toEqual(["s1", "1", "NA"]);
    // What the column pickers read from it is what they would read from the data.
    expect(guessRoles(summary)).toEqual({ response: "y", time: "visit", group: undefined, subject: "id" });
  });
});

describe("share links", () => {
  it("carry example, formula and ML, and read back the same", () => {
    const base = new URL("https://example.org/app/index.html?old=1#x");
    const url = linkTo({ example: "sleepstudy", formula: "Reaction ~ Days + (Days | Subject)", REML: false, factors: [] }, base);
    expect(url.pathname).toBe("/app/index.html");
    expect([...url.searchParams.keys()]).toEqual(["example", "formula", "method"]);
    expect(readLink(url)).toEqual({ example: "sleepstudy", formula: "Reaction ~ Days + (Days | Subject)", REML: false, factors: [] });
    expect(readLink(new URL("https://example.org/"))).toEqual({ example: undefined, formula: undefined, REML: true, factors: [] });
    const withFactors = linkTo({ example: "oxboys", formula: "height ~ Occasion + (1 | Subject)", REML: true, factors: ["Occasion", "age"] }, base);
    expect(withFactors.search).toBe("?example=oxboys&formula=height+%7E+Occasion+%2B+%281+%7C+Subject%29&factor=Occasion&factor=age");
    expect(readLink(withFactors).factors).toEqual(["Occasion", "age"]);
  });
});

describe("the fit report", () => {
  it("holds the population line with its 95% band, conditional SDs and R's QQ points", async () => {
    const data = await readCSV(example("sleepstudy"));
    const formula = "Reaction ~ Days + (Days | Subject)";
    const m = await lmer(formula, data);
    const report = buildReport(m, data, "sleepstudy", rolesFromFormula(parseFormula(formula), data), 0.1);

    const t = report.trajectories!;
    expect(t.points).toHaveLength(180);
    expect(t.subjectsShown).toBe(18);
    expect(t.population.map((p) => p.time)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(t.held).toEqual([]);
    const V = m.vcov;
    for (const p of t.population) {
      expect(p.y).toBeCloseTo(m.fixef["(Intercept)"] + m.fixef.Days * p.time, 8);
      const se = Math.sqrt(V[0][0] + 2 * p.time * V[0][1] + p.time * p.time * V[1][1]);
      expect(p.upper - p.y).toBeCloseTo(1.959963984540054 * se, 8);
      expect(p.y - p.lower).toBeCloseTo(1.959963984540054 * se, 8);
    }

    const [intercepts, slopes] = report.caterpillars;
    expect([intercepts.group, intercepts.column, slopes.column]).toEqual(["Subject", "(Intercept)", "Days"]);
    expect([...slopes.modes]).toEqual(m.ranef.Subject.Days);
    const variance = m.condVar()[0].variance;
    slopes.sd.forEach((sd, l) => expect(sd).toBeCloseTo(Math.sqrt(variance[l][1][1]), 12));

    // qqnorm: ppoints(180) = (i - 1/2) / 180, and qnorm(0.5 / 180) = -2.772921...
    expect(report.qq.theoretical).toHaveLength(180);
    expect(report.qq.theoretical[0]).toBeCloseTo(-2.772921, 5);
    expect(report.qq.sample).toEqual([...m.residuals].sort((a, b) => a - b));
    expect(report.qq.n).toBe(180);
    expect(report.scatter).toEqual({ kind: "points", points: [...m.fitted].map((f, i) => ({ fitted: f, residual: m.residuals[i] })) });
    expect([report.fitted, report.residuals]).toEqual([m.fitted, m.residuals]);
    expect(report.tables.fixed.rows[1][0]).toBe("Days");
  });

  it("draws the population curves as predict() gives them: a numeric Diet switched to a factor, a function of time, other variables held at their mean or first level", async () => {
    const chick = await readCSV(CHICK);
    const formula = "log(weight) ~ poly(Time, 2) * Diet + (1 | Chick)";
    const m = await lmer(formula, chick, { factors: ["Diet"] });
    const t = buildReport(m, chick, "chick", rolesFromFormula(parseFormula(formula), withFactors(chick, ["Diet"])), 0).trajectories!;
    expect(t.roles).toEqual({ response: "log(weight)", time: "Time", group: "Diet", subject: "Chick" });
    expect([...new Set(t.population.map((p) => p.group))]).toEqual(["1", "2", "3", "4"]);
    const times = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 21];
    expect(t.population.filter((p) => p.group === "3").map((p) => p.time)).toEqual(times);
    const p = m.predict({ Time: times, Diet: times.map(() => 3) }, { re: false, se: true });
    t.population.filter((c) => c.group === "3").forEach((c, i) => {
      expect(c.y).toBeCloseTo(p.fit[i], 10);
      expect(c.lower).toBeCloseTo(p.lower[i], 10);
      expect(c.upper).toBeCloseTo(p.upper[i], 10);
    });
    // The observed points are on the scale the model fits: log(weight).
    expect(t.points.find((q) => q.subject === "1" && q.time === 0)!.y).toBeCloseTo(Math.log(42), 12);

    const ortho = await readCSV(example("orthodont"));
    const withSex = "distance ~ age + Sex + (1 | Subject)";
    const m2 = await lmer(withSex, ortho);
    const t2 = buildReport(m2, ortho, "orthodont", { response: "distance", time: "age", subject: "Subject" }, 0).trajectories!;
    expect(t2.held).toEqual([{ column: "Sex", value: "Female" }]);
    expect(t2.population[0].y).toBeCloseTo(m2.fixef["(Intercept)"] + 8 * m2.fixef.age, 10);
    const m3 = await lmer("distance ~ Sex + age + (1 | Subject)", ortho);
    const t3 = buildReport(m3, ortho, "orthodont", { response: "distance", time: "age", group: "Sex", subject: "Subject" }, 0).trajectories!;
    expect(t3.held).toEqual([]);
    const withBaseline = toDataFrame({ ...Object.fromEntries([...ortho.columns].map(([k, c]) => [k, c.values])), baseline: Array.from({ length: ortho.nrow }, (_, i) => i % 5) });
    const m4 = await lmer("distance ~ age + log1p(baseline) + (1 | Subject)", withBaseline);
    const t4 = buildReport(m4, withBaseline, "orthodont", { response: "distance", time: "age", subject: "Subject" }, 0).trajectories!;
    const mean = (21 * (0 + 1 + 2 + 3 + 4) + (0 + 1 + 2)) / 108; // 108 rows: 21 cycles of 0..4, then 0, 1, 2
    expect(t4.held).toEqual([{ column: "baseline", value: expect.closeTo(mean, 12) }]);
    expect(t4.population[0].y).toBeCloseTo(m4.fixef["(Intercept)"] + 8 * m4.fixef.age + Math.log1p(mean) * m4.fixef["log1p(baseline)"], 10);
  });

  it("thins a QQ plot of many residuals to its order statistics, keeping both extremes, and bins the residuals vs fitted", async () => {
    const rows = ["y,g", ...Array.from({ length: 6000 }, (_, i) => `${Math.sin(i) + (i % 7)},g${i % 50}`)];
    const data = parseCSV(rows.join("\n"));
    const m = await lmer("y ~ 1 + (1 | g)", data);
    const { qq, scatter: residuals, trajectories } = buildReport(m, data, "many", rolesFromFormula(parseFormula("y ~ 1 + (1 | g)"), data), 0);
    expect(qq.sample.length).toBeLessThanOrEqual(2000);
    expect(qq.n).toBe(6000);
    const sorted = [...m.residuals].sort((a, b) => a - b);
    expect([qq.sample[0], qq.sample.at(-1)]).toEqual([sorted[0], sorted.at(-1)]);
    if (residuals.kind !== "bins") throw new Error("6000 residuals are binned");
    expect(residuals.n).toBe(6000);
    expect(residuals.bins.reduce((sum, b) => sum + b.count, 0)).toBe(6000);
    // Each residual lies in its cell: the cells span the residuals' range, both ends included.
    const [low, high] = [Math.min(...residuals.bins.map((b) => b.y1)), Math.max(...residuals.bins.map((b) => b.y2))];
    expect(low).toBe(sorted[0]);
    expect(high).toBeCloseTo(sorted.at(-1)!, 10);
    expect(trajectories).toBeUndefined(); // no time variable
  });
});

describe("the answers to the longitudinal questions (issue 13, part 7)", () => {
  it("give orthodont's means by sex at each age, their Tukey pairs, the slopes, the age:Sex test, ICC and R^2", async () => {
    const data = await readCSV(example("orthodont"));
    const formula = "distance ~ age * Sex + (age | Subject)";
    const m = await lmer(formula, data);
    const q = buildReport(m, data, "orthodont", rolesFromFormula(parseFormula(formula), data), 0).questions;
    if (q?.kind !== "answered") throw new Error("orthodont has a time and a group");
    expect(q.roles).toEqual({ response: "distance", time: "age", group: "Sex" });
    expect(q.times).toEqual([8, 10, 12, 14]); // four distinct ages: each of them

    const means = emmeans(m, "~ Sex | age", { at: { age: [8, 10, 12, 14] } });
    expect(q.means).toEqual(means.rows);
    expect(q.notes).toEqual(means.notes);
    expect(q.differences).toEqual({ rows: means.pairs().rows, adjust: means.pairs().adjust });
    const slopes = emtrends(m, "~ Sex", { var: "age" });
    expect(q.slopes).toEqual(slopes.rows);
    expect(q.slopeDifferences.rows).toEqual(slopes.pairs().rows);
    expect(q.interaction).toEqual(m.anova().find((row) => row.term === "age:Sex"));
    expect([q.icc, q.r2]).toEqual([m.icc, m.r2]);
    // The README's numbers (emmeans 1.8.4): the gap 1.41 at 8 (p = 0.10) and 3.24 at 14 (p = 0.0014); slopes 0.480 and 0.784.
    expect(q.differences.rows[0].estimate).toBeCloseTo(-1.4065, 4);
    expect(q.differences.rows[3]["p.value"]).toBeCloseTo(0.0014, 4);

    expect(q.sentences.trajectory).toBe(
      "Between age 8 and 14 the model's mean distance goes from 21.2 to 24.1 in Sex Female and from 22.6 to 27.3 in Sex Male (the bands are 95% confidence intervals).",
    );
    expect(q.sentences.differences).toMatch(/^Between the Sex groups at age 8, 10, 12 and 14, 3 of the 4 differences are clear at the 5% level: Female - Male at age 10 -2.02 \(p = 0.014\), .* and Female - Male at age 14 -3.24 \(p = 0.001\)\.$/);
    const atEight = { ...q, differences: { rows: q.differences.rows.slice(0, 1), adjust: "none" } };
    expect(sentencesFor(atEight).differences).toBe("Between the Sex groups at age 8, 10, 12 and 14, the difference is not clear at the 5% level (p = 0.101).");
    const unclear = { ...q, differences: { rows: q.differences.rows.map((row) => ({ ...row, "p.value": 0.2 })), adjust: "tukey" } };
    expect(sentencesFor(unclear).differences).toMatch(/none of the 4 differences is clear at the 5% level \(smallest p = 0.200, tukey-adjusted\)\.$/);
    expect(q.sentences.slopes).toBe("Per unit of age, distance changes by 0.48 in Sex Female and 0.784 in Sex Male; the slope difference is clear at the 5% level: Female - Male -0.305 (p = 0.033).");
    expect(q.sentences.interaction).toBe("The age:Sex interaction: F(1, 25) = 5.12, p = 0.033: the trajectories of the Sex groups differ (their slopes of age are not all equal).");
    expect(q.sentences.variance).toMatch(/^The random effects account for 67% .* 41% .* 81% \(conditional R²\)\.$/);

    const lines = (await questionsCSV(buildReport(m, data, "orthodont", rolesFromFormula(parseFormula(formula), data), 0)).text()).trim().split("\n");
    expect(lines[0]).toBe("question,term,age,estimate,std_error,df,lower_CL,upper_CL,num_df,statistic,p_value");
    expect(lines.filter((l) => l.startsWith("mean,"))).toHaveLength(8);
    expect(lines.find((l) => l.startsWith("interaction F test,"))).toMatch(/^interaction F test,age:Sex,,,,24\.99\d*,,,1,5\.118\d*,0\.0326\d*$/);
    expect(lines.at(-1)).toMatch(/^R2,conditional,,0\.806\d*$/);
  });

  it("without a time x group term: the same slopes by assumption, no interaction test; and a singular fit has no ICC or R^2", async () => {
    const data = await readCSV(example("orthodont"));
    const formula = "distance ~ age + Sex + (1 | Subject) + (0 + age | Subject)";
    const m = await lmer(formula, data);
    const q = buildReport(m, data, "orthodont", rolesFromFormula(parseFormula(formula), data), 0).questions;
    if (q?.kind !== "answered") throw new Error("orthodont has a time and a group");
    expect(q.interaction).toBeUndefined();
    expect(q.slopeDifferences.rows).toEqual([]);
    expect(q.sentences.slopes).toMatch(/the model has no age × Sex term, so the slopes are equal by assumption\.$/);
    expect(q.sentences.interaction).toMatch(/^The model has no age:Sex term/);
    // A singular fit's ICC and R^2 are null, as performance gives none.
    expect(sentencesFor({ ...q, icc: null, r2: null }).variance).toMatch(/^The fit is singular .*: ICC and R² are not defined for it/);
  });

  it("find the time x group test and the slope pairs however the formula writes time (poly) and group (factor())", async () => {
    const data = await readCSV(example("orthodont"));
    const formula = "distance ~ poly(age, 2) * factor(Sex) + (1 | Subject)";
    const m = await lmer(formula, data);
    const q = buildReport(m, data, "orthodont", rolesFromFormula(parseFormula(formula), data), 0).questions;
    if (q?.kind !== "answered") throw new Error("orthodont has a time and a group");
    expect(q.roles).toEqual({ response: "distance", time: "age", group: "Sex" });
    expect(q.interaction).toEqual(m.anova().find((row) => row.term === "poly(age, 2):factor(Sex)"));
    expect(q.interaction?.numDF).toBe(2);
    const slopes = emtrends(m, "~ Sex", { var: "age" });
    expect(q.slopeDifferences.rows).toEqual(slopes.pairs().rows);
    expect(q.slopeDifferences.rows).toHaveLength(1);
    expect(q.sentences.interaction).toMatch(/^The poly\(age, 2\):factor\(Sex\) interaction: F\(2, /);
  });

  it("are refused with the library's message for a variable emmeans' specs cannot name", async () => {
    const text = (await import("node:fs")).readFileSync(example("orthodont"), "utf8");
    const data = parseCSV(text.replace('"age"', '"age y"'));
    const formula = "distance ~ `age y` * Sex + (`age y` | Subject)";
    const m = await lmer(formula, data);
    const q = buildReport(m, data, "orthodont", rolesFromFormula(parseFormula(formula), data), 0).questions;
    expect(q).toEqual({ kind: "refused", message: expect.stringMatching(/^Specs .* are not of the form/) });
  });

  it("are absent without a group, and at a time of many values given at its quartiles", async () => {
    const data = await readCSV(example("sleepstudy"));
    const m = await lmer("Reaction ~ Days + (Days | Subject)", data);
    expect(buildReport(m, data, "sleepstudy", rolesFromFormula(parseFormula("Reaction ~ Days + (Days | Subject)"), data), 0).questions).toBeUndefined();
    const text = (await import("node:fs")).readFileSync(example("sleepstudy"), "utf8").split("\n");
    const grouped = parseCSV([`${text[0]},"Arm"`, ...text.slice(1).filter(Boolean).map((l, i) => `${l},${Number(l.split(",")[2].replace(/"/g, "")) % 2 ? "a" : "b"}`)].join("\n"));
    const formula = "Reaction ~ Days * Arm + (Days | Subject)";
    const g = await lmer(formula, grouped);
    const q = buildReport(g, grouped, "sleepstudy", rolesFromFormula(parseFormula(formula), grouped), 0).questions;
    if (q?.kind !== "answered") throw new Error("sleepstudy with an arm has a time and a group");
    expect(q.times).toEqual([0, 2, 4.5, 7, 9]); // R's quantile(Days) over the 180 rows
    expect(q.means).toEqual(emmeans(g, "~ Arm | Days", { at: { Days: [0, 2, 4.5, 7, 9] } }).rows);
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

describe("the caterpillar's levels", () => {
  it("are all shown up to the cap, largest mode first; beyond it, the most extreme half and half", () => {
    expect(levelsToPlot(Float64Array.of(0.5, -1, 2, 0), 4)).toEqual([2, 0, 3, 1]);
    const modes = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i * 7.3));
    const shown = levelsToPlot(modes, 200);
    const byMode = [...modes.keys()].sort((a, b) => modes[b] - modes[a]);
    expect(shown).toEqual([...byMode.slice(0, 100), ...byMode.slice(900)]);
    expect(modes[shown[0]]).toBe(Math.max(...modes));
    expect(modes[shown.at(-1)!]).toBe(Math.min(...modes));
  });

  it("come with the report: every level of a small factor, sorted", async () => {
    const data = await readCSV(example("sleepstudy"));
    const m = await lmer("Reaction ~ Days + (Days | Subject)", data);
    const [intercepts] = buildReport(m, data, "sleepstudy", undefined, 0).caterpillars;
    expect(intercepts.plotted).toHaveLength(18);
    expect(intercepts.plotted.map((i) => intercepts.modes[i])).toEqual([...intercepts.modes].sort((a, b) => b - a));
  });
});
