// buildDesign on small hand-made data: R's model.matrix names and coding,
// factor levels, grouping factors, missing values, aliased columns, and
// lme4's ordering of random-effects terms.
import { describe, expect, it } from "vitest";
import { buildDesign, lmer, LmmError, parseFormula, toDataFrame, type DataInput, type DesignOptions } from "../src/index.js";
import { SMALL_DATA as base } from "./small-data.js";

const design = (formula: string, data: DataInput, options?: DesignOptions) => buildDesign(parseFormula(formula), toDataFrame(data), options);
const col = (d: { X: { names: string[]; columns: Float64Array[] } }, name: string) => {
  const j = d.X.names.indexOf(name);
  expect(j, `column ${name} in ${d.X.names.join(", ")}`).toBeGreaterThanOrEqual(0);
  return Array.from(d.X.columns[j]);
};

// Eight rows: four subjects measured twice; Sex is text with levels Female < Male.
const growth = {
  y: [21, 23, 20, 22, 25, 27, 24, 26],
  age: [8, 10, 8, 10, 8, 10, 8, 10],
  Sex: ["Male", "Male", "Female", "Female", "Male", "Male", "Female", "Female"],
  Subject: ["M1", "M1", "F1", "F1", "M2", "M2", "F2", "F2"],
};

describe("fixed effects: treatment contrasts", () => {
  it("names columns as R does: (Intercept), age, SexMale, age:SexMale", () => {
    const d = design("y ~ age * Sex + (1 | Subject)", growth);
    expect(d.X.names).toEqual(["(Intercept)", "age", "SexMale", "age:SexMale"]);
    expect(col(d, "(Intercept)")).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(col(d, "SexMale")).toEqual([1, 1, 0, 0, 1, 1, 0, 0]);
    expect(col(d, "age:SexMale")).toEqual([8, 10, 0, 0, 8, 10, 0, 0]);
    expect(d.response).toBe("y");
    expect(Array.from(d.y)).toEqual(growth.y);
    expect(d.n).toBe(8);
  });

  it("sorts text levels as R in English (or by code point), so the first level is the reference", () => {
    // R in en_US.UTF-8: "a" < "b" < "B"; in the C locale upper case comes first: "B" < "a" < "b".
    const data = { y: [1, 2, 3, 4, 5, 6], f: ["b", "a", "B", "b", "a", "B"], g: ["p", "p", "q", "q", "r", "r"] };
    const d = design("y ~ f + (1 | g)", data);
    expect(d.X.names).toEqual(["(Intercept)", "fb", "fB"]);
    expect(col(d, "fB")).toEqual([0, 0, 1, 0, 0, 1]);
    const c = design("y ~ f + (1 | g)", data, { levelOrder: "codepoint" });
    expect(c.X.names).toEqual(["(Intercept)", "fa", "fb"]);
    expect(col(c, "fa")).toEqual([0, 1, 0, 0, 1, 0]);
  });

  it("the levels option reorders levels and changes the reference", () => {
    const d = design("y ~ age * Sex + (1 | Subject)", growth, { levels: { Sex: ["Male", "Female"] } });
    expect(d.X.names).toEqual(["(Intercept)", "age", "SexFemale", "age:SexFemale"]);
    expect(col(d, "SexFemale")).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
  });

  it("the levels option must list every level present", () => {
    expect(() => design("y ~ Sex + (1 | Subject)", growth, { levels: { Sex: ["Male"] } })).toThrow(/lacks level.*'Female'/);
  });

  it("the factors option makes a numeric column a factor", () => {
    const d = design("y ~ age + (1 | Subject)", growth, { factors: ["age"] });
    expect(d.X.names).toEqual(["(Intercept)", "age10"]);
    expect(col(d, "age10")).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
    // Without the option it is a numeric covariate.
    expect(design("y ~ age + (1 | Subject)", growth).X.names).toEqual(["(Intercept)", "age"]);
  });

  it("0 + f gives an indicator column for every level", () => {
    const d = design("y ~ 0 + Sex + (1 | Subject)", growth);
    expect(d.X.names).toEqual(["SexFemale", "SexMale"]);
    expect(col(d, "SexFemale")).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
    expect(col(d, "SexMale")).toEqual([1, 1, 0, 0, 1, 1, 0, 0]);
  });

  it("f:x without the main effect of f gives one slope per level", () => {
    const d = design("y ~ age + age:Sex + (1 | Subject)", growth);
    expect(d.X.names).toEqual(["(Intercept)", "age", "age:SexMale"]);
    const d2 = design("y ~ age:Sex + (1 | Subject)", growth);
    expect(d2.X.names).toEqual(["(Intercept)", "age:SexFemale", "age:SexMale"]);
  });

  // R's terms() orders the variables of an interaction by their first
  // appearance in the formula: `y ~ age + Sex + Sex:age` has the term label
  // `age:Sex`, so model.matrix names the column `age:SexMale` (as for age*Sex).
  it("names an interaction written Sex:age after age + Sex as age:SexMale (R's variable order)", () => {
    const d = design("y ~ age + Sex + Sex:age + (1 | Subject)", growth);
    expect(d.X.names).toEqual(["(Intercept)", "age", "SexMale", "age:SexMale"]);
  });
});

describe("random-effects terms", () => {
  // Three workers, each on machines A and B three times.
  const machines = {
    score: [52, 53, 51, 60, 61, 62, 50, 49, 51, 64, 63, 65, 55, 54, 56, 59, 60, 58],
    Machine: ["A", "A", "A", "B", "B", "B", "A", "A", "A", "B", "B", "B", "A", "A", "A", "B", "B", "B"],
    Worker: ["w1", "w1", "w1", "w1", "w1", "w1", "w2", "w2", "w2", "w2", "w2", "w2", "w3", "w3", "w3", "w3", "w3", "w3"],
  };

  it("(0 + Machine | Worker) has an indicator column per machine", () => {
    const d = design("score ~ Machine + (0 + Machine | Worker)", machines);
    expect(d.terms).toHaveLength(1);
    const t = d.terms[0];
    expect(t.group).toBe("Worker");
    expect(t.names).toEqual(["MachineA", "MachineB"]);
    expect(Array.from(t.columns[0])).toEqual(machines.Machine.map((m) => (m === "A" ? 1 : 0)));
    expect(Array.from(t.columns[1])).toEqual(machines.Machine.map((m) => (m === "B" ? 1 : 0)));
    expect(t.factor.levels).toEqual(["w1", "w2", "w3"]);
    expect(Array.from(t.factor.codes)).toEqual(machines.Worker.map((w) => Number(w[1]) - 1));
  });

  it("(Machine | Worker) has an intercept and a contrast", () => {
    const d = design("score ~ Machine + (Machine | Worker)", machines);
    expect(d.terms[0].names).toEqual(["(Intercept)", "MachineB"]);
  });

  it("a numeric grouping factor is sorted numerically, not as text", () => {
    const data = { y: [1, 2, 3, 4, 5, 6], x: [1, 2, 3, 4, 5, 7], g: [10, 2, 10, 2, 2, 10] };
    const t = design("y ~ x + (1 | g)", data).terms[0];
    expect(t.factor.levels).toEqual(["2", "10"]);
    expect(Array.from(t.factor.codes)).toEqual([1, 0, 1, 0, 0, 1]);
  });

  it("an interaction grouping factor has levels with the first factor varying slowest, unused ones dropped", () => {
    const data = {
      y: [1, 2, 3, 4, 5, 6, 7, 8],
      a: ["b", "a", "a", "b", "a", "b", "a", "b"],
      B: ["A", "B", "A", "A", "B", "A", "A", "A"],
    };
    const t = design("y ~ 1 + (1 | a:B)", data).terms[0];
    expect(t.group).toBe("a:B");
    expect(t.factor.levels).toEqual(["a:A", "a:B", "b:A"]); // "b:B" never occurs
    expect(Array.from(t.factor.codes)).toEqual([2, 1, 0, 2, 1, 2, 0, 2]);
  });

  it("(1 | a/b) builds a and b:a, the finer factor first", () => {
    const data = {
      y: [1, 2, 3, 4, 5, 6, 7, 8],
      batch: ["x", "x", "x", "x", "y", "y", "y", "y"],
      cask: ["1", "1", "2", "2", "1", "1", "2", "2"],
    };
    const d = design("y ~ 1 + (1 | batch/cask)", data);
    expect(d.terms.map((t) => t.group)).toEqual(["cask:batch", "batch"]);
    expect(d.terms[0].factor.levels).toEqual(["1:x", "1:y", "2:x", "2:y"]);
  });
});

describe("lme4 term order", () => {
  const data = {
    y: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    site: ["p", "p", "p", "p", "p", "p", "q", "q", "q", "q", "q", "q"],
    subject: ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e", "f", "f"],
  };

  it("reorders terms by decreasing number of levels when a later term has more levels", () => {
    const d = design("y ~ 1 + (1 | site) + (1 | subject)", data);
    expect(d.terms.map((t) => t.group)).toEqual(["subject", "site"]);
    expect(d.terms.map((t) => t.factor.levels.length)).toEqual([6, 2]);
  });

  it("keeps the written order when it is already decreasing", () => {
    const d = design("y ~ 1 + (1 | subject) + (1 | site)", data);
    expect(d.terms.map((t) => t.group)).toEqual(["subject", "site"]);
  });

  it("reorders three terms as lme4's rev(order(nlevels))", () => {
    const three = { ...data, block: ["u", "u", "u", "v", "v", "v", "w", "w", "w", "z", "z", "z"] };
    const d = design("y ~ 1 + (1 | site) + (1 | subject) + (1 | block)", three);
    expect(d.terms.map((t) => t.group)).toEqual(["subject", "block", "site"]);
  });
});

describe("missing values", () => {
  it("drops rows with NA, empty, NaN or null in a used column and counts them", () => {
    const data = {
      y: [1, 2, "NA", 4, 5, "", 7, 8, 9, 10],
      x: [1, 2, 3, NaN, 5, 6, 7, 8, 9, 10],
      g: ["a", "a", "b", "b", "c", null, "c", "a", "b", "c"],
      unused: [null, null, null, null, null, null, null, null, null, 1],
    };
    const d = design("y ~ x + (1 | g)", data);
    expect(d.droppedRows).toBe(3);
    expect(d.n).toBe(7);
    expect(Array.from(d.rows)).toEqual([0, 1, 4, 6, 7, 8, 9]);
    expect(Array.from(d.y)).toEqual([1, 2, 5, 7, 8, 9, 10]);
    expect(col(d, "x")).toEqual([1, 2, 5, 7, 8, 9, 10]);
    expect(d.terms[0].factor.levels).toEqual(["a", "b", "c"]);
  });

  it("drops a factor level that only occurs in dropped rows", () => {
    const data = { y: [1, 2, 3, 4, 5, NaN], x: [1, 2, 3, 4, 5, 6], g: ["a", "a", "b", "b", "a", "z"] };
    const d = design("y ~ x + (1 | g)", data);
    expect(d.droppedRows).toBe(1);
    expect(d.terms[0].factor.levels).toEqual(["a", "b"]);
  });
});

describe("rank deficiency", () => {
  it("drops an aliased column and names it", () => {
    const data = {
      y: [1, 3, 2, 5, 4, 6, 8, 7],
      x1: [1, 2, 3, 4, 5, 6, 7, 8],
      x2: [2, 4, 6, 8, 10, 12, 14, 16],
      g: ["a", "a", "b", "b", "c", "c", "d", "d"],
    };
    const d = design("y ~ x1 + x2 + (1 | g)", data);
    expect(d.X.names).toEqual(["(Intercept)", "x1"]);
    expect(d.X.columns).toHaveLength(2);
    expect(d.droppedColumns).toEqual(["x2"]);
  });

  it("drops a column that is a combination of the intercept and a factor", () => {
    // z = 1 - SexMale = SexFemale indicator, aliased with the intercept and SexMale.
    const data = { ...growth, z: growth.Sex.map((s) => (s === "Female" ? 1 : 0)) };
    const d = design("y ~ Sex + z + (1 | Subject)", data);
    expect(d.X.names).toEqual(["(Intercept)", "SexMale"]);
    expect(d.droppedColumns).toEqual(["z"]);
  });

  it("keeps a full-rank design untouched", () => {
    expect(design("y ~ age * Sex + (1 | Subject)", growth).droppedColumns).toEqual([]);
  });
});

describe("design errors", () => {
  it("throws LmmError when the fixed part has no columns", () => {
    expect(() => design("y ~ 0 + (1 | Subject)", growth)).toThrow(LmmError);
  });
});

describe("coefficient names stay distinct (issue 16, item 2)", () => {
  // R: names(fixef(lmer(Reaction ~ `(Intercept)` + Days * D2 + `Days:D2` + (1|Subject), d)))
  it("backticks a column named (Intercept) or Days:D2, as R does", () => {
    const data = {
      y: [1.2, 2.3, 3.1, 4.8, 5.2, 6.9, 7.1, 8.4, 9.9, 10.1, 11.7, 12.2],
      Days: [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5],
      D2: ["0", "1", "0", "1", "0", "1", "0", "1", "0", "1", "0", "1"],
      "(Intercept)": [0.3, -1.2, 0.8, 0.1, -0.4, 1.9, -0.7, 0.2, 1.1, -0.9, 0.5, 0.0],
      "Days:D2": [0.5, 3.1, 5.9, 9.4, 12.2, 14.8, 0.2, 3.3, 6.1, 8.7, 12.4, 15.3],
      g: ["a", "a", "a", "b", "b", "b", "c", "c", "c", "d", "d", "d"],
    };
    const d = design("y ~ `(Intercept)` + Days * D2 + `Days:D2` + (1 | g)", data);
    expect(d.X.names).toEqual(["(Intercept)", "`(Intercept)`", "Days", "D21", "`Days:D2`", "Days:D21"]);
    expect(col(d, "`(Intercept)`")).toEqual(data["(Intercept)"]);
    expect(d.droppedColumns).toEqual([]);
  });

  it("escapes a backtick in the name and backticks factor names too", () => {
    const d = design("y ~ `a\\`b` + `the sex` + (1 | Subject)", { ...growth, "a`b": growth.age, "the sex": growth.Sex });
    expect(d.X.names).toEqual(["(Intercept)", "`a\\`b`", "`the sex`Male"]);
  });
});

describe("JavaScript column types", () => {
  it("treats strings that look like numbers as text (a factor), as R's character vectors", async () => {
    const m = await lmer("y ~ x + f + (1 | g)", { ...base, f: base.x.map((_, i) => (i % 2 ? "2" : "1")) });
    expect(m.coefNames).toEqual(["(Intercept)", "x", "f2"]);
  });

  it("codes booleans as the factor levels FALSE and TRUE, and rejects other objects", async () => {
    const m = await lmer("y ~ b + (1 | g)", { ...base, b: base.x.map((v) => v > 2) });
    expect(m.coefNames).toEqual(["(Intercept)", "bTRUE"]);
    await expect(lmer("y ~ o + (1 | g)", { ...base, o: base.x.map(() => ({})) })).rejects.toThrow(/Column 'o' holds a object at row 1/);
  });

  it("keeps a number column numeric when some cells are missing-value strings", async () => {
    const y: (number | string)[] = [...base.y];
    y[3] = "NA";
    const m = await lmer("y ~ x + (1 | g)", { ...base, y });
    expect(m.droppedRows).toBe(1);
  });
});
