// What every residual-structure reference case states (test/reference-residual,
// test/reference-residual-inference: made by scripts/make-residual-*.R) and
// the lmer() options it was fitted with.

/** A residual-structure fit: the model as nlme was given it. */
export interface ResidualFitCase {
  id: string;
  /** The data set's name (reference-residual) or path (reference-residual-inference). */
  data: string;
  formula: string;
  /** nlme's correlation as our option (`ar1(~ time | subject)`), or null. */
  correlation: string | null;
  /** nlme's variance function as our option (`ident(~ 1 | group)`), or null. */
  variance: string | null;
  REML: boolean;
  /** nlme's REML criterion or deviance at its estimates. */
  objective: number;
}

/** A case's structures as options (buildDesign's). */
export const residualStructures = (c: ResidualFitCase) => ({
  ...(c.correlation && { correlation: c.correlation }),
  ...(c.variance && { variance: c.variance }),
});

/** lmer()'s options for a case: the criterion and its structures. */
export const residualOptions = (c: ResidualFitCase) => ({ REML: c.REML, ...residualStructures(c) });
