// The one fit loop over the covariance parameters: the profiled deviance
// minimised with its analytic gradient, each structure's bounds, and the
// covariance-cone check at the end. The deviance and its gradient are the
// kernels' in theta; each term's structure maps its parameters to theta and the
// gradient back (model/parameters.ts), which for unstructured terms is the
// identity, so their fits are lme4's over theta itself. lmer, the batch, the
// bootstrap and the profile all fit through it.
//
// A model with a residual structure (model/residual/) adds its parameters rho
// after the terms' ones: the loop runs jointly over both. A change of rho
// whitens the rows anew and accumulates the cross-products again (one pass over
// the rows, ProfiledDeviance.refill); the gradient in rho is by central
// differences (two such passes per parameter), the terms' stays analytic.
// Without random-effects terms (gls) the gradient in rho is analytic instead
// (gls-gradient.ts: one pass over the rows).
import type { ProfiledDeviance } from "../model/deviance.js";
import type { Design, TermOutline } from "../model/design.js";
import { parameterLower, parameterMap, termStructures } from "../model/parameters.js";
import { thetaLength } from "../model/covariance/unstructured.js";
import type { ResidualStructure } from "../model/residual/structure.js";
import { coneProbe, snapToBoundary } from "./cone.js";
import { glsRhoGradient } from "./gls-gradient.js";
import { minimize, type OptimizerOptions, type OptimizerResult } from "./optimizer.js";

/** Step of the central differences in rho (unconstrained; the objective is smooth and ~1e-12 relative exact). */
const RHO_STEP = 1e-4;

/** Where the fit loop stopped: `x` holds the covariance parameters (then rho), `theta` the kernels' theta there. */
export interface ThetaOptimum extends OptimizerResult {
  theta: Float64Array;
}

/**
 * Minimise the deviance over the covariance parameters from `start` (the terms
 * give their structures, bounds and the cone's shape). With a residual
 * structure, `start` may hold the terms' parameters alone (rho then starts at
 * the structure's own start) or both; the deviance is left at the optimum's rho.
 * `design` (the deviance's) gives a model without random-effects terms the
 * analytic gradient in rho.
 */
export function optimizeTheta(
  deviance: ProfiledDeviance,
  terms: readonly TermOutline[],
  start: ArrayLike<number>,
  options: OptimizerOptions = {},
  design?: Design,
): ThetaOptimum {
  const map = parameterMap(terms);
  // The cone's boundary is checked for unstructured terms, whose parameters are
  // T's entries; a structure's own parameters reach its boundary by their bounds.
  const unstructured = termStructures(terms)
    .filter(({ structure }) => structure.kind === "us")
    .map(({ structure, parAt }) => ({ at: parAt, q: structure.q }));
  const lower = parameterLower(terms);
  const even = loneDiagonals(unstructured);
  const searchLower = Float64Array.from(lower, (v, i) => (even.includes(i) ? -Infinity : v));
  const residual = deviance.source.residual ?? null;
  if (!residual) {
    const objective = (par: Float64Array) => deviance.evaluate(map.theta(par));
    const opt = foldSigns(
      minimize(objective, start, searchLower, {
        gradient: (par) => map.gradient(par, deviance.gradient()),
        probe: coneProbe(unstructured),
        ...options,
      }),
      even,
    );
    let evaluations = opt.evaluations;
    const counted = (par: Float64Array) => (evaluations++, objective(par));
    const snapped = snapToBoundary(counted, opt.x, opt.f, unstructured);
    const x = snapped?.x ?? opt.x;
    return { ...opt, x, f: snapped?.f ?? opt.f, evaluations, theta: map.theta(x) };
  }
  const nphi = lower.length;
  const fullStart = start.length === nphi ? [...Array.from(start), ...residual.start()] : start;
  const rhoOf = (par: Float64Array) => par.subarray(nphi);
  // Random effects absorbed into the structure (model/residual/pattern-statistics.ts): theta is the structure's too, and the deviance has none.
  const absorbs = deviance.source.absorbsRandomEffects === true;
  const rhoState = residualSetter(deviance, residual);
  const setRho = (par: Float64Array) => rhoState.set(rhoOf(par), absorbs ? map.theta(par.subarray(0, nphi)) : undefined);
  const objective = (par: Float64Array) => (setRho(par) ? deviance.evaluate(absorbs ? [] : map.theta(par.subarray(0, nphi))) : Infinity);
  const opt = foldSigns(minimize(objective, fullStart, [...searchLower, ...new Array(residual.npar).fill(-Infinity)], {
    gradient: (par) => {
      if (nphi === 0 && design) return glsRhoGradient(deviance, design, residual, par);
      if (absorbs) {
        const phi = par.subarray(0, nphi);
        const theta = map.theta(phi);
        const g = glsRhoGradient(deviance, design, residual, rhoOf(par), { theta });
        return Float64Array.from([...map.gradient(phi, g.subarray(0, theta.length)), ...g.subarray(theta.length)]);
      }
      const g = new Float64Array(par.length);
      g.set(map.gradient(par.subarray(0, nphi), deviance.gradient()));
      const at = Float64Array.from(par);
      const saved = deviance.saveCrossProducts();
      for (let i = nphi; i < par.length; i++) {
        const h = RHO_STEP * Math.max(1, Math.abs(par[i]));
        at[i] = par[i] + h;
        const up = objective(at);
        at[i] = par[i] - h;
        const down = objective(at);
        at[i] = par[i];
        g[i] = (up - down) / (2 * h);
      }
      // Back to par (the deviance is read there next): its cross-products copied back, not accumulated again.
      saved.restore();
      rhoState.restored(rhoOf(par));
      deviance.evaluate(map.theta(par.subarray(0, nphi)));
      return g;
    },
    probe: coneProbe(unstructured),
    ...options,
  }), even);
  objective(opt.x);
  return { ...opt, theta: map.theta(opt.x.subarray(0, nphi)) };
}

/**
 * The last diagonal entry of each unstructured term's factor T: its column holds
 * nothing else, so flipping its sign leaves T T' and the deviance unchanged
 * (for a one-column term, its only entry). The deviance is smooth and even in
 * it, so the search leaves it unbounded: a bound at 0 would be a stationary
 * point of the even function, where a projected step can land and stop (all of
 * a zero-correlation model's theta at 0 after one step). `foldSigns` returns
 * it to lme4's convention, a diagonal >= 0.
 */
function loneDiagonals(unstructured: readonly { at: number; q: number }[]): number[] {
  return unstructured.map(({ at, q }) => at + thetaLength(q) - 1);
}

/** The optimum with each of `even`'s coordinates made >= 0 (the same deviance; its gradient entry flips with it). */
function foldSigns(opt: OptimizerResult, even: readonly number[]): OptimizerResult {
  const x = Float64Array.from(opt.x);
  const gradient = Float64Array.from(opt.gradient);
  for (const i of even) {
    if (x[i] < 0) {
      x[i] = -x[i];
      gradient[i] = -gradient[i];
    }
  }
  return { ...opt, x, gradient };
}

/**
 * `set(rho, theta?)`: whiten and accumulate again unless rho (and theta, of
 * absorbed random effects) is already set (false where Psi is not positive
 * definite); `restored(rho)`: the deviance's cross-products were put back to
 * those of rho (saveCrossProducts), and so is the structure now.
 */
function residualSetter(deviance: ProfiledDeviance, residual: ResidualStructure): { set(rho: Float64Array, theta?: Float64Array): boolean; restored(rho: Float64Array): void } {
  let current: Float64Array | null = null;
  return {
    set: (rho, theta) => {
      const at = theta ? Float64Array.from([...theta, ...rho]) : rho;
      if (current && current.length === at.length && current.every((v, i) => v === at[i])) return true;
      current = null;
      if (!residual.set(rho, theta)) return false;
      deviance.refill();
      current = Float64Array.from(at);
      return true;
    },
    restored: (rho) => {
      residual.set(rho);
      current = Float64Array.from(rho);
    },
  };
}
