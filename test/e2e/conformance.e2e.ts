// The same reference cases in Chromium as in Node: a plain page (no bundler)
// imports the browser bundle with <script type="module"> and fits them; the
// numbers must meet the conformance suite's tolerances.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LmerJSON } from "../../src/index.js";
import {
  MODEL_CASES,
  expectFixedEffectsMatch,
  expectObjectiveMatches,
  expectSatterthwaiteMatches,
  expectThetaSigmaMatch,
} from "../reference-cases.js";
import { launchChromium, type Chromium } from "./chromium.js";
import { serveDirectory, type StaticServer } from "./static-server.js";

/** One random slope, crossed, nested, and an ML fit with a factor interaction. */
const CASES = ["sleepstudy_slope_reml", "penicillin_crossed_reml", "pastes_nested_reml", "orthodont_agesex_ml"];

let server: StaticServer;
let browser: Chromium;
let result: { fits?: Record<string, LmerJSON>; readCSVError?: string; error?: string };

beforeAll(async () => {
  server = await serveDirectory(fileURLToPath(new URL("../..", import.meta.url)));
  browser = await launchChromium();
  const page = await browser.context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`${server.url}test/e2e/fixtures/conformance.html?cases=${CASES.join(",")}`);
  await page.waitForFunction(() => "conformance" in window, undefined, { timeout: 60_000 }).catch((error: Error) => {
    throw new Error(`${error.message}; errors on the page: ${pageErrors.join("; ") || "none"}`);
  });
  result = await page.evaluate(() => (window as unknown as { conformance: typeof result }).conformance);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("the browser bundle from a plain <script type=\"module\">", () => {
  it("loads and fits without an error", () => {
    expect(result.error).toBeUndefined();
    expect(Object.keys(result.fits!)).toEqual(CASES);
  });

  it("refuses readCSV, which reads files in Node only, with a pointer to parseCSV", () => {
    expect(result.readCSVError).toMatch(/^LmmError: .*parseCSV/);
  });

  describe.each(CASES)("%s", (id) => {
    const ref = MODEL_CASES.find((c) => c.id === id)!;
    const fit = () => result.fits![id];

    it("reaches lme4's optimum", () => expectObjectiveMatches(fit(), ref));
    it("matches fixed effects, standard errors and t values", () => expectFixedEffectsMatch(fit(), ref));
    it("matches theta and sigma", () => expectThetaSigmaMatch(fit(), ref));
    it("matches lmerTest's Satterthwaite df and p-values", () => expectSatterthwaiteMatches(fit().satterthwaite!, ref));
  });
});
