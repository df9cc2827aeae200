// CSV text to a DataFrame. Parsing (quotes, delimiters, line endings) is
// papaparse's; typing the columns follows R's read.csv (see data.ts).
import Papa from "papaparse";
import { columnFromText, type Column, type DataFrame } from "./data.js";
import { LmmError, quote } from "./errors.js";
import { IN_NODE } from "./runtime.js";

/** Parse CSV (or TSV: the delimiter is detected) text with a header row. */
export function parseCSV(text: string): DataFrame {
  if (text.trim() === "") throw new LmmError("The CSV file is empty: it needs a header row and at least one row of data.");
  const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ""), { skipEmptyLines: "greedy", dynamicTyping: false });
  const bad = parsed.errors.find((e) => e.type !== "Delimiter");
  if (bad) {
    const where = bad.row !== undefined ? ` at data row ${bad.row + 1}` : "";
    throw new LmmError(`The CSV could not be read${where}: ${bad.message}. Check its quoting and that every row has the same number of fields.`);
  }
  const rows = parsed.data;
  const header = rows[0].map((h) => h.trim());
  if (rows.length < 2) throw new LmmError("The CSV has a header but no data rows: add at least one row of observations.");
  const width = header.length;
  for (let r = 1; r < rows.length; r++) {
    if (rows[r].length !== width) {
      throw new LmmError(`CSV row ${r + 1} has ${rows[r].length} fields but the header has ${width}: every row needs one value per column.`);
    }
  }
  const seen = new Set<string>();
  header.forEach((h, j) => {
    if (h === "") throw new LmmError(`CSV column ${j + 1} has an empty name: give every column a header.`);
    if (seen.has(h)) throw new LmmError(`The CSV has two columns named ${quote(h)}: column names must be unique.`);
    seen.add(h);
  });
  const columns = new Map<string, Column>();
  header.forEach((name, j) => columns.set(name, columnFromText(rows.slice(1).map((row) => row[j]))));
  return { names: header, columns, nrow: rows.length - 1 };
}

/**
 * CSV text of rows, each line ended by "\n": papaparse's quoting, and a text cell
 * that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR)
 * prefixed with a single quote, as OWASP recommends against CSV injection.
 * Numbers stay numbers; null and undefined are empty cells.
 */
export function formatCSV(rows: unknown[][]): string {
  if (rows.length === 0) return "";
  let text = "";
  for (const row of rows) text += row.map(csvCell).join(",") + "\n";
  return text;
}

/** papaparse's escapeFormulae pattern (a newline after the first character keeps a cell as it is, as there). */
const FORMULA = /^[=+\-@\t\r].*$/;
/** What makes a cell quoted: a line break, a quote, the delimiter or a byte-order mark. */
const NEEDS_QUOTES = /[\r\n",\uFEFF]/;

/**
 * One cell as papaparse's unparse writes it (delimiter ",", escapeFormulae),
 * without its per-cell overhead: a batch writes 10^5-10^6 rows. Numbers and
 * booleans are their text, which never needs quotes.
 */
function csvCell(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "" : value.toISOString();
  let text = String(value);
  let quoted = false;
  if (FORMULA.test(text)) {
    text = "'" + text;
    quoted = true;
  }
  const escaped = text.replace(/"/g, '""');
  quoted ||= NEEDS_QUOTES.test(text) || text.startsWith(" ") || text.endsWith(" ");
  return quoted ? `"${escaped}"` : escaped;
}

// A specifier in a variable keeps bundlers (Vite, webpack, esbuild) from
// resolving node:fs for a browser build: readCSV never reaches it there.
const NODE_FS = "node:fs/promises";

/** Read a CSV file in Node. In a browser, fetch the text (or read the File) and call parseCSV. */
export async function readCSV(path: string): Promise<DataFrame> {
  return parseCSV(await readTextFile(path));
}

/** A text file's contents in Node, or an error that names the path and the problem. */
export async function readTextFile(path: string): Promise<string> {
  if (!IN_NODE) {
    throw new LmmError("Files can be read in Node only: in a browser, pass the CSV text to parseCSV (from fetch or File.text()).");
  }
  const { readFile }: typeof import("node:fs/promises") = await import(/* @vite-ignore */ /* webpackIgnore: true */ NODE_FS);
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : String((e as Error).message);
    throw new LmmError(`Cannot read ${quote(path)} (${why}): give the path of a CSV file.`);
  }
}
