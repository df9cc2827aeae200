// The module graph of src/ has no import cycles, type-only imports included:
// the fitted model offers a narrow interface (model/fitted.ts) that inference
// and output read, so that each can be changed and tested without the others.
import { fileURLToPath } from "node:url";
import madge from "madge";
import { describe, expect, it } from "vitest";

const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

describe("architecture", () => {
  it("src/ has no import cycles (madge, type-only imports included)", async () => {
    const graph = await madge(root("src"), {
      fileExtensions: ["ts"],
      tsConfig: root("tsconfig.json"),
      detectiveOptions: { ts: { skipTypeImports: false } },
    });
    // Every module resolved: an import madge cannot follow would hide a cycle.
    expect(graph.warnings().skipped).toEqual([]);
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(40);
    expect(graph.circular()).toEqual([]);
  });
});
