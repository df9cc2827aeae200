// The fit runs here, off the page's thread, so the page stays responsive
// during long fits; it reports the optimiser's progress as it goes.
import { lmer, LmmError, parseFormula } from "lmm-wasm";
import { buildReport } from "./fit-report";
import type { FitFailure, FitProgress, FitRequest, WorkerMessage } from "./fit-protocol";
import { rolesFromFormula } from "./roles";

/** Progress messages at most this often: a fast fit evaluates thousands of times a second. */
const PROGRESS_INTERVAL_MS = 100;

const post = (message: WorkerMessage) => self.postMessage(message);

function failure(error: unknown): FitFailure {
  if (error instanceof LmmError) return { kind: "input", message: error.message, position: error.position };
  return { kind: "internal", message: error instanceof Error ? error.message : String(error) };
}

async function fit({ id, data, dataName, formula, REML }: FitRequest): Promise<void> {
  const started = performance.now();
  let lastReport = -Infinity;
  const progress = (p: FitProgress) => post({ type: "progress", id, progress: p });
  const m = await lmer(formula, data, {
    REML,
    dataName,
    onProgress: ({ evaluations, objective }) => {
      const now = performance.now();
      if (now - lastReport < PROGRESS_INTERVAL_MS) return;
      lastReport = now;
      progress({ stage: "optimizing", evaluations, objective });
    },
  });
  progress({ stage: "inference" });
  const roles = rolesFromFormula(parseFormula(formula), data);
  const report = buildReport(m, data, dataName, roles, (performance.now() - started) / 1000);
  post({ type: "result", id, report });
}

self.onmessage = (event: MessageEvent<FitRequest>) => {
  fit(event.data).catch((error: unknown) => post({ type: "error", id: event.data.id, failure: failure(error) }));
};
