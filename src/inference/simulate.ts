// Simulation from the fitted model and the parametric bootstrap (lme4's
// simulate() and bootMer()): new responses y* = X beta + Z b* + e* with
// b* ~ N(0, sigma^2 Lambda Lambda') and e*_i ~ N(0, sigma^2 / w_i), and refits of them.
import { optimizeTheta } from "../fit/optimize-theta.js";
import { checkOptions } from "../options.js";
import { ProfiledDeviance } from "../model/deviance.js";
import type { FittedModel } from "../model/fitted.js";
import { thetaToFactors } from "../model/parameters.js";
import { predict } from "../model/predict.js";
import { mulberry32, normalSource } from "../random.js";
import { LmmError } from "../errors.js";
import { refuseResidual } from "../model/residual/structure.js";

/** Options of `simulate()` and `bootstrap()`. */
export interface SimulateOptions {
  /** Seed of the pseudo-random numbers (default 42): the same seed gives the same draws. */
  seed?: number;
}

/**
 * Most responses simulate() returns (they are all held at once) and bootstrap()
 * refits (one fit's time each; lme4's confint uses 500): a bound that says so
 * rather than a run of days or an out-of-memory kill.
 */
export const MAX_NSIM = 100_000;

/** `nsim` responses simulated from the fitted model (unconditional on the random effects). */
/** Simulations draw iid residuals: a model with a residual structure is refused. */
function refuseSimulation(m: FittedModel): void {
  refuseResidual(m.deviance.source.residual, "Simulation from the model (and the parametric bootstrap)", 'use Wald intervals (method "wald", --confint wald)');
}

export function simulate(m: FittedModel, nsim: number, options: SimulateOptions = {}): Float64Array[] {
  refuseSimulation(m);
  return Array.from(simulations(m, nsim, options));
}

/** The responses of simulate(), one at a time (the bootstrap holds one response, not nsim); the arguments are checked at once. */
function simulations(m: FittedModel, nsim: number, options: SimulateOptions): Generator<Float64Array> {
  checkCount("nsim", nsim, 1, MAX_NSIM);
  checkOptions(options, { seed: "number" }, "simulate() and bootstrap()");
  if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new LmmError(`The seed must be a whole number, not ${options.seed}.`);
  return draws(m, nsim, options.seed ?? 42);
}

function* draws(m: FittedModel, nsim: number, seed: number): Generator<Float64Array> {
  const { n, terms } = m.design;
  const mean = predict(m, undefined, { re: false });
  const Ts = thetaToFactors(terms, m.theta);
  const normal = normalSource(mulberry32(seed));
  for (let s = 0; s < nsim; s++) {
    const y = Float64Array.from(mean);
    terms.forEach((term, k) => {
      const q = term.names.length;
      const L = term.factor.levels.length;
      // b = sigma T z per level, z standard normal.
      const b = new Float64Array(L * q);
      const z = new Float64Array(q);
      for (let l = 0; l < L; l++) {
        for (let c = 0; c < q; c++) z[c] = normal();
        for (let r = 0; r < q; r++) {
          let v = 0;
          for (let c = 0; c <= r; c++) v += Ts[k][r * q + c] * z[c];
          b[l * q + r] = m.sigma * v;
        }
      }
      const codes = term.factor.codes;
      for (let i = 0; i < n; i++) for (let c = 0; c < q; c++) y[i] += term.columns[c][i] * b[codes[i] * q + c];
    });
    // Prior weights: residual variance sigma^2 / w.
    const w = m.design.weights;
    for (let i = 0; i < n; i++) y[i] += (w ? m.sigma / Math.sqrt(w[i]) : m.sigma) * normal();
    yield y;
  }
}

/** Estimates of every bootstrap refit, one array entry per replicate. */
export interface BootstrapResult {
  fixef: Record<string, Float64Array>;
  /** theta of each replicate, lme4's order (m.thetaNames). */
  theta: Float64Array[];
  sigma: Float64Array;
  objective: Float64Array;
  /** Replicates whose optimisation did not report convergence. */
  notConverged: number;
}

/**
 * Parametric bootstrap: simulate `nsim` responses from the fit and refit each
 * (same design, same REML/ML), starting from the fitted theta.
 */
export async function bootstrap(m: FittedModel, nsim: number, options: SimulateOptions = {}): Promise<BootstrapResult> {
  refuseSimulation(m);
  const responses = simulations(m, nsim, options); // checks nsim before the arrays below are sized by it
  const dev = await ProfiledDeviance.create(m.design, m.REML);
  const result: BootstrapResult = {
    fixef: Object.fromEntries(m.coefNames.map((name) => [name, new Float64Array(nsim)])),
    theta: [],
    sigma: new Float64Array(nsim),
    objective: new Float64Array(nsim),
    notConverged: 0,
  };
  let s = 0;
  const offset = m.design.offset;
  for (const y of responses) {
    // Simulated responses include the offset (as lme4's); the fit explains y - offset, as design.y.
    if (offset) for (let i = 0; i < y.length; i++) y[i] -= offset[i];
    dev.setResponse(y);
    const opt = optimizeTheta(dev, m.design.terms, m.covarianceParameters);
    if (!opt.converged) result.notConverged++;
    dev.evaluate(opt.theta);
    const beta = dev.beta();
    m.coefNames.forEach((name, j) => (result.fixef[name][s] = beta[j]));
    result.theta.push(opt.theta);
    result.sigma[s] = dev.sigma();
    result.objective[s++] = opt.f;
  }
  return result;
}

/** A count argument: a whole number from `min` to `max`. */
export function checkCount(name: string, value: number, min: number, max = Infinity): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `of at least ${min}` : `from ${min} to ${max.toLocaleString("en-US")}`;
    throw new LmmError(`${name} must be a whole number ${range}, not ${value}.`);
  }
}
