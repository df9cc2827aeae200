// Bound-constrained quasi-Newton minimisation (projected BFGS) of a smooth
// objective with lower bounds, as needed for theta (diagonals >= 0). The
// gradient is analytic when given (the deviance's reverse sweep), else central
// differences; the deviance is smooth through the bound (it depends on
// Lambda Lambda'), so differences may step across it.
import type { Probe, ProbeResult } from "./cone.js";
import { dot } from "../linalg.js";
import type { OptionSpec } from "../options.js";

/** Tolerances and the optional analytic gradient of `minimize()`. */
export interface OptimizerOptions {
  /**
   * Analytic gradient at x. It is always called right after the objective was
   * evaluated at the same x, so an implementation may reuse that evaluation.
   * Without it, central differences are used.
   */
  gradient?: (x: Float64Array) => Float64Array;
  /** Stop when the projected gradient's largest entry is below this. */
  gradTol?: number;
  /**
   * Stop when both the last decrease of f and the decrease the quasi-Newton
   * model predicts for the next step are below this times (1 + |f|), after one
   * more step unless the prediction is below a thousandth of that.
   */
  fTol?: number;
  maxIterations?: number;
  /** Called after every evaluation of the objective, e.g. to show how a long fit goes. */
  onProgress?: (progress: OptimizerProgress) => void;
  /**
   * Checks a stopping point for lower points nearby that the gradient cannot
   * show (default: coordinates at their bound moved inside; for theta use
   * `coneProbe`).
   */
  probe?: Probe;
}

/** The names and kinds of OptimizerOptions, for checkOptions. */
export const OPTIMIZER_OPTIONS: OptionSpec = {
  gradient: "function",
  gradTol: "number",
  fTol: "number",
  maxIterations: "number",
  onProgress: "function",
  probe: "function",
};

/** What `onProgress` is told after each evaluation of the objective. */
export interface OptimizerProgress {
  /** Evaluations of the objective so far. */
  evaluations: number;
  /** Lowest objective value so far (Infinity until one is finite). */
  objective: number;
}

/** Where `minimize()` stopped, and why. */
export interface OptimizerResult {
  x: Float64Array;
  f: number;
  /** Gradient at x: the analytic one when `gradient` was given, else central differences. */
  gradient: Float64Array;
  /** Largest |projected gradient| at x: the convergence check. */
  maxGrad: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  message: string;
  /** What was checked at the end: the projected gradient, the boundary probe, the restarts. */
  optimality: string;
}

/** Central-difference gradient, and the diagonal curvature the same evaluations give. */
export function numericGradient(
  f: (x: Float64Array) => number,
  x: Float64Array,
  fx: number,
): { g: Float64Array; curvature: Float64Array } {
  const g = new Float64Array(x.length);
  const curvature = new Float64Array(x.length);
  const xt = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    const h = 1e-5 * Math.max(1, Math.abs(x[i]));
    xt[i] = x[i] + h;
    const fp = f(xt);
    xt[i] = x[i] - h;
    const fm = f(xt);
    xt[i] = x[i];
    if (Number.isFinite(fp) && Number.isFinite(fm)) {
      g[i] = (fp - fm) / (2 * h);
      curvature[i] = (fp - 2 * fx + fm) / (h * h);
    } else g[i] = Number.isFinite(fp) ? (fp - fx) / h : (fx - fm) / h;
  }
  return { g, curvature };
}

/** Gradient and diagonal curvature at x, where f(x) = fx was the last evaluation. */
type Differentiate = (x: Float64Array, fx: number) => { g: Float64Array; curvature?: Float64Array };

function differentiator(fc: (x: Float64Array) => number, gradient?: (x: Float64Array) => Float64Array): {
  at: Differentiate;
  curvature: (x: Float64Array, fx: number, g: Float64Array) => Float64Array;
} {
  if (!gradient) {
    return {
      at: (x, fx) => numericGradient(fc, x, fx),
      curvature: (x, fx) => numericGradient(fc, x, fx).curvature,
    };
  }
  return {
    at: (x) => ({ g: gradient(x) }),
    // Second differences of f along each coordinate, the slope known from the
    // analytic gradient: one evaluation per coordinate and no gradients (a
    // gradient costs about two evaluations). The step keeps the quadratic term
    // far above the objective's rounding (~1e-12 relative).
    curvature: (x, fx, g) => {
      const c = new Float64Array(x.length);
      const xt = Float64Array.from(x);
      for (let i = 0; i < x.length; i++) {
        const h = 1e-3 * Math.max(1, Math.abs(x[i]));
        xt[i] = x[i] + h;
        const fh = fc(xt);
        c[i] = Number.isFinite(fh) ? (2 * (fh - fx - h * g[i])) / (h * h) : 0;
        xt[i] = x[i];
      }
      return c;
    },
  };
}

/**
 * Diagonal inverse-Hessian start: Newton's step per coordinate where the
 * curvature is positive, and never a step longer than half a unit of theta. A
 * unit step would take lme4's start (theta = 1) exactly to 0 wherever the
 * curvature there is negative, and the deviance is stationary at 0 in a lone
 * diagonal (see optimize-theta.ts): a zero-correlation model stopped there.
 */
function diagonalStart(g: Float64Array, curvature: Float64Array): Float64Array {
  const n = g.length;
  const H = new Float64Array(n * n);
  for (let i = 0; i < n; i++) H[i * n + i] = 1 / Math.max(curvature[i], 2 * Math.abs(g[i]), 1e-8);
  return H;
}

function projectedGradient(x: Float64Array, g: Float64Array, lower: Float64Array): Float64Array {
  return g.map((gi, i) => (x[i] <= lower[i] && gi > 0 ? 0 : gi));
}

const maxAbs = (v: Float64Array) => v.reduce((m, a) => Math.max(m, Math.abs(a)), 0);

/** Below this share of the tolerance, the decrease the quasi-Newton model predicts stops the search at once. */
const PREDICTED_SHARE = 1e-3;

/** Restarts of the quasi-Newton search after a check of its stopping point. */
const MAX_RESTARTS = 10;

/**
 * Minimise f over x >= lower from x0. Where the search stops, the point is
 * checked before it is accepted: the probe (by default the lone-diagonal probe
 * below; for theta, the covariance-cone probe of cone.ts) looks for a lower
 * point that a first-order test cannot see, and the search restarts from it;
 * where there is none, it may offer once a jump into the interior, from which
 * the search runs again and keeps the lower result. The result's `optimality`
 * says what was checked.
 */
export function minimize(
  f: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  lower: ArrayLike<number>,
  opts: OptimizerOptions = {},
): OptimizerResult {
  let evaluations = 0;
  let iterations = 0;
  let lowest = Infinity;
  const fc = (x: Float64Array) => {
    evaluations++;
    const fx = f(x);
    if (fx < lowest) lowest = fx;
    opts.onProgress?.({ evaluations, objective: lowest });
    return fx;
  };
  const probe = opts.probe ?? loneDiagonalProbe(lower);
  let res = quasiNewton(fc, x0, lower, opts);
  iterations += res.iterations;
  let restarts = 0;
  let check: ProbeResult | null = null;
  let jumped = false;
  for (; restarts < MAX_RESTARTS && Number.isFinite(res.f); restarts++) {
    check = probe(fc, res.x, res.f);
    let start = check.start;
    if (!start && check.jump && !jumped) {
      // Once per minimisation: a local optimum on the boundary may hide a
      // lower basin inside the cone (maximal crossed models have several).
      jumped = true;
      start = check.jump;
    }
    if (!start) break;
    const next = quasiNewton(fc, start, lower, opts);
    iterations += next.iterations;
    if (next.f <= res.f) res = next;
  }
  const optimality =
    `projected gradient ${res.maxGrad.toExponential(1)}` +
    (check && check.singularTerms > 0
      ? `; ${check.singularTerms} singular term(s): ${check.directions} direction(s) into the covariance cone tried, none lower`
      : "") +
    (restarts > 0 ? `; ${restarts} restart(s)` : "");
  return { ...res, iterations, evaluations, optimality };
}

/**
 * The default probe: each coordinate on (or within 1e-4 of) its bound moved a
 * short step inside. The deviance is even in a diagonal of Lambda whose column is
 * otherwise zero, so such a bound point can be stationary without being a minimum.
 */
function loneDiagonalProbe(lower: ArrayLike<number>): Probe {
  return (f, x, fx) => {
    const scale = Math.max(1, maxAbs(x));
    let best: Float64Array | null = null;
    let fbest = fx - 1e-9 * (1 + Math.abs(fx));
    let directions = 0;
    for (let i = 0; i < x.length; i++) {
      // Near the bound too: the search can stall a hair inside it, where the
      // evenness makes the gradient as small as at the bound itself.
      if (!(x[i] <= lower[i] + 1e-4 * scale)) continue;
      directions++;
      for (const step of [1e-3, 1e-2, 1e-1]) {
        const xt = Float64Array.from(x);
        xt[i] = lower[i] + step * scale;
        const ft = f(xt);
        if (ft < fbest) {
          fbest = ft;
          best = xt;
        }
      }
    }
    return { start: best, jump: null, directions, singularTerms: directions };
  };
}

function quasiNewton(
  fc: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  lower: ArrayLike<number>,
  opts: OptimizerOptions,
): Omit<OptimizerResult, "evaluations" | "optimality"> {
  const n = x0.length;
  const lo = Float64Array.from(lower);
  const gradTol = opts.gradTol ?? 1e-6;
  const fTol = opts.fTol ?? 1e-10;
  const maxIt = opts.maxIterations ?? 500;
  let x = Float64Array.from(x0, (v, i) => Math.max(v, lo[i]));
  let fx = fc(x);
  if (!Number.isFinite(fx)) {
    return { x, f: fx, gradient: new Float64Array(n), maxGrad: NaN, iterations: 0, converged: false, message: "objective is not finite at the starting point" };
  }
  const diff = differentiator(fc, opts.gradient);
  const first = diff.at(x, fx);
  let g = first.g;
  // Curvature is needed only to (re)start H: central differences give it with the
  // gradient; with an analytic gradient it is computed when a (re)start needs it.
  let curvature = first.curvature;
  const start = () => diagonalStart(g, (curvature ??= diff.curvature(x, fx, g)));
  // H approximates the inverse Hessian on the free variables.
  let H = start();
  let fresh = true;
  let message = "iteration limit reached";
  let converged = false;
  let stall = 0;
  let settled = false;
  // The last step's model (after its update) predicts less than rounding can show.
  let negligible = false;
  let it = 0;
  for (; it < maxIt; it++) {
    const pg = projectedGradient(x, g, lo);
    if (maxAbs(pg) < gradTol) {
      message = "projected gradient below tolerance";
      converged = true;
      break;
    }
    // A variable that reaches its bound leaves the search; H keeps what it
    // learnt about the others (a fresh start would cost n evaluations).
    const free = Array.from(x, (xi, i) => !(xi <= lo[i] && g[i] > 0));
    if (!fresh && negligible) {
      // Less than the objective's rounding can show: a line search would only
      // chase rounding (and fail, or wander along a flat direction).
      message = "decrease predicted by the quasi-Newton model below tolerance";
      converged = true;
      break;
    }
    const d = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (!free[i]) continue;
      let s = 0;
      for (let j = 0; j < n; j++) if (free[j]) s -= H[i * n + j] * g[j];
      d[i] = s;
    }
    let slope = dot(d, g);
    if (!(slope < 0)) {
      H = start();
      fresh = true;
      for (let i = 0; i < n; i++) d[i] = free[i] ? -H[i * n + i] * g[i] : 0;
      slope = dot(d, g);
    }
    // No step longer than the scale of theta itself: keeps a poor model from
    // throwing the search far out where the deviance is flat.
    const cap = Math.max(1, maxAbs(x));
    const longest = maxAbs(d);
    if (longest > cap) for (let i = 0; i < n; i++) d[i] *= cap / longest;
    // Projected backtracking line search (Armijo), each shorter step at the
    // minimum of the quadratic through f(x), the slope along the path and the
    // last trial (kept within [0.1, 0.5] of the last step).
    let step = 1;
    let xn = new Float64Array(n);
    let fn = Infinity;
    let accepted = false;
    for (let k = 0; k < 60; k++) {
      for (let i = 0; i < n; i++) xn[i] = Math.max(lo[i], x[i] + step * d[i]);
      fn = fc(xn);
      let decrease = 0;
      for (let i = 0; i < n; i++) decrease += g[i] * (xn[i] - x[i]);
      if (Number.isFinite(fn) && fn <= fx + 1e-4 * Math.min(decrease, 0)) {
        accepted = true;
        break;
      }
      const curvature = fn - fx - decrease;
      step *= Number.isFinite(fn) && decrease < 0 && curvature > 0 ? Math.min(0.5, Math.max(0.1, -decrease / (2 * curvature))) : 0.5;
    }
    if (!accepted || fn >= fx) {
      if (settled) {
        message = "relative decrease of the objective below tolerance";
        converged = true;
        break;
      }
      if (!fresh) {
        // A stale curvature model: retry from the diagonal start.
        H = start();
        fresh = true;
        stall++;
        if (stall < 3) continue;
      }
      // At the limit of floating-point progress: converged when the gradient is small.
      message = "no further decrease along the search direction";
      converged = maxAbs(projectedGradient(x, g, lo)) < 1e-3;
      break;
    }
    stall = 0;
    const next = diff.at(xn, fn);
    const gn = next.g;
    const s = xn.map((v, i) => v - x[i]);
    const yv = gn.map((v, i) => v - g[i]);
    const sy = dot(s, yv);
    const df = fx - fn;
    x = xn;
    xn = new Float64Array(n);
    fx = fn;
    g = gn;
    curvature = next.curvature;
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(yv, yv))) {
      bfgsUpdate(H, s, yv, sy);
      fresh = false;
    }
    // Both below the tolerance: settled, but on a large objective (InstEval's
    // 2.4e5) fTol * |f| is loose enough to stop an iteration before the last
    // digits of theta settle, so one more step is taken unless the model
    // predicts far less; that step ends the search whether or not it succeeds
    // (an objective's rounding may stop it).
    const tol = fTol * (1 + Math.abs(fx));
    const predicted = predictedDecrease(H, g, x, lo);
    negligible = predicted < PREDICTED_SHARE * tol;
    const done = df < tol && predicted < tol && (settled || negligible);
    settled = df < tol && predicted < tol;
    if (done) {
      message = "relative decrease of the objective below tolerance";
      converged = true;
      it++;
      break;
    }
  }
  const pg = projectedGradient(x, g, lo);
  return { x, f: fx, gradient: g, maxGrad: maxAbs(pg), iterations: it, converged, message };
}

/** Decrease a full quasi-Newton step would bring: g' H g / 2 over the free variables. */
function predictedDecrease(H: Float64Array, g: Float64Array, x: Float64Array, lo: Float64Array): number {
  const n = g.length;
  const free = Array.from(x, (xi, i) => !(xi <= lo[i] && g[i] > 0));
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (!free[i]) continue;
    for (let j = 0; j < n; j++) if (free[j]) s += g[i] * H[i * n + j] * g[j];
  }
  return Math.abs(s) / 2;
}


/** H <- (I - rho s y') H (I - rho y s') + rho s s', rho = 1 / s'y. */
function bfgsUpdate(H: Float64Array, s: Float64Array, y: Float64Array, sy: number): void {
  const n = s.length;
  const rho = 1 / sy;
  const Hy = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Hy[i] += H[i * n + j] * y[j];
  const yHy = dot(y, Hy);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      H[i * n + j] += rho * ((1 + rho * yHy) * s[i] * s[j] - Hy[i] * s[j] - s[i] * Hy[j]);
    }
  }
}
