// Seeded kb07-like data (the design that MixedModels.jl benchmarks: Kronmüller &
// Barr 2007): 56 subjects x 32 items, fully crossed, three two-level factors
// spkr, prec and load coded -0.5 / +0.5, each within-subject and within-item
// (Latin-square counterbalancing: subject s sees item i in condition
// (i + s) mod 8, so every subject sees each of the 8 conditions on 4 items and
// every item is seen in each condition by 7 subjects); 3 of the 1792 trials are
// dropped (as in kb07's 1789 rows), chosen by the seed. The response is
// RTtrunc-like: 2000 ms + fixed effects + correlated by-subject and by-item
// random intercepts and slopes for spkr, prec and load + N(0, 700^2) noise,
// rounded to whole milliseconds.
//
// Deterministic for a seed (src/random.ts: mulberry32 + Box-Muller), so the
// stored CSVs in test/reference-kb07/data/ (scripts/make-kb07-data.mjs) and a
// regeneration in Node are the same data.
import { mulberry32, normalSource } from "../src/random.js";

export const KB07_MAXIMAL = "y ~ spkr * prec * load + (1 + spkr + prec + load | subj) + (1 + spkr + prec + load | item)";
export const KB07_ZEROCORR = "y ~ spkr * prec * load + (1 + spkr + prec + load || subj) + (1 + spkr + prec + load || item)";

/** Rows of the frame, column-wise; subj "S01".."S56", item "I01".."I32". */
export interface Kb07Data {
  subj: string[];
  item: string[];
  spkr: Float64Array;
  prec: Float64Array;
  load: Float64Array;
  y: Float64Array;
}

/** True fixed effects (close to kb07's ML estimates for RTtrunc, intercept 2000). */
export const KB07_FIXEF: Readonly<Record<string, number>> = {
  "(Intercept)": 2000,
  spkr: 68,
  prec: -334,
  load: 79,
  "spkr:prec": -22,
  "spkr:load": 18,
  "prec:load": 5,
  "spkr:prec:load": 24,
};

/** SDs of (intercept, spkr, prec, load) by subject and by item; residual SD. */
export const KB07_SUBJ_SD = [300, 90, 110, 100];
export const KB07_ITEM_SD = [350, 80, 250, 90];
export const KB07_SIGMA = 700;
/** True correlations of the 4 random effects, the same for both factors (all in 0.1..0.3). */
export const KB07_CORR = [
  [1, 0.2, 0.3, 0.1],
  [0.2, 1, 0.15, 0.25],
  [0.3, 0.15, 1, 0.2],
  [0.1, 0.25, 0.2, 1],
];

export const KB07_SUBJECTS = 56;
export const KB07_ITEMS = 32;
export const KB07_DROPPED = 3;

/** Lower Cholesky factor of diag(sd) R diag(sd). */
function covCholesky(sd: number[], R: number[][]): number[][] {
  const q = sd.length;
  const L = Array.from({ length: q }, () => new Array<number>(q).fill(0));
  for (let j = 0; j < q; j++) {
    let s = sd[j] * sd[j];
    for (let k = 0; k < j; k++) s -= L[j][k] * L[j][k];
    L[j][j] = Math.sqrt(s);
    for (let i = j + 1; i < q; i++) {
      let t = sd[i] * sd[j] * R[i][j];
      for (let k = 0; k < j; k++) t -= L[i][k] * L[j][k];
      L[i][j] = t / L[j][j];
    }
  }
  return L;
}

/** n draws of a q-vector N(0, L L'). */
function draws(n: number, L: number[][], norm: () => number): number[][] {
  const q = L.length;
  const out: number[][] = [];
  for (let u = 0; u < n; u++) {
    const z = Array.from({ length: q }, () => norm());
    out.push(L.map((row) => row.reduce((s, l, k) => s + l * z[k], 0)));
  }
  return out;
}

const pad2 = (i: number) => String(i + 1).padStart(2, "0");

/** The kb07-like data for one seed (1789 rows, in subject-major order). */
export function generateKb07(seed: number): Kb07Data {
  const norm = normalSource(mulberry32(seed));
  const unif = mulberry32((seed ^ 0x9e3779b9) >>> 0);
  const bs = draws(KB07_SUBJECTS, covCholesky(KB07_SUBJ_SD, KB07_CORR), norm);
  const bi = draws(KB07_ITEMS, covCholesky(KB07_ITEM_SD, KB07_CORR), norm);
  const N = KB07_SUBJECTS * KB07_ITEMS;
  const dropped = new Set<number>();
  while (dropped.size < KB07_DROPPED) dropped.add(Math.floor(unif() * N));
  const n = N - KB07_DROPPED;
  const d: Kb07Data = {
    subj: [],
    item: [],
    spkr: new Float64Array(n),
    prec: new Float64Array(n),
    load: new Float64Array(n),
    y: new Float64Array(n),
  };
  const b = KB07_FIXEF;
  let r = 0;
  for (let s = 0; s < KB07_SUBJECTS; s++) {
    for (let i = 0; i < KB07_ITEMS; i++) {
      const e = norm(); // drawn for every trial, so the dropped ones do not shift the rest
      if (dropped.has(s * KB07_ITEMS + i)) continue;
      const c = (i + s) % 8;
      const x1 = (c & 1) - 0.5;
      const x2 = ((c >> 1) & 1) - 0.5;
      const x3 = ((c >> 2) & 1) - 0.5;
      const S = bs[s];
      const I = bi[i];
      const mu =
        b["(Intercept)"] + b.spkr * x1 + b.prec * x2 + b.load * x3 +
        b["spkr:prec"] * x1 * x2 + b["spkr:load"] * x1 * x3 + b["prec:load"] * x2 * x3 + b["spkr:prec:load"] * x1 * x2 * x3 +
        S[0] + S[1] * x1 + S[2] * x2 + S[3] * x3 +
        I[0] + I[1] * x1 + I[2] * x2 + I[3] * x3;
      d.subj.push("S" + pad2(s));
      d.item.push("I" + pad2(i));
      d.spkr[r] = x1;
      d.prec[r] = x2;
      d.load[r] = x3;
      d.y[r] = Math.round(mu + KB07_SIGMA * e) + 0; // + 0: no -0
      r++;
    }
  }
  return d;
}

/** CSV text (header subj,item,spkr,prec,load,y) of any column-wise frame. */
export function toCSV(d: Record<string, ArrayLike<number | string>>): string {
  const names = Object.keys(d);
  const n = d[names[0]].length;
  const lines = [names.join(",")];
  for (let i = 0; i < n; i++) lines.push(names.map((k) => String(d[k][i])).join(","));
  return lines.join("\n") + "\n";
}
