// fitMany in Chromium: the bundled batch example fitted in the page and in two
// Web Workers (the browser bundle's worker chunk) gives the same rows, in input
// order, and lme4's numbers for the features in test/reference-batch.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BatchRecord } from "../../src/index.js";
import { expectClose } from "../reference-cases.js";
import { runFixture, type FixtureRun } from "./fixture-page.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
/** What the page leaves in window. */
type Outcome = { inPage?: BatchRecord[]; inWorkers?: BatchRecord[]; progress?: number; error?: string };
let run: FixtureRun<Outcome>;
let result: Outcome;

beforeAll(async () => {
  run = await runFixture("batch", "batch");
  result = run.result;
});

afterAll(() => run?.close());

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
