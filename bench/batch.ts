// `npm run bench -- batch [--vs-lme4] [--features N] [--threads N] [--reps N] [--lme4-features N]`
//
// The batch workload of issue #5: a seeded omics study (50 subjects x 4 visits,
// 2 groups, 20,000 features), `~ time * group + (1 | id)` REML, every feature
// fitted with Satterthwaite df/p and FDR by fitMany (worker threads). With
// --vs-lme4, lme4's lmer() is looped over the first features in the same run
// (each call timed alone, data already in R's memory), and the ratio of its
// per-fit time extrapolated to all features over our whole batch is printed.
// Then the Parquet rows (batch-parquet.ts): `lmm batch` on a Parquet file of
// each --parquet size (default 20000x200), its read, fits and whole command.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fitMany, type ResponseMatrix } from "../src/index.js";
import { parseSize, runParquetRows, type ParquetSize } from "./batch-parquet.js";
import { generateOmics, OMICS_FORMULA, writeOmicsCSV } from "./omics.js";
import { median, runTaggedRscript } from "./rscript.js";

interface BatchArgs {
  features: number;
  threads: number;
  reps: number;
  vsLme4: boolean;
  lme4Features: number;
  parquet: ParquetSize[];
  parquetOnly: boolean;
}

function parseBatchArgs(argv: string[]): BatchArgs {
  const a: BatchArgs = {
    features: 20_000,
    threads: os.availableParallelism(),
    reps: 3,
    vsLme4: false,
    lme4Features: 300,
    parquet: [parseSize("20000x200")],
    parquetOnly: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i].split("=");
    const num = () => {
      const v = Number(inline ?? argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${key} needs a whole number of at least 1`);
      return v;
    };
    if (key === "--features") a.features = num();
    else if (key === "--threads") a.threads = num();
    else if (key === "--reps") a.reps = num();
    else if (key === "--lme4-features") a.lme4Features = num();
    else if (key === "--vs-lme4") a.vsLme4 = true;
    else if (key === "--parquet") a.parquet = (inline ?? argv[++i]).split(",").filter(Boolean).map(parseSize);
    else if (key === "--parquet-only") a.parquetOnly = true;
    else throw new Error(`unknown batch option ${argv[i]} (options: --features N --threads N --reps N --vs-lme4 --lme4-features N --parquet FxS[,FxS] --parquet-only)`);
  }
  return a;
}

const R_LOOP = String.raw`
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
samples <- read.csv(args[1], stringsAsFactors = TRUE)
responses <- read.csv(args[2], check.names = FALSE)
values <- as.matrix(responses[, as.character(samples$sample)])
times <- numeric(nrow(values))
d <- samples
for (f in seq_len(nrow(values))) {
  d$y <- values[f, ]
  t0 <- Sys.time()
  fit <- lmer(y ~ time * group + (1 | id), data = d, REML = TRUE)
  times[f] <- as.numeric(difftime(Sys.time(), t0, units = "secs")) * 1000
}
cat(sprintf('@@LME4 {"median": %.6f, "mean": %.6f, "n": %d, "lme4": "%s"}\n', median(times), mean(times), length(times), as.character(packageVersion("lme4"))))
`;


export async function runBatchBench(argv: string[]): Promise<void> {
  const a = parseBatchArgs(argv);
  if (!a.parquetOnly) await runInMemoryRows(a);
  await runParquetRows(a.parquet, a.threads, a.reps);
}

/** The in-memory rows: fitMany's time per feature and for the whole batch, and lme4's beside it. */
async function runInMemoryRows(a: BatchArgs): Promise<void> {
  const st = generateOmics({ features: a.features });
  const n = st.samples.sample.length;
  const responses: ResponseMatrix = { features: st.featureIds, samples: st.samples.sample, values: st.values };
  console.log(`\n## batch: ${a.features} features x ${n} samples, ${OMICS_FORMULA} (REML, Satterthwaite df/p, FDR)`);

  // Per-feature cost in one thread, on a slice (the whole batch would take long).
  const slice = Math.min(a.features, 2000);
  const sliceResponses: ResponseMatrix = { ...responses, features: responses.features.slice(0, slice), values: responses.values.slice(0, slice * n) };
  await fitMany(OMICS_FORMULA, st.samples, sliceResponses, { threads: 1 });
  const t1 = performance.now();
  await fitMany(OMICS_FORMULA, st.samples, sliceResponses, { threads: 1 });
  const perFeature1 = (performance.now() - t1) / slice;
  console.log(`  ours, 1 thread: ${(perFeature1 * 1000).toFixed(0)} µs per feature (${slice} features)`);

  const times: number[] = [];
  let failed = 0;
  for (let r = 0; r < a.reps; r++) {
    const t0 = performance.now();
    const res = await fitMany(OMICS_FORMULA, st.samples, responses, { threads: a.threads });
    times.push(performance.now() - t0);
    failed = res.records.filter((rec) => rec.status !== "ok" || rec.converged !== true).length;
    console.log(`  run ${r + 1}/${a.reps}: ${(times[r] / 1000).toFixed(2)} s`);
  }
  const ours = median(times);
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(
    `  ours, ${a.threads} threads: median ${(ours / 1000).toFixed(2)} s for ${a.features} features ` +
      `(${((1000 * ours) / a.features).toFixed(0)} µs per feature; ${failed} not ok/converged; peak RSS ${rss.toFixed(0)} MB)`,
  );
  if (!a.vsLme4) return;

  const tmp = mkdtempSync(path.join(os.tmpdir(), "lmm-batch-bench-"));
  try {
    const k = Math.min(a.lme4Features, a.features);
    const sub = generateOmics({ features: k });
    const samplesCsv = path.join(tmp, "samples.csv");
    const responsesCsv = path.join(tmp, "responses.csv");
    writeOmicsCSV(sub, samplesCsv, responsesCsv);
    writeFileSync(path.join(tmp, "loop.R"), R_LOOP);
    console.log(`  lme4: lmer() looped over the first ${k} features ...`);
    const r = await runTaggedRscript<{ median: number; mean: number; n: number; lme4: string }>(path.join(tmp, "loop.R"), [samplesCsv, responsesCsv]);
    const lme4Total = r.mean * a.features;
    console.log(
      `  lme4 ${r.lme4}: ${r.mean.toFixed(2)} ms per fit (median ${r.median.toFixed(2)} ms, ${r.n} fits) -> ` +
        `${(lme4Total / 1000).toFixed(0)} s for ${a.features} features (extrapolated)`,
    );
    console.log(`  ratio lme4 / ours: ${(lme4Total / ours).toFixed(0)}x (per-fit: lme4 ${r.mean.toFixed(2)} ms vs ours ${((1000 * ours) / a.features).toFixed(0)} µs wall per feature)`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
