// Formula checks, off the page's thread: expanding a formula can take without
// bound (a power such as (a + b)^99999999999 in a shared link), and the page
// must stay responsive whatever is typed or linked. The page stops a check
// that runs too long (formula-checker.ts).
import { parseFormula } from "lmm-wasm";
import type { CheckRequest, CheckWorkerMessage } from "./fit-protocol";
import { rolesFromFormula } from "./roles";
import { failureOf, serve } from "./worker-common";

const post = (message: CheckWorkerMessage) => self.postMessage(message);

serve<CheckRequest>(post, ({ id, formula, columns }) => {
  try {
    const parsed = parseFormula(formula);
    post({ type: "checked", id, roles: columns ? rolesFromFormula(parsed, columns) : undefined });
  } catch (error) {
    post({ type: "error", id, failure: failureOf(error) });
  }
});
