// The page's side of the fit worker: one fit at a time, as a promise, with
// progress callbacks; cancelling ends the worker (a fit cannot be interrupted
// inside WASM) and the next fit starts a fresh one.
import type { FitFailure, FitProgress, FitReport, FitRequest, WorkerMessage } from "./fit-protocol";

/** A fit that did not give a report: the user's input, our fault, or a cancel. */
export class FitError extends Error {
  constructor(readonly failure: FitFailure | { kind: "cancelled"; message: string }) {
    super(failure.message);
  }
}

interface Pending {
  id: number;
  resolve: (report: FitReport) => void;
  reject: (error: FitError) => void;
  onProgress: (progress: FitProgress) => void;
}

export class FitClient {
  private worker?: Worker;
  private pending?: Pending;
  private nextId = 1;

  /** Fit in the worker; a fit still running is cancelled first. */
  fit(request: Omit<FitRequest, "id">, onProgress: (progress: FitProgress) => void): Promise<FitReport> {
    this.cancel();
    const id = this.nextId++;
    const worker = (this.worker ??= this.startWorker());
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject, onProgress };
      worker.postMessage({ id, ...request } satisfies FitRequest);
    });
  }

  /** Stop the running fit, if any; its promise rejects with kind "cancelled". */
  cancel(): void {
    if (!this.pending) return;
    this.stopWorker({ kind: "cancelled", message: "The fit was cancelled." });
  }

  private startWorker(): Worker {
    const worker = new Worker(new URL("./fit.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<WorkerMessage>) => this.receive(event.data);
    // A worker that fails to load or throws outside a fit would otherwise leave the fit hanging.
    worker.onerror = (event) => {
      event.preventDefault();
      this.stopWorker({ kind: "internal", message: `The fit worker stopped: ${event.message || "it could not be loaded"}.` });
    };
    worker.onmessageerror = () => this.stopWorker({ kind: "internal", message: "The fit worker sent a message the page could not read." });
    return worker;
  }

  private stopWorker(failure: FitError["failure"]): void {
    this.worker?.terminate();
    this.worker = undefined;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(new FitError(failure));
  }

  private receive(message: WorkerMessage): void {
    const pending = this.pending;
    if (!pending || message.id !== pending.id) return;
    if (message.type === "progress") {
      pending.onProgress(message.progress);
      return;
    }
    this.pending = undefined;
    if (message.type === "result") pending.resolve(message.report);
    else pending.reject(new FitError(message.failure));
  }
}
