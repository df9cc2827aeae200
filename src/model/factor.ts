// Factors: integer codes into a list of level labels, as R's factor().
import type { Column } from "../data.js";
import { LmmError } from "../errors.js";

export interface Factor {
  /** Level index of each kept row. */
  codes: Int32Array;
  levels: string[];
}

const codepointOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** R's as.character for a numeric level: integers without a decimal point. */
export function numberLabel(v: number): string {
  return Number.isInteger(v) && Math.abs(v) < 1e15 ? v.toFixed(0) : String(v);
}

/**
 * The factor of a column over the kept rows. Text levels are sorted by code
 * point (R's C-locale order) unless `order` gives them; numeric columns become a
 * factor of their values, sorted numerically. Unused levels are dropped.
 */
export function makeFactor(name: string, col: Column, rows: Int32Array, order?: string[]): Factor {
  const n = rows.length;
  const codes = new Int32Array(n);
  let labels: string[];
  if (col.kind === "numeric") {
    const vals = [...new Set(Array.from(rows, (r) => col.values[r]))].sort((a, b) => a - b);
    labels = vals.map(numberLabel);
    const index = new Map(vals.map((v, i) => [v, i]));
    for (let i = 0; i < n; i++) codes[i] = index.get(col.values[rows[i]])!;
  } else {
    const present = new Set<string>();
    for (let i = 0; i < n; i++) present.add(col.values[rows[i]]!);
    labels = [...present].sort(codepointOrder);
    const index = new Map(labels.map((v, i) => [v, i]));
    for (let i = 0; i < n; i++) codes[i] = index.get(col.values[rows[i]]!)!;
  }
  if (order) return reorder(name, { codes, levels: labels }, order);
  return { codes, levels: labels };
}

function reorder(name: string, f: Factor, order: string[]): Factor {
  const missing = f.levels.filter((l) => !order.includes(l));
  if (missing.length) {
    throw new LmmError(`The level order given for '${name}' lacks level(s) ${missing.map((m) => `'${m}'`).join(", ")}: list every level of the column.`);
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
  const used = [...new Set(combo)].sort((a, b) => a - b);
  const index = new Map(used.map((v, i) => [v, i]));
  const levels = used.map((c) => {
    const parts: string[] = [];
    for (let k = factors.length - 1; k >= 0; k--) {
      const L = factors[k].levels.length;
      parts.unshift(factors[k].levels[c % L]);
      c = Math.floor(c / L);
    }
    return parts.join(":");
  });
  return { codes: Int32Array.from(combo, (c) => index.get(c)!), levels };
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
      throw new LmmError(`Level '${label}' of '${name}' does not occur in the data the model was fitted to: new data can only use the fitted levels (${levels.slice(0, 5).join(", ")}${levels.length > 5 ? ", ..." : ""}).`);
    }
    codes[i] = c;
  }
  return { codes, levels };
}
