// The columns that play the longitudinal roles (response, time, group,
// subject): the column pickers write a formula from them, and the plots read
// them back from any formula, so a typed formula gets the same plots.
import { factorVariableColumn, variableColumns, type Column, type ParsedFormula } from "lmm-wasm";

/** Which column plays which part in `response ~ time * group + (time | subject)`. */
export interface Roles {
  response: string;
  time?: string;
  group?: string;
  subject?: string;
}

/**
 * The data's column names and types: all the roles need. A DataFrame is one;
 * the page has only this, sent by the fit worker that holds the data.
 */
export interface ColumnTypes {
  names: string[];
  columns: ReadonlyMap<string, { kind: Column["kind"] }>;
}

const SYNTACTIC_NAME = /^[A-Za-z._][A-Za-z0-9._]*$/;

/** A column name as the formula parser reads it: backticks around anything unusual. */
export function formulaName(name: string): string {
  return SYNTACTIC_NAME.test(name) ? name : `\`${name}\``;
}

/**
 * The model a longitudinal design asks for: the time effect, the group effect
 * and their interaction, with a random intercept and time slope per subject.
 */
export function formulaFromRoles(roles: Roles): string {
  const { response, time, group, subject } = roles;
  const fixed = [time, group].filter((v): v is string => v !== undefined).map(formulaName).join(" * ") || "1";
  const random = subject === undefined ? "" : ` + (${time === undefined ? "1" : formulaName(time)} | ${formulaName(subject)})`;
  return `${formulaName(response)} ~ ${fixed}${random}`;
}

/**
 * The column types as the model sees them: the numeric columns switched to
 * factors (lmer's `factors`) count as text, so they can be the group.
 */
export function withFactors(data: ColumnTypes, factors: readonly string[]): ColumnTypes {
  if (factors.length === 0) return data;
  const columns = new Map([...data.columns].map(([name, c]) => [name, factors.includes(name) ? { kind: "text" as const } : c]));
  return { names: data.names, columns };
}

/**
 * Read the roles back from a formula: the subject is the first random-effects
 * grouping factor (a single column); time is a numeric column of the fixed
 * effects, preferably one with a random slope, also inside a function
 * (`poly(Days, 2)`, `log(Days + 1)`); group is a text column of the fixed
 * effects or one coded by `factor(x)`. `data` has the columns' types as the
 * model sees them (see withFactors).
 */
export function rolesFromFormula(formula: ParsedFormula, data: ColumnTypes): Roles | undefined {
  if (formula.response === undefined) return undefined;
  const first = formula.random[0];
  const subject = first?.group.length === 1 ? first.group[0] : undefined;
  const kind = (v: string) => data.columns.get(v)?.kind;
  const numeric: string[] = [];
  const factors: string[] = [];
  for (const v of new Set(formula.fixed.terms.flat())) {
    const coded = factorVariableColumn(formula, v);
    const columns = coded === undefined ? variableColumns(formula, v) : [coded];
    // A function of several columns (I(a * b)) plays no single role.
    if (columns.length !== 1 || columns[0] === subject) continue;
    if (coded !== undefined || kind(columns[0]) === "text") factors.push(columns[0]);
    else if (kind(columns[0]) === "numeric") numeric.push(columns[0]);
  }
  const slopes = new Set((first?.lhs.terms.flat() ?? []).flatMap((v) => variableColumns(formula, v)));
  const time = numeric.find((v) => slopes.has(v)) ?? numeric[0];
  const group = factors.find((v) => v !== time);
  return { response: formula.response, time, group, subject };
}

const NAME_HINTS: Record<"time" | "group" | "subject", RegExp> = {
  time: /time|day|week|month|year|visit|age|occasion/i,
  group: /group|arm|treat|diet|sex|condition/i,
  subject: /subject|^id$|_id$|patient|participant|person|animal|rat|child/i,
};

/**
 * A first guess at the roles of a new file's columns, from their names and
 * types: the user corrects it with the column pickers.
 */
export function guessRoles(data: ColumnTypes): Roles | undefined {
  const numeric = data.names.filter((n) => data.columns.get(n)!.kind === "numeric");
  const text = data.names.filter((n) => data.columns.get(n)!.kind === "text");
  const named = (role: keyof typeof NAME_HINTS, among: string[]) => among.find((n) => NAME_HINTS[role].test(n));
  const subject = named("subject", data.names) ?? text[0];
  const time = named("time", numeric.filter((n) => n !== subject));
  const group = named("group", text.filter((n) => n !== subject));
  const response = numeric.find((n) => n !== time && n !== subject);
  return response === undefined ? undefined : { response, time, group, subject };
}
