// The web app under load and when things go wrong (issue 16, items 3 and 8): a
// shared link whose formula never finishes expanding, a large CSV, a fit with
// thousands of levels, and a fit worker that dies without an error event. In
// each, the page's thread is never blocked long and the page says what happened.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { downloaded, marksOf, startApp, waitForFit, watchLongTasks, type App } from "./app-page.js";

/** The page may be busy this long at most: a user notices a longer freeze. */
const MAX_BLOCKED_MS = 500;

let app: App;

beforeAll(async () => {
  app = await startApp();
});

afterAll(() => app?.close());

afterEach(() => {
  expect(app.pageErrors).toEqual([]);
});

/** A CSV of `rows` rows of y, x and a factor g of `levels` levels, y depending on both. */
function generatedCSV(rows: number, levels: number): string {
  const lines = ["y,x,g"];
  for (let i = 0; i < rows; i++) {
    const [x, g] = [i % 10, i % levels];
    lines.push(`${(10 + 0.5 * x + ((g * 7919) % 1000) / 250 + Math.sin(i)).toFixed(4)},${x},g${g}`);
  }
  return lines.join("\n");
}

async function loaded(page: Page, text: RegExp): Promise<void> {
  await page.waitForFunction((source) => new RegExp(source).test(document.getElementById("data-preview")?.textContent ?? ""), text.source, { timeout: 60_000 });
}

describe("a shared link whose formula never finishes expanding", () => {
  it("leaves the page responsive, says why under the formula and starts no fit", async () => {
    const formula = "Reaction ~ (Days + Subject)^99999999999";
    const page = await app.openApp(`?example=sleepstudy&formula=${encodeURIComponent(formula)}`);
    const longestTask = await watchLongTasks(page);
    await expect.poll(() => page.textContent("#formula-error"), { timeout: 20_000 }).toMatch(/stopped after 3 s: it expands to too many terms/);
    expect(await longestTask()).toBeLessThan(MAX_BLOCKED_MS);
    expect(await page.inputValue("#formula-input")).toBe(formula);
    expect(await page.textContent("#fit-status")).toBe("");
    expect(await page.isEnabled("#fit-button")).toBe(true);
    // The checker that was stopped is replaced: a good formula is checked and fitted.
    await page.fill("#formula-input", "Reaction ~ Days + (Days | Subject)");
    await page.click("#fit-button");
    await waitForFit(page);
    expect(await page.isVisible("#formula-error")).toBe(false);
    await page.close();
  });
});

describe("a large CSV", () => {
  const ROWS = 600_000;
  let folder: string;
  let file: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "lmm-e2e-"));
    file = join(folder, "large.csv");
    await writeFile(file, generatedCSV(ROWS, 60_000));
  });

  afterAll(() => rm(folder, { recursive: true, force: true }));

  it("is parsed in the worker: the page never blocks, and shows its size, columns and first rows", async () => {
    const page = await app.openApp();
    const longestTask = await watchLongTasks(page);
    await page.setInputFiles("#file-input", file);
    await loaded(page, new RegExp(`large\\.csv: ${ROWS} rows, 3 columns`));
    expect(await longestTask()).toBeLessThan(MAX_BLOCKED_MS);
    expect(await page.$$eval("#data-preview tbody tr", (rows) => rows.length)).toBe(6);
    expect(await page.$$eval("#data-preview th", (cells) => cells.map((c) => c.textContent))).toEqual(["y (numeric)", "x (numeric)", "g (text)"]);
    expect(await page.$$eval("#role-subject option", (options) => options.map((o) => o.textContent))).toEqual(["y", "x", "g"]);
    await page.close();
  });
});

describe("a fit with thousands of levels", () => {
  let page: Page;

  beforeAll(async () => {
    page = await app.openApp();
    await page.setInputFiles("#file-input", { name: "levels.csv", mimeType: "text/csv", buffer: Buffer.from(generatedCSV(6000, 2000)) });
    await loaded(page, /levels\.csv: 6000 rows/);
    await page.fill("#formula-input", "y ~ x + (1 | g)");
    await page.click("#fit-button");
    await waitForFit(page);
  });

  afterAll(() => page.close());

  it("plots the 200 most extreme levels of the caterpillar and says so on the plot", async () => {
    const marks = await marksOf(page, "caterpillar-1");
    expect(marks.dot).toBe(200);
    const svgText = await page.textContent("#plot-caterpillar-1 svg");
    expect(svgText).toContain("showing 200 of 2000 levels: the 100 largest and the 100 smallest modes");
    // The largest and the smallest of all 2000 modes are among those shown; every level is in the download.
    const csv = (await downloaded(page, "#download-ranef-csv")).toString("utf8").trim().split("\n").slice(1);
    expect(csv).toHaveLength(2000);
    const modes = csv.map((line) => Number(line.split(",")[3]));
    // The x axis spans the modes shown, with their intervals: it reaches past the largest and the smallest of all.
    const ticks = await page.$$eval("#plot-caterpillar-1 svg g[aria-label='x-axis tick label'] text", (t) => t.map((x) => Number(x.textContent!.replace("−", "-"))));
    expect(Math.min(...ticks)).toBeLessThanOrEqual(Math.min(...modes) + 1);
    expect(Math.max(...ticks)).toBeGreaterThanOrEqual(Math.max(...modes) - 1);
  });

  it("bins the residuals and thins the QQ plot, and says so on each", async () => {
    const residuals = await marksOf(page, "residuals-fitted");
    expect(residuals.rect).toBeGreaterThan(0);
    expect(residuals.rect).toBeLessThanOrEqual(60 * 60);
    expect(residuals.dot).toBeUndefined();
    expect(await page.textContent("#plot-residuals-fitted svg")).toContain("6000 residuals, binned");
    expect((await marksOf(page, "qq-residuals")).dot).toBe(2000);
    expect(await page.textContent("#plot-qq-residuals svg")).toContain("showing 2000 of 6000 residuals");
  });
});

describe("a fit worker that dies without an error event", () => {
  it("is detected: the fit ends with a message, and the next fit starts a fresh worker that reads the data again", async () => {
    const page = await app.openApp("?example=sleepstudy");
    await waitForFit(page);
    const fitWorker = page.workers().find((w) => w.url().includes("fit.worker"))!;
    // As an out-of-memory kill would: the worker ends on the next request, with no error event and no answer.
    await fitWorker.evaluate(() => {
      self.onmessage = () => self.close();
    });
    await page.click("#fit-button");
    await expect.poll(() => page.textContent("#fit-status"), { timeout: 15_000 }).toMatch(/^The fit worker stopped without an error.*Fit again/);
    expect(await page.isEnabled("#fit-button")).toBe(true);
    expect(await page.isHidden("#cancel-button")).toBe(true);
    await page.click("#fit-button");
    await waitForFit(page);
    expect(await page.textContent("#fixed-effects")).toContain("Days");
    await page.close();
  });
});
