// The CLI's routes for data larger than memory (issue 15, parts 1-2): a Parquet
// file and a CSV through DuckDB print the in-memory fit's summary; the query
// lmm sql prints, run by DuckDB, gives a statistics file that lmm fit --stats
// fits to the same estimates; bad input is one clear error.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { DuckDB } from "../src/sql/duckdb.js";
import { run } from "./cli-run.js";
import { expectUserError } from "./errors.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const orthodont = join(root, "test/reference/data/orthodont.csv");
const FORMULA = "distance ~ age * Sex + (age | Subject)";
const dir = mkdtempSync(join(tmpdir(), "lmm-sql-"));
const parquet = join(dir, "orthodont.parquet");

/** Run SQL in a fresh DuckDB. */
async function duckdb(sql: string): Promise<void> {
  const db = await DuckDB.open();
  try {
    for (const statement of sql.split(/;\s*$/m).filter((s) => s.trim())) await db.rows(statement);
  } finally {
    db.close();
  }
}

/** The summary without its Data: line (the file names differ). */
const withoutData = (s: string) => s.replace(/^ {3}Data: .*\n/m, "");

beforeAll(async () => {
  await duckdb(`COPY (SELECT * FROM read_csv('${orthodont}')) TO '${parquet}' (FORMAT parquet)`);
});

describe("lmm fit through DuckDB", () => {
  it("a Parquet file: the in-memory fit's summary", async () => {
    const viaParquet = await run("fit", parquet, FORMULA);
    const inMemory = await run("fit", orthodont, FORMULA);
    expect(viaParquet.code).toBe(0);
    expect(viaParquet.out).toContain("Data: orthodont.parquet");
    expect(withoutData(viaParquet.out)).toBe(withoutData(inMemory.out));
  });
  it("--json: the in-memory fit's JSON without the per-row fitted values and residuals (objective to 1e-9, the estimates to the optimiser's 1e-6)", async () => {
    const viaParquet = await run("fit", parquet, FORMULA, "--json");
    expect(viaParquet.code).toBe(0);
    const got = JSON.parse(viaParquet.out);
    const inMemory = JSON.parse((await run("fit", orthodont, FORMULA, "--json")).out);
    expect(Object.keys(got)).toEqual(Object.keys(inMemory).filter((k) => k !== "fitted" && k !== "residuals"));
    expect(Math.abs(got.objective - inMemory.objective)).toBeLessThan(1e-9 * inMemory.objective);
    // The optimum's location is flat to the optimiser's tolerance: sums in another order move theta by up to about 1e-8.
    const close = (a: unknown, b: unknown, at: string): void => {
      if (typeof b === "number") {
        expect(typeof a, at).toBe("number");
        expect(Math.abs((a as number) - b), at).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(b)));
      } else if (b !== null && typeof b === "object") {
        expect(Object.keys(a as object), at).toEqual(Object.keys(b));
        for (const k of Object.keys(b)) close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
      } else expect(a, at).toEqual(b);
    };
    // The optimiser's path differs in the last bits (sums in another order): its counts may too.
    for (const key of Object.keys(got).filter((k) => k !== "convergence")) close(got[key], inMemory[key], key);
  });
  it("a CSV file with --engine duckdb, by ML with a numeric column as a factor in a given level order: the same text as in memory", async () => {
    // (Orthodont's balanced estimates sit on printing ties such as 16.340625,
    // where the last bit of a sum decides the printed digit.)
    const chickweight = join(root, "test/reference-extra/data/chickweight.csv");
    const args = [chickweight, "weight ~ Time * Diet + (Time | Chick)", "--ml", "--factor", "Diet", "--levels", "Diet=4,3,2,1"];
    const viaDuckdb = await run("fit", ...args, "--engine", "duckdb");
    expect(viaDuckdb.code).toBe(0);
    expect(viaDuckdb.out).toContain("Time:Diet1");
    expect(viaDuckdb.out).toBe((await run("fit", ...args)).out);
  });
});

describe("lmm sql and lmm fit --stats", () => {
  it("the printed query, run by DuckDB, gives statistics that fit to the same estimates", async () => {
    const q = await run("sql", FORMULA, "--table", "orthodont", "--data", parquet);
    expect(q.code).toBe(0);
    const stats = join(dir, "stats.csv");
    await duckdb(`CREATE TABLE orthodont AS SELECT * FROM read_csv('${orthodont}');\nCOPY (${q.out.trim().replace(/;$/, "")}) TO '${stats}' (HEADER, DELIMITER ',')`);
    const fromStats = await run("fit", "--stats", stats, FORMULA, "--levels", "Sex=Female,Male");
    expect(fromStats.code).toBe(0);
    const inMemory = (await run("fit", orthodont, FORMULA)).out;
    // All but the residuals' line, which needs the rows.
    expect(fromStats.out).toMatch(/Scaled residuals: not computed/);
    const body = (s: string) => withoutData(s).replace(/Scaled residuals:[^]*?\n\n/, "");
    expect(body(fromStats.out)).toBe(body(inMemory));
    // From --data instead of --levels: the same.
    expect((await run("fit", "--stats", stats, FORMULA, "--data", orthodont)).out).toBe(fromStats.out);
  });
  it("dialects: quoting and types as each engine spells them", async () => {
    const levels = ["--levels", "Sex=Female,Male"];
    const pg = (await run("sql", FORMULA, "--table", "t", "--dialect", "postgres", ...levels)).out;
    expect(pg).toContain(`CAST("age" AS DOUBLE PRECISION)`);
    expect(pg).toContain(`GROUP BY "Subject", "Sex"`);
    const spark = (await run("sql", FORMULA, "--table", "t", "--dialect", "spark", ...levels)).out;
    expect(spark).toContain("CAST(`age` AS DOUBLE)");
    expect(spark).toContain("GROUP BY `Subject`, `Sex`");
    expect(spark).toContain("`Sex`,\n");
  });
});

describe("bad input through SQL: one clear error each", () => {
  it("an unknown column names the table's columns", async () => {
    expectUserError(await run("fit", parquet, "distance ~ agee + (1 | Subject)"), /no column 'agee'.*'distance', 'age'/);
  });
  it("a function SQL does not compute here", async () => {
    expectUserError(await run("sql", "distance ~ poly(age, 2) + (1 | Subject)", "--table", "t"), /'poly\(age, 2\)' cannot be computed in SQL.*learns from the data/);
    expectUserError(await run("fit", parquet, "distance ~ scale(age) + (1 | Subject)"), /cannot be computed in SQL/);
  });
  it("Kenward-Roger needs the rows", async () => {
    expectUserError(await run("fit", parquet, FORMULA, "--ddf", "kenward-roger"), /Kenward-Roger needs the rows.*satterthwaite/);
  });
  it("options the statistics cannot serve", async () => {
    expectUserError(await run("fit", parquet, FORMULA, "--confint", "profile"), /cannot take --confint/);
    expectUserError(await run("fit", parquet, FORMULA, "--weights", "age"), /cannot take --weights/);
    expectUserError(await run("sql", FORMULA, "--table", "t", "--offset", "age", "--levels", "Sex=Female,Male"), /cannot take --offset/);
    expectUserError(await run("fit", orthodont, FORMULA, "--engine", "spark"), /Unknown --engine 'spark'/);
    expectUserError(await run("sql", FORMULA, "--table", "t", "--dialect", "oracle", "--levels", "Sex=Female,Male"), /Unknown --dialect 'oracle'/);
    expectUserError(await run("sql", "distance ~ age * factor(Sex) + (age | Subject)", "--table", "t"), /levels of 'Sex' are needed/);
  });
  it("a malformed statistics file", async () => {
    const q = (await run("sql", FORMULA, "--table", "orthodont", "--data", orthodont)).out;
    const stats = join(dir, "stats-bad.csv");
    await duckdb(`CREATE TABLE orthodont AS SELECT * FROM read_csv('${orthodont}');\nCOPY (${q.trim().replace(/;$/, "")}) TO '${stats}' (HEADER, DELIMITER ',')`);
    const text = readFileSync(stats, "utf8");
    // A sum's column missing.
    const lines = text.split("\n").map((l) => l.replace(/,[^,]*$/, ""));
    const cut = join(dir, "stats-cut.csv");
    writeFileSync(cut, text.replace("m_2_1,", "m_2_x,"));
    expectUserError(await run("fit", "--stats", cut, FORMULA, "--data", orthodont), /lack the column 'm_2_1'/);
    // Another model's statistics.
    expectUserError(await run("fit", "--stats", stats, "distance ~ age + (age | Subject)", "--data", orthodont), /were computed for the columns .* but this formula/);
    // A value that is not a number.
    const broken = join(dir, "stats-text.csv");
    writeFileSync(broken, text.replace(/\n(M\d\d,Male,\d+,)[^,]+,/, "\n$1oops,"));
    expectUserError(await run("fit", "--stats", broken, FORMULA, "--data", orthodont), /holds 'oops'.*not a finite number/);
    expect(lines.length).toBeGreaterThan(20);
  });
});
