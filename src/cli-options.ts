// Options the commands that fit a model share: how the data's columns enter it
// (--factor, --levels, --weights, --offset), as lmer()'s `factors`, `levels`,
// `weights` and `offset`.
import type { Command } from "commander";
import { LmmError, quote } from "./errors.js";
import type { DesignOptions } from "./model/design.js";

/** A repeatable option's values, in the order given. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The flags `withDesignOptions` adds. */
export interface DesignFlags {
  factor?: string[];
  levels?: string[];
  weights?: string;
  offset?: string;
}

/** Add --factor COL and --levels COL=a,b,c (both repeatable) to a command. */
export function withDesignOptions(command: Command): Command {
  return command
    .option("--factor <column>", "treat a numeric column (e.g. Diet coded 1-4) as a factor (repeat for more)", collect)
    .option("--levels <column=a,b,...>", "level order of a factor, the first being the reference, e.g. --levels Sex=Male,Female (repeatable)", collect)
    .option("--weights <column>", "prior weights: row i has residual variance sigma^2 / weight (lme4's weights)")
    .option("--offset <column>", "a known term added to the linear predictor (lme4's offset)");
}

/** The DesignOptions those flags give. */
export function designOptions(flags: DesignFlags): DesignOptions {
  const levels: Record<string, string[]> = {};
  for (const spec of flags.levels ?? []) {
    const eq = spec.indexOf("=");
    const column = spec.slice(0, eq).trim();
    const values = spec.slice(eq + 1).split(",").map((v) => v.trim());
    if (eq <= 0 || values.some((v) => v === "")) throw new LmmError(`--levels takes COLUMN=level1,level2,... (e.g. --levels Sex=Male,Female), not ${quote(spec)}.`);
    if (Object.hasOwn(levels, column)) throw new LmmError(`--levels names ${quote(column)} twice: give its levels once.`);
    levels[column] = values;
  }
  return {
    ...(flags.factor?.length ? { factors: flags.factor } : {}),
    ...(Object.keys(levels).length ? { levels } : {}),
    ...(flags.weights !== undefined && { weights: flags.weights }),
    ...(flags.offset !== undefined && { offset: flags.offset }),
  };
}
