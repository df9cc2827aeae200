// Loads the WebAssembly kernels. The module is compiled once per process; every
// model gets its own instance, so each has a linear memory of its own.
import { instantiate, instantiateSync } from "@assemblyscript/loader";
import { WASM_BASE64, WASM_THREADS_BASE64 } from "./binary.generated.js";
import { IN_NODE } from "../runtime.js";
import { LmmError } from "../errors.js";
import type { KernelExports } from "./exports.generated.js";

export type { KernelExports };

let compiled: Promise<WebAssembly.Module> | undefined;
let compiledThreads: Promise<WebAssembly.Module> | undefined;

function decodeBase64(b64: string): Uint8Array {
  if (typeof Buffer !== "undefined") return new Uint8Array(Buffer.from(b64, "base64"));
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The compiled module (compiled once per process; a worker thread can
 * instantiate it too). `threads`: the build on an imported shared memory.
 */
export function compiledKernels(threads = false): Promise<WebAssembly.Module> {
  if (threads) return (compiledThreads ??= WebAssembly.compile(decodeBase64(WASM_THREADS_BASE64) as BufferSource));
  return (compiled ??= WebAssembly.compile(decodeBase64(WASM_BASE64) as BufferSource));
}

/**
 * Compile (once) and instantiate a fresh kernel instance with its own memory,
 * or, given a shared memory, an instance of the threaded build on it.
 */
export async function loadKernels(shared?: WebAssembly.Memory): Promise<KernelExports> {
  const imports = shared ? { env: { memory: shared } } : {};
  const module = await compiledKernels(shared !== undefined);
  // Node instantiates a compiled module synchronously at no cost, where the
  // asynchronous path waits a turn of the event loop (milliseconds after a GC);
  // browsers forbid large synchronous instantiation on the main thread.
  try {
    const { exports } = IN_NODE ? instantiateSync<Record<string, unknown>>(module, imports) : await instantiate<Record<string, unknown>>(module, imports);
    return exports as unknown as KernelExports;
  } catch (e) {
    throw e instanceof RangeError ? memoryReservationError() : e;
  }
}

/**
 * A shared memory for the threaded build, up to WebAssembly's 4 GB (a model's
 * size is known only once it is laid out in it).
 */
export function sharedMemory(): WebAssembly.Memory {
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  } catch (e) {
    throw e instanceof RangeError ? memoryReservationError() : e;
  }
}

/**
 * Node (V8) reserves about 10 GB of address space for each WebAssembly memory,
 * whatever its size, so that bounds checks cost nothing; a lower `ulimit -v`
 * makes every instance fail. Said as the cause and the fix.
 */
export function memoryReservationError(): LmmError {
  return new LmmError(
    "WebAssembly memory could not be reserved: Node reserves about 10 GB of address space per model (V8's guard regions), more than this process may use (ulimit -v); raise the limit, or run node with --disable-wasm-trap-handler.",
  );
}
