// The Parquet rows of `npm run bench -- batch` (issue 15, part 4): a seeded
// omics study of F features x S samples written as Parquet by DuckDB itself,
// then timed three ways: reading it (every block streamed into one matrix),
// the fits alone (fitMany on that matrix in memory), and the whole command
// (`lmm batch samples.csv responses.parquet`, its wall time and peak RSS by
// GNU time). The target: whole / fits <= 1.3, reading never dominating.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openResponseFile } from "../src/batch/response-file.js";
import { fitMany, type ResponseMatrix } from "../src/index.js";
import { DuckDB } from "../src/sql/duckdb.js";
import { OMICS_FORMULA } from "./omics.js";
import { median } from "./rscript.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const VISITS = 4;
/** Features per Parquet row group: DuckDB holds a row group while it reads it, so a wide matrix is written in small ones. */
const ROW_GROUP = 4096;

/** A study's size: features x samples (samples a multiple of 4 visits). */
export interface ParquetSize {
  features: number;
  samples: number;
}

/** "20000x200" as a size. */
export function parseSize(spec: string): ParquetSize {
  const m = /^(\d+)x(\d+)$/.exec(spec.trim());
  const size = m && { features: Number(m[1]), samples: Number(m[2]) };
  if (!size || size.features < 1 || size.samples < 2 * VISITS || size.samples % (2 * VISITS) !== 0) {
    throw new Error(`--parquet takes FEATURESxSAMPLES with samples a multiple of ${2 * VISITS} (e.g. 20000x200), not ${spec}`);
  }
  return size;
}

const sampleId = (i: number) => `S${String(i + 1).padStart(5, "0")}`;

/**
 * The study as a DuckDB COPY: uniforms from hashes of (feature, stream)
 * (deterministic whatever DuckDB's threads), normals by Box-Muller. As
 * bench/omics.ts: per feature its own intercept, time slope, a group effect
 * and time:group interaction for a tenth of features, subject SD and residual
 * SD; subjects in two groups, 4 visits each (time 0-3).
 */
function studySql({ features, samples }: ParquetSize, file: string): string {
  const u = (stream: string) => `((hash(f, ${stream}) % 1000000007)::DOUBLE + 0.5) / 1000000007`;
  const normal = (stream: number) => `sqrt(-2 * ln(${u(`${2 * stream}`)})) * cos(2 * pi() * ${u(`${2 * stream + 1}`)})`;
  const subjects = samples / VISITS;
  const cells = Array.from({ length: samples }, (_, i) => {
    const subject = Math.floor(i / VISITS);
    const t = i % VISITS;
    const g = subject < subjects / 2 ? 0 : 1;
    return `b0 + bt * ${t} + bg * ${g} + bi * ${t * g} + su * ${normal(100 + subject)} + sig * ${normal(1_000_000 + i)} AS ${sampleId(i)}`;
  });
  return `COPY (
  WITH params AS (
    SELECT f, 5 + 2 * ${u("0")} AS b0, 0.3 * ${normal(1)} AS bt,
           CASE WHEN ${u("4")} < 0.1 THEN 0.8 * ${normal(3)} ELSE 0 END AS bg,
           CASE WHEN ${u("5")} < 0.1 THEN 0.5 * ${normal(4)} ELSE 0 END AS bi,
           0.2 + ${u("10")} AS su, 0.3 + 0.7 * ${u("11")} AS sig
    FROM range(${features}) t(f)
  )
  SELECT printf('feat%07d', f + 1) AS feature, ${cells.join(",\n    ")}
  FROM params ORDER BY f
) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE ${ROW_GROUP})`;
}

/** The sample table: subject, time and group of each sample. */
function sampleTable(samples: number) {
  const subjects = samples / VISITS;
  const table = { sample: [] as string[], id: [] as string[], time: [] as number[], group: [] as string[] };
  for (let i = 0; i < samples; i++) {
    const subject = Math.floor(i / VISITS);
    table.sample.push(sampleId(i));
    table.id.push(`id${String(subject + 1).padStart(4, "0")}`);
    table.time.push(i % VISITS);
    table.group.push(subject < subjects / 2 ? "A" : "B");
  }
  return table;
}

function writeSamples(table: ReturnType<typeof sampleTable>, file: string): void {
  const lines = ["sample,id,time,group", ...table.sample.map((s, i) => `${s},${table.id[i]},${table.time[i]},${table.group[i]}`)];
  writeFileSync(file, lines.join("\n") + "\n");
}

/**
 * The study in `dir`: responses.parquet (written by DuckDB), samples.csv, and
 * for small sizes responses.csv for the in-memory route beside it (its text is
 * ~13 bytes a value).
 */
export async function writeStudy(size: ParquetSize, dir: string) {
  const parquet = path.join(dir, "responses.parquet");
  const samples = path.join(dir, "samples.csv");
  const db = await DuckDB.open();
  try {
    const t0 = performance.now();
    await db.rows(studySql(size, parquet));
    console.error(`  (${size.features} x ${size.samples}: Parquet written by DuckDB in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const csv = size.features * size.samples <= 10_000_000 ? path.join(dir, "responses.csv") : undefined;
    if (csv) await db.rows(`COPY (SELECT * FROM read_parquet('${parquet}')) TO '${csv}' (HEADER)`);
    const table = sampleTable(size.samples);
    writeSamples(table, samples);
    return { parquet, samples, csv, table };
  } finally {
    db.close();
  }
}

/** Every block of the file streamed into one matrix (the read alone), and how long it took. */
async function readWhole(file: string): Promise<{ matrix: ResponseMatrix; seconds: number }> {
  const t0 = performance.now();
  const source = await openResponseFile(file);
  try {
    const S = source.samples.length;
    const values = new Float64Array(source.featureCount * S);
    const features: string[] = [];
    for await (const block of source.blocks(Int32Array.from(source.samples.keys()))) {
      values.set(block.values, features.length * S);
      features.push(...block.features);
    }
    return { matrix: { features, samples: source.samples, values }, seconds: (performance.now() - t0) / 1000 };
  } finally {
    source.close();
  }
}

/** `lmm batch ARGS`: wall time (s), CPU time (s, all threads) and peak RSS (MB) by GNU time. */
function timedBatch(args: string[]): { seconds: number; cpu: number; rssMB: number } {
  const r = spawnSync("/usr/bin/time", ["-f", "@@%e %U %S %M", process.execPath, path.join(ROOT, "bin", "lmm.js"), "batch", ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`lmm batch ${args.join(" ")} failed: ${r.stderr}`);
  const [seconds, user, system, kb] = r.stderr.split("@@").pop()!.trim().split(" ").map(Number);
  return { seconds, cpu: user + system, rssMB: kb / 1024 };
}

/**
 * The Parquet rows: one per size, medians over `reps` runs of each measure.
 * The ratios are medians of each run's whole / fits (the two timed back to
 * back), by wall time and by CPU time (every thread of the process): on a
 * machine shared with other work, the CPU ratio is the steadier.
 */
export async function runParquetRows(sizes: ParquetSize[], threads: number, reps: number): Promise<void> {
  console.log(`\n## batch from Parquet (row groups of ${ROW_GROUP} features, read by DuckDB in blocks of 2048), ${OMICS_FORMULA}, ${threads} threads, medians of ${reps}`);
  console.log("| features x samples | Parquet (MB) | read (s) | fits (s) | whole command (s) | whole / fits | CPU whole / fits | peak RSS (MB) | CSV command (s) |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const size of sizes) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lmm-batch-parquet-bench-"));
    try {
      const { parquet, samples, csv, table } = await writeStudy(size, dir);
      const reads: number[] = [];
      const fits: number[] = [];
      const whole: number[] = [];
      const fitsCpu: number[] = [];
      const wholeCpu: number[] = [];
      const viaCsv: number[] = [];
      let rss = 0;
      const args = (responses: string) => [samples, responses, OMICS_FORMULA, "--threads", String(threads), "--out", path.join(dir, "results.csv")];
      for (let r = 0; r < reps; r++) {
        const read = await readWhole(parquet);
        reads.push(read.seconds);
        const t1 = performance.now();
        const cpu1 = process.cpuUsage();
        await fitMany(OMICS_FORMULA, table, read.matrix, { threads });
        fits.push((performance.now() - t1) / 1000);
        const cpu = process.cpuUsage(cpu1);
        fitsCpu.push((cpu.user + cpu.system) / 1e6);
        const w = timedBatch(args(parquet));
        whole.push(w.seconds);
        wholeCpu.push(w.cpu);
        rss = Math.max(rss, w.rssMB);
        if (csv) viaCsv.push(timedBatch(args(csv)).seconds);
        console.error(`  run ${r + 1}/${reps}: read ${reads[r].toFixed(2)} s, fits ${fits[r].toFixed(2)} s, whole ${whole[r].toFixed(2)} s (CPU: fits ${fitsCpu[r].toFixed(1)} s, whole ${wholeCpu[r].toFixed(1)} s)${csv ? `, CSV ${viaCsv[r].toFixed(2)} s` : ""}`);
      }
      const mb = statSync(parquet).size / 2 ** 20;
      console.log(
        `| ${size.features} x ${size.samples} | ${mb.toFixed(0)} | ${median(reads).toFixed(2)} | ${median(fits).toFixed(2)} | ${median(whole).toFixed(2)} | ` +
          `${median(whole.map((w, r) => w / fits[r])).toFixed(2)} | ${median(wholeCpu.map((w, r) => w / fitsCpu[r])).toFixed(2)} | ${rss.toFixed(0)} | ${csv ? median(viaCsv).toFixed(2) : "-"} |`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
