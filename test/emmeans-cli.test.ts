// `lmm emmeans` and `lmm emtrends`: the text as emmeans prints it (against
// test/reference-emmeans/orthodont-printed.txt, from
// scripts/make-emmeans-reference.R, trailing spaces aside), the JSON with
// emmeans' column names, and bad flags as one `lmm: ` message.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { run } from "./cli-run.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const orthodont = join(root, "test/reference/data/orthodont.csv");
const formula = "distance ~ age * Sex + (age | Subject)";
const chickweight = join(root, "test/reference-extra/data/chickweight.csv");

/** emmeans' printed tables, separated by lines of "#". */
const printed = readFileSync(join(root, "test/reference-emmeans/orthodont-printed.txt"), "utf8").split("#\n");

describe("lmm emmeans / emtrends", () => {
  it("prints means and pairs as emmeans prints pairwise ~ Sex | age", async () => {
    const r = await run("emmeans", orthodont, formula, "~ Sex | age", "--at", "age=8,10,14", "--pairs");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(`${r.out}\n`).toBe(printed[0]);
  });

  it("prints a numeric grid variable and holm's adjustment as emmeans", async () => {
    const r = await run("emmeans", orthodont, formula, "~ age | Sex", "--at", "age=8,10.5,14", "--pairs", "--adjust", "holm");
    expect(`${r.out}\n`).toBe(printed[1]);
  });

  it("prints trends and their difference as emmeans' emtrends", async () => {
    const r = await run("emtrends", orthodont, formula, "~ Sex", "--var", "age", "--pairs", "--ddf", "satterthwaite");
    expect(`${r.out}\n`).toBe(printed[2]);
  });

  it("prints the means of a log response with emmeans' note on their scale", async () => {
    const r = await run("emmeans", orthodont, "log(distance) ~ log(age) * Sex + (1 | Subject)", "~ Sex | age", "--at", "age=8,14", "--pairs", "--ddf", "satterthwaite");
    expect(r.err).toBe("");
    expect(`${r.out}\n`).toBe(printed[3]);
  });

  it("prints the trends of a poly(Time, 2) * factor(Diet) model on the grid of Time and Diet", async () => {
    const r = await run("emtrends", chickweight, "weight ~ poly(Time, 2) * factor(Diet) + (Time | Chick)", "~ Diet", "--var", "Time", "--pairs", "--ddf", "satterthwaite");
    expect(r.err).toBe("");
    expect(`${r.out}\n`).toBe(printed[4]);
  });

  it("writes the trends of transformed terms as JSON, labelled by the data's columns", async () => {
    const r = await run("emtrends", chickweight, "weight ~ poly(Time,2)*factor(Diet) + (1|Chick)", "~ Diet | Time", "--var", "Time", "--at", "Time=0,21", "--pairs", "--json");
    expect(r.err).toBe("");
    const json = JSON.parse(r.out);
    expect(Object.keys(json.emtrends[0])).toEqual(["Diet", "Time", "Time.trend", "SE", "df", "lower.CL", "upper.CL"]);
    expect(json.emtrends.map((row: { Diet: number; Time: number }) => [row.Diet, row.Time])).toEqual([0, 21].flatMap((t) => [1, 2, 3, 4].map((d) => [d, t])));
    expect(json.contrasts[0]).toMatchObject({ contrast: "Diet1 - Diet2", Time: 0 });
    // A quadratic's slope grows with Time where its curvature is positive (every diet of ChickWeight).
    json.emtrends.slice(0, 4).forEach((row: { "Time.trend": number }, i: number) => expect(json.emtrends[i + 4]["Time.trend"]).toBeGreaterThan(row["Time.trend"]));
  });

  it("writes JSON with emmeans' column names, and no contrasts without --pairs", async () => {
    const r = await run("emmeans", orthodont, formula, "~ Sex | age", "--at", "age=8,14", "--json", "--level", "0.9");
    const json = JSON.parse(r.out);
    expect(Object.keys(json)).toEqual(["emmeans", "contrasts"]);
    expect(json.contrasts).toEqual([]);
    expect(json.emmeans).toHaveLength(4);
    expect(Object.keys(json.emmeans[0])).toEqual(["Sex", "age", "emmean", "SE", "df", "lower.CL", "upper.CL"]);
    expect(json.emmeans[0]).toMatchObject({ Sex: "Female", age: 8 });
    const t = JSON.parse((await run("emtrends", orthodont, formula, "~ Sex", "--var", "age", "--pairs", "--json")).out);
    expect(Object.keys(t)).toEqual(["emtrends", "contrasts"]);
    expect(Object.keys(t.emtrends[0])).toEqual(["Sex", "age.trend", "SE", "df", "lower.CL", "upper.CL"]);
    expect(Object.keys(t.contrasts[0])).toEqual(["contrast", "estimate", "SE", "df", "t.ratio", "p.value"]);
    expect(t.contrasts[0].contrast).toBe("Female - Male");
  });

  it("reports bad flags and specs as one lmm: message", async () => {
    const cases: [string[], RegExp][] = [
      [["emmeans", orthodont, formula, "~ Sex", "--at", "age"], /--at 'age' must read VARIABLE=value1,value2/],
      [["emmeans", orthodont, formula, "~ Sex", "--at", "age=8", "--at", "age=9"], /gives 'age' twice/],
      [["emmeans", orthodont, formula, "~ Sex", "--adjust", "holm"], /add --pairs/],
      [["emmeans", orthodont, formula, "~ Sex", "--pairs", "--adjust", "scheffe"], /Unknown adjust 'scheffe'/],
      [["emmeans", orthodont, formula, "~ Sex", "--ddf", "kr"], /Unknown ddf 'kr'/],
      [["emmeans", orthodont, formula, "~ Sex", "--level", "high"], /--level must be a number/],
      [["emmeans", orthodont, formula, "~ Gender"], /'Gender', which is not a variable of the fixed effects/],
      [["emtrends", orthodont, formula, "~ Sex"], /needs --var VARIABLE/],
      [["emtrends", orthodont, formula, "~ Sex", "--var", "Sex"], /'Sex' is a factor/],
      [["emtrends", orthodont, formula, "~ Sex", "--var", "Subject"], /var 'Subject' appears only in a grouping factor of the random effects/],
      [["emtrends", chickweight, "weight ~ poly(Time, 2) * factor(Diet) + (1 | Chick)", "~ 1", "--var", "Diet"], /var 'Diet' is a factor \(as 'factor\(Diet\)'\)/],
      [["emmeans", orthodont, formula, "~ Sex", "--ml", "--ddf", "kenward-roger"], /only available for REML fits/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.out).toBe("");
      expect(r.err).toMatch(/^lmm: /);
      expect(r.err, argv.join(" ")).toMatch(message);
      expect(r.err.match(/lmm: /g)).toHaveLength(1);
    }
  });
});
