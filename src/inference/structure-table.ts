// Choosing a residual covariance structure by information criteria, as Singer
// & Willett's Table 7.3 does: one model (formula and fixed effects) fitted with
// each structure tried, and per structure its npar, -2 logLik, AIC and BIC.
import { LmmError, quote } from "../errors.js";
import { lmer, type LmerOptions } from "../fit/lmer.js";
import type { DataInput } from "../data.js";
import { parseFormula } from "../formula.js";
import { CORRELATION_KINDS } from "../model/residual/spec.js";
import { formatColumn, table } from "../output/format.js";

/** One structure's fit. */
export interface StructureRow {
  /** The correlation as fitted (`ar1(~ visit | id)`), or "none" for independent residuals. */
  structure: string;
  npar: number;
  logLik: number;
  /** -2 logLik: the REML criterion or the ML deviance. */
  deviance: number;
  AIC: number;
  BIC: number;
}

/** Which structures to try, and the variables their small formulas name. */
export interface StructureChoice {
  /** Names (ar1, car1, cs, us, none) or whole correlation options (`ar1(~ visit | id)`). */
  structures: string[];
  /** The time covariate of ar1 and car1, the visit factor of us. */
  time?: string;
  /** The groups (subjects); by default the formula's one random-effects grouping factor. */
  group?: string;
}

/** The correlation option a name of `--try` stands for (undefined: none). */
function correlationOf(name: string, formula: string, choice: StructureChoice): string | undefined {
  if (name === "none") return undefined;
  if (name.includes("(")) return name;
  if (!(CORRELATION_KINDS as readonly string[]).includes(name)) {
    throw new LmmError(`Unknown structure ${quote(name)} to try: choose among ${[...CORRELATION_KINDS, "none"].join(", ")}, or write one whole, e.g. 'ar1(~ visit | id)'.`);
  }
  let group = choice.group;
  if (!group) {
    const groups = [...new Set(parseFormula(formula).random.map((r) => r.groupName))];
    if (groups.length !== 1) throw new LmmError(`Say which groups (subjects) the residuals correlate within: add --group COLUMN (the formula has ${groups.length === 0 ? "no" : groups.length} random-effects grouping factors).`);
    group = groups[0];
  }
  if (name === "cs") return `cs(~ 1 | ${group})`;
  if (!choice.time) throw new LmmError(`${name} needs the time (or visit) variable: add --time COLUMN.`);
  return `${name}(~ ${choice.time} | ${group})`;
}

/** Fit the model with each structure and tabulate npar, -2 logLik, AIC and BIC (REML unless options.REML is false). */
export async function compareStructures(formula: string, data: DataInput, choice: StructureChoice, options: LmerOptions = {}): Promise<StructureRow[]> {
  if (choice.structures.length === 0) throw new LmmError("Give the structures to try, e.g. --try ar1,cs,us.");
  const rows: StructureRow[] = [];
  for (const name of choice.structures) {
    const correlation = correlationOf(name, formula, choice);
    const m = await lmer(formula, data, { ...options, ddf: "none", ...(correlation !== undefined && { correlation }) });
    rows.push({ structure: correlation ?? "none", npar: m.npar, logLik: m.logLik, deviance: m.objective, AIC: m.AIC, BIC: m.BIC });
  }
  return rows;
}

/** The table as text: one row per structure, AIC and BIC to compare (smaller is better). */
export function formatStructures(rows: StructureRow[], REML: boolean): string {
  const col = (f: (r: StructureRow) => number) => formatColumn(rows.map(f), 5);
  const [ll, dev, aic, bic] = [col((r) => r.logLik), col((r) => r.deviance), col((r) => r.AIC), col((r) => r.BIC)];
  const best = (f: (r: StructureRow) => number) => rows.reduce((b, r) => (f(r) < f(b) ? r : b)).structure;
  return [
    `Residual covariance structures fitted by ${REML ? "REML (the same fixed effects in every model)" : "maximum likelihood"}:`,
    table(
      ["structure", "npar", "logLik", REML ? "-2 logLik (REML)" : "deviance", "AIC", "BIC"],
      rows.map((r, k) => [r.structure, String(r.npar), ll[k], dev[k], aic[k], bic[k]]),
      [true, false, false, false, false, false],
    ),
    `Smallest AIC: ${best((r) => r.AIC)}; smallest BIC: ${best((r) => r.BIC)}.`,
  ].join("\n") + "\n";
}
