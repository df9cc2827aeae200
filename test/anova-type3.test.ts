// Type III F tests against lmerTest 3.1-3 (anova(m), Satterthwaite), run on
// these CSV files with lme4 1.1-31 at bobyqa rhoend 1e-12.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { lmer, parseCSV, readCSV } from "../src/index.js";
import { main } from "../src/cli.js";

type Row = [term: string, sumSq: number, meanSq: number, numDF: number, denDF: number, F: number, p: number];

const LMERTEST: { formula: string; data: string; rows: Row[] }[] = [
  {
    formula: "angle ~ recipe * temp + (1 | recipe:replicate)",
    data: "test/reference/data/cake.csv",
    rows: [
      ["recipe", 3.996684, 1.998342, 2, 254.0157612, 0.09568, 0.90879],
      // lmerTest prints "< 2e-16" for temp: its p is checked to the absolute 1e-8.
      ["temp", 1966.7050686, 1966.7050686, 1, 222.0000053, 94.16323, 0],
      ["recipe:temp", 1.7415873, 0.8707937, 2, 222.0000053, 0.04169, 0.95917],
    ],
  },
  {
    formula: "yield ~ nitro * Variety + (1 | Block/Variety)",
    data: "test/reference-extra/data/oats.csv",
    rows: [
      ["nitro", 19536.400088, 19536.400088, 1, 51.00000023, 115.77126, 1.0016e-14],
      ["Variety", 655.510444, 327.755222, 2, 21.57476057, 1.94225, 0.16764],
      ["nitro:Variety", 168.35, 84.175, 2, 51.00000024, 0.49881, 0.61018],
    ],
  },
  {
    formula: "distance ~ age * Sex + (age | Subject)",
    data: "test/reference/data/orthodont.csv",
    rows: [
      ["age", 151.02372475, 151.02372475, 1, 25.00000179, 87.99872, 1.1463e-9],
      ["Sex", 0.71794944, 0.71794944, 1, 25.00000013, 0.41834, 0.523663],
      ["age:Sex", 8.78455588, 8.78455588, 1, 25.00000181, 5.1186, 0.032614],
    ],
  },
  {
    formula: "score ~ Machine + (1 | Worker/Machine)",
    data: "test/reference-extra/data/machines.csv",
    rows: [["Machine", 38.05051487, 19.02525744, 2, 10.00000142, 20.57608, 0.00028555]],
  },
];

const close = (got: number, want: number, rel: number) => Math.abs(got - want) <= rel * Math.abs(want);

describe.each(LMERTEST.map((c) => [c.formula, c] as const))("type III anova of %s", (_f, c) => {
  it("matches lmerTest's table", async () => {
    const m = await lmer(c.formula, await readCSV(c.data));
    const rows = m.anova();
    expect(rows.map((r) => r.term)).toEqual(c.rows.map((r) => r[0]));
    rows.forEach((r, k) => {
      const [, sumSq, meanSq, numDF, denDF, F, p] = c.rows[k];
      expect(close(r.sumSq, sumSq, 1e-4), `${r.term} Sum Sq ${r.sumSq}`).toBe(true);
      expect(close(r.meanSq, meanSq, 1e-4), `${r.term} Mean Sq`).toBe(true);
      expect(r.numDF).toBe(numDF);
      expect(close(r.denDF, denDF, 1e-3), `${r.term} DenDF ${r.denDF}`).toBe(true);
      expect(close(r.F, F, 1e-4), `${r.term} F ${r.F}`).toBe(true);
      expect(Math.abs(r.p - p) <= Math.max(1e-3 * p, 1e-8), `${r.term} p ${r.p}`).toBe(true);
    });
  });
});

describe("type III anova on unbalanced data (cake without every 7th row)", () => {
  const unbalanced = () => {
    const lines = readFileSync("test/reference/data/cake.csv", "utf8").trim().split("\n");
    return parseCSV([lines[0], ...lines.slice(1).filter((_, i) => i % 7 !== 3)].join("\n"));
  };
  const check = (rows: ReturnType<Awaited<ReturnType<typeof lmer>>["anova"]>, want: Row[]) =>
    rows.forEach((r, k) => {
      const [, sumSq, , numDF, denDF, F, p] = want[k];
      expect(close(r.sumSq, sumSq, 1e-4), `${r.term} Sum Sq ${r.sumSq}`).toBe(true);
      expect(r.numDF).toBe(numDF);
      expect(close(r.denDF, denDF, 1e-3), `${r.term} DenDF ${r.denDF}`).toBe(true);
      expect(close(r.F, F, 1e-4), `${r.term} F ${r.F}`).toBe(true);
      expect(Math.abs(r.p - p) <= Math.max(1e-3 * p, 1e-8), `${r.term} p ${r.p}`).toBe(true);
    });

  it("matches lmerTest with Satterthwaite's and with Kenward-Roger's df (which differ here)", async () => {
    const m = await lmer("angle ~ recipe * temp + (1 | recipe:replicate)", unbalanced());
    check(m.anova(), [
      ["recipe", 3.2353439, 1.617672, 2, 209.540608, 0.08121, 0.92203],
      ["temp", 1550.7359149, 1550.735915, 1, 184.0276392, 77.84911, 8.4953e-16],
      ["recipe:temp", 5.500206, 2.750103, 2, 184.0270646, 0.13806, 0.87114],
    ]);
    check(m.anova({ ddf: "kenward-roger" }), [
      ["recipe", 3.2342921, 1.617146, 2, 209.5650307, 0.08118, 0.92205],
      ["temp", 1550.1999608, 1550.1999608, 1, 184.0844795, 7.782220e1, 8.5631e-16],
      ["recipe:temp", 5.4982043, 2.7491022, 2, 184.0839066, 0.13801, 0.87118],
    ]);
  });
});

describe("lmm anova", () => {
  it("prints lmerTest's type III table", async () => {
    let out = "";
    const code = await main(["anova", "test/reference/data/cake.csv", "angle ~ recipe * temp + (1 | recipe:replicate)"], (s) => (out += s), () => {});
    expect(code).toBe(0);
    expect(out).toContain("Type III Analysis of Variance Table with Satterthwaite's method");
    expect(out).toMatch(/^temp\s+1966\.705\s+1966\.705\s+1\s+222\.0000\s+94\.163\s+< 2\.2e-16 \*\*\*$/m);
  });
});
