import { defineConfig } from "vitest/config";

export default defineConfig({
  // Caches stay out of node_modules: a write there makes npm's hidden lockfile
  // stale, and the next npx lmm re-reads the whole tree (about 12 s).
  cacheDir: ".cache/vite",
  // The web app's modules import the library by its package name.
  resolve: { alias: { "lmm-wasm": new URL("./src/index.ts", import.meta.url).pathname } },
  test: {
    include: ["test/**/*.test.ts"],
    // The InstEval conformance case fits 73k rows with three crossed terms.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
