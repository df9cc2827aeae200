// The bound-constrained quasi-Newton optimiser on functions with known minima.
import { describe, expect, it } from "vitest";
import { minimize, numericGradient } from "../src/fit/optimizer.js";
import { lmer, readCSV } from "../src/index.js";

describe("minimize", () => {
  it("finds an interior minimum of an ill-scaled quadratic", () => {
    const f = (x: Float64Array) => 1e4 * (x[0] - 0.3) ** 2 + (x[1] - 5) ** 2 + 0.5 * (x[0] - 0.3) * (x[1] - 5);
    const r = minimize(f, [1, 1], [0, -Infinity]);
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(0.3, 5);
    expect(r.x[1]).toBeCloseTo(5, 4);
  });

  it("stops on an active bound when the minimum lies beyond it", () => {
    const f = (x: Float64Array) => (x[0] + 1) ** 2 + (x[1] - 2) ** 2;
    const r = minimize(f, [1, 1], [0, 0]);
    expect(r.x[0]).toBe(0);
    expect(r.x[1]).toBeCloseTo(2, 5);
    expect(r.maxGrad).toBeLessThan(1e-4);
  });

  it("leaves a bound that is a stationary maximum (an even function of the coordinate)", () => {
    // f is even in x: f'(0) = 0, but 0 is a local maximum; the minimum is at 1/sqrt(2).
    const f = (x: Float64Array) => -(x[0] ** 2) + x[0] ** 4;
    const r = minimize(f, [0], [0]);
    expect(r.x[0]).toBeCloseTo(Math.SQRT1_2, 4);
  });

  it("minimises the Rosenbrock function from lme4's kind of start", () => {
    const f = (x: Float64Array) => 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2;
    const r = minimize(f, [1, 0], [0, -Infinity]);
    expect(r.f).toBeLessThan(1e-8);
    expect(r.x[0]).toBeCloseTo(1, 3);
  });

  it("tells onProgress every evaluation and the lowest objective so far", () => {
    const f = (x: Float64Array) => (x[0] - 2) ** 2 + 3;
    const seen: { evaluations: number; objective: number }[] = [];
    const r = minimize(f, [0], [-Infinity], { onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.evaluations)).toEqual(Array.from({ length: r.evaluations }, (_, i) => i + 1));
    seen.slice(1).forEach((p, i) => expect(p.objective).toBeLessThanOrEqual(seen[i].objective));
    expect(seen.at(-1)!.objective).toBe(r.f);
  });

  it("reports a non-finite objective at the start instead of looping", () => {
    const r = minimize(() => NaN, [1], [0]);
    expect(r.converged).toBe(false);
    expect(r.message).toMatch(/not finite/);
  });
});

describe("numericGradient", () => {
  it("matches the analytic gradient and diagonal curvature", () => {
    const f = (x: Float64Array) => Math.exp(x[0]) * Math.sin(x[1]) + x[0] ** 3;
    const x = Float64Array.from([0.4, 1.1]);
    const { g, curvature } = numericGradient(f, x, f(x));
    expect(g[0]).toBeCloseTo(Math.exp(0.4) * Math.sin(1.1) + 3 * 0.16, 7);
    expect(g[1]).toBeCloseTo(Math.exp(0.4) * Math.cos(1.1), 7);
    expect(curvature[0]).toBeCloseTo(Math.exp(0.4) * Math.sin(1.1) + 6 * 0.4, 3);
    expect(curvature[1]).toBeCloseTo(-Math.exp(0.4) * Math.sin(1.1), 3);
  });
});

describe("lmer's onProgress", () => {
  it("hears every evaluation of the fit, ending at the optimum", async () => {
    const seen: { evaluations: number; objective: number }[] = [];
    const data = await readCSV(new URL("../examples/sleepstudy.csv", import.meta.url).pathname);
    const m = await lmer("Reaction ~ Days + (Days | Subject)", data, { onProgress: (p) => seen.push(p) });
    expect(seen.length).toBe(m.convergence.evaluations);
    expect(seen.at(-1)!.objective).toBeCloseTo(m.objective, 8);
  });
});
