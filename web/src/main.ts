// The app: data in, model chosen, fit in the worker, results out; the URL
// carries the example, formula, method and factor switches so that a link
// refits the same model.
import { dataPreview, exampleSource, watchFileInputs, type LoadedData } from "./data-source";
import { byId, h } from "./dom";
import { clearError, messageOf, reportUncaughtErrors, showError, showPageError } from "./error-display";
import { EXAMPLES, findExample, type Example } from "./examples";
import { FitClient, FitError } from "./fit-client";
import { sourceName, type DataSource, type FitProgress } from "./fit-protocol";
import { FormulaChecker } from "./formula-checker";
import { ModelForm } from "./model-form";
import { renderResults } from "./results-view";
import { linkTo, readLink } from "./share-link";

reportUncaughtErrors();

const exampleSelect = byId<HTMLSelectElement>("example-select");
const dataError = byId("data-error");
const preview = byId("data-preview");
const fitButton = byId<HTMLButtonElement>("fit-button");
const cancelButton = byId<HTMLButtonElement>("cancel-button");
const progressBar = byId<HTMLProgressElement>("fit-progress");
const status = byId("fit-status");
const shareLink = byId<HTMLAnchorElement>("share-link");
const results = byId("results");

const client = new FitClient();
const form = new ModelForm(new FormulaChecker(), () => void fit());
let data: LoadedData | undefined;
// Only the latest load and the latest fit may change the page.
let loadCount = 0;
let fitCount = 0;

/**
 * Load data from a source (in the fit worker); the formula is the given one,
 * the example's, or written from guessed roles. Loading stops a running fit.
 */
async function useData(source: DataSource, example?: Example, formula?: string, factors?: string[]): Promise<boolean> {
  const load = ++loadCount;
  clearError(dataError);
  preview.replaceChildren(h("p", { class: "muted", id: "data-loading" }, `Reading ${sourceName(source)}…`));
  let loaded: LoadedData;
  try {
    loaded = { summary: await client.load(source), example };
  } catch (error) {
    if (load !== loadCount) return false;
    data = undefined;
    preview.replaceChildren();
    results.hidden = true;
    showError(dataError, messageOf(error));
    return false;
  }
  if (load !== loadCount) return false;
  data = loaded;
  exampleSelect.value = example?.name ?? "";
  preview.replaceChildren(dataPreview(loaded));
  form.setData(loaded.summary, formula ?? example?.formula, factors);
  results.hidden = true;
  return true;
}

function describeProgress(progress: FitProgress, REML: boolean): string {
  if (progress.stage === "inference") return "Optimum found; computing Satterthwaite df and conditional variances…";
  const criterion = REML ? "REML criterion" : "deviance";
  return `Optimising: ${progress.evaluations} evaluations, ${criterion} ${progress.objective.toFixed(3)}`;
}

function setRunning(running: boolean): void {
  fitButton.disabled = running;
  cancelButton.hidden = !running;
  progressBar.hidden = !running;
}

function showLink(example: string | undefined, formula: string, REML: boolean, factors: string[]): void {
  const url = linkTo({ example, formula, REML, factors }, new URL(window.location.href));
  window.history.replaceState(null, "", url);
  shareLink.href = url.href;
  shareLink.textContent = example ? "Link to this fit" : "Link to this formula (the file itself is not in the link)";
  shareLink.hidden = false;
}

async function fit(): Promise<void> {
  if (!data) {
    showError(dataError, "Load data first: choose an example or a CSV file.");
    return;
  }
  const run = ++fitCount;
  if (!(await form.check()) || run !== fitCount) return;
  const { formula, REML, factors } = form;
  showLink(data.example?.name, formula, REML, factors);
  setRunning(true);
  const started = performance.now();
  let latest = "Starting the fit…";
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const tick = () => (status.textContent = `${latest} (${elapsed()})`);
  tick();
  const ticker = window.setInterval(tick, 200);
  try {
    const report = await client.fit(formula, REML, factors, (progress) => {
      latest = describeProgress(progress, REML);
      tick();
    });
    if (run !== fitCount) return;
    await renderResults(results, report);
    if (run !== fitCount) return;
    status.textContent = `Fitted in ${report.seconds.toFixed(2)} s.`;
  } catch (error) {
    if (run !== fitCount) return;
    if (!(error instanceof FitError)) throw error;
    const { failure } = error;
    if (failure.kind === "input") {
      form.showError(failure.message, failure.position);
      status.textContent = "The model could not be fitted: see the message under the formula.";
    } else if (failure.kind === "cancelled") {
      status.textContent = `Cancelled after ${elapsed()}.`;
    } else if (failure.kind === "stopped") {
      status.textContent = `${failure.message} Fit again to start a fresh worker (it reads the data again).`;
    } else {
      status.textContent = "The fit failed.";
      showPageError(failure.message);
    }
  } finally {
    window.clearInterval(ticker);
    if (run === fitCount) setRunning(false);
  }
}

for (const example of EXAMPLES) exampleSelect.append(h("option", { value: example.name }, `${example.name}: ${example.about}`));
exampleSelect.addEventListener("change", () => {
  const example = findExample(exampleSelect.value);
  if (example) void useData(exampleSource(example), example);
});
watchFileInputs(byId<HTMLInputElement>("file-input"), byId("drop-zone"), (file) => void useData({ kind: "file", file }));
fitButton.addEventListener("click", () => void fit());
cancelButton.addEventListener("click", () => client.cancel());

/** A shared link: load its example, show its formula and method, and fit at once. */
async function openLink(): Promise<void> {
  const link = readLink(new URL(window.location.href));
  form.REML = link.REML;
  if (link.example === undefined) {
    if (link.formula !== undefined) form.formula = link.formula;
    return;
  }
  const example = findExample(link.example);
  if (!example) {
    showError(dataError, `The link names an unknown example '${link.example}': choose one of ${EXAMPLES.map((e) => e.name).join(", ")}.`);
    return;
  }
  if (await useData(exampleSource(example), example, link.formula, link.factors)) await fit();
}

openLink().catch(showPageError);
