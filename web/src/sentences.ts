// One plain sentence for each answer to the longitudinal questions: what the
// numbers of the Questions section say, at the 5% level.
import type { ContrastRow } from "lmm-wasm";
import type { Comparisons, Questions } from "./fit-protocol";

const ALPHA = 0.05;

/** Three significant digits, without trailing zeros. */
const num = (x: number | string) => String(Number(Number(x).toPrecision(3)));
const pValue = (p: number | string) => (Number(p) < 0.001 ? "p < 0.001" : `p = ${Number(p).toFixed(3)}`);
const percent = (x: number) => `${Math.round(100 * x)}%`;
const listed = (items: string[]) => (items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`);

/** Which of the comparisons are clear, with their estimates and p-values; `what` names one and many; `where` labels a row (its time, or nothing). */
function clearOnes(c: Comparisons, what: [string, string], where: (row: ContrastRow) => string): string {
  const clear = c.rows.filter((row) => Number(row["p.value"]) < ALPHA);
  const adjusted = c.adjust === "none" ? "" : `, ${c.adjust}-adjusted`;
  const n = c.rows.length;
  if (clear.length === 0) {
    const none = n === 1 ? `the ${what[0]} is not clear` : `none of the ${n} ${what[1]} is clear`;
    return `${none} at the 5% level (${n === 1 ? "" : "smallest "}${pValue(Math.min(...c.rows.map((r) => Number(r["p.value"]))))}${adjusted})`;
  }
  const each = clear.map((row) => `${row.contrast}${where(row)} ${num(row.estimate)} (${pValue(row["p.value"])})`);
  const some = n === 1 ? `the ${what[0]} is` : `${clear.length} of the ${n} ${what[1]} ${clear.length === 1 ? "is" : "are"}`;
  return `${some} clear at the 5% level${adjusted}: ${listed(each)}`;
}

export function sentencesFor(q: Omit<Questions, "sentences">): Questions["sentences"] {
  const { response, time, group } = q.roles;
  const [first, last] = [q.times[0], q.times.at(-1)!];
  const levels = [...new Set(q.means.map((row) => String(row[group])))];
  const at = (level: string, t: number) => q.means.find((row) => row[group] === level && row[time] === t)!.emmean;
  const trajectory =
    `Between ${time} ${num(first)} and ${num(last)} the model's mean ${response} goes ` +
    listed(levels.map((level) => `from ${num(at(level, first))} to ${num(at(level, last))} in ${group} ${level}`)) +
    " (the bands are 95% confidence intervals).";
  const differences = `Between the ${group} groups at ${time} ${listed(q.times.map(num))}, ${clearOnes(q.differences, ["difference", "differences"], (row) => ` at ${time} ${num(row[time])}`)}.`;
  const trend = `${time}.trend`;
  const perGroup = listed(q.slopes.map((row) => `${num(row[trend])} in ${group} ${row[group]}`));
  const slopes =
    `Per unit of ${time}, ${response} changes by ${perGroup}` +
    (q.interaction ? `; ${clearOnes(q.slopeDifferences, ["slope difference", "slope differences"], () => "")}.` : `: the model has no ${time} × ${group} term, so the slopes are equal by assumption.`);
  const f = q.interaction;
  const interaction = f
    ? `The ${f.term} interaction: F(${num(f.numDF)}, ${num(f.denDF)}) = ${num(f.F)}, ${pValue(f.p)}: ` +
      (f.p < ALPHA ? `the trajectories of the ${group} groups differ (their slopes of ${time} are not all equal).` : `no clear evidence that the trajectories of the ${group} groups differ.`)
    : `The model has no ${time}:${group} term, so it assumes the same trajectory shape in every ${group} group; add it to test whether they differ.`;
  const variance =
    q.icc && q.r2
      ? `The random effects account for ${percent(q.icc.adjusted)} of the variance the fixed effects leave (adjusted ICC ${num(q.icc.adjusted)}); ` +
        `the fixed effects explain ${percent(q.r2.marginal)} of the variance (marginal R²) and fixed and random effects together ${percent(q.r2.conditional)} (conditional R²).`
      : "The fit is singular (a variance at zero or a correlation at ±1): ICC and R² are not defined for it, as in performance.";
  return { trajectory, differences, slopes, interaction, variance };
}
