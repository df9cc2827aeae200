// Worker threads for a batch: Node's worker_threads or a browser's Web Workers,
// each running worker.js with a WASM instance of its own. Chunks of features go
// to whichever worker is free (two in flight per worker, so none waits on a
// message round trip); results come back per chunk.
import type { DataFrame } from "../data.js";
import type { FeatureFit, FeatureFitterOptions } from "./feature-fitter.js";
import { LmmError } from "../errors.js";
import { IN_NODE } from "../runtime.js";

/** Message to the fitting side: what every worker (or this thread) needs to build the design. */
export interface BatchSetup {
  formula: string;
  samples: DataFrame;
  options: FeatureFitterOptions;
}

/** Messages from worker.js. */
export type FromWorker =
  | { type: "ready" }
  | { type: "fitted"; id: number; fits: FeatureFit[] }
  | { type: "error"; message: string; userError: boolean };

/** Messages to worker.js. */
export type ToWorker =
  | { type: "setup"; setup: BatchSetup }
  | { type: "fit"; id: number; features: string[]; values: Float64Array };

/** The part of a worker the pool uses, the same for Node and browsers. */
interface Port {
  post(msg: ToWorker, transfer?: ArrayBuffer[]): void;
  listen(onMessage: (msg: FromWorker) => void, onError: (e: Error) => void): void;
  terminate(): void;
}

/** In a variable, so that bundlers leave Node's module out of a browser build. */
export const NODE_WORKER_THREADS = "node:worker_threads";

async function spawn(): Promise<Port> {
  if (IN_NODE) {
    const { Worker }: typeof import("node:worker_threads") = await import(/* @vite-ignore */ /* webpackIgnore: true */ NODE_WORKER_THREADS);
    const w = new Worker(new URL("./worker.js", import.meta.url));
    return {
      post: (msg, transfer) => w.postMessage(msg, transfer),
      listen: (onMessage, onError) => {
        w.on("message", onMessage);
        w.on("error", onError);
      },
      terminate: () => void w.terminate(),
    };
  }
  // Written out in full: bundlers (Vite, webpack) recognise this form and emit the worker.
  const w = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  return {
    post: (msg, transfer) => w.postMessage(msg, transfer ?? []),
    listen: (onMessage, onError) => {
      w.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
      w.onerror = (e: ErrorEvent) => onError(new Error(e.message));
    },
    terminate: () => w.terminate(),
  };
}

/** A chunk of features for one worker: their indices in the batch, ids and values (features x sample rows). */
export interface WorkChunk {
  indices: number[];
  features: string[];
  /** Its own buffer: it is transferred to the worker, not copied. */
  values: Float64Array;
}

/**
 * Fit the chunks in up to `threads` workers, pulling the next chunk whenever a
 * worker has fewer than two in flight (so a streamed source is read only as
 * fast as the fits take it); `fitted` gets each chunk's fits as they come back.
 * Resolves with the number of workers when every chunk is fitted.
 */
export async function runInWorkers(
  setup: BatchSetup,
  chunks: AsyncIterator<WorkChunk>,
  threads: number,
  fitted: (indices: number[], fits: FeatureFit[]) => void,
): Promise<number> {
  const ports = await Promise.all(Array.from({ length: threads }, spawn));
  try {
    await new Promise<void>((resolve, reject) => {
      let sent = 0;
      let exhausted = false;
      const inFlight = new Map<number, number[]>();
      const send = async (port: Port) => {
        if (exhausted) return;
        const next = await chunks.next();
        if (next.done) {
          exhausted = true;
          if (inFlight.size === 0) resolve();
          return;
        }
        const id = sent++;
        const { indices, features, values } = next.value;
        inFlight.set(id, indices);
        port.post({ type: "fit", id, features, values }, [values.buffer as ArrayBuffer]);
      };
      const sendOrFail = (port: Port) => void send(port).catch(reject);
      for (const port of ports) {
        port.listen(
          (msg) => {
            if (msg.type === "ready") {
              sendOrFail(port);
              sendOrFail(port);
            } else if (msg.type === "fitted") {
              fitted(inFlight.get(msg.id)!, msg.fits);
              inFlight.delete(msg.id);
              if (exhausted && inFlight.size === 0) resolve();
              else sendOrFail(port);
            } else {
              reject(msg.userError ? new LmmError(msg.message) : new Error(`batch worker failed: ${msg.message}`));
            }
          },
          (e) => reject(new Error(`batch worker failed: ${e.message}`)),
        );
        port.post({ type: "setup", setup });
      }
    });
  } finally {
    for (const port of ports) port.terminate();
    // A failed batch stops its source too (a file reader closes its query).
    await chunks.return?.();
  }
  return threads;
}
