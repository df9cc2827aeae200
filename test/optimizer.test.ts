// The bound-constrained quasi-Newton optimiser on functions with known minima.
import { describe, expect, it } from "vitest";
import { minimize, numericGradient } from "../src/fit/optimizer.js";
import { coneProbe, rankOneUpdate } from "../src/fit/cone.js";
import { workingBasis } from "../src/fit/working-basis.js";
import { buildDesign, parseFormula, ProfiledDeviance } from "../src/index.js";
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

describe("the covariance-cone check", () => {
  /** Sigma = T T' from theta (q = 2, lme4's order). */
  const sigmaOf = (x: ArrayLike<number>) => {
    const [a, b, c] = [x[0], x[1], x[2]];
    return [a * a, a * b, b * b + c * c];
  };
  /** ||Sigma - target||_F^2, a function of theta through Sigma only, as the deviance is. */
  const distanceTo = (target: number[]) => (x: Float64Array) => {
    const [s00, s10, s11] = sigmaOf(x);
    return (s00 - target[0]) ** 2 + 2 * (s10 - target[1]) ** 2 + (s11 - target[2]) ** 2;
  };

  it("updates a singular Cholesky factor by a rank-one term", () => {
    const T = Float64Array.from([0, 0, 0, 0.7, 0, 0, -0.3, 0.2, 0]); // zero first column, zero last diagonal
    const w = [0.4, -1.1, 0.5];
    const U = rankOneUpdate(T, w, 3);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let want = w[i] * w[j];
        let got = 0;
        for (let k = 0; k < 3; k++) {
          want += T[i * 3 + k] * T[j * 3 + k];
          got += U[i * 3 + k] * U[j * 3 + k];
        }
        expect(got).toBeCloseTo(want, 12);
      }
      for (let j = i + 1; j < 3; j++) expect(U[i * 3 + j]).toBe(0);
      expect(U[i * 3 + i]).toBeGreaterThanOrEqual(0);
    }
  });

  it("finds a lower point inside the cone from a singular point", () => {
    const f = distanceTo([1, 0.5, 1]);
    const x = Float64Array.from([0, 0.9, 0]); // Sigma = diag(0, 0.81): singular
    const r = coneProbe([{ at: 0, q: 2 }])(f, x, f(x));
    expect(r.singularTerms).toBe(1);
    expect(r.start).not.toBeNull();
    expect(f(r.start!)).toBeLessThan(f(x));
  });

  it("accepts a minimum on the boundary of the cone", () => {
    // Over Sigma >= 0 the nearest point to diag(1, -1) is diag(1, 0).
    const f = distanceTo([1, 0, -1]);
    const x = Float64Array.from([1, 0, 0]);
    const r = coneProbe([{ at: 0, q: 2 }])(f, x, f(x));
    expect(r.singularTerms).toBe(1);
    expect(r.start).toBeNull();
  });

  it("offers a jump into the cone's interior from a boundary minimum", () => {
    const f = distanceTo([1, 0, -1]);
    const x = Float64Array.from([1, 0, 0]);
    const { jump } = coneProbe([{ at: 0, q: 2 }])(f, x, f(x));
    // The null space (0, 1) filled in at the size of the other variance: Sigma = I.
    expect(Array.from(jump!)).toEqual([1, 0, 1]);
    expect(coneProbe([{ at: 0, q: 2 }])(f, Float64Array.from([1, 0.3, 0.5]), 0).jump).toBeNull();
  });

  it("lets minimize leave a singular point that is stationary in theta", () => {
    // At theta = (0, 0.9, 0): the gradient in theta_1 is 0 (0.81 = target), in
    // theta_2 0 by evenness, and in theta_0 positive (blocked by its bound), so
    // the default probe, which moves lone diagonals, finds nothing lower; moving
    // Sigma along its null vector (1, 0) does, and the optimum is inside the cone.
    const f = distanceTo([1, -0.5, 0.81]);
    const x0 = [0, 0.9, 0];
    const plain = minimize(f, x0, [0, -Infinity, 0]);
    const withCone = minimize(f, x0, [0, -Infinity, 0], { probe: coneProbe([{ at: 0, q: 2 }]) });
    expect(plain.f).toBeCloseTo(1.5, 8);
    expect(withCone.f).toBeLessThan(1e-10);
    expect(withCone.optimality).toMatch(/restart/);
  });
});

describe("the working basis", () => {
  const sleepstudy = async (shiftDays: number) => {
    const df = await readCSV(new URL("../examples/sleepstudy.csv", import.meta.url).pathname);
    const days = df.columns.get("Days")!.values as Float64Array;
    df.columns.set("Days", { kind: "numeric", values: days.map((d) => d + shiftDays) });
    return df;
  };

  it("maps working theta to a theta of the same deviance", async () => {
    const design = buildDesign(parseFormula("Reaction ~ Days + (Days | Subject)"), await sleepstudy(20), {});
    const basis = workingBasis(design)!;
    expect(basis).not.toBeNull();
    const original = await ProfiledDeviance.create(design, true);
    const working = await ProfiledDeviance.create(basis.design, true);
    for (const thetaW of [[1, 0, 1], [0.8, -0.3, 0.2], [0, 0.4, 0], [2, 1, 0]]) {
      expect(original.evaluate(basis.toTheta(thetaW))).toBeCloseTo(working.evaluate(thetaW), 8);
    }
  });

  it("leaves well-scaled designs alone", async () => {
    expect(workingBasis(buildDesign(parseFormula("Reaction ~ Days + (Days | Subject)"), await sleepstudy(0), {}))).toBeNull();
  });

  it("keeps every digit of a fixed-effect covariate and a response far from zero", async () => {
    const centred = await lmer("Reaction ~ Days + (1 | Subject)", await sleepstudy(0));
    for (const shift of [1e4, 1e6, -1e6]) {
      const df = await sleepstudy(shift);
      const y = df.columns.get("Reaction")!.values as Float64Array;
      df.columns.set("Reaction", { kind: "numeric", values: y.map((v) => v + 1e9) });
      const m = await lmer("Reaction ~ Days + (1 | Subject)", df);
      expect(m.objective).toBeCloseTo(centred.objective, 7);
      expect(m.fixef.Days).toBeCloseTo(centred.fixef.Days, 8);
      expect(m.se.Days).toBeCloseTo(centred.se.Days, 8);
      expect(m.fixef["(Intercept)"] - 1e9 + shift * m.fixef.Days).toBeCloseTo(centred.fixef["(Intercept)"], 4);
    }
  });

  it("reaches the optimum of the centred data with an uncentred slope covariate", async () => {
    const centred = await lmer("Reaction ~ Days + (Days | Subject)", await sleepstudy(0));
    for (const shift of [20, 1000, -300]) {
      const m = await lmer("Reaction ~ Days + (Days | Subject)", await sleepstudy(shift));
      expect(m.objective).toBeCloseTo(centred.objective, 6);
      // The optimum is flat in sigma's direction: relative 1e-6.
      expect(Math.abs(m.sigma / centred.sigma - 1)).toBeLessThan(1e-6);
    }
  });
});

describe("a random-slope covariate too far from zero for double precision", () => {
  it("is refused with a message that names it and says to centre it", async () => {
    const df = await readCSV(new URL("../examples/sleepstudy.csv", import.meta.url).pathname);
    const days = df.columns.get("Days")!.values as Float64Array;
    df.columns.set("Days", { kind: "numeric", values: days.map((d) => d + 1e7) });
    await expect(lmer("Reaction ~ Days + (Days | Subject)", df)).rejects.toThrow(/covariate 'Days' \(mean 1\.00e\+7.*Centre or rescale it/);
  });
});
