// Covariance structures (src/model/covariance/): what a term's structure
// promises the optimiser, varcorr, confint, the profile and Kenward-Roger.
import { describe, expect, it } from "vitest";
import { TermCovariance } from "../src/model/covariance/structure.js";
import { Unstructured } from "../src/model/covariance/unstructured.js";
import { mulberry32 } from "../src/random.js";

describe("unstructured covariance", () => {
  const s = new Unstructured(3);

  it("holds lme4's theta: the lower triangle column by column, diagonals bounded at 0 and starting at 1", () => {
    expect(s.size).toBe(6);
    expect(s.covariancePairs()).toEqual([[0, 0], [1, 0], [2, 0], [1, 1], [2, 1], [2, 2]]);
    expect(s.lower()).toEqual([0, -Infinity, -Infinity, 0, -Infinity, 0]);
    expect(s.start()).toEqual([1, 0, 0, 1, 0, 1]);
    expect(s.names("g", ["(Intercept)", "a", "b"])).toEqual(["g.(Intercept)", "g.a.(Intercept)", "g.b.(Intercept)", "g.a", "g.b.a", "g.b"]);
    expect(Array.from(s.factor([9, 1, 2, 3, 4, 5, 6], 1))).toEqual([1, 0, 0, 2, 4, 0, 3, 5, 6]);
  });

  it("maps theta to the profile's parameters and back, and holds a fixed correlation", () => {
    const rng = mulberry32(7);
    for (let rep = 0; rep < 20; rep++) {
      const theta = Float64Array.from({ length: 7 }, (_, k) => (k === 0 ? 0 : rng() * 2 - 1));
      for (const d of [1, 4, 6]) theta[d] = Math.abs(theta[d]) + 0.1;
      const nat = new Float64Array(7);
      s.toNatural(theta, 1, nat);
      const back = new Float64Array(7);
      expect(s.fromNatural(nat, 1, back)).toBe(0);
      for (let k = 1; k < 7; k++) expect(back[k]).toBeCloseTo(theta[k], 12);

      const est = new Float64Array(7);
      s.profileEstimates(theta, 1, 2, est);
      const cov = new TermCovariance(s.factor(theta, 1), 3, 2);
      s.covariancePairs().forEach(([i, j], k) => expect(est[1 + k]).toBeCloseTo(i === j ? cov.sd(i) : cov.cor(i, j), 12));

      // Hold the correlation of columns 2 and 1 halfway to the value the first
      // column alone gives it (feasible: between two feasible values).
      const T = s.factor(theta, 1);
      const n2 = Math.hypot(T[6], T[7], T[8]);
      const rho = (cov.cor(2, 1) + ((T[6] / n2) * T[3]) / Math.hypot(T[3], T[4])) / 2;
      const held = new Float64Array(7);
      expect(s.fromNatural(nat, 1, held, { i: 2, j: 1, rho })).toBe(0);
      expect(new TermCovariance(s.factor(held, 1), 3, 1).cor(2, 1)).toBeCloseTo(rho, 12);
      // An impossible correlation is reported by how far it is out of reach.
      expect(s.fromNatural(nat, 1, held, { i: 2, j: 1, rho: 5 })).toBeGreaterThan(0);
    }
  });

  it("moves a start off a partial correlation of -1 or 1, and leaves standard deviations alone", () => {
    const nat = Float64Array.from([Math.PI / 2, Math.PI / 2, -Math.PI / 2, 0.5, 0.2, 0]);
    s.moveInside(nat, 0);
    expect(Array.from(nat)).toEqual([Math.PI / 2, Math.PI / 2 - 0.1, -(Math.PI / 2 - 0.1), 0.5, 0.2, 0]);
  });
});
