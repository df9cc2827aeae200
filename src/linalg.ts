// Small dense helpers for p x p and q x q matrices (row-major) outside the hot loops.

/** Inverse of a lower-triangular matrix. */
export function invertLower(L: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    inv[j * n + j] = 1 / L[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s += L[i * n + k] * inv[k * n + j];
      inv[i * n + j] = -s / L[i * n + i];
    }
  }
  return inv;
}

/** (L L')^{-1} = L^{-T} L^{-1} for lower-triangular L. */
export function inverseFromCholesky(L: Float64Array, n: number): Float64Array {
  const Li = invertLower(L, n);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = Math.max(i, j); k < n; k++) s += Li[k * n + i] * Li[k * n + j];
      out[i * n + j] = s;
    }
  }
  return out;
}

/** A A' for a row-major square matrix. */
export function timesTranspose(A: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += A[i * n + k] * A[j * n + k];
      out[i * n + j] = s;
    }
  }
  return out;
}

/** R's quantile(type = 7) of sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
