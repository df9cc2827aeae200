// The cross-product source seam (issue 11, part 4): the deviance gets its
// cross-products from a source. Statistics summed per cell outside the kernels
// (cell-statistics.ts, what a SQL GROUP BY returns) must give the deviance,
// gradient and solution of the row accumulation, with and without prior weights,
// for one factor, nested, crossed and three-factor designs.
import { describe, expect, it } from "vitest";
import { designShape } from "../src/model/blocks.js";
import { CellStatistics } from "../src/model/cell-statistics.js";
import type { Design } from "../src/model/design.js";
import { ProfiledDeviance } from "../src/model/deviance.js";
import { LmmError } from "../src/errors.js";
import { randomCrossedDesign, randomDesign, randomTheta, rng, STRUCTURES } from "./random-models.js";

/**
 * The statistics of a design's cells, summed here in plain TypeScript: rows
 * grouped by their levels of every term, and per cell the packed lower triangle
 * of sum w v v', v = [z, x, y - shift] with X's non-intercept columns centred.
 */
function cellStatistics(design: Design, centre: boolean): CellStatistics {
  const { n, terms, X, y } = design;
  const w = design.weights;
  const key = (i: number) => terms.map((t) => t.factor.codes[i]).join(",");
  const cellOf = new Map<string, number>();
  const rowsCell = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = key(i);
    if (!cellOf.has(k)) cellOf.set(k, cellOf.size);
    rowsCell[i] = cellOf.get(k)!;
  }
  const cells = cellOf.size;
  const mean = (c: Float64Array) => c.reduce((a, b) => a + b, 0) / n;
  const xShift = X.columns.map((c, j) => (centre && j > 0 ? mean(c) : 0));
  const yShift = centre ? mean(y) : 0;
  const columns = [...terms.flatMap((t) => t.columns.map((c) => ({ c, shift: 0 }))), ...X.columns.map((c, j) => ({ c, shift: xShift[j] })), { c: y, shift: yShift }];
  const width = columns.length;
  const packed = (width * (width + 1)) / 2;
  const sums = new Float64Array(cells * packed);
  const v = new Float64Array(width);
  let logW = 0;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i] : 1;
    logW += Math.log(wi);
    columns.forEach(({ c, shift }, j) => (v[j] = c[i] - shift));
    const base = rowsCell[i] * packed;
    for (let r = 0, k = 0; r < width; r++) for (let c = 0; c <= r; c++, k++) sums[base + k] += wi * v[r] * v[c];
  }
  const cellCodes = terms.map(() => new Int32Array(cells));
  for (let i = 0; i < n; i++) terms.forEach((t, k) => (cellCodes[k][rowsCell[i]] = t.factor.codes[i]));
  const shape = designShape(design);
  return new CellStatistics({
    n,
    shape: { ...shape, n: cells, terms: shape.terms.map((t, k) => ({ ...t, codes: cellCodes[k] })) },
    sums,
    logWeightSum: logW,
    shifts: { y: yShift, x: Float64Array.from(xShift) },
  });
}

function withWeights(design: Design, seed: number): Design {
  const r = rng(seed);
  return { ...design, weights: Float64Array.from({ length: design.n }, () => 0.2 + 3 * r()) };
}

const close = (a: number, b: number, rel: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b)));

async function expectSameDeviance(design: Design, seed: number, centre: boolean): Promise<void> {
  const rows = await ProfiledDeviance.create(design, seed % 2 === 0);
  const stats = await ProfiledDeviance.fromSource(cellStatistics(design, centre), seed % 2 === 0);
  expect(stats.layout.aSize).toBe(rows.layout.aSize);
  const r = rng(seed);
  for (let trial = 0; trial < 3; trial++) {
    const theta = randomTheta(design, r, trial === 2);
    close(stats.evaluate(theta), rows.evaluate(theta), 1e-10);
    const g = stats.gradient();
    rows.gradient().forEach((gi, k) => close(g[k], gi, 1e-7));
    const a = stats.solve();
    rows.solve().forEach((x, k) => close(a[k], x, 1e-7));
  }
}

describe("cross-products from cell statistics equal the row accumulation", () => {
  for (const structure of STRUCTURES) {
    it(`${structure} design`, async () => {
      await expectSameDeviance(randomDesign(structure, 11), 11, false);
    });
    it(`${structure} design, prior weights, centred sums`, async () => {
      await expectSameDeviance(withWeights(randomDesign(structure, 12), 5), 12, true);
    });
  }
  it("crossed subjects x items with vector-valued terms (dense tail)", async () => {
    await expectSameDeviance(randomCrossedDesign(31, 3, 2, true), 31, true);
  });
  it("crossed, sparse (tail updated by rows), weighted", async () => {
    await expectSameDeviance(withWeights(randomCrossedDesign(32, 2, 2, false), 9), 32, false);
  });
});

describe("cell statistics: bad input", () => {
  it("sums of the wrong size are refused, naming the sizes", () => {
    const design = randomDesign("single", 3);
    const good = cellStatistics(design, false);
    expect(() => new CellStatistics({ n: design.n, shape: good.shape, sums: new Float64Array(7) })).toThrow(LmmError);
    expect(() => new CellStatistics({ n: design.n, shape: good.shape, sums: new Float64Array(7) })).toThrow(/7 sums for \d+ cells/);
  });
  it("a model from statistics cannot change its response", async () => {
    const design = randomDesign("single", 4);
    const dev = await ProfiledDeviance.fromSource(cellStatistics(design, false), true);
    expect(() => dev.setResponse(design.y)).toThrow(/cannot take another response/);
  });
});
