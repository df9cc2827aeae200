// Small dense helpers (row-major) outside the hot loops: p x p and q x q matrices,
// and the Q x Q ones of the Kenward-Roger adjustment.

/** Sum of a[i] b[i]. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Mean, standard deviation (divisor n) and root mean square of a column. */
export function meanAndSd(x: ArrayLike<number>): { mean: number; sd: number; rms: number } {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  const mean = s / x.length;
  let ss = 0;
  let sq = 0;
  for (let i = 0; i < x.length; i++) {
    ss += (x[i] - mean) ** 2;
    sq += x[i] * x[i];
  }
  return { mean, sd: Math.sqrt(ss / x.length), rms: Math.sqrt(sq / x.length) };
}

/** The n x n identity, row-major. */
export function identity(n: number): Float64Array {
  const I = new Float64Array(n * n);
  for (let i = 0; i < n; i++) I[i * n + i] = 1;
  return I;
}

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

/** Eigen-decomposition of a small symmetric matrix by cyclic Jacobi: values and vectors (columns). */
export function symmetricEigen(S: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(S);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      scale += A[i * n + i] * A[i * n + i];
      for (let j = i + 1; j < n; j++) off += A[i * n + j] * A[i * n + j];
    }
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (apq === 0) continue;
        const theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p];
          const akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k];
          const aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p];
          const vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = A[i * n + i];
  return { values, vectors: V };
}

/**
 * Solve A X = B for square A (n x n) and B (n x m), row-major, by Gaussian
 * elimination with partial pivoting; null when A is singular.
 */
export function solveLinear(A: Float64Array, B: Float64Array, n: number, m: number): Float64Array | null {
  const a = Float64Array.from(A);
  const b = Float64Array.from(B);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[piv * n + c])) piv = r;
    if (!(Math.abs(a[piv * n + c]) > 1e-300)) return null;
    if (piv !== c) {
      for (let k = 0; k < n; k++) [a[c * n + k], a[piv * n + k]] = [a[piv * n + k], a[c * n + k]];
      for (let k = 0; k < m; k++) [b[c * m + k], b[piv * m + k]] = [b[piv * m + k], b[c * m + k]];
    }
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c] / a[c * n + c];
      if (f === 0) continue;
      for (let k = c; k < n; k++) a[r * n + k] -= f * a[c * n + k];
      for (let k = 0; k < m; k++) b[r * m + k] -= f * b[c * m + k];
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    for (let k = 0; k < m; k++) {
      let s = b[c * m + k];
      for (let j = c + 1; j < n; j++) s -= a[c * n + j] * b[j * m + k];
      b[c * m + k] = s / a[c * n + c];
    }
  }
  return b;
}

/** C = A B for A (r x k), B (k x c); zeros of A are skipped (A may be sparse). */
export function matmul(A: Float64Array, B: Float64Array, r: number, k: number, c: number): Float64Array {
  const C = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    const ci = i * c;
    for (let l = 0; l < k; l++) {
      const a = A[i * k + l];
      if (a === 0) continue;
      const bl = l * c;
      for (let j = 0; j < c; j++) C[ci + j] += a * B[bl + j];
    }
  }
  return C;
}

/** A' B for A (k x r), B (k x c): r x c; zeros of A are skipped. */
export function crossprod(A: Float64Array, B: Float64Array, k: number, r: number, c: number): Float64Array {
  const C = new Float64Array(r * c);
  for (let l = 0; l < k; l++) {
    for (let i = 0; i < r; i++) {
      const a = A[l * r + i];
      if (a === 0) continue;
      const ci = i * c;
      const bl = l * c;
      for (let j = 0; j < c; j++) C[ci + j] += a * B[bl + j];
    }
  }
  return C;
}

/** A' for A (r x c). */
export function transpose(A: Float64Array, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = A[i * c + j];
  return out;
}

/** A <- (A + A') / 2 in place, for a square n x n A that rounding left slightly asymmetric; returns A. */
export function symmetrise(A: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) A[i * n + j] = A[j * n + i] = (A[i * n + j] + A[j * n + i]) / 2;
  }
  return A;
}

/** sum_{k < len} a[ia + k] b[ib + k]: a dot product of two contiguous runs, four partial sums at a time. */
export function dotRuns(a: Float64Array, ia: number, b: Float64Array, ib: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    s0 += a[ia + k] * b[ib + k];
    s1 += a[ia + k + 1] * b[ib + k + 1];
    s2 += a[ia + k + 2] * b[ib + k + 2];
    s3 += a[ia + k + 3] * b[ib + k + 3];
  }
  for (; k < len; k++) s0 += a[ia + k] * b[ib + k];
  return s0 + s1 + s2 + s3;
}

/**
 * The lower Cholesky factor (row-major) of a symmetric positive-definite n x n
 * matrix, read through its lower triangle; null if it is not positive definite.
 */
export function choleskyDefinite(A: Float64Array, n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const d = A[j * n + j] - dotRuns(L, j * n, L, j * n, j);
    if (!(d > 0)) return null;
    const ljj = Math.sqrt(d);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) L[i * n + j] = (A[i * n + j] - dotRuns(L, i * n, L, j * n, j)) / ljj;
  }
  return L;
}

/**
 * Inverse of a symmetric positive-definite matrix by Cholesky, A = L L',
 * A^-1 = L^-T L^-1; null if not positive definite. Every inner loop is a
 * contiguous dot product.
 */
export function spdInverse(A: Float64Array, n: number): Float64Array | null {
  const L = choleskyDefinite(A, n);
  if (!L) return null;
  // Row j of U holds column j of L^-1 (U = L^-T, upper triangular): forward
  // substitution for L x = e_j, x_i = -(sum_{j<=k<i} L[i, k] x_k) / L[i, i].
  const U = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const uj = j * n;
    U[uj + j] = 1 / L[j * n + j];
    for (let i = j + 1; i < n; i++) U[uj + i] = -dotRuns(L, i * n + j, U, uj + j, i - j) / L[i * n + i];
  }
  // A^-1[i, j] = sum_{k >= max(i, j)} L^-1[k, i] L^-1[k, j] = U[i, k:] . U[j, k:].
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) out[i * n + j] = out[j * n + i] = dotRuns(U, i * n + j, U, j * n + j, n - j);
  }
  return out;
}

/**
 * The lower Cholesky factor (row-major) of a positive (semi-)definite q x q
 * matrix; a pivot that rounding makes negative is taken as 0 (and its column
 * below as 0), so a matrix on the boundary gives a factor, not NaN.
 */
export function cholesky(A: Float64Array, q: number): Float64Array {
  const L = new Float64Array(q * q);
  for (let j = 0; j < q; j++) {
    let d = A[j * q + j];
    for (let k = 0; k < j; k++) d -= L[j * q + k] ** 2;
    const pivot = Math.sqrt(Math.max(d, 0));
    L[j * q + j] = pivot;
    for (let i = j + 1; i < q; i++) {
      let s = A[i * q + j];
      for (let k = 0; k < j; k++) s -= L[i * q + k] * L[j * q + k];
      L[i * q + j] = pivot > 0 ? s / pivot : 0;
    }
  }
  return L;
}
