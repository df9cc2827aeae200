// Reading data in the fit worker: a bundled example (fetched) or the user's
// file (read from its handle), parsed by parseCSV, the library's browser path.
// A 50 MB file takes seconds to parse, which would block the page: here it
// blocks only the worker, and the page gets a summary of a few rows.
import { parseCSV, type DataFrame } from "lmm-wasm";
import type { DataSource, DataSummary } from "./fit-protocol";

export async function readData(source: DataSource): Promise<DataFrame> {
  let text: string;
  if (source.kind === "example") {
    try {
      const response = await fetch(source.url);
      if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText}`);
      text = await response.text();
    } catch (error) {
      throw new Error(`The example '${source.name}' could not be fetched (${(error as Error).message}).`);
    }
  } else {
    try {
      text = await source.file.text();
    } catch (error) {
      throw new Error(`The file '${source.file.name}' could not be read (${(error as Error).message}).`);
    }
  }
  return parseCSV(text);
}

const PREVIEW_ROWS = 6;

/** The data's size, column names and types, and first rows as text (NA for missing). */
export function summarize(frame: DataFrame, name: string): DataSummary {
  const cell = (column: string, row: number) => {
    const v = frame.columns.get(column)!.values[row];
    return v === null || Number.isNaN(v) ? "NA" : String(v);
  };
  const preview = Array.from({ length: Math.min(PREVIEW_ROWS, frame.nrow) }, (_, r) => frame.names.map((n) => cell(n, r)));
  const columns = new Map(frame.names.map((n) => [n, { kind: frame.columns.get(n)!.kind }]));
  return { name, nrow: frame.nrow, names: frame.names, columns, preview };
}
