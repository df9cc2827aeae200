// A fixture page (test/e2e/fixtures/NAME.html) served from the repository root
// and opened in headless Chromium; the page leaves its outcome in window[key].
import { fileURLToPath } from "node:url";
import { launchChromium } from "./chromium.js";
import { serveDirectory } from "./static-server.js";

export interface FixtureRun<T> {
  result: T;
  close(): Promise<void>;
}

/** Open the fixture with `query`, wait for window[key] and read it back. */
export async function runFixture<T>(name: string, key: string, query = ""): Promise<FixtureRun<T>> {
  const server = await serveDirectory(fileURLToPath(new URL("../..", import.meta.url)));
  const browser = await launchChromium();
  const close = async () => {
    await browser.close();
    await server.close();
  };
  try {
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(`${server.url}test/e2e/fixtures/${name}.html${query}`);
    await page.waitForFunction((k) => k in window, key, { timeout: 60_000 }).catch((error: Error) => {
      throw new Error(`${error.message}; errors on the page: ${pageErrors.join("; ") || "none"}`);
    });
    const result = await page.evaluate((k) => (window as unknown as Record<string, T>)[k], key);
    return { result, close };
  } catch (error) {
    await close();
    throw error;
  }
}
