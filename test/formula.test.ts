// parseFormula: R's term structure for the fixed part, lme4's expansion of the
// random-effects terms, and syntax errors that name the position.
import { describe, expect, it } from "vitest";
import { LmmError, parseFormula } from "../src/index.js";

/** The error parseFormula throws for `src`; fails the test if it does not throw an LmmError. */
function parseError(src: string): LmmError {
  try {
    parseFormula(src);
  } catch (e) {
    expect(e).toBeInstanceOf(LmmError);
    return e as LmmError;
  }
  throw new Error(`expected parseFormula(${JSON.stringify(src)}) to throw`);
}

describe("response", () => {
  it("takes the name left of '~'", () => {
    expect(parseFormula("Reaction ~ Days + (Days | Subject)").response).toBe("Reaction");
  });

  it("is absent for a one-sided formula", () => {
    expect(parseFormula("~ x + (1 | g)").response).toBeUndefined();
  });

  it("normalises whitespace in the text", () => {
    expect(parseFormula("  y ~   x +\n (1|g) ").text).toBe("y ~ x + (1|g)");
  });
});

describe("intercept", () => {
  it("is implied by y ~ x", () => {
    expect(parseFormula("y ~ x").fixed).toEqual({ intercept: true, terms: [["x"]] });
  });

  it("is removed by y ~ 0 + x", () => {
    expect(parseFormula("y ~ 0 + x").fixed).toEqual({ intercept: false, terms: [["x"]] });
  });

  it("is removed by y ~ x - 1", () => {
    expect(parseFormula("y ~ x - 1").fixed).toEqual({ intercept: false, terms: [["x"]] });
  });

  it("is removed by a leading -1", () => {
    expect(parseFormula("y ~ -1 + x").fixed).toEqual({ intercept: false, terms: [["x"]] });
  });

  it("is the only term of y ~ 1", () => {
    expect(parseFormula("y ~ 1").fixed).toEqual({ intercept: true, terms: [] });
  });
});

describe("fixed-effects operators", () => {
  it("expands a*b to a, b, a:b", () => {
    expect(parseFormula("y ~ a*b").fixed.terms).toEqual([["a"], ["b"], ["a", "b"]]);
  });

  it("expands (a+b)*c to a, b, c, a:c, b:c", () => {
    expect(parseFormula("y ~ (a+b)*c").fixed.terms).toEqual([["a"], ["b"], ["c"], ["a", "c"], ["b", "c"]]);
  });

  it("orders terms by degree, stable within a degree", () => {
    expect(parseFormula("y ~ a:b + c").fixed.terms).toEqual([["c"], ["a", "b"]]);
    expect(parseFormula("y ~ a:b + d + c").fixed.terms).toEqual([["d"], ["c"], ["a", "b"]]);
  });

  it("expands a/b to a, a:b", () => {
    expect(parseFormula("y ~ a/b").fixed.terms).toEqual([["a"], ["a", "b"]]);
  });

  it("expands (a+b)/c to a, b, a:b:c", () => {
    expect(parseFormula("y ~ (a+b)/c").fixed.terms).toEqual([["a"], ["b"], ["a", "b", "c"]]);
  });

  it("removes a term with '-'", () => {
    expect(parseFormula("y ~ a*b - a").fixed.terms).toEqual([["b"], ["a", "b"]]);
  });

  it("expands (a+b)^2 to the main effects and their interaction", () => {
    expect(parseFormula("y ~ (a+b)^2").fixed.terms).toEqual([["a"], ["b"], ["a", "b"]]);
  });

  it("keeps a repeated term once", () => {
    expect(parseFormula("y ~ a + b + a").fixed.terms).toEqual([["a"], ["b"]]);
  });
});

describe("random-effects terms", () => {
  it("(1|g) is an intercept per group and stays out of the fixed part", () => {
    const f = parseFormula("y ~ x + (1|g)");
    expect(f.fixed.terms).toEqual([["x"]]);
    expect(f.random).toEqual([{ lhs: { intercept: true, terms: [] }, group: ["g"], groupName: "g" }]);
  });

  it("(x|g) has an implied intercept", () => {
    expect(parseFormula("y ~ (x|g)").random).toEqual([{ lhs: { intercept: true, terms: [["x"]] }, group: ["g"], groupName: "g" }]);
  });

  it("(1+x|g) is the same as (x|g)", () => {
    expect(parseFormula("y ~ (1 + x | g)").random).toEqual(parseFormula("y ~ (x | g)").random);
  });

  it("(0+x|g) has no intercept", () => {
    expect(parseFormula("y ~ (0 + x | g)").random).toEqual([{ lhs: { intercept: false, terms: [["x"]] }, group: ["g"], groupName: "g" }]);
  });

  it("(x||g) expands to (1|g) + (0+x|g)", () => {
    const r = parseFormula("y ~ x + (x || g)").random;
    expect(r).toEqual([
      { lhs: { intercept: true, terms: [] }, group: ["g"], groupName: "g" },
      { lhs: { intercept: false, terms: [["x"]] }, group: ["g"], groupName: "g" },
    ]);
  });

  it("(0 + x + z || g) gives one uncorrelated term per variable and no intercept term", () => {
    const r = parseFormula("y ~ (0 + x + z || g)").random;
    expect(r.map((t) => t.lhs)).toEqual([
      { intercept: false, terms: [["x"]] },
      { intercept: false, terms: [["z"]] },
    ]);
    expect(r.map((t) => t.groupName)).toEqual(["g", "g"]);
  });

  it("(1|a/b) gives the groups b:a and a, in lme4's findbars order", () => {
    const r = parseFormula("y ~ (1 | a/b)").random;
    expect(r.map((t) => t.groupName)).toEqual(["b:a", "a"]);
    expect(r[1].group).toEqual(["a"]);
    expect([...r[0].group].sort()).toEqual(["a", "b"]);
    expect(r.every((t) => t.lhs.intercept && t.lhs.terms.length === 0)).toBe(true);
  });

  it("(1|a/b/c) gives c:b:a, b:a and a, as lme4's findbars", () => {
    expect(parseFormula("y ~ (1 | a/b/c)").random.map((t) => t.groupName)).toEqual(["c:b:a", "b:a", "a"]);
  });

  it("(1|a:b) keeps the name a:b", () => {
    const r = parseFormula("y ~ (1 | a:b)").random;
    expect(r).toHaveLength(1);
    expect(r[0].groupName).toBe("a:b");
    expect(r[0].group).toEqual(["a", "b"]);
  });

  it("keeps several terms in the order written", () => {
    const f = parseFormula("y ~ x + (x | subject) + (1 | item) + (0 + z | site)");
    expect(f.fixed).toEqual({ intercept: true, terms: [["x"]] });
    expect(f.random.map((t) => t.groupName)).toEqual(["subject", "item", "site"]);
    expect(f.random.map((t) => t.lhs.intercept)).toEqual([true, true, false]);
  });

  it("leaves the fixed intercept alone", () => {
    expect(parseFormula("y ~ 0 + x + (1 | g)").fixed.intercept).toBe(false);
    expect(parseFormula("y ~ x + (0 + x | g)").fixed.intercept).toBe(true);
  });
});

describe("backtick names", () => {
  it("allows spaces and symbols in names", () => {
    const f = parseFormula("`reaction time` ~ `days-in` + (1 | `the subject`)");
    expect(f.response).toBe("reaction time");
    expect(f.fixed.terms).toEqual([["days-in"]]);
    expect(f.random[0].groupName).toBe("the subject");
  });

  it("reports an unclosed backtick", () => {
    const e = parseError("y ~ `x + z");
    expect(e.message).toMatch(/position 5/);
    expect(e.message).toMatch(/closing backtick/);
  });
});

describe("syntax errors", () => {
  it("y ~ x + : a term is missing at the end", () => {
    const e = parseError("y ~ x +");
    expect(e.message).toMatch(/position 8/);
    expect(e.message).toMatch(/expected a variable name/);
    expect(e.message).toMatch(/end of the formula/);
  });

  it("y ~ (1 | g : the closing parenthesis is missing", () => {
    const e = parseError("y ~ (1 | g");
    expect(e.message).toMatch(/position 11/);
    expect(e.message).toMatch(/'\)'/);
  });

  it("y ~ x + * z : an operator where a term should be", () => {
    const e = parseError("y ~ x + * z");
    expect(e.message).toMatch(/position 9/);
    expect(e.message).toMatch(/expected a variable name/);
    expect(e.message).toMatch(/'\*'/);
  });

  it("y x : the '~' is missing", () => {
    const e = parseError("y x");
    expect(e.message).toMatch(/position 3/);
    expect(e.message).toMatch(/'~'/);
  });

  it("~ : nothing on the right side", () => {
    const e = parseError("~");
    expect(e.message).toMatch(/position 2/);
    expect(e.message).toMatch(/expected/);
  });

  it("y ~ x ) : a stray parenthesis", () => {
    const e = parseError("y ~ x )");
    expect(e.message).toMatch(/position 7/);
    expect(e.message).toMatch(/end of the formula/);
  });

  it("y ~ x $ z : an unknown character", () => {
    const e = parseError("y ~ x $ z");
    expect(e.message).toMatch(/position 7/);
    expect(e.message).toMatch(/'\$'/);
  });

  it("y ~ bs(x) : an unsupported function is named, with the supported ones", () => {
    const e = parseError("y ~ bs(x)");
    expect(e.message).toMatch(/'bs'/);
    expect(e.message).toMatch(/position 5/);
    expect(e.message).toMatch(/supported functions are .*'log'/);
  });

  it("y ~ 2 : numbers other than 0 and 1 have no meaning", () => {
    const e = parseError("y ~ 2");
    expect(e.message).toMatch(/number 2/);
    expect(e.message).toMatch(/position 5/);
  });

  it("y ~ x^1.5 : powers must be whole numbers", () => {
    expect(parseError("y ~ x^1.5").message).toMatch(/whole number/);
  });

  it("y ~ (x | g) * z : a random-effects term cannot be multiplied", () => {
    expect(parseError("y ~ (x | g) * z").message).toMatch(/random-effects term/);
  });

  it("an empty formula", () => {
    expect(parseError("   ").message).toMatch(/empty/);
    expect(parseError("").message).toMatch(/empty/);
  });

  it("every malformed input throws an LmmError, never a TypeError", () => {
    const bad = ["y ~", "y ~ (", "y ~ ()", "y ~ (|g)", "y ~ (1|)", "y ~ x^", "y ~ x ~ z", "y ~ x | g", "(1|g) ~ x", "y ~ (1|g) ^ 2", "~~"];
    for (const src of bad) {
      expect(() => parseFormula(src), src).toThrow(LmmError);
    }
  });

  it.each([
    "y ~ x +", "y ~ 2", "y ~ x + (1 | g):z", "y ~ x * (1 | g)", "y ~ a + - b", "y ~ 1 + (1 | a/(b + c))", "y ~ 1 + (1 | a*b)", "y ~ bs(x)", "y ~ log(x, 2)",
  ])("%s : error.position is the position the message names", (src) => {
    const e = parseError(src);
    expect(e.position).toBeDefined();
    expect(e.message).toContain(`position ${e.position! + 1}`);
  });
});

describe("signs and positions, as R reads them", () => {
  it("accepts a unary '+' and a '- 1' anywhere in the sum", () => {
    expect(parseFormula("y ~ +x").fixed.terms).toEqual([["x"]]);
    const f = parseFormula("y ~ x + -1");
    expect(f.fixed.intercept).toBe(false);
    expect(f.fixed.terms).toEqual([["x"]]);
  });

  it("reads a function call as the response, and names an unsupported one", () => {
    expect(parseFormula("log(y) ~ x + (1 | g)").response).toBe("log(y)");
    const e = parseError("logit(y) ~ x + (1 | g)");
    expect(e.message).toMatch(/'logit'.*not supported/);
    expect(e.position).toBe(0);
  });

  it("keeps the position of a syntax error on the error, in a one-line message", () => {
    const e = parseError("y ~ (1 | g");
    expect(e.position).toBe(10);
    expect(e.message).not.toContain("\n");
  });
});

describe("size and depth (issue 16, item 3)", () => {
  it("parses a formula of 15,000 terms (no recursion-depth limit)", () => {
    const terms = Array.from({ length: 15_000 }, (_, i) => `x${i}`);
    const f = parseFormula(`y ~ ${terms.join(" + ")} + (1 | g)`);
    expect(f.fixed.terms).toHaveLength(15_000);
    expect(f.fixed.terms[14_999]).toEqual(["x14999"]);
  });

  it("parses 5,000 nested parentheses", () => {
    const f = parseFormula(`y ~ ${"(".repeat(5000)}x${")".repeat(5000)} + (1 | g)`);
    expect(f.fixed.terms).toEqual([["x"]]);
  });

  it("parses a long nesting chain in the grouping factor", () => {
    const groups = Array.from({ length: 3000 }, (_, i) => `g${i}`);
    expect(parseFormula(`y ~ (1 | ${groups.join("/")})`).random).toHaveLength(3000);
  });

  it("refuses a huge power at once, stating the bound (R: invalid power)", () => {
    const started = Date.now();
    const e = parseError("y ~ (Days + Subject)^99999999999");
    expect(Date.now() - started).toBeLessThan(1000);
    expect(e.message).toMatch(/invalid power 99999999999/);
    expect(e.message).toContain("2147483647");
    expect(e.position).toBe(21);
  });

  it("expands a large allowed power as far as the variables go, at once", () => {
    expect(parseFormula("y ~ (a + b)^2147483647").fixed.terms).toEqual([["a"], ["b"], ["a", "b"]]);
  });

  it("refuses ^0 as R does", () => {
    expect(parseError("y ~ (a + b)^0").message).toMatch(/invalid power 0/);
  });

  it("refuses an expansion beyond the term bound, naming the bound", () => {
    const a = Array.from({ length: 400 }, (_, i) => `a${i}`).join(" + ");
    const b = Array.from({ length: 400 }, (_, i) => `b${i}`).join(" + ");
    const e = parseError(`y ~ (${a}) * (${b})`);
    expect(e.message).toContain("100,000 terms");
    expect(e.message).toMatch(/combines 400 terms with 400/);
  });

  it("reads a backtick inside a backticked name escaped with a backslash, as R does", () => {
    expect(parseFormula("y ~ `a\\`b` + (1 | g)").fixed.terms).toEqual([["a`b"]]);
  });
});

describe("fuzz: random formulas fail only with an LmmError (issue 16)", () => {
  // Seeded: the same 3,000 formulas every run, from the pieces of the syntax
  // and some noise; each either parses or throws an LmmError, never a
  // TypeError, RangeError or a stack overflow.
  it("parses or refuses 3,000 random formulas with an LmmError, in bounded time", async () => {
    const { mulberry32 } = await import("../src/random.js");
    const rand = mulberry32(16);
    const pick = <T,>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
    const pieces = ["x", "g", "`a b`", "`a\\`b`", "0", "1", "2", "1.5", "(", ")", "(", ")", "|", "||", "+", "-", "*", ":", "/", "^", "^2", "^0", "^99999999999", "~", " ", "log(", "`", "$", ".5", "y"];
    const started = Date.now();
    let parsed = 0;
    for (let k = 0; k < 3000; k++) {
      const len = 1 + Math.floor(rand() * 24);
      const src = (rand() < 0.7 ? "y ~ " : "") + Array.from({ length: len }, () => pick(pieces)).join(rand() < 0.5 ? "" : " ");
      try {
        parseFormula(src);
        parsed++;
      } catch (e) {
        if (!(e instanceof LmmError)) throw new Error(`${JSON.stringify(src)} threw ${String(e)}`);
        expect(e.message.length, src).toBeLessThan(400);
      }
    }
    expect(parsed).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
