// The fit worker: it reads and parses the data and fits models to them, off
// the page's thread, so the page stays responsive while a large file is parsed
// and during long fits; it reports the optimiser's progress as it goes. The
// data stay here: only a summary goes to the page, and no fit copies them over.
import { lmer, parseFormula, type DataFrame } from "lmm-wasm";
import { readData, summarize } from "./data-reader";
import { buildReport } from "./fit-report";
import { sourceName, type FitProgress, type FitRequest, type FitWorkerMessage, type FitWorkerRequest, type LoadRequest } from "./fit-protocol";
import { rolesFromFormula, withFactors } from "./roles";
import { failureOf, serve } from "./worker-common";

/** Progress messages at most this often: a fast fit evaluates thousands of times a second. */
const PROGRESS_INTERVAL_MS = 100;

const post = (message: FitWorkerMessage, transfer: Transferable[] = []) => self.postMessage(message, { transfer });

/** The data loaded last, with their name: a fit waits for a load still running. */
let data: Promise<{ frame: DataFrame; name: string }> | undefined;

async function load({ id, source }: LoadRequest): Promise<void> {
  const name = sourceName(source);
  data = readData(source).then((frame) => ({ frame, name }));
  const { frame } = await data;
  post({ type: "loaded", id, summary: summarize(frame, name) });
}

async function fit({ id, formula, REML, factors }: FitRequest): Promise<void> {
  if (!data) throw new Error("no data were loaded before the fit");
  const { frame, name } = await data;
  const started = performance.now();
  let lastReport = -Infinity;
  const progress = (p: FitProgress) => post({ type: "progress", id, progress: p });
  const m = await lmer(formula, frame, {
    REML,
    dataName: name,
    ...(factors.length ? { factors } : {}),
    onProgress: ({ evaluations, objective }) => {
      const now = performance.now();
      if (now - lastReport < PROGRESS_INTERVAL_MS) return;
      lastReport = now;
      progress({ stage: "optimizing", evaluations, objective });
    },
  });
  progress({ stage: "inference" });
  const roles = rolesFromFormula(parseFormula(formula), withFactors(frame, factors));
  const report = buildReport(m, frame, name, roles, (performance.now() - started) / 1000);
  const moved = [report.fitted, report.residuals, ...report.caterpillars.flatMap((c) => [c.modes, c.sd])].map((a) => a.buffer);
  post({ type: "result", id, report }, moved);
}

serve<FitWorkerRequest>(post, (request) => {
  (request.type === "load" ? load(request) : fit(request)).catch((error: unknown) =>
    post({ type: "error", id: request.id, failure: failureOf(error) }),
  );
});
