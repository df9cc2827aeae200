// Downloads of a fit: the JSON contract, the coefficient tables as CSV, and the
// figures as SVG or PNG (the SVG drawn onto a canvas).
import { formatCSV } from "lmm-wasm";
import type { FitReport } from "./fit-protocol";

export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.click();
  // The click has started the download by the time the next task runs.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** m.toJSON() as the worker had it: its fitted values and residuals come back as the last two keys. */
export function modelJSON(report: FitReport): Blob {
  const json = { ...report.json, fitted: Array.from(report.fitted), residuals: Array.from(report.residuals) };
  return new Blob([JSON.stringify(json, null, 2)], { type: "application/json" });
}

// The library's CSV writer: a level or group name that starts like a formula
// (=, +, -, @) is written so that a spreadsheet shows it as text.
function csv(header: string[], rows: (string | number | undefined)[][]): Blob {
  return new Blob([formatCSV([header, ...rows])], { type: "text/csv" });
}

/** Fixed effects at full precision: estimate, SE, Satterthwaite df, t and p. */
export function fixedEffectsCSV(report: FitReport): Blob {
  const { fixef, se, t, satterthwaite } = report.json;
  const rows = Object.keys(fixef).map((term) => [term, fixef[term], se[term], satterthwaite?.df[term], t[term], satterthwaite?.p[term]]);
  return csv(["term", "estimate", "std_error", "df", "t_value", "p_value"], rows);
}

/** Conditional modes with their conditional SDs, one row per group, level and column. */
export function randomEffectsCSV(report: FitReport): Blob {
  const rows = report.caterpillars.flatMap((c) => c.levels.map((level, i) => [c.group, level, c.column, c.modes[i], c.sd[i]]));
  return csv(["group", "level", "column", "mode", "conditional_sd"], rows);
}

/**
 * The Questions section's numbers, one row each: the means of each group at
 * each time, the groups' differences, the slopes and their differences, the
 * time:group F test, ICC and R^2. The statistic is t, or F for the test.
 */
export function questionsCSV(report: FitReport): Blob {
  const q = report.questions;
  if (q?.kind !== "answered") throw new Error("the fit has no answers to download");
  const { time, group } = q.roles;
  const trend = `${time}.trend`;
  const interval = (row: Record<string, string | number>) => [row.SE, row.df, row["lower.CL"], row["upper.CL"], undefined, undefined, undefined];
  const test = (row: Record<string, string | number>) => [row.SE, row.df, undefined, undefined, undefined, row["t.ratio"], row["p.value"]];
  const f = q.interaction;
  const rows = [
    ...q.means.map((row) => ["mean", `${group} ${row[group]}`, row[time], row.emmean, ...interval(row)]),
    ...q.differences.rows.map((row) => [`difference (${q.differences.adjust})`, row.contrast, row[time], row.estimate, ...test(row)]),
    ...q.slopes.map((row) => ["slope", `${group} ${row[group]}`, undefined, row[trend], ...interval(row)]),
    ...q.slopeDifferences.rows.map((row) => [`slope difference (${q.slopeDifferences.adjust})`, row.contrast, undefined, row.estimate, ...test(row)]),
    ...(f ? [["interaction F test", f.term, undefined, undefined, undefined, f.denDF, undefined, undefined, f.numDF, f.F, f.p]] : []),
    ...(q.icc ? [["ICC", "adjusted", undefined, q.icc.adjusted], ["ICC", "unadjusted", undefined, q.icc.unadjusted]] : []),
    ...(q.r2 ? [["R2", "marginal", undefined, q.r2.marginal], ["R2", "conditional", undefined, q.r2.conditional]] : []),
  ];
  return csv(["question", "term", time, "estimate", "std_error", "df", "lower_CL", "upper_CL", "num_df", "statistic", "p_value"], rows);
}

export function svgText(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  return new XMLSerializer().serializeToString(copy);
}

export function svgBlob(svg: SVGSVGElement): Blob {
  return new Blob([svgText(svg)], { type: "image/svg+xml" });
}

/** The SVG drawn on a white canvas at `scale` times its size, as PNG. */
export async function pngBlob(svg: SVGSVGElement, scale = 2): Promise<Blob> {
  const [width, height] = [svg.width.baseVal.value, svg.height.baseVal.value];
  const url = URL.createObjectURL(svgBlob(svg));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const context = canvas.getContext("2d")!;
    context.fillStyle = "white";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the canvas could not be encoded as PNG"))), "image/png"),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
