// Benchmark harness: `npm run bench -- [--only a,b] [--reps N] [--vs-lme4] [--micro]`
// (`npm run bench -- batch ...` and `npm run bench -- residual ...` for their own benches).
//
// Each workload runs in a child Node process of its own (so peak RSS is per
// workload and one workload's heap cannot slow the next): the data is loaded or
// generated first, then the `lmer()` call alone is timed over several
// repetitions (after warm-up for the small ones), then one more fit is split
// into its stages. With --vs-lme4, lme4's lmer() is timed on the same data in
// the same run (Rscript; only the lmer call is timed) and the ratio
// lme4 / ours is reported. Workloads run one after the other, never together.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { COHORT_FORMULA, generateCohort, writeCohortCSV } from "./cohort.js";
import { generateKb07, KB07_MAXIMAL, KB07_ZEROCORR, toCSV } from "./kb07.js";
import { runMicro } from "./micro.js";
import { runBatchBench } from "./batch.js";
import { runResidualBench } from "./residual.js";
import { median, runTaggedRscript } from "./rscript.js";
import { runStages, type StageTimings } from "./stages.js";
import { lmer, readCSV, type DataInput } from "../src/index.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Repository root (dist/bench/run.js -> ../..). */
export const ROOT = path.resolve(HERE, "..", "..");
const DATA_DIR = path.join(ROOT, "test", "reference", "data");
const RESULT_TAG = "@@RESULT ";

// ---------------------------------------------------------------------------
// Workloads

export interface Loaded {
  data: DataInput;
  /** CSV for lme4: an existing file, or a writer (called after our timing). */
  csv: string | ((file: string) => Promise<void>);
}

export interface Workload {
  name: string;
  formula: string;
  REML: boolean;
  reps: number;
  warmup: number;
  /** Repetitions for lme4 (at most ours). */
  lme4Reps: number;
  lme4Warmup: number;
  /**
   * Force a GC (ours: global.gc, R: gc()) before each timed fit, outside the timing.
   * Right for big fits (the previous fit's garbage is not billed to the next); wrong
   * for tiny ones: a full GC before a ~0.5 ms fit makes that fit ~4x slower in V8.
   */
  gcEachRep: boolean;
  /** Published timings of other software for orientation (printed as is). */
  published?: string;
  load(): Promise<Loaded>;
}

const cohort = (subjects: number) => async (): Promise<Loaded> => {
  const c = generateCohort({ subjects, seed: 12345 });
  return { data: c, csv: (file) => writeCohortCSV(file, c) };
};

/** kb07-like data (bench/kb07.ts), seed 1: the same rows as test/reference-kb07/data/kb07-seed1.csv. */
const kb07 = async (): Promise<Loaded> => {
  const d = generateKb07(1);
  return { data: { ...d }, csv: (file) => writeFile(file, toCSV({ ...d })) };
};

export const WORKLOADS: Workload[] = [
  {
    name: "sleepstudy",
    formula: "Reaction ~ Days + (Days | Subject)",
    REML: true,
    reps: 200,
    warmup: 30,
    lme4Reps: 200,
    lme4Warmup: 10,
    gcEachRep: false,
    load: async () => ({ data: await readCSV(path.join(DATA_DIR, "sleepstudy.csv")), csv: path.join(DATA_DIR, "sleepstudy.csv") }),
  },
  { name: "cohort10k", formula: COHORT_FORMULA, REML: true, reps: 10, warmup: 2, lme4Reps: 10, lme4Warmup: 1, gcEachRep: true, load: cohort(10_000) },
  { name: "cohort100k", formula: COHORT_FORMULA, REML: true, reps: 3, warmup: 0, lme4Reps: 1, lme4Warmup: 0, gcEachRep: true, load: cohort(100_000) },
  {
    name: "insteval",
    formula: "y ~ service + (1 | s) + (1 | d) + (1 | dept)",
    REML: true,
    reps: 2,
    warmup: 0,
    lme4Reps: 1,
    lme4Warmup: 0,
    gcEachRep: true,
    load: async () => ({ data: await readCSV(path.join(DATA_DIR, "insteval.csv")), csv: path.join(DATA_DIR, "insteval.csv") }),
  },
  // Maximal crossed model of a psycholinguistic experiment (20 theta; issue #10).
  {
    name: "kb07",
    formula: KB07_MAXIMAL,
    REML: false,
    reps: 3,
    // V8 is still tiering the kernels and the planner up over the first two
    // fits of a process (the second ~1.7x the steady time): both warm up.
    warmup: 2,
    lme4Reps: 3,
    lme4Warmup: 0,
    gcEachRep: true,
    published: "MixedModels.jl on the real kb07 (1789 rows, same model, ML): 3.49 s (2018, 4 cores; published benchmark)",
    load: kb07,
  },
  {
    name: "kb07-zerocorr",
    formula: KB07_ZEROCORR,
    REML: false,
    reps: 5,
    warmup: 2,
    lme4Reps: 3,
    lme4Warmup: 0,
    gcEachRep: true,
    published: "MixedModels.jl on the real kb07 (1789 rows, same model, ML): 0.49 s (2018, 4 cores; published benchmark)",
    load: kb07,
  },
];

// ---------------------------------------------------------------------------
// Small helpers

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 100) return `${ms.toFixed(2)} ms`;
  if (ms < 10_000) return `${ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

const fmtMB = (kb: number | undefined) => (kb === undefined ? "–" : `${(kb / 1024).toFixed(0)} MB`);

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

interface Args {
  only?: string[];
  reps?: number;
  vsLme4: boolean;
  micro: boolean;
  stages: boolean;
  threads: boolean;
  profile: boolean;
  child?: string;
  csv?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { vsLme4: false, micro: false, stages: true, threads: true, profile: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const key = arg.split("=")[0];
    if (key === "--only") a.only = value().split(",").map((s) => s.trim()).filter(Boolean);
    else if (key === "--reps") a.reps = Math.max(1, parseInt(value(), 10));
    else if (key === "--vs-lme4") a.vsLme4 = true;
    else if (key === "--micro") a.micro = true;
    else if (key === "--no-stages") a.stages = false;
    else if (key === "--no-threads") a.threads = false;
    else if (key === "--profile") a.profile = true;
    else if (key === "--child") a.child = value();
    else if (key === "--csv") a.csv = value();
    else if (key === "--help" || key === "-h") {
      console.log(`usage: npm run bench -- [options]      (or: npm run bench -- batch [--vs-lme4] [--features N] [--threads N] [--parquet FxS[,FxS]] [--parquet-only])
  --only NAME[,NAME]  workloads: ${WORKLOADS.map((w) => w.name).join(", ")}
  --reps N            repetitions of our fit (lme4: min(N, its default))
  --vs-lme4           also time lme4::lmer on the same data (Rscript)
  --micro             kernel micro-benchmarks (benchmark.js): dev.evaluate(theta)
  --no-stages         skip the per-stage timing fit
  --no-threads        fit on one thread (lmer's threads: false; no worker for large fits)
  --profile           run each workload's child under node --cpu-prof (profiles in a temp dir)`);
      process.exit(0);
    } else throw new Error(`unknown option ${arg} (try --help)`);
  }
  return a;
}

// ---------------------------------------------------------------------------
// Child: one workload, our side

export interface OursResult {
  name: string;
  rows: number;
  reps: number;
  warmup: number;
  times: number[];
  median: number;
  min: number;
  evaluations: number;
  iterations: number;
  converged: boolean;
  objective: number;
  fixef: Record<string, number>;
  /** RSS with the data loaded, before any fit (KB). */
  rssBefore: number;
  /** Peak RSS of the process up to the end of the timed fits (KB). */
  maxRSS: number;
  stages?: StageTimings;
  csv?: string;
}

async function child(args: Args): Promise<void> {
  const w = WORKLOADS.find((x) => x.name === args.child);
  if (!w) throw new Error(`unknown workload ${args.child}`);
  const reps = args.reps ?? w.reps;
  const warmup = args.reps !== undefined ? Math.min(w.warmup, args.reps) : w.warmup;
  const tLoad = performance.now();
  const loaded = await w.load();
  console.log(`  data ready in ${fmtMs(performance.now() - tLoad)}; ${warmup} warm-up + ${reps} timed fits`);
  gc();
  const rssBefore = process.memoryUsage().rss / 1024;
  for (let i = 0; i < warmup; i++) await lmer(w.formula, loaded.data, { REML: w.REML, threads: args.threads });
  const times: number[] = [];
  let m = null as Awaited<ReturnType<typeof lmer>> | null;
  for (let i = 0; i < reps; i++) {
    m = null;
    if (w.gcEachRep) gc();
    const t0 = performance.now();
    m = await lmer(w.formula, loaded.data, { REML: w.REML, threads: args.threads });
    times.push(performance.now() - t0);
    if (reps <= 10) console.log(`  fit ${i + 1}/${reps}: ${fmtMs(times[i])}`);
  }
  const maxRSS = process.resourceUsage().maxRSS;
  const fit = m!;
  const res: OursResult = {
    name: w.name,
    rows: fit.nobs,
    reps,
    warmup,
    times,
    median: median(times),
    min: Math.min(...times),
    evaluations: fit.convergence.evaluations,
    iterations: fit.convergence.iterations,
    converged: fit.convergence.converged,
    objective: fit.objective,
    fixef: fit.fixef,
    rssBefore,
    maxRSS,
  };
  m = null;
  if (args.stages) {
    gc();
    res.stages = await runStages(w.formula, loaded.data, w.REML);
  }
  if (args.csv) {
    if (typeof loaded.csv === "string") res.csv = loaded.csv;
    else {
      await loaded.csv(args.csv);
      res.csv = args.csv;
    }
  }
  console.log(RESULT_TAG + JSON.stringify(res));
}

function runChild(name: string, args: Args, csv: string | undefined, profDir: string | undefined): Promise<OursResult> {
  const script = fileURLToPath(import.meta.url);
  const nodeArgs = ["--expose-gc", "--max-old-space-size=8192"];
  if (profDir) nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${name}.cpuprofile`);
  const childArgs = ["--child", name];
  if (args.reps !== undefined) childArgs.push("--reps", String(args.reps));
  if (!args.stages) childArgs.push("--no-stages");
  if (!args.threads) childArgs.push("--no-threads");
  if (csv) childArgs.push("--csv", csv);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...nodeArgs, script, ...childArgs], { stdio: ["ignore", "pipe", "inherit"] });
    let result: OursResult | undefined;
    createInterface({ input: p.stdout! }).on("line", (line) => {
      if (line.startsWith(RESULT_TAG)) result = JSON.parse(line.slice(RESULT_TAG.length));
      else console.log(line);
    });
    p.on("error", reject);
    p.on("close", (code) => (result ? resolve(result) : reject(new Error(`workload ${name} failed (exit code ${code})`))));
  });
}

// ---------------------------------------------------------------------------
// lme4 via Rscript

const R_SCRIPT = String.raw`
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
csv <- args[1]; form <- as.formula(args[2]); reml <- as.logical(args[3])
reps <- as.integer(args[4]); warm <- as.integer(args[5]); gc_each <- as.logical(args[6])
d <- read.csv(csv)
for (i in seq_len(warm)) fit <- lmer(form, data = d, REML = reml)
times <- numeric(reps)
for (i in seq_len(reps)) {
  fit <- NULL; if (gc_each) invisible(gc())
  # Wall clock like proc.time()[["elapsed"]], but with microseconds (proc.time has 1 ms steps).
  t0 <- Sys.time()
  fit <- lmer(form, data = d, REML = reml)
  times[i] <- as.numeric(difftime(Sys.time(), t0, units = "secs")) * 1000
}
hwm <- tryCatch({
  st <- readLines("/proc/self/status")
  as.numeric(gsub("[^0-9]", "", st[grepl("^VmHWM", st)]))
}, error = function(e) NA)
fe <- fixef(fit)
num <- function(x) if (is.na(x)) "null" else sprintf("%.17g", x)
obj <- if (reml) REMLcrit(fit) else deviance(fit)
cat(sprintf('@@LME4 {"median": %s, "times": [%s], "evaluations": %s, "objective": %s, "maxRSS": %s, "lme4": "%s", "R": "%s", "fixef": {%s}}\n',
  num(median(times)), paste(sprintf("%.3f", times), collapse = ","), num(fit@optinfo$feval), num(obj), num(hwm),
  as.character(packageVersion("lme4")), paste(R.version$major, R.version$minor, sep = "."),
  paste(sprintf('"%s": %s', names(fe), sapply(fe, num)), collapse = ", ")))
`;

interface Lme4Result {
  median: number;
  times: number[];
  evaluations: number;
  objective: number;
  maxRSS: number | null;
  lme4: string;
  R: string;
  fixef: Record<string, number>;
}

function lme4Available(): { ok: boolean; why?: string } {
  const r = spawnSync("Rscript", ["-e", 'suppressPackageStartupMessages(library(lme4)); cat(as.character(packageVersion("lme4")))'], {
    encoding: "utf8",
  });
  if (r.error) return { ok: false, why: `Rscript not found (${(r.error as NodeJS.ErrnoException).code})` };
  if (r.status !== 0) return { ok: false, why: `lme4 is not installed for R (${r.stderr.trim().split("\n").pop()})` };
  return { ok: true };
}

function runLme4(scriptFile: string, csv: string, w: Workload, reps: number, warmup: number): Promise<Lme4Result> {
  const args = [csv, w.formula, w.REML ? "TRUE" : "FALSE", String(reps), String(warmup), w.gcEachRep ? "TRUE" : "FALSE"];
  return runTaggedRscript<Lme4Result>(scriptFile, args);
}

// ---------------------------------------------------------------------------
// Parent

interface Row {
  w: Workload;
  ours?: OursResult;
  lme4?: Lme4Result;
  error?: string;
}

function printStages(s: StageTimings): void {
  const parts = [
    `toDataFrame ${fmtMs(s.toDataFrame)}`,
    `buildDesign ${fmtMs(s.buildDesign)}`,
    `layout ${fmtMs(s.layout)}`,
    `create (layout+moveIn+accumulate) ${fmtMs(s.create)}`,
    `accumulate kernel alone ${fmtMs(s.accumulate)}`,
    `optimisation ${fmtMs(s.optimize)} (${s.evaluations} evals, ${fmtMs(s.perEvaluation)}/eval)`,
    `LmerModel ${fmtMs(s.model)}`,
    `total ${fmtMs(s.total)}`,
  ];
  console.log(`  stages: ${parts.join("; ")}`);
  const z = s.sizes;
  console.log(
    `  layout: n ${z.n}, units ${z.nUnits} (${z.nBlockTerms} block-diagonal term(s)), dense tail ${z.mt} (${z.nd} crossed), ` +
      `A ${z.aSizeMB.toFixed(1)} MB, row data: columns ${z.colsMB.toFixed(1)} MB, targets ${z.intsMB.toFixed(1)} MB; instantiate ${fmtMs(s.instantiate)}`,
  );
}

function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1, Math.abs(b));
}

async function main(): Promise<void> {
  if (process.argv[2] === "batch") return runBatchBench(process.argv.slice(3));
  if (process.argv[2] === "residual") return runResidualBench(process.argv.slice(3));
  const args = parseArgs(process.argv.slice(2));
  if (args.child) return child(args);

  const cpus = os.cpus();
  console.log(`# lmm-wasm benchmarks`);
  console.log(`date: ${new Date().toISOString()}`);
  console.log(`machine: ${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GB RAM; ${os.type()} ${os.release()} ${os.arch()}`);
  console.log(`node ${process.version}; load average ${os.loadavg().map((v) => v.toFixed(2)).join(" ")}`);

  const selected = args.only ? WORKLOADS.filter((w) => args.only!.includes(w.name)) : WORKLOADS;
  const unknown = (args.only ?? []).filter((n) => !WORKLOADS.some((w) => w.name === n) && n !== "none");
  if (unknown.length) throw new Error(`unknown workload(s) ${unknown.join(", ")}; known: ${WORKLOADS.map((w) => w.name).join(", ")}`);

  const tmp = mkdtempSync(path.join(os.tmpdir(), "lmm-bench-"));
  const profDir = args.profile ? path.join(tmp, "profiles") : undefined;
  let useR = false;
  const rScript = path.join(tmp, "lme4-bench.R");
  if (args.vsLme4) {
    const av = lme4Available();
    if (av.ok) {
      useR = true;
      writeFileSync(rScript, R_SCRIPT);
    } else {
      console.log(`\n!! --vs-lme4: ${av.why}. Install with: apt-get install -y r-base-core r-cran-lme4`);
      console.log(`!! (or in R: install.packages("lme4")). Continuing without lme4.`);
    }
  }

  const rows: Row[] = [];
  try {
    for (const w of selected) {
      const row: Row = { w };
      rows.push(row);
      console.log(`\n## ${w.name}: ${w.formula} (${w.REML ? "REML" : "ML"})`);
      try {
        const csv = useR ? path.join(tmp, `${w.name}.csv`) : undefined;
        const ours = await runChild(w.name, args, csv, profDir);
        row.ours = ours;
        console.log(
          `  ours: median ${fmtMs(ours.median)} (min ${fmtMs(ours.min)}, ${ours.reps} reps) | rows ${ours.rows} | ` +
            `${ours.evaluations} evals, ${ours.iterations} iterations, converged ${ours.converged} | objective ${ours.objective.toFixed(4)} | ` +
            `RSS before fit ${fmtMB(ours.rssBefore)}, peak ${fmtMB(ours.maxRSS)}`,
        );
        if (ours.stages) printStages(ours.stages);
        if (useR && ours.csv) {
          const reps = Math.min(args.reps ?? w.lme4Reps, w.lme4Reps);
          const warm = Math.min(w.lme4Warmup, reps);
          console.log(`  lme4: ${warm} warm-up + ${reps} timed fits ...`);
          const r = await runLme4(rScript, ours.csv, w, reps, warm);
          row.lme4 = r;
          const fixDiff = Math.max(...Object.keys(r.fixef).map((k) => (k in ours.fixef ? relDiff(ours.fixef[k], r.fixef[k]) : NaN)));
          console.log(
            `  lme4 ${r.lme4} (R ${r.R}): median ${fmtMs(r.median)} (${r.times.length} reps) | ${r.evaluations} evals | ` +
              `objective ${r.objective.toFixed(4)} (ours - lme4 = ${(ours.objective - r.objective).toExponential(2)}) | ` +
              `max rel. fixef diff ${Number.isNaN(fixDiff) ? "n/a (names differ)" : fixDiff.toExponential(2)} | peak RSS ${fmtMB(r.maxRSS ?? undefined)}`,
          );
          console.log(`  ratio lme4 / ours: ${(r.median / ours.median).toFixed(2)}`);
        }
        if (w.published) console.log(`  for orientation: ${w.published}`);
      } catch (e) {
        row.error = (e as Error).message;
        console.log(`  FAILED: ${row.error}`);
      }
    }

    if (args.micro) {
      console.log(`\n## micro-benchmarks (benchmark.js)`);
      await runMicro(DATA_DIR);
    }
  } finally {
    if (profDir) console.log(`\nCPU profiles kept in ${profDir}`);
    else rmSync(tmp, { recursive: true, force: true });
  }

  console.log(`\n## summary (${new Date().toISOString()}; ${cpus[0]?.model}, ${cpus.length} cores)\n`);
  console.log(`| workload | rows | ours median | evaluations | peak RSS | lme4 median | lme4 evals | ratio lme4/ours |`);
  console.log(`|---|---:|---:|---:|---:|---:|---:|---:|`);
  for (const r of rows) {
    const o = r.ours;
    const l = r.lme4;
    const reps = (n: number | undefined) => (n === undefined ? "" : ` (${n}×)`);
    console.log(
      `| ${r.w.name}${r.error ? " (failed)" : ""} | ${o?.rows ?? "–"} | ${fmtMs(o?.median)}${reps(o?.reps)} | ${o?.evaluations ?? "–"} | ${fmtMB(o?.maxRSS)} | ` +
        `${fmtMs(l?.median)}${reps(l?.times.length)} | ${l?.evaluations ?? "–"} | ${o && l ? (l.median / o.median).toFixed(2) : "–"} |`,
    );
  }
  const published = rows.filter((r) => r.w.published);
  if (published.length) {
    console.log(`\nFor orientation (other software, other machines; not measured here):`);
    for (const r of published) console.log(`- ${r.w.name}: ${r.w.published}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
