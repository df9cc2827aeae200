// `node dist/bench/sql-cohort.js [--subjects N] [--visits V]` (issue 15, part
// 5; the issue's size is --subjects 1000000 --visits 100, 10^8 rows): a seeded
// cohort of N subjects x V visits in 3 groups, written as Parquet by DuckDB
// itself, fitted with `y ~ time * group + (time | id)` through DuckDB (lmm fit
// cohort.parquet); beside it a subset of at most 10^7 rows (the first
// subjects) as CSV, fitted through DuckDB (--engine duckdb) and in memory.
// Each whole command's wall time and peak RSS (GNU time), and the REML criteria.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDB } from "../src/sql/duckdb.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const FORMULA = "y ~ time * group + (time | id)";

function argument(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 2) throw new Error(`${name} needs a whole number of at least 2`);
  return v;
}

/**
 * The cohort, generated in SQL: uniform numbers from hashes of (subject,
 * visit, stream) (deterministic whatever DuckDB's threads), normals by
 * Box-Muller. Subject i has a random intercept (sd 2) and slope (sd 0.3,
 * correlation 0.3), groups shift the slope; residual sd 1.
 */
function cohortSql(subjects: number, visits: number, file: string, format: "parquet" | "csv"): string {
  const u = (stream: string, a: string, b: string) => `((hash(${a}, ${b}, ${stream}) % 1000000007)::DOUBLE + 0.5) / 1000000007`;
  const normal = (stream: number, a: string, b: string) => `sqrt(-2 * ln(${u(`${2 * stream}`, a, b)})) * cos(2 * pi() * ${u(`${2 * stream + 1}`, a, b)})`;
  return `COPY (
  WITH subjects AS (
    SELECT s AS id, ['A', 'B', 'C'][1 + s % 3] AS "group", ${normal(0, "s", "0")} AS e0, ${normal(1, "s", "0")} AS e1 FROM range(${subjects}) t(s)
  )
  SELECT id, "group", v::DOUBLE AS time,
         10 + 2 * e0 + (0.5 + CASE "group" WHEN 'B' THEN 0.2 WHEN 'C' THEN -0.1 ELSE 0 END + 0.3 * (0.3 * e0 + sqrt(1 - 0.09) * e1)) * v
           + ${normal(2, "id", "v")} AS y
  FROM subjects, range(${visits}) w(v)
) TO '${file}' (FORMAT ${format}${format === "csv" ? ", HEADER" : ""})`;
}

/** A command's wall time (s), peak RSS (MB) and output, by GNU time. */
function timed(args: string[]): { seconds: number; rssMB: number; out: string } {
  const r = spawnSync("/usr/bin/time", ["-f", "@@%e %M", process.execPath, path.join(ROOT, "bin", "lmm.js"), ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`lmm ${args.join(" ")} failed: ${r.stderr}`);
  const [seconds, kb] = r.stderr.split("@@").pop()!.trim().split(" ").map(Number);
  return { seconds, rssMB: kb / 1024, out: r.stdout };
}

const reml = (summary: string) => summary.match(/REML criterion at convergence: (\S+)/)?.[1];

const subjects = argument("--subjects", 10_000);
const visits = argument("--visits", 100);
/** The in-memory fit's subset: rows this machine's memory holds with room (the issue: 10^7). */
const SUBSET_ROWS = 10_000_000;
const subsetSubjects = Math.min(subjects, Math.max(2, Math.floor(SUBSET_ROWS / visits)));
const dir = mkdtempSync(path.join(os.tmpdir(), "lmm-sql-bench-"));
try {
  const parquet = path.join(dir, "cohort.parquet");
  const csv = path.join(dir, "subset.csv");
  const db = await DuckDB.open();
  const t0 = performance.now();
  await db.rows(cohortSql(subjects, visits, parquet, "parquet"));
  const written = (performance.now() - t0) / 1000;
  // The same seeds: the subset's rows are the cohort's first subjects' rows.
  await db.rows(cohortSql(subsetSubjects, visits, csv, "csv"));
  db.close();
  const rows = (n: number) => (n * visits).toLocaleString("en");
  const runs = [
    { route: `lmm fit cohort.parquet: ${rows(subjects)} rows (DuckDB statistics)`, run: () => timed(["fit", parquet, FORMULA]) },
    { route: `lmm fit subset.csv --engine duckdb: ${rows(subsetSubjects)} rows`, run: () => timed(["fit", csv, FORMULA, "--engine", "duckdb"]) },
    { route: `lmm fit subset.csv: ${rows(subsetSubjects)} rows in memory`, run: () => timed(["fit", csv, FORMULA]) },
  ];
  console.log(`cohort: ${rows(subjects)} rows (${subjects} subjects x ${visits} visits, 3 groups), Parquet written by DuckDB in ${written.toFixed(1)} s; ${FORMULA}`);
  console.log(`| route | wall time (s) | peak RSS (MB) | REML criterion |`);
  console.log(`| --- | --- | --- | --- |`);
  for (const { route, run } of runs) {
    const r = run();
    console.log(`| ${route} | ${r.seconds.toFixed(1)} | ${r.rssMB.toFixed(0)} | ${reml(r.out)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
