// The page's watch on a worker: however it stops short of our terminate() (an
// uncaught error, a message the page cannot read, or killed without a word,
// e.g. for memory), `stopped` is called once with a message for the user, so
// that nothing waits for an answer from a worker that is gone.
import type { Alive } from "./fit-protocol";

export interface WorkerWatch<M> {
  /** What the worker is, in messages: "fit worker". */
  role: string;
  message(message: M): void;
  /** The worker has started and (where there are Web Locks) is watched. */
  alive?(): void;
  stopped(why: string): void;
}

/** Watch `worker`; the function returned ends it without calling `stopped`. */
export function watchWorker<M>(worker: Worker, watch: WorkerWatch<M>): () => void {
  let ended = false;
  const end = (why: string) => {
    if (ended) return;
    ended = true;
    worker.terminate();
    watch.stopped(why);
  };
  worker.onmessage = (event: MessageEvent<M | Alive>) => {
    if (ended) return;
    const message = event.data;
    if ((message as Alive).type !== "alive") {
      watch.message(message as M);
      return;
    }
    // The worker holds this lock while it lives: the page gets it once the worker is gone.
    const { lock } = message as Alive;
    if (lock) void navigator.locks.request(lock, () => end(`The ${watch.role} stopped without an error (it may have run out of memory).`));
    watch.alive?.();
  };
  worker.onerror = (event) => {
    event.preventDefault();
    end(`The ${watch.role} stopped: ${event.message || "it could not be loaded"}.`);
  };
  worker.onmessageerror = () => end(`The ${watch.role} sent a message the page could not read.`);
  return () => {
    ended = true;
    worker.terminate();
  };
}
