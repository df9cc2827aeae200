// `lmm batch SAMPLES.csv RESPONSES.csv "~ FORMULA"`: the batch as a command.
// Records are streamed in input order to OUT.partial as they finish (a stopped
// run keeps what was done); OUT is written whole, with the FDR columns that need
// every p-value, when the batch ends, and the partial file is removed.
import { readCSV } from "../csv.js";
import { LmmError, quote } from "../errors.js";
import { fitMany } from "./fit-many.js";
import { readResponses } from "./responses.js";
import { batchCSV, csvHeader, csvRows, type BatchRecord } from "./results.js";

export interface BatchFlags {
  out?: string;
  coef?: string[];
  threads?: string;
  ml?: boolean;
  sampleColumn?: string;
  ddf?: string;
  json?: boolean;
}

/** Where the CLI writes: results (stdout), notes and progress (stderr, a TTY or not). */
export interface Terminal {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Redraw the progress line (only on a TTY). */
  progress?: (line: string) => void;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--";
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
}

/** The progress line: a bar, features done, rate and ETA. */
export function progressLine(done: number, total: number, elapsedSeconds: number, width = 24): string {
  const filled = Math.round((width * done) / Math.max(total, 1));
  const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
  const eta = rate > 0 ? (total - done) / rate : Infinity;
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} features  ${rate.toFixed(0)}/s  ETA ${formatDuration(eta)}`;
}

export async function batchCommand(samplesFile: string, responsesFile: string, formula: string, flags: BatchFlags, term: Terminal): Promise<void> {
  const threads = flags.threads === undefined ? await defaultThreads() : Number(flags.threads);
  if (!Number.isInteger(threads) || threads < 1) throw new LmmError("--threads must be a whole number of at least 1.");
  const ddf = flags.ddf ?? "satterthwaite";
  if (ddf !== "satterthwaite" && ddf !== "none") throw new LmmError(`Unknown --ddf ${quote(ddf)} for batch: choose satterthwaite or none.`);
  const json = flags.json || (flags.out?.toLowerCase().endsWith(".json") ?? false);
  const coef = flags.coef?.flatMap((c) => c.split(",").map((s) => s.trim()).filter(Boolean));
  const [samples, responses] = await Promise.all([readCSV(samplesFile), readResponses(responsesFile)]);

  const fs = await import("node:fs");
  const partial = flags.out && !json ? `${flags.out}.partial` : undefined;
  let partialFd: number | undefined;
  // Records wait here until their chunk is done: one write per chunk, not per row.
  const pending: BatchRecord[] = [];
  const flushPartial = () => {
    if (!partial || pending.length === 0) return;
    const columns = Object.keys(pending[0]);
    if (partialFd === undefined) {
      partialFd = fs.openSync(partial, "w");
      fs.writeSync(partialFd, csvHeader(columns));
    }
    fs.writeSync(partialFd, csvRows(pending, columns));
    pending.length = 0;
  };
  const started = Date.now();
  const result = await fitMany(formula, samples, responses, {
    REML: !flags.ml,
    coef,
    sampleColumn: flags.sampleColumn,
    ddf,
    threads,
    onRecord: partial ? (record: BatchRecord) => void pending.push(record) : undefined,
    onProgress: (done, total) => {
      flushPartial();
      term.progress?.(progressLine(done, total, (Date.now() - started) / 1000));
    },
  });
  flushPartial();
  if (partialFd !== undefined) fs.closeSync(partialFd);
  if (term.progress) term.err("\n");
  const text = json ? JSON.stringify(result.records, null, 1) + "\n" : batchCSV(result);
  if (flags.out) {
    fs.writeFileSync(flags.out, text);
    if (partial) fs.rmSync(partial, { force: true });
  } else term.out(text);
  const seconds = (Date.now() - started) / 1000;
  const failed = result.records.filter((r) => r.status !== "ok").length;
  for (const m of result.messages) term.err(`lmm: ${m}\n`);
  term.err(
    `lmm: ${result.records.length} features in ${seconds.toFixed(1)} s (${(result.records.length / Math.max(seconds, 1e-3)).toFixed(0)}/s, ${result.threads} thread${result.threads > 1 ? "s" : ""})` +
      (failed > 0 ? `; ${failed} without estimates (see the status column)` : "") +
      (flags.out ? `; written to ${flags.out}` : "") +
      "\n",
  );
}

async function defaultThreads(): Promise<number> {
  const os = await import("node:os");
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}
