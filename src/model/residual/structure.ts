// A residual structure (nlme's correlation and variance functions): within
// each group (subject) i, e_i ~ N(0, sigma^2 Psi_i(rho)). Whitening the
// group's rows by C_i^-1 (Psi_i = C_i C_i') makes the model an ordinary one
// with iid errors, and the likelihood gains the Jacobian, -sum_i log|Psi_i|.
//
// Psi_i depends on the group only through its pattern of occasions (the
// times, visits and variance strata of its rows, in row order), so groups
// that share a pattern share Psi_p: C_p^-1 and log|Psi_p| are computed once
// per pattern and evaluation, and the pass over the rows is a product with
// those small triangles, in WASM (assembly/whiten.ts; cost: rows x occasions
// per column).
import { choleskyDefinite, invertLower } from "../../linalg.js";
import { LmmError, quote } from "../../errors.js";
import type { RandomEffectsTerm } from "../design.js";
import { termStructures, thetaToFactors } from "../parameters.js";
import type { ResidualDesign } from "./residual-design.js";
import type { CorrelationKind } from "./spec.js";


/** What the summary and JSON report of a residual structure at its estimates (nlme's meanings). */
export interface ResidualReport {
  correlation?: { type: CorrelationKind; formula: string; parameters: Record<string, number> };
  variance?: { type: "ident"; formula: string; parameters: Record<string, number> };
}

/** The groups of rows sharing one pattern of occasions. */
interface Pattern {
  /** Occasions (rows per group). */
  m: number;
  /** Groups with this pattern. */
  count: number;
  /** Per occasion: time (ar1, car1), visit code (us), stratum code (ident). */
  times: Float64Array;
  visits: Int32Array;
  strata: Int32Array;
  /** Per absorbed random-effects term, its z values per occasion (m x q, row-major). */
  z: Float64Array[];
}

const logistic = (a: number) => 1 / (1 + Math.exp(-a));

/** The formula of a small option, as nlme prints it (`~time | Subject`). */
function formulaText(covariate: string | null, group: string): string {
  return `~${covariate ?? "1"} | ${group}`;
}

/**
 * A residual structure on a design's rows: `set(rho)` computes every pattern's
 * C_p^-1 and the log-determinant; `whiten(x, out)` applies them to a column.
 * rho is unconstrained (nlme's own parametrisations), so the optimiser needs no bounds.
 */
export class ResidualStructure {
  /** Rows in group order; group g holds order[groupStart[g], groupStart[g + 1]). */
  private readonly order: Int32Array;
  private readonly groupStart: Int32Array;
  private readonly groupPattern: Int32Array;
  private readonly patterns: Pattern[];
  /** Every pattern's C_p^-1 (lower triangle of an m x m row-major block), at cinvAt[p]. */
  private readonly cinv: Float64Array;
  private readonly cinvAt: Int32Array;
  /** Per pattern, the subdiagonals of C_p^-1 that are not zero: 1 for ar1 and car1 with times increasing in row order, else m. */
  private readonly band: Int32Array;
  /** Largest group (cs's lower bound on the correlation is -1 / (largest - 1)). */
  private readonly largest: number;
  /** Parameters of the correlation, then of the variance function. */
  readonly npar: number;
  private readonly ncor: number;
  /** The classes of equal entries (patternGradient), made at its first call. */
  private entryClasses: { classOf: Int32Array[]; representatives: { p: number; j: number; l: number }[] } | null = null;
  /** sum_i log|Psi_i| at the last `set`. */
  logDeterminant = 0;

  /** theta's length for the absorbed terms. */
  readonly ntheta: number;

  /**
   * `absorbed`: random-effects terms whose levels are the residual groups
   * (pattern-statistics.ts, absorbableTerms); their z values join the patterns,
   * and `set(rho, theta)` adds Z_p T T' Z_p' to Psi_p: the marginal covariance
   * of a group, sigma^2 (Psi_p + Z_p T T' Z_p').
   */
  constructor(readonly design: ResidualDesign, n: number, private readonly absorbed: readonly RandomEffectsTerm[] = []) {
    const { groups, visits, strata, spec } = design;
    const ngroups = groups ? groups.levels.length : n;
    const codeOf = (i: number) => (groups ? groups.codes[i] : i);
    // Rows by group, in row order within each group (a counting sort).
    const groupStart = new Int32Array(ngroups + 1);
    for (let i = 0; i < n; i++) groupStart[codeOf(i) + 1]++;
    for (let g = 0; g < ngroups; g++) groupStart[g + 1] += groupStart[g];
    const fill = groupStart.slice(0, ngroups);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[fill[codeOf(i)]++] = i;
    this.order = order;
    this.groupStart = groupStart;

    const kind = spec.correlation?.kind;
    const patternIndex = new Map<string, number>();
    this.patterns = [];
    this.groupPattern = new Int32Array(ngroups);
    let largest = 0;
    for (let g = 0; g < ngroups; g++) {
      const from = groupStart[g];
      const m = groupStart[g + 1] - from;
      largest = Math.max(largest, m);
      // Plain loops: this runs once per group (10^4 and more).
      const times = new Float64Array(m);
      const visitCodes = new Int32Array(m);
      const strataCodes = new Int32Array(m);
      for (let j = 0; j < m; j++) {
        const i = order[from + j];
        times[j] = design.time ? design.time[i] : j + 1;
        if (visits) visitCodes[j] = visits.codes[i];
        if (strata) strataCodes[j] = strata.codes[i];
      }
      if (kind === "ar1" || kind === "car1") checkTimes(times, design, groups!.levels[g]);
      if (visits && hasRepeat(visitCodes)) {
        throw new LmmError(
          `The group ${quote(groups!.levels[g])} of ${quote(spec.correlation!.group)} has two rows at the same visit of ${quote(spec.correlation!.covariate!)}: us(~ visit | group) needs one row per visit and group.`,
        );
      }
      const z = absorbed.map(({ columns }) => {
        const q = columns.length;
        const out = new Float64Array(m * q);
        for (let j = 0; j < m; j++) for (let c = 0; c < q; c++) out[j * q + c] = columns[c][order[from + j]];
        return out;
      });
      // Only time differences matter: a pattern is the same whenever the group starts.
      let key = "";
      for (let j = 0; j < m; j++) key += `${times[j] - times[0]},${visitCodes[j]},${strataCodes[j]};`;
      for (const values of z) for (let e = 0; e < values.length; e++) key += `${values[e]},`;
      let p = patternIndex.get(key);
      if (p === undefined) {
        patternIndex.set(key, (p = this.patterns.length));
        this.patterns.push({ m, count: 0, times, visits: visitCodes, strata: strataCodes, z });
      }
      this.patterns[p].count++;
      this.groupPattern[g] = p;
    }
    this.largest = largest;
    if (spec.correlation && largest < 2) {
      throw new LmmError(`Every group of ${quote(spec.correlation.group)} has a single row: the correlation ${quote(spec.correlation.text)} has no pairs of residuals to correlate.`);
    }
    this.cinvAt = new Int32Array(this.patterns.length);
    // AR(1) is a Markov chain in time: the inverse of Psi's Cholesky factor is
    // bidiagonal when the rows are in time order (exactly, not approximately).
    const markov = kind === "ar1" || kind === "car1";
    this.band = Int32Array.from(this.patterns, (pat) => (markov && pat.times.every((t, j) => j === 0 || t > pat.times[j - 1]) ? 1 : pat.m));
    let size = 0;
    this.patterns.forEach((pat, p) => ((this.cinvAt[p] = size), (size += pat.m * pat.m)));
    this.cinv = new Float64Array(size);
    const nvisits = visits ? visits.levels.length : 0;
    this.ncor = kind === "us" ? (nvisits * (nvisits + 1)) / 2 - 1 : kind ? 1 : 0;
    this.npar = this.ncor + (strata ? strata.levels.length - 1 : 0);
    this.ntheta = termStructures(absorbed).reduce((size, { structure }) => size + structure.size, 0);
  }

  /** Distinct groups' patterns of occasions. */
  get patternCount(): number {
    return this.patterns.length;
  }

  /** Where the optimiser starts: independent residuals of equal variance (car1 at phi = 0.2 as nlme). */
  start(): Float64Array {
    const rho = new Float64Array(this.npar);
    const kind = this.design.spec.correlation?.kind;
    if (kind === "car1") rho[0] = Math.log(0.2 / 0.8);
    if (kind === "cs") rho[0] = Math.log(1 / (this.largest - 1)); // rho = 0
    return rho;
  }

  /**
   * Psi_p's entry (j, k) at rho, for a pattern; `us` reads the full visit
   * covariance L L' (L unit at (0, 0), log-diagonal after it, then the
   * entries below the diagonal by row), computed once per `set`.
   */
  private covariance(rho: ArrayLike<number>, usCovariance: Float64Array | null, theta?: ArrayLike<number>): (pat: Pattern, j: number, k: number) => number {
    const { correlation, variance } = this.design.spec;
    const sd = variance ? (s: number) => (s === 0 ? 1 : Math.exp(rho[this.ncor + s - 1])) : () => 1;
    const kind = correlation?.kind;
    let cor: (pat: Pattern, j: number, k: number) => number;
    if (kind === "ar1" || kind === "car1") {
      const phi = kind === "ar1" ? Math.tanh(rho[0] / 2) : logistic(rho[0]);
      cor = (pat, j, k) => (j === k ? 1 : phi ** Math.abs(pat.times[j] - pat.times[k]));
    } else if (kind === "cs") {
      const r = csCorrelation(rho[0], this.largest);
      cor = (_, j, k) => (j === k ? 1 : r);
    } else if (kind === "us") {
      const V = this.design.visits!.levels.length;
      cor = (pat, j, k) => usCovariance![pat.visits[j] * V + pat.visits[k]];
    } else {
      cor = (_, j, k) => (j === k ? 1 : 0);
    }
    const residual = (pat: Pattern, j: number, k: number) => sd(pat.strata[j]) * sd(pat.strata[k]) * cor(pat, j, k);
    if (!theta) return residual;
    // + sum_t (z_tj' T_t)(z_tk' T_t)' of the absorbed terms.
    const factors = thetaToFactors(this.absorbed, theta);
    return (pat, j, k) => {
      let s = residual(pat, j, k);
      factors.forEach((T, t) => {
        const q = this.absorbed[t].columns.length;
        const z = pat.z[t];
        for (let c = 0; c < q; c++) {
          let a = 0, b = 0;
          for (let r = c; r < q; r++) (a += z[j * q + r] * T[r * q + c]), (b += z[k * q + r] * T[r * q + c]);
          s += a * b;
        }
      });
      return s;
    };
  }

  /**
   * Compute every pattern's C_p^-1 and sum_i log|Psi_i| at rho (and with the
   * absorbed terms' Z T T' Z' at `theta`, see the constructor). Returns false
   * where some Psi_p is not positive definite (the objective is then +Infinity).
   */
  set(rho: ArrayLike<number>, theta?: ArrayLike<number>): boolean {
    const entry = this.covariance(rho, this.design.spec.correlation?.kind === "us" ? usCovariance(rho, this.design.visits!.levels.length) : null, theta);
    let logdet = 0;
    for (let p = 0; p < this.patterns.length; p++) {
      const pat = this.patterns[p];
      const m = pat.m;
      const psi = new Float64Array(m * m);
      for (let j = 0; j < m; j++) for (let k = 0; k <= j; k++) psi[j * m + k] = entry(pat, j, k);
      const c = choleskyDefinite(psi, m);
      if (!c) return false;
      let ld = 0;
      for (let j = 0; j < m; j++) ld += Math.log(c[j * m + j]);
      logdet += 2 * ld * pat.count;
      this.cinv.set(invertLower(c, m), this.cinvAt[p]);
      // Below the band the entries are zero in exact arithmetic: written as such (random effects fill it).
      const at = this.cinvAt[p];
      const band = theta ? m : this.band[p];
      for (let j = 0; j < m; j++) for (let k = 0; k < j - band; k++) this.cinv[at + j * m + k] = 0;
    }
    this.logDeterminant = logdet;
    return Number.isFinite(logdet);
  }

  /**
   * What the whitening kernel reads (assembly/whiten.ts): the rows in group
   * order, each group's first row there (and the end), each group's pattern,
   * every pattern's C_p^-1 (rewritten by each `set`), where it starts and its band.
   */
  kernelArrays(): { order: Int32Array; groupStart: Int32Array; groupPattern: Int32Array; cinv: Float64Array; cinvAt: Int32Array; band: Int32Array } {
    const { order, groupStart, groupPattern, cinv, cinvAt, band } = this;
    return { order, groupStart, groupPattern, cinv, cinvAt, band };
  }

  /**
   * Visit each group: its pattern, its C_p^-1 (at the last `set`, row-major
   * m x m at `at` in `cinv`) and its rows (in the order the pattern lists them).
   */
  forEachGroup(visit: (pattern: number, m: number, cinv: Float64Array, at: number, rows: Int32Array) => void): void {
    for (let g = 0; g < this.groupPattern.length; g++) {
      const p = this.groupPattern[g];
      const from = this.groupStart[g];
      const m = this.groupStart[g + 1] - from;
      visit(p, m, this.cinv, this.cinvAt[p], this.order.subarray(from, from + m));
    }
  }

  /**
   * Pattern p's Psi_p^-1 = C_p^-T C_p^-1 at the last `set` (row-major m x m):
   * tridiagonal for ar1 and car1 in time order without absorbed random effects,
   * its zeros exact (C_p^-1 is written bidiagonal).
   */
  psiInverse(p: number): Float64Array {
    const { m } = this.patterns[p];
    const at = this.cinvAt[p];
    const c = this.cinv;
    const out = new Float64Array(m * m);
    for (let j = 0; j < m; j++) {
      for (let l = 0; l <= j; l++) {
        let s = 0;
        for (let k = j; k < m; k++) s += c[at + k * m + j] * c[at + k * m + l];
        out[j * m + l] = out[l * m + j] = s;
      }
    }
    return out;
  }

  /** Pairs of occasions j >= k summed over the patterns: what the pattern statistics hold per product (pattern-statistics.ts). */
  get pairCount(): number {
    return this.patterns.reduce((s, { m }) => s + (m * (m + 1)) / 2, 0);
  }

  /** Patterns: occasions and groups sharing each. */
  patternSizes(): { m: number; count: number }[] {
    return this.patterns.map(({ m, count }) => ({ m, count }));
  }

  /**
   * sum_p tr(W_p dPsi_p / drho_k) for every k, W_p symmetric m x m (row-major) per
   * pattern: the chain rule from the patterns' covariances to rho. dPsi_p is a
   * central difference of Psi's entries, taken once per class of equal entries
   * (the pairs of visits of `us`, the lags of ar1): a gradient costs patterns x
   * occasions^2 once, classes per parameter, and no pass over the rows.
   */
  patternGradient(rho: ArrayLike<number>, W: readonly Float64Array[], theta?: ArrayLike<number>): Float64Array {
    const { classOf, representatives } = (this.entryClasses ??= this.classifyEntries());
    // Entries of one class move together: their weights are summed first.
    const weight = new Float64Array(representatives.length);
    this.patterns.forEach((pat, p) => {
      const w = W[p];
      const classes = classOf[p];
      for (let i = 0; i < pat.m * pat.m; i++) weight[classes[i]] += w[i];
    });
    // The parameters: [theta, rho] with absorbed terms, else rho.
    const nt = theta ? this.ntheta : 0;
    const x = Float64Array.from([...Array.from(theta ?? []), ...Array.from(rho)]);
    const g = new Float64Array(x.length);
    const at = Float64Array.from(x);
    const us = this.design.spec.correlation?.kind === "us";
    const V = us ? this.design.visits!.levels.length : 0;
    // covariance() reads its arguments when called: each side gets a copy of its own.
    const entries = (y: Float64Array) => {
      const own = Float64Array.from(y);
      const r = own.subarray(nt);
      return this.covariance(r, us ? usCovariance(r, V) : null, theta && own.subarray(0, nt));
    };
    for (let k = 0; k < x.length; k++) {
      const h = 1e-5 * Math.max(1, Math.abs(x[k]));
      at[k] = x[k] + h;
      const up = entries(at);
      at[k] = x[k] - h;
      const down = entries(at);
      at[k] = x[k];
      let s = 0;
      representatives.forEach(({ p, j, l }, c) => {
        if (weight[c] !== 0) s += (weight[c] * (up(this.patterns[p], j, l) - down(this.patterns[p], j, l))) / (2 * h);
      });
      g[k] = s;
    }
    return g;
  }

  /**
   * Classes of the patterns' entries that are equal at every rho (covariance()
   * reads a pair of occasions through its strata, the absorbed terms' z values
   * and, by kind, the visits of `us`, the time lag of ar1 and car1, or whether
   * j = k): per pattern the class
   * of each entry (row-major m x m), and one entry of each class.
   */
  private classifyEntries(): { classOf: Int32Array[]; representatives: { p: number; j: number; l: number }[] } {
    const kind = this.design.spec.correlation?.kind;
    const index = new Map<string, number>();
    const representatives: { p: number; j: number; l: number }[] = [];
    const classOf = this.patterns.map((pat, p) => {
      const { m, times, visits, strata, z } = pat;
      // What an entry reads of one occasion; the pair is unordered (Psi_p is symmetric).
      const occasion = (j: number) => `${kind === "us" ? visits[j] : ""};${strata[j]};${z.map((v, t) => v.subarray(j * this.absorbed[t].columns.length, (j + 1) * this.absorbed[t].columns.length).join(",")).join("/")}`;
      const out = new Int32Array(m * m);
      for (let j = 0; j < m; j++) {
        for (let l = 0; l < m; l++) {
          const lag = kind === "ar1" || kind === "car1" ? Math.abs(times[j] - times[l]) : kind === "us" ? "" : j === l;
          const key = `${lag}|${[occasion(j), occasion(l)].sort().join("|")}`;
          let c = index.get(key);
          if (c === undefined) (index.set(key, (c = representatives.length)), representatives.push({ p, j, l }));
          out[j * m + l] = c;
        }
      }
      return out;
    });
    return { classOf, representatives };
  }

  /** The estimates in nlme's meanings: Phi, Rho, the correlations of `us`, the sd ratios per stratum. */
  report(rho: ArrayLike<number>): ResidualReport {
    const { correlation, variance } = this.design.spec;
    const out: ResidualReport = {};
    if (correlation) {
      const formula = formulaText(correlation.covariate, correlation.group);
      let parameters: Record<string, number>;
      if (correlation.kind === "ar1") parameters = { Phi: Math.tanh(rho[0] / 2) };
      else if (correlation.kind === "car1") parameters = { Phi: logistic(rho[0]) };
      else if (correlation.kind === "cs") parameters = { Rho: csCorrelation(rho[0], this.largest) };
      else {
        // nlme's corSymm with varIdent by visit: the correlations (lower triangle by column) and the sd ratios to the first visit.
        const levels = this.design.visits!.levels;
        const V = levels.length;
        const S = usCovariance(rho, V);
        const sd = levels.map((_, v) => Math.sqrt(S[v * V + v]));
        parameters = {};
        for (let k = 0; k < V; k++) for (let j = k + 1; j < V; j++) parameters[`${levels[j]}:${levels[k]}`] = S[j * V + k] / (sd[j] * sd[k]);
        out.variance = {
          type: "ident",
          formula: formulaText(null, correlation.covariate!),
          parameters: Object.fromEntries(levels.map((l, v) => [l, sd[v] / sd[0]])),
        };
      }
      out.correlation = { type: correlation.kind, formula, parameters };
    }
    if (variance) {
      const levels = this.design.strata!.levels;
      out.variance = {
        type: "ident",
        formula: formulaText(null, variance.group),
        parameters: Object.fromEntries(levels.map((l, s) => [l, s === 0 ? 1 : Math.exp(rho[this.ncor + s - 1])])),
      };
    }
    return out;
  }
}

/** cs's correlation from its parameter (nlme's corCompSymm map onto (-1 / (m - 1), 1)). */
function csCorrelation(a: number, largest: number): number {
  const e = Math.exp(a);
  return (e - 1 / (largest - 1)) / (e + 1);
}

/** The visits' covariance L L' of `us` (row-major V x V; see covariance()). */
function usCovariance(rho: ArrayLike<number>, V: number): Float64Array {
  const L = new Float64Array(V * V);
  L[0] = 1;
  for (let j = 1; j < V; j++) L[j * V + j] = Math.exp(rho[j - 1]);
  let at = V - 1;
  for (let j = 1; j < V; j++) for (let k = 0; k < j; k++) L[j * V + k] = rho[at++];
  const S = new Float64Array(V * V);
  for (let j = 0; j < V; j++) {
    for (let k = 0; k <= j; k++) {
      let s = 0;
      for (let l = 0; l <= k; l++) s += L[j * V + l] * L[k * V + l];
      S[j * V + k] = S[k * V + j] = s;
    }
  }
  return S;
}

/** ar1's and car1's times within one group: distinct, and integers for ar1 (nlme's corAR1 takes integer positions). */
function checkTimes(times: Float64Array, design: ResidualDesign, level: string): void {
  const c = design.spec.correlation!;
  const name = c.covariate ?? "the row position";
  if (c.kind === "ar1" && design.time) {
    for (const t of times) {
      if (!Number.isInteger(t)) throw new LmmError(`ar1 needs integer times, but ${quote(name)} is ${t} in group ${quote(level)}: use car1(~ ${name} | ${c.group}) for continuous times.`);
    }
  }
  if (hasRepeat(times)) {
    throw new LmmError(`Two rows of group ${quote(level)} of ${quote(c.group)} have the same time ${quote(name)}: ${c.kind} needs one row per time and group.`);
  }
}


/** Whether a value occurs twice (a group's few occasions: pairwise, no set). */
function hasRepeat(values: Float64Array | Int32Array): boolean {
  if (values.length > 64) return new Set(values).size < values.length;
  for (let j = 1; j < values.length; j++) for (let k = 0; k < j; k++) if (values[j] === values[k]) return true;
  return false;
}

/**
 * The factor on sigma^2 (R_X'R_X)^-1 that gives vcov(beta): nlme's gls (a
 * residual structure without random effects) scales an ML fit's by n / (n - p),
 * as if sigma^2 were REML's; 1 otherwise.
 */
export function betaCovarianceScale(deviance: { source: { residual?: ResidualStructure | null }; REML: boolean; n: number; layout: { p: number } }, randomTerms: number): number {
  const { n, layout } = deviance;
  return deviance.source.residual && randomTerms === 0 && !deviance.REML ? n / (n - layout.p) : 1;
}

/**
 * Refuse an inference that is built and validated for iid residuals only,
 * naming it, the structure and what to do instead.
 */
export function refuseResidual(residual: ResidualStructure | null | undefined, what: string, instead: string): void {
  if (!residual) return;
  const { correlation, variance } = residual.design.spec;
  const written = [correlation && `correlation ${quote(correlation.text)}`, variance && `variance ${quote(variance.text)}`].filter(Boolean).join(" and ");
  throw new LmmError(`${what} is not available for a model with a residual structure (${written}): it is built and checked for independent residuals of equal variance only. Instead ${instead}.`);
}
