// Seeded synthetic longitudinal cohorts for benchmarking
// `y ~ time * group + (time | id)`: N subjects in three groups (A, B, C), visits
// at time 0..9 with about 10% of visits missing at random, a correlated random
// intercept and slope per subject, and Gaussian residuals. Deterministic for a
// given seed (own PRNG: mulberry32 + Box-Muller), so our fits and lme4's see the
// same data.
import { mulberry32, normalSource } from "../src/random.js";
import { createWriteStream } from "node:fs";

export interface CohortOptions {
  /** Number of subjects. */
  subjects: number;
  /** PRNG seed (default 20240601). */
  seed?: number;
  /** Visits per subject at time 0..visits-1 (default 10). */
  visits?: number;
  /** Probability that a visit is missing (default 0.1). */
  missing?: number;
  /** SD of the random intercept (default 10). */
  sdIntercept?: number;
  /** SD of the random slope (default 2). */
  sdSlope?: number;
  /** Correlation of random intercept and slope (default 0.3). */
  correlation?: number;
  /** Residual SD (default 5). */
  sigma?: number;
}

/** Column arrays, ready for `lmer("y ~ time * group + (time | id)", data)`. */
export type Cohort = {
  y: Float64Array;
  time: Float64Array;
  group: string[];
  id: string[];
};

/** True fixed effects in R's treatment coding (group A is the reference). */
export const COHORT_FIXEF: Readonly<Record<string, number>> = {
  "(Intercept)": 100,
  time: 3,
  groupB: 5,
  groupC: -3,
  "time:groupB": 1.5,
  "time:groupC": -0.5,
};

export const COHORT_FORMULA = "y ~ time * group + (time | id)";

/** Generate a cohort. Subject ids are zero-padded ("s0000001") so text order = numeric order. */
export function generateCohort(opts: CohortOptions): Cohort {
  const N = opts.subjects;
  const visits = opts.visits ?? 10;
  const pMissing = opts.missing ?? 0.1;
  const sd0 = opts.sdIntercept ?? 10;
  const sd1 = opts.sdSlope ?? 2;
  const rho = opts.correlation ?? 0.3;
  const sigma = opts.sigma ?? 5;
  const unif = mulberry32(opts.seed ?? 20240601);
  const norm = normalSource(unif);
  const groups = ["A", "B", "C"];
  const b = COHORT_FIXEF;
  const gEff = [0, b.groupB, b.groupC];
  const gSlope = [0, b["time:groupB"], b["time:groupC"]];
  const width = String(N).length + 1;

  // Upper bound on rows; trimmed at the end.
  const cap = N * visits;
  const y = new Float64Array(cap);
  const time = new Float64Array(cap);
  const group: string[] = [];
  const id: string[] = [];
  let n = 0;
  for (let s = 0; s < N; s++) {
    const g = s % 3;
    const label = "s" + String(s + 1).padStart(width, "0");
    // Correlated (intercept, slope) via the Cholesky factor of their covariance.
    const z0 = norm();
    const z1 = norm();
    const u0 = sd0 * z0;
    const u1 = sd1 * (rho * z0 + Math.sqrt(1 - rho * rho) * z1);
    for (let t = 0; t < visits; t++) {
      if (unif() < pMissing) continue;
      const mu = b["(Intercept)"] + gEff[g] + (b.time + gSlope[g]) * t;
      y[n] = mu + u0 + u1 * t + sigma * norm();
      time[n] = t;
      group.push(groups[g]);
      id.push(label);
      n++;
    }
  }
  return { y: y.slice(0, n), time: time.slice(0, n), group, id };
}

/** Write a cohort as CSV (columns y, time, group, id) for R's read.csv. */
export async function writeCohortCSV(path: string, c: Cohort): Promise<void> {
  const out = createWriteStream(path);
  let failed: Error | null = null;
  out.on("error", (e) => (failed = e));
  const write = (s: string) =>
    new Promise<void>((resolve, reject) => {
      if (failed) reject(failed);
      else if (out.write(s)) resolve();
      else out.once("drain", resolve);
    });
  await write("y,time,group,id\n");
  const CHUNK = 20000;
  for (let i = 0; i < c.y.length; i += CHUNK) {
    const end = Math.min(c.y.length, i + CHUNK);
    let s = "";
    // Full double precision (shortest round-trip representation).
    for (let j = i; j < end; j++) s += `${c.y[j]},${c.time[j]},${c.group[j]},${c.id[j]}\n`;
    await write(s);
  }
  await new Promise<void>((resolve, reject) => {
    if (failed) reject(failed);
    out.once("error", reject);
    out.end(resolve);
  });
}
