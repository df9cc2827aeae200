// What both workers do: announce themselves holding a Web Lock for as long as
// they live (the page's watch on them, see watch-worker.ts), and turn an error
// into the failure the page shows.
import { LmmError } from "lmm-wasm";
import type { Alive, FitFailure } from "./fit-protocol";

/**
 * Take a lock of our own and hold it until this worker ends, then say "alive"
 * with its name. The browser releases the lock however the worker ends, even
 * killed without an error event, so the page learns of it by asking for the lock.
 */
export function announceLife(post: (message: Alive) => void): void {
  // Web Locks exist in secure contexts only (https, localhost): elsewhere the worker cannot be watched.
  if (!self.isSecureContext) {
    post({ type: "alive" });
    return;
  }
  const lock = `lmm-wasm-worker-${crypto.randomUUID()}`;
  void navigator.locks.request(lock, () => {
    post({ type: "alive", lock });
    return new Promise<never>(() => {});
  });
}

export function failureOf(error: unknown): FitFailure {
  if (error instanceof LmmError) return { kind: "input", message: error.message, position: error.position };
  return { kind: "internal", message: error instanceof Error ? error.message : String(error) };
}
