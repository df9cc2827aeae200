// Where the library runs. Node offers worker_threads, node:fs and synchronous
// instantiation of a compiled WebAssembly module; browsers offer Web Workers.

/** True in Node. */
export const IN_NODE = typeof process !== "undefined" && process.versions?.node !== undefined;
