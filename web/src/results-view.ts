// The results of a fit: lme4's summary as tables, the figures, and the
// downloads of both.
import type { EmmRow, SummaryTable } from "lmm-wasm";
import { h, textTable } from "./dom";
import { download, fixedEffectsCSV, modelJSON, pngBlob, questionsCSV, randomEffectsCSV, svgBlob } from "./downloads";
import { showPageError } from "./error-display";
import type { FitReport, Questions } from "./fit-protocol";
import { figuresFor, meansFigure, type Figure } from "./plots";

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

/** A number as emmeans prints it: p-values to 4 decimals, the rest to 4 significant digits. */
function emmCell(column: string, value: string | number): string {
  if (typeof value !== "number") return value;
  if (column === "p.value") return value < 1e-4 ? "<.0001" : value.toFixed(4);
  return String(Number(value.toPrecision(4)));
}

/** Rows of emmeans or their comparisons as a table, emmeans' column names as its header. */
function emmTable(rows: EmmRow[], id: string): HTMLElement {
  const header = Object.keys(rows[0]);
  const t = textTable(header, rows.map((row) => header.map((c) => emmCell(c, row[c]))), header.map((c) => typeof rows[0][c] === "number"));
  t.id = id;
  return h("div", { class: "table-scroll" }, t);
}

/** The answers to the longitudinal questions: one plain sentence each, with the figure and tables they come from. */
function questionsSection(report: FitReport, stem: string): HTMLElement | null {
  const q = report.questions;
  if (!q) return null;
  const section = (...children: (HTMLElement | null)[]) => h("section", { class: "card questions", id: "questions" }, h("h3", {}, "Questions"), ...children);
  if (q.kind === "refused") return section(h("p", { class: "muted" }, `Not answered for this model: ${q.message}`));
  const { time, group } = q.roles;
  const answer = (key: keyof Questions["sentences"]) => h("p", { class: "answer", "data-question": key }, q.sentences[key]);
  return section(
    h(
      "div",
      { class: "toolbar" },
      button("Questions CSV", () => download(questionsCSV(report), `${stem}-questions.csv`), { id: "download-questions-csv" }),
    ),
    h("h4", {}, `1. The mean trajectory of each ${group}`),
    answer("trajectory"),
    figureCard(meansFigure(q), stem),
    h("h4", {}, `2. The ${group} differences at chosen ${time}`),
    answer("differences"),
    emmTable(q.differences.rows, "questions-differences"),
    h("h4", {}, `3. The slope of ${time} in each ${group}, and their differences`),
    answer("slopes"),
    emmTable(q.slopes, "questions-slopes"),
    q.slopeDifferences.rows.length ? emmTable(q.slopeDifferences.rows, "questions-slope-differences") : null,
    h("h4", {}, `4. Do the trajectories differ? The ${time} × ${group} test`),
    answer("interaction"),
    h("h4", {}, "5. ICC and R²"),
    answer("variance"),
    h("p", { class: "muted" }, q.notes.join(". ") + "."),
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
    questionsSection(report, stem),
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
