// The real-browser tests (npm run test:e2e): the built web app and the browser
// bundle in Debian's headless Chromium. Kept apart from the unit suite, which
// needs no browser.
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Out of node_modules, as in vitest.config.ts.
  cacheDir: ".cache/vite",
  test: {
    include: ["test/e2e/**/*.e2e.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // One Chromium at a time: the machine has two cores.
    fileParallelism: false,
  },
});
