// fitMany(): one mixed model over many responses measured on the same samples.
// The sample table is matched to the responses' sample ids once; features are
// read block by block from the responses (a matrix in memory, or a file streamed
// by DuckDB), fitted in chunks (in this thread, or by worker threads, one WASM
// instance each) and handed on in input order as they finish.
import { cellNumber, toDataFrame, type DataFrame, type DataInput } from "../data.js";
import { LmmError, quote, quoteList } from "../errors.js";
import { parseFormula } from "../formula.js";
import { DESIGN_OPTIONS, designOptionsOf, type DesignOptions } from "../model/design.js";
import { checkOptions, type OptionSpec } from "../options.js";
import { FeatureFitter, unfitted, type FeatureFit } from "./feature-fitter.js";
import { runInWorkers, type BatchSetup, type WorkChunk } from "./pool.js";
import { matrixSource, type ResponseMatrix, type ResponseSource } from "./responses.js";
import { addFdr, resultColumns, toRecord, type BatchRecord } from "./results.js";

/** Options of `fitMany()`. */
export interface BatchOptions extends DesignOptions {
  /** Restricted maximum likelihood (default true), else maximum likelihood. */
  REML?: boolean;
  /** Coefficients to report (R's names, e.g. `time:groupB`); default all. */
  coef?: string[];
  /** Column of the sample table holding the sample ids (default its first column). */
  sampleColumn?: string;
  /** Satterthwaite df and p-values (default) or "none" (estimates only; faster). */
  ddf?: "satterthwaite" | "none";
  /**
   * Worker threads (Node) or Web Workers (browsers), each with its own WASM
   * instance; default 1: fit in this thread.
   */
  threads?: number;
  /**
   * Records of the first features from an interrupted run (input order, as
   * onRecord gave them): taken as they are, not fitted again nor passed to onRecord.
   */
  previous?: BatchRecord[];
  /** Called with each feature's record (FDR not yet known), in input order, as fits finish. */
  onRecord?: (record: BatchRecord, index: number) => void;
  /** Called after each chunk of features: how many are done of how many. */
  onProgress?: (done: number, total: number) => void;
}

/** The names and kinds of BatchOptions, for checkOptions. */
const BATCH_OPTIONS: OptionSpec = {
  ...DESIGN_OPTIONS,
  REML: "boolean",
  coef: "string[]",
  sampleColumn: "string",
  ddf: ["satterthwaite", "none"],
  threads: "count",
  previous: "array",
  onRecord: "function",
  onProgress: "function",
};

/** The per-feature results of a batch, one record per input feature, in input order. */
export interface BatchResult {
  /** Column names: feature, nobs, per coefficient NAME/_se/_t/_df/_p/_fdr, variance components, logLik, converged, singular, status. */
  columns: string[];
  records: BatchRecord[];
  /** Coefficients reported (each with an FDR column). */
  coefs: string[];
  /** Notes on the matching of samples to responses. */
  messages: string[];
  /** Threads that fitted (1 when there were too few features to share). */
  threads: number;
}

/**
 * Fit `formula` (one-sided: `~ time * group + (1 | id)`) to every feature of
 * `responses`, matched to the rows of `samples` by sample id. The responses are
 * a matrix in memory, or a source read block by block (openResponseFile: a
 * Parquet or CSV file through DuckDB), of which only the blocks being fitted
 * are held.
 *
 * @example
 * const res = await fitMany("~ time * group + (1 | id)", samples, parseResponses(text), { coef: ["time:groupB"] });
 * res.records[0]["time:groupB_p"];
 */
export async function fitMany(formula: string, samples: DataInput, responses: ResponseMatrix | ResponseSource, options: BatchOptions = {}): Promise<BatchResult> {
  checkOptions(options, BATCH_OPTIONS, "fitMany()");
  // The batch's per-feature results (Satterthwaite df, its refits) are built for independent residuals.
  if (options.correlation !== undefined || options.variance !== undefined) {
    throw new LmmError("Batch fits do not take a residual structure (correlation or variance): fit such a model per response with lmer() or lmm fit.");
  }
  const ddf = options.ddf ?? "satterthwaite";
  const parsed = parseFormula(formula);
  if (parsed.response) {
    throw new LmmError(`A batch formula has no response on the left (each feature is the response): write '~ ${formula.slice(formula.indexOf("~") + 1).trim()}'.`);
  }
  const frame = toDataFrame(samples);
  const source = isSource(responses) ? responses : matrixSource(checkResponses(responses));
  const { columnOf, sampleIds, messages } = matchSamples(frame, source.samples, options.sampleColumn);
  const setup: BatchSetup = {
    formula,
    samples: frame,
    options: {
      REML: options.REML ?? true,
      satterthwaite: ddf === "satterthwaite",
      sampleIds,
      design: designOptionsOf(options),
    },
  };
  // Formula and sample-table errors surface here, once, before any worker starts.
  const fitter = await FeatureFitter.create(parsed, frame, setup.options);
  const coefNames = fitter.design.X.names;
  const coefs = options.coef ?? coefNames;
  const unknown = coefs.filter((c) => !coefNames.includes(c));
  if (unknown.length > 0) {
    throw new LmmError(`Unknown coefficient ${quote(unknown[0])} in coef: the model's coefficients are ${quoteList(coefNames)}.`);
  }
  const varcomps = fitter.varianceComponentNames();
  const columns = resultColumns(coefs, varcomps);

  const F = source.featureCount;
  const records: BatchRecord[] = new Array(F);
  const fits: (FeatureFit | undefined)[] = new Array(F);
  const previous = options.previous ?? [];
  checkPrevious(previous, F, columns);
  previous.forEach((r, f) => (records[f] = { ...r }));
  let next = previous.length;
  let done = previous.length;
  const deliver = (index: number, fit: FeatureFit) => {
    fits[index] = fit;
    done++;
    for (; next < F && fits[next]; next++) {
      records[next] = toRecord(fits[next]!, coefs, varcomps);
      fits[next] = undefined;
      options.onRecord?.(records[next], next);
    }
  };

  const todo = F - previous.length;
  let threads = todo < MIN_FEATURES_FOR_WORKERS ? 1 : (options.threads ?? 1);
  if (threads === 1) {
    for await (const chunk of workChunks(source, columnOf, PROGRESS_EVERY, previous, deliver)) {
      for (let k = 0; k < chunk.features.length; k++) {
        deliver(chunk.indices[k], await fitter.fit(chunk.features[k], chunk.values.subarray(k * frame.nrow, (k + 1) * frame.nrow)));
      }
      options.onProgress?.(done, F);
    }
  } else {
    // Small enough chunks to balance the load and report progress, large enough
    // that messages cost nothing next to the fits.
    const size = Math.max(MIN_CHUNK, Math.min(MAX_CHUNK, Math.ceil(todo / (threads * 8))));
    threads = Math.min(threads, Math.ceil(todo / size));
    await runInWorkers(setup, workChunks(source, columnOf, size, previous, deliver), threads, (indices, chunkFits) => {
      indices.forEach((f, k) => deliver(f, chunkFits[k]));
      options.onProgress?.(done, F);
    });
  }
  addFdr(records, coefs);
  return { columns, records, coefs, messages, threads };
}

/**
 * Chunks of `size` features to fit, in order, read block by block from the
 * source: the earlier run's features are checked against its records and
 * skipped, and features with a non-numeric cell are delivered without a fit.
 */
async function* workChunks(
  source: ResponseSource,
  columnOf: Int32Array,
  size: number,
  previous: BatchRecord[],
  deliver: (index: number, fit: FeatureFit) => void,
): AsyncGenerator<WorkChunk> {
  const rows = columnOf.length;
  const empty = (): WorkChunk => ({ indices: [], features: [], values: new Float64Array(size * rows) });
  let chunk = empty();
  let f = 0;
  const changed = () => new LmmError(`The responses gave other than the ${source.featureCount} features they announced: the file changed while it was read; run the batch again.`);
  for await (const block of source.blocks(columnOf)) {
    for (let k = 0; k < block.features.length; k++, f++) {
      if (f >= source.featureCount) throw changed();
      const feature = block.features[k];
      if (f < previous.length) {
        if (previous[f].feature !== feature) {
          throw new LmmError(`The earlier run's feature ${f + 1} is ${quote(previous[f].feature)} but the responses' is ${quote(feature)}: it was a run on other responses.`);
        }
        continue;
      }
      const problem = block.invalid?.get(k);
      if (problem) {
        deliver(f, unfitted(feature, problem));
        continue;
      }
      chunk.values.set(block.values.subarray(k * rows, (k + 1) * rows), chunk.indices.length * rows);
      chunk.indices.push(f);
      chunk.features.push(feature);
      if (chunk.indices.length === size) {
        yield chunk;
        chunk = empty();
      }
    }
  }
  if (f !== source.featureCount) throw changed();
  if (chunk.indices.length > 0) yield { ...chunk, values: chunk.values.slice(0, chunk.indices.length * rows) };
}

/** Records of an earlier run must be of this batch: its columns, and no more features than it has (their ids are checked as they are read). */
function checkPrevious(previous: BatchRecord[], features: number, columns: string[]): void {
  if (previous.length > features) {
    throw new LmmError(`The earlier run has ${previous.length} features but the responses have ${features}: it was a run on other responses.`);
  }
  for (const r of previous) {
    const same = Object.keys(r).length === columns.length && columns.every((c) => Object.hasOwn(r, c));
    if (!same) throw new LmmError("The earlier run's records have other columns than this batch's: it was a run with another formula or --coef.");
  }
}

/** Features per progress report when fitting in this thread. */
const PROGRESS_EVERY = 64;
/** Fewer features than this are fitted in this thread: starting workers would cost more. */
const MIN_FEATURES_FOR_WORKERS = 128;
/** Fewest and most features in a chunk sent to a worker. */
const MIN_CHUNK = 16;
const MAX_CHUNK = 256;

function isSource(r: ResponseMatrix | ResponseSource): r is ResponseSource {
  return typeof (r as ResponseSource | undefined)?.blocks === "function";
}

function checkResponses(r: ResponseMatrix): ResponseMatrix {
  if (!r || !Array.isArray(r.features) || !Array.isArray(r.samples) || !(r.values instanceof Float64Array)) {
    throw new LmmError("The responses must be { features, samples, values: Float64Array } (features x samples), e.g. from parseResponses() or readResponses().");
  }
  if (r.values.length !== r.features.length * r.samples.length) {
    throw new LmmError(
      `The responses hold ${r.values.length} values for ${r.features.length} features x ${r.samples.length} samples: values must have features x samples entries, row by row.`,
    );
  }
  if (r.features.length === 0) throw new LmmError("The responses have no features: give at least one row.");
  return r;
}

/** For each row of the sample table, the response column of its sample (-1: not measured). */
function matchSamples(
  frame: DataFrame,
  responseSamples: string[],
  sampleColumn?: string,
): { columnOf: Int32Array; sampleIds: string[]; messages: string[] } {
  const name = sampleColumn ?? frame.names[0];
  const col = frame.columns.get(name);
  if (!col) throw new LmmError(`Unknown sample column ${quote(name)}: the sample table's columns are ${quoteList(frame.names)}.`);
  const sampleIds = Array.from(col.values as ArrayLike<string | number | null>, (v) => (v === null || Number.isNaN(v) ? "" : String(v).trim()));
  const position = new Map(responseSamples.map((s, j) => [s.trim(), j]));
  // A numeric id column has lost its text ("0001" was read as 1): match those ids by value.
  if (col.kind === "numeric") {
    responseSamples.forEach((s, j) => {
      const v = cellNumber(s);
      if (v !== undefined && !Number.isNaN(v) && !position.has(String(v))) position.set(String(v), j);
    });
  }
  const columnOf = new Int32Array(frame.nrow).fill(-1);
  const seen = new Set<string>();
  const unmeasured: string[] = [];
  sampleIds.forEach((id, i) => {
    if (id === "") throw new LmmError(`Sample row ${i + 1} has no id in column ${quote(name)}: every sample needs one.`);
    if (seen.has(id)) throw new LmmError(`Sample id ${quote(id)} appears twice in column ${quote(name)}: sample ids must be unique.`);
    seen.add(id);
    const j = position.get(id);
    if (j === undefined) unmeasured.push(id);
    else columnOf[i] = j;
  });
  const used = new Set(columnOf);
  const unused = responseSamples.filter((_, j) => !used.has(j));
  if (unmeasured.length === frame.nrow) {
    throw new LmmError(
      `No sample id of column ${quote(name)} (e.g. ${quote(sampleIds[0])}) is a column of the responses (e.g. ${quote(responseSamples[0])}): name the id column with sampleColumn (--sample-column).`,
    );
  }
  const messages: string[] = [];
  const some = (ids: string[]) => ids.slice(0, 5).join(", ") + (ids.length > 5 ? ", ..." : "");
  if (unmeasured.length > 0) messages.push(`${unmeasured.length} sample(s) of the sample table have no column in the responses and are missing for every feature: ${some(unmeasured)}.`);
  if (unused.length > 0) messages.push(`${unused.length} response column(s) match no sample of the sample table and were not used: ${some(unused)}.`);
  return { columnOf, sampleIds, messages };
}
