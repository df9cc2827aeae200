// The `lmm` command line: main(argv, out, err) with captured output, and the
// real bin against the built dist/.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli.js";
import { run } from "./cli-run.js";
import { expectUserError } from "./errors.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const orthodont = join(root, "test/reference/data/orthodont.csv");
const sleepstudy = join(root, "test/reference/data/sleepstudy.csv");

describe("lmm fit", () => {
  it("fits the sleepstudy example by REML and prints the summary", async () => {
    const r = await run("fit", "--example", "sleepstudy");
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toContain("Linear mixed model fit by REML");
    expect(r.out).toContain("Formula: Reaction ~ Days + (Days | Subject)");
    expect(r.out).toContain("REML criterion at convergence: 1743.6");
    expect(r.out).toContain("Random effects:");
    expect(r.out).toContain("Fixed effects:");
    expect(r.out).toMatch(/^Days\s+10\.467\s+1\.546\s+17\.000\s+6\.771\s+3\.26e-06 \*\*\*$/m);
    expect(r.out).toMatch(/Number of obs: 180, groups:\s+Subject, 18/);
  });

  it("--ml fits by maximum likelihood and prints AIC/BIC", async () => {
    const r = await run("fit", "--example", "sleepstudy", "--ml");
    expect(r.code).toBe(0);
    expect(r.out).toContain("Linear mixed model fit by maximum likelihood");
    expect(r.out).not.toContain("REML criterion");
    expect(r.out).toMatch(/AIC\s+BIC\s+logLik\s+deviance\s+df\.resid/);
    expect(r.out).toMatch(/1763\.9\s+1783\.1\s+-876\.0\s+1751\.9\s+174/);
  });

  it("--json prints the fit as JSON", async () => {
    const r = await run("fit", "--example", "sleepstudy", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    for (const key of ["fixef", "se", "varcorr", "theta", "converged", "dropped_rows"]) expect(j).toHaveProperty(key);
    expect(Object.keys(j.fixef)).toEqual(["(Intercept)", "Days"]);
    expect(j.fixef.Days).toBeCloseTo(10.467286, 4);
    expect(j.se.Days).toBeCloseTo(1.545789, 4);
    expect(j.theta).toHaveLength(3);
    expect(j.converged).toBe(true);
    expect(j.dropped_rows).toBe(0);
    expect(j.REML).toBe(true);
    expect(j.varcorr.at(-1).grp).toBe("Residual");
  });

  it("fits a CSV file with a formula", async () => {
    const r = await run("fit", orthodont, "distance ~ age * Sex + (age | Subject)");
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toContain("Formula: distance ~ age * Sex + (age | Subject)");
    expect(r.out).toContain("Data: orthodont.csv");
    expect(r.out).toMatch(/^age:SexMale\s+0\.3048\s+0\.1347\s+25\.000\s+2\.262\s+0\.0326 \*$/m);
    expect(r.out).toMatch(/Number of obs: 108, groups:\s+Subject, 27/);
  });

  it("an example with another formula uses the example's data", async () => {
    const r = await run("fit", "--example", "sleepstudy", "Reaction ~ Days + (1 | Subject)", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.formula).toBe("Reaction ~ Days + (1 | Subject)");
    expect(j.theta).toHaveLength(1);
  });

  it("--help prints the usage and exits 0", async () => {
    const r = await run("fit", "--help");
    expect(r.code).toBe(0);
    expect(r.out).toContain("Usage: lmm fit");
    expect(r.out).toContain("--ml");
    expect(r.out).toContain("--json");
    expect(r.out).toContain("--example");
    expect(r.out).toContain("lmm fit --example sleepstudy");
  });
});

describe("lmm fit errors", () => {
  it("a missing file", async () => {
    const r = await run("fit", join(root, "no-such-file.csv"), "y ~ x + (1 | g)");
    expectUserError(r);
    expect(r.err).toMatch(/no-such-file\.csv/);
    expect(r.err).toMatch(/no such file/);
  });

  it("an unknown column", async () => {
    const r = await run("fit", sleepstudy, "Reaction ~ days + (1 | Subject)");
    expectUserError(r);
    expect(r.err).toMatch(/Unknown column 'days'/);
    expect(r.err).toMatch(/Did you mean 'Days'/);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  });

  it("a bad formula", async () => {
    const r = await run("fit", sleepstudy, "Reaction ~ Days + (1 | Subject");
    expectUserError(r);
    expect(r.err).toMatch(/^lmm: Formula syntax error at position 31/);
  });

  // The CLI contract is one line on err; the formula's caret display
  // ("\n  <formula>\n  ^") makes this three lines.
  it("a bad formula is reported on a single line", async () => {
    const r = await run("fit", sleepstudy, "Reaction ~ Days + (1 | Subject");
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  });

  it("an unknown example", async () => {
    const r = await run("fit", "--example", "nope");
    expectUserError(r);
    expect(r.err).toMatch(/Unknown example 'nope'/);
    expect(r.err).toMatch(/sleepstudy/);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  });

  // EXAMPLES is a plain object, so names of Object.prototype members slip past
  // the `!ex` check and reach path.join(dir, undefined): an internal error.
  it("an example named like an Object.prototype member is an unknown example", async () => {
    const r = await run("fit", "--example", "toString");
    expectUserError(r);
    expect(r.err).toMatch(/Unknown example 'toString'/);
  });

  it("no data file", async () => {
    const r = await run("fit");
    expectUserError(r);
    expect(r.err).toMatch(/No data file/);
  });

  it("no formula", async () => {
    const r = await run("fit", sleepstudy);
    expectUserError(r);
    expect(r.err).toMatch(/No formula/);
  });
});

describe("bin/lmm.js", () => {
  const built = existsSync(join(root, "dist/src/cli.js"));
  it.skipIf(!built)(`runs the built CLI${built ? "" : " (skipped: dist/ not built; run npm run build)"}`, () => {
    const p = spawnSync(process.execPath, ["bin/lmm.js", "fit", "--example", "sleepstudy", "--json"], { cwd: root, encoding: "utf8" });
    expect(p.stderr).toBe("");
    expect(p.status).toBe(0);
    const j = JSON.parse(p.stdout);
    expect(j.fixef["(Intercept)"]).toBeCloseTo(251.4051, 3);
    expect(j.converged).toBe(true);
  });

  it.skipIf(!built)("exits 2 with an lmm: message on a user error", () => {
    const p = spawnSync(process.execPath, ["bin/lmm.js", "fit", "--example", "nope"], { cwd: root, encoding: "utf8" });
    expect(p.status).toBe(2);
    expect(p.stdout).toBe("");
    expect(p.stderr).toMatch(/^lmm: Unknown example 'nope'/);
  });
});

describe("npx lmm on its first run", () => {
  // npm trusts node_modules/.package-lock.json only while nothing in
  // node_modules is newer; the build and the test runner once wrote caches
  // there, and the first `npx lmm` after `npm ci` re-read the whole tree (12 s).
  const hidden = join(root, "node_modules/.package-lock.json");
  it.skipIf(!existsSync(hidden))("finds npm's hidden lockfile fresh after the install, build and tests", () => {
    const fresh = statSync(hidden).mtimeMs;
    const dir = join(root, "node_modules");
    const newer = [".", ...readdirSync(dir)].filter((name) => statSync(join(dir, name)).mtimeMs > fresh);
    expect(newer).toEqual([]);
  });
});

describe("argument errors from the command parser", () => {
  it("prefix unknown options and commands with 'lmm:' and exit 2", async () => {
    for (const argv of [["fit", "--bogus"], ["frobnicate"]]) {
      let err = "";
      const code = await main(argv, () => {}, (s) => (err += s));
      expect(code).toBe(2);
      expect(err).toMatch(/^lmm: unknown (option|command)/);
    }
  });
  it("--ddf none drops the df and p-value columns; --ddf satterthwaite (the default) shows them", async () => {
    const withP = await run("fit", "--example", "sleepstudy");
    expect(withP.out).toContain("Satterthwaite");
    expect(withP.out).toMatch(/Pr\(>\|t\|\)/);
    expect(withP.out).toMatch(/Days\s+10\.467\s+1\.546\s+17\.000\s+6\.771\s+3\.26e-06 \*\*\*/);
    const none = await run("fit", "--example", "sleepstudy", "--ddf", "none");
    expect(none.code).toBe(0);
    expect(none.out).not.toMatch(/Pr\(>\|t\|\)/);
    expectUserError(await run("fit", "--example", "sleepstudy", "--ddf", "kenward"));
  });
  it("lmm compare prints lme4's anova table and --json its fields", async () => {
    const data = "test/reference/data/sleepstudy.csv";
    const f0 = "Reaction ~ Days + (1 | Subject)";
    const f1 = "Reaction ~ Days + (Days | Subject)";
    const text = await run("compare", data, f0, f1);
    expect(text.code).toBe(0);
    expect(text.out).toContain("refitting model(s) with ML");
    expect(text.out).toMatch(/^m1\s+6\s+1763\.9\s+1783\.1\s+-875\.97\s+1751\.9\s+42\.1393\s+2\s+7\.072e-10 \*\*\*$/m);
    const json = await run("compare", data, f0, f1, "--json");
    const lrt = JSON.parse(json.out);
    expect(lrt.rows.map((r: { npar: number }) => r.npar)).toEqual([4, 6]);
    expect(lrt.rows[1].Df).toBe(2);
    expect(lrt.rows[1]["Pr(>Chisq)"]).toBeCloseTo(7.07e-10, 11);
  });

  it("lmm compare takes three models, ordered by npar, and --refit false compares REML criteria", async () => {
    const data = "test/reference/data/sleepstudy.csv";
    const text = await run("compare", data, "Reaction ~ Days + (Days | Subject)", "Reaction ~ 1 + (1 | Subject)", "Reaction ~ Days + (1 | Subject)");
    expect(text.code).toBe(0);
    // lme4: anova(m0, m1, m) on sleepstudy (BIC 1814.850, Chisq 116.462).
    expect(text.out).toMatch(/^m0\s+3\s+1916\.5\s+1926\.1\s+-955\.27\s+1910\.5\s*$/m);
    expect(text.out).toMatch(/^m1\s+4\s+1802\.1\s+1814\.9\s+-897\.04\s+1794\.1\s+116\.46\d+\s+1\s+< 2\.2e-16 \*\*\*$/m);
    expect(text.out).toMatch(/^m2\s+6\s+1763\.9\s+1783\.1\s+-875\.97\s+1751\.9\s+42\.1393\s+2\s+7\.072e-10 \*\*\*$/m);
    const reml = JSON.parse((await run("compare", data, "Reaction ~ Days + (1 | Subject)", "Reaction ~ Days + (Days | Subject)", "--refit", "false", "--json")).out);
    // lme4: anova(m1, m, refit = FALSE): deviance 1786.5 and 1743.6, Chisq 42.837, p 4.99e-10.
    expect(reml.rows.map((r: { deviance: number }) => r.deviance.toFixed(1))).toEqual(["1786.5", "1743.6"]);
    expect(reml.rows[1].Chisq).toBeCloseTo(42.837, 2);
    expect(reml.rows[1]["Pr(>Chisq)"]).toBeCloseTo(4.99e-10, 11);
    expectUserError(await run("compare", data, "Reaction ~ 1 + (1 | Subject)", "Reaction ~ Days + (1 | Subject)", "--refit", "false"));
  });
  it("--ddf kenward-roger and --confint profile|wald|boot, in text and in JSON", async () => {
    const kr = await run("fit", "--example", "sleepstudy", "--ddf", "kenward-roger", "--json", "--confint", "profile");
    expect(kr.code).toBe(0);
    const j = JSON.parse(kr.out);
    expect(j.kenward_roger.df.Days).toBeCloseTo(17, 6);
    expect(j.kenward_roger.se.Days).toBeCloseTo(1.54578893242985, 5);
    const names = j.confint_profile.map((r: { name: string }) => r.name);
    expect(names).toEqual(["sd_(Intercept)|Subject", "cor_Days.(Intercept)|Subject", "sd_Days|Subject", "sigma", "(Intercept)", "Days"]);
    expect(j.confint_profile[0].lower).toBeCloseTo(14.3814416527205, 2);
    const wald = await run("fit", "--example", "sleepstudy", "--confint", "wald");
    expect(wald.out).toMatch(/Confidence intervals \(wald\):/);
    expect(wald.out).toMatch(/^Days\s+7\.4376\s+13\.497$/m);
    const boot1 = await run("fit", "--example", "sleepstudy", "--confint", "boot", "--nsim", "50", "--seed", "3", "--json");
    const boot2 = await run("fit", "--example", "sleepstudy", "--confint", "boot", "--nsim", "50", "--seed", "3", "--json");
    expect(JSON.parse(boot1.out).confint_boot).toEqual(JSON.parse(boot2.out).confint_boot);
    expect(JSON.parse(boot1.out).confint_boot).toHaveLength(6);
    expectUserError(await run("fit", "--example", "sleepstudy", "--confint", "bayes"));
    expectUserError(await run("fit", "--example", "sleepstudy", "--ml", "--ddf", "kenward-roger"));
  });
  it.runIf(existsSync(join(process.cwd(), "dist", "src", "cli.js")))("ends quietly when its reader closes early (| head)", () => {
    const r = spawnSync("sh", ["-c", "node bin/lmm.js fit --example sleepstudy --json | head -1"], { encoding: "utf8" });
    expect(r.stdout.trim()).toBe("{");
    expect(r.stderr).not.toMatch(/EPIPE|    at /);
  });
  it("--version prints the package version; --example with a data file is refused", async () => {
    const { readFileSync } = await import("node:fs");
    const version = JSON.parse(readFileSync("package.json", "utf8")).version;
    const v = await run("--version");
    expect(v.code).toBe(0);
    expect(v.out.trim()).toBe(version);
    expectUserError(await run("fit", "--example", "sleepstudy", "other.csv", "y ~ x + (1 | g)"));
  });
});

describe("lmm ranova", () => {
  it("prints lmerTest's table and --json its rows", async () => {
    const text = await run("ranova", "test/reference/data/sleepstudy.csv", "Reaction ~ Days + (Days || Subject)");
    expect(text.code).toBe(0);
    // lmerTest: ranova(lmer(Reaction ~ Days + (Days || Subject), sleepstudy)).
    expect(text.out).toMatch(/^\(1 \| Subject\)\s+4 -883\.26 1774\.5 22\.856  1  1\.746e-06 \*\*\*$/m);
    expect(text.out).toMatch(/^Days in \(0 \+ Days \| Subject\)\s+4 -893\.23 1794\.5 42\.796  1  6\.076e-11 \*\*\*$/m);
    const json = JSON.parse((await run("ranova", "test/reference/data/pastes.csv", "strength ~ 1 + (1 | batch/cask)", "--json")).out);
    expect(json.ranova.map((r: { term: string }) => r.term)).toEqual(["<none>", "(1 | cask:batch)", "(1 | batch)"]);
    expect(json.ranova[2].p).toBeCloseTo(0.4174, 4);
  });
});

describe("--factor and --levels (issue 12, part 5)", () => {
  it("treat a numeric column as a factor and set a factor's level order, on fit and the other model commands", async () => {
    const data = "test/reference/data/sleepstudy.csv";
    const asFactor = JSON.parse((await run("fit", data, "Reaction ~ Days + (1 | Subject)", "--factor", "Days", "--json")).out);
    expect(Object.keys(asFactor.fixef)).toEqual(["(Intercept)", ...Array.from({ length: 9 }, (_, k) => `Days${k + 1}`)]);
    const reordered = JSON.parse((await run("fit", data, "Reaction ~ Days + (1 | Subject)", "--factor", "Days", "--levels", "Days=9,0,1,2,3,4,5,6,7,8", "--json")).out);
    expect(Object.keys(reordered.fixef).slice(0, 2)).toEqual(["(Intercept)", "Days0"]);
    expect(reordered.fixef["(Intercept)"]).toBeCloseTo(asFactor.fixef["(Intercept)"] + asFactor.fixef.Days9, 6);
    const anova = JSON.parse((await run("anova", data, "Reaction ~ Days + (1 | Subject)", "--factor", "Days", "--json")).out);
    expect(anova[0].numDF).toBe(9);
    expectUserError(await run("fit", data, "Reaction ~ Days + (1 | Subject)", "--levels", "Days"));
  });
});

describe("--weights and --offset (issue 12, part 5)", () => {
  it("fit as lme4 with weights = and offset = (reference: test/reference-weights), and refuse an unknown column", async () => {
    const data = "test/reference-weights/data/sleepstudy.csv";
    const ref = JSON.parse(readFileSync("test/reference-weights/cases/sleep_weights_offset.json", "utf8"));
    const json = JSON.parse((await run("fit", data, ref.formula, "--weights", "w", "--offset", "o", "--json")).out);
    expect(json.objective).toBeCloseTo(ref.objective, 4);
    const text = await run("fit", data, ref.formula, "--weights", "w", "--offset", "o");
    expect(text.out).toMatch(/^Weights: w\n Offset: o$/m);
    const predicted = await run("predict", data, ref.formula, "--weights", "w", "--offset", "o", "--newdata", data);
    expect(predicted.code).toBe(0);
    expectUserError(await run("fit", data, ref.formula, "--weights", "weight"));
  });
});

describe("lmm predict (issue 12, part 2)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lmm-predict-"));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const sleepNew = file("sleep-new.csv", "Days,Subject\n0.5,308\n,309\n7.25,372\n");
  const formula = "Reaction ~ Days + (Days | Subject)";

  it("writes the new data's columns, then fit (15 significant digits, NA for a row with a missing value, noted on stderr)", async () => {
    const r = await run("predict", sleepstudy, formula, "--newdata", sleepNew);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split("\n");
    expect(lines[0]).toBe("Days,Subject,fit");
    expect(lines[2]).toBe("NA,309,NA");
    expect(r.err).toBe("lmm: 1 of 3 rows of the new data lack a value the prediction needs: their fit is NA.\n");
    const { lmer, readCSV } = await import("../src/index.js");
    const m = await lmer(formula, await readCSV(sleepstudy));
    const p = m.predict(await readCSV(sleepNew));
    expect(lines[1]).toBe(`0.5,308,${Number(p[0].toPrecision(15))}`);
    expect(lines[3]).toBe(`7.25,372,${Number(p[2].toPrecision(15))}`);
    expect(lines[1].split(",")[2].replace(/^-?0\.|\./, "").length).toBeLessThanOrEqual(15);
  });

  it("--no-re --se --level adds se, lower and upper, as lme4's vcov gives them (numeric Diet as a factor)", async () => {
    const refs = JSON.parse(readFileSync(join(root, "test/reference-predict/predict.json"), "utf8"));
    const ref = refs.find((c: { id: string }) => c.id === "chick_log_poly");
    const header = Object.keys(ref.newdata[0]);
    const newdata = file("chick-new.csv", [header.join(","), ...ref.newdata.map((row: Record<string, unknown>) => header.map((k) => row[k]).join(","))].join("\n") + "\n");
    const data = join(root, "test/reference-predict/data", ref.data);
    const args = ["predict", data, ref.formula, "--factor", "Diet", "--newdata", newdata, "--no-re", "--se", "--level", String(ref.level)];
    const r = await run(...args);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    const [head, ...rows] = r.out.trimEnd().split("\n").map((l) => l.split(","));
    expect(head).toEqual([...header, "fit", "se", "lower", "upper"]);
    rows.forEach((cells, i) => {
      const [fit, se, lower, upper] = cells.slice(header.length).map(Number);
      expect(Math.abs(fit - ref.fit[i])).toBeLessThan(1e-5 * Math.abs(ref.fit[i]));
      expect(Math.abs(se - ref.se[i])).toBeLessThan(1e-4 * ref.se[i]);
      expect(Math.abs(lower - ref.lower[i])).toBeLessThan(1e-3 * ref.se[i] + 1e-5 * Math.abs(ref.fit[i]));
      expect(Math.abs(upper - ref.upper[i])).toBeLessThan(1e-3 * ref.se[i] + 1e-5 * Math.abs(ref.fit[i]));
    });
    const json = JSON.parse((await run(...args, "--json")).out);
    expect(json).toHaveLength(ref.newdata.length);
    expect(Object.keys(json[0])).toEqual([...header, "fit", "se", "lower", "upper"]);
    expect(json[0].Chick).toBe(String(ref.newdata[0].Chick));
    expect(json[0].se).toBeCloseTo(ref.se[0], 6);
  });

  it("--json keeps a row with a missing value as null", async () => {
    const r = await run("predict", sleepstudy, formula, "--newdata", sleepNew, "--no-re", "--json");
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out);
    expect(rows[1]).toEqual({ Days: null, Subject: 309, fit: null });
    expect(Object.keys(rows[0])).toEqual(["Days", "Subject", "fit"]);
    expect(r.err).toMatch(/1 of 3 rows/);
  });

  it("refuses --se with the random effects, --level without --se or not a number, and a new-data column named like an output column", async () => {
    const se = await run("predict", sleepstudy, formula, "--newdata", sleepNew, "--se");
    expectUserError(se);
    expect(se.err).toMatch(/population-level predictions.*--no-re with --se/);
    const level = await run("predict", sleepstudy, formula, "--newdata", sleepNew, "--no-re", "--level", "0.9");
    expectUserError(level);
    expect(level.err).toMatch(/--level sets the confidence level of the intervals of --se/);
    expectUserError(await run("predict", sleepstudy, formula, "--newdata", sleepNew, "--no-re", "--se", "--level", "high"));
    expect((await run("predict", sleepstudy, formula, "--newdata", sleepNew, "--no-re", "--se", "--level", "95")).err).toMatch(/between 0 and 1/);
    const clash = await run("predict", sleepstudy, formula, "--newdata", file("clash.csv", "Days,Subject,se\n1,308,2\n"), "--no-re", "--se");
    expectUserError(clash);
    expect(clash.err).toMatch(/column 'se', which the output adds/);
  });
});

describe("--contrasts and --level-order (issue 12, parts 5 and 8)", () => {
  const cake = "test/reference-contrasts/data/cake.csv";
  const cakeFormula = "angle ~ recipe * temp + (1 | recipe:replicate)";
  const reference = (id: string) => JSON.parse(readFileSync(`test/reference-contrasts/cases/${id}.json`, "utf8"));

  it("fit and anova code factors as asked, with lme4's numbers", async () => {
    const ref = reference("cake_poly");
    const fit = JSON.parse((await run("fit", cake, cakeFormula, "--factor", "temp", "--contrasts", "recipe=sum", "--contrasts", "temp=poly", "--ml", "--json")).out);
    expect(Object.keys(fit.fixef)).toEqual(ref.coef_names);
    for (const k of ref.coef_names) expect(fit.fixef[k]).toBeCloseTo(ref.fixef[k], 6);
    const anova = JSON.parse((await run("anova", cake, cakeFormula, "--factor", "temp", "--contrasts", "temp=helmert", "--ml", "--json")).out);
    expect(anova).toHaveLength(3);
    anova.forEach((row: { F: number }, i: number) => expect(row.F).toBeCloseTo(ref.anova.F[i], 5));
  });

  it("predict, emmeans and compare take them too; emmeans are the same in any coding", async () => {
    const ref = reference("cake_helmert");
    const dir = mkdtempSync(join(tmpdir(), "lmm-contrasts-"));
    const newdata = join(dir, "new.csv");
    writeFileSync(newdata, ["recipe,temp,replicate", ...ref.newdata.map((r: Record<string, unknown>) => `${r.recipe},${r.temp},${r.replicate}`)].join("\n") + "\n");
    const helmert = ["--factor", "temp", "--contrasts", "recipe=helmert", "--contrasts", "temp=helmert"];
    const pred = (await run("predict", cake, cakeFormula, "--newdata", newdata, ...helmert)).out.trim().split("\n").slice(1);
    expect(pred).toHaveLength(ref.predict.length);
    pred.forEach((line, i) => expect(Number(line.split(",").at(-1))).toBeCloseTo(ref.predict[i], 6));
    const means = (args: string[]) => run("emmeans", cake, cakeFormula, "~ recipe", "--json", "--ddf", "satterthwaite", "--factor", "temp", ...args).then((r) => JSON.parse(r.out).emmeans);
    const [sum, treatment] = await Promise.all([means(helmert), means([])]);
    expect(sum).toHaveLength(3);
    sum.forEach((row: { emmean: number; SE: number }, i: number) => {
      expect(row.emmean).toBeCloseTo(ref.emmeans.rows[i].emmean, 6);
      expect(row.emmean).toBeCloseTo(treatment[i].emmean, 8);
      expect(row.SE).toBeCloseTo(treatment[i].SE, 8);
    });
    // Each model codes the factors it has (the smaller one has no recipe), as R's model.matrix.
    const compare = (...args: string[]) => run("compare", cake, "angle ~ temp + (1 | recipe:replicate)", cakeFormula, "--factor", "temp", "--json", ...args);
    const [coded, plain] = await Promise.all([compare("--contrasts", "recipe=poly", "--contrasts", "temp=sum"), compare()]);
    expect(coded.code).toBe(0);
    expect(JSON.parse(coded.out).rows[1].Chisq).toBeCloseTo(JSON.parse(plain.out).rows[1].Chisq, 6);
    expectUserError(await compare("--contrasts", "Recipe=sum"));
  });

  it("batch codes its samples' factors as asked", async () => {
    const [treatment, sum] = await Promise.all(
      [[], ["--contrasts", "group=sum"]].map(async (args) =>
        JSON.parse((await run("batch", "examples/batch/samples.csv", "examples/batch/responses.csv", "~ time * group + (1 | id)", "--json", "--threads", "1", ...args)).out),
      ),
    );
    expect(sum[0]).toHaveProperty("group1");
    // Two levels: sum coding's effect is minus half of treatment's.
    expect(sum[0].group1).toBeCloseTo(-treatment[0].groupB / 2, 8);
    expect(sum[0]["time:group1"]).toBeCloseTo(-treatment[0]["time:groupB"] / 2, 8);
  });

  it("--level-order codepoint sorts levels as R in the C locale", async () => {
    const data = "test/reference-contrasts/data/sleep_arms.csv";
    const formula = "Reaction ~ Days * arm + (Days | Subject)";
    const english = JSON.parse((await run("fit", data, formula, "--json")).out);
    const codepoint = JSON.parse((await run("fit", data, formula, "--level-order", "codepoint", "--json")).out);
    expect(Object.keys(english.fixef)).toEqual(reference("sleep_arms_english").coef_names);
    expect(Object.keys(codepoint.fixef)).toEqual(reference("sleep_arms_codepoint").coef_names);
  });

  it("malformed values are one clear error", async () => {
    const bad = async (...args: string[]) => {
      const r = await run("fit", cake, "angle ~ recipe + (1 | replicate)", ...args);
      expectUserError(r);
      return r.err;
    };
    expect(await bad("--contrasts", "recipe")).toMatch(/--contrasts takes FACTOR=treatment\|sum\|helmert\|poly/);
    expect(await bad("--contrasts", "recipe=")).toMatch(/--contrasts takes/);
    expect(await bad("--contrasts", "recipe=deviation")).toMatch(/Unknown contrasts 'deviation' for 'recipe'/);
    expect(await bad("--contrasts", "recipe=sum", "--contrasts", "recipe=poly")).toMatch(/names 'recipe' twice/);
    expect(await bad("--contrasts", "temp=sum")).toMatch(/'temp', which is not a factor of the fixed effects \(those are 'recipe'\)/);
    expect(await bad("--level-order", "locale")).toMatch(/Unknown --level-order 'locale': choose english or codepoint/);
  });
});
