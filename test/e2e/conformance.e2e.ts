// The same reference cases in Chromium as in Node: a plain page (no bundler)
// imports the browser bundle with <script type="module"> and fits them; the
// numbers must meet the conformance suite's tolerances.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LmerJSON } from "../../src/index.js";
import {
  MODEL_CASES,
  expectFixedEffectsMatch,
  expectObjectiveMatches,
  expectSatterthwaiteMatches,
  expectThetaSigmaMatch,
} from "../reference-cases.js";
import { runFixture, type FixtureRun } from "./fixture-page.js";

/** One random slope, crossed, nested, and an ML fit with a factor interaction. */
const CASES = ["sleepstudy_slope_reml", "penicillin_crossed_reml", "pastes_nested_reml", "orthodont_agesex_ml"];

/** What the page leaves in window. */
type Outcome = { fits?: Record<string, LmerJSON>; readCSVError?: string; error?: string };
let run: FixtureRun<Outcome>;
let result: Outcome;

beforeAll(async () => {
  run = await runFixture("conformance", "conformance", `?cases=${CASES.join(",")}`);
  result = run.result;
});

afterAll(() => run?.close());

describe("the browser bundle from a plain <script type=\"module\">", () => {
  it("loads and fits without an error", () => {
    expect(result.error).toBeUndefined();
    expect(Object.keys(result.fits!)).toEqual(CASES);
  });

  it("refuses readCSV, which reads files in Node only, with a pointer to parseCSV", () => {
    expect(result.readCSVError).toMatch(/^LmmError: .*parseCSV/);
  });

  describe.each(CASES)("%s", (id) => {
    const ref = MODEL_CASES.find((c) => c.id === id)!;
    const fit = () => result.fits![id];

    it("reaches lme4's optimum", () => expectObjectiveMatches(fit(), ref));
    it("matches fixed effects, standard errors and t values", () => expectFixedEffectsMatch(fit(), ref));
    it("matches theta and sigma", () => expectThetaSigmaMatch(fit(), ref));
    it("matches lmerTest's Satterthwaite df and p-values", () => expectSatterthwaiteMatches(fit().satterthwaite!, ref));
  });
});
