// The web app: a static site (relative base, so it works from any static
// server and any subpath). It imports the library by its package name, which
// resolves to the package's own ESM entry (dist/src/index.js) as it would for
// any project that installs lmm-wasm.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here("."),
  // Out of node_modules, as in vitest.config.ts.
  cacheDir: here("../.cache/vite"),
  base: "./",
  resolve: { alias: { "lmm-wasm": here("..") } },
  worker: { format: "es" },
  build: { outDir: here("dist"), emptyOutDir: true, target: "es2022" },
});
