// Exact quantiles of a value computed over a table's rows, by selection in
// passes over the rows rather than a sort: an engine's exact quantile
// (quantile_cont) holds every value and sorts them, which at 10^8 rows costs a
// gigabyte and most of a fit's time.
//
// First a guess: the table's first rows give each wanted order statistic a
// window of values likely to hold it, and one pass counts the values below
// each window and fetches those inside; where a window holds its rank, the
// rank's value is exact. Where a guess missed (rows sorted by something the
// values depend on), selection: a pass counts the values per bin of a
// histogram (and each bin's min and max), the bin holding the rank becomes
// the next window, and once a window holds few values they are fetched.
import { LmmError } from "../errors.js";

/** A query's rows as objects; the engine's numbers as number or bigint. */
export type RunQuery = (sql: string) => Promise<Record<string, unknown>[]>;

/** Bins of each histogram pass. */
const BINS = 4096;
/** The first pass's range, for values of about unit spread; values outside fall into two overflow bins. */
const FIRST_RANGE: [number, number] = [-8, 8];
/** Values fetched at most for one wanted order statistic; a fuller window is binned again. */
const FETCH_LIMIT = 1 << 20;
/** Rows read for the guess (a tenth of a second's read). */
const SAMPLE_ROWS = 1_000_000;
/** A guessed window's half-width in probability: five standard errors of the sample's quantile, at most this. */
const MAX_HALF_WIDTH = 0.005;

/** A range of values [lo, hi] holding an order statistic, and how many values lie below it. */
interface Window {
  lo: number;
  hi: number;
  below: number;
  count: number;
}

const num = (v: unknown) => Number(v);

/** An engine's list of numbers, sorted (a typed array sorts numerically without a comparator: ten times faster). */
const sortedNumbers = (xs: unknown) => Float64Array.from(Array.isArray(xs) ? xs : [], num).sort();

/** The condition that r lies in a window, inclusive. */
const between = (w: { lo: number; hi: number }, literal: (x: number) => string) => `r BETWEEN ${literal(w.lo)} AND ${literal(w.hi)}`;

/**
 * The values of r in each window, as a pass's list aggregates w0, w1, ...: by an
 * aggregate's FILTER, not a WHERE, as the engine would push a WHERE into the
 * join and compute r again for each comparison (ten times slower).
 */
const windowLists = (windows: readonly { lo: number; hi: number }[], literal: (x: number) => string) =>
  windows.map((w, j) => `list(r) FILTER (WHERE ${between(w, literal)}) AS w${j}`);

/** How the selection runs (defaults for a fit; tests make the guess and the fetches small to exercise every path). */
export interface SelectionOptions {
  /** Rows read for the guess. */
  sampleRows?: number;
  /** Values fetched at most per window. */
  fetchLimit?: number;
}

/**
 * Min, the quantiles at `probs` (R's type 7, linear between order statistics,
 * as quantile_cont) and max of the column `r` of `values` (a query), exactly.
 * `literal` writes a double as the engine's literal (Dialect.number).
 */
export async function exactQuantiles(
  run: RunQuery,
  values: string,
  probs: readonly number[],
  literal: (x: number) => string,
  { sampleRows = SAMPLE_ROWS, fetchLimit = FETCH_LIMIT }: SelectionOptions = {},
): Promise<{ n: number; min: number; max: number; quantiles: number[] }> {
  const quantilesOf = (n: number, value: (k: number) => number) =>
    probs.map((p) => {
      const h = (n - 1) * p;
      const lo = Math.floor(h);
      const a = value(lo);
      return a + (h - lo) * (value(Math.min(n - 1, lo + 1)) - a);
    });
  const ranksOf = (n: number) => [...new Set(probs.flatMap((p) => [Math.floor((n - 1) * p), Math.min(n - 1, Math.floor((n - 1) * p) + 1)]))];
  // As one list, not a row object per value.
  const [first] = await run(`SELECT list(r) AS r FROM (SELECT r FROM (${values}) AS lmm_values LIMIT ${sampleRows}) AS lmm_sample`);
  const sample = sortedNumbers(first?.r);
  if (sample.length === 0) throw new LmmError("No rows are left to compute the residuals' quantiles on.");
  // Fewer rows than asked for: the sample is every value.
  if (sample.length < sampleRows) return { n: sample.length, min: sample[0], max: sample[sample.length - 1], quantiles: quantilesOf(sample.length, (k) => sample[k]) };

  const m = sample.length;
  const guesses = probs.map((p) => {
    const half = Math.min(MAX_HALF_WIDTH, 5 * Math.sqrt((p * (1 - p)) / m) + 1 / m);
    return { lo: sample[Math.floor(Math.max(0, p - half) * (m - 1))], hi: sample[Math.ceil(Math.min(1, p + half) * (m - 1))] };
  });
  const [pass] = await run(
    `SELECT ${["count(*) AS n", "min(r) AS lo", "max(r) AS hi", ...guesses.map((g, j) => `count(*) FILTER (WHERE r < ${literal(g.lo)}) AS below${j}`), ...windowLists(guesses, literal)].join(", ")} FROM (${values}) AS lmm_values`,
  );
  const n = num(pass.n);
  const min = num(pass.lo);
  const max = num(pass.hi);
  const value = new Map<number, number>();
  const fetched = guesses.map((_, j) => ({ below: num(pass[`below${j}`]), values: sortedNumbers(pass[`w${j}`]) }));
  for (const k of ranksOf(n)) {
    const hit = fetched.find((w) => k >= w.below && k < w.below + w.values.length);
    if (hit) value.set(k, hit.values[k - hit.below]);
  }
  const missed = ranksOf(n).filter((k) => !value.has(k));
  if (missed.length > 0) for (const [k, x] of await select(run, values, missed, literal, fetchLimit)) value.set(k, x);
  return { n, min, max, quantiles: quantilesOf(n, (k) => value.get(k)!) };
}

/** The values at 0-based ranks `ranks` by histogram selection (see the top). */
async function select(run: RunQuery, values: string, ranks: readonly number[], literal: (x: number) => string, fetchLimit: number): Promise<Map<number, number>> {
  const histogram = async (lo: number, hi: number, where: string) => {
    const width = hi - lo;
    // Bin -1 and BINS hold what lies outside [lo, hi): in the first pass, the tails; later, the window's top value.
    const bin = `CASE WHEN r < ${literal(lo)} THEN -1 WHEN r >= ${literal(hi)} THEN ${BINS} ELSE least(${BINS - 1}, floor((r - ${literal(lo)}) * ${literal(BINS / width)})) END`;
    const rows = await run(`SELECT ${bin} AS bin, count(*) AS n, min(r) AS lo, max(r) AS hi FROM (${values}) AS lmm_values ${where} GROUP BY bin ORDER BY bin`);
    return rows.map((b) => ({ n: num(b.n), lo: num(b.lo), hi: num(b.hi) }));
  };
  const first = await histogram(FIRST_RANGE[0], FIRST_RANGE[1], "");

  // The bin of a histogram holding 0-based rank k, given the values below the histogram's range.
  const locate = (bins: { n: number; lo: number; hi: number }[], below: number, k: number): Window => {
    let seen = below;
    for (const b of bins) {
      if (k < seen + b.n) return { lo: b.lo, hi: b.hi, below: seen, count: b.n };
      seen += b.n;
    }
    throw new LmmError("The rows changed while their residuals' quantiles were computed: run the fit again.");
  };
  const windows = new Map(ranks.map((k) => [k, locate(first, 0, k)]));
  const value = new Map<number, number>();
  for (;;) {
    // A window of equal values needs no pass; a small one is fetched; a full one is binned again.
    for (const [k, w] of windows) if (w.lo === w.hi) (value.set(k, w.lo), windows.delete(k));
    if (windows.size === 0) break;
    const small = [...windows].filter(([, w]) => w.count <= fetchLimit);
    if (small.length > 0) {
      const distinct = [...new Map(small.map(([, w]) => [`${w.lo}:${w.hi}`, w])).values()];
      const [lists] = await run(`SELECT ${windowLists(distinct, literal).join(", ")} FROM (${values}) AS lmm_values`);
      for (const [k, w] of small) {
        const inside = sortedNumbers(lists[`w${distinct.findIndex((d) => d.lo === w.lo && d.hi === w.hi)}`]);
        if (inside.length !== w.count) throw new LmmError("The rows changed while their residuals' quantiles were computed: run the fit again.");
        value.set(k, inside[k - w.below]);
        windows.delete(k);
      }
      continue;
    }
    const [k, w] = windows.entries().next().value as [number, Window];
    const bins = await histogram(w.lo, w.hi, `WHERE ${between(w, literal)}`);
    for (const [j, v] of windows) if (v.lo === w.lo && v.hi === w.hi) windows.set(j, locate(bins, v.below, j));
    if (!windows.has(k)) throw new LmmError("The residuals' quantiles could not be located: run the fit again.");
  }
  return value;
}
