// Confidence intervals as lme4's confint(m, method = "Wald") and
// confint(m, method = "profile"), with lme4's parameter names and order.
import qnorm from "@stdlib/stats-base-dists-normal-quantile";
import type { LmerModel } from "../model/lmer-model.js";
import { Profile } from "./profile.js";

export interface ConfintRow {
  name: string;
  lower: number;
  upper: number;
}

function checkLevel(level: number): number {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be between 0 and 1, got ${level}`);
  return qnorm((1 + level) / 2, 0, 1);
}

/**
 * Wald intervals of the fixed effects, estimate -/+ z se (lme4's
 * confint(m, method = "Wald"), whose variance-parameter rows are NA and are
 * left out here). For a REML fit these use the REML estimates and SEs.
 */
export function waldConfint(model: LmerModel, level = 0.95): ConfintRow[] {
  const z = checkLevel(level);
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
export async function profileConfint(model: LmerModel, level = 0.95): Promise<ConfintRow[]> {
  const z = checkLevel(level);
  const profile = await Profile.create(model);
  const rows = profile.parameters.map((par) => ({ name: par.name, ...profile.interval(par, z) }));
  for (let j = 0; j < model.coefNames.length; j++) {
    const par = await profile.fixedEffect(j);
    rows.push({ name: par.name, ...profile.interval(par, z) });
  }
  return rows;
}
