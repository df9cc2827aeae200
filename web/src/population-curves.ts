// The population trajectories of the trajectory plot: lme4-style population
// predictions (fixed effects only) over time for each group, with 95%
// confidence bands from predict()'s standard errors (sqrt(x' V x), V = vcov).
// The model's other variables are held at typical values, as effect plots do:
// a numeric covariate at its mean over the fitted rows, a factor at its first
// (reference) level.
import { factorVariableColumn, variableColumns, type DataFrame, type LmerModel } from "lmm-wasm";
import type { Trajectories } from "./fit-protocol";

/** A curve of more points than this looks no smoother: a time of many values is drawn at this many of them. */
const MAX_CURVE_POINTS = 40;

/** What the curves were computed at: the other variables' held values, for the plot's note. */
export interface PopulationCurves {
  curves: Trajectories["population"];
  held: { column: string; value: string | number }[];
}

/** Levels of a column as the fit coded it: the column's own factor, or a factor(column) of the formula. */
function fittedLevels(m: LmerModel, column: string): string[] | undefined {
  const levels = m.design.factorLevels ?? {};
  if (Object.hasOwn(levels, column)) return levels[column];
  const coded = Object.keys(levels).find((v) => factorVariableColumn(m.design.formula, v) === column);
  return coded === undefined ? undefined : levels[coded];
}

/** The values of a numeric column on the fitted rows. */
function fittedValues(m: LmerModel, data: DataFrame, column: string): Float64Array {
  const col = data.columns.get(column)!;
  return Float64Array.from(m.design.rows, (r) => col.values[r] as number);
}

/** The times a curve is drawn at: the distinct fitted values, evenly thinned (both ends kept) when many. */
function curveTimes(values: Float64Array): number[] {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  if (distinct.length <= MAX_CURVE_POINTS) return distinct;
  const step = (distinct.length - 1) / (MAX_CURVE_POINTS - 1);
  return Array.from({ length: MAX_CURVE_POINTS }, (_, i) => distinct[Math.round(i * step)]);
}

/** Population predictions with 95% bands over `time`, one curve per level of `group` (or one curve without a group). */
export function populationCurves(m: LmerModel, data: DataFrame, time: string, group?: string): PopulationCurves {
  const f = m.design.formula;
  const used = new Set([...f.fixed.terms.flat(), ...f.offsets].flatMap((v) => variableColumns(f, v)));
  used.delete(time);
  if (group !== undefined) used.delete(group);
  const held = [...used].map((column) => {
    const levels = fittedLevels(m, column);
    const numeric = data.columns.get(column)?.kind === "numeric";
    if (levels) return { column, value: numeric ? Number(levels[0]) : levels[0] };
    const values = fittedValues(m, data, column);
    return { column, value: values.reduce((s, v) => s + v, 0) / values.length };
  });
  const times = curveTimes(fittedValues(m, data, time));
  const groups = group === undefined ? [""] : (fittedLevels(m, group) ?? [...new Set(Array.from(m.design.rows, (r) => String(data.columns.get(group)!.values[r])))].sort());
  const groupNumeric = group !== undefined && data.columns.get(group)?.kind === "numeric";
  const grid = groups.flatMap((g) => times.map((t) => ({ g, t })));
  const newdata: Record<string, (number | string)[]> = { [time]: grid.map((p) => p.t) };
  if (group !== undefined) newdata[group] = grid.map((p) => (groupNumeric ? Number(p.g) : p.g));
  for (const { column, value } of held) newdata[column] = grid.map(() => value);
  const p = m.predict(newdata, { re: false, se: true, level: 0.95 });
  const curves = grid.map(({ g, t }, i) => ({ time: t, group: g, y: p.fit[i], lower: p.lower[i], upper: p.upper[i] }));
  return { curves, held };
}
