// `lmm batch SAMPLES.csv RESPONSES.csv "~ FORMULA"`: the batch as a command.
// Records are streamed in input order to OUT.partial as they finish (a stopped
// run keeps what was done, and --resume continues it); OUT is written whole,
// with the FDR columns that need every p-value, when the batch ends, and the
// partial file is removed.
import { designOptions, type DesignFlags } from "../cli-options.js";
import { readCSV } from "../csv.js";
import type { DataFrame } from "../data.js";
import { dirname } from "node:path";
import { LmmError, quote } from "../errors.js";
import { fitMany } from "./fit-many.js";
import { usesSqlRoute } from "../sql-command.js";
import { readResponses, type ResponseMatrix } from "./responses.js";
import type { ResponseFile } from "./response-file.js";
import { batchCSV, type BatchRecord } from "./results.js";

export interface BatchFlags extends DesignFlags {
  out?: string;
  coef?: string[];
  threads?: string;
  ml?: boolean;
  sampleColumn?: string;
  ddf?: string;
  json?: boolean;
  resume?: boolean;
  engine?: string;
  block?: string;
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
  if (flags.resume && !flags.out) throw new LmmError("--resume continues the run that wrote --out FILE: give that --out.");
  const json = flags.json || (flags.out?.toLowerCase().endsWith(".json") ?? false);
  const coef = flags.coef?.flatMap((c) => c.split(",").map((s) => s.trim()).filter(Boolean));
  const viaDuckdb = usesSqlRoute(responsesFile, flags);
  if (flags.block !== undefined && !viaDuckdb) throw new LmmError("--block sets how many features DuckDB reads at a time: it applies to a .parquet file or --engine duckdb.");
  const block = flags.block === undefined ? undefined : Number(flags.block);
  if (block !== undefined && (!Number.isInteger(block) || block < 1)) throw new LmmError("--block must be a whole number of features, at least 1.");
  const samples = await readCSV(samplesFile);
  const responses = viaDuckdb ? await openFile(responsesFile, block) : await readResponses(responsesFile);
  try {
    await fitAndWrite(samples, responses, formula, flags, term, { threads, ddf, json, coef });
  } finally {
    if ("close" in responses) responses.close();
  }
}

/** A responses file through DuckDB, loaded on first use: its native library stays out of the CSV route's start-up. */
async function openFile(path: string, blockFeatures: number | undefined): Promise<ResponseFile> {
  const { openResponseFile } = await import("./response-file.js");
  return openResponseFile(path, { blockFeatures });
}

/** Fit the batch and write its results: streamed to OUT.partial as they finish, then OUT (or standard output) whole. */
async function fitAndWrite(
  samples: DataFrame,
  responses: ResponseMatrix | ResponseFile,
  formula: string,
  flags: BatchFlags,
  term: Terminal,
  { threads, ddf, json, coef }: { threads: number; ddf: "satterthwaite" | "none"; json: boolean; coef: string[] | undefined },
): Promise<void> {
  // The output is checked, and the partial file opened, before any fit: a bad path costs no work.
  const partial = flags.out ? await PartialFile.open(flags.out, !!flags.resume) : undefined;

  const started = Date.now();
  let result;
  try {
    result = await fitMany(formula, samples, responses, {
      ...designOptions(flags),
      REML: !flags.ml,
      coef,
      sampleColumn: flags.sampleColumn,
      ddf,
      threads,
      previous: partial?.previous,
      onRecord: partial ? (record: BatchRecord) => partial.add(record) : undefined,
      onProgress: (done, total) => {
        partial?.flush();
        term.progress?.(progressLine(done, total, (Date.now() - started) / 1000));
      },
    });
  } finally {
    partial?.close();
  }
  if (term.progress) term.err("\n");
  const text = json ? JSON.stringify(result.records, null, 1) + "\n" : batchCSV(result);
  if (partial) partial.finish(text);
  else term.out(text);
  const seconds = (Date.now() - started) / 1000;
  const failed = result.records.filter((r) => r.status !== "ok").length;
  for (const m of result.messages) term.err(`lmm: ${m}\n`);
  const resumed = partial?.previous.length ? `; ${partial.previous.length} taken from ${partial.path}` : "";
  term.err(
    `lmm: ${result.records.length} features in ${seconds.toFixed(1)} s (${(result.records.length / Math.max(seconds, 1e-3)).toFixed(0)}/s, ${result.threads} thread${result.threads > 1 ? "s" : ""})` +
      resumed +
      (failed > 0 ? `; ${failed} without estimates (see the status column)` : "") +
      (flags.out ? `; written to ${flags.out}` : "") +
      "\n",
  );
}

/** Run a file-system call on an output path; its error becomes one sentence naming the path and the fix. */
function onOutput<T>(path: string, call: () => T): T {
  try {
    return call();
  } catch (e) {
    throw outputError(path, (e as NodeJS.ErrnoException).code, e as Error);
  }
}

function outputError(path: string, code: string | undefined, e?: Error): LmmError {
  const why =
    code === "ENOENT"
      ? `its folder ${quote(dirname(path))} does not exist: create it or choose another path`
      : code === "EISDIR"
        ? "it is a folder: give a file name such as results.csv"
        : code === "EACCES" || code === "EPERM"
          ? "permission denied: choose a path you can write"
          : code === "ENOSPC"
            ? "the disk is full: free some space"
            : code === "ENOTDIR"
              ? `a part of ${quote(dirname(path))} is a file, not a folder`
              : `${e?.message ?? code}`;
  return new LmmError(`Cannot write ${quote(path)}: ${why}.`);
}

/**
 * OUT.partial: the records of finished features as JSON lines (exact numbers,
 * any output format), after a first line naming the batch's columns. A stopped
 * run keeps them; --resume takes them back. OUT itself is written at the end
 * through a temporary file renamed over it, so it is never torn.
 */
class PartialFile {
  /** Records of an interrupted run, when resuming. */
  previous: BatchRecord[] = [];
  private fd: number | undefined;
  private columns: string[] | undefined;
  private pending: string[] = [];

  private constructor(
    private readonly fs: typeof import("node:fs"),
    readonly out: string,
    readonly path: string,
  ) {}

  static async open(out: string, resume: boolean): Promise<PartialFile> {
    const fs = await import("node:fs");
    const p = new PartialFile(fs, out, `${out}.partial`);
    onOutput(out, () => fs.statSync(dirname(out)));
    if (onOutput(out, () => fs.statSync(out, { throwIfNoEntry: false }))?.isDirectory()) throw outputError(out, "EISDIR");
    const exists = onOutput(p.path, () => fs.existsSync(p.path));
    let text = exists ? onOutput(p.path, () => fs.readFileSync(p.path, "utf8")) : undefined;
    if (text !== undefined) {
      // A run killed while writing leaves a torn last line: keep the complete ones.
      const complete = text.slice(0, text.lastIndexOf("\n") + 1);
      try {
        p.previous = complete.split("\n").filter(Boolean).slice(1).map((line) => JSON.parse(line) as BatchRecord);
      } catch {
        throw new LmmError(`${quote(p.path)} is not a partial file of lmm batch: remove it or choose another --out.`);
      }
      if (p.previous.length > 0 && !resume) {
        throw new LmmError(
          `${quote(p.path)} holds ${p.previous.length} finished features of an earlier run: add --resume to continue it, or remove the file to start again.`,
        );
      }
      text = p.previous.length > 0 ? complete : undefined;
    }
    if (text !== undefined) {
      onOutput(p.path, () => fs.truncateSync(p.path, Buffer.byteLength(text)));
      p.columns = Object.keys(p.previous[0]);
    }
    p.fd = onOutput(p.path, () => fs.openSync(p.path, text !== undefined ? "a" : "w"));
    return p;
  }

  /** A finished record: buffered, written by flush (one write per chunk, not per row). */
  add(record: BatchRecord): void {
    if (!this.columns) {
      this.columns = Object.keys(record);
      this.pending.push(JSON.stringify({ columns: this.columns }));
    }
    this.pending.push(JSON.stringify(record));
  }

  flush(): void {
    if (this.pending.length === 0 || this.fd === undefined) return;
    const fd = this.fd;
    onOutput(this.path, () => this.fs.writeSync(fd, this.pending.join("\n") + "\n"));
    this.pending = [];
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) this.fs.closeSync(this.fd);
    this.fd = undefined;
    // A run that stopped before its first record (e.g. on a formula error) leaves no file to resume.
    if (!this.columns) this.fs.rmSync(this.path, { force: true });
  }

  /** Write OUT whole (a temporary file renamed over it), then remove the partial file. */
  finish(text: string): void {
    const tmp = `${this.out}.${process.pid}.tmp`;
    try {
      onOutput(this.out, () => (this.fs.writeFileSync(tmp, text), this.fs.renameSync(tmp, this.out)));
    } finally {
      this.fs.rmSync(tmp, { force: true });
    }
    this.fs.rmSync(this.path, { force: true });
  }
}

async function defaultThreads(): Promise<number> {
  const os = await import("node:os");
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}
