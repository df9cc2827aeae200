// Options the commands that fit a model share: how the data's columns enter it
// (--factor, --levels, --contrasts, --level-order, --weights, --offset,
// --correlation, --variance), as lmer()'s `factors`, `levels`, `contrasts`,
// `levelOrder`, `weights`, `offset`, `correlation` and `variance`.
import type { Command } from "commander";
import { LmmError, quote } from "./errors.js";
import { contrastName, CONTRAST_NAMES, type ContrastName } from "./model/contrasts.js";
import type { DesignOptions } from "./model/design.js";
import { LEVEL_ORDERS, type LevelOrder } from "./model/factor.js";

/** A repeatable option's values, in the order given. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The flags `withDesignOptions` adds. */
export interface DesignFlags {
  factor?: string[];
  levels?: string[];
  contrasts?: string[];
  levelOrder?: string;
  weights?: string;
  offset?: string;
  /** Repeatable for `lmm compare` (one per model); once elsewhere. */
  correlation?: string[];
  variance?: string[];
}

/** Add --factor COL and --levels COL=a,b,c (both repeatable) to a command. */
export function withDesignOptions(command: Command): Command {
  return command
    .option("--factor <column>", "treat a numeric column (e.g. Diet coded 1-4) as a factor (repeat for more)", collect)
    .option("--levels <column=a,b,...>", "level order of a factor, the first being the reference, e.g. --levels Sex=Male,Female (repeatable)", collect)
    .option("--contrasts <factor=coding>", `coding of a factor of the fixed effects: ${CONTRAST_NAMES.join(", ")} (R's contr.*), e.g. --contrasts Diet=sum (repeatable)`, collect)
    .option("--level-order <order>", "order of text levels: english (default, as R in en_US.UTF-8: control before Treatment) or codepoint (as R in the C locale)")
    .option("--weights <column>", "prior weights: row i has residual variance sigma^2 / weight (lme4's weights)")
    .option("--offset <column>", "a known term added to the linear predictor (lme4's offset)")
    .option("--correlation <structure>", "residual correlation within groups (nlme's correlation): 'ar1(~ time | subject)', 'car1(~ time | subject)', 'cs(~ 1 | subject)' or 'us(~ visit | subject)'", collect)
    .option("--variance <function>", "residual variances by group (nlme's varIdent): 'ident(~ 1 | group)'", collect);
}

/** COLUMN=VALUE of a repeatable flag, split (an error naming the flag and its form otherwise). */
function assignment(flag: string, spec: string, form: string): [string, string] {
  const eq = spec.indexOf("=");
  const column = spec.slice(0, eq).trim();
  const value = spec.slice(eq + 1).trim();
  if (eq <= 0 || column === "" || value === "") throw new LmmError(`${flag} takes ${form}, not ${quote(spec)}.`);
  return [column, value];
}

/** The one value of a flag that a single model takes (`lmm compare` takes one per model). */
function single(flag: string, values: string[] | undefined): string | undefined {
  if (values && values.length > 1) throw new LmmError(`${flag} is given ${values.length} times: a single model takes it once (lmm compare takes one per model, in the order of the formulas).`);
  return values?.[0];
}

/** The DesignOptions those flags give. */
export function designOptions(flags: DesignFlags): DesignOptions {
  const correlation = single("--correlation", flags.correlation);
  const variance = single("--variance", flags.variance);
  const levels: Record<string, string[]> = {};
  const levelsForm = "COLUMN=level1,level2,... (e.g. --levels Sex=Male,Female)";
  for (const spec of flags.levels ?? []) {
    const [column, list] = assignment("--levels", spec, levelsForm);
    const values = list.split(",").map((v) => v.trim());
    if (values.some((v) => v === "")) throw new LmmError(`--levels takes ${levelsForm}, not ${quote(spec)}.`);
    if (Object.hasOwn(levels, column)) throw new LmmError(`--levels names ${quote(column)} twice: give its levels once.`);
    levels[column] = values;
  }
  const contrasts: Record<string, ContrastName> = {};
  for (const spec of flags.contrasts ?? []) {
    const [factor, coding] = assignment("--contrasts", spec, `FACTOR=${CONTRAST_NAMES.join("|")} (e.g. --contrasts Diet=sum)`);
    if (Object.hasOwn(contrasts, factor)) throw new LmmError(`--contrasts names ${quote(factor)} twice: give its coding once.`);
    contrasts[factor] = contrastName(factor, coding);
  }
  const order = flags.levelOrder;
  if (order !== undefined && !LEVEL_ORDERS.includes(order as LevelOrder)) {
    throw new LmmError(`Unknown --level-order ${quote(order)}: choose english or codepoint.`);
  }
  return {
    ...(flags.factor?.length ? { factors: flags.factor } : {}),
    ...(Object.keys(levels).length ? { levels } : {}),
    ...(Object.keys(contrasts).length ? { contrasts } : {}),
    ...(order ? { levelOrder: order as LevelOrder } : {}),
    ...(flags.weights !== undefined && { weights: flags.weights }),
    ...(flags.offset !== undefined && { offset: flags.offset }),
    ...(correlation !== undefined && { correlation }),
    ...(variance !== undefined && { variance }),
  };
}
