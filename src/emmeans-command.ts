// `lmm emmeans` and `lmm emtrends`: fit, then the marginal means (or trends)
// of the specs and, with --pairs, their pairwise comparisons; text laid out as
// emmeans prints an emm_list ($emmeans, $contrasts), or JSON with emmeans'
// column names ({ "emmeans": [...], "contrasts": [...] }).
import { designOptions, type DesignFlags } from "./cli-options.js";
import { readCSV } from "./csv.js";
import { LmmError, quote } from "./errors.js";
import { lmer } from "./fit/lmer.js";
import { emmeans, emtrends } from "./inference/emmeans.js";
import type { ContrastDdf } from "./inference/linear-contrast.js";
import type { Adjust } from "./inference/p-adjust.js";
import type { AtValues } from "./inference/reference-grid.js";

/** The flags both commands take. */
export interface EmmeansFlags extends DesignFlags {
  at?: string[];
  pairs?: boolean;
  adjust?: string;
  ddf?: string;
  level?: string;
  ml?: boolean;
  json?: boolean;
  var?: string;
}

/** `--at time=0,4,8` (repeatable) as emmeans' at: numbers where the values are numbers, level labels otherwise. */
export function parseAt(specs: string[] = []): AtValues {
  const at: Record<string, (number | string)[]> = {};
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    if (eq <= 0 || eq === spec.length - 1) throw new LmmError(`--at ${quote(spec)} must read VARIABLE=value1,value2,... (e.g. --at time=0,4,8).`);
    const name = spec.slice(0, eq).trim();
    if (Object.hasOwn(at, name)) throw new LmmError(`--at gives ${quote(name)} twice: list all its values in one --at ${name}=v1,v2,...`);
    at[name] = spec
      .slice(eq + 1)
      .split(",")
      .map((v) => v.trim())
      .map((v) => (v !== "" && Number.isFinite(Number(v)) ? Number(v) : v));
  }
  return at;
}

/** Fit, then print the means (`kind` "emmeans") or the trends of --var ("emtrends"), and with --pairs their comparisons. */
export async function emmeansCommand(
  kind: "emmeans" | "emtrends",
  data: string,
  formula: string,
  specs: string,
  flags: EmmeansFlags,
  out: (s: string) => void,
): Promise<void> {
  if (flags.adjust !== undefined && !flags.pairs) throw new LmmError("--adjust adjusts the p-values of --pairs: add --pairs.");
  if (kind === "emtrends" && !flags.var) throw new LmmError("lmm emtrends needs --var VARIABLE, the covariate whose slope is wanted.");
  const level = flags.level === undefined ? undefined : Number(flags.level);
  if (level !== undefined && Number.isNaN(level)) throw new LmmError(`--level must be a number such as 0.95, not ${quote(flags.level)}.`);
  const model = await lmer(formula, await readCSV(data), { REML: !flags.ml, ddf: "none", ...designOptions(flags) });
  const options = { at: parseAt(flags.at), ddf: flags.ddf as ContrastDdf | undefined, level };
  const grid = kind === "emmeans" ? emmeans(model, specs, options) : emtrends(model, specs, { ...options, var: flags.var! });
  const comparisons = flags.pairs ? grid.pairs({ adjust: flags.adjust as Adjust | undefined }) : undefined;
  if (flags.json) {
    out(JSON.stringify({ [kind]: grid.rows, contrasts: comparisons?.rows ?? [] }, null, 2) + "\n");
    return;
  }
  out(comparisons ? `$${kind}\n${grid.format()}\n$contrasts\n${comparisons.format()}` : grid.format());
}
