// Property tests: the WASM blocked factorisation against a plain TypeScript
// computation of the same quantities from the n x n marginal covariance
// V0 = Z Lambda Lambda' Z' + I (log|V0| = log|Lambda'Z'Z Lambda + I|, and the
// GLS residual quadratic form equals the penalised residual sum of squares).
import { describe, expect, it } from "vitest";
import type { Design } from "../src/model/design.js";
import { ProfiledDeviance } from "../src/model/deviance.js";
import { thetaToFactors } from "../src/model/parameters.js";
import { cholesky, randomCrossedDesign, randomDesign, randomDesignsWithQ, randomTheta, rng, STRUCTURES, tailFill } from "./random-models.js";

// ---- dense reference -------------------------------------------------------

/** Solve (L L') x = b. */
function cholSolve(L: Float64Array, n: number, b: Float64Array): Float64Array {
  const z = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) z[i] -= L[i * n + k] * z[k];
    z[i] /= L[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) z[i] -= L[k * n + i] * z[k];
    z[i] /= L[i * n + i];
  }
  return z;
}

function denseReference(d: Design, theta: number[], reml: boolean) {
  const { n, y } = d;
  const X = d.X.columns;
  const p = X.length;
  const Ts = thetaToFactors(d.terms, theta);
  // ZLambda columns, term by term and level by level.
  const ZL: Float64Array[] = [];
  d.terms.forEach((t, k) => {
    const q = t.names.length;
    for (let l = 0; l < t.factor.levels.length; l++) {
      for (let j = 0; j < q; j++) {
        ZL.push(Float64Array.from({ length: n }, (_, i) => {
          if (t.factor.codes[i] !== l) return 0;
          let s = 0;
          for (let m = j; m < q; m++) s += t.columns[m][i] * Ts[k][m * q + j];
          return s;
        }));
      }
    }
  });
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (const c of ZL) for (let i = 0; i < n; i++) if (c[i] !== 0) for (let j = 0; j < n; j++) V[i * n + j] += c[i] * c[j];
  const L = cholesky(V, n);
  let logdetV = 0;
  for (let i = 0; i < n; i++) logdetV += 2 * Math.log(L[i * n + i]);
  const ViX = X.map((c) => cholSolve(L, n, c));
  const XtViX = new Float64Array(p * p);
  const XtViy = new Float64Array(p);
  const Viy = cholSolve(L, n, y);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) for (let i = 0; i < n; i++) XtViX[a * p + b] += X[a][i] * ViX[b][i];
    for (let i = 0; i < n; i++) XtViy[a] += X[a][i] * Viy[i];
  }
  const LX = cholesky(XtViX, p);
  const beta = cholSolve(LX, p, XtViy);
  const resid = Float64Array.from(y, (v, i) => v - X.reduce((s, c, a) => s + c[i] * beta[a], 0));
  const Vir = cholSolve(L, n, resid);
  const r2 = resid.reduce((s, v, i) => s + v * Vir[i], 0);
  let logdetRX = 0;
  for (let a = 0; a < p; a++) logdetRX += 2 * Math.log(LX[a * p + a]);
  const nn = reml ? n - p : n;
  const objective = logdetV + (reml ? logdetRX : 0) + nn * (1 + Math.log((2 * Math.PI * r2) / nn));
  const v = ZL.map((c) => c.reduce((s, x, i) => s + x * Vir[i], 0)); // Lambda'Z'V^{-1}r
  return { objective, logdetV, logdetRX, r2, beta, v };
}

// ---- properties ------------------------------------------------------------

/** The deviance, its parts and the solution at a random theta agree with the dense computation. */
async function expectMatchesDense(design: Design, seed: number, reml: boolean, boundary: boolean): Promise<void> {
  const dev = await ProfiledDeviance.create(design, reml);
  const r = rng(seed + 7);
  const theta = randomTheta(design, r, boundary);
  const obj = dev.evaluate(theta);
  const ref = denseReference(design, theta, reml);
  const parts = dev.parts();
  expect(Math.abs(obj - ref.objective)).toBeLessThanOrEqual(1e-9 * Math.abs(ref.objective));
  expect(parts.logdetL).toBeCloseTo(ref.logdetV, 8);
  expect(parts.logdetRX).toBeCloseTo(ref.logdetRX, 8);
  expect(Math.abs(parts.r2 - ref.r2)).toBeLessThanOrEqual(1e-9 * ref.r2);

  const sol = dev.solve();
  const p = design.X.columns.length;
  const beta = sol.subarray(sol.length - p);
  ref.beta.forEach((b, a) => expect(Math.abs(beta[a] - b)).toBeLessThanOrEqual(1e-8 * (1 + Math.abs(b))));
  // Spherical random effects, in the dense order (term, level, column).
  let k = 0;
  design.terms.forEach((t, ti) => {
    const q = t.names.length;
    const pos = dev.layout.levelPositions[ti];
    for (let l = 0; l < t.factor.levels.length; l++) {
      for (let j = 0; j < q; j++) expect(Math.abs(sol[pos[l] + j] - ref.v[k++])).toBeLessThanOrEqual(1e-8 * (1 + Math.abs(ref.v[k - 1])));
    }
  });
}

describe.each(STRUCTURES)("WASM deviance kernel vs dense TypeScript (%s terms)", (structure) => {
  for (let trial = 0; trial < 6; trial++) {
    for (const reml of [false, true]) {
      it(`random model ${trial} (${reml ? "REML" : "ML"})`, async () => {
        const seed = 1000 * STRUCTURES.indexOf(structure) + 10 * trial + (reml ? 1 : 0);
        await expectMatchesDense(randomDesign(structure, seed), seed, reml, trial === 5);
      });
    }
  }
});

describe.each([
  [1, "intercept.ts"],
  [2, "slope.ts"],
])("the unrolled sweep of one q = %i term (assembly/%s) vs dense TypeScript", (q) => {
  randomDesignsWithQ(q, 8, 300 + 50 * q).forEach(({ design, seed }, trial) => {
    it(`random model ${trial}`, async () => {
      await expectMatchesDense(design, seed, trial % 2 === 1, trial >= 6);
    });
  });
});

// Crossed vector-valued terms (subjects x items, q = 1..8 on each): fully
// crossed, the units' tail updates run as one packed product
// (assembly/densetail.ts); sparse, tail row by tail row (tailrows.ts); split
// into scalar terms on one factor (as `||`), a chain of q = 1 units.
describe.each([
  ["fully crossed (dense tail updates)", true, false],
  ["sparse (tail updates by row)", false, false],
  ["fully crossed, zero-correlation terms", true, true],
  ["fully crossed, zero-correlation item terms", true, "items"],
] as const)("WASM deviance kernel vs dense TypeScript, subjects x items, %s", (_name, full, split) => {
  for (const [q1, q2] of [[3, 1], [3, 4], [4, 4], [5, 2], [6, 3], [8, 8], [1, 3], [2, 5]]) {
    it(`q = ${q1} on subjects, ${q2} on items`, async () => {
      const seed = 7000 + 100 * q1 + 10 * q2 + (full ? 1 : 0) + (split === true ? 2 : split ? 4 : 0);
      const design = randomCrossedDesign(seed, q1, q2, full, split);
      const dev = await ProfiledDeviance.create(design, false);
      if (full) expect(tailFill(dev.layout)).toBeGreaterThanOrEqual(0.5);
      else expect(tailFill(dev.layout)).toBeLessThan(0.5);
      await expectMatchesDense(design, seed, q1 % 2 === 0, q2 === 4);
    });
  }
});

describe("block structure", () => {
  it("keeps a nested term block diagonal and puts a crossed term in the dense tail", async () => {
    const nested = await ProfiledDeviance.create(randomDesign("nested", 5), true);
    expect(nested.layout.nBlockTerms).toBe(2);
    expect(nested.layout.nd).toBe(0);
    const crossed = await ProfiledDeviance.create(randomDesign("crossed", 5), true);
    expect(crossed.layout.nBlockTerms).toBe(1);
    expect(crossed.layout.nd).toBeGreaterThan(0);
  });

  it("leaves no state behind: the factor is rebuilt from the cross-products each call", async () => {
    const design = randomDesign("three", 9);
    const dev = await ProfiledDeviance.create(design, false);
    const r = rng(3);
    const a = randomTheta(design, r, false);
    const b = randomTheta(design, r, true);
    const first = dev.evaluate(a);
    expect(dev.evaluate(b)).not.toBe(first);
    expect(dev.evaluate(a)).toBe(first);
  });
});
