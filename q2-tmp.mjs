import { DuckDB } from "./dist/src/sql/duckdb.js";
import { fitFile } from "./dist/src/sql/routes.js";
// build the modes table once via a fit
const db0 = DuckDB.prototype;
const orig = db0.run; let self;
db0.run = async function (sql) { self = this; return orig.call(this, sql); };
const origClose = db0.close; db0.close = function () {};
await fitFile(process.argv[2], "y ~ time * group + (time | id)", {});
const src = (await import("node:fs")).readFileSync("/tmp/big/values.sql", "utf8").trim().replace(/^SELECT r FROM \(/, "").replace(/\) AS lmm_values$/, "");
const w = "r BETWEEN -0.6679687354706377 AND -0.66406252004108 OR r BETWEEN 2.1e-7 AND 0.0039062 OR r BETWEEN 0.66796934 AND 0.6718745";
const qs = {
  orfilter: `SELECT r FROM (${src}) v WHERE ${w}`,
  aggfilter: `SELECT list(r) FILTER (WHERE ${w}) AS l FROM (${src}) v`,
  quant: `SELECT quantile_cont(r, [0,0.25,0.5,0.75,1]) FROM (${src}) v`,
  minmax: `SELECT min(r), max(r) FROM (${src}) v`,
  hist: `SELECT least(4095, floor((r + 8) * 256)) AS bin, count(*), min(r), max(r) FROM (${src}) v GROUP BY bin`,
};
for (const k of process.argv.slice(3)) { const t = performance.now(); await orig.call(self, qs[k]); console.log(k, ((performance.now()-t)/1000).toFixed(2)); }
