// Where the data come from: a bundled example, the file picker, or a file
// dropped on the page. Every source ends in parseCSV, the library's browser path.
import { parseCSV, type DataFrame } from "lmm-wasm";
import { h, textTable } from "./dom";
import type { Example } from "./examples";

/** A parsed data set, its name, and the example it came from (if it did). */
export interface LoadedData {
  frame: DataFrame;
  name: string;
  example?: Example;
}

export async function loadExample(example: Example): Promise<LoadedData> {
  let text: string;
  try {
    const response = await fetch(example.url);
    if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText}`);
    text = await response.text();
  } catch (error) {
    throw new Error(`The example '${example.name}' could not be fetched (${(error as Error).message}).`);
  }
  return { frame: parseCSV(text), name: example.name, example };
}

export async function loadFile(file: File): Promise<LoadedData> {
  let text: string;
  try {
    text = await file.text();
  } catch (error) {
    throw new Error(`The file '${file.name}' could not be read (${(error as Error).message}).`);
  }
  return { frame: parseCSV(text), name: file.name };
}

/**
 * Call `load` with the file the user picks or drops. A file dropped outside the
 * drop zone is caught too: the browser would otherwise leave the app to show it.
 */
export function watchFileInputs(input: HTMLInputElement, dropZone: HTMLElement, load: (file: File) => void): void {
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    if (file) load(file);
    input.value = ""; // picking the same file again is a new load
  });
  for (const type of ["dragenter", "dragover"] as const) {
    window.addEventListener(type, (event) => {
      event.preventDefault();
      dropZone.classList.add("dragging");
    });
  }
  window.addEventListener("dragleave", (event) => {
    if (event.relatedTarget === null) dropZone.classList.remove("dragging");
  });
  window.addEventListener("drop", (event) => {
    event.preventDefault();
    dropZone.classList.remove("dragging");
    const file = event.dataTransfer?.files[0];
    if (file) load(file);
  });
}

const PREVIEW_ROWS = 6;

/** The data's size and its first rows, each column headed by its name and type. */
export function dataPreview(data: LoadedData): HTMLElement {
  const { frame } = data;
  const cell = (name: string, row: number) => {
    const col = frame.columns.get(name)!;
    const v = col.values[row];
    return v === null || Number.isNaN(v) ? "NA" : String(v);
  };
  const shown = Math.min(PREVIEW_ROWS, frame.nrow);
  const rows = Array.from({ length: shown }, (_, r) => frame.names.map((name) => cell(name, r)));
  const header = frame.names.map((name) => `${name} (${frame.columns.get(name)!.kind})`);
  const numeric = frame.names.map((name) => frame.columns.get(name)!.kind === "numeric");
  return h(
    "div",
    { class: "preview" },
    h("p", {}, h("strong", {}, data.name), `: ${frame.nrow} rows, ${frame.names.length} columns`, data.example ? ` (${data.example.about})` : ""),
    h("div", { class: "table-scroll" }, textTable(header, rows, numeric)),
    frame.nrow > shown ? h("p", { class: "muted" }, `First ${shown} of ${frame.nrow} rows.`) : null,
  );
}
