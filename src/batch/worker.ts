// A batch worker (Node worker_threads or a browser Web Worker): builds the
// shared design once from the setup message, then fits the chunks it is sent.
import { LmmError } from "../errors.js";
import { parseFormula } from "../formula.js";
import { FeatureFitter } from "./feature-fitter.js";
import { NODE_WORKER_THREADS, type FromWorker, type ToWorker } from "./pool.js";
import { IN_NODE } from "../runtime.js";

interface WorkerSide {
  post(msg: FromWorker): void;
  listen(onMessage: (msg: ToWorker) => void): void;
}

async function connect(): Promise<WorkerSide> {
  if (IN_NODE) {
    const { parentPort }: typeof import("node:worker_threads") = await import(/* @vite-ignore */ /* webpackIgnore: true */ NODE_WORKER_THREADS);
    if (!parentPort) throw new Error("worker.js runs only as a worker thread");
    return { post: (msg) => parentPort.postMessage(msg), listen: (on) => parentPort.on("message", on) };
  }
  const scope = globalThis as unknown as { postMessage(m: unknown): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
  return { post: (msg) => scope.postMessage(msg), listen: (on) => (scope.onmessage = (e) => on(e.data)) };
}

const side = await connect();
let fitter: Promise<FeatureFitter> | undefined;
// Chunks are fitted one after another, in the order they arrive.
let queue: Promise<void> = Promise.resolve();

side.listen((msg) => {
  queue = queue.then(async () => {
    try {
      if (msg.type === "setup") {
        fitter = FeatureFitter.create(parseFormula(msg.setup.formula), msg.setup.samples, msg.setup.options);
        await fitter;
        side.post({ type: "ready" });
      } else {
        const f = await fitter!;
        const n = msg.values.length / msg.features.length;
        const fits = [];
        for (let k = 0; k < msg.features.length; k++) fits.push(await f.fit(msg.features[k], msg.values.subarray(k * n, (k + 1) * n)));
        side.post({ type: "fitted", id: msg.id, fits });
      }
    } catch (e) {
      side.post({ type: "error", message: (e as Error).message, userError: e instanceof LmmError });
    }
  });
});
