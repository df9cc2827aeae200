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

/** How the pool gets a chunk's data and hands back its fits. */
export interface ChunkIO {
  chunk(indices: number[]): { features: string[]; values: Float64Array };
  fitted(indices: number[], fits: FeatureFit[]): void;
}

/**
 * Fit the features `todo` (indices) in up to `threads` workers (no more than
 * there are chunks of features); resolves with the number of workers when all
 * are fitted.
 */
export async function runInWorkers(setup: BatchSetup, todo: number[], threads: number, io: ChunkIO): Promise<number> {
  // Small enough chunks to balance the load and report progress, large enough
  // that messages cost nothing next to the fits.
  const size = Math.max(MIN_CHUNK, Math.min(256, Math.ceil(todo.length / (threads * 8))));
  const chunks: number[][] = [];
  for (let k = 0; k < todo.length; k += size) chunks.push(todo.slice(k, k + size));
  const workers = Math.min(threads, chunks.length);
  const ports = await Promise.all(Array.from({ length: workers }, spawn));
  try {
    await new Promise<void>((resolve, reject) => {
      let sent = 0;
      let finished = 0;
      const inFlight = new Map<number, number[]>();
      const send = (port: Port) => {
        if (sent >= chunks.length) return;
        const id = sent++;
        inFlight.set(id, chunks[id]);
        const { features, values } = io.chunk(chunks[id]);
        port.post({ type: "fit", id, features, values }, [values.buffer as ArrayBuffer]);
      };
      for (const port of ports) {
        port.listen(
          (msg) => {
            if (msg.type === "ready") {
              send(port);
              send(port);
            } else if (msg.type === "fitted") {
              io.fitted(inFlight.get(msg.id)!, msg.fits);
              inFlight.delete(msg.id);
              if (++finished === chunks.length) resolve();
              else send(port);
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
  }
  return workers;
}

/** Fewest features in a chunk sent to a worker. */
const MIN_CHUNK = 16;
