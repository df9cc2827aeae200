// The symbolic half of the blocked Cholesky, done once per model in TypeScript.
//
// Unknowns are ordered: the units (one per level) of the leading chain of nested
// terms ("block-diagonal" terms: each level of a term lies within one level of
// the next), then a dense tail holding the remaining (crossed) terms' units, the
// fixed effects and y. A block-diagonal unit owns a panel: its q own rows and the
// rows it couples to (its ancestor units in later nested terms, the tail rows it
// meets in the data, and X, y). Nested terms therefore stay block diagonal;
// crossed terms fill in inside the dense tail.
import { GROUP_STRIDE, PAIR_STRIDE, SEG_STRIDE, TERM_STRIDE, U, UNIT_STRIDE } from "../wasm/layout.js";
import type { Design } from "./design.js";

export interface BlockLayout {
  /** Number of leading terms that stay block diagonal. */
  nBlockTerms: number;
  nUnits: number;
  units: Int32Array;
  groups: Int32Array;
  segs: Int32Array;
  idx: Int32Array;
  grow: Int32Array;
  terms: Int32Array;
  ntheta: number;
  tmatSize: number;
  /** f64 size of A (panels, then the mt x mt tail). */
  aSize: number;
  tailOff: number;
  mt: number;
  nd: number;
  nb: number;
  p: number;
  tailSegs: Int32Array;
  maxq: number;
  /** Row data for the accumulation pass. */
  width: number;
  w: Float64Array;
  bases: Int32Array;
  pairs: Int32Array;
  npairs: number;
  /** Per term, the position in the solution vector of each level's q values. */
  levelPositions: Int32Array[];
}

/** Is every level of `inner` within a single level of `outer`? */
function nestedIn(inner: Int32Array, nInner: number, outer: Int32Array): Int32Array | null {
  const parent = new Int32Array(nInner).fill(-1);
  for (let i = 0; i < inner.length; i++) {
    const a = inner[i];
    if (parent[a] === -1) parent[a] = outer[i];
    else if (parent[a] !== outer[i]) return null;
  }
  return parent;
}

function lowerBound(a: Int32Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function buildBlockLayout(design: Design): BlockLayout {
  const { n, terms, X, y } = design;
  const K = terms.length;
  const p = X.columns.length;
  const q = terms.map((t) => t.columns.length);
  const L = terms.map((t) => t.factor.levels.length);
  const codes = terms.map((t) => t.factor.codes);

  // Leading chain of nested terms; parents[t][l] = level of term t+1 containing level l of t.
  const parents: Int32Array[] = [];
  let m = 1;
  while (m < K) {
    const par = nestedIn(codes[m - 1], L[m - 1], codes[m]);
    if (!par) break;
    parents.push(par);
    m++;
  }

  // Unit numbering and global scalar positions of the block-diagonal units.
  const unitBase: number[] = [];
  const globalBase: number[] = [];
  let nUnits = 0;
  let nb = 0;
  for (let t = 0; t < m; t++) {
    unitBase.push(nUnits);
    globalBase.push(nb);
    nUnits += L[t];
    nb += L[t] * q[t];
  }
  // Dense tail: crossed terms' units, then X, then y.
  const dStart: number[] = new Array(K).fill(-1);
  let nd = 0;
  for (let d = m; d < K; d++) {
    dStart[d] = nd;
    nd += L[d] * q[d];
  }
  const mt = nd + p + 1;

  // Tail rows met by each unit (unit starts of crossed terms), sorted.
  const tailUnits: Int32Array[] = new Array(nUnits);
  if (m < K) {
    const sets: Set<number>[] = Array.from({ length: nUnits }, () => new Set<number>());
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < m; t++) {
        const s = sets[unitBase[t] + codes[t][i]];
        for (let d = m; d < K; d++) s.add(dStart[d] + codes[d][i] * q[d]);
      }
    }
    sets.forEach((s, u) => (tailUnits[u] = Int32Array.from(s).sort()));
  } else tailUnits.fill(new Int32Array(0));
  const dTermOf = (tp: number) => {
    let d = K - 1;
    while (dStart[d] > tp) d--;
    return d;
  };

  // Per unit: tail rows (scalar tail positions), the row where each ancestor starts, panel offset.
  const unitTerm = new Int32Array(nUnits);
  const unitLevel = new Int32Array(nUnits);
  const tailRows: Int32Array[] = new Array(nUnits);
  const ancestors: number[][] = new Array(nUnits);
  const panelOff = new Int32Array(nUnits);
  const nrowsOf = new Int32Array(nUnits);
  let aSize = 0;
  for (let t = 0; t < m; t++) {
    for (let l = 0; l < L[t]; l++) {
      const u = unitBase[t] + l;
      unitTerm[u] = t;
      unitLevel[u] = l;
      const anc: number[] = [];
      let lev = l;
      for (let s = t + 1; s < m; s++) {
        lev = parents[s - 1][lev];
        anc.push(unitBase[s] + lev);
      }
      ancestors[u] = anc;
      const rows: number[] = [];
      for (const tp of tailUnits[u]) for (let k = 0; k < q[dTermOf(tp)]; k++) rows.push(tp + k);
      for (let k = 0; k <= p; k++) rows.push(nd + k);
      tailRows[u] = Int32Array.from(rows);
    }
  }
  // Panel sizes need every unit's term, so they come after the loop above.
  for (let u = 0; u < nUnits; u++) {
    const t = unitTerm[u];
    nrowsOf[u] = q[t] + ancestors[u].reduce((a, v) => a + q[unitTerm[v]], 0) + tailRows[u].length;
    panelOff[u] = aSize;
    aSize += nrowsOf[u] * q[t];
  }
  const tailOff = aSize;
  aSize += mt * mt;

  // Row position (within unit u's panel) of tail position tp.
  const tailRowInPanel = (u: number, tp: number) => nrowsOf[u] - tailRows[u].length + lowerBound(tailRows[u], tp);

  const units = new Int32Array(nUnits * UNIT_STRIDE);
  const segs: number[] = [];
  const groups: number[] = [];
  const idx: number[] = [];
  const grow: number[] = [];
  for (let u = 0; u < nUnits; u++) {
    const t = unitTerm[u];
    const qt = q[t];
    const rec = u * UNIT_STRIDE;
    units[rec + U.PANEL] = panelOff[u];
    units[rec + U.Q] = qt;
    units[rec + U.NROWS] = nrowsOf[u];
    units[rec + U.TERM] = t;
    units[rec + U.GLOBAL] = globalBase[t] + unitLevel[u] * qt;
    units[rec + U.SEG0] = segs.length / SEG_STRIDE;
    units[rec + U.GROUP0] = groups.length / GROUP_STRIDE;
    units[rec + U.GROW0] = grow.length;
    // Segments and global indices of the off-diagonal rows.
    segs.push(0, qt, t);
    let row = qt;
    const ancRow: number[] = [];
    for (const v of ancestors[u]) {
      const qs = q[unitTerm[v]];
      segs.push(row, qs, unitTerm[v]);
      ancRow.push(row);
      const g = globalBase[unitTerm[v]] + unitLevel[v] * qs;
      for (let k = 0; k < qs; k++) grow.push(g + k);
      row += qs;
    }
    const tailFirst = row;
    for (const tp of tailUnits[u]) {
      const d = dTermOf(tp);
      segs.push(row, q[d], d);
      row += q[d];
    }
    segs.push(row, p + 1, -1);
    for (const tp of tailRows[u]) grow.push(nb + tp);
    units[rec + U.NSEG] = segs.length / SEG_STRIDE - units[rec + U.SEG0];

    // Scatter groups of the Schur-complement update.
    const noff = nrowsOf[u] - qt;
    ancestors[u].forEach((v, a) => {
      const first = ancRow[a] - qt;
      const qs = q[unitTerm[v]];
      groups.push(first, first + qs, panelOff[v], qs, idx.length);
      // positions in v's panel of this unit's rows from v's own rows onwards
      let vrow = 0;
      for (let b = a; b < ancestors[u].length; b++) {
        const qb = q[unitTerm[ancestors[u][b]]];
        for (let k = 0; k < qb; k++) idx.push(vrow + k);
        vrow += qb;
      }
      for (const tp of tailRows[u]) idx.push(tailRowInPanel(v, tp));
    });
    groups.push(tailFirst - qt, noff, tailOff, mt, idx.length);
    for (const tp of tailRows[u]) idx.push(tp);
    units[rec + U.NGROUP] = groups.length / GROUP_STRIDE - units[rec + U.GROUP0];
  }

  const tailSegs: number[] = [];
  for (let d = m; d < K; d++) for (let l = 0; l < L[d]; l++) tailSegs.push(dStart[d] + l * q[d], q[d], d);
  tailSegs.push(nd, p + 1, -1);

  const termRecs = new Int32Array(K * TERM_STRIDE);
  let ntheta = 0;
  let tmatSize = 0;
  terms.forEach((_, t) => {
    termRecs.set([q[t], ntheta, tmatSize], t * TERM_STRIDE);
    ntheta += (q[t] * (q[t] + 1)) / 2;
    tmatSize += q[t] * q[t];
  });

  // Row data: z of each term, then x, then y; one accumulation target per pseudo-term pair.
  const zOff: number[] = [];
  let width = 0;
  for (let t = 0; t < K; t++) {
    zOff.push(width);
    width += q[t];
  }
  const xOff = width;
  width += p + 1;
  const w = new Float64Array(n * width);
  for (let i = 0; i < n; i++) {
    const r = i * width;
    for (let t = 0; t < K; t++) for (let k = 0; k < q[t]; k++) w[r + zOff[t] + k] = terms[t].columns[k][i];
    for (let k = 0; k < p; k++) w[r + xOff + k] = X.columns[k][i];
    w[r + xOff + p] = y[i];
  }
  const pseudo = [...q.map((qq, t) => ({ off: zOff[t], q: qq })), { off: xOff, q: p + 1 }];
  const pairList: number[] = [];
  const pairS: number[] = [];
  const pairT: number[] = [];
  for (let t = 0; t <= K; t++) {
    for (let s = t; s <= K; s++) {
      pairList.push(pseudo[s].off, pseudo[s].q, pseudo[t].off, pseudo[t].q, t < m ? q[t] : mt);
      pairS.push(s);
      pairT.push(t);
    }
  }
  const npairs = pairS.length;
  const bases = new Int32Array(n * npairs);
  const ancRowOf = (u: number, s: number) => {
    // ancestor of u in term s starts after u's own rows and the ancestors before it
    let row = q[unitTerm[u]];
    for (let b = unitTerm[u] + 1; b < s; b++) row += q[b];
    return row;
  };
  for (let i = 0; i < n; i++) {
    const rb = i * npairs;
    for (let k = 0; k < npairs; k++) {
      const s = pairS[k];
      const t = pairT[k];
      let base: number;
      if (t < m) {
        const u = unitBase[t] + codes[t][i];
        const row =
          s === t ? 0 : s < m ? ancRowOf(u, s) : s < K ? tailRowInPanel(u, dStart[s] + codes[s][i] * q[s]) : nrowsOf[u] - p - 1;
        base = panelOff[u] + row * q[t];
      } else if (t < K) {
        const tpT = dStart[t] + codes[t][i] * q[t];
        const tpS = s < K ? dStart[s] + codes[s][i] * q[s] : nd;
        base = tailOff + tpS * mt + tpT;
      } else base = tailOff + nd * mt + nd;
      bases[rb + k] = base;
    }
  }

  const levelPositions = terms.map((_, t) =>
    Int32Array.from({ length: L[t] }, (_, l) => (t < m ? globalBase[t] + l * q[t] : nb + dStart[t] + l * q[t])),
  );

  return {
    nBlockTerms: m,
    nUnits,
    units,
    groups: Int32Array.from(groups),
    segs: Int32Array.from(segs),
    idx: Int32Array.from(idx),
    grow: Int32Array.from(grow),
    terms: termRecs,
    ntheta,
    tmatSize,
    aSize,
    tailOff,
    mt,
    nd,
    nb,
    p,
    tailSegs: Int32Array.from(tailSegs),
    maxq: Math.max(...q),
    width,
    w,
    bases,
    pairs: Int32Array.from(pairList),
    npairs,
    levelPositions,
  };
}
