// The residual-structure options of a model (nlme's `correlation` and
// `weights`): `correlation: "ar1(~ time | subject)"` and `variance:
// "ident(~ 1 | group)"`, parsed into what they name. Each is a small formula,
// `kind(~ covariate | group)`, read by the formula parser's own tokens.
import { LmmError, quote } from "../../errors.js";

/** The correlation structures within a residual group (nlme's corAR1, corCAR1, corCompSymm, corSymm + varIdent by visit). */
export type CorrelationKind = "ar1" | "car1" | "cs" | "us";

export const CORRELATION_KINDS: readonly CorrelationKind[] = ["ar1", "car1", "cs", "us"];

/** A residual correlation structure as written. */
export interface CorrelationSpec {
  kind: CorrelationKind;
  /** The time covariate (ar1, car1), the visit factor (us); null for `~ 1` (positions in row order). */
  covariate: string | null;
  /** The grouping factor (the subjects) within which residuals correlate. */
  group: string;
  /** The option as written, for messages and the summary. */
  text: string;
}

/** Residual variances by the levels of a factor (nlme's varIdent). */
export interface VarianceSpec {
  kind: "ident";
  group: string;
  text: string;
}

/** A model's residual structure: a correlation, a variance function, or both. */
export interface ResidualSpec {
  correlation?: CorrelationSpec;
  variance?: VarianceSpec;
}

const CORRELATION_FORMS = 'ar1(~ time | subject), car1(~ time | subject), cs(~ 1 | subject) or us(~ visit | subject)';
const VARIANCE_FORMS = "ident(~ 1 | group)";

/** A column name as a formula writes it: a name, or a `backticked name`. */
function columnName(text: string): string | null {
  const t = text.trim();
  if (/^`[^`]+`$/.test(t)) return t.slice(1, -1);
  return /^[A-Za-z.][A-Za-z0-9._]*$/.test(t) ? t : null;
}

/** `kind(~ covariate | group)` split into its parts, or an error naming the forms. */
function smallFormula(option: string, text: string, forms: string): { kind: string; covariate: string | null; group: string } {
  const match = /^\s*([A-Za-z0-9]+)\s*\(\s*~\s*(.+?)\s*\|\s*(.+?)\s*\)\s*$/.exec(text);
  const fail = (why: string) => new LmmError(`The ${option} ${quote(text)} ${why}: write ${forms}.`);
  if (!match) throw fail("is not of the form kind(~ covariate | group)");
  const [, kind, lhs, rhs] = match;
  const group = columnName(rhs);
  if (!group) throw fail(`groups by ${quote(rhs)}, which is not a column name`);
  if (lhs.trim() === "1") return { kind, covariate: null, group };
  const covariate = columnName(lhs);
  if (!covariate) throw fail(`has the covariate ${quote(lhs)}, which is neither 1 nor a column name`);
  return { kind, covariate, group };
}

/** The correlation option parsed (see CorrelationSpec). */
export function parseCorrelation(text: string): CorrelationSpec {
  const { kind, covariate, group } = smallFormula("correlation", text, CORRELATION_FORMS);
  if (!(CORRELATION_KINDS as readonly string[]).includes(kind)) {
    throw new LmmError(`Unknown correlation structure ${quote(kind)} in ${quote(text)}: write ${CORRELATION_FORMS}.`);
  }
  if (kind === "cs" && covariate !== null) {
    throw new LmmError(`Compound symmetry has no covariate (every pair in a group is equally correlated): write cs(~ 1 | ${group}), not ${quote(text)}.`);
  }
  if (kind === "us" && covariate === null) {
    throw new LmmError(`The unstructured correlation ${quote(text)} needs the visit factor whose levels it pairs: write us(~ visit | ${group}).`);
  }
  return { kind: kind as CorrelationKind, covariate, group, text };
}

/** The variance option parsed (see VarianceSpec). */
export function parseVariance(text: string): VarianceSpec {
  const { kind, covariate, group } = smallFormula("variance", text, VARIANCE_FORMS);
  if (kind !== "ident") throw new LmmError(`Unknown variance function ${quote(kind)} in ${quote(text)}: write ${VARIANCE_FORMS} (a residual variance per level of group).`);
  if (covariate !== null) throw new LmmError(`The variance function ${quote(text)} takes no covariate: write ident(~ 1 | ${group}).`);
  return { kind: "ident", group, text };
}

/** The residual structure the options give, or null when they give none. */
export function residualSpec(options: { correlation?: string; variance?: string }): ResidualSpec | null {
  const correlation = options.correlation === undefined ? undefined : parseCorrelation(options.correlation);
  const variance = options.variance === undefined ? undefined : parseVariance(options.variance);
  if (correlation?.kind === "us" && variance) {
    throw new LmmError(
      `The unstructured correlation ${quote(correlation.text)} already gives each visit its own residual variance (nlme's corSymm with varIdent by visit): drop the variance option ${quote(variance.text)}.`,
    );
  }
  return correlation || variance ? { ...(correlation && { correlation }), ...(variance && { variance }) } : null;
}

/** The data columns a residual structure reads. */
export function residualVariables(spec: ResidualSpec): string[] {
  const { correlation: c, variance: v } = spec;
  return [...(c ? [c.group, ...(c.covariate ? [c.covariate] : [])] : []), ...(v ? [v.group] : [])];
}
