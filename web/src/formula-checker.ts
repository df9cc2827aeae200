// The page's side of the formula worker: one check at a time, the latest
// formula waiting behind it (a check it replaces is dropped). A check that
// takes longer than CHECK_TIMEOUT_MS has run away: its worker is ended and the
// formula is reported as too large to expand.
import type { CheckRequest, CheckWorkerMessage, FitFailure } from "./fit-protocol";
import type { ColumnTypes, Roles } from "./roles";
import { watchWorker } from "./watch-worker";

/** Checking a formula of a few thousand terms takes milliseconds: one still running after this never ends. */
const CHECK_TIMEOUT_MS = 3000;

/** The outcome of a check: the roles read from the formula, or why it is not a formula. */
export type CheckResult = { ok: true; roles?: Roles } | { ok: false; failure: FitFailure };

interface Check {
  formula: string;
  columns?: ColumnTypes;
  result: Promise<CheckResult>;
  resolve: (result: CheckResult) => void;
}

type Reply = Exclude<CheckWorkerMessage, { type: "alive" }>;

export class FormulaChecker {
  private worker?: { post: (request: CheckRequest) => void; end: () => void; alive: boolean };
  private running?: Check & { id: number; timer?: number };
  private waiting?: Check;
  private nextId = 1;

  /** Check `formula`; the same formula and columns as the check running or waiting share its result. */
  check(formula: string, columns?: ColumnTypes): Promise<CheckResult> {
    for (const c of [this.running, this.waiting]) if (c && c.formula === formula && c.columns === columns) return c.result;
    let resolve!: (result: CheckResult) => void;
    const result = new Promise<CheckResult>((r) => (resolve = r));
    // A check replaced before it started is dropped: nobody waits for a formula no longer in the input.
    this.waiting?.resolve({ ok: false, failure: { kind: "internal", message: "superseded by a newer formula" } });
    this.waiting = { formula, columns, result, resolve };
    if (!this.running) this.startNext();
    return result;
  }

  private startNext(): void {
    const check = this.waiting;
    this.waiting = undefined;
    if (!check) return;
    const worker = (this.worker ??= this.startWorker());
    this.running = { ...check, id: this.nextId++ };
    worker.post({ id: this.running.id, formula: check.formula, columns: check.columns });
    if (worker.alive) this.startTimer();
  }

  /** The clock runs from when the worker is up: its start-up is not the formula's fault. */
  private startTimer(): void {
    const running = this.running;
    if (!running) return;
    running.timer = window.setTimeout(() => {
      this.worker?.end();
      this.worker = undefined;
      this.finish({
        ok: false,
        failure: {
          kind: "input",
          message: `Checking this formula was stopped after ${CHECK_TIMEOUT_MS / 1000} s: it expands to too many terms (is a term raised to a huge power with ^?).`,
        },
      });
    }, CHECK_TIMEOUT_MS);
  }

  private finish(result: CheckResult): void {
    const running = this.running!;
    window.clearTimeout(running.timer);
    this.running = undefined;
    running.resolve(result);
    this.startNext();
  }

  private startWorker(): NonNullable<FormulaChecker["worker"]> {
    const worker = new Worker(new URL("./formula.worker.ts", import.meta.url), { type: "module" });
    const handle = {
      post: (request: CheckRequest) => worker.postMessage(request),
      alive: false,
      end: watchWorker<Reply>(worker, {
        role: "formula checker",
        message: (reply) => {
          if (reply.id !== this.running?.id) return;
          this.finish(reply.type === "checked" ? { ok: true, roles: reply.roles } : { ok: false, failure: reply.failure });
        },
        alive: () => {
          handle.alive = true;
          this.startTimer();
        },
        stopped: (why) => {
          this.worker = undefined;
          if (this.running) this.finish({ ok: false, failure: { kind: "internal", message: why } });
        },
      }),
    };
    return handle;
  }
}
