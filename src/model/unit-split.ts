// Two cores for one large fit: the units of a one-term q = 2 model (a cohort's
// subjects) are shared with a worker thread, which holds its half of the
// per-unit cross-products in a WASM instance of its own. Per evaluation the
// worker returns its share of the Schur update of the (small) tail and its log
// pivots; per gradient it receives the tail's adjoint and returns its share of
// Tbar. The main thread does the other half meanwhile and finishes alone.
//
// The optimiser calls the deviance synchronously, so the two threads meet on a
// SharedArrayBuffer with Atomics.wait / notify (a few microseconds), not on
// messages. Node only (worker_threads); elsewhere, and for small models, the
// deviance runs on one thread as before.
import { D, GEMM_STOP, J, JOB_BYTES, T, TERM_STRIDE, VARIANT_SLOPE } from "../wasm/layout.generated.js";
import { sweepVariant } from "./blocks.js";
import { compiledKernels, type KernelExports } from "../wasm/kernels.js";
import type { Design } from "./design.js";
import { IN_NODE } from "../runtime.js";

/**
 * Fewer units than this and a worker does not pay for its messages and start-up
 * (measured on 2 cores: no gain at 25 000 subjects, 8% at 50 000, 15% at 100 000).
 */
export const SPLIT_MIN_UNITS = 40_000;

// Control words: the command for the worker, and "done" for the main thread.
const CMD = 0;
const DONE = 1;
const FORWARD = 1;
const REVERSE = 2;
const RELEASE = 3;
/** How long the main thread waits for the worker before giving up (it should take milliseconds). */
const WAIT_MS = 60_000;

/** The main thread's pointers into its own instance that a split evaluation uses. */
export interface SplitHost {
  k: KernelExports;
  f64: Float64Array;
  i32: Int32Array;
  desc: number;
  theta: number;
  out: number;
  grad: number;
  /** f64 indices of F's and Fbar's tails, of Tbar, and of A. */
  fTail: number;
  fbarTail: number;
  tbar: number;
  a: number;
  nUnits: number;
  mt: number;
  ntheta: number;
}

/** f64 slots of the shared data buffer. */
function dataSlots(ntheta: number, mt: number) {
  const theta = 0;
  const logdet = ntheta; // the worker's sum of log pivots, or cLogdetL for REVERSE
  const tail = logdet + 1; // its Schur share (FORWARD), or the tail's adjoint (REVERSE)
  const tbar = tail + mt * mt; // its share of Tbar (2 x 2)
  return { theta, logdet, tail, tbar, length: tbar + 4 };
}

/** The worker's second task: serve half of the large products of a dense tail (see TailHelper). */
interface GemmInit {
  kind: "gemm";
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  job: number;
}

interface WorkerInit {
  kind: "units";
  commands: { FORWARD: number; REVERSE: number; RELEASE: number };
  module: WebAssembly.Module;
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  panels: Float64Array;
  nUnits: number;
  mt: number;
  ntheta: number;
  /** The contract's names the worker uses (its source text can import nothing). */
  layout: { D: typeof D; T: typeof T; TERM_STRIDE: number; VARIANT_SLOPE: number };
  slots: ReturnType<typeof dataSlots>;
}

/**
 * The worker's side, run from its source text (so that it needs no module of
 * ours: the compiled kernels arrive in the message). Lays out a minimal
 * descriptor (all the q = 2 sweeps read), then serves commands until released.
 */
function workerMain(): void {
  const { parentPort } = require("node:worker_threads") as typeof import("node:worker_threads");
  parentPort!.on("message", async (message: WorkerInit | GemmInit) => {
    if (message.kind === "gemm") {
      // The threaded build on the model's shared memory: blocks in serveGemm until released.
      const helper = (await WebAssembly.instantiate(message.module, { env: { memory: message.memory } })).exports as unknown as KernelExports;
      helper.serveGemm(message.job);
      return;
    }
    const m = message;
    const { layout: { D, T, TERM_STRIDE, VARIANT_SLOPE }, slots, mt, nUnits, commands } = m;
    const k = (await WebAssembly.instantiate(m.module, {})).exports as unknown as KernelExports;
    let top = (k.heapBase() + 15) & ~15;
    const take = (bytes: number) => {
      const at = top;
      top = (top + bytes + 15) & ~15;
      return at;
    };
    const panelsLength = m.panels.length;
    const tailOff = panelsLength;
    const p = {
      desc: take(D.LENGTH * 4),
      terms: take(TERM_STRIDE * 4),
      theta: take(m.ntheta * 8),
      tmats: take(4 * 8),
      tbar: take(4 * 8),
      A: take((tailOff + mt * mt) * 8),
      F: take((tailOff + mt * mt) * 8),
      Fbar: take((tailOff + mt * mt) * 8),
      work: take(k.workSize(mt) * 8),
    };
    const grow = top - k.memory.buffer.byteLength;
    if (grow > 0) k.memory.grow(Math.ceil(grow / 65536));
    const f64 = new Float64Array(k.memory.buffer);
    const i32 = new Int32Array(k.memory.buffer);
    // One term: q = 2, theta from 0, T at 0.
    i32[p.terms / 4 + T.Q] = 2;
    i32[p.terms / 4 + T.THETA0] = 0;
    i32[p.terms / 4 + T.TMAT0] = 0;
    const desc = p.desc / 4;
    i32[desc + D.VARIANT] = VARIANT_SLOPE;
    i32[desc + D.NUNITS] = nUnits;
    i32[desc + D.HALF] = nUnits; // one range: the second half of the main instance's
    i32[desc + D.NTERMS] = 1;
    i32[desc + D.TERMS] = p.terms;
    i32[desc + D.THETA] = p.theta;
    i32[desc + D.TMATS] = p.tmats;
    i32[desc + D.TBAR] = p.tbar;
    i32[desc + D.A] = p.A;
    i32[desc + D.F] = p.F;
    i32[desc + D.FBAR] = p.Fbar;
    i32[desc + D.WORK] = p.work;
    i32[desc + D.TAILOFF] = tailOff;
    i32[desc + D.MT] = mt;
    // The panels; A's tail stays zero, so F's tail ends up minus this half's Schur sum.
    f64.set(m.panels, p.A / 8);
    const control = new Int32Array(m.control);
    const data = new Float64Array(m.data);
    const fTail = (p.F + tailOff * 8) / 8;
    const fbarTail = (p.Fbar + tailOff * 8) / 8;
    for (;;) {
      Atomics.wait(control, 0, 0);
      const cmd = Atomics.exchange(control, 0, 0);
      // A wake-up without a command (the late notify of one already taken, when
      // the main thread was descheduled between its store and its notify) must
      // not report "done": the main thread would read the last command's results.
      if (cmd === 0) continue;
      if (cmd === commands.RELEASE) break; // back to the event loop, for the next model
      if (cmd === commands.FORWARD) {
        f64.set(data.subarray(slots.theta, slots.theta + m.ntheta), p.theta / 8);
        data[slots.logdet] = k.forwardUnits(p.desc);
        data.set(f64.subarray(fTail, fTail + mt * mt), slots.tail);
      } else if (cmd === commands.REVERSE) {
        f64.set(data.subarray(slots.tail, slots.tail + mt * mt), fbarTail);
        f64.fill(0, p.tbar / 8, p.tbar / 8 + 4);
        k.reverseUnits(p.desc, data[slots.logdet]);
        data.set(f64.subarray(p.tbar / 8, p.tbar / 8 + 4), slots.tbar);
      }
      Atomics.store(control, 1, 1);
      Atomics.notify(control, 1);
    }
  });
}

type WorkerHandle = { postMessage(m: unknown): void; unref(): void };

/** One worker for the process, started on first use and reused by every model (it does not keep the process alive). */
let sharedWorker: Promise<WorkerHandle | null> | undefined;
/** Whether a split holds the worker (one at a time). */
let workerBusy = false;

/** Start the worker thread (once). */
function startWorker(): Promise<WorkerHandle | null> {
  sharedWorker ??= (async () => {
    try {
      const specifier = "node:worker_threads";
      const { Worker } = (await import(/* @vite-ignore */ specifier)) as typeof import("node:worker_threads");
      const worker = new Worker(`(${workerMain.toString()})()`, { eval: true });
      worker.unref();
      return worker;
    } catch {
      return null; // not Node, or no threads
    }
  })();
  return sharedWorker;
}

/** Whether a model of this kernel variant and this many units is worth splitting (slope.ts's sweep alone is split). */
export function worthSplitting(variant: number, units: number): boolean {
  return variant === VARIANT_SLOPE && units >= SPLIT_MIN_UNITS;
}

/** Start the worker early (it boots while the model is laid out) when the design will want it. */
export function prepareWorkerFor(design: Design): void {
  const t = design.terms;
  const variant = sweepVariant(t.map((term) => term.columns.length));
  if (t.length > 0 && worthSplitting(variant, t[0].factor.levels.length)) void startWorker();
}

/**
 * The split: the main thread keeps units [0, h), the worker takes [h, nUnits).
 * `evaluate` and `gradient` stand in for the kernel calls of the same names
 * until `release`.
 */
export class UnitSplit {
  private constructor(
    private readonly host: SplitHost,
    private readonly control: Int32Array,
    private readonly data: Float64Array,
    private readonly slots: ReturnType<typeof dataSlots>,
  ) {}

  /** Hand the worker its half (null when there is no worker to be had, or another model holds it). */
  static async start(host: SplitHost, panel: number): Promise<UnitSplit | null> {
    const worker = await startWorker();
    if (!worker || workerBusy) return null;
    workerBusy = true;
    const { nUnits, mt, ntheta, f64, a } = host;
    const h = host.i32[host.desc / 4 + D.HALF];
    const slots = dataSlots(ntheta, mt);
    const control = new SharedArrayBuffer(2 * 4);
    const data = new SharedArrayBuffer(slots.length * 8);
    const init: WorkerInit = {
      kind: "units",
      commands: { FORWARD, REVERSE, RELEASE },
      module: await compiledKernels(),
      control,
      data,
      panels: f64.slice(a + h * panel, a + nUnits * panel),
      nUnits: nUnits - h,
      mt,
      ntheta,
      layout: { D, T, TERM_STRIDE, VARIANT_SLOPE },
      slots,
    };
    worker.postMessage(init);
    // The main instance keeps its first half (D.HALF is already h).
    host.i32[host.desc / 4 + D.NUNITS] = h;
    return new UnitSplit(host, new Int32Array(control), new Float64Array(data), slots);
  }

  /** The objective at the theta already in the main instance (as the kernel's evaluate). */
  evaluate(): number {
    const { k, f64, desc, theta, out, fTail, mt, ntheta } = this.host;
    this.data.set(f64.subarray(theta / 8, theta / 8 + ntheta), this.slots.theta);
    this.command(FORWARD);
    const mine = k.forwardUnits(desc);
    this.waitDone();
    const share = this.data.subarray(this.slots.tail, this.slots.tail + mt * mt);
    for (let i = 0; i < mt * mt; i++) f64[fTail + i] += share[i];
    return k.finishEvaluate(desc, out, mine + this.data[this.slots.logdet]);
  }

  /** The gradient into the main instance's grad buffer (as the kernel's gradient). */
  gradient(cLogdetL: number, cLogdetRX: number, cR2: number): void {
    const { k, f64, desc, grad, fbarTail, tbar, mt } = this.host;
    k.reverseTail(desc, cLogdetL, cLogdetRX, cR2);
    this.data.set(f64.subarray(fbarTail, fbarTail + mt * mt), this.slots.tail);
    this.data[this.slots.logdet] = cLogdetL;
    this.command(REVERSE);
    k.reverseUnits(desc, cLogdetL);
    this.waitDone();
    for (let i = 0; i < 4; i++) f64[tbar + i] += this.data[this.slots.tbar + i];
    k.writeGradient(desc, grad);
  }

  /** Give the worker back (to the next model) and the main instance all its units. */
  release(): void {
    this.command(RELEASE);
    workerBusy = false;
    this.host.i32[this.host.desc / 4 + D.NUNITS] = this.host.nUnits;
  }

  private command(cmd: number): void {
    Atomics.store(this.control, DONE, 0);
    Atomics.store(this.control, CMD, cmd);
    Atomics.notify(this.control, CMD);
  }

  private waitDone(): void {
    // In a loop: a wake-up can be the late notify of the previous command's "done".
    const until = Date.now() + WAIT_MS;
    while (Atomics.load(this.control, DONE) === 0) {
      if (Date.now() > until || Atomics.wait(this.control, DONE, 0, WAIT_MS) === "timed-out") throw new Error("internal: the worker thread did not answer");
    }
  }
}

/**
 * The worker's second task, for crossed models with a large dense tail: the
 * model's kernels run on a shared memory (the threaded build), and the worker,
 * an instance of the same build on that memory, takes half of the rows of every
 * large matrix-matrix product of the tail's factorisation and its reverse
 * (assembly/gemm.ts: the threads meet on a job block, with wasm atomics).
 */
export class TailHelper {
  private constructor(
    private readonly k: KernelExports,
    private readonly job: number,
  ) {}

  /** Start serving (null when there is no worker to be had, or another model holds it). */
  static async start(k: KernelExports, job: number, work: number): Promise<TailHelper | null> {
    const worker = await startWorker();
    if (!worker || workerBusy) return null;
    workerBusy = true;
    const control = new Int32Array(k.memory.buffer, job, JOB_BYTES / 4);
    control.fill(0);
    control[J.WORK / 4] = work; // the helper's own packing area
    const init: GemmInit = { kind: "gemm", module: await compiledKernels(true), memory: k.memory, job };
    worker.postMessage(init);
    k.setGemmHelper(job);
    return new TailHelper(k, job);
  }

  /** Stop the helper (it goes back to the pool) and run every product on this thread again. */
  release(): void {
    this.k.setGemmHelper(0);
    const control = new Int32Array(this.k.memory.buffer, this.job, JOB_BYTES / 4);
    Atomics.store(control, J.CMD / 4, GEMM_STOP);
    Atomics.notify(control, J.CMD / 4);
    workerBusy = false;
  }
}

/** Tails at least this large share their products with the worker (InstEval's has 1145 rows). */
export const SHARED_TAIL_MIN = 512;

/** Whether a tail of mt rows is worth a shared memory and a second thread (Node only). */
export function worthSharingTail(mt: number): boolean {
  return mt >= SHARED_TAIL_MIN && typeof SharedArrayBuffer !== "undefined" && IN_NODE;
}
