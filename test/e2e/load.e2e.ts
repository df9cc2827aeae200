// The web app under load and when things go wrong (issue 16, items 3 and 8): a
// shared link whose formula never finishes expanding, a large CSV fitted with
// tens of thousands of levels, and a fit worker that dies without an error event. In
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

describe("a shared link whose formula asks for a huge expansion", () => {
  // The parser refuses the power at once; were a check ever to run long, the
  // page's checker stops it after 3 s. Either way the page never expands it.
  it("leaves the page responsive, says why under the formula and starts no fit", async () => {
    const formula = "Reaction ~ (Days + Subject)^99999999999";
    const page = await app.openApp(`?example=sleepstudy&formula=${encodeURIComponent(formula)}`);
    const longestTask = await watchLongTasks(page);
    await expect.poll(() => page.textContent("#formula-error"), { timeout: 20_000 }).toMatch(/invalid power 99999999999 .*a power must be a whole number from 1 to 2147483647/);
    expect(await longestTask()).toBeLessThan(MAX_BLOCKED_MS);
    expect(await page.inputValue("#formula-input")).toBe(formula);
    expect(await page.textContent("#fit-status")).toBe("");
    expect(await page.isEnabled("#fit-button")).toBe(true);
    // A good formula is then checked and fitted.
    await page.fill("#formula-input", "Reaction ~ Days + (Days | Subject)");
    await page.click("#fit-button");
    await waitForFit(page);
    expect(await page.isVisible("#formula-error")).toBe(false);
    await page.close();
  });
});

describe("a CSV of 600 000 rows and 60 000 levels", () => {
  const ROWS = 600_000;
  let folder: string;
  let page: Page;
  /** The longest task on the page's thread while the file loaded, and while the model was fitted and drawn. */
  const blocked = { load: 0, fit: 0 };

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "lmm-e2e-"));
    const file = join(folder, "large.csv");
    await writeFile(file, generatedCSV(ROWS, 60_000));
    page = await app.openApp();
    let longestTask = await watchLongTasks(page);
    await page.setInputFiles("#file-input", file);
    await loaded(page, new RegExp(`large\\.csv: ${ROWS} rows, 3 columns`));
    blocked.load = await longestTask();
    await page.fill("#formula-input", "y ~ x + (1 | g)");
    longestTask = await watchLongTasks(page);
    await page.click("#fit-button");
    await waitForFit(page);
    blocked.fit = await longestTask();
  });

  afterAll(async () => {
    await page?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it("is parsed in the worker: the page never blocks, and shows its size, columns and first rows", async () => {
    expect(blocked.load).toBeLessThan(MAX_BLOCKED_MS);
    expect(await page.$$eval("#data-preview tbody tr", (rows) => rows.length)).toBe(6);
    expect(await page.$$eval("#data-preview th", (cells) => cells.map((c) => c.textContent))).toEqual(["y (numeric)", "x (numeric)", "g (text)"]);
    expect(await page.$$eval("#role-subject option", (options) => options.map((o) => o.textContent))).toEqual(["y", "x", "g"]);
  });

  it("is fitted and drawn without blocking the page", async () => {
    expect(blocked.fit).toBeLessThan(MAX_BLOCKED_MS);
    const figures = await page.$$eval("#results figure.plot", (f) => f.map((x) => x.id));
    expect(figures).toEqual(["plot-trajectories", "plot-caterpillar-1", "plot-residuals-fitted", "plot-qq-residuals"]);
    expect(await page.textContent("#plot-trajectories h3")).toMatch(/\(200 of 60000 g shown\)/);
  });

  it("plots the 200 most extreme levels of the caterpillar and says so on the plot", async () => {
    const marks = await marksOf(page, "caterpillar-1");
    expect(marks.dot).toBe(200);
    expect(await page.textContent("#plot-caterpillar-1 svg")).toContain("showing 200 of 60000 levels: the 100 largest and the 100 smallest modes");
    expect(await page.textContent("#plot-caterpillar-1 figcaption")).toMatch(/60000 levels, too many to draw.*The random effects CSV has every level/);
    // Which levels are shown is tested in web-app.test.ts; every level is in the download.
    const csv = (await downloaded(page, "#download-ranef-csv")).toString("utf8").trim().split("\n");
    expect(csv).toHaveLength(1 + 60_000);
  });

  it("bins the residuals and thins the QQ plot, and says so on each", async () => {
    const residuals = await marksOf(page, "residuals-fitted");
    expect(residuals.rect).toBeGreaterThan(0);
    expect(residuals.rect).toBeLessThanOrEqual(60 * 60);
    expect(residuals.dot).toBeUndefined();
    expect(await page.textContent("#plot-residuals-fitted svg")).toContain(`${ROWS} residuals, binned`);
    expect((await marksOf(page, "qq-residuals")).dot).toBe(2000);
    expect(await page.textContent("#plot-qq-residuals svg")).toContain(`showing 2000 of ${ROWS} residuals`);
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
