// Factors: integer codes into a list of level labels, as R's factor().
import type { Column } from "../data.js";
import { LmmError, quote, quoteList } from "../errors.js";

/** A factor: an integer code per kept row into a list of level labels. */
export interface Factor {
  /** Level index of each kept row. */
  codes: Int32Array;
  levels: string[];
}

/** How text levels are sorted: as R in an English locale, or by code point as R in the C locale. */
export type LevelOrder = "english" | "codepoint";

export const LEVEL_ORDERS: readonly LevelOrder[] = ["english", "codepoint"];

const codepointOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * R's order of text in an English locale: R sorts with ICU's collation (when
 * built with ICU, as on Linux, macOS and Windows), whose English rules are the
 * root ones that Intl.Collator("en") applies: letters before case, so `control`
 * sorts before `Treatment`, and `a` before `A`. Strings the collation calls equal
 * (different Unicode forms of one text) are ordered by code point.
 */
const englishCollator = new Intl.Collator("en");
const englishOrder = (a: string, b: string) => englishCollator.compare(a, b) || codepointOrder(a, b);

const TEXT_ORDER: Record<LevelOrder, (a: string, b: string) => number> = { english: englishOrder, codepoint: codepointOrder };

/** R's as.character for a numeric level: integers without a decimal point. */
export function numberLabel(v: number): string {
  return Number.isInteger(v) && Math.abs(v) < 1e15 ? v.toFixed(0) : String(v);
}

/**
 * Code values by rank: codes[i] is the rank of values[rows[i]] (values[i] without
 * rows) among the distinct values, in `compare` order. Long-format data repeats a
 * subject's value over consecutive rows, so a run of equal values is coded once;
 * and data sorted by subject meets its values in increasing order, so they need
 * no hash lookups until (if ever) a value does not exceed the last new one.
 */
function codeByRank<T>(values: ArrayLike<T>, rows: Int32Array | null, compare: (a: T, b: T) => number): { codes: Int32Array; levels: T[] } {
  const n = rows ? rows.length : values.length;
  const codes = new Int32Array(n);
  const distinct: T[] = []; // in order of appearance
  let index: Map<T, number> | null = null; // made once the values stop increasing
  let prev: T | undefined;
  let code = -1;
  for (let i = 0; i < n; i++) {
    const v = values[rows ? rows[i] : i];
    if (code >= 0 && v === prev) {
      codes[i] = code;
      continue;
    }
    if (!index && (distinct.length === 0 || compare(distinct[distinct.length - 1], v) < 0)) {
      code = distinct.length;
      distinct.push(v);
    } else {
      index ??= new Map(distinct.map((d, k) => [d, k]));
      let c = index.get(v);
      if (c === undefined) {
        c = distinct.length;
        index.set(v, c);
        distinct.push(v);
      }
      code = c;
    }
    prev = v;
    codes[i] = code;
  }
  if (!index) return { codes, levels: distinct };
  // Renumber the codes from order of appearance to rank.
  const order = distinct.map((_, k) => k).sort((a, b) => compare(distinct[a], distinct[b]));
  const rank = new Int32Array(order.length);
  order.forEach((k, r) => (rank[k] = r));
  for (let i = 0; i < n; i++) codes[i] = rank[codes[i]];
  return { codes, levels: order.map((k) => distinct[k]) };
}

/**
 * The factor of a column over the kept rows. Text levels are sorted as R sorts
 * them in an English locale (or by code point, R's C-locale order) unless `order`
 * gives them; numeric columns become a factor of their values, sorted
 * numerically. Unused levels are dropped.
 */
export function makeFactor(name: string, col: Column, rows: Int32Array, order?: string[], textOrder: LevelOrder = "english"): Factor {
  let f: Factor;
  if (col.kind === "numeric") {
    const { codes, levels } = codeByRank(col.values, rows, (a, b) => a - b);
    f = { codes, levels: levels.map(numberLabel) };
  } else {
    f = codeByRank(col.values as string[], rows, TEXT_ORDER[textOrder]);
  }
  return order ? reorder(name, f, order) : f;
}

function reorder(name: string, f: Factor, order: string[]): Factor {
  const missing = f.levels.filter((l) => !order.includes(l));
  if (missing.length) {
    throw new LmmError(`The level order given for ${quote(name)} lacks level(s) ${quoteList(missing)}: list every level of the column.`);
  }
  const kept = order.filter((l) => f.levels.includes(l));
  const pos = new Map(kept.map((l, i) => [l, i]));
  const remap = f.levels.map((l) => pos.get(l)!);
  return { codes: f.codes.map((c) => remap[c]), levels: kept };
}

/** The interaction of factors (first factor varies slowest), unused combinations dropped. */
export function interactFactors(factors: Factor[]): Factor {
  if (factors.length === 1) return factors[0];
  const n = factors[0].codes.length;
  const combo = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let c = 0;
    for (const f of factors) c = c * f.levels.length + f.codes[i];
    combo[i] = c;
  }
  const { codes, levels: combos } = codeByRank(combo, null, (a, b) => a - b);
  const levels = combos.map((c) => {
    const parts: string[] = [];
    for (let k = factors.length - 1; k >= 0; k--) {
      const L = factors[k].levels.length;
      parts.unshift(factors[k].levels[c % L]);
      c = Math.floor(c / L);
    }
    return parts.join(":");
  });
  return { codes, levels };
}

/** The label of a column's value in a row, as its factor level would read. */
export function levelLabel(col: Column, row: number): string {
  return col.kind === "numeric" ? numberLabel(col.values[row]) : col.values[row]!;
}

/**
 * Code a column over the kept rows against known levels (those of a fitted
 * model), so new data gets the fitted model's columns. A value outside them is
 * an error naming it.
 */
export function encodeWithLevels(name: string, col: Column, rows: Int32Array, levels: string[]): Factor {
  const index = new Map(levels.map((l, i) => [l, i]));
  const codes = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const label = levelLabel(col, rows[i]);
    const c = index.get(label);
    if (c === undefined) {
      throw new LmmError(`Level ${quote(label)} of ${quote(name)} does not occur in the data the model was fitted to: new data can only use the fitted levels (${quoteList(levels, 5)}).`);
    }
    codes[i] = c;
  }
  return { codes, levels };
}
