// lmm batch with its responses in Parquet (issue 15, part 4): streamed by
// DuckDB in blocks of features, with the same results as the CSV batch.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateOmics, OMICS_FORMULA } from "../bench/omics.js";
import { openResponseFile, type ResponseFile } from "../src/batch/response-file.js";
import { main } from "../src/cli.js";
import { fitMany, readCSV, readResponses, type BatchRecord, type ResponseMatrix } from "../src/index.js";
import { DuckDB } from "../src/sql/duckdb.js";
import { expectUserError } from "./errors.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "lmm-batch-parquet-"));
const path = (name: string) => join(dir, name);
const FEATURES = 150;

/** Run SQL statements in a fresh DuckDB. */
async function duckdb(...statements: string[]): Promise<void> {
  const db = await DuckDB.open();
  try {
    for (const s of statements) await db.rows(s);
  } finally {
    db.close();
  }
}

async function run(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, (s) => void (out += s), (s) => void (err += s), undefined);
  return { code, out, err };
}

/** Fit the responses of a file opened by DuckDB, and close it. */
async function fitFile(file: string, options: Parameters<typeof fitMany>[3] = {}, blockFeatures?: number) {
  const source = await openResponseFile(file, { blockFeatures });
  try {
    return await fitMany(OMICS_FORMULA, samples, source, options);
  } finally {
    source.close();
  }
}

// A study with missing values (about 3% of cells), written as CSV with every
// digit (so Parquet and CSV hold the same doubles) and as Parquet by DuckDB.
const st = generateOmics({ features: FEATURES, missing: 0.03, seed: 2024, subjects: 20, visits: 4 });
const n = st.samples.sample.length;
const samples = { sample: st.samples.sample, id: st.samples.id, time: st.samples.time, group: st.samples.group };
let csvMatrix: ResponseMatrix;
let csvResult: Awaited<ReturnType<typeof fitMany>>;

beforeAll(async () => {
  const lines = [["feature", ...st.samples.sample].join(",")];
  st.featureIds.forEach((f, k) => lines.push([f, ...Array.from(st.values.subarray(k * n, (k + 1) * n), (v) => (Number.isNaN(v) ? "NA" : String(v)))].join(",")));
  writeFileSync(path("responses.csv"), lines.join("\n") + "\n");
  writeFileSync(path("samples.csv"), ["sample,id,time,group", ...st.samples.sample.map((s, i) => `${s},${st.samples.id[i]},${st.samples.time[i]},${st.samples.group[i]}`)].join("\n") + "\n");
  const csv = `read_csv('${path("responses.csv")}', nullstr = ['NA'])`;
  await duckdb(
    `COPY (SELECT * FROM ${csv}) TO '${path("responses.parquet")}' (FORMAT parquet)`,
    // Missing as NaN instead of NULL, and samples stored as other numeric types.
    `COPY (SELECT * REPLACE (coalesce(S0002, 'NaN'::DOUBLE) AS S0002, CAST(S0003 AS FLOAT) AS S0003, CAST(round(S0004 * 1000) AS INTEGER) AS S0004) FROM ${csv}) TO '${path("typed.parquet")}' (FORMAT parquet)`,
  );
  csvMatrix = await readResponses(path("responses.csv"));
  csvResult = await fitMany(OMICS_FORMULA, samples, csvMatrix, { threads: 1 });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("fitMany on a Parquet responses file", () => {
  it("gives the CSV batch's records exactly, missing values (NULL or NaN) included", async () => {
    const viaParquet = await fitFile(path("responses.parquet"), { threads: 1 });
    expect(csvResult.records.filter((r) => (r.nobs as number) < n).length).toBeGreaterThan(50);
    expect(viaParquet.columns).toEqual(csvResult.columns);
    expect(viaParquet.records).toEqual(csvResult.records);
    expect(viaParquet.messages).toEqual([]);

    // NaN cells of S0002 are missing as NULL ones are; FLOAT and INTEGER columns are read as numbers.
    const typed = await fitFile(path("typed.parquet"), { threads: 1 });
    const asTyped: ResponseMatrix = { ...csvMatrix, values: csvMatrix.values.slice() };
    for (let f = 0; f < FEATURES; f++) {
      asTyped.values[f * n + 2] = Math.fround(asTyped.values[f * n + 2]);
      asTyped.values[f * n + 3] = Number.isNaN(asTyped.values[f * n + 3]) ? NaN : Math.round(asTyped.values[f * n + 3] * 1000);
    }
    expect(typed.records).toEqual((await fitMany(OMICS_FORMULA, samples, asTyped, { threads: 1 })).records);
  });

  it("gives the same records whatever the block size (smaller than the features, not dividing them), and with 2 worker threads", async () => {
    for (const block of [7, 64, 1]) expect((await fitFile(path("responses.parquet"), { threads: 1 }, block)).records).toEqual(csvResult.records);
    // Worker threads run from the built dist/.
    const dist = join(root, "dist/src/index.js");
    expect(existsSync(dist), "run `npm run build` first").toBe(true);
    const lib = (await import(dist)) as typeof import("../src/index.js");
    const routes = (await import(join(root, "dist/src/sql/routes.js"))) as typeof import("../src/sql/routes.js");
    const source = await routes.openResponseFile(path("responses.parquet"), { blockFeatures: 50 });
    const streamed: number[] = [];
    try {
      const two = await lib.fitMany(OMICS_FORMULA, samples, source, { threads: 2, onRecord: (_r, i) => streamed.push(i) });
      expect(two.threads).toBe(2);
      expect(two.records).toEqual(csvResult.records);
      expect(streamed).toEqual(st.featureIds.map((_, i) => i));
    } finally {
      source.close();
    }
  });

  it("reads only the samples of the sample table, and says which are missing, as the CSV batch does", async () => {
    // The sample table without its first sample, and with a sample the responses lack.
    const fewer = { sample: [...samples.sample.slice(1), "S9999"], id: [...samples.id.slice(1), "id999"], time: [...samples.time.slice(1), 0], group: [...samples.group.slice(1), "A"] };
    const viaCsv = await fitMany(OMICS_FORMULA, fewer, csvMatrix, { threads: 1 });
    const source = await openResponseFile(path("responses.parquet"));
    try {
      const viaParquet = await fitMany(OMICS_FORMULA, fewer, source, { threads: 1 });
      expect(viaParquet.records).toEqual(viaCsv.records);
      expect(viaParquet.messages).toEqual(viaCsv.messages);
      expect(viaParquet.messages.join(" ")).toMatch(/1 sample\(s\) of the sample table have no column in the responses.*S9999.*1 response column\(s\) match no sample.*S0001/);
    } finally {
      source.close();
    }
  });
});

describe("lmm batch RESPONSES.parquet", () => {
  const FORMULA = OMICS_FORMULA;

  it("writes the CSV route's results; a CSV with --engine duckdb too", async () => {
    const viaCsv = await run("batch", path("samples.csv"), path("responses.csv"), FORMULA, "--threads", "1");
    expect(viaCsv.code).toBe(0);
    const viaParquet = await run("batch", path("samples.csv"), path("responses.parquet"), FORMULA, "--threads", "1", "--block", "64");
    expect(viaParquet.code).toBe(0);
    expect(viaParquet.out).toBe(viaCsv.out);
    expect(viaParquet.err).toMatch(/^lmm: 150 features in [\d.]+ s/);
    const viaDuckdbCsv = await run("batch", path("samples.csv"), path("responses.csv"), FORMULA, "--threads", "1", "--engine", "duckdb");
    expect(viaDuckdbCsv.out).toBe(viaCsv.out);
  });

  it("resumes an interrupted run across blocks", async () => {
    const out = path("resumed.csv");
    const whole = await run("batch", path("samples.csv"), path("responses.parquet"), FORMULA, "--threads", "1", "--out", path("whole.csv"));
    expect(whole.code).toBe(0);
    // The partial file a run stopped after 100 features leaves: a line of columns, then one record per line.
    const records: BatchRecord[] = csvResult.records.slice(0, 100).map((r) => ({ ...r, ...Object.fromEntries(csvResult.columns.filter((c) => c.endsWith("_fdr")).map((c) => [c, null])) }));
    writeFileSync(`${out}.partial`, [JSON.stringify({ columns: csvResult.columns }), ...records.map((r) => JSON.stringify(r))].join("\n") + "\n");
    const resumed = await run("batch", path("samples.csv"), path("responses.parquet"), FORMULA, "--threads", "1", "--out", out, "--resume", "--block", "33");
    expect(resumed.code).toBe(0);
    expect(resumed.err).toMatch(/100 taken from/);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(path("whole.csv"), "utf8"));
  });

  it("names the problem of a file it cannot use", async () => {
    const args = (file: string, ...more: string[]) => ["batch", path("samples.csv"), file, FORMULA, "--threads", "1", ...more];
    expectUserError(await run(...args(path("nope.parquet"))), /Cannot read '.*nope.parquet' \(no such file\)/);
    writeFileSync(path("empty.parquet"), "");
    expectUserError(await run(...args(path("empty.parquet"))), /The responses file '.*empty.parquet' is empty: it needs a feature id column/);
    writeFileSync(path("junk.parquet"), "not parquet at all\n");
    expectUserError(await run(...args(path("junk.parquet"))), /DuckDB could not read '.*junk.parquet'/);
    await duckdb(
      `COPY (SELECT 'f1' AS feature, 1.5::DOUBLE AS S0001 WHERE false) TO '${path("no-rows.parquet")}' (FORMAT parquet)`,
      `COPY (SELECT 'f1' AS feature) TO '${path("ids-only.parquet")}' (FORMAT parquet)`,
      `COPY (SELECT feature, CASE WHEN feature = 'feat000003' THEN 'oops' ELSE CAST(S0002 AS VARCHAR) END AS S0002, S0001 FROM read_parquet('${path("responses.parquet")}')) TO '${path("text.parquet")}' (FORMAT parquet)`,
      `COPY (SELECT feature, S0001 AS sample1, S0002 AS sample2 FROM read_parquet('${path("responses.parquet")}')) TO '${path("other-ids.parquet")}' (FORMAT parquet)`,
    );
    expectUserError(await run(...args(path("no-rows.parquet"))), /'.*no-rows.parquet' has sample columns but no features: add one row per feature/);
    expectUserError(await run(...args(path("ids-only.parquet"))), /'.*ids-only.parquet' has 1 column: it needs a feature id column and at least one sample column/);
    expectUserError(
      await run(...args(path("text.parquet"))),
      /Sample column 'S0002' of '.*text.parquet' holds VARCHAR, not numbers \(e.g. 'oops' for feature 'feat000003'\): write the column as numbers \(DOUBLE\)/,
    );
    expectUserError(await run(...args(path("other-ids.parquet"))), /No sample id of column 'sample' \(e.g. 'S0001'\) is a column of the responses \(e.g. 'sample1'\)/);

    const text = readFileSync(path("responses.csv"), "utf8").replace(/^(feat000003,[^,]+),[^,]+/m, "$1,oops");
    writeFileSync(path("text.csv"), text);
    expectUserError(await run(...args(path("text.csv"), "--engine", "duckdb")), /Sample column 'S0002' of '.*text.csv' holds VARCHAR, not numbers \(e.g. 'oops' for feature 'feat000003'\): .*--engine memory/);

    expectUserError(await run(...args(path("responses.parquet"), "--engine", "memory")), /A Parquet file is read through DuckDB: drop --engine memory/);
    expectUserError(await run(...args(path("responses.parquet"), "--engine", "spark")), /Unknown --engine 'spark'/);
    expectUserError(await run(...args(path("responses.parquet"), "--block", "0")), /--block must be a whole number of features, at least 1/);
    expectUserError(await run(...args(path("responses.csv"), "--block", "100")), /--block sets how many features DuckDB reads at a time: it applies to a .parquet file or --engine duckdb/);
  });
});

describe("openResponseFile", () => {
  it("announces the samples and feature count, and yields blocks laid out by sample row", async () => {
    let source: ResponseFile | undefined;
    try {
      source = await openResponseFile(path("responses.parquet"), { blockFeatures: 64 });
      expect(source.samples).toEqual(st.samples.sample);
      expect(source.featureCount).toBe(FEATURES);
      // Rows: the third sample, an unmeasured one, the first.
      const columnOf = Int32Array.from([2, -1, 0]);
      const sizes: number[] = [];
      let f = 0;
      for await (const block of source.blocks(columnOf)) {
        sizes.push(block.features.length);
        block.features.forEach((id, k) => {
          expect(id).toBe(st.featureIds[f]);
          expect(Array.from(block.values.subarray(3 * k, 3 * k + 3))).toEqual([st.values[f * n + 2], NaN, st.values[f * n]]);
          f++;
        });
      }
      expect(sizes).toEqual([64, 64, 22]);
    } finally {
      source?.close();
    }
    await expect(openResponseFile(path("responses.parquet"), { blockFeatures: 0 })).rejects.toThrow(/blockFeatures must be a whole number of at least 1, not .0. \(openResponseFile\(\)\)/);
    await expect(openResponseFile(path("responses.parquet"), { block: 10 } as object)).rejects.toThrow(/Unknown option 'block' of openResponseFile\(\). Did you mean 'blockFeatures'\?/);
  });
});
