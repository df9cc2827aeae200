// Random linear mixed models of each random-effects structure the kernels
// support, for property tests, and the textbook Cholesky the kernels are checked against.
import type { Design, RandomEffectsTerm } from "../src/model/design.js";
import { mulberry32 } from "../src/random.js";
import { G, GROUP_STRIDE, U, UNIT_STRIDE } from "../src/wasm/layout.generated.js";

export const STRUCTURES: Structure[] = ["single", "nested", "crossed", "three", "repeated"];

export const rng = mulberry32;

export type Structure = "single" | "nested" | "crossed" | "three" | "repeated";

/** Codes covering every level 0..L-1 at least once, in random order. */
function codesFor(n: number, L: number, r: () => number): Int32Array {
  const c = Int32Array.from({ length: n }, (_, i) => (i < L ? i : Math.floor(r() * L)));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [c[i], c[j]] = [c[j], c[i]];
  }
  return c;
}

function term(group: string, codes: Int32Array, L: number, q: number, n: number, r: () => number): RandomEffectsTerm {
  const columns = Array.from({ length: q }, (_, j) => Float64Array.from({ length: n }, () => (j === 0 ? 1 : r() * 4 - 2)));
  return { group, factor: { codes, levels: Array.from({ length: L }, (_, l) => `${group}${l}`) }, names: columns.map((_, j) => (j === 0 ? "(Intercept)" : `z${j}`)), columns };
}

/** Random single-term designs with a q-column term (the first `count` seeds from `seed0` that give one). */
export function randomDesignsWithQ(q: number, count: number, seed0: number): { design: Design; seed: number }[] {
  const out: { design: Design; seed: number }[] = [];
  for (let seed = seed0; out.length < count; seed++) {
    const design = randomDesign("single", seed);
    if (design.terms[0].columns.length === q) out.push({ design, seed });
  }
  return out;
}

export function randomDesign(structure: Structure, seed: number): Design {
  const r = rng(seed);
  const n = 40 + Math.floor(r() * 50);
  const p = 1 + Math.floor(r() * 3);
  const X = Array.from({ length: p }, (_, j) => Float64Array.from({ length: n }, () => (j === 0 ? 1 : r() * 2 - 1)));
  const y = Float64Array.from({ length: n }, () => r() * 10);
  const L1 = 4 + Math.floor(r() * 8);
  const q1 = 1 + Math.floor(r() * 3);
  const c1 = codesFor(n, L1, r);
  const terms: RandomEffectsTerm[] = [term("g", c1, L1, structure === "single" ? q1 : 1 + (q1 % 2), n, r)];
  if (structure === "nested" || structure === "three") {
    // a coarse factor containing the fine one: level l of g lies in level l % L2
    const L2 = 2 + Math.floor(r() * 2);
    terms.push(term("h", c1.map((c) => c % L2), L2, 1, n, r));
  }
  if (structure === "crossed" || structure === "three") {
    const L3 = 3 + Math.floor(r() * 4);
    terms.push(term("k", codesFor(n, L3, r), L3, 1 + Math.floor(r() * 2), n, r));
  }
  if (structure === "repeated") terms.push(term("g", c1, L1, 1, n, r));
  return {
    formula: { response: "y", fixed: { intercept: true, terms: [] }, random: [], text: "random" },
    n, rows: Int32Array.from({ length: n }, (_, i) => i), droppedRows: 0, response: "y", y,
    X: { names: X.map((_, j) => `x${j}`), columns: X, assign: X.map((_, j) => j - 1) }, droppedColumns: [], terms,
  };
}

export function randomTheta(d: Design, r: () => number, zeroDiagonal: boolean): number[] {
  const out: number[] = [];
  d.terms.forEach((t, k) => {
    const q = t.names.length;
    for (let j = 0; j < q; j++) {
      for (let i = j; i < q; i++) out.push(i === j ? (zeroDiagonal && k === 0 && j === 0 ? 0 : 0.1 + 2 * r()) : r() - 0.5);
    }
  });
  return out;
}

/** Textbook lower Cholesky factor of a row-major n x n matrix (its lower triangle), the reference for the kernels. */
export function cholesky(A: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = i === j ? Math.sqrt(s) : s / L[j * n + j];
    }
  }
  return L;
}

/**
 * A subjects x items design as in psycholinguistics (kb07): `q1` random-effect
 * columns on subject, `q2` on item, every (subject, item) cell observed once or
 * twice (`full`), or each subject meeting only one or two items (sparse). With
 * `split`, the subject's columns become q1 scalar terms on the same factor (a
 * zero-correlation term as lme4 expands `||`), and so do the item's ("items":
 * the item's alone).
 */
export function randomCrossedDesign(seed: number, q1: number, q2: number, full: boolean, split: boolean | "items" = false): Design {
  const r = rng(seed);
  // Every item is some subject's own (S >= I); sparse designs have more items, so
  // that each subject meets well under half of the tail.
  const S = full ? 4 + Math.floor(r() * 3) : 8 + Math.floor(r() * 3);
  const I = full ? 3 + Math.floor(r() * 2) : 6 + Math.floor(r() * 3);
  const subj: number[] = [];
  const item: number[] = [];
  for (let s = 0; s < S; s++) {
    for (let i = 0; i < I; i++) {
      // Sparse: the subject's own item and the next one, every other subject.
      const met = full ? (r() < 0.9 ? 1 : 2) : i === s % I || (s % 2 === 0 && i === (s + 1) % I) ? 1 : 0;
      for (let k = 0; k < met; k++) (subj.push(s), item.push(i));
    }
  }
  const n = subj.length;
  const p = 1 + Math.floor(r() * 3);
  const X = Array.from({ length: p }, (_, j) => Float64Array.from({ length: n }, () => (j === 0 ? 1 : r() * 2 - 1)));
  const y = Float64Array.from({ length: n }, () => r() * 10);
  const within = Array.from({ length: Math.max(q1, q2) }, (_, j) => Float64Array.from({ length: n }, () => (j === 0 ? 1 : r() - 0.5)));
  const make = (group: string, codes: number[], L: number, q: number): RandomEffectsTerm[] => {
    const factor = { codes: Int32Array.from(codes), levels: Array.from({ length: L }, (_, l) => `${group}${l}`) };
    const names = Array.from({ length: q }, (_, j) => (j === 0 ? "(Intercept)" : `z${j}`));
    if (!split || (split === "items" && group === "subj")) return [{ group, factor, names, columns: within.slice(0, q) }];
    return names.map((name, j) => ({ group, factor, names: [name], columns: [within[j]] }));
  };
  return {
    formula: { response: "y", fixed: { intercept: true, terms: [] }, random: [], text: "random crossed" },
    n, rows: Int32Array.from({ length: n }, (_, i) => i), droppedRows: 0, response: "y", y,
    X: { names: X.map((_, j) => `x${j}`), columns: X, assign: X.map((_, j) => j - 1) }, droppedColumns: [],
    terms: [...make("subj", subj, S, q1), ...make("item", item, I, q2)],
  };
}

/**
 * The fill of the dense tail by the units' updates, as assembly/densetail.ts
 * measures it: at 0.5 or more, they run as one packed product.
 */
export function tailFill(layout: { units: Int32Array; groups: Int32Array; nUnits: number; mt: number }): number {
  let sparse = 0;
  let dense = 0;
  for (let u = 0; u < layout.nUnits; u++) {
    const rec = u * UNIT_STRIDE;
    const q = layout.units[rec + U.Q];
    const g = (layout.units[rec + U.GROUP0] + layout.units[rec + U.NGROUP] - 1) * GROUP_STRIDE; // the tail group is last
    const rows = layout.groups[g + G.END] - layout.groups[g + G.FIRST];
    sparse += q * rows * rows;
    dense += q * layout.mt * layout.mt;
  }
  return sparse / dense;
}
