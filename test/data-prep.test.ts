// The fast paths of data preparation against the plain definitions they replace:
// factor coding (runs of equal values, sorted data without hash lookups, data
// that is not sorted), the full-rank screen before Gram-Schmidt, and the row data
// written into the caller's arrays.
import { describe, expect, it } from "vitest";
import { buildDesign, parseFormula, toDataFrame, type DataInput } from "../src/index.js";
import { designShape, planBlockLayout } from "../src/model/blocks.js";
import { planRowData } from "../src/model/row-source.js";
import { interactFactors, makeFactor, numberLabel, type Factor } from "../src/model/factor.js";
import { mulberry32 } from "../src/random.js";
import { columnFromValues } from "../src/data.js";
import { PAIR_BY_LEVEL, PAIR_FIXED, PAIR_STRIDE, PR, U, UNIT_STRIDE } from "../src/wasm/layout.generated.js";

const design = (formula: string, data: DataInput) => buildDesign(parseFormula(formula), toDataFrame(data));

/** R's factor(): distinct values sorted, codes by lookup. */
function referenceFactor<T>(values: T[], compare: (a: T, b: T) => number, label: (v: T) => string): Factor {
  const levels = [...new Set(values)].sort(compare);
  const index = new Map(levels.map((v, i) => [v, i]));
  return { codes: Int32Array.from(values, (v) => index.get(v)!), levels: levels.map(label) };
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const english = new Intl.Collator("en");
const byEnglish = (a: string, b: string) => english.compare(a, b) || byCodePoint(a, b);
const allRows = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe("factor coding", () => {
  const r = mulberry32(7);
  const textCases: Record<string, string[]> = {
    "sorted runs": ["a", "a", "b", "b", "b", "c", "d", "d"],
    "runs that come back": ["b", "b", "a", "a", "b", "c", "c", "a"],
    "increasing, then a smaller value": ["a", "c", "e", "b", "e", "a"],
    "mixed case and accents": ["b", "B", "a", "é", "Z", "b"],
    "one level": ["x", "x", "x"],
    random: Array.from({ length: 500 }, () => `s${Math.floor(r() * 60)}`),
  };
  for (const [name, values] of Object.entries(textCases)) {
    for (const [order, compare] of [["english", byEnglish], ["codepoint", byCodePoint]] as const) {
      it(`codes text as R's factor: ${name}, ${order} order`, () => {
        const f = makeFactor("v", columnFromValues("v", values), allRows(values.length), undefined, order);
        const ref = referenceFactor(values, compare, (v) => v);
        expect(f.levels).toEqual(ref.levels);
        expect(Array.from(f.codes)).toEqual(Array.from(ref.codes));
      });
    }
  }

  it("codes numbers by value (0 and -0 are one level), over a subset of rows", () => {
    const values = [3, 3, -1, 0, -0, 2.5, 10, 3, -1, 1e20];
    const rows = Int32Array.from([9, 0, 1, 2, 3, 4, 5, 6, 7]);
    const f = makeFactor("v", { kind: "numeric", values: Float64Array.from(values) }, rows);
    const ref = referenceFactor(Array.from(rows, (i) => values[i]), (a, b) => a - b, numberLabel);
    expect(f.levels).toEqual(ref.levels);
    expect(Array.from(f.codes)).toEqual(Array.from(ref.codes));
  });

  it("codes interactions by the combined code, unused combinations dropped", () => {
    const a = makeFactor("a", columnFromValues("a", ["p", "q", "p", "q", "p", "p"]), allRows(6));
    const b = makeFactor("b", columnFromValues("b", ["y", "x", "x", "y", "y", "x"]), allRows(6));
    const ab = interactFactors([a, b]);
    expect(ab.levels).toEqual(["p:x", "p:y", "q:x", "q:y"]);
    expect(Array.from(ab.codes)).toEqual([1, 2, 0, 3, 1, 0]);
  });
});

describe("aliased columns: the full-rank screen and Gram-Schmidt agree", () => {
  // x2 = 2 x1 + 3 + eps * noise: aliased for tiny eps (relative residual below 1e-7),
  // kept otherwise; eps near the screen's bound sends the decision to Gram-Schmidt.
  const r = mulberry32(11);
  const n = 60;
  const x1 = Array.from({ length: n }, () => r() * 10);
  const noise = Array.from({ length: n }, () => r() - 0.5);
  const data = (eps: number) => ({
    y: x1.map((v) => v + r()),
    x1,
    x2: x1.map((v, i) => 2 * v + 3 + eps * noise[i]),
    g: x1.map((_, i) => `g${i % 6}`),
  });
  for (const [eps, dropped] of [
    [0, ["x2"]],
    [1e-9, ["x2"]],
    [1e-4, []],
    [1e-2, []],
    [1, []],
  ] as const) {
    it(`eps = ${eps}: drops ${dropped.length ? dropped.join(", ") : "nothing"}`, () => {
      expect(design("y ~ x1 + x2 + (1 | g)", data(eps)).droppedColumns).toEqual(dropped);
    });
  }

  it("drops a column of zeros", () => {
    const d = design("y ~ x1 + z + (1 | g)", { ...data(1), z: x1.map(() => 0) });
    expect(d.droppedColumns).toEqual(["z"]);
  });
});

describe("row data", () => {
  it("is written into the caller's arrays: the columns, and where each row's cross-products go in A", () => {
    const r = mulberry32(3);
    const n = 10_000;
    const data = {
      y: Array.from({ length: n }, () => r()),
      x: Array.from({ length: n }, () => r()),
      a: Array.from({ length: n }, (_, i) => `a${String(Math.floor(i / 10)).padStart(4, "0")}`),
    };
    const d = design("y ~ x + (x | a)", data);
    const plan = planBlockLayout(designShape(d));
    const L = plan.layout;
    const rows = planRowData(d, plan);
    // Views at an offset, as into WASM memory.
    const ints = new Int32Array(5 + rows.intsSize).subarray(5);
    rows.writeInts(ints);
    expect(rows.width).toBe(5);
    expect(rows.npairs).toBe(3);
    // Z's columns are X's own arrays: stored once.
    expect(rows.stored.length).toBe(3);
    const values = [Array(n).fill(1), data.x, Array(n).fill(1), data.x, data.y];
    values.forEach((col, c) => expect(Array.from(rows.stored[rows.columnOf[c]])).toEqual(col));
    // The target of pair k for row i, as assembly/accumulate.ts finds it.
    const target = (k: number, i: number) => {
      const rec = rows.pairs.subarray(k * PAIR_STRIDE, (k + 1) * PAIR_STRIDE);
      const [kind, p1, p2] = [rec[PR.KIND], rec[PR.P1], rec[PR.P2]];
      return kind === PAIR_FIXED ? p1 : kind === PAIR_BY_LEVEL ? ints[p2 + ints[p1 + i]] : ints[p1 + i];
    };
    const codes = d.terms[0].factor.codes;
    for (let i = 0; i < n; i++) {
      const unit = codes[i] * UNIT_STRIDE;
      const panel = L.units[unit + U.PANEL];
      // Z'Z at the panel's top, [X y]'Z below the unit's own rows, [X y]'[X y] in the tail.
      expect([0, 1, 2].map((k) => target(k, i))).toEqual([panel, panel + (L.units[unit + U.NROWS] - 3) * 2, L.tailOff]);
    }
  });
});
