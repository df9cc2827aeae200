// The symbolic half of the blocked Cholesky, done once per model in TypeScript.
//
// Unknowns are ordered: the units (one per level) of the leading chain of nested
// terms ("block-diagonal" terms: each level of a term lies within one level of
// the next), then a dense tail holding the remaining (crossed) terms' units, the
// fixed effects and y. A block-diagonal unit owns a panel: its q own rows and the
// rows it couples to (its ancestor units in later nested terms, the tail rows it
// meets in the data, and X, y). Nested terms therefore stay block diagonal;
// crossed terms fill in inside the dense tail.
//
// Cohorts have 10^5 units and 10^6 rows, so everything per unit or per row goes
// into typed arrays sized in advance (no per-unit objects). The layout is planned
// from the model's shape alone; the cross-products are filled in by a source
// (cross-products.ts).
import { G, GROUP_STRIDE, S, SEG_STRIDE, T, TERM_STRIDE, U, UNIT_STRIDE, VARIANT_GENERIC, VARIANT_INTERCEPT, VARIANT_SLOPE, VARIANT_TAIL_DENSE, VARIANT_TAIL_ROWS } from "../wasm/layout.generated.js";
import type { Design } from "./design.js";
import { LmmError, quote } from "../errors.js";

/** The layout the kernels work on, without the row data. */
export interface BlockLayout {
  /** Number of leading terms that stay block diagonal. */
  nBlockTerms: number;
  nUnits: number;
  /** The units' kernels (VARIANT_*, see planBlockLayout), written into the descriptor. */
  variant: number;
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
  /** Per term, the position in the solution vector of each level's q values. */
  levelPositions: Int32Array[];
  /**
   * Under VARIANT_TAIL_ROWS, the units' tail updates by tail row
   * (assembly/tailrows.ts): (unit, off-diagonal row) pairs
   * tailRowEntries[2 * tailRowStart[r] ..] target tail row r. Empty otherwise.
   */
  tailRowStart: Int32Array;
  tailRowEntries: Int32Array;
}

/**
 * What the layout is planned from: per term its columns, levels and the level
 * codes of each cell, where a cell is a row, or a group of rows that share every
 * term's level (cross-products summed elsewhere, see cross-products.ts): nesting
 * and which crossed levels meet are the same seen from rows or from cells.
 */
export interface LayoutShape {
  /** Number of cells. */
  n: number;
  /** Columns of X. */
  p: number;
  terms: readonly TermShape[];
}

/** One random-effects term as the layout sees it. */
export interface TermShape {
  /** The grouping factor's name (for messages). */
  group: string;
  /** Columns of the term. */
  q: number;
  /** Levels of the grouping factor. */
  levels: number;
  /** Level of each cell. */
  codes: Int32Array;
}

/** The shape of a design whose cells are its rows. */
export function designShape(design: Design): LayoutShape {
  return {
    n: design.n,
    p: design.X.columns.length,
    terms: design.terms.map((t) => ({ group: t.group, q: t.columns.length, levels: t.factor.levels.length, codes: t.factor.codes })),
  };
}

/**
 * A layout, and where in A the cross-products go. Pseudo-terms are the random
 * terms 0..K-1 and K, the columns [X y]; the block of pseudo-terms s >= t is
 * added at A[target + i * ld + j] with ld = `leadingDimension(t)`, over its
 * lower triangle only when t = K (the kernels read [X y]'[X y] through it).
 */
export interface LayoutPlan {
  layout: BlockLayout;
  /** Where the block (s, t) of cell i starts. */
  cellTarget(s: number, t: number, i: number): number;
  /**
   * Where the block (s, t) of level l of block-diagonal term t starts, for s a
   * later nested term or K: it depends on t's level alone.
   */
  levelTarget(s: number, t: number, l: number): number;
  leadingDimension(t: number): number;
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

/** First index in a[from, to) holding a value >= v. */
function lowerBound(a: Int32Array, from: number, to: number, v: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Lists in one pool: list j is pool[start[j], start[j + 1]). */
interface Lists {
  start: Int32Array;
  pool: Int32Array;
}

/**
 * The numbering of a model's unknowns and the shape of every panel, and the
 * questions the layout records and the row data ask of them (where a unit's
 * rows lie, where a row's cross-products go). A class, so that each pass over
 * the units is a method of its own: small functions that V8 optimises quickly.
 */
class Planner {
  readonly n: number;
  readonly K: number;
  readonly p: number;
  readonly q: number[];
  readonly L: number[];
  readonly codes: Int32Array[];
  /** Leading chain of m nested terms; parents[t][l] = level of term t+1 containing level l of t. */
  readonly m: number;
  readonly parents: Int32Array[] = [];
  /** First unit and first global scalar position of each block-diagonal term. */
  readonly unitBase: number[] = [];
  readonly globalBase: number[] = [];
  readonly nUnits: number;
  readonly nb: number;
  /** Dense tail: each crossed term's first row (-1 for block-diagonal terms), nd rows in all, then X and y. */
  readonly dStart: number[];
  readonly nd: number;
  readonly mt: number;
  /** The crossed term of each tail position below nd. */
  readonly termOfTail: Int32Array;
  /**
   * A unit of term t has its own q[t] rows, then one ancestor unit in each later
   * nested term (their rows in term order), then its tail rows: ancRows[t] rows
   * before the tail.
   */
  readonly ancRows: Int32Array;
  /**
   * Per unit, the tail units it meets in the data and their scalar rows (sorted);
   * every unit also has the p + 1 rows of X and y after these.
   */
  readonly tailUnits: Lists;
  readonly crossRows: Lists;

  constructor(shape: LayoutShape) {
    const { n, terms } = shape;
    this.n = n;
    const K = (this.K = terms.length);
    const p = (this.p = shape.p);
    const q = (this.q = terms.map((t) => t.q));
    const L = (this.L = terms.map((t) => t.levels));
    const codes = (this.codes = terms.map((t) => t.codes));

    let m = Math.min(1, K); // no random terms (a gls model): no block-diagonal terms either
    while (m < K) {
      const par = nestedIn(codes[m - 1], L[m - 1], codes[m]);
      if (!par) break;
      this.parents.push(par);
      m++;
    }
    this.m = m;

    let nUnits = 0;
    let nb = 0;
    for (let t = 0; t < m; t++) {
      this.unitBase.push(nUnits);
      this.globalBase.push(nb);
      nUnits += L[t];
      nb += L[t] * q[t];
    }
    this.nUnits = nUnits;
    this.nb = nb;
    this.dStart = new Array(K).fill(-1);
    let nd = 0;
    for (let d = m; d < K; d++) {
      this.dStart[d] = nd;
      nd += L[d] * q[d];
    }
    this.nd = nd;
    this.mt = nd + p + 1;
    this.termOfTail = new Int32Array(nd);
    for (let d = m; d < K; d++) this.termOfTail.fill(d, this.dStart[d], this.dStart[d] + L[d] * q[d]);
    checkDenseTail(shape, m, this.mt);

    this.ancRows = new Int32Array(m + 1);
    for (let t = m - 1; t >= 0; t--) this.ancRows[t] = q[t] + this.ancRows[t + 1];
    this.tailUnits = this.tailUnitsMet();
    this.crossRows = this.expandTailUnits();
  }

  /**
   * The tail units each unit meets, sorted. Per block-diagonal term, its cells
   * are bucketed by level (a counting sort); each unit's bucket then lists the
   * tail positions of its cells once (a stamp per tail position) and sorts that
   * short list. Without crossed terms all lists are empty.
   */
  private tailUnitsMet(): Lists {
    const { n, m, K, nd, nUnits, L, codes } = this;
    const start = new Int32Array(nUnits + 1);
    if (m === K) return { start, pool: new Int32Array(0) };
    // At most one entry per (cell, block-diagonal term, crossed term); trimmed at the end.
    const pool = new Int32Array(n * m * (K - m));
    const stamp = new Int32Array(nd).fill(-1);
    const order = new Int32Array(n);
    let k = 0;
    for (let t = 0; t < m; t++) {
      const bucket = new Int32Array(L[t] + 1);
      for (let i = 0; i < n; i++) bucket[codes[t][i] + 1]++;
      for (let l = 0; l < L[t]; l++) bucket[l + 1] += bucket[l];
      const next = bucket.slice(0, L[t]);
      for (let i = 0; i < n; i++) order[next[codes[t][i]]++] = i;
      for (let l = 0; l < L[t]; l++) {
        const u = this.unitBase[t] + l;
        const first = k;
        for (let j = bucket[l]; j < bucket[l + 1]; j++) {
          for (let d = m; d < K; d++) {
            const tp = this.tailPos(d, order[j]);
            if (stamp[tp] !== u) {
              stamp[tp] = u;
              pool[k++] = tp;
            }
          }
        }
        pool.subarray(first, k).sort();
        start[u + 1] = k;
      }
    }
    return { start, pool: pool.slice(0, k) };
  }

  /** The scalar rows of each unit's tail units. */
  private expandTailUnits(): Lists {
    const { start: uStart, pool: uPool } = this.tailUnits;
    if (uPool.length === 0) return this.tailUnits; // all empty
    const start = new Int32Array(this.nUnits + 1);
    for (let u = 0; u < this.nUnits; u++) {
      let rows = 0;
      for (let j = uStart[u]; j < uStart[u + 1]; j++) rows += this.q[this.dTermOf(uPool[j])];
      start[u + 1] = start[u] + rows;
    }
    const pool = new Int32Array(start[this.nUnits]);
    for (let j = 0, k = 0; j < uPool.length; j++) {
      for (let r = 0; r < this.q[this.dTermOf(uPool[j])]; r++) pool[k++] = uPool[j] + r;
    }
    return { start, pool };
  }

  /** The crossed term whose units include tail position tp (< nd). */
  dTermOf(tp: number): number {
    return this.termOfTail[tp];
  }

  /** Tail position of row i's unit of crossed term d (nd for the X, y rows, d = K). */
  tailPos(d: number, i: number): number {
    return d < this.K ? this.dStart[d] + this.codes[d][i] * this.q[d] : this.nd;
  }

  /** Row, in the panel of a unit of term t, where its ancestor in term s > t starts. */
  ancestorRow(t: number, s: number): number {
    return this.ancRows[t] - this.ancRows[s];
  }

  /**
   * Whether tail unit j (of crossed term d) met by unit u joins the segment of
   * the one before it: units of a scalar term (q = 1) in a row of the panel are
   * one segment, a run whose rows are each scaled by the term's one entry of T
   * (with `||`, a term per column: thousands of 1 x 1 segments otherwise).
   */
  extendsRun(j: number, u: number, d: number): boolean {
    return this.q[d] === 1 && j > this.tailUnits.start[u] && this.dTermOf(this.tailUnits.pool[j - 1]) === d;
  }

  /** The segments of unit u's tail units (see extendsRun). */
  tailSegmentCount(u: number): number {
    let count = 0;
    for (let j = this.tailUnits.start[u]; j < this.tailUnits.start[u + 1]; j++) {
      if (!this.extendsRun(j, u, this.dTermOf(this.tailUnits.pool[j]))) count++;
    }
    return count;
  }

  /** Write unit u's tail rows into `out`; returns how many. */
  tailRowsOf(u: number, out: Int32Array): number {
    const { start, pool } = this.crossRows;
    let k = 0;
    for (let j = start[u]; j < start[u + 1]; j++) out[k++] = pool[j];
    for (let r = 0; r <= this.p; r++) out[k++] = this.nd + r;
    return k;
  }

  /**
   * tailRowInPanel for each of `count` sorted tail rows of a unit nested in u
   * (so all of them are u's), written to out[at..]: one walk along u's rows.
   */
  tailRowsInPanel(u: number, t: number, nrows: number, rows: Int32Array, count: number, out: Int32Array, at: number): void {
    const { start, pool } = this.crossRows;
    let j = start[u];
    for (let k = 0; k < count; k++) {
      const tp = rows[k];
      if (tp >= this.nd) {
        out[at + k] = this.tailRowInPanel(u, t, nrows, tp); // X, y: no search
        continue;
      }
      while (pool[j] < tp) j++;
      out[at + k] = this.ancRows[t] + j - start[u];
    }
  }

  /** Row position, within the panel of unit u of term t (nrows rows), of tail position tp. */
  tailRowInPanel(u: number, t: number, nrows: number, tp: number): number {
    if (tp >= this.nd) return nrows - (this.p + 1) + (tp - this.nd);
    const { start, pool } = this.crossRows;
    return this.ancRows[t] + lowerBound(pool, start[u], start[u + 1], tp) - start[u];
  }

  /**
   * Unit records: the panel, and where the unit's segments, scatter groups and
   * global row indices start. Counting them here lets `unitLists` write them
   * straight into arrays of the right size.
   */
  unitRecords(): { units: Int32Array; aSize: number; nSegs: number; nGroups: number; nGrow: number; nIdx: number } {
    const { m, p, q, L, ancRows } = this;
    const crossStart = this.crossRows.start;
    const tailUnitStart = this.tailUnits.start;
    const units = new Int32Array(this.nUnits * UNIT_STRIDE);
    let aSize = 0;
    let nSegs = 0;
    let nGroups = 0;
    let nGrow = 0;
    let nIdx = 0;
    for (let t = 0; t < m; t++) {
      const nAncestors = m - 1 - t;
      let ancestorIdx = 0; // per ancestor, the rows from its own onwards
      for (let s = t + 1; s < m; s++) ancestorIdx += ancRows[s];
      for (let l = 0, u = this.unitBase[t]; l < L[t]; l++, u++) {
        const nTail = crossStart[u + 1] - crossStart[u] + p + 1;
        const rec = u * UNIT_STRIDE;
        units[rec + U.PANEL] = aSize;
        units[rec + U.Q] = q[t];
        units[rec + U.NROWS] = ancRows[t] + nTail;
        units[rec + U.TERM] = t;
        units[rec + U.GLOBAL] = this.globalBase[t] + l * q[t];
        // own rows, each ancestor, each tail unit met, X and y
        units[rec + U.SEG0] = nSegs;
        units[rec + U.NSEG] = 2 + nAncestors + this.tailSegmentCount(u);
        nSegs += units[rec + U.NSEG];
        // one group per ancestor panel, one for the tail
        units[rec + U.GROUP0] = nGroups;
        units[rec + U.NGROUP] = nAncestors + 1;
        nGroups += nAncestors + 1;
        // global indices of the off-diagonal rows
        units[rec + U.GROW0] = nGrow;
        nGrow += ancRows[t] - q[t] + nTail;
        // scatter targets: per ancestor, its rows and the tail rows; then the tail rows
        nIdx += ancestorIdx + (nAncestors + 1) * nTail;
        aSize += units[rec + U.NROWS] * q[t];
      }
    }
    return { units, aSize, nSegs, nGroups, nGrow, nIdx };
  }

  /** Each unit's segments, scatter groups (and their targets) and global row indices. */
  unitLists(
    records: ReturnType<Planner["unitRecords"]>,
    tailOff: number,
    globalRowsOnly: boolean,
  ): { segs: Int32Array; groups: Int32Array; grow: Int32Array; idx: Int32Array } {
    const { m, p, q, L, ancRows, nb, mt } = this;
    const { units } = records;
    const tailUnits = this.tailUnits;
    const segs = new Int32Array(globalRowsOnly ? 0 : records.nSegs * SEG_STRIDE);
    const groups = new Int32Array(globalRowsOnly ? 0 : records.nGroups * GROUP_STRIDE);
    const grow = new Int32Array(records.nGrow);
    const idx = new Int32Array(globalRowsOnly ? 0 : records.nIdx);
    let sg = 0; // write cursors
    let gr = 0;
    let gw = 0;
    let ix = 0;
    const addSeg = (row: number, qs: number, term: number) => {
      segs[sg + S.START] = row;
      segs[sg + S.LEN] = qs;
      segs[sg + S.TERM] = term;
      sg += SEG_STRIDE;
    };
    const addGroup = (first: number, end: number, target: number, stride: number) => {
      groups[gr + G.FIRST] = first;
      groups[gr + G.END] = end;
      groups[gr + G.BASE] = target;
      groups[gr + G.STRIDE] = stride;
      groups[gr + G.IDX0] = ix;
      gr += GROUP_STRIDE;
    };
    const ancestorLevel = new Int32Array(m); // the unit's ancestor in each term s > its own
    const tailRows = new Int32Array(mt); // the unit's tail rows
    for (let t = 0; t < m; t++) {
      const qt = q[t];
      for (let l = 0, u = this.unitBase[t]; l < L[t]; l++, u++) {
        for (let s = t + 1, lev = l; s < m; s++) ancestorLevel[s] = lev = this.parents[s - 1][lev];
        const nTail = this.tailRowsOf(u, tailRows);
        if (globalRowsOnly) {
          // One term: no ancestors, no crossed rows; the tail rows are all there is.
          for (let k = 0; k < nTail; k++) grow[gw++] = nb + tailRows[k];
          continue;
        }
        const nrows = units[u * UNIT_STRIDE + U.NROWS];
        // Segments and global indices of the off-diagonal rows.
        addSeg(0, qt, t);
        for (let s = t + 1; s < m; s++) {
          addSeg(this.ancestorRow(t, s), q[s], s);
          const g = this.globalBase[s] + ancestorLevel[s] * q[s];
          for (let k = 0; k < q[s]; k++) grow[gw++] = g + k;
        }
        let row = ancRows[t];
        for (let j = tailUnits.start[u]; j < tailUnits.start[u + 1]; j++) {
          const d = this.dTermOf(tailUnits.pool[j]);
          if (this.extendsRun(j, u, d)) segs[sg - SEG_STRIDE + S.LEN]++; // one more row of a scalar term's run
          else addSeg(row, q[d], d);
          row += q[d];
        }
        addSeg(row, p + 1, -1);
        for (let k = 0; k < nTail; k++) grow[gw++] = nb + tailRows[k];

        // Scatter groups of the Schur-complement update: into each ancestor's panel
        // (from its own rows onwards, which are the same rows in both panels, then
        // the tail rows), then into the tail.
        for (let s = t + 1; s < m; s++) {
          const v = this.unitBase[s] + ancestorLevel[s];
          const vrec = v * UNIT_STRIDE;
          const first = this.ancestorRow(t, s) - qt;
          addGroup(first, first + q[s], units[vrec + U.PANEL], q[s]);
          for (let k = 0; k < ancRows[s]; k++) idx[ix++] = k;
          this.tailRowsInPanel(v, s, units[vrec + U.NROWS], tailRows, nTail, idx, ix);
          ix += nTail;
        }
        addGroup(ancRows[t] - qt, nrows - qt, tailOff, mt);
        for (let k = 0; k < nTail; k++) idx[ix++] = tailRows[k];
      }
    }
    if (sg !== segs.length || gr !== groups.length || gw !== grow.length || ix !== idx.length) {
      throw new Error("internal: unit lists disagree with the counts of unitRecords");
    }
    return { segs, groups, grow, idx };
  }
}

/** The units' tail-group rows listed by the tail row they update (see BlockLayout.tailRowStart). */
function tailRowLists(units: Int32Array, groups: Int32Array, idx: Int32Array, nUnits: number, mt: number): { tailRowStart: Int32Array; tailRowEntries: Int32Array } {
  const start = new Int32Array(mt + 1);
  const each = (visit: (u: number, k: number, row: number) => void) => {
    for (let u = 0; u < nUnits; u++) {
      const rec = u * UNIT_STRIDE;
      const g = (units[rec + U.GROUP0] + units[rec + U.NGROUP] - 1) * GROUP_STRIDE; // the tail group is last
      const first = groups[g + G.FIRST];
      const end = groups[g + G.END];
      for (let k = first; k < end; k++) visit(u, k, idx[groups[g + G.IDX0] + k - first]);
    }
  };
  each((_u, _k, row) => start[row + 1]++);
  for (let r = 0; r < mt; r++) start[r + 1] += start[r];
  const entries = new Int32Array(2 * start[mt]);
  const next = start.slice(0, mt);
  each((u, k, row) => {
    entries[2 * next[row]] = u;
    entries[2 * next[row] + 1] = k;
    next[row]++;
  });
  return { tailRowStart: start, tailRowEntries: entries };
}

/** WebAssembly's 32-bit memory: the most one model's instance can address. */
export const WASM_MEMORY_BYTES = 2 ** 32;

/**
 * The dense tail (crossed terms' effects, X and y: mt x mt) is held as A, its
 * factor F, the adjoint Fbar and about four more mt x mt of workspace: refuse a
 * tail that cannot fit in WebAssembly's 4 GB before anything is allocated.
 */
function checkDenseTail(shape: LayoutShape, m: number, mt: number): void {
  const bytes = 7 * 8 * mt * mt;
  if (bytes <= WASM_MEMORY_BYTES) return;
  const crossed = shape.terms.slice(m).map((t) => `${quote(t.group)} (${t.levels} levels)`);
  throw new LmmError(
    `The crossed random effects of ${crossed.join(", ")} are not nested, so their ${mt - shape.p - 1} effects form a dense ${mt} x ${mt} block that needs ${gigabytes(bytes)} of memory, more than the 4 GB WebAssembly can address: use fewer levels, or nest the factors if the design is nested.`,
  );
}

/** Bytes in GB (2^30 bytes, as WebAssembly's 4 GB are counted) with one decimal, for messages. */
export function gigabytes(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GB`;
}

/** Lay the model out (see the file comment) and say where its cross-products go. */
export function planBlockLayout(shape: LayoutShape): LayoutPlan {
  const P = new Planner(shape);
  const { K, m, p, q, L, codes, nd, mt, nb } = P;
  const records = P.unitRecords();
  const { units } = records;
  const tailOff = records.aSize;
  const aSize = tailOff + mt * mt;
  // The fused sweeps (assembly/intercept.ts, slope.ts) read the panels alone;
  // only the solve needs the global rows. The generic kernels with crossed
  // terms (nd > 0) update the tail one of two ways, chosen from the lists.
  const sweep = sweepVariant(q);
  const { segs, groups, grow, idx } = P.unitLists(records, tailOff, sweep !== VARIANT_GENERIC);
  const variant = sweep === VARIANT_GENERIC && nd > 0 ? tailVariant(units, groups, P.nUnits, mt) : sweep;

  const tailSegs: number[] = [];
  const tailSeg = (start: number, len: number, term: number) =>
    tailSegs.push(...record(SEG_STRIDE, [[S.START, start], [S.LEN, len], [S.TERM, term]]));
  for (let d = m; d < K; d++) for (let l = 0; l < L[d]; l++) tailSeg(P.dStart[d] + l * q[d], q[d], d);
  tailSeg(nd, p + 1, -1);

  const termRecs = new Int32Array(K * TERM_STRIDE);
  let ntheta = 0;
  let tmatSize = 0;
  q.forEach((qt, t) => {
    termRecs.set(record(TERM_STRIDE, [[T.Q, qt], [T.THETA0, ntheta], [T.TMAT0, tmatSize]]), t * TERM_STRIDE);
    ntheta += (qt * (qt + 1)) / 2;
    tmatSize += qt * qt;
  });

  /**
   * Where in A the block of pseudo-term s against unit u of block-diagonal term
   * t <= s starts; tp is the tail position met when s is a crossed term.
   */
  const panelTarget = (u: number, t: number, s: number, tp: number) => {
    const nrows = units[u * UNIT_STRIDE + U.NROWS];
    const row = s === t ? 0 : s < m ? P.ancestorRow(t, s) : s < K ? P.tailRowInPanel(u, t, nrows, tp) : nrows - p - 1;
    return units[u * UNIT_STRIDE + U.PANEL] + row * q[t];
  };

  const levelPositions = L.map((levels, t) => {
    const pos = new Int32Array(levels);
    const first = t < m ? P.globalBase[t] : nb + P.dStart[t];
    for (let l = 0; l < levels; l++) pos[l] = first + l * q[t];
    return pos;
  });

  const layout: BlockLayout = {
    nBlockTerms: m,
    nUnits: P.nUnits,
    variant,
    units,
    groups,
    segs,
    idx,
    grow,
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
    maxq: Math.max(0, ...q),
    levelPositions,
    ...(variant === VARIANT_TAIL_ROWS ? tailRowLists(units, groups, idx, P.nUnits, mt) : { tailRowStart: new Int32Array(0), tailRowEntries: new Int32Array(0) }),
  };
  return {
    layout,
    cellTarget: (s, t, i) => (t < m ? panelTarget(P.unitBase[t] + codes[t][i], t, s, P.tailPos(s, i)) : tailOff + P.tailPos(s, i) * mt + P.tailPos(t, i)),
    levelTarget: (s, t, l) => panelTarget(P.unitBase[t] + l, t, s, nd),
    leadingDimension: (t) => (t < m ? q[t] : mt),
  };
}

/**
 * The kernel that factors the units of a model whose terms have these numbers
 * of columns: one term of one or two columns runs its unrolled sweep (a random
 * intercept, or intercept and slope, per group), anything else the generic one.
 * Known from the design alone (unit-split.ts starts its worker before the layout).
 */
export function sweepVariant(q: readonly number[]): number {
  if (q.length !== 1) return VARIANT_GENERIC;
  return q[0] === 1 ? VARIANT_INTERCEPT : q[0] === 2 ? VARIANT_SLOPE : VARIANT_GENERIC;
}

/**
 * How the generic kernels update a dense tail: as packed products
 * (assembly/densetail.ts) when the entries the units update, sum over units of
 * q * rows^2 / 2, are at least half of what the dense products compute, mt^2 / 2
 * per column; row by row (assembly/tailrows.ts) otherwise.
 */
function tailVariant(units: Int32Array, groups: Int32Array, nUnits: number, mt: number): number {
  let sparse = 0;
  let dense = 0;
  for (let u = 0; u < nUnits; u++) {
    const rec = u * UNIT_STRIDE;
    const q = units[rec + U.Q];
    const g = (units[rec + U.GROUP0] + units[rec + U.NGROUP] - 1) * GROUP_STRIDE; // the tail group is last
    const rows = groups[g + G.END] - groups[g + G.FIRST];
    sparse += q * rows * rows;
    dense += q * mt * mt;
  }
  return sparse >= 0.5 * dense ? VARIANT_TAIL_DENSE : VARIANT_TAIL_ROWS;
}

/**
 * One record of `stride` i32 fields, each value at its field number: the order
 * of a record's fields is written in assembly/layout.ts alone.
 */
export function record(stride: number, fields: [field: number, value: number][]): number[] {
  const out = new Array<number>(stride).fill(0);
  for (const [f, v] of fields) out[f] = v;
  return out;
}
