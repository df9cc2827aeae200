// Exact quantiles of a value computed over a table's rows, by selection in
// passes over the rows rather than a sort: an engine's exact quantile
// (quantile_cont) holds every value and sorts them, which at 10^8 rows costs a
// gigabyte and most of a fit's time. A pass counts the values per bin of a
// histogram (and each bin's min and max); the bin holding a wanted order
// statistic becomes the next window, and once a window holds few values they
// are fetched and sorted here. Values scaled to unit spread (scaled residuals)
// need two passes: the first histogram's bins are narrow enough.
import { LmmError } from "../errors.js";

/** A query's rows as objects; the engine's numbers as number or bigint. */
export type RunQuery = (sql: string) => Promise<Record<string, unknown>[]>;

/** Bins of each histogram pass. */
const BINS = 4096;
/** The first pass's range, for values of about unit spread; values outside fall into two overflow bins. */
const FIRST_RANGE: [number, number] = [-8, 8];
/** Values fetched at most for one wanted order statistic; a fuller window is binned again. */
const FETCH_LIMIT = 1 << 20;

/** A range of values [lo, hi] holding an order statistic, and how many values lie below it. */
interface Window {
  lo: number;
  hi: number;
  below: number;
  count: number;
}

const num = (v: unknown) => Number(v);

/**
 * Min, the quantiles at `probs` (R's type 7, linear between order statistics,
 * as quantile_cont) and max of the column `r` of `values` (a query), exactly.
 * `double` writes a double as the engine's literal; windows of more than
 * `fetchLimit` values are binned again rather than fetched.
 */
export async function exactQuantiles(
  run: RunQuery,
  values: string,
  probs: readonly number[],
  double: (x: number) => string,
  fetchLimit = FETCH_LIMIT,
): Promise<{ n: number; min: number; max: number; quantiles: number[] }> {
  const histogram = async (lo: number, hi: number, where: string) => {
    const width = hi - lo;
    // Bin -1 and BINS hold what lies outside [lo, hi): in the first pass, the tails; later, the window's top value.
    const bin = `CASE WHEN r < ${double(lo)} THEN -1 WHEN r >= ${double(hi)} THEN ${BINS} ELSE least(${BINS - 1}, floor((r - ${double(lo)}) * ${double(BINS / width)})) END`;
    const rows = await run(`SELECT ${bin} AS bin, count(*) AS n, min(r) AS lo, max(r) AS hi FROM (${values}) AS lmm_values ${where} GROUP BY bin ORDER BY bin`);
    return rows.map((b) => ({ n: num(b.n), lo: num(b.lo), hi: num(b.hi) }));
  };
  const first = await histogram(FIRST_RANGE[0], FIRST_RANGE[1], "");
  const n = first.reduce((s, b) => s + b.n, 0);
  if (n === 0) throw new LmmError("No rows are left to compute the residuals' quantiles on.");
  const min = first[0].lo;
  const max = first[first.length - 1].hi;

  // The bin of a histogram holding 0-based rank k, given the values below the histogram's range.
  const locate = (bins: { n: number; lo: number; hi: number }[], below: number, k: number): Window => {
    let seen = below;
    for (const b of bins) {
      if (k < seen + b.n) return { lo: b.lo, hi: b.hi, below: seen, count: b.n };
      seen += b.n;
    }
    throw new LmmError("The rows changed while their residuals' quantiles were computed: run the fit again.");
  };
  const ranks = [...new Set(probs.flatMap((p) => [Math.floor((n - 1) * p), Math.min(n - 1, Math.floor((n - 1) * p) + 1)]))];
  const windows = new Map(ranks.map((k) => [k, locate(first, 0, k)]));
  const value = new Map<number, number>();
  const inWindow = (w: Window) => `r BETWEEN ${double(w.lo)} AND ${double(w.hi)}`;
  for (;;) {
    // A window of equal values needs no pass; a small one is fetched; a full one is binned again.
    for (const [k, w] of windows) if (w.lo === w.hi) (value.set(k, w.lo), windows.delete(k));
    if (windows.size === 0) break;
    const small = [...windows].filter(([, w]) => w.count <= fetchLimit);
    if (small.length > 0) {
      // As an aggregate's FILTER, not a WHERE: the engine would push a WHERE into
      // the join and compute r again for each comparison (ten times slower).
      const distinct = [...new Map(small.map(([, w]) => [`${w.lo}:${w.hi}`, w])).values()];
      const [lists] = await run(`SELECT ${distinct.map((w, j) => `list(r) FILTER (WHERE ${inWindow(w)}) AS w${j}`).join(", ")} FROM (${values}) AS lmm_values`);
      for (const [k, w] of small) {
        const fetched = lists[`w${distinct.findIndex((d) => d.lo === w.lo && d.hi === w.hi)}`];
        const inside = (Array.isArray(fetched) ? fetched.map(num) : []).sort((a, b) => a - b);
        if (inside.length !== w.count) throw new LmmError("The rows changed while their residuals' quantiles were computed: run the fit again.");
        value.set(k, inside[k - w.below]);
        windows.delete(k);
      }
      continue;
    }
    const [k, w] = windows.entries().next().value as [number, Window];
    const bins = await histogram(w.lo, w.hi, `WHERE ${inWindow(w)}`);
    for (const [j, v] of windows) if (v.lo === w.lo && v.hi === w.hi) windows.set(j, locate(bins, v.below, j));
    if (!windows.has(k)) throw new LmmError("The residuals' quantiles could not be located: run the fit again.");
  }
  const quantiles = probs.map((p) => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    const a = value.get(lo)!;
    const b = value.get(Math.min(n - 1, lo + 1))!;
    return a + (h - lo) * (b - a);
  });
  return { n, min, max, quantiles };
}
