// Per-row outputs of a fit through DuckDB (issue 15, part 3): the file --rows-out
// writes holds, for each row the fit used, lme4's fitted(), predict(re.form =
// NA), residuals() and the scaled residuals (test/reference-rows-out, made by
// scripts/make-rows-out-reference.R), and the in-memory model's values at the
// same estimates; the summary is the in-memory fit's; misuse is one clear error.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCSV } from "../src/csv.js";
import { parseFormula } from "../src/formula.js";
import { buildDesign } from "../src/model/build-design.js";
import { ProfiledDeviance } from "../src/model/deviance.js";
import { LmerModel } from "../src/model/lmer-model.js";
import { DuckDB } from "../src/sql/duckdb.js";
import { fitFile } from "../src/sql/routes.js";
import type { StatisticsModel } from "../src/sql/statistics-model.js";
import { run } from "./cli-run.js";

interface RowsCase {
  id: string;
  data: string;
  formula: string;
  REML: boolean;
  nobs: number;
  sigma: number;
  row: number[];
  fitted: number[];
  fixed: number[];
  resid: number[];
  scaled_resid: number[];
}

const CASES: RowsCase[] = JSON.parse(readFileSync(join(import.meta.dirname, "reference-rows-out/rows.json"), "utf8"));
const dataPath = (c: RowsCase) => join(import.meta.dirname, c.data);
const dir = mkdtempSync(join(tmpdir(), "lmm-rows-out-"));
const OUTPUTS = ["fitted", "fixed", "resid", "scaled_resid"] as const;

let db: DuckDB;
beforeAll(async () => {
  db = await DuckDB.open();
});
afterAll(() => db.close());

/** A written file read back by DuckDB, in the data's row order, by column. */
async function readBack(file: string): Promise<Record<string, unknown[]>> {
  const table = file.endsWith(".parquet") ? `read_parquet('${file}')` : `read_csv('${file}', header = true)`;
  return (await db.columns(`SELECT * FROM ${table} ORDER BY "row"`)) as Record<string, unknown[]>;
}

/**
 * The in-memory model at the SQL fit's own estimates: the rows' design, the
 * deviance of the rows evaluated at its theta, and fitted() and residuals() as
 * an in-memory fit computes them. (The in-memory fit's own optimum differs
 * from the SQL fit's by the optimiser's tolerance, 1e-7 of theta.)
 */
async function inMemoryAt(c: RowsCase, m: StatisticsModel): Promise<{ model: LmerModel; rows: Int32Array; fixed: Float64Array }> {
  const design = buildDesign(parseFormula(c.formula), await readCSV(dataPath(c)));
  const deviance = await ProfiledDeviance.create(design, c.REML);
  const x = Float64Array.from(m.covarianceParameters);
  const opt = { ...m.convergence, x, f: m.objective, gradient: new Float64Array(x.length), theta: Float64Array.from(m.theta) };
  const model = new LmerModel(design, deviance, opt);
  const fixed = new Float64Array(design.n);
  design.X.columns.forEach((col, j) => col.forEach((v, i) => (fixed[i] += v * model.fixef[design.X.names[j]])));
  return { model, rows: design.rows, fixed };
}

const maxAbs = (v: ArrayLike<number>) => Math.max(...Array.from(v, Math.abs));

describe("--rows-out through DuckDB: lme4's per-row values", () => {
  for (const c of CASES) {
    it(`${c.id}: ${c.formula}`, async () => {
      const file = join(dir, `${c.id}.parquet`);
      const m = await fitFile(dataPath(c), c.formula, { REML: c.REML, rowsOut: file });
      expect(m.rowOutputs).toEqual({ file, rows: c.nobs });
      const got = await readBack(file);
      const response = parseFormula(c.formula).response!;
      expect(Object.keys(got).slice(-5)).toEqual([response, ...OUTPUTS]);
      // The rows used, by their number in the data (R's row names): those with missing values are not written.
      expect(got.row.map(Number)).toEqual(c.row);

      // lme4's values, as close as the estimates are to lme4's (its fits at rhoend 1e-12; ours to the optimiser's 1e-6).
      for (const k of OUTPUTS) {
        const scale = maxAbs(c[k === "scaled_resid" ? "scaled_resid" : "fitted"]);
        got[k].forEach((v, i) => expect(Math.abs((v as number) - c[k][i]), `${k}[${i}]`).toBeLessThan(1e-6 * scale));
      }

      // The in-memory model at the same estimates: the same numbers to 1e-9.
      const { model, rows, fixed } = await inMemoryAt(c, m);
      expect(Array.from(rows, (r) => r + 1)).toEqual(c.row);
      const expected: Record<(typeof OUTPUTS)[number], ArrayLike<number>> = {
        fitted: model.fitted,
        fixed,
        resid: model.residuals,
        scaled_resid: Float64Array.from(model.residuals, (r) => r / model.sigma),
      };
      for (const k of OUTPUTS) {
        const scale = Math.max(1, maxAbs(expected[k]));
        got[k].forEach((v, i) => expect(Math.abs((v as number) - expected[k][i]), `${k}[${i}]`).toBeLessThan(1e-9 * scale));
      }
      // The response as the model sees it (log(Reaction) for a transformed response).
      got[response].forEach((v, i) => expect(Math.abs((v as number) - model.fitted[i] - model.residuals[i])).toBeLessThan(1e-9 * maxAbs(model.fitted)));
    });
  }

  it("a CSV file: the same columns and values as the Parquet file", async () => {
    const c = CASES.find((k) => k.id === "pastes_nested_reml")!;
    const parquet = join(dir, "pastes.parquet");
    const csv = join(dir, "pastes.csv");
    const viaParquet = await fitFile(dataPath(c), c.formula, { rowsOut: parquet });
    const viaCsv = await fitFile(dataPath(c), c.formula, { rowsOut: csv });
    expect(viaCsv.rowOutputs?.rows).toBe(60);
    // The model holds no rows: its fitted values and residuals point to --rows-out.
    expect(() => viaCsv.fitted).toThrow(/Fitted values are per row.*--rows-out rows\.parquet/);
    expect(() => viaCsv.residuals).toThrow(/Residuals are per row.*fitFile's rowsOut/);
    const a = await readBack(parquet);
    const b = await readBack(csv);
    // The key columns of the nested term (batch/cask: cask:batch and batch), then the response.
    expect(Object.keys(b)).toEqual(["row", "cask", "batch", "strength", ...OUTPUTS]);
    expect(Object.keys(b)).toEqual(Object.keys(a));
    expect(b.batch).toEqual(a.batch);
    // DuckDB prints doubles with the digits that read back to the same double; the fits differ by DuckDB's summation order.
    for (const k of OUTPUTS) b[k].forEach((v, i) => expect(Math.abs((v as number) - (a[k][i] as number))).toBeLessThan(1e-7 * Math.max(1, maxAbs(a[k] as number[]))));
  });
});

describe("lmm fit --rows-out", () => {
  const sleepstudy = join(import.meta.dirname, "reference/data/sleepstudy.csv");
  const missing = join(import.meta.dirname, "reference-extra/data/sleepstudy_missing.csv");
  const FORMULA = "Reaction ~ Days + (Days | Subject)";

  it("prints the in-memory fit's summary, then how many rows it wrote and that rows with missing values were not", async () => {
    const file = join(dir, "cli.parquet");
    const r = await run("fit", missing, FORMULA, "--engine", "duckdb", "--rows-out", file);
    expect(r.code).toBe(0);
    const inMemory = (await run("fit", missing, FORMULA)).out;
    expect(r.out).toBe(`${inMemory}\nWrote 162 rows (fitted, fixed, resid, scaled_resid) to ${file}; the 18 row(s) with missing values were not written.\n`);
    expect((await readBack(file)).row.length).toBe(162);
  });
  it("--json: the fit's JSON and where the rows went; the file's fitted values and residuals are the in-memory JSON's", async () => {
    const file = join(dir, "cli.csv");
    const r = await run("fit", sleepstudy, FORMULA, "--engine", "duckdb", "--rows-out", file, "--json");
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out);
    expect(got.rows_out).toEqual({ file, rows: 180 });
    const inMemory = JSON.parse((await run("fit", sleepstudy, FORMULA, "--json")).out);
    const rows = await readBack(file);
    rows.fitted.forEach((v, i) => expect(Math.abs((v as number) - inMemory.fitted[i])).toBeLessThan(1e-6 * 500));
    rows.resid.forEach((v, i) => expect(Math.abs((v as number) - inMemory.residuals[i])).toBeLessThan(1e-6 * 500));
  });
});

describe("the summary through DuckDB is the in-memory fit's, residual quantiles and all", () => {
  const cases: [string, string, ...string[]][] = [
    ["reference/data/sleepstudy.csv", "Reaction ~ Days + (Days | Subject)"],
    ["reference-extra/data/sleepstudy_missing.csv", "Reaction ~ Days + (Days | Subject)", "--ml"],
    ["reference/data/sleepstudy.csv", "log(Reaction) ~ Days + I(Days^2) + (Days | Subject)", "--ml"],
    ["reference/data/penicillin.csv", "diameter ~ 1 + (1 | plate) + (1 | sample)"],
    ["reference/data/pastes.csv", "strength ~ 1 + (1 | batch/cask)"],
  ];
  for (const [data, formula, ...flags] of cases) {
    it(`${data}: ${formula} ${flags.join(" ")}`, async () => {
      const path = join(import.meta.dirname, data);
      const viaDuckdb = await run("fit", path, formula, ...flags, "--engine", "duckdb");
      expect(viaDuckdb.code).toBe(0);
      expect(viaDuckdb.out).toMatch(/Scaled residuals:\s+Min/);
      expect(viaDuckdb.out).toBe((await run("fit", path, formula, ...flags)).out);
    });
  }
});

describe("--rows-out misused: one clear error each", () => {
  const sleepstudy = join(import.meta.dirname, "reference/data/sleepstudy.csv");
  const FORMULA = "Reaction ~ Days + (Days | Subject)";
  const expectUserError = (r: { code: number; out: string; err: string }, message: RegExp) => {
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).not.toContain("    at ");
    expect(r.err).toMatch(message);
  };

  it("on the in-memory route", async () => {
    expectUserError(await run("fit", sleepstudy, FORMULA, "--rows-out", join(dir, "x.parquet")), /--rows-out writes the rows from DuckDB's pass.*--engine duckdb/);
  });
  it("with --stats, which has no rows", async () => {
    expectUserError(await run("fit", "--stats", join(dir, "stats.csv"), FORMULA, "--rows-out", join(dir, "x.parquet")), /a statistics file has no rows/);
  });
  it("an extension that is neither Parquet nor CSV, and the data file itself, before the fit", async () => {
    expectUserError(await run("fit", sleepstudy, FORMULA, "--engine", "duckdb", "--rows-out", join(dir, "rows.txt")), /Parquet or CSV.*'.*rows\.parquet'/);
    expectUserError(await run("fit", sleepstudy, FORMULA, "--engine", "duckdb", "--rows-out", sleepstudy), /is the data file itself/);
  });
  it("a data column named as an output column", async () => {
    const renamed = join(dir, "renamed.parquet");
    await db.rows(`COPY (SELECT Reaction, Days AS fitted, Subject FROM read_csv('${sleepstudy}')) TO '${renamed}' (FORMAT parquet)`);
    expectUserError(await run("fit", renamed, "Reaction ~ fitted + (1 | Subject)", "--rows-out", join(dir, "x.parquet")), /data column 'fitted' has the name of a column --rows-out writes/);
  });
  it("a data column named row that the formula does not read is no clash: the file's row is the row's number", async () => {
    const withRow = join(dir, "with-row.parquet");
    await db.rows(`COPY (SELECT 'r' || (1000 - row_number() OVER ()) AS "row", * FROM read_csv('${sleepstudy}')) TO '${withRow}' (FORMAT parquet)`);
    const file = join(dir, "with-row-out.parquet");
    const r = await run("fit", withRow, FORMULA, "--rows-out", file);
    expect(r.code).toBe(0);
    expect((await readBack(file)).row.map(Number)).toEqual(Array.from({ length: 180 }, (_, i) => i + 1));
  });
  it("a directory that does not exist", async () => {
    expectUserError(await run("fit", sleepstudy, FORMULA, "--engine", "duckdb", "--rows-out", join(dir, "no/such/dir/rows.parquet")), /--rows-out could not write/);
  });
  it("fitFile's options are checked by name", async () => {
    await expect(fitFile(sleepstudy, FORMULA, { rowOut: "x.parquet" } as never)).rejects.toThrow(/rowOut.*rowsOut/);
  });
});
