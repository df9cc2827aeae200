// The figures of a fit, drawn with Observable Plot as SVG: subject trajectories
// with the population means, caterpillar plots of the conditional modes, and the
// residual diagnostics. Labels are drawn inside the SVG (not as HTML legends) so
// that a downloaded SVG or PNG is complete.
import * as Plot from "@observablehq/plot";
import type { Caterpillar, FitReport, Questions, Trajectories } from "./fit-protocol";

/** One figure with its title and, where useful, a line on how to read it. */
export interface Figure {
  /** A file-name-safe id, also the figure's element id. */
  id: string;
  title: string;
  note?: string;
  svg: SVGSVGElement;
}

const WIDTH = 640;
/** 95% intervals, as lme4's dotplot of ranef(condVar = TRUE). */
const Z95 = 1.959963984540054;
/** Level names are written on the caterpillar's axis up to this many levels. */
const MAX_LABELLED_LEVELS = 60;

function asSvg(plot: SVGSVGElement | HTMLElement): SVGSVGElement {
  if (plot instanceof SVGSVGElement) return plot;
  throw new Error("a figure was drawn with an HTML legend: its download would lack it");
}

/** The figures of a fit, each to be drawn when called. */
export function figuresFor(report: FitReport): (() => Figure)[] {
  const { trajectories } = report;
  return [
    ...(trajectories ? [() => trajectoryFigure(trajectories)] : []),
    ...report.caterpillars.map((c, i) => () => caterpillarFigure(c, i)),
    () => residualFigure(report),
    () => qqFigure(report),
  ];
}

function trajectoryFigure(t: Trajectories): Figure {
  const { time, response, subject, group } = t.roles;
  const grouped = group !== undefined;
  // The curves come sorted by group, then time: each group's last point ends its line.
  const ends = t.population.filter((p, i) => p.group !== t.population[i + 1]?.group);
  const svg = asSvg(
    Plot.plot({
      width: WIDTH,
      height: 420,
      marginRight: grouped ? 90 : 20,
      x: { label: time },
      y: { label: response, grid: true },
      color: grouped ? { type: "categorical" } : undefined,
      marks: [
        Plot.line(t.points, { x: "time", y: "y", z: "subject", stroke: grouped ? "group" : "steelblue", strokeWidth: 1, strokeOpacity: 0.35 }),
        Plot.areaY(t.population, { x: "time", y1: "lower", y2: "upper", z: "group", fill: grouped ? "group" : "black", fillOpacity: 0.2 }),
        // A white casing keeps the population lines readable over the subject lines.
        Plot.line(t.population, { x: "time", y: "y", z: "group", stroke: "white", strokeWidth: 6 }),
        Plot.line(t.population, { x: "time", y: "y", z: "group", stroke: grouped ? "group" : "black", strokeWidth: 3 }),
        grouped ? Plot.text(ends, { x: "time", y: "y", text: (p) => `${group} ${p.group}`, fill: "group", dx: 6, textAnchor: "start", fontWeight: "bold" }) : null,
      ],
    }),
  );
  const shown = t.subjectsShown < t.subjectsTotal ? ` (${t.subjectsShown} of ${t.subjectsTotal} ${subject} shown)` : "";
  const held = t.held.length
    ? ` Other variables held at ${t.held.map((h) => `${h.column} = ${typeof h.value === "number" ? Number(h.value.toPrecision(4)) : h.value}`).join(", ")} (mean, or first level).`
    : "";
  return {
    id: "trajectories",
    title: `${response} over ${time} by ${subject}${shown}`,
    note: `Thin lines: each ${subject}'s observations. Thick lines: the population prediction${grouped ? ` of each ${group}` : ""} (fixed effects only), with its 95% confidence band (from the covariance of the fixed effects).${held}`,
    svg,
  };
}

/** The marginal means of each group over time with their confidence bands (the Questions section's figure). */
export function meansFigure(q: Questions): Figure {
  const { response, time, group } = q.roles;
  const rows = q.means.map((row) => ({ time: row[time], group: String(row[group]), mean: row.emmean, low: row["lower.CL"], high: row["upper.CL"] }));
  const last = rows.filter((row) => row.time === q.times.at(-1));
  const svg = asSvg(
    Plot.plot({
      width: WIDTH,
      height: 380,
      marginRight: 90,
      x: { label: time },
      y: { label: `Mean ${response}`, grid: true },
      color: { type: "categorical" },
      marks: [
        Plot.areaY(rows, { x: "time", y1: "low", y2: "high", z: "group", fill: "group", fillOpacity: 0.18 }),
        Plot.line(rows, { x: "time", y: "mean", z: "group", stroke: "group", strokeWidth: 2.5 }),
        Plot.dot(rows, { x: "time", y: "mean", fill: "group", r: 3 }),
        Plot.text(last, { x: "time", y: "mean", text: (row) => `${group} ${row.group}`, fill: "group", dx: 8, textAnchor: "start", fontWeight: "bold" }),
      ],
    }),
  );
  return {
    id: "questions-means",
    title: `Mean ${response} of each ${group} over ${time}`,
    note: `Estimated marginal means at ${time} ${q.times.map((t) => Number(t.toPrecision(4))).join(", ")}, with 95% confidence bands.`,
    svg,
  };
}

/** A line inside the SVG, below the x axis, so that a downloaded figure says it too. */
function footnote(text: string): Plot.Markish {
  return Plot.text([text], { frameAnchor: "bottom-left", dy: 42, textAnchor: "start", fill: "#555" });
}

function caterpillarFigure(c: Caterpillar, index: number): Figure {
  const total = c.levels.length;
  const capped = c.plotted.length < total;
  const half = c.plotted.length / 2;
  const rows = c.plotted.map((i) => ({
    level: c.levels[i],
    mode: c.modes[i],
    low: c.modes[i] - Z95 * c.sd[i],
    high: c.modes[i] + Z95 * c.sd[i],
  }));
  const labelled = rows.length <= MAX_LABELLED_LEVELS;
  const shown = `showing ${rows.length} of ${total} levels: the ${half} largest and the ${half} smallest modes`;
  const svg = asSvg(
    Plot.plot({
      width: WIDTH,
      height: Math.min(900, Math.max(160, 14 * rows.length + 50)),
      marginLeft: labelled ? Math.min(160, 12 + 7 * Math.max(...rows.map((r) => r.level.length))) : 20,
      marginBottom: capped ? 56 : undefined,
      x: { label: `${c.column} | ${c.group}`, grid: true },
      y: { domain: rows.map((r) => r.level), label: null, axis: labelled ? "left" : null },
      marks: [
        Plot.ruleX([0], { stroke: "#999" }),
        Plot.ruleY(rows, { y: "level", x1: "low", x2: "high", stroke: "steelblue" }),
        Plot.dot(rows, { y: "level", x: "mode", fill: "currentColor", r: labelled ? 3 : 1.5 }),
        capped ? footnote(shown) : null,
      ],
    }),
  );
  return {
    id: `caterpillar-${index + 1}`,
    title: `Conditional modes: ${c.column} | ${c.group}`,
    note: capped
      ? `${total} levels, too many to draw: ${shown}, sorted, with 95% intervals from the conditional variances. The random effects CSV has every level.`
      : `${total} levels sorted by their mode, with 95% intervals from the conditional variances.`,
    svg,
  };
}

/** A plot of the residuals against `xLabel`, in the shared style of the two diagnostics; `note` says what was thinned or binned. */
function residualPlot(xLabel: string, marks: Plot.Markish[], note?: string, color?: Plot.ScaleOptions): SVGSVGElement {
  return asSvg(
    Plot.plot({
      width: WIDTH,
      height: note ? 380 : 360,
      marginBottom: note ? 56 : undefined,
      x: { label: xLabel },
      y: { label: "Residuals", grid: true },
      color,
      marks: [...marks, note ? footnote(note) : null],
    }),
  );
}

const RESIDUAL_DOT = { r: 2, fill: "steelblue", fillOpacity: 0.6 };
const REFERENCE_LINE = "#c0392b";

function residualFigure(report: FitReport): Figure {
  const { scatter } = report;
  const binned = scatter.kind === "bins";
  const note = binned ? `${scatter.n} residuals, binned: darker cells hold more` : undefined;
  const svg = residualPlot(
    "Fitted values",
    [
      binned
        ? Plot.rect(scatter.bins, { x1: "x1", x2: "x2", y1: "y1", y2: "y2", fill: "count" })
        : Plot.dot(scatter.points, { x: "fitted", y: "residual", ...RESIDUAL_DOT }),
      Plot.ruleY([0], { stroke: REFERENCE_LINE }),
    ],
    note,
    binned ? { scheme: "blues", type: "log" } : undefined,
  );
  return { id: "residuals-fitted", title: "Residuals vs fitted", note: note && `${note}.`, svg };
}

function qqFigure(report: FitReport): Figure {
  const { theoretical, sample, line, n } = report.qq;
  const points = theoretical.map((x, i) => ({ x, y: sample[i] }));
  const ends = [theoretical[0], theoretical[theoretical.length - 1]].map((x) => ({ x, y: line.intercept + line.slope * x }));
  const thinned = points.length < n ? `showing ${points.length} of ${n} residuals: evenly spaced order statistics, both extremes included` : undefined;
  const svg = residualPlot(
    "Theoretical normal quantiles",
    [Plot.line(ends, { x: "x", y: "y", stroke: REFERENCE_LINE }), Plot.dot(points, { x: "x", y: "y", ...RESIDUAL_DOT })],
    thinned,
  );
  const about = "The line passes through the quartiles (R's qqline).";
  return { id: "qq-residuals", title: "Normal QQ plot of the residuals", note: thinned ? `${about} Thinned, ${thinned}.` : about, svg };
}
