// The built web app (npm run build:web) served from a plain static server on
// localhost and opened in Debian's Chromium, with what the tests that drive
// it as a user does have in common.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { launchChromium } from "./chromium.js";
import { serveDirectory } from "./static-server.js";

export const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

export interface App {
  /** A fresh page of the app (at `url`, by default the site's root), its uncaught errors collected in pageErrors. */
  openApp(query?: string, url?: string): Promise<Page>;
  /** Errors thrown on any page of the app: there must be none. */
  pageErrors: string[];
  close(): Promise<void>;
}

export async function startApp(): Promise<App> {
  const server = await serveDirectory(root("web/dist"));
  const browser = await launchChromium();
  const pageErrors: string[] = [];
  return {
    pageErrors,
    async openApp(query = "", url = server.url) {
      const page = await browser.context.newPage();
      page.on("pageerror", (error) => pageErrors.push(error.message));
      await page.goto(`${url}${query}`);
      return page;
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

export async function waitForFit(page: Page): Promise<void> {
  await page.waitForFunction(() => /^Fitted in/.test(document.getElementById("fit-status")?.textContent ?? ""), undefined, { timeout: 60_000 });
}

/** Click a download button and return the file's bytes. */
export async function downloaded(page: Page, selector: string): Promise<Buffer> {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  return readFile(await download.path());
}

/** Count the shapes each mark of a figure drew: { dot: 180, line: 1, ... }. */
export async function marksOf(page: Page, figureId: string): Promise<Record<string, number>> {
  return page.$eval(`#plot-${figureId} svg`, (svg) => {
    const counts: Record<string, number> = {};
    for (const g of svg.querySelectorAll(":scope > g[aria-label]")) {
      const label = g.getAttribute("aria-label")!;
      if (!label.includes("axis")) counts[label] = (counts[label] ?? 0) + g.querySelectorAll("path, circle, line, rect, text").length;
    }
    return counts;
  });
}

/**
 * Start watching the page's main thread; the function returned gives the
 * longest task it ran since, in ms (0 when none took over 50 ms): how long the
 * page was frozen at most. Long tasks are reported also for a page in a
 * background tab, where animation frames do not run.
 */
export async function watchLongTasks(page: Page): Promise<() => Promise<number>> {
  await page.evaluate(() => {
    const probe = window as unknown as { longestTask: number };
    probe.longestTask = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) probe.longestTask = Math.max(probe.longestTask, entry.duration);
    }).observe({ type: "longtask" });
  });
  // The observer is told of a task after it ends: a moment's wait lets the last one in.
  return () => page.evaluate(() => new Promise<number>((resolve) => setTimeout(() => resolve((window as unknown as { longestTask: number }).longestTask), 100)));
}
