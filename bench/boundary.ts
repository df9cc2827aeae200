// Seeded random-slope longitudinal data simulated at or near the boundary of the
// parameter space (stress family for the optimiser, issue #10):
//
// - `generateBoundary(seed)`: 10-40 subjects, 5-10 occasions at time 0..T-1
//   (uncentred), `y ~ time (* group) + (time | subject)`, where the true
//   random-effects covariance is singular or nearly so. The kind cycles with the
//   seed (BOUNDARY_KINDS): intercept variance 0, intercept variance small,
//   correlation +0.98 / -0.98, correlation exactly -1, and a nearly-zero
//   covariance. Odd seeds add a between-subject factor `group` (A/B) and the
//   time:group interaction; every third seed drops ~10% of the visits.
// - `generatePressure(seed)`: the Dialyzer-like case of issue #10, 20 subjects x 7
//   pressures, a quadratic in the within-subject covariate, a two-level factor Q
//   between subjects, random intercept and slope in pressure:
//   `y ~ (x + x2) * Q + (x | Subject)` (REML).
//
// y is rounded to 4 decimals so that a CSV holds the data exactly as generated.
import { mulberry32, normalSource } from "../src/random.js";

export const BOUNDARY_KINDS = ["intercept-var-0", "intercept-var-small", "corr+0.98", "corr-0.98", "corr-1", "near-zero"] as const;
export type BoundaryKind = (typeof BOUNDARY_KINDS)[number];

export interface BoundaryData {
  kind: BoundaryKind;
  formula: string;
  data: { subject: string[]; time: Float64Array; group: string[]; y: Float64Array };
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4 + 0; // + 0: no -0

/** One boundary case for a seed (seeds 1.. cycle through the kinds). */
export function generateBoundary(seed: number): BoundaryData {
  const unif = mulberry32(seed * 7919 + 17);
  const norm = normalSource(unif);
  const kind = BOUNDARY_KINDS[(seed - 1 + BOUNDARY_KINDS.length * 1000) % BOUNDARY_KINDS.length];
  const nSubj = 10 + Math.floor(unif() * 31); // 10..40
  const T = 5 + Math.floor(unif() * 6); // 5..10
  const withGroup = seed % 2 === 1;
  const pMissing = seed % 3 === 0 ? 0.1 : 0;
  const sigma = 1;
  // SDs of (intercept, slope) and their correlation, by kind.
  let sd0 = 1;
  let sd1 = 0.3;
  let rho = 0;
  switch (kind) {
    case "intercept-var-0": sd0 = 0; break;
    case "intercept-var-small": sd0 = 0.08; rho = 0.3; break;
    case "corr+0.98": rho = 0.98; break;
    case "corr-0.98": rho = -0.98; break;
    case "corr-1": rho = -1; break;
    case "near-zero": sd0 = 0.02; sd1 = 0.01; rho = 0.5; break;
  }
  const subject: string[] = [];
  const time: number[] = [];
  const group: string[] = [];
  const y: number[] = [];
  for (let s = 0; s < nSubj; s++) {
    const z0 = norm();
    const z1 = norm();
    const b0 = sd0 * z0;
    const b1 = sd1 * (rho * z0 + Math.sqrt(Math.max(0, 1 - rho * rho)) * z1);
    const g = s % 2 === 0 ? "A" : "B";
    for (let t = 0; t < T; t++) {
      const e = norm();
      const miss = unif() < pMissing;
      if (miss) continue;
      const mu = 10 + 0.5 * t + (withGroup && g === "B" ? 1 - 0.2 * t : 0) + b0 + b1 * t;
      subject.push("s" + String(s + 1).padStart(2, "0"));
      time.push(t);
      group.push(g);
      y.push(round4(mu + sigma * e));
    }
  }
  return {
    kind,
    formula: withGroup ? "y ~ time * group + (time | subject)" : "y ~ time + (time | subject)",
    data: { subject, time: Float64Array.from(time), group, y: Float64Array.from(y) },
  };
}

export const PRESSURE_FORMULA = "y ~ (x + x2) * Q + (x | Subject)";
/** Dialyzer's 7 transmembrane pressures (dmHg). */
export const PRESSURES = [0.24, 0.505, 0.995, 1.485, 2.02, 2.485, 3.02];

/**
 * Dialyzer-like data: 20 subjects (10 per level of Q), 7 pressures each,
 * y = quadratic in x with Q-specific coefficients + subject intercept and slope
 * (small relative to the residual: the fit is near the boundary) + noise.
 */
export function generatePressure(seed: number): { Subject: string[]; x: Float64Array; x2: Float64Array; Q: string[]; y: Float64Array } {
  const unif = mulberry32(seed * 104729 + 3);
  const norm = normalSource(unif);
  const Subject: string[] = [];
  const Q: string[] = [];
  const x: number[] = [];
  const y: number[] = [];
  const sigma = 2;
  const sd0 = 1;
  const sd1 = 0.8;
  const rho = -0.1;
  for (let s = 0; s < 20; s++) {
    const q = s < 10 ? "Q200" : "Q300";
    const z0 = norm();
    const z1 = norm();
    const b0 = sd0 * z0;
    const b1 = sd1 * (rho * z0 + Math.sqrt(1 - rho * rho) * z1);
    for (const p of PRESSURES) {
      const mu = q === "Q200" ? -15 + 50 * p - 8 * p * p : -17 + 58 * p - 9 * p * p;
      Subject.push("S" + String(s + 1).padStart(2, "0"));
      Q.push(q);
      x.push(p);
      y.push(round4(mu + b0 + b1 * p + sigma * norm()));
    }
  }
  return { Subject, x: Float64Array.from(x), x2: Float64Array.from(x.map((p) => p * p)), Q, y: Float64Array.from(y) };
}
