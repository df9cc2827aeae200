// The JS <-> WASM contract is written once, in assembly/: layout.ts's numbers
// and the exports' signatures. TypeScript reads the committed
// src/wasm/layout.generated.ts and exports.generated.ts; these tests fail when
// either is stale, or when a side spells a field by number or keeps a copy.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- a plain .mjs build script, without type declarations
import { parseLayout, renderLayout, SOURCE, TARGET } from "../scripts/gen-layout.mjs";
// @ts-expect-error -- the same
import { renderExports, SOURCE as DTS, TARGET as EXPORTS } from "../scripts/gen-exports.mjs";

const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const sources = (dir: string): [string, string][] =>
  readdirSync(root(dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => [`${dir}/${f}`, readFileSync(root(`${dir}/${f}`), "utf8")]);

describe("wasm contract", () => {
  const layout = readFileSync(SOURCE, "utf8");
  const names: string[] = parseLayout(layout).map(([name]: [string, number]) => name);

  it("src/wasm/layout.generated.ts is what scripts/gen-layout.mjs makes of assembly/layout.ts (run it: node scripts/gen-layout.mjs)", () => {
    expect(readFileSync(TARGET, "utf8")).toBe(renderLayout(layout));
  });

  it("src/wasm/exports.generated.ts is what scripts/gen-exports.mjs makes of asc's build/lmm.d.ts (npm run build:wasm)", () => {
    expect(readFileSync(EXPORTS, "utf8")).toBe(renderExports(readFileSync(DTS, "utf8")));
  });

  it("no other assembly file declares a contract constant", () => {
    const copies = sources("assembly")
      .filter(([file]) => file !== "assembly/layout.ts")
      .flatMap(([file, text]) => names.filter((n) => new RegExp(`\\bconst ${n}\\b`).test(text)).map((n) => `${file}: ${n}`));
    expect(copies).toEqual([]);
  });

  it("src/ writes no descriptor or record field by a literal number", () => {
    // A field is `<record or descriptor> + FIELD`: a digit after the `+` of such an index is a literal field.
    const literal = /\b(desc|rec|terms|units|groups|segs|pairs|control)\b[^\]\n]*\+\s*\d+\s*\]|\.terms\[\d|\.set\(\[/;
    const hits = sources("src")
      .filter(([file]) => !file.endsWith(".generated.ts"))
      .flatMap(([file, text]) => text.split("\n").flatMap((line, i) => (literal.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])));
    expect(hits).toEqual([]);
  });

  it("src/ declares no mirror of a contract name", () => {
    const mirrors = sources("src")
      .filter(([file]) => !file.endsWith(".generated.ts"))
      .flatMap(([file, text]) =>
        [...text.matchAll(/\bconst ([A-Z][A-Z0-9_]*)\s*=\s*-?\d/g)].filter((m) => names.includes(m[1])).map((m) => `${file}: ${m[1]}`),
      );
    expect(mirrors).toEqual([]);
  });
});
