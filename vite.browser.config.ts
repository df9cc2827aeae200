// The library as one self-contained ES module (dist/browser/lmm-wasm.js) for
// pages without a bundler: `<script type="module">` imports it by URL. The
// dependencies are bundled in and the WASM binary is already inlined as base64.
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    outDir: "dist/browser",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    lib: { entry: "src/index.ts", formats: ["es"], fileName: () => "lmm-wasm.js" },
  },
  // fitMany's Web Workers are ES modules (they import the library's kernels).
  worker: { format: "es" },
});
