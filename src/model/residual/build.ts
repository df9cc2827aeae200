// A residual structure's variables on the rows a design uses, and the checks
// that the model it describes is one the whitening can fit.
import { LmmError, quote } from "../../errors.js";
import type { RandomEffectsTerm } from "../design.js";
import type { Factor } from "../factor.js";
import type { ResidualSpec } from "./spec.js";
import type { ResidualDesign } from "./residual-design.js";

/** How the design reads the data's columns on the rows used. */
export interface ColumnReader {
  isFactor(name: string): boolean;
  factor(name: string): Factor;
  numeric(name: string): Float64Array;
}

/**
 * The residual structure's variables on the rows used. Whitening mixes the
 * rows of a group, so every random-effects grouping factor must be constant
 * within each residual group (nlme: the correlation's groups nest in the
 * random effects' innermost groups).
 */
export function residualDesign(spec: ResidualSpec, columns: ColumnReader, terms: readonly RandomEffectsTerm[], hasWeights: boolean): ResidualDesign {
  const { correlation: c, variance: v } = spec;
  const which = [c?.text, v?.text].filter(Boolean).map((t) => quote(t!)).join(" and ");
  if (hasWeights) {
    throw new LmmError(`Prior weights cannot be combined with the residual structure ${which}: use the variance option (ident(~ 1 | group)) for residual variances that differ by group, or drop the weights.`);
  }
  const groups = c ? columns.factor(c.group) : null;
  let time: Float64Array | null = null;
  let visits: Factor | null = null;
  if (c?.covariate && c.kind === "us") visits = columns.factor(c.covariate);
  else if (c?.covariate) {
    if (columns.isFactor(c.covariate)) {
      throw new LmmError(`The time ${quote(c.covariate)} of ${quote(c.text)} is a factor: ${c.kind} needs numeric times (for one correlation per pair of visits use us(~ ${c.covariate} | ${c.group})).`);
    }
    time = columns.numeric(c.covariate);
  }
  const strata = v ? columns.factor(v.group) : null;
  if (groups) {
    for (const term of terms) {
      const level = varyingWithin(term.factor.codes, groups.codes, groups.levels.length);
      if (level >= 0) {
        throw new LmmError(
          `The random-effects grouping factor ${quote(term.group)} varies within the group ${quote(groups.levels[level])} of ${quote(c!.group)}, within which ${quote(c!.text)} correlates the residuals: ` +
            `the residual groups must lie within the random effects' groups (as nlme's lme requires). Group the correlation by ${quote(term.group)} or by a factor nested in it.`,
        );
      }
    }
  }
  return { spec, groups, time, visits, strata };
}

/** The first group within which `codes` takes two values, or -1. */
function varyingWithin(codes: Int32Array, groups: Int32Array, ngroups: number): number {
  const seen = new Int32Array(ngroups).fill(-1);
  for (let i = 0; i < codes.length; i++) {
    const g = groups[i];
    if (seen[g] === -1) seen[g] = codes[i];
    else if (seen[g] !== codes[i]) return g;
  }
  return -1;
}
