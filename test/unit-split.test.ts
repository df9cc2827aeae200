// Work shared with a worker thread (src/model/unit-split.ts): the units of a
// large q = 2 model, or the rows of the products of a large dense tail. Either
// gives the objective and gradient of one thread to the last bit, and leaves
// the deviance whole afterwards.
import { describe, expect, it } from "vitest";
import { COHORT_FORMULA, generateCohort } from "../bench/cohort.js";
import { buildDesign, lmer, parseFormula, ProfiledDeviance, toDataFrame } from "../src/index.js";
import { SHARED_TAIL_MIN, SPLIT_MIN_UNITS } from "../src/model/unit-split.js";
import { mulberry32 } from "../src/random.js";

const data = generateCohort({ subjects: SPLIT_MIN_UNITS + 17, seed: 31 });

describe("units shared with a worker thread", () => {
  it("agree with one thread on the objective, its gradient and the solution", async () => {
    const dev = await ProfiledDeviance.create(buildDesign(parseFormula(COHORT_FORMULA), toDataFrame(data)), true);
    const points = [
      [0.5, 0.1, 0.3],
      [1.2, -0.4, 0.05],
    ];
    const single = points.map((theta) => ({ f: dev.evaluate(theta), g: Array.from(dev.gradient()) }));
    const solution = dev.solve();
    expect(await dev.shareWork()).toBe(true);
    points.forEach((theta, i) => {
      const f = dev.evaluate(theta);
      const g = dev.gradient();
      expect(f).toBe(single[i].f);
      expect(Array.from(g)).toEqual(single[i].g);
    });
    // solve() returns to one thread and makes the factor whole at the last theta.
    const again = dev.solve();
    expect(Math.max(...again.map((v, i) => Math.abs(v - solution[i]) / (1 + Math.abs(v))))).toBeLessThanOrEqual(1e-9);
    expect(await dev.shareWork()).toBe(true);
    dev.unshareWork();
    expect(dev.evaluate(points[0])).toBe(single[0].f);
  });

  it("does not report a command done on a wake-up without one", async () => {
    // The late notify of a command already taken (the main thread descheduled
    // between its store and its notify) once made the worker report "done" for
    // nothing, and the next evaluation read the last one's results.
    const dev = await ProfiledDeviance.create(buildDesign(parseFormula(COHORT_FORMULA), toDataFrame(data)), true);
    const theta = [0.5, 0.1, 0.3];
    const f = dev.evaluate(theta);
    expect(await dev.shareWork()).toBe(true);
    expect(dev.evaluate(theta)).toBe(f);
    const control = (dev as unknown as { split: { control: Int32Array } }).split.control;
    Atomics.store(control, 1, 0); // as a new command's start does
    Atomics.notify(control, 0); // no command
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200); // the worker's time to answer
    expect(Atomics.load(control, 1)).toBe(0);
    expect(dev.evaluate([1.2, -0.4, 0.05])).toBe(dev.evaluate([1.2, -0.4, 0.05]));
    dev.unshareWork();
  });

  it("fits the same model with and without threads", async () => {
    const [one, two] = [await lmer(COHORT_FORMULA, data, { threads: false }), await lmer(COHORT_FORMULA, data)];
    expect(Math.abs(one.objective - two.objective)).toBeLessThanOrEqual(1e-8 * Math.abs(one.objective));
    for (const name of one.coefNames) expect(Math.abs(one.fixef[name] - two.fixef[name])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(one.fixef[name])));
  });

  it("does not share small models", async () => {
    const small = generateCohort({ subjects: 200, seed: 3 });
    const dev = await ProfiledDeviance.create(buildDesign(parseFormula(COHORT_FORMULA), toDataFrame(small)), true);
    expect(await dev.shareWork()).toBe(false);
  });
});

describe("a large dense tail shared with a worker thread", () => {
  it("gives the same objective and gradient, and the same fit", async () => {
    // Two crossed factors: the second one's levels fill a tail of more than SHARED_TAIL_MIN rows.
    const r = mulberry32(8);
    const n = 6000;
    const data = {
      y: Array.from({ length: n }, () => r() * 10),
      x: Array.from({ length: n }, () => r()),
      a: Array.from({ length: n }, () => `a${Math.floor(r() * 900)}`),
      b: Array.from({ length: n }, () => `b${Math.floor(r() * (SHARED_TAIL_MIN + 40))}`),
    };
    const formula = "y ~ x + (1 | a) + (1 | b)";
    const dev = await ProfiledDeviance.create(buildDesign(parseFormula(formula), toDataFrame(data)), true);
    expect(dev.layout.mt).toBeGreaterThanOrEqual(SHARED_TAIL_MIN);
    const theta = [0.7, 0.4];
    const f = dev.evaluate(theta);
    const g = Array.from(dev.gradient());
    expect(await dev.shareWork()).toBe(true);
    expect(dev.evaluate(theta)).toBe(f);
    expect(Array.from(dev.gradient())).toEqual(g);
    dev.unshareWork();
    expect(dev.evaluate(theta)).toBe(f);
    const [one, two] = [await lmer(formula, data, { threads: false }), await lmer(formula, data)];
    expect(two.objective).toBe(one.objective);
  });
});
