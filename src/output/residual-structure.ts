// The residual structure's block of the summary, as nlme's print.summary.lme
// and print.summary.gls show it: the correlation structure's class, formula
// and parameter estimate(s), then the variance function's.
import type { ResidualReport } from "../model/residual/structure.js";
import { formatColumn, formatFixed } from "./format.js";

/** nlme's names of the correlation classes (corAR1, corCAR1, corCompSymm, corSymm). */
const CORRELATION_TITLES = { ar1: "AR(1)", car1: "Continuous AR(1)", cs: "Compound symmetry", us: "General" } as const;

/** A named vector as R prints it: names right-aligned over values with 7 significant digits. */
function namedVector(values: Record<string, number>): string[] {
  const names = Object.keys(values);
  const cells = formatColumn(Object.values(values), 7);
  const widths = names.map((n, i) => Math.max(n.length, cells[i].length));
  return [names.map((n, i) => n.padStart(widths[i])).join(" ") + " ", cells.map((c, i) => c.padStart(widths[i])).join(" ") + " "];
}

/** us's correlations as nlme prints corSymm's: the lower triangle by visit, 3 decimals. */
function correlationMatrix(parameters: Record<string, number>): string[] {
  const pairs = Object.entries(parameters).map(([key, value]) => ({ row: key.split(":")[0], col: key.split(":")[1], value }));
  const levels = [...new Set(pairs.flatMap((p) => [p.col, p.row]))];
  const rows = levels.slice(1).map((row, i) => [row, ...levels.slice(0, i + 1).map((col) => formatFixed(pairs.find((p) => p.row === row && p.col === col)!.value, 3))]);
  const width = Math.max(...levels.map((l) => l.length), 6);
  const rowWidth = Math.max(...levels.map((l) => l.length));
  return [
    " Correlation: ",
    " ".repeat(rowWidth + 1) + levels.slice(0, -1).map((l) => l.padStart(width)).join(""),
    ...rows.map(([name, ...cells]) => name.padEnd(rowWidth + 1) + cells.map((c) => c.padStart(width)).join("")),
  ];
}

/** The lines nlme prints for a residual structure (empty without one). */
export function residualStructureLines(report: ResidualReport | undefined): string[] {
  if (!report) return [];
  const lines: string[] = [];
  const { correlation, variance } = report;
  if (correlation) {
    lines.push(`Correlation Structure: ${CORRELATION_TITLES[correlation.type]}`, ` Formula: ${correlation.formula} `, " Parameter estimate(s):");
    lines.push(...(correlation.type === "us" ? correlationMatrix(correlation.parameters) : namedVector(correlation.parameters)));
  }
  if (variance) {
    lines.push("Variance function:", " Structure: Different standard deviations per stratum", ` Formula: ${variance.formula} `, " Parameter estimates:");
    lines.push(...namedVector(variance.parameters));
  }
  return lines;
}
