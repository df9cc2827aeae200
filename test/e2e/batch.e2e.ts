// fitMany in Chromium: the bundled batch example fitted in the page and in two
// Web Workers (the browser bundle's worker chunk) gives the same rows, in input
// order, and lme4's numbers for the features in test/reference-batch.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BatchRecord } from "../../src/index.js";
import { expectClose } from "../reference-cases.js";
import { launchChromium, type Chromium } from "./chromium.js";
import { serveDirectory, type StaticServer } from "./static-server.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
let server: StaticServer;
let browser: Chromium;
let result: { inPage?: BatchRecord[]; inWorkers?: BatchRecord[]; progress?: number; error?: string };

beforeAll(async () => {
  server = await serveDirectory(root);
  browser = await launchChromium();
  const page = await browser.context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`${server.url}test/e2e/fixtures/batch.html`);
  await page.waitForFunction(() => "batch" in window, undefined, { timeout: 60_000 }).catch((error: Error) => {
    throw new Error(`${error.message}; errors on the page: ${pageErrors.join("; ") || "none"}`);
  });
  result = await page.evaluate(() => (window as unknown as { batch: typeof result }).batch);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("fitMany in the browser", () => {
  it("runs in the page and in two Web Workers without an error", () => {
    expect(result.error).toBeUndefined();
    expect(result.inWorkers).toHaveLength(100);
    expect(result.progress).toBe(100);
  });

  it("gives the same rows in the same order from the workers as in the page", () => {
    expect(result.inWorkers!.map((r) => r.feature)).toEqual(result.inPage!.map((r) => r.feature));
    result.inWorkers!.forEach((r, f) => expect(r).toEqual(result.inPage![f]));
  });

  it("matches lme4 + lmerTest on the reference features", () => {
    const ref = JSON.parse(readFileSync(`${root}test/reference-batch/lme4-features.json`, "utf8"));
    ref.features.forEach((rf: { feature: string; estimate: Record<string, number>; df: Record<string, number>; sigma: number }, f: number) => {
      const r = result.inWorkers![f];
      expect(r.feature).toBe(rf.feature);
      for (const c of Object.keys(rf.estimate)) {
        expectClose(r[c] as number, rf.estimate[c], 1e-4, 1e-2, `${rf.feature} ${c}`);
        expectClose(r[`${c}_df`] as number, rf.df[c], 1e-3, 1, `${rf.feature} ${c}_df`);
      }
      expectClose(r.sigma as number, rf.sigma, 1e-3, 1e-2, `${rf.feature} sigma`);
    });
  });
});
