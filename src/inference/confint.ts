// Confidence intervals as lme4's confint(m, method = "Wald") and
// confint(m, method = "profile"), with lme4's parameter names and order.
import type { FittedModel } from "../model/fitted.js";
import type { RandomEffectsTerm } from "../model/design.js";
import { termStructures } from "../model/parameters.js";
import { sdcorName, TermCovariance } from "../model/covariance/structure.js";
import { Profile } from "./profile.js";
import { bootstrap, checkCount, MAX_NSIM, type SimulateOptions } from "./simulate.js";
import { waldQuantile } from "./wald-quantile.js";

/** One confidence interval, with lme4's parameter name. */
export interface ConfintRow {
  name: string;
  lower: number;
  upper: number;
}


/**
 * Wald intervals of the fixed effects, estimate -/+ z se (lme4's
 * confint(m, method = "Wald"), whose variance-parameter rows are NA and are
 * left out here). For a REML fit these use the REML estimates and SEs.
 */
export function waldConfint(model: FittedModel, level = 0.95): ConfintRow[] {
  const z = waldQuantile(level);
  return model.coefNames.map((name) => {
    const b = model.fixef[name];
    const se = model.se[name];
    return { name, lower: b - z * se, upper: b + z * se };
  });
}

/**
 * Profile-likelihood intervals (lme4's confint(m, method = "profile")): per
 * random-effects term the standard deviations and correlations
 * (`sd_(Intercept)|Subject`, `cor_Days.(Intercept)|Subject`, `sd_Days|Subject`,
 * in theta order), then `sigma`, then the fixed effects. As in lme4, the profile
 * is that of the ML deviance around the ML estimates also for a REML fit. An end
 * the profile does not reach before the parameter's limit is that limit (0 for
 * an sd, -1 or 1 for a correlation), as lme4 reports it.
 */
export async function profileConfint(model: FittedModel, level = 0.95): Promise<ConfintRow[]> {
  const z = waldQuantile(level);
  const profile = await Profile.create(model);
  const rows = profile.parameters.map((par) => ({ name: par.name, ...profile.interval(par, z) }));
  for (let j = 0; j < model.coefNames.length; j++) {
    const par = await profile.fixedEffect(j);
    rows.push({ name: par.name, ...profile.interval(par, z) });
  }
  return rows;
}

/**
 * The sd/cor parameters (lme4's names and order, as the profile's) and sigma,
 * from theta and sigma: Sigma_t = sigma^2 T T'.
 */
export function varianceParameters(terms: RandomEffectsTerm[], theta: ArrayLike<number>, sigma: number): { name: string; value: number }[] {
  const out: { name: string; value: number }[] = [];
  termStructures(terms).forEach(({ structure, at }, k) => {
    const { group, names } = terms[k];
    const cov = new TermCovariance(structure.factor(theta, at), structure.q, sigma);
    for (const [i, j] of structure.covariancePairs()) out.push({ name: sdcorName(group, names, i, j), value: i === j ? cov.sd(i) : cov.cor(i, j) });
  });
  out.push({ name: "sigma", value: sigma });
  return out;
}

/** The order statistic at (n + 1) p of sorted values, interpolated linearly (boot's percentile method). */
function percentile(sorted: Float64Array, p: number): number {
  const h = Math.min(Math.max((sorted.length + 1) * p, 1), sorted.length);
  const lo = Math.floor(h);
  return lo >= sorted.length ? sorted[sorted.length - 1] : sorted[lo - 1] + (h - lo) * (sorted[lo] - sorted[lo - 1]);
}

/**
 * Parametric-bootstrap percentile intervals (lme4's confint(m, method = "boot")):
 * `nsim` responses simulated from the fit are refitted, and each parameter's
 * interval is read off the distribution of its estimates. Seeded, so reproducible.
 */
export async function bootConfint(model: FittedModel, options: SimulateOptions & { level?: number; nsim?: number } = {}): Promise<ConfintRow[]> {
  const level = options.level ?? 0.95;
  waldQuantile(level);
  const nsim = options.nsim ?? 500;
  checkCount("nsim", nsim, 2, MAX_NSIM);
  const b = await bootstrap(model, nsim, { seed: options.seed });
  const names = varianceParameters(model.design.terms, model.theta, model.sigma).map((p) => p.name);
  const draws = names.map(() => new Float64Array(nsim));
  for (let s = 0; s < nsim; s++) varianceParameters(model.design.terms, b.theta[s], b.sigma[s]).forEach((p, k) => (draws[k][s] = p.value));
  const alpha = (1 - level) / 2;
  const interval = (name: string, values: Float64Array) => {
    const sorted = Float64Array.from(values.filter((v) => !Number.isNaN(v))).sort();
    return { name, lower: percentile(sorted, alpha), upper: percentile(sorted, 1 - alpha) };
  };
  return [...names.map((name, k) => interval(name, draws[k])), ...model.coefNames.map((name) => interval(name, b.fixef[name]))];
}
