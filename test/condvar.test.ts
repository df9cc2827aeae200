// Conditional variances of the random effects: the selected inverse from the
// reverse sweep against a dense inverse of M = Lambda'Z'Z Lambda + I, and lme4's
// postVar on two reference models.
import { describe, expect, it } from "vitest";
import { lmer, ProfiledDeviance, readCSV } from "../src/index.js";
import { thetaToFactors } from "../src/model/parameters.js";
import type { Design } from "../src/model/design.js";
import { randomDesign, randomTheta, rng, STRUCTURES } from "./random-models.js";

/** Dense M^-1 diagonal blocks, term by term and level by level. */
function denseInverseBlocks(d: Design, theta: number[]): Float64Array[][] {
  const Ts = thetaToFactors(d.terms, theta);
  const cols: Float64Array[] = [];
  const where: { t: number; l: number; q: number }[] = [];
  d.terms.forEach((term, k) => {
    const q = term.names.length;
    for (let l = 0; l < term.factor.levels.length; l++) {
      where.push({ t: k, l, q });
      for (let j = 0; j < q; j++) {
        cols.push(Float64Array.from({ length: d.n }, (_, i) => {
          if (term.factor.codes[i] !== l) return 0;
          let s = 0;
          for (let m = j; m < q; m++) s += term.columns[m][i] * Ts[k][m * q + j];
          return s;
        }));
      }
    }
  });
  const N = cols.length;
  const M = new Float64Array(N * N);
  for (let a = 0; a < N; a++) for (let b = 0; b < N; b++) M[a * N + b] = cols[a].reduce((s, v, i) => s + v * cols[b][i], 0) + (a === b ? 1 : 0);
  // Gauss-Jordan inverse (M is positive definite).
  const inv = new Float64Array(N * N);
  for (let i = 0; i < N; i++) inv[i * N + i] = 1;
  for (let c = 0; c < N; c++) {
    const p = M[c * N + c];
    for (let k = 0; k < N; k++) ((M[c * N + k] /= p), (inv[c * N + k] /= p));
    for (let r = 0; r < N; r++) {
      if (r === c) continue;
      const f = M[r * N + c];
      for (let k = 0; k < N; k++) ((M[r * N + k] -= f * M[c * N + k]), (inv[r * N + k] -= f * inv[c * N + k]));
    }
  }
  const out: Float64Array[][] = d.terms.map(() => []);
  let at = 0;
  for (const { t, q } of where) {
    const B = new Float64Array(q * q);
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) B[i * q + j] = inv[(at + i) * N + at + j];
    out[t].push(B);
    at += q;
  }
  return out;
}

describe.each(STRUCTURES)("diagonal blocks of M^-1 from the reverse sweep (%s terms)", (structure) => {
  for (let trial = 0; trial < 3; trial++) {
    it(`random model ${trial}`, async () => {
      const design = randomDesign(structure, 7000 + 10 * STRUCTURES.indexOf(structure) + trial);
      const dev = await ProfiledDeviance.create(design, true);
      const theta = randomTheta(design, rng(trial + 1), false);
      dev.evaluate(theta);
      const ours = dev.inverseDiagonalBlocks();
      const dense = denseInverseBlocks(design, theta);
      dense.forEach((blocks, t) =>
        blocks.forEach((B, l) => B.forEach((v, k) => expect(Math.abs(ours[t][l][k] - v), `term ${t} level ${l}`).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(v))))),
      );
    });
  }
});

describe("condVar against lme4's postVar (lme4 1.1-31, bobyqa rhoend 1e-12)", () => {
  it("sleepstudy (Days | Subject)", async () => {
    const m = await lmer("Reaction ~ Days + (Days | Subject)", await readCSV("test/reference/data/sleepstudy.csv"));
    const [cv] = m.condVar();
    expect(cv.names).toEqual(["(Intercept)", "Days"]);
    expect(cv.variance).toHaveLength(18);
    const want = [[145.70509, -21.444425], [-21.44443, 5.312273]];
    want.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(cv.variance[0][i][j] - v)).toBeLessThan(1e-4 * Math.abs(v) + 1e-5)));
  });

  it("penicillin, crossed (1 | plate) + (1 | sample)", async () => {
    const m = await lmer("diameter ~ 1 + (1 | plate) + (1 | sample)", await readCSV("test/reference/data/penicillin.csv"));
    const [plate, sample] = m.condVar();
    expect(plate.variance[0][0][0]).toBeCloseTo(0.073636, 5);
    expect(sample.variance[2][0][0]).toBeCloseTo(0.04087304, 6);
  });
});
