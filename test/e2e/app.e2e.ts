// The web app in Chromium, as a user drives it: the built site (npm run
// build:web) served from a plain static server on localhost. The app under
// load, and its workers failing, are in load.e2e.ts.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LmerJSON } from "../../src/index.js";
import {
  MODEL_CASES,
  expectFixedEffectsMatch,
  expectObjectiveMatches,
  expectSatterthwaiteMatches,
  expectThetaSigmaMatch,
  type ModelCase,
} from "../reference-cases.js";
import { downloaded, marksOf, root, startApp, waitForFit, type App } from "./app-page.js";
import { serveDirectory } from "./static-server.js";

// The README's screenshot is refreshed on request, so that a test run leaves the work tree as it was.
const SCREENSHOT = process.env.UPDATE_SCREENSHOT ? root("docs/screenshot.png") : root("test/e2e/output/screenshot.png");

let app: App;
let openApp: App["openApp"];

beforeAll(async () => {
  app = await startApp();
  openApp = app.openApp;
});

afterAll(() => app?.close());

afterEach(() => {
  expect(app.pageErrors).toEqual([]);
});

const reference = (id: string): ModelCase => MODEL_CASES.find((c) => c.id === id)!;

async function downloadedJSON(page: Page): Promise<LmerJSON> {
  return JSON.parse((await downloaded(page, "#download-json")).toString("utf8"));
}

function expectLme4Numbers(fit: LmerJSON, ref: ModelCase): void {
  expectObjectiveMatches(fit, ref);
  expectFixedEffectsMatch(fit, ref);
  expectThetaSigmaMatch(fit, ref);
  expectSatterthwaiteMatches(fit.satterthwaite!, ref);
}

describe("fitting sleepstudy through the UI", () => {
  let page: Page;

  beforeAll(async () => {
    page = await openApp();
    await page.selectOption("#example-select", "sleepstudy");
    await page.waitForFunction(() => (document.getElementById("formula-input") as HTMLInputElement).value !== "");
    await page.click("#fit-button");
    await waitForFit(page);
  });

  it("fits the example's model, its roles shown in the column pickers", async () => {
    expect(await page.inputValue("#formula-input")).toBe("Reaction ~ Days + (Days | Subject)");
    const roles = await Promise.all(["response", "time", "group", "subject"].map((r) => page.inputValue(`#role-${r}`)));
    expect(roles).toEqual(["Reaction", "Days", "", "Subject"]);
  });

  it("gives lme4's fixed effects, SEs, theta, sigma and lmerTest's df in the JSON download", async () => {
    expectLme4Numbers(await downloadedJSON(page), reference("sleepstudy_slope_reml"));
  });

  it("shows the summary tables as lme4 prints them", async () => {
    const days = await page.$$eval("#fixed-effects tbody tr:nth-child(2) td", (cells) => cells.map((c) => c.textContent));
    expect(days).toEqual(["Days", "10.467", "1.546", "17.000", "6.771", "3.26e-06", "***"]);
    expect(await page.textContent("#random-effects")).toMatch(/Subject.*\(Intercept\).*612\.\d+.*24\.7\d+/s);
    expect(await page.textContent("#fit-criteria")).toContain("1743.6");
  });

  it("draws every plot: trajectories, both caterpillars, residuals vs fitted and the QQ plot", async () => {
    const trajectories = await marksOf(page, "trajectories");
    expect(trajectories.line).toBeGreaterThanOrEqual(18 + 2); // one per subject, the mean and its casing
    for (const id of ["caterpillar-1", "caterpillar-2"]) {
      const marks = await marksOf(page, id);
      expect(marks.dot).toBe(18);
      expect(marks.rule).toBeGreaterThanOrEqual(18);
    }
    expect((await marksOf(page, "residuals-fitted")).dot).toBe(180);
    expect((await marksOf(page, "qq-residuals")).dot).toBe(180);
    const sizes = await page.$$eval("#results figure.plot svg", (svgs) => svgs.map((s) => s.getBoundingClientRect().width * s.getBoundingClientRect().height));
    expect(sizes).toHaveLength(5);
    for (const area of sizes) expect(area).toBeGreaterThan(10_000);
  });

  it("downloads the fixed effects as CSV and a plot as SVG and as PNG", async () => {
    const csv = (await downloaded(page, "#download-fixef-csv")).toString("utf8").split("\n");
    expect(csv[0]).toBe("term,estimate,std_error,df,t_value,p_value");
    expect(csv[2]).toMatch(/^Days,10\.4672/);
    const svg = (await downloaded(page, "#plot-qq-residuals [data-download=svg]")).toString("utf8");
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.match(/<circle/g)).toHaveLength(180);
    const png = await downloaded(page, "#plot-qq-residuals [data-download=png]");
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(2 * 640); // IHDR width: the plot at twice its size
  });

  it("puts the example and formula in the URL, and that link fits again on its own", async () => {
    const url = new URL(page.url());
    expect(url.searchParams.get("example")).toBe("sleepstudy");
    expect(url.searchParams.get("formula")).toBe("Reaction ~ Days + (Days | Subject)");
    expect(await page.getAttribute("#share-link", "href")).toBe(url.href);
  });

  it("is captured for the README", async () => {
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await writeFile(SCREENSHOT, await page.screenshot({ fullPage: true }));
  });
});

describe("the model inputs", () => {
  it("write the longitudinal formula from the chosen columns", async () => {
    const page = await openApp();
    await page.selectOption("#example-select", "orthodont");
    await expect.poll(() => page.inputValue("#formula-input")).toBe("distance ~ age * Sex + (age | Subject)");
    // The roles come from the formula worker's check of the example's formula.
    await expect.poll(() => page.inputValue("#role-group")).toBe("Sex");
    await page.selectOption("#role-group", "");
    expect(await page.inputValue("#formula-input")).toBe("distance ~ age + (age | Subject)");
    await page.selectOption("#role-time", "");
    expect(await page.inputValue("#formula-input")).toBe("distance ~ 1 + (1 | Subject)");
    await page.selectOption("#role-time", "age");
    await page.selectOption("#role-group", "Sex");
    expect(await page.inputValue("#formula-input")).toBe("distance ~ age * Sex + (age | Subject)");
    await page.close();
  });
});

describe("numeric columns as factors, functions in formulas and the prediction band (issue 12, part 9)", () => {
  const CHICK = root("test/reference-predict/data/chickweight.csv");
  const rowsOf = (page: Page, id: string) => page.$$eval(`#${id} tbody tr td:first-child`, (tds) => tds.map((td) => td.textContent));

  it("switches a numeric column (Diet coded 1-4) to a factor: the group picker offers it, the fit has its levels and a band per diet", async () => {
    const page = await openApp();
    await page.setInputFiles("#file-input", CHICK);
    await expect.poll(() => page.textContent("#data-preview")).toMatch(/chickweight\.csv: 578 rows, 4 columns/);
    const groups = () => page.$$eval("#role-group option", (os) => os.map((o) => o.getAttribute("value")));
    expect(await groups()).toEqual([""]);
    expect(await page.$$eval("#factor-columns input", (inputs) => inputs.map((i) => i.getAttribute("data-column")))).toEqual(["weight", "Time", "Chick", "Diet"]);
    await page.check('#factor-columns input[data-column="Diet"]');
    expect(await groups()).toEqual(["", "Diet"]);
    expect(await page.$$eval("#role-time option", (os) => os.map((o) => o.getAttribute("value")))).not.toContain("Diet");
    await page.selectOption("#role-response", "weight");
    await page.selectOption("#role-subject", "Chick");
    await page.selectOption("#role-time", "Time");
    await page.selectOption("#role-group", "Diet");
    expect(await page.inputValue("#formula-input")).toBe("weight ~ Time * Diet + (Time | Chick)");
    await page.click("#fit-button");
    await waitForFit(page);
    expect(await rowsOf(page, "fixed-effects")).toEqual(["(Intercept)", "Time", "Diet2", "Diet3", "Diet4", "Time:Diet2", "Time:Diet3", "Time:Diet4"]);
    const marks = await marksOf(page, "trajectories");
    expect(marks.area).toBe(4); // a 95% band per diet
    expect(await page.$$eval("#plot-trajectories svg text", (t) => t.map((x) => x.textContent))).toEqual(expect.arrayContaining(["Diet 1", "Diet 4"]));
    expect(new URL(page.url()).searchParams.getAll("factor")).toEqual(["Diet"]);
    // Switched back, Diet is a number again: no longer a group.
    await page.uncheck('#factor-columns input[data-column="Diet"]');
    expect(await groups()).toEqual([""]);
    await page.close();
  });

  it("fits a formula with log() and I() typed in the formula box, with lme4's estimates, and reads time through them", async () => {
    const ref = JSON.parse(await readFile(root("test/reference-formula/cases/sleep_log_quadratic.json"), "utf8"));
    const page = await openApp(`?example=sleepstudy&formula=${encodeURIComponent(ref.formula)}`);
    await waitForFit(page);
    expect(await rowsOf(page, "fixed-effects")).toEqual(["(Intercept)", "Days", "I(Days^2)"]);
    const fit = await downloadedJSON(page);
    for (const name of ref.coef_names) expect(Math.abs(fit.fixef[name] - ref.fixef[name])).toBeLessThan(1e-4 * Math.max(Math.abs(ref.fixef[name]), 1e-2));
    expect(await page.inputValue("#role-time")).toBe("Days");
    expect(await page.textContent("#plot-trajectories h3")).toBe("log(Reaction) over Days by Subject");
    await page.fill("#formula-input", "Reaction ~ sin(Days) + (1 | Subject)");
    await expect.poll(() => page.textContent("#formula-error")).toMatch(/sin/);
    await page.fill("#formula-input", "Reaction ~ poly(Days, 2) + (1 | Subject)");
    await page.click("#fit-button");
    await expect.poll(() => rowsOf(page, "fixed-effects")).toEqual(["(Intercept)", "poly(Days, 2)1", "poly(Days, 2)2"]);
    expect((await marksOf(page, "trajectories")).area).toBe(1);
    await page.close();
  });

  it("draws the population prediction of sleepstudy with its 95% confidence band, said in the caption", async () => {
    const page = await openApp("?example=sleepstudy");
    await waitForFit(page);
    const marks = await marksOf(page, "trajectories");
    expect(marks.area).toBe(1);
    expect(await page.textContent("#plot-trajectories figcaption")).toMatch(/population prediction \(fixed effects only\), with its 95% confidence band/);
    // The band at Days = 0 is the intercept -/+ 1.96 SE, in the plot's own pixels: read the y axis' scale from two ticks.
    const { top, bottom, ticks } = await page.$eval("#plot-trajectories svg", (svg) => {
      const area = svg.querySelector('g[aria-label="area"] path')!.getAttribute("d")!;
      const ys = [...area.matchAll(/[ML]([\d.]+),([\d.]+)/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
      const x0 = Math.min(...ys.map((p) => p.x));
      const atStart = ys.filter((p) => Math.abs(p.x - x0) < 1e-6).map((p) => p.y);
      // Each tick label is placed by its own transform (translate(x,y)).
      const tickTexts = [...svg.querySelectorAll('g[aria-label="y-axis tick label"] text')].map((t) => ({
        value: Number(t.textContent!.replace(/,/g, "")),
        y: t.transform.baseVal.consolidate()!.matrix.f,
      }));
      return { top: Math.min(...atStart), bottom: Math.max(...atStart), ticks: tickTexts };
    });
    const [a, b] = [ticks[0], ticks.at(-1)!];
    const value = (y: number) => a.value + ((y - a.y) * (b.value - a.value)) / (b.y - a.y);
    const ref = reference("sleepstudy_slope_reml");
    const half = 1.959963984540054 * ref.se["(Intercept)"];
    expect(value(top)).toBeCloseTo(ref.fixef["(Intercept)"] + half, 0);
    expect(value(bottom)).toBeCloseTo(ref.fixef["(Intercept)"] - half, 0);
    await page.close();
  });
});

describe("the Questions section (issue 13, part 7)", () => {
  it("answers orthodont's questions: means by sex over age with bands, the sexes' differences, slopes, age:Sex, ICC and R^2; downloads them as CSV", async () => {
    const page = await openApp(`?example=orthodont&formula=${encodeURIComponent("distance ~ age * Sex + (age | Subject)")}`);
    await waitForFit(page);
    const marks = await marksOf(page, "questions-means");
    expect(marks.area).toBe(2); // a band per sex
    expect(marks.line).toBe(2);
    expect(marks.dot).toBe(8); // 2 sexes at ages 8, 10, 12, 14
    const rows = (id: string) => page.$$eval(`#${id} tbody tr`, (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    expect(await rows("questions-differences")).toEqual([
      ["Female - Male", "8", "-1.407", "0.8249", "25", "-1.705", "0.1006"],
      ["Female - Male", "10", "-2.016", "0.7596", "25", "-2.654", "0.0136"],
      ["Female - Male", "12", "-2.626", "0.7866", "25", "-3.338", "0.0026"],
      ["Female - Male", "14", "-3.236", "0.8977", "25", "-3.604", "0.0014"],
    ]);
    expect((await rows("questions-slopes")).map((r) => r.slice(0, 2))).toEqual([
      ["Female", "0.4795"],
      ["Male", "0.7844"],
    ]);
    expect((await rows("questions-slope-differences"))[0]).toEqual(["Female - Male", "-0.3048", "0.1347", "25", "-2.262", "0.0326"]);
    const answers = await page.$$eval("#questions .answer", (ps) => Object.fromEntries(ps.map((p) => [p.getAttribute("data-question"), p.textContent])));
    expect(Object.keys(answers)).toEqual(["trajectory", "differences", "slopes", "interaction", "variance"]);
    expect(answers.trajectory).toMatch(/^Between age 8 and 14 the model's mean distance goes from 21.2 to 24.1 in Sex Female/);
    expect(answers.interaction).toMatch(/^The age:Sex interaction: F\(1, 25\) = 5.12, p = 0.033: the trajectories of the Sex groups differ/);
    expect(answers.variance).toMatch(/adjusted ICC 0.672.* 41% .*marginal R².* 81% /);
    const csv = (await downloaded(page, "#download-questions-csv")).toString("utf8").trim().split("\n");
    expect(csv[0]).toBe("question,term,age,estimate,std_error,df,lower_CL,upper_CL,num_df,statistic,p_value");
    expect(csv[1]).toMatch(/^mean,Sex Female,8,21\.209\d*,0\.6349\d*,/);
    expect(csv.filter((l) => l.startsWith("difference (tukey)") || l.startsWith("difference (none)"))).toHaveLength(4);
    expect(csv.at(-1)).toMatch(/^R2,conditional,,0\.806\d*$/);
    await page.close();
  });

  it("is not shown for a model without a group", async () => {
    const page = await openApp("?example=sleepstudy");
    await waitForFit(page);
    expect(await page.$("#questions")).toBeNull();
    await page.close();
  });
});

describe("a shared link", () => {
  it("loads the example and fits the formula by ML at once", async () => {
    const formula = "distance ~ age * Sex + (age | Subject)";
    const page = await openApp(`?example=orthodont&formula=${encodeURIComponent(formula)}&method=ML`);
    await waitForFit(page);
    expect(await page.isChecked("#method-ml")).toBe(true);
    expect(await page.inputValue("#formula-input")).toBe(formula);
    expect(await page.textContent("#fit-criteria")).toMatch(/AIC.*BIC.*logLik.*deviance/s);
    expectLme4Numbers(await downloadedJSON(page), reference("orthodont_agesex_ml"));
    // Two groups: each has its own mean line, labelled inside the SVG.
    expect(await page.$$eval("#plot-trajectories svg text", (t) => t.map((x) => x.textContent))).toEqual(
      expect.arrayContaining(["Sex Female", "Sex Male"]),
    );
    await page.close();
  });

  it("with an unknown example says so next to the data input", async () => {
    const page = await openApp("?example=nosuch");
    await expect.poll(() => page.textContent("#data-error")).toMatch(/unknown example 'nosuch'.*sleepstudy/);
    await page.close();
  });
});

describe("errors are shown next to their input", () => {
  let page: Page;

  beforeAll(async () => {
    page = await openApp("?example=sleepstudy&formula=Reaction%20~%20Days%20%2B%20(1%20%7C%20Subject)");
    await waitForFit(page);
  });

  it("a malformed formula: the message with its position and a caret under it", async () => {
    const formula = "Reaction ~ Days + (Days | Subject";
    await page.fill("#formula-input", formula);
    const message = await page.textContent("#formula-error .message");
    expect(message).toMatch(/position 34/);
    const [shown, caret] = (await page.textContent("#formula-error pre.caret"))!.split("\n");
    expect(shown).toBe(formula);
    expect(caret.indexOf("^")).toBe(33);
    await page.click("#fit-button");
    expect(await page.textContent("#fit-status")).toMatch(/^Fitted in/); // the last good fit stays; nothing started
  });

  it("an unknown column: the message names it", async () => {
    await page.fill("#formula-input", "Reaction ~ Dayz + (Days | Subject)");
    await page.click("#fit-button");
    await expect.poll(() => page.textContent("#formula-error")).toMatch(/Unknown column 'Dayz'/);
    expect(await page.isVisible("#formula-error pre.caret")).toBe(false);
    expect(await page.textContent("#fit-status")).toMatch(/could not be fitted/);
  });

  it("an empty file and a ragged CSV: the parser's message next to the file input", async () => {
    await page.setInputFiles("#file-input", { name: "empty.csv", mimeType: "text/csv", buffer: Buffer.from("") });
    await expect.poll(() => page.textContent("#data-error")).toMatch(/The CSV file is empty/);
    expect(await page.isVisible("#results")).toBe(false);
    await page.setInputFiles("#file-input", { name: "ragged.csv", mimeType: "text/csv", buffer: Buffer.from("y,t,id\n1,2,a\n3,4\n") });
    await expect.poll(() => page.textContent("#data-error")).toMatch(/row 3 has 2 fields but the header has 3/);
  });

  it("a dropped CSV whose response is text: the message says the response is not numeric", async () => {
    const rows = ["id,time,score", ...Array.from({ length: 12 }, (_, i) => `s${i % 4},${i % 3},${i % 2 ? "high" : "low"}`)];
    await page.evaluate((text) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([text], "scores.csv", { type: "text/csv" }));
      document.getElementById("drop-zone")!.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, rows.join("\n"));
    await expect.poll(() => page.textContent("#data-preview")).toMatch(/scores\.csv: 12 rows, 3 columns/);
    await page.fill("#formula-input", "score ~ time + (1 | id)");
    await page.click("#fit-button");
    await expect.poll(() => page.textContent("#formula-error")).toMatch(/The response 'score' is not numeric/);
  });
});

describe("the built site", () => {
  it("works from a subpath of a static server", async () => {
    const parent = await serveDirectory(root("web"));
    try {
      const page = await openApp("?example=sleepstudy", `${parent.url}dist/index.html`);
      await waitForFit(page);
      expect(await page.$$eval("#results figure.plot svg", (svgs) => svgs.length)).toBe(5);
      await page.close();
    } finally {
      await parent.close();
    }
  });
});

describe("a long fit", () => {
  it("shows the optimiser's progress while the page stays responsive, and can be cancelled", async () => {
    const page = await openApp();
    await page.selectOption("#example-select", "insteval");
    await expect.poll(() => page.inputValue("#formula-input"), { timeout: 30_000 }).toBe("y ~ service + (1 | s) + (1 | d) + (1 | dept)");
    await page.click("#fit-button");
    await expect.poll(() => page.textContent("#fit-status"), { timeout: 30_000 }).toMatch(/Optimising: \d+ evaluations, REML criterion \d+/);
    // The fit runs in the worker: the page still paints frames promptly.
    const frameMs = await page.evaluate(() => {
      const start = performance.now();
      return new Promise<number>((resolve) => requestAnimationFrame(() => resolve(performance.now() - start)));
    });
    expect(frameMs).toBeLessThan(500);
    await page.click("#cancel-button");
    await expect.poll(() => page.textContent("#fit-status")).toMatch(/^Cancelled after/);
    expect(await page.isEnabled("#fit-button")).toBe(true);
    await page.close();
  });
});
