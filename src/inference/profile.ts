// Likelihood profiles of a fitted model, as lme4's profile.merMod computes them:
// for one parameter at a time, fix it, minimise the ML deviance over all the
// others, and report the signed root deviance
//   zeta(x) = sign(x - estimate) * sqrt(deviance(x) - deviance at the optimum).
// Like lme4 (devfun2 refits with refitML), the profile is always the ML deviance
// at the ML estimates, also for a REML fit.
//
// Parameters (lme4's names and order): per random-effects term, in theta order,
// the standard deviation of each column (`sd_Days|Subject`) and the correlation
// of each pair (`cor_Days.(Intercept)|Subject`); then `sigma`; then the fixed
// effects.
//
// How the other parameters are minimised over: in each term's profile
// parameterisation (ProfiledStructure.toNatural/fromNatural; for an
// unstructured term, relative sds s >= 0 and partial correlations sin(u) with u
// free, so the inner problems have simple bounds). Then
//  - sigma fixed at s0: minimise d(theta, s0) over the natural parameters, with
//    the non-profiled deviance d(theta, sigma) = log|L|^2 + r2/sigma^2 + n log(2 pi sigma^2);
//  - an sd fixed at v > 0: sigma is eliminated, sigma = v / s_i, and d(theta,
//    v / s_i) is minimised; at v = 0, s_i = 0 and sigma is profiled;
//  - a correlation fixed at rho: the structure builds theta with it held
//    (fromNatural's fixed correlation); sigma is profiled out (the constraint
//    is scale free).
// Gradients: the analytic gradient of the deviance with respect to theta (and
// sigma) times the Jacobian of the cheap map (s, u) -> (theta, sigma), the latter
// by central differences.
//
// A fixed effect beta_j fixed at b is the model with x_j b as an offset: the
// design without column j and the response y - x_j b, whose ML deviance
// (profiled over sigma and the other coefficients) is minimised over theta.
//
// Instead of lme4's spline through profile points, each interval end is the
// root of zeta(x) = -/+ z (Brent's method on the exact profile, bracketed by
// secant steps from the estimate). The inner problems can have several local
// minima, so each starts both at the solution for the nearest value already
// profiled and at the ML estimate, and the lower minimum wins; a correlation's
// profile is also capped by the deviance with either of its sds at 0 (where the
// correlation is free), which lme4's optimiser reaches as the sd goes to 0 and a
// local search at fixed rho may not. When zeta does not reach the cut-off
// before a parameter's limit (an sd at 0, a correlation at -1 or 1), the limit
// is the interval's end, as lme4's confint gives it (NA replaced by the bound).
import { minimize } from "../fit/optimizer.js";
import { optimizeTheta } from "../fit/optimize-theta.js";
import { inverseFromCholesky } from "../linalg.js";
import type { Design } from "../model/design.js";
import { ProfiledDeviance } from "../model/deviance.js";
import type { FittedModel } from "../model/fitted.js";
import { profiledStructures } from "../model/parameters.js";
import { sdcorName, type FixedCorrelation, type ProfiledStructure } from "../model/covariance/structure.js";
import { refuseResidual, type ResidualStructure } from "../model/residual/structure.js";


/** One parameter of the profile. */
export interface ProfiledParameter {
  name: string;
  kind: "sd" | "cor" | "sigma" | "fixef";
  /** ML estimate. */
  estimate: number;
  /** Where the parameter's range ends (interval ends that the profile does not reach). */
  min: number;
  max: number;
  /** zeta at a value of the parameter (each call runs one inner minimisation). */
  zeta: (x: number) => number;
  /** A step on the parameter's scale that moves zeta by about one. */
  scale: number;
}

/** One term's part of the profile: its covariance structure, where its entries start in theta (and in the natural point), its names. */
interface TermLayout {
  structure: ProfiledStructure;
  at: number;
  group: string;
  names: string[];
}

function termLayouts(design: Design, residual: ResidualStructure | null | undefined): TermLayout[] {
  refuseResidual(residual, "The likelihood profile (and profile intervals)", 'use Wald intervals of the fixed effects (method "wald", --confint wald)');
  const instead = 'use Wald intervals of the fixed effects (method "wald", --confint wald) or parametric bootstrap intervals (method "boot", --confint boot)';
  return profiledStructures(design.terms, "The likelihood profile (and profile intervals)", instead).map(({ structure, at }, k) => ({ structure, at, group: design.terms[k].group, names: design.terms[k].names }));
}

/** Where the parameter of a term's covariance pair (i, j) sits in theta and in the natural point. */
function position(L: TermLayout, i: number, j: number): number {
  return L.at + L.structure.covariancePairs().findIndex(([a, b]) => a === i && b === j);
}

/**
 * The free variables of an inner problem with natural parameter k held at a
 * value: their positions among theta's, their lower bounds, and the full point.
 */
function holding(k: number, lowerNat: Float64Array): { idx: number[]; lower: Float64Array; full: (x: Float64Array, value: number) => Float64Array } {
  const ntheta = lowerNat.length;
  const idx = Array.from({ length: ntheta }, (_, i) => i).filter((i) => i !== k);
  return {
    idx,
    lower: Float64Array.from(idx, (i) => lowerNat[i]),
    full: (x, value) => {
      const nat = new Float64Array(ntheta);
      idx.forEach((i, m) => (nat[i] = x[m]));
      nat[k] = value;
      return nat;
    },
  };
}

/** A correlation held fixed while theta is built: rows i > j of term `term`. */
interface CorConstraint extends FixedCorrelation {
  term: number;
}

/**
 * theta from the natural parameters, with an optional correlation constraint.
 * Returns the infeasibility of the constraint (0 when it holds; the amount by
 * which the partial correlation it needs exceeds 1 otherwise).
 */
function naturalToTheta(layouts: TermLayout[], nat: ArrayLike<number>, theta: Float64Array, con?: CorConstraint): number {
  let excess = 0;
  layouts.forEach((L, t) => (excess += L.structure.fromNatural(nat, L.at, theta, con?.term === t ? con : undefined)));
  return excess;
}

/** The natural parameters of theta. */
function thetaToNatural(layouts: TermLayout[], theta: ArrayLike<number>): Float64Array {
  const nat = new Float64Array(theta.length);
  for (const L of layouts) L.structure.toNatural(theta, L.at, nat);
  return nat;
}

/** The sd/cor parameters from theta and sigma, in theta's order. */
function sdcor(layouts: TermLayout[], theta: ArrayLike<number>, sigma: number): Float64Array {
  const out = new Float64Array(theta.length);
  for (const L of layouts) L.structure.profileEstimates(theta, L.at, sigma, out);
  return out;
}

/** Brent's method for f(x) = 0 on a bracket [a, b] with f(a), f(b) of opposite signs. */
function brent(f: (x: number) => number, a: number, b: number, fa: number, fb: number, xtol: number, maxIter = 100): number {
  let c = b;
  let fc = fb;
  let d = b - a;
  let e = d;
  for (let it = 0; it < maxIter; it++) {
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol = 2 * Number.EPSILON * Math.abs(b) + 0.5 * xtol;
    const xm = 0.5 * (c - b);
    if (Math.abs(xm) <= tol || fb === 0) return b;
    if (Math.abs(e) >= tol && Math.abs(fa) > Math.abs(fb)) {
      // Inverse quadratic interpolation, or the secant step when only two points differ.
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * xm * s;
        q = 1 - s;
      } else {
        const qq = fa / fc;
        const r = fb / fc;
        p = s * (2 * xm * qq * (qq - r) - (b - a) * (r - 1));
        q = (qq - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      p = Math.abs(p);
      if (2 * p < Math.min(3 * xm * q - Math.abs(tol * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = xm;
        e = d;
      }
    } else {
      d = xm;
      e = d;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol ? d : xm > 0 ? tol : -tol;
    fb = f(b);
  }
  return b;
}

/**
 * Where zeta(x) = target, searching from the estimate (zeta = 0) towards the
 * parameter's limit in the direction of target. Secant steps (at most four times
 * the previous step) until the crossing is bracketed, then Brent. NaN if zeta
 * is NaN on the way. The limit
 * itself when zeta does not reach the target there (or, for an infinite limit,
 * within a very long range); a limit that is open (sigma > 0) is approached
 * by halving.
 */
export function findCrossing(
  zeta: (x: number) => number,
  estimate: number,
  step: number,
  target: number,
  limit: number,
  limitOpen = false,
): number {
  const dir = Math.sign(target);
  const g = (x: number) => zeta(x) - target;
  const clamp = (from: number, x: number) => {
    if (dir * (x - limit) < 0) return x;
    return limitOpen ? (from + limit) / 2 : limit;
  };
  let a = estimate;
  let fa = -target;
  let b = clamp(a, a + dir * Math.abs(step));
  const far = Math.abs(estimate) + 1e8 * Math.abs(step);
  for (let it = 0; it < 200; it++) {
    const fb = g(b);
    if (Number.isNaN(fb)) return NaN;
    if (fb === 0) return b;
    if (Math.sign(fb) !== Math.sign(fa)) {
      const xtol = 1e-10 * Math.max(Math.abs(a), Math.abs(b), Math.abs(step));
      return brent(g, a, b, fa, fb, xtol);
    }
    if (b === limit) return limit;
    if (Math.abs(b) > far) return dir > 0 ? Infinity : -Infinity;
    const last = b - a;
    // Secant step towards the target (10% beyond, to bracket it), kept between
    // half and four times the last step; doubling-like growth where zeta is flat.
    let s = (fb - fa) * dir * Math.sign(last) < 0 ? (-fb * last) / (fb - fa) : 4 * last;
    if (!(Math.abs(s) >= Math.abs(last) * 0.5)) s = last;
    s = Math.sign(last) * Math.min(Math.abs(s) * 1.1, 4 * Math.abs(last));
    a = b;
    fa = fb;
    b = clamp(a, b + s);
  }
  return NaN;
}

/** The ML deviance's pieces for the inner minimisations. */
interface InnerProblem {
  /** Objective over the free variables. */
  f: (x: Float64Array) => number;
  gradient: (x: Float64Array) => Float64Array;
  lower: Float64Array;
  /** Free variables from a full natural point (s, u, sigma). */
  start: (nat: Float64Array) => Float64Array;
  /** Full natural point (s, u, sigma) of a solution. */
  natural: (x: Float64Array) => Float64Array;
}

/** Everything the profile of a model needs: its ML deviance, ML estimates and parameters. */
export class Profile {
  /** The sd/cor parameters of each term (theta order), then sigma. */
  readonly parameters: ProfiledParameter[] = [];
  /** ML deviance at the ML estimates. */
  readonly base: number;
  /** The ML estimates of the sd/cor parameters, theta order. */
  private readonly sdcorML: Float64Array;
  /** The natural point (s, u, sigma) of the ML estimates. */
  private readonly naturalML: Float64Array;
  /** The deviance with one sd at 0, by theta position (bounds a correlation's profile). */
  private readonly sdAtZero = new Map<number, number>();

  private constructor(
    private readonly dev: ProfiledDeviance,
    private readonly layouts: TermLayout[],
    /** ML estimates: theta, sigma, fixed effects. */
    readonly thetaML: Float64Array,
    readonly sigmaML: number,
    readonly betaML: Float64Array,
    base: number,
    private readonly design: Design,
    private readonly seML: Float64Array,
  ) {
    this.base = base;
    this.sdcorML = sdcor(layouts, thetaML, sigmaML);
    this.naturalML = new Float64Array(thetaML.length + 1);
    this.naturalML.set(thetaToNatural(layouts, thetaML));
    this.naturalML[thetaML.length] = sigmaML;
    this.addVarianceParameters();
  }

  /** Refit by ML (a REML fit) and lay out the profile's parameters. */
  static async create(model: FittedModel): Promise<Profile> {
    const design = model.design;
    const layouts = termLayouts(design, model.deviance.source.residual);
    const dev = await ProfiledDeviance.create(design, false);
    const opt = optimizeTheta(dev, design.terms, model.theta);
    const thetaML = opt.theta;
    const base = dev.evaluate(thetaML);
    const p = design.X.columns.length;
    const sigmaML = dev.sigma();
    const betaML = dev.beta();
    const V = inverseFromCholesky(dev.fixedFactor(), p);
    const seML = Float64Array.from({ length: p }, (_, j) => sigmaML * Math.sqrt(V[j * p + j]));
    return new Profile(dev, layouts, thetaML, sigmaML, betaML, base, design, seML);
  }

  private zetaOf(x: number, estimate: number, value: number): number {
    const d = Math.max(0, value - this.base);
    return Math.sign(x - estimate) * Math.sqrt(d);
  }

  /** Deviance d(theta, sigma), or the ML deviance profiled over sigma when sigma is null. */
  private devianceAt(theta: Float64Array, sigma: number | null): number {
    const f = this.dev.evaluate(theta);
    if (sigma === null || !Number.isFinite(f)) return f;
    return this.dev.devianceAtSigma(sigma);
  }

  private devianceGradient(sigma: number | null): { gTheta: Float64Array; gSigma: number } {
    return sigma === null ? { gTheta: this.dev.gradient(), gSigma: 0 } : this.dev.sigmaDevianceGradient(sigma);
  }

  /**
   * An inner problem: `map` takes the free variables to theta and sigma (null:
   * profiled out) and reports how far a fixed correlation is infeasible there
   * (`excess`, then penalised: possible only for a correlation of two later
   * columns of a term with q >= 3).
   */
  private inner(
    map: (x: Float64Array, theta: Float64Array) => { sigma: number | null; excess: number },
    lower: Float64Array,
    start: (nat: Float64Array) => Float64Array,
    natural: (x: Float64Array) => Float64Array,
  ): InnerProblem {
    const ntheta = this.thetaML.length;
    const theta = new Float64Array(ntheta);
    const f = (x: Float64Array) => {
      const { sigma, excess } = map(x, theta);
      if (sigma !== null && !(sigma > 0 && Number.isFinite(sigma))) return Infinity;
      const d = this.devianceAt(theta, sigma);
      return excess > 0 ? d + 1e4 * (excess + excess * excess) : d;
    };
    const gradient = (x: Float64Array) => {
      // The deviance was evaluated at x by f; its gradient in (theta, sigma) ...
      const { sigma } = map(x, theta);
      const { gTheta, gSigma } = this.devianceGradient(sigma);
      // ... times the Jacobian of the map, by central differences.
      const g = new Float64Array(x.length);
      const xt = Float64Array.from(x);
      const tp = new Float64Array(ntheta);
      const tm = new Float64Array(ntheta);
      for (let k = 0; k < x.length; k++) {
        const h = 1e-6 * Math.max(1, Math.abs(x[k]));
        xt[k] = x[k] + h;
        const sp = map(xt, tp);
        xt[k] = x[k] - h;
        const sm = map(xt, tm);
        xt[k] = x[k];
        let s = 0;
        for (let i = 0; i < ntheta; i++) s += (gTheta[i] * (tp[i] - tm[i])) / (2 * h);
        if (sigma !== null) s += (gSigma * (sp.sigma! - sm.sigma!)) / (2 * h);
        const dExcess = (sp.excess - sm.excess) / (2 * h);
        if (sp.excess > 0 || sm.excess > 0) s += 1e4 * dExcess * (1 + sp.excess + sm.excess);
        g[k] = s;
      }
      return g;
    };
    return { f, gradient, lower, start, natural };
  }

  /** Lower bounds of the natural parameters (s >= 0, u free). */
  private naturalLower(): Float64Array {
    return Float64Array.from(this.layouts.flatMap((L) => L.structure.naturalLower()));
  }

  /** The inner minimum from each start (natural points); the lowest wins. */
  private solveInner(problem: InnerProblem, starts: Float64Array[]): { value: number; nat: Float64Array } {
    let best = { value: Infinity, nat: starts[0] };
    for (const start of starts) {
      const nat = Float64Array.from(start);
      for (const L of this.layouts) L.structure.moveInside(nat, L.at);
      const x0 = problem.start(nat);
      if (x0.length === 0) return { value: problem.f(x0), nat: problem.natural(x0) };
      const opt = minimize(problem.f, x0, problem.lower, { gradient: problem.gradient });
      if (opt.f < best.value) best = { value: opt.f, nat: problem.natural(opt.x) };
    }
    return best;
  }

  /** The sd/cor parameters of each term, in theta order, then sigma. */
  private addVarianceParameters(): void {
    this.layouts.forEach((L, t) => {
      for (const [i, j] of L.structure.covariancePairs()) this.parameters.push(i === j ? this.sdParameter(L, i) : this.correlationParameter(L, t, i, j));
    });
    this.parameters.push(this.sigmaParameter());
  }

  /**
   * zeta as a function of a parameter's value, each value's inner problem from
   * `problemAt`. Starts of each inner minimisation: the solution at the nearest
   * value already profiled (continuation along the profile) and the ML estimate
   * (the inner problems can have several local minima; the lower one wins).
   * `cap` is a deviance the profile never exceeds (see the correlations).
   */
  private profileOf(problemAt: (x: number) => InnerProblem, estimate: number, cap: () => number = () => Infinity): (x: number) => number {
    const natML = this.naturalML;
    const points: { x: number; nat: Float64Array }[] = [{ x: estimate, nat: natML }];
    return (x: number) => {
      let near = points[0];
      for (const pt of points) if (Math.abs(pt.x - x) < Math.abs(near.x - x)) near = pt;
      const { value, nat } = this.solveInner(problemAt(x), near === points[0] ? [natML] : [near.nat, natML]);
      points.push({ x, nat });
      return this.zetaOf(x, estimate, Math.min(value, cap()));
    };
  }

  /**
   * The inner problem with the relative sd at theta position k held at v / sigma:
   * sigma = v / s_k is eliminated; at v = 0, s_k = 0 and sigma is profiled out.
   */
  private sdProblem(k: number, v: number): InnerProblem {
    const layouts = this.layouts;
    const ntheta = this.thetaML.length;
    if (v === 0) {
      const w = holding(k, this.naturalLower());
      return this.inner(
        (x, theta) => ({ sigma: null, excess: naturalToTheta(layouts, w.full(x, 0), theta) }),
        w.lower,
        (nat) => Float64Array.from(w.idx, (m) => nat[m]),
        (x) => {
          const nat = new Float64Array(ntheta + 1);
          nat.set(w.full(x, 0));
          const theta = new Float64Array(ntheta);
          naturalToTheta(layouts, nat, theta);
          this.dev.evaluate(theta);
          nat[ntheta] = this.dev.sigma();
          return nat;
        },
      );
    }
    return this.inner(
      (x, theta) => ({ sigma: v / x[k], excess: naturalToTheta(layouts, x, theta) }),
      this.naturalLower(),
      (nat) => {
        const x = nat.slice(0, ntheta);
        x[k] = v / nat[ntheta];
        return x;
      },
      (x) => {
        const nat = new Float64Array(ntheta + 1);
        nat.set(x);
        nat[ntheta] = v / x[k];
        return nat;
      },
    );
  }

  /** The inner problem with the correlation of columns i and j of term t held at rho (sigma profiled out: the constraint is scale free). */
  private correlationProblem(t: number, i: number, j: number, rho: number): InnerProblem {
    const layouts = this.layouts;
    const ntheta = this.thetaML.length;
    const w = holding(position(layouts[t], i, j), this.naturalLower());
    return this.inner(
      (x, theta) => ({ sigma: null, excess: naturalToTheta(layouts, w.full(x, 0), theta, { term: t, i, j, rho }) }),
      w.lower,
      (nat) => Float64Array.from(w.idx, (m) => nat[m]),
      (x) => {
        const nat = new Float64Array(ntheta + 1);
        const theta = new Float64Array(ntheta);
        naturalToTheta(layouts, w.full(x, 0), theta, { term: t, i, j, rho });
        nat.set(thetaToNatural(layouts, theta));
        this.dev.evaluate(theta);
        nat[ntheta] = this.dev.sigma();
        return nat;
      },
    );
  }

  /** The inner problem with sigma held at s0: theta's relative sds rescale so that the absolute ones stay put. */
  private sigmaProblem(s0: number): InnerProblem {
    const layouts = this.layouts;
    const ntheta = this.thetaML.length;
    return this.inner(
      (x, theta) => ({ sigma: s0, excess: naturalToTheta(layouts, x, theta) }),
      this.naturalLower(),
      (nat) => {
        const x = nat.slice(0, ntheta);
        for (const L of layouts) {
          L.structure.covariancePairs().forEach(([i, j], k) => {
            if (i === j) x[L.at + k] *= nat[ntheta] / s0;
          });
        }
        return x;
      },
      (x) => {
        const nat = new Float64Array(ntheta + 1);
        nat.set(x);
        nat[ntheta] = s0;
        return nat;
      },
    );
  }

  /** The deviance minimised with the sd at theta position k at 0 (computed once, on demand). */
  private devianceWithSdAtZero(k: number): number {
    let value = this.sdAtZero.get(k);
    if (value === undefined) {
      value = this.solveInner(this.sdProblem(k, 0), [this.naturalML]).value;
      this.sdAtZero.set(k, value);
    }
    return value;
  }

  /** The standard deviation of column i of a term. */
  private sdParameter(L: TermLayout, i: number): ProfiledParameter {
    const k = position(L, i, i);
    const estimate = this.sdcorML[k];
    return {
      name: sdcorName(L.group, L.names, i, i),
      kind: "sd",
      estimate,
      min: 0,
      max: Infinity,
      zeta: this.profileOf((v) => this.sdProblem(k, v), estimate),
      scale: estimate > 0 ? 0.1 * estimate : 0.1 * this.sigmaML,
    };
  }

  /** The correlation of columns i and j (i > j) of term t. */
  private correlationParameter(L: TermLayout, t: number, i: number, j: number): ProfiledParameter {
    const estimate = this.sdcorML[position(L, i, j)];
    // With either standard deviation at 0 the correlation is free: those
    // deviances bound the profile (lme4's optimiser finds them as the sd goes
    // to 0; a local search at a fixed rho may not).
    const cap = () => Math.min(this.devianceWithSdAtZero(position(L, i, i)), this.devianceWithSdAtZero(position(L, j, j)));
    return {
      name: sdcorName(L.group, L.names, i, j),
      kind: "cor",
      estimate,
      min: -1,
      max: 1,
      zeta: this.profileOf((rho) => this.correlationProblem(t, i, j, rho), estimate, cap),
      scale: 0.1 * Math.max(1e-3, 1 - Math.abs(Number.isFinite(estimate) ? estimate : 0)),
    };
  }

  /** The residual standard deviation. */
  private sigmaParameter(): ProfiledParameter {
    return {
      name: "sigma",
      kind: "sigma",
      estimate: this.sigmaML,
      min: 0,
      max: Infinity,
      zeta: this.profileOf((s0) => this.sigmaProblem(s0), this.sigmaML),
      scale: this.sigmaML / Math.sqrt(2 * this.dev.n),
    };
  }

  /**
   * The profile of fixed effect j (coefficient order). It has its own deviance
   * (the design without column j), made here: profile one coefficient at a time
   * so that only one extra copy of the data is alive.
   */
  async fixedEffect(j: number): Promise<ProfiledParameter> {
    const dev = await ProfiledDeviance.create(dropColumn(this.design, j), false);
    const xj = this.design.X.columns[j];
    const y = this.design.y;
    const estimate = this.betaML[j];
    const yOff = new Float64Array(y.length);
    const points: { x: number; theta: Float64Array }[] = [{ x: estimate, theta: this.thetaML }];
    const zeta = (b: number) => {
      for (let i = 0; i < y.length; i++) yOff[i] = y[i] - xj[i] * b;
      dev.setResponse(yOff);
      let near = points[0];
      for (const pt of points) if (Math.abs(pt.x - b) < Math.abs(near.x - b)) near = pt;
      // From the nearest profiled point and from the ML estimate; the lower wins.
      let best: { x: Float64Array; f: number } | null = null;
      for (const start of near === points[0] ? [this.thetaML] : [near.theta, this.thetaML]) {
        const opt = optimizeTheta(dev, this.design.terms, start);
        if (!best || opt.f < best.f) best = opt;
      }
      points.push({ x: b, theta: best!.x });
      return this.zetaOf(b, estimate, best!.f);
    };
    return { name: this.design.X.names[j], kind: "fixef", estimate, min: -Infinity, max: Infinity, zeta, scale: this.seML[j] };
  }

  /** The interval of one parameter at the given cut-off of zeta. */
  interval(par: ProfiledParameter, z: number): { lower: number; upper: number } {
    const est = par.estimate;
    if (!Number.isFinite(est)) return { lower: par.min, upper: par.max };
    const side = (target: number, limit: number) => {
      if (est === limit) return limit;
      const step = Math.min(par.scale * Math.abs(target), Math.abs(limit - est) / 2);
      return findCrossing(par.zeta, est, step, target, limit, par.kind === "sigma" && limit === 0);
    };
    return { lower: side(-z, par.min), upper: side(z, par.max) };
  }
}

/** The design with fixed-effect column j removed (to become an offset). */
function dropColumn(design: Design, j: number): Design {
  return {
    ...design,
    X: {
      names: design.X.names.filter((_, k) => k !== j),
      columns: design.X.columns.filter((_, k) => k !== j),
      assign: design.X.assign.filter((_, k) => k !== j),
    },
  };
}
