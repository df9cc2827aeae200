// Data frames: named columns that are either numeric (NaN = missing) or text
// (null = missing). Whether text becomes a factor, and how a numeric column is
// used, is decided later by the model frame, as R's model.frame does.
import { LmmError, quote } from "./errors.js";

/** A numeric column; missing values are NaN. */
export interface NumericColumn {
  kind: "numeric";
  values: Float64Array;
}

/** A text column; missing values are null. */
export interface TextColumn {
  kind: "text";
  values: (string | null)[];
}

/** A column of a data frame: numeric, or text (a factor when used in a model). */
export type Column = NumericColumn | TextColumn;

/** Columns by name, all of the same length. */
export interface DataFrame {
  names: string[];
  columns: Map<string, Column>;
  nrow: number;
}

/** What `lmer` accepts as data: columns by name, or an array of row objects. */
export type DataInput =
  | DataFrame
  | Record<string, ArrayLike<number | string | null | undefined> | Float64Array>
  | Record<string, number | string | null | undefined>[];

const MISSING_TOKENS = new Set(["", "NA", "NaN", "nan", "N/A"]);
const NUMBER_RE = /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|Inf|inf|Infinity)$/;
// R's read.csv (R_strtod) also reads hexadecimal numbers: 0x1A, -0x2, 0x1.8p1.
const HEX_RE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;

/** Longest of MISSING_TOKENS. */
const LONGEST_MISSING_TOKEN = 3;

/** True when a cell holds a missing value (empty, NA, NaN). */
export function isMissingToken(s: string): boolean {
  // 10^6 cells in a cohort: without space to trim at either end (printable
  // ASCII there), skip the trim, and the lookup for cells longer than any token.
  if (isPrintable(s.charCodeAt(0)) && isPrintable(s.charCodeAt(s.length - 1))) {
    return s.length <= LONGEST_MISSING_TOKEN && MISSING_TOKENS.has(s);
  }
  return MISSING_TOKENS.has(s.trim());
}

const isPrintable = (c: number) => c > 32 && c < 127;

/** A text cell as a number: NaN when it is a missing-value token, undefined when it is not a number. */
export function cellNumber(s: string): number | undefined {
  // A batch's responses are 10^6-10^7 cells, nearly all plain decimals: a cell
  // that starts with a digit or a minus sign and that JavaScript reads as a
  // number is R's number too, except JavaScript's 0b / 0o literals.
  const c = s.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === 45) {
    const v = +s;
    if (v === v && !(c === 48 && /^0[bBoO]/.test(s))) return v;
  }
  if (isMissingToken(s)) return NaN;
  const t = s.trim();
  if (!NUMBER_RE.test(t)) return hexNumber(t);
  if (/^[+-]?(Inf|inf|Infinity)$/.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  return Number(t);
}

/** A hexadecimal number as R reads it (digits, an optional fraction, a binary exponent), else undefined. */
function hexNumber(t: string): number | undefined {
  const m = HEX_RE.exec(t);
  if (!m || m[2] + (m[3] ?? "") === "") return undefined;
  const fraction = m[3] ?? "";
  const mantissa = parseInt(m[2] + fraction, 16) / 16 ** fraction.length;
  const v = mantissa * 2 ** Number(m[4] ?? 0);
  return m[1] === "-" ? -v : v;
}

/**
 * Type a column of CSV cells as R's read.csv does: numeric when every present
 * cell is a number, text otherwise. Quotes do not make a number text.
 */
export function columnFromText(cells: ArrayLike<string | null | undefined>): Column {
  const n = cells.length;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = cells[i];
    const v = c === null || c === undefined ? NaN : cellNumber(c);
    if (v === undefined) {
      return { kind: "text", values: Array.from(cells, (c) => (c === null || c === undefined || isMissingToken(c) ? null : c)) };
    }
    values[i] = v;
  }
  return { kind: "numeric", values };
}

/**
 * Type a column of JavaScript values by their own types: numbers are numeric;
 * any string makes the column text (a factor in a model, as a character vector
 * in R), and booleans are the text TRUE / FALSE (as R's logicals in a model);
 * missing-value strings among numbers leave the column numeric.
 * null, undefined, NaN and the strings "", "NA", "NaN" are missing.
 */
export function columnFromValues(name: string, cells: ArrayLike<unknown>): Column {
  const n = cells.length;
  let text = false;
  for (let i = 0; i < n; i++) {
    const c = cells[i];
    if (c === null || c === undefined || typeof c === "number") continue;
    if (typeof c === "string") {
      if (!text && !isMissingToken(c)) text = true; // once text, the cells are typed below
    } else if (typeof c === "boolean") text = true;
    else throw new LmmError(`Column ${quote(name)} holds a ${typeof c} at row ${i + 1}: give numbers, strings or booleans.`);
  }
  // Only missing-value strings ("NA", "") among numbers: a numeric column.
  if (!text) return { kind: "numeric", values: Float64Array.from(cells, (c) => (typeof c === "number" ? c : NaN)) };
  const values: (string | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const c = cells[i];
    if (c === null || c === undefined || (typeof c === "number" && Number.isNaN(c))) values[i] = null;
    else if (typeof c === "boolean") values[i] = c ? "TRUE" : "FALSE";
    else if (typeof c === "string") values[i] = isMissingToken(c) ? null : c;
    else values[i] = String(c);
  }
  return { kind: "text", values };
}

function isDataFrame(x: unknown): x is DataFrame {
  return typeof x === "object" && x !== null && (x as DataFrame).columns instanceof Map;
}

/** Build a DataFrame from columns by name, an array of row objects, or a DataFrame. */
export function toDataFrame(input: DataInput): DataFrame {
  if (isDataFrame(input)) return input;
  if (Array.isArray(input)) {
    if (input.length === 0) throw new LmmError("The data has no rows: give at least one row of observations.");
    const names: string[] = [];
    const seen = new Set<string>();
    for (const row of input) {
      if (typeof row !== "object" || row === null) {
        throw new LmmError("The data array must hold row objects such as { y: 1.2, subject: \"a\" }.");
      }
      for (const k of Object.keys(row)) if (!seen.has(k)) (seen.add(k), names.push(k));
    }
    const columns = new Map<string, Column>();
    for (const name of names) columns.set(name, columnFromValues(name, input.map((r) => r[name] ?? null)));
    return { names, columns, nrow: input.length };
  }
  if (typeof input !== "object" || input === null) {
    throw new LmmError("The data must be an object of columns, an array of row objects, or parsed CSV.");
  }
  const names = Object.keys(input);
  if (names.length === 0) throw new LmmError("The data has no columns: give at least a response and a grouping column.");
  const columns = new Map<string, Column>();
  let nrow = -1;
  for (const name of names) {
    const cells = input[name];
    if (cells === null || typeof cells !== "object" || typeof cells.length !== "number") {
      throw new LmmError(`Column ${quote(name)} is not an array: give each column as an array of numbers or strings.`);
    }
    if (nrow >= 0 && cells.length !== nrow) {
      throw new LmmError(`Column ${quote(name)} has ${cells.length} values but the others have ${nrow}: all columns must have the same length.`);
    }
    nrow = cells.length;
    columns.set(name, cells instanceof Float64Array ? { kind: "numeric", values: cells } : columnFromValues(name, cells));
  }
  if (nrow === 0) throw new LmmError("The data has no rows: give at least one row of observations.");
  return { names, columns, nrow };
}
