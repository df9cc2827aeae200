// What both workers do: serve requests while holding a Web Lock for as long as
// they live (the page's watch on them, see watch-worker.ts), and turn an error
// into the failure the page shows.
import { LmmError } from "lmm-wasm";
import type { Alive, FitFailure } from "./fit-protocol";

/**
 * Take a lock of our own, to hold until this worker ends, then say "alive"
 * with its name and hand each request to `handle`. The browser releases the
 * lock however the worker ends, even killed without an error event, so the
 * page learns of it by asking for the lock. Requests that come before the lock
 * wait for it: one that ran first could keep the worker from ever taking it.
 */
export function serve<Request>(post: (message: Alive) => void, handle: (request: Request) => void): void {
  const early: Request[] = [];
  let watched = false;
  self.onmessage = (event: MessageEvent<Request>) => (watched ? handle(event.data) : early.push(event.data));
  const start = (lock?: string) => {
    post({ type: "alive", lock });
    watched = true;
    early.splice(0).forEach(handle);
  };
  // Web Locks exist in secure contexts only (https, localhost): elsewhere the worker cannot be watched.
  if (!self.isSecureContext) {
    start();
    return;
  }
  const lock = `lmm-wasm-worker-${crypto.randomUUID()}`;
  void navigator.locks.request(lock, () => {
    start(lock);
    return new Promise<never>(() => {});
  });
}

export function failureOf(error: unknown): FitFailure {
  if (error instanceof LmmError) return { kind: "input", message: error.message, position: error.position };
  return { kind: "internal", message: error instanceof Error ? error.message : String(error) };
}
