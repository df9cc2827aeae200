// Where the data come from: a bundled example, the file picker, or a file
// dropped on the page. The fit worker reads and parses them (data-reader.ts);
// the page shows the summary it sends back.
import { h, textTable } from "./dom";
import type { Example } from "./examples";
import type { DataSource, DataSummary } from "./fit-protocol";

/** Loaded data as the page knows them, and the example they came from (if they did). */
export interface LoadedData {
  summary: DataSummary;
  example?: Example;
}

export function exampleSource(example: Example): DataSource {
  // The worker's own address is not the page's: give it the example's in full.
  return { kind: "example", name: example.name, url: new URL(example.url, window.location.href).href };
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

/** The data's size and its first rows, each column headed by its name and type. */
export function dataPreview(data: LoadedData): HTMLElement {
  const { summary, example } = data;
  const { names, columns, nrow, preview } = summary;
  const header = names.map((name) => `${name} (${columns.get(name)!.kind})`);
  const numeric = names.map((name) => columns.get(name)!.kind === "numeric");
  return h(
    "div",
    { class: "preview" },
    h("p", {}, h("strong", {}, summary.name), `: ${nrow} rows, ${names.length} columns`, example ? ` (${example.about})` : ""),
    h("div", { class: "table-scroll" }, textTable(header, preview, numeric)),
    nrow > preview.length ? h("p", { class: "muted" }, `First ${preview.length} of ${nrow} rows.`) : null,
  );
}
