// Bad input through the public API: every problem is an LmmError whose message
// names it, never a TypeError or RangeError from deep inside the fit.
import { describe, expect, it } from "vitest";
import { bootstrap, LmmError, lmer, parseCSV, simulate } from "../src/index.js";
import { rejection, thrown } from "./errors.js";

// Four groups of three observations.
const base = {
  y: [1.1, 2.3, 3.2, 4.8, 5.1, 6.3, 7.7, 8.2, 9.9, 10.4, 11.2, 12.8],
  x: [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6],
  g: ["a", "a", "a", "b", "b", "b", "c", "c", "c", "d", "d", "d"],
};
const csvOf = (cols: Record<string, (string | number)[]>) => {
  const names = Object.keys(cols);
  const n = cols[names[0]].length;
  const rows = Array.from({ length: n }, (_, i) => names.map((k) => cols[k][i]).join(","));
  return [names.join(","), ...rows].join("\n") + "\n";
};

describe("formula problems", () => {
  it("an unknown column is named and the columns are listed", async () => {
    const e = await rejection(lmer("y ~ z + (1 | g)", base));
    expect(e.message).toMatch(/Unknown column 'z'/);
    expect(e.message).toMatch(/'y', 'x', 'g'/);
  });

  it("an unknown column that differs only in case suggests the close name", async () => {
    const e = await rejection(lmer("Y ~ x + (1 | g)", base));
    expect(e.message).toMatch(/'Y'/);
    expect(e.message).toMatch(/Did you mean 'y'/);
  });

  it("an unknown grouping factor is named", async () => {
    const e = await rejection(lmer("y ~ x + (1 | subject)", base));
    expect(e.message).toMatch(/Unknown column 'subject'/);
  });

  it("a malformed formula names the position", async () => {
    const e = await rejection(lmer("y ~ x + (1 | g", base));
    expect(e.message).toMatch(/syntax error/);
    expect(e.message).toMatch(/position 15/);
  });

  it("a formula without a random-effects term says so", async () => {
    const e = await rejection(lmer("y ~ x", base));
    expect(e.message).toMatch(/no random-effects term/);
  });

  it("a formula without a response says so", async () => {
    const e = await rejection(lmer("~ x + (1 | g)", base));
    expect(e.message).toMatch(/no response/);
  });

  it("a formula that is not a string is an empty formula", async () => {
    const e = await rejection(lmer(undefined as unknown as string, base));
    expect(e.message).toMatch(/formula is empty/);
  });
});

describe("data problems", () => {
  it("a text response is not numeric", async () => {
    const e = await rejection(lmer("g ~ x + (1 | g)", base));
    expect(e.message).toMatch(/response 'g' is not numeric/);
    expect(e.message).toMatch(/'a'/);
    expect(e.message).not.toMatch(/decimal comma/);
  });

  it("a response written with decimal commas gets a hint", async () => {
    const e = await rejection(lmer("y ~ x + (1 | g)", { ...base, y: base.y.map((v: number) => String(v).replace(".", ",")) }));
    expect(e.message).toMatch(/response 'y' is not numeric .* at data row 1\)/);
    expect(e.message).toMatch(/It looks like a decimal comma: write numbers with a decimal point/);
  });

  it("a grouping factor with one level", async () => {
    const e = await rejection(lmer("y ~ x + (1 | h)", { ...base, h: Array(12).fill("k") }));
    expect(e.message).toMatch(/'h'/);
    expect(e.message).toMatch(/only 1 level/);
    expect(e.message).toMatch(/at least 2/);
  });

  it("a grouping factor with as many levels as observations", async () => {
    const e = await rejection(lmer("y ~ x + (1 | id)", { ...base, id: base.y.map((_, i) => `s${i}`) }));
    expect(e.message).toMatch(/'id' has 12 levels for 12 observations/);
  });

  it("a column missing in every row", async () => {
    const e = await rejection(lmer("y ~ x + w + (1 | g)", { ...base, w: Array(12).fill(null) }));
    expect(e.message).toMatch(/No complete rows/);
    expect(e.message).toMatch(/'w' is missing in every row/);
  });

  it("a column that is NA in every row of a CSV", async () => {
    const e = await rejection(lmer("y ~ x + w + (1 | g)", parseCSV(csvOf({ ...base, w: Array(12).fill("NA") }))));
    expect(e.message).toMatch(/'w' is missing in every row/);
  });

  it("an Infinity number in a used column", async () => {
    const x = [...base.x];
    x[2] = Infinity;
    const e = await rejection(lmer("y ~ x + (1 | g)", { ...base, x }));
    expect(e.message).toMatch(/Column 'x'/);
    expect(e.message).toMatch(/Infinity/);
    expect(e.message).toMatch(/row 3/);
  });

  it("the text Inf in a CSV column", async () => {
    const y: (string | number)[] = [...base.y];
    y[4] = "Inf";
    const e = await rejection(lmer("y ~ x + (1 | g)", parseCSV(csvOf({ ...base, y }))));
    expect(e.message).toMatch(/Column 'y'/);
    expect(e.message).toMatch(/Infinity/);
    expect(e.message).toMatch(/row 5/);
  });

  it("-Inf in an unused column does not matter", async () => {
    const m = await lmer("y ~ x + (1 | g)", { ...base, other: [-Infinity, ...Array(11).fill(0)] });
    expect(m.nobs).toBe(12);
  });

  it("columns of different lengths", async () => {
    const e = await rejection(lmer("y ~ x + (1 | g)", { ...base, x: [1, 2, 3] }));
    expect(e.message).toMatch(/Column 'x' has 3 values/);
  });

  it("no rows at all", async () => {
    const e = await rejection(lmer("y ~ x + (1 | g)", []));
    expect(e.message).toMatch(/no rows/);
  });

  it("data that is not an object", async () => {
    const e = await rejection(lmer("y ~ x + (1 | g)", null as never));
    expect(e.message).toMatch(/data must be/);
  });
});

describe("CSV problems", () => {
  it("empty text", () => {
    expect(thrown(() => parseCSV("")).message).toMatch(/empty/);
    expect(thrown(() => parseCSV(" \n\n ")).message).toMatch(/empty/);
  });

  it("a header only", () => {
    const e = thrown(() => parseCSV("y,x,g\n"));
    expect(e.message).toMatch(/header but no data rows/);
  });

  it("a ragged row names the row and the field counts", () => {
    const e = thrown(() => parseCSV("y,x,g\n1,2,a\n3,4\n5,6,b\n"));
    expect(e.message).toMatch(/row 3/);
    expect(e.message).toMatch(/2 fields/);
    expect(e.message).toMatch(/header has 3/);
  });

  it("a row with too many fields", () => {
    const e = thrown(() => parseCSV("y,x,g\n1,2,a\n3,4,b,9\n"));
    expect(e.message).toMatch(/4 fields but the header has 3/);
  });

  it("an unclosed quote", () => {
    const e = thrown(() => parseCSV('y,x,g\n1,2,"a\n3,4,b\n'));
    expect(e.message).toMatch(/could not be read/);
  });

  it("duplicate and empty column names", () => {
    expect(thrown(() => parseCSV("y,x,y\n1,2,3\n")).message).toMatch(/two columns named 'y'/);
    expect(thrown(() => parseCSV("y,,g\n1,2,a\n")).message).toMatch(/column 2 has an empty name/);
  });
});

describe("missing values are dropped, not fatal", () => {
  it("reports the number of dropped rows", async () => {
    const y: (number | string | null)[] = [...base.y];
    y[1] = null;
    y[4] = "NA";
    const x: number[] = [...base.x];
    x[7] = NaN;
    const m = await lmer("y ~ x + (1 | g)", { ...base, y, x });
    expect(m.nobs).toBe(9);
    expect(m.droppedRows).toBe(3);
    expect(m.messages.some((s) => /3 row\(s\) with missing values were dropped/.test(s))).toBe(true);
    expect(m.toJSON().dropped_rows).toBe(3);
    expect(m.summary()).toMatch(/3 row\(s\) with missing values were dropped/);
  });

  it("reports nothing when no row is dropped", async () => {
    const m = await lmer("y ~ x + (1 | g)", base);
    expect(m.droppedRows).toBe(0);
    expect(m.messages.some((s) => /missing/.test(s))).toBe(false);
  });
});

describe("option names that collide with Object.prototype", () => {
  it("ignores an inherited property when looking up a column's level order", async () => {
    const data = { y: [1, 2, 3, 4, 5, 6, 2, 3], constructor: ["a", "a", "b", "b", "c", "c", "a", "b"] };
    const m = await lmer("y ~ 1 + (1 | constructor)", data, { levels: {} });
    expect(m.ngrps).toEqual({ constructor: 3 });
  });
});

describe("messages (issue 16, item 7)", () => {
  it("a 'null' cell in the response is the cell quoted, with its row", async () => {
    const text = csvOf({ y: [249.56, 258.7, "null", 321.4, 356.9, 414.7, 382.2, 290.1, 430.5, 466.4, 222.7, 205.3], x: base.x, g: base.g });
    const e = await rejection(lmer("y ~ x + (1 | g)", parseCSV(text)));
    expect(e.message).toContain("'null' at data row 3");
    expect(e.message).not.toContain("249.56");
  });

  it("hexadecimal cells are numbers, as R's read.csv reads them (0x0 is 0)", () => {
    const d = parseCSV("x,y\n0x0,1\n0x1A,2\n-0x2,3\n0x1.8p1,4\n3,5\n");
    const x = d.columns.get("x")!;
    expect(x.kind).toBe("numeric");
    expect(Array.from(x.values as Float64Array)).toEqual([0, 26, -2, 3, 3]);
    expect(parseCSV("x\n0x\n1\n").columns.get("x")!.kind).toBe("text");
  });

  it("a long column name is cut in the message", async () => {
    const long = "v".repeat(1_000_000);
    const e = await rejection(lmer(`y ~ ${long} + (1 | g)`, base));
    expect(e.message.length).toBeLessThan(300);
    expect(e.message).toContain(`'${"v".repeat(59)}…'`);
  });

  it("a column whose name holds a backtick is reached with R's escape, and an unescaped one is a clear syntax error", async () => {
    const m = await lmer("y ~ `a\\`b` + (1 | g)", { ...base, "a`b": base.x });
    expect(m.coefNames).toEqual(["(Intercept)", "`a\\`b`"]);
    const e = await rejection(lmer("y ~ `a`b` + (1 | g)", { ...base, "a`b": base.x }));
    expect(e.message).toMatch(/closing backtick \(write a backtick inside a name as \\`\)/);
  });
});

describe("memory (issue 16, item 4)", () => {
  it("refuses a fixed factor of 50,000 levels before building X, suggesting a random effect", async () => {
    const n = 100_000;
    const data = {
      y: Float64Array.from({ length: n }, (_, i) => Math.sin(i)),
      f: Array.from({ length: n }, (_, i) => `f${i % 50_000}`),
      g: Array.from({ length: n }, (_, i) => `g${i % 100}`),
    };
    const started = Date.now();
    const e = await rejection(lmer("y ~ f + (1 | g)", data));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(e.message).toMatch(/about 50001 columns for 100000 rows, 55\.9 GB of memory, more than the 4 GB WebAssembly can address/);
    expect(e.message).toContain("'f' has 50000 levels; as a random effect, (1 | f), it costs one column");
  });

  it("says how much a crossed design's dense block needs, and why, beyond WebAssembly's 4 GB", async () => {
    // Three crossed factors (none is a function of another): the two smaller ones form the dense block.
    const n = 40_000;
    const data = {
      y: Float64Array.from({ length: n }, (_, i) => Math.cos(i)),
      a: Array.from({ length: n }, (_, i) => `a${i % 4500}`),
      b: Array.from({ length: n }, (_, i) => `b${Math.floor(i / 7) % 4500}`),
      c: Array.from({ length: n }, (_, i) => `c${Math.floor(i / 3) % 4499}`),
    };
    const started = Date.now();
    const e = await rejection(lmer("y ~ 1 + (1 | a) + (1 | b) + (1 | c)", data));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(e.message).toMatch(/crossed random effects of 'b' \(4500 levels\), 'c' \(4499 levels\) are not nested/);
    expect(e.message).toMatch(/dense 9001 x 9001 block that needs 4\.2 GB of memory, more than the 4 GB WebAssembly can address/);
  });

  it("bounds nsim of the bootstrap and of simulate before any work", async () => {
    const m = await lmer("y ~ x + (1 | g)", base);
    const { simulate } = await import("../src/index.js");
    const e = await rejection(m.confint({ method: "boot", nsim: 1e9 }));
    expect(e.message).toBe("nsim must be a whole number from 2 to 100,000, not 1000000000.");
    expect(thrown(() => simulate(m, 1e9)).message).toMatch(/from 1 to 100,000/);
  });
});

describe("degenerate fits (issue 16, item 1)", () => {
  const days = base.x;
  it("a constant response is refused, naming it", async () => {
    expect((await rejection(lmer("y ~ x + (1 | g)", { ...base, y: base.y.map(() => 5) }))).message).toMatch(/'y' is 5 in every row used/);
  });

  it("a response exactly linear in the covariates is refused (no NaN or Inf printed), also by anova and compare", async () => {
    const data = { ...base, y: days.map((d) => 3 + 2 * d) };
    expect((await rejection(lmer("y ~ x + (1 | g)", data))).message).toMatch(/exact linear function of the fixed effects \(zero residual variance\)/);
  });

  it("a response constant within each group (zero residual variance, no maximum) is refused, not fitted with sigma ~ 0", async () => {
    // Unbalanced groups: an estimate from sigma ~ 1e-8 (we printed 12.23; lme4 stops at 16 with
    // "nearly unidentifiable") means nothing, since the likelihood grows without bound.
    const sizes = [2, 5, 3, 8, 4];
    const g = sizes.flatMap((n, i) => Array<string>(n).fill(`g${i}`));
    const y = sizes.flatMap((n, i) => Array<number>(n).fill([10, 12, 20, 21, 15][i]));
    expect((await rejection(lmer("y ~ 1 + (1 | g)", { y, g }))).message).toMatch(/'y' is constant within each level of 'g': the residual variance is zero/);
  });

  it("values whose squares overflow are refused, naming the column", async () => {
    expect((await rejection(lmer("y ~ x + (1 | g)", { ...base, y: base.y.map((v) => v * 1e200) }))).message).toMatch(/'y' holds values as large as 1\.28e\+201, whose squares overflow/);
  });

  it("the response on the right-hand side is dropped with lme4's message", async () => {
    const m = await lmer("y ~ x + y + (1 | g)", base);
    const ref = await lmer("y ~ x + (1 | g)", base);
    expect(m.coefNames).toEqual(["(Intercept)", "x"]);
    expect(m.fixef).toEqual(ref.fixef);
    expect(m.messages).toContain("the response appeared on the right-hand side and was dropped");
  });
});

describe("options are checked, never silently ignored (issue 12, part 6)", () => {
  it("an unknown option is named with the nearest known one", async () => {
    expect((await rejection(lmer("y ~ x + (1 | g)", base, { REMl: false } as never))).message).toMatch(/^Unknown option 'REMl' of lmer\(\)\. Did you mean 'REML'\? The options are: /);
    expect((await rejection(lmer("y ~ x + (1 | g)", base, { subset: "w" } as never))).message).toMatch(/^Unknown option 'subset' of lmer\(\)\. The options are: 'levels', 'factors', 'contrasts', 'levelOrder', 'weights', 'offset', 'correlation', 'variance', 'REML'/);
  });

  it("a string where a boolean belongs is refused, not taken as true", async () => {
    expect((await rejection(lmer("y ~ x + (1 | g)", base, { REML: "false" } as never))).message).toBe('REML must be true or false, not the string "false" (lmer()).');
  });

  it("the optimizer's options, predict's, confint's, anova's and simulate's are checked too", async () => {
    expect((await rejection(lmer("y ~ x + (1 | g)", base, { optimizer: { maxIter: 5 } as never }))).message).toMatch(/Unknown option 'maxIter' of the optimizer options\. Did you mean 'maxIterations'\?/);
    const m = await lmer("y ~ x + (1 | g)", base);
    expect(thrown(() => m.predict(undefined, { newLevels: true } as never)).message).toMatch(/Unknown option 'newLevels' of predict\(\)/);
    expect((await rejection(m.confint({ method: "bootstrap" as "boot" }))).message).toBe("Unknown method 'bootstrap' for confint(): choose wald, profile or boot.");
    expect(thrown(() => simulate(m, 2, { sed: 1 } as never)).message).toMatch(/Unknown option 'sed' of simulate\(\) and bootstrap\(\)\. Did you mean 'seed'\?/);
  });

  it("anova(otherModel) says to use likelihoodRatioTest", async () => {
    const m = await lmer("y ~ x + (1 | g)", base);
    expect(thrown(() => m.anova(m as never)).message).toMatch(/to compare two models use likelihoodRatioTest\(m0, m1\)/);
  });
});

describe("argument checks", () => {
  it("rejects bad simulation and bootstrap counts and seeds", async () => {
    const m = await lmer("y ~ x + (1 | g)", base);
    expect(() => simulate(m, -1)).toThrow(LmmError);
    expect(() => simulate(m, 1.5)).toThrow(/whole number/);
    expect(() => simulate(m, 1, { seed: 0.5 })).toThrow(/seed/);
    await expect(bootstrap(m, 0)).rejects.toThrow(LmmError);
    await expect(m.confint({ method: "boot", nsim: 1 })).rejects.toThrow(/from 2 to 100,000/);
  });

  it("rejects an unknown interval method, an out-of-range level and an unknown ddf", async () => {
    const m = await lmer("y ~ x + (1 | g)", base);
    await expect(m.confint({ method: "bayes" as "wald" })).rejects.toThrow(/Unknown method 'bayes' for confint\(\): choose wald, profile or boot/);
    await expect(m.confint({ method: "wald", level: 2 })).rejects.toThrow(LmmError);
    await expect(lmer("y ~ x + (1 | g)", base, { ddf: "kr" as "none" })).rejects.toThrow(/Unknown ddf 'kr'/);
  });
});
