// Tables of marginal means, trends and contrasts laid out as emmeans prints
// them (print.summary_emm): numbers to the digits the SEs call for (emmeans'
// .opt.dig: enough to show estimate +/- 2 SE apart, at least 3), each column
// formatted as one (R's format), df rounded to 2 decimals, t ratios to 3 and
// p-values to 4 ("<.0001" below); one block per by-group headed "time = 4:",
// every block with the whole table's column widths; the notes after.
import { formatColumn } from "./format.js";

type Row = Record<string, string | number>;

/** emmeans' .opt.dig of one row: digits that tell est - 2 SE, est and est + 2 SE apart. */
function optDigits(estimate: number, se: number): number {
  const top = Math.max(Math.abs(estimate - 2 * se), Math.abs(estimate), Math.abs(estimate + 2 * se));
  const spread = (4 * se) / top;
  if (!(spread > 0) || !Number.isFinite(spread)) return 3;
  return Math.max(Math.round(1.51 - Math.log10(spread)), 3);
}

const pValue = (p: number) => {
  if (Number.isNaN(p)) return "NaN";
  const text = p.toFixed(4);
  return text === "0.0000" ? "<.0001" : text;
};

/** Each column as text: level labels as they are, numbers formatted together. */
function formatColumns(rows: Row[], names: string[], estimate: string): Record<string, string[]> {
  const digits = Math.max(3, ...rows.map((r) => optDigits(r[estimate] as number, r.SE as number)));
  const out: Record<string, string[]> = {};
  for (const name of names) {
    const values = rows.map((r) => r[name]);
    if (values.some((v) => typeof v === "string")) out[name] = values.map(String);
    else if (name === "t.ratio") out[name] = (values as number[]).map((t) => t.toFixed(3));
    else if (name === "p.value") out[name] = (values as number[]).map(pValue);
    else if (name === "df") out[name] = formatColumn((values as number[]).map((d) => Math.round(d * 100) / 100), digits);
    else out[name] = formatColumn(values as number[], digits);
  }
  return out;
}

/** Lay out `columns` of the rows in blocks by the by-variables' values, then the notes. */
function layout(rows: Row[], columns: string[], by: string[], estimate: string, notes: string[]): string {
  const text = formatColumns(rows, [...columns, ...by], estimate);
  const labels = new Set(columns.filter((c) => rows.some((r) => typeof r[c] === "string")));
  const width = Object.fromEntries(columns.map((c) => [c, Math.max(c.length, ...text[c].map((s) => s.length))]));
  const cell = (c: string, s: string) => (labels.has(c) ? s.padEnd(width[c]) : s.padStart(width[c]));
  const line = (cells: string[]) => ` ${cells.join(" ")}`.replace(/\s+$/, "");
  const header = line(columns.map((c) => cell(c, c)));
  // The by-variables' values as the whole column formats them (numbers padded alike).
  const byWidth = Object.fromEntries(by.map((b) => [b, Math.max(...text[b].map((s) => s.length))]));
  const heading = (i: number) =>
    by.map((b) => `${b} = ${typeof rows[i][b] === "number" ? text[b][i].padStart(byWidth[b]) : text[b][i]}`).join(", ") + ":";
  const blocks: { heading: string; lines: string[] }[] = [];
  rows.forEach((_, i) => {
    const h = by.length > 0 ? heading(i) : "";
    if (blocks.at(-1)?.heading !== h) blocks.push({ heading: h, lines: [] });
    blocks.at(-1)!.lines.push(line(columns.map((c) => cell(c, text[c][i]))));
  });
  const body = blocks.map((b) => [...(b.heading ? [b.heading] : []), header, ...b.lines].join("\n"));
  return `${body.join("\n\n")}\n\n${notes.join("\n")}\n`;
}

/** A table of means or trends as emmeans prints it. */
export function formatEmmeans(rows: Row[], vars: string[], by: string[], estimate: string, notes: string[]): string {
  return layout(rows, [...vars, estimate, "SE", "df", "lower.CL", "upper.CL"], by, estimate, notes);
}

/** A table of contrasts as emmeans prints it. */
export function formatContrasts(rows: Row[], by: string[], notes: string[]): string {
  return layout(rows, ["contrast", "estimate", "SE", "df", "t.ratio", "p.value"], by, "estimate", notes);
}
