// lme4's update(m, ...): refit a model with some of its specification changed
// (formula, REML, data, the options of lmer()), everything else as it was.
import { toDataFrame, type DataInput } from "../data.js";
import { LmmError } from "../errors.js";
import { parseFormula } from "../formula.js";
import { contrastsOfTerms } from "../model/contrasts.js";
import type { LmerModel } from "../model/lmer-model.js";
import { checkOptions } from "../options.js";
import { LMER_OPTIONS, lmer, type LmerOptions } from "./lmer.js";

/** What `update` may change: the formula, the data, and any option of `lmer()`. */
export interface UpdateChanges extends LmerOptions {
  /** The new formula, written out in full (R's `. ~ . + x` shorthand is refused by the parser). */
  formula?: string;
  data?: DataInput;
}

/**
 * Refit `m` with the given changes (lme4's update): the same data, formula,
 * REML or ML, df method, level orders, factors and contrasts unless changed
 * (contrasts of a factor the new formula drops are dropped with it, as in R).
 *
 * @example
 * const m1 = await update(m, { formula: "Reaction ~ Days + (1 | Subject)" });
 * const ml = await update(m, { REML: false });
 */
export async function update(m: LmerModel, changes: UpdateChanges = {}): Promise<LmerModel> {
  const { formula, data, ...options } = changes;
  checkOptions(options, LMER_OPTIONS, "update()");
  if (formula !== undefined && typeof formula !== "string") throw new LmmError("formula of update() must be a string such as 'y ~ x + (1 | g)'.");
  const source = data === undefined ? m.design.data : toDataFrame(data);
  if (!source) throw new LmmError("This model keeps no data to refit from: give update() the data ({ data }).");
  const inherited = m.design.options ?? {};
  const newFormula = formula ?? m.formula;
  return lmer(newFormula, source, {
    REML: m.REML,
    ddf: m.ddf,
    dataName: m.dataName,
    ...inherited,
    ...(inherited.contrasts && { contrasts: contrastsOfTerms(parseFormula(newFormula).fixed, inherited.contrasts) }),
    ...options,
  });
}
