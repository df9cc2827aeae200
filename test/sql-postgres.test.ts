// The statistics query on a real PostgreSQL (issue 15, part 2): a throwaway
// cluster of Debian's PostgreSQL (the newest version installed) started in a temporary directory on
// 127.0.0.1 and a free port, a reference data set loaded with COPY, the
// postgres-dialect query that lmm sql prints run by psql, and the fit from its
// result compared with the fit through DuckDB. Skipped, with the reason
// printed, only where the cluster cannot start.
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ProfiledDeviance } from "../src/model/deviance.js";
import { DuckDB, fileTable } from "../src/sql/duckdb.js";
import { fileStatistics, fitFile, fitStatisticsFile, statisticsQueryFor } from "../src/sql/routes.js";
import { dataPath, MODEL_CASES } from "./reference-cases.js";

/** Debian's server binaries, /usr/lib/postgresql/<version>/bin: the newest version installed. */
const BIN = (() => {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return join(root, versions[0] ?? "<none>", "bin");
})();

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Cluster {
  port: number;
  dir: string;
  stop(): void;
}

/** Start a cluster (as the postgres user when running as root: initdb refuses root), or say why not. */
async function startCluster(): Promise<Cluster | string> {
  if (!existsSync(join(BIN, "initdb"))) return `no PostgreSQL binaries at ${BIN}`;
  if (spawnSync("psql", ["--version"]).status !== 0) return "no psql client";
  const dir = mkdtempSync(join(tmpdir(), "lmm-pg-"));
  const root = userInfo().uid === 0;
  const as = (cmd: string, args: string[]) => (root ? spawnSync("runuser", ["-u", "postgres", "--", cmd, ...args], { encoding: "utf8" }) : spawnSync(cmd, args, { encoding: "utf8" }));
  if (root) {
    const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    if (id.status !== 0) return "running as root and there is no postgres user to run the cluster as";
    const uid = Number(id.stdout.trim());
    chownSync(dir, uid, Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim()));
  }
  const data = join(dir, "data");
  const init = as(join(BIN, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres"]);
  if (init.status !== 0) return `initdb failed: ${init.stderr.trim().split("\n").pop()}`;
  const port = await freePort();
  const start = as(join(BIN, "pg_ctl"), ["-D", data, "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, "-l", join(dir, "log"), "-w", "start"]);
  if (start.status !== 0) return `pg_ctl start failed: ${start.stderr.trim() || start.stdout.trim()}`;
  return {
    port,
    dir,
    stop: () => {
      as(join(BIN, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const cluster = await startCluster();
if (typeof cluster === "string") console.warn(`PostgreSQL tests skipped: ${cluster}`);
afterAll(() => {
  if (typeof cluster !== "string") cluster.stop();
});

/** psql on the cluster: a command's output (CSV with a header for --csv). */
function psql(port: number, args: string[]): string {
  return execFileSync("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-X", "-q", ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
}

const CASES = ["orthodont_agesex_reml", "pastes_nested_reml", "penicillin_crossed_reml", "machines_slope_reml", "sleepstudy_missing_reml", "bodyweight_timediet_reml"];
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

describe.skipIf(typeof cluster === "string")("the postgres-dialect statistics query on PostgreSQL", () => {
  for (const id of CASES) {
    const c = MODEL_CASES.find((m) => m.id === id)!;
    it(`${id}: ${c.formula}`, async () => {
      const { port, dir } = cluster as Cluster;
      const csv = dataPath(c);
      const table = `t_${id}`;
      // The table's columns typed as DuckDB reads the file; loaded with COPY.
      const db = await DuckDB.open();
      const columns = await db.describe(fileTable(csv)).finally(() => db.close());
      const ddl = columns.map((col) => `"${col.name}" ${col.kind === "numeric" ? "double precision" : "text"}`).join(", ");
      psql(port, ["-c", `CREATE TABLE ${table} (${ddl})`]);
      psql(port, ["-c", `\\copy ${table} FROM '${csv}' WITH (FORMAT csv, HEADER true, NULL 'NA')`]);
      const query = await statisticsQueryFor(c.formula, table, "postgres", { data: csv });
      const stats = join(dir, `${id}.csv`);
      writeFileSync(stats, psql(port, ["--csv", "-c", query]));

      const fromPostgres = await fitStatisticsFile(stats, c.formula, { data: csv }, { REML: c.REML });
      const throughDuckdb = await fitFile(csv, c.formula, { REML: c.REML });
      // The statistics: the same deviance at the reference theta and beside it.
      const duck = await ProfiledDeviance.fromSource((await fileStatistics(csv, c.formula)).statistics.source, c.REML);
      for (const scale of [1, 0.6]) {
        const theta = Float64Array.from(c.theta, (t) => t * scale);
        expect(rel(fromPostgres.deviance.evaluate(theta), duck.evaluate(theta))).toBeLessThan(1e-12);
      }
      // The fits: the same optimum. The engines sum in different orders, so
      // the statistics differ in their last bits, and the optimiser's path
      // (through the working basis on orthodont) stops within its own precision
      // of the optimum: theta and the fixed effects agree to 1e-6 (relative)
      // where the objective agrees to 1e-9.
      expect(rel(fromPostgres.objective, throughDuckdb.objective)).toBeLessThan(1e-9);
      fromPostgres.theta.forEach((t, k) => expect(rel(t, throughDuckdb.theta[k])).toBeLessThan(1e-6));
      for (const name of fromPostgres.coefNames) expect(rel(fromPostgres.fixef[name], throughDuckdb.fixef[name])).toBeLessThan(1e-6);
      expect(fromPostgres.droppedRows).toBe(c.dropped_rows ?? 0);
      expect(fromPostgres.nobs).toBe(c.nobs);
    });
  }
});
