// Confidence intervals as R prints confint(): a row per parameter, 2.5 % and 97.5 %.
import type { ConfintRow } from "../inference/confint.js";
import { formatColumn, table } from "./format.js";

/** Confidence intervals as R prints confint(): a row per parameter and the two percentage columns. */
export function formatConfint(rows: ConfintRow[], method: string, level = 0.95): string {
  const lo = formatColumn(rows.map((r) => r.lower), 5);
  const hi = formatColumn(rows.map((r) => r.upper), 5);
  const pct = (p: number) => `${(100 * p).toFixed(1).replace(/\.0$/, "")} %`;
  const head = ["", pct((1 - level) / 2), pct((1 + level) / 2)];
  return `Confidence intervals (${method}):\n${table(head, rows.map((r, i) => [r.name, lo[i], hi[i]]))}\n`;
}
