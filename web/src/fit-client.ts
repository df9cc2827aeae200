// The page's side of the fit worker: one request at a time (a load or a fit),
// as a promise, with progress callbacks. Cancelling ends the worker (a fit
// cannot be interrupted inside WASM); so does a new load. A fresh worker is
// given the data loaded last before anything else, so a cancelled fit or a
// worker that died costs a re-read of the file, never the user's data; a
// worker that dies (see watch-worker.ts) fails the request it was serving.
import type {
  DataSource,
  DataSummary,
  FitFailure,
  FitProgress,
  FitReport,
  FitRequest,
  FitWorkerMessage,
  FitWorkerRequest,
  LoadRequest,
} from "./fit-protocol";
import { watchWorker } from "./watch-worker";

/** A request that did not give its answer: the user's input, our fault, a cancel, or a worker that stopped. */
export class FitError extends Error {
  constructor(readonly failure: FitFailure | { kind: "cancelled" | "stopped"; message: string }) {
    super(failure.message);
  }
}

interface Pending {
  id: number;
  settle: (message: Extract<FitWorkerMessage, { type: "loaded" | "result" }>) => void;
  reject: (error: FitError) => void;
  onProgress?: (progress: FitProgress) => void;
}

type Request = Omit<LoadRequest, "id"> | Omit<FitRequest, "id">;

export class FitClient {
  private worker?: { post: (request: FitWorkerRequest) => void; end: () => void };
  private pending?: Pending;
  private nextId = 1;
  /** The data loaded last, given again to each fresh worker. */
  private source?: DataSource;

  /** Read and parse the data in the worker; what runs there is stopped first. */
  async load(source: DataSource): Promise<DataSummary> {
    this.cancel();
    this.source = undefined;
    const { summary } = await this.send<{ type: "loaded"; summary: DataSummary }>({ type: "load", source });
    this.source = source;
    return summary;
  }

  /** Fit to the data loaded last (`factors`: numeric columns as factors); a fit still running is cancelled first. */
  async fit(formula: string, REML: boolean, factors: string[], onProgress: (progress: FitProgress) => void): Promise<FitReport> {
    this.cancel();
    const { report } = await this.send<{ type: "result"; report: FitReport }>({ type: "fit", formula, REML, factors }, onProgress);
    return report;
  }

  /** Stop the running request, if any; its promise rejects with kind "cancelled". */
  cancel(): void {
    if (!this.pending) return;
    this.worker?.end();
    this.worker = undefined;
    this.rejectPending({ kind: "cancelled", message: "The fit was cancelled." });
  }

  private send<T>(request: Request, onProgress?: (progress: FitProgress) => void): Promise<T> {
    const id = this.nextId++;
    const worker = (this.worker ??= this.startWorker());
    return new Promise<T>((resolve, reject) => {
      this.pending = { id, settle: (message) => resolve(message as T), reject, onProgress };
      worker.post({ ...request, id } as FitWorkerRequest);
    });
  }

  private startWorker(): NonNullable<FitClient["worker"]> {
    const worker = new Worker(new URL("./fit.worker.ts", import.meta.url), { type: "module" });
    const end = watchWorker<Exclude<FitWorkerMessage, { type: "alive" }>>(worker, {
      role: "fit worker",
      message: (message) => this.receive(message),
      stopped: (why) => {
        this.worker = undefined;
        this.rejectPending({ kind: "stopped", message: why });
      },
    });
    // The reply to this load has no pending request: the page has these data's summary already.
    if (this.source) worker.postMessage({ type: "load", id: 0, source: this.source } satisfies FitWorkerRequest);
    return { post: (request) => worker.postMessage(request), end };
  }

  private rejectPending(failure: FitError["failure"]): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(new FitError(failure));
  }

  private receive(message: Exclude<FitWorkerMessage, { type: "alive" }>): void {
    const pending = this.pending;
    if (!pending || message.id !== pending.id) return;
    if (message.type === "progress") {
      pending.onProgress?.(message.progress);
      return;
    }
    this.pending = undefined;
    if (message.type === "error") pending.reject(new FitError(message.failure));
    else pending.settle(message);
  }
}
