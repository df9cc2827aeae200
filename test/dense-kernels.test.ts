// Property tests of the blocked dense kernels (the tail of crossed models) on
// random matrices larger than one block, against plain TypeScript: the factor
// against a textbook Cholesky, the reverse mode against central differences of
// <Lbar, chol(A)> along random directions of the lower triangle.
import { describe, expect, it } from "vitest";
import { loadKernels, type KernelExports } from "../src/wasm/kernels.js";
import { cholesky, rng } from "./random-models.js";

/** Lower triangle of B B' / k + I (B: n x k random), row-major, upper triangle left as garbage. */
function randomSpd(n: number, r: () => number): Float64Array {
  const k = 12;
  const B = Float64Array.from({ length: n * k }, () => r() * 2 - 1);
  const A = Float64Array.from({ length: n * n }, () => r());
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = i === j ? 1 : 0;
      for (let m = 0; m < k; m++) s += (B[i * k + m] * B[j * k + m]) / k;
      A[i * n + j] = s;
    }
  }
  return A;
}

/** The three n x n matrices and the scratch of one kernel call, in a fresh instance's memory. */
async function kernelMemory(n: number): Promise<{ k: KernelExports; f64: () => Float64Array; a: number; b: number; work: number }> {
  const k = await loadKernels();
  const a = (k.heapBase() + 15) & ~15;
  const b = a + n * n * 8;
  const work = b + n * n * 8;
  const end = work + k.denseWorkSize(n) * 8;
  const grow = end - k.memory.buffer.byteLength;
  if (grow > 0) k.memory.grow(Math.ceil(grow / 65536));
  return { k, f64: () => new Float64Array(k.memory.buffer), a, b, work };
}

describe("blocked dense Cholesky", () => {
  for (const n of [7, 64, 65, 150, 203]) {
    it(`factors a random ${n} x ${n} SPD matrix as the textbook algorithm does`, async () => {
      const r = rng(n);
      const A = randomSpd(n, r);
      const { k, f64, a, work } = await kernelMemory(n);
      f64().set(A, a / 8);
      expect(k.choleskyBlocked(a, n, n, work)).toBe(1);
      const L = cholesky(A, n);
      const got = f64();
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) expect(Math.abs(got[a / 8 + i * n + j] - L[i * n + j])).toBeLessThanOrEqual(1e-12);
    });

    it(`reverse mode of the ${n} x ${n} factorisation matches central differences`, async () => {
      const r = rng(100 + n);
      const A = randomSpd(n, r);
      const Lbar = Float64Array.from({ length: n * n }, () => r() * 2 - 1);
      const { k, f64, a, b, work } = await kernelMemory(n);
      f64().set(cholesky(A, n), a / 8);
      f64().set(Lbar, b / 8);
      k.choleskyBlockedReverse(a, b, n, n, work);
      const Abar = f64().slice(b / 8, b / 8 + n * n);
      const objective = (M: Float64Array) => {
        const L = cholesky(M, n);
        let s = 0;
        for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) s += Lbar[i * n + j] * L[i * n + j];
        return s;
      };
      for (let trial = 0; trial < 3; trial++) {
        const dir = Float64Array.from({ length: n * n }, () => r() * 2 - 1);
        let predicted = 0;
        for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) predicted += Abar[i * n + j] * dir[i * n + j];
        const h = 1e-6;
        const step = (sign: number) => Float64Array.from(A, (v, t) => v + sign * h * dir[t]);
        const fd = (objective(step(1)) - objective(step(-1))) / (2 * h);
        expect(Math.abs(predicted - fd)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(fd)));
      }
    });
  }

  it("reports a matrix that is not positive definite", async () => {
    const n = 100;
    const A = randomSpd(n, rng(5));
    A[80 * n + 80] = -1;
    const { k, f64, a, work } = await kernelMemory(n);
    f64().set(A, a / 8);
    expect(k.choleskyBlocked(a, n, n, work)).toBe(0);
  });
});
