// Exact quantiles by selection (src/sql/quantiles.ts): equal to DuckDB's own
// exact quantile_cont (R's type 7) on values of unit spread, values far outside
// the first histogram's range, ties, a constant, one or two values; with the
// sample holding every value, with a guess from a small sample, with a guess
// from the first rows of sorted values (it misses: selection), and with
// windows forced to be binned again by a small fetch limit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDB } from "../src/sql/duckdb.js";
import { dialect } from "../src/sql/dialect.js";
import { exactQuantiles, type SelectionOptions } from "../src/sql/quantiles.js";

const DUCKDB = dialect("duckdb");
const PROBS = [0.25, 0.5, 0.75];
let db: DuckDB;
beforeAll(async () => (db = await DuckDB.open()));
afterAll(() => db.close());

/** Pseudo-random uniform in (0, 1) from a row number, as the benches' generators do. */
const uniform = (stream: number) => `((hash(i, ${stream}) % 1000003)::DOUBLE + 0.5) / 1000003`;

const CASES: Record<string, string> = {
  "unit spread": `SELECT sqrt(-2 * ln(${uniform(1)})) * cos(2 * pi() * ${uniform(2)}) AS r FROM range(200000) t(i)`,
  "far outside the first range": `SELECT 1e6 * (${uniform(3)} - 0.3) AS r FROM range(50000) t(i)`,
  "ties": `SELECT floor(10 * ${uniform(4)}) / 4 AS r FROM range(30001) t(i)`,
  "a constant": `SELECT 2.5::DOUBLE AS r FROM range(1000) t(i)`,
  "one value": `SELECT -3.25::DOUBLE AS r`,
  "two values": `SELECT CASE WHEN i = 0 THEN 1.0 ELSE -7.0 END AS r FROM range(2) t(i)`,
  "clustered, tails far": `SELECT CASE WHEN i % 97 = 0 THEN 1e9 * ${uniform(5)} ELSE 0.5 + 1e-12 * ${uniform(6)} END AS r FROM range(40000) t(i)`,
  "sorted": `SELECT i / 1000.0 AS r FROM range(20000) t(i) ORDER BY i`,
};

const SELECTIONS: Record<string, SelectionOptions> = {
  "every value in the sample": {},
  "guessed from 500 rows": { sampleRows: 500 },
  "guessed from 500 rows, fetch limit 50": { sampleRows: 500, fetchLimit: 50 },
  "selection only": { sampleRows: 1, fetchLimit: 50 },
};

describe("exact quantiles by selection", () => {
  for (const [name, values] of Object.entries(CASES)) {
    for (const [how, options] of Object.entries(SELECTIONS)) {
      it(`${name}: ${how}`, async () => {
        const [expected] = await db.rows(`SELECT count(*) AS n, min(r) AS lo, max(r) AS hi, quantile_cont(r, [${PROBS.join(", ")}]) AS q FROM (${values})`);
        const got = await exactQuantiles((sql) => db.rows(sql), values, PROBS, DUCKDB.number, options);
        expect(got.n).toBe(Number(expected.n));
        expect(got.min).toBe(expected.lo);
        expect(got.max).toBe(expected.hi);
        (expected.q as number[]).forEach((q, k) => expect(Math.abs(got.quantiles[k] - q)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(q))));
      });
    }
  }
});
