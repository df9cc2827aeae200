// The results of a fit: lme4's summary as tables, the figures, and the
// downloads of both.
import type { SummaryTable } from "lmm-wasm";
import { h, textTable } from "./dom";
import { download, fixedEffectsCSV, modelJSON, pngBlob, randomEffectsCSV, svgBlob } from "./downloads";
import { showPageError } from "./error-display";
import type { FitReport } from "./fit-protocol";
import { figuresFor, type Figure } from "./plots";

function button(label: string, onClick: () => void | Promise<void>, attributes: Record<string, string> = {}): HTMLButtonElement {
  const b = h("button", { type: "button", ...attributes }, label);
  b.addEventListener("click", () => Promise.resolve(onClick()).catch(showPageError));
  return b;
}

function summaryTable(table: SummaryTable, id: string): HTMLElement {
  const t = textTable(table.header, table.rows, table.leftAlign.map((left) => !left));
  t.id = id;
  return h("div", { class: "table-scroll" }, t, table.footnote ? h("p", { class: "muted" }, table.footnote) : null);
}

function fileStem(report: FitReport): string {
  return report.dataName.replace(/\.[^.]*$/, "").replace(/[^A-Za-z0-9_-]+/g, "_") || "fit";
}

function describeFit(report: FitReport): HTMLElement {
  const { json } = report;
  const method = json.REML ? "REML" : "maximum likelihood";
  const ddf = json.satterthwaite ? "; t-tests use Satterthwaite's method" : "";
  const groups = Object.entries(json.ngrps).map(([g, n]) => `${g}, ${n}`).join("; ");
  return h(
    "div",
    { class: "fit-description" },
    h("p", {}, `Linear mixed model fit by ${method}${ddf}.`),
    h("p", {}, "Formula: ", h("code", {}, json.formula), ` · Data: ${report.dataName}`),
    h("p", {}, `Number of obs: ${json.nobs}, groups: ${groups} · ${json.convergence.evaluations} evaluations, ${report.seconds.toFixed(2)} s`),
  );
}

function figureCard(figure: Figure, stem: string): HTMLElement {
  const name = `${stem}-${figure.id}`;
  return h(
    "figure",
    { class: "card plot", id: `plot-${figure.id}` },
    h("figcaption", {}, h("h3", {}, figure.title), figure.note ? h("p", { class: "muted" }, figure.note) : null),
    figure.svg,
    h(
      "div",
      { class: "toolbar" },
      button("SVG", () => download(svgBlob(figure.svg), `${name}.svg`), { "data-download": "svg" }),
      button("PNG", async () => download(await pngBlob(figure.svg), `${name}.png`), { "data-download": "png" }),
    ),
  );
}

/**
 * Show the results: the tables at once, then the figures one per task. A
 * large fit's figure takes a few hundred ms to draw; between them the page
 * paints and answers input. Resolves when all are drawn (or the results were replaced).
 */
export async function renderResults(container: HTMLElement, report: FitReport): Promise<void> {
  const stem = fileStem(report);
  const { tables, json } = report;
  const plots = h("div", { class: "plots" });
  const parts = [
    h("h2", {}, "3. Results"),
    describeFit(report),
    h(
      "div",
      { class: "toolbar" },
      h("span", { class: "muted" }, "Download: "),
      button("JSON", () => download(modelJSON(report), `${stem}-fit.json`), { id: "download-json" }),
      button("Fixed effects CSV", () => download(fixedEffectsCSV(report), `${stem}-fixed-effects.csv`), { id: "download-fixef-csv" }),
      button("Random effects CSV", () => download(randomEffectsCSV(report), `${stem}-random-effects.csv`), { id: "download-ranef-csv" }),
    ),
    json.messages.length ? h("ul", { class: "messages" }, ...json.messages.map((m) => h("li", {}, m))) : null,
    h(
      "div",
      { class: "tables" },
      h("section", { class: "card" }, h("h3", {}, "Fixed effects"), summaryTable(tables.fixed, "fixed-effects")),
      h("section", { class: "card" }, h("h3", {}, "Random effects"), summaryTable(tables.random, "random-effects")),
      h("section", { class: "card" }, h("h3", {}, "Fit"), summaryTable(tables.fit, "fit-criteria")),
    ),
    h("details", { class: "card" }, h("summary", {}, "lme4's summary as text"), h("pre", { id: "summary-text" }, report.summary)),
    plots,
  ];
  container.replaceChildren(...parts.filter((part) => part !== null));
  container.hidden = false;
  for (const draw of figuresFor(report)) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (!plots.isConnected) return;
    plots.append(figureCard(draw(), stem));
  }
}
