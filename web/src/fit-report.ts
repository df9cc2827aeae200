// Turns a fitted model into the plain-data report the page shows (runs in the
// worker, next to the model, so only the report crosses to the page).
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import { emmeans, emtrends, factorVariableColumn, LmmError, summaryTables, variableColumns, type AnovaRow, type Column, type DataFrame, type LmerModel } from "lmm-wasm";
import type { Caterpillar, FitReport, QQ, Questions, ResidualScatter, Trajectories } from "./fit-protocol";
import { populationCurves } from "./population-curves";
import type { Roles } from "./roles";
import { sentencesFor } from "./sentences";

/** More subject lines than this make the trajectory plot a blur (and a slow SVG). */
const MAX_SUBJECTS = 200;
/** A QQ plot of this many order statistics looks the same as one of all of them. */
const MAX_QQ_POINTS = 2000;
/**
 * A caterpillar of more levels shows the most extreme: half this many of the
 * largest modes and half of the smallest. 176 000 levels drew 700 000 SVG
 * elements, which took the page 8 s; the download of the random effects has all.
 */
const MAX_PLOTTED_LEVELS = 200;
/** Above this many residuals, a scatter of dots becomes a 2D histogram (an SVG of more dots is slow and a blot). */
const MAX_DOTS = 5000;
/** The histogram's cells along each axis. */
const BINS = 60;
/** A time of at most this many distinct values has the means at each; one of more, at its quartiles and extremes. */
const MAX_TIMES = 6;

export function buildReport(m: LmerModel, data: DataFrame, dataName: string, roles: Roles | undefined, seconds: number): FitReport {
  const { fitted, residuals, ...json } = m.toJSON();
  return {
    json,
    fitted: Float64Array.from(fitted),
    residuals: Float64Array.from(residuals),
    summary: m.summary(),
    tables: summaryTables(m),
    dataName,
    caterpillars: caterpillars(m),
    trajectories: roles ? trajectories(m, data, roles) : undefined,
    questions: roles ? questions(m, data, roles) : undefined,
    scatter: residualScatter(m.fitted, m.residuals),
    qq: normalQQ(m.residuals),
    seconds,
  };
}

function caterpillars(m: LmerModel): Caterpillar[] {
  return m.condVar().flatMap((term) =>
    term.names.map((column, c) => {
      const modes = Float64Array.from(m.ranef[term.group][column] as number[]);
      return {
        group: term.group,
        column,
        levels: term.levels,
        modes,
        sd: Float64Array.from(term.variance, (v) => Math.sqrt(v[c][c])),
        plotted: levelsToPlot(modes, MAX_PLOTTED_LEVELS),
      };
    }),
  );
}

/**
 * The levels a caterpillar shows, as indices, largest mode first (at the top,
 * as in lme4's dotplot): all of them, or beyond `cap` the cap/2 largest and
 * the cap/2 smallest.
 */
export function levelsToPlot(modes: Float64Array, cap: number): number[] {
  const order = Array.from(modes.keys()).sort((a, b) => modes[b] - modes[a]);
  return order.length > cap ? [...order.slice(0, cap / 2), ...order.slice(-cap / 2)] : order;
}

const label = (col: Column, row: number) => String(col.values[row]);

function trajectories(m: LmerModel, data: DataFrame, roles: Roles): Trajectories | undefined {
  const { response, time, group, subject } = roles;
  if (time === undefined || subject === undefined) return undefined;
  const timeCol = data.columns.get(time);
  const subjectCol = data.columns.get(subject);
  const groupCol = group === undefined ? undefined : data.columns.get(group);
  if (timeCol?.kind !== "numeric" || !subjectCol) return undefined;
  const rows = m.design.rows;
  // The response as the model sees it (log(y) for log(y) ~ ...): y - offset, plus the offset.
  const { y, offset } = m.design;

  const subjects = [...new Set(Array.from(rows, (r) => label(subjectCol, r)))];
  const stride = Math.max(1, subjects.length / MAX_SUBJECTS);
  const shown = new Set(subjects.filter((_, i) => i % stride < 1));

  const points: Trajectories["points"] = [];
  rows.forEach((r, k) => {
    const s = label(subjectCol, r);
    if (shown.has(s)) points.push({ time: timeCol.values[r], y: y[k] + (offset ? offset[k] : 0), subject: s, group: groupCol ? label(groupCol, r) : "" });
  });
  // Each subject's line joins its points in this order, whatever the order of the rows.
  points.sort((a, b) => a.time - b.time);
  const { curves, held } = populationCurves(m, data, time, group);
  return { roles: { response, time, group, subject }, points, population: curves, held, subjectsShown: shown.size, subjectsTotal: subjects.length };
}

/**
 * lmerTest's F test of the time x group term, however the formula writes its two
 * variables (`age:Sex`, `poly(Time, 2):factor(Diet)`, `log(t + 1):arm`).
 */
function timeGroupInteraction(m: LmerModel, time: string, group: string): AnovaRow | undefined {
  const f = m.design.formula;
  const column = (v: string) => {
    const coded = factorVariableColumn(f, v);
    const columns = coded === undefined ? variableColumns(f, v) : [coded];
    return columns.length === 1 ? columns[0] : undefined;
  };
  return m.anova().find((row) => {
    const columns = row.term.split(":").map(column);
    return columns.length === 2 && columns.includes(time) && columns.includes(group);
  });
}

/**
 * The answers to the longitudinal questions, for a model with a numeric time
 * and a text group: emmeans of the groups at chosen times and their pairs
 * (Tukey within each time), the slopes of time per group and their pairs,
 * lmerTest's F test of time:group, ICC and R^2.
 */
function questions(m: LmerModel, data: DataFrame, roles: Roles): FitReport["questions"] {
  const { response, time, group } = roles;
  const timeCol = time === undefined ? undefined : data.columns.get(time);
  if (time === undefined || group === undefined || timeCol?.kind !== "numeric") return undefined;
  const sorted = Float64Array.from(m.design.rows, (r) => timeCol.values[r]).sort();
  const distinct = [...new Set(sorted)];
  const times = distinct.length <= MAX_TIMES ? distinct : [...new Set([0, 0.25, 0.5, 0.75, 1].map((p) => quantileOfSorted(sorted, p)))];
  try {
    const means = emmeans(m, `~ ${group} | ${time}`, { at: { [time]: times } });
    const slopes = emtrends(m, `~ ${group}`, { var: time });
    const interaction = timeGroupInteraction(m, time, group);
    // Rows and adjustment only: a table's format() cannot be posted to the page.
    const comparisons = (grid: typeof means) => {
      const { rows, adjust } = grid.pairs();
      return { rows, adjust };
    };
    const answers: Omit<Questions, "sentences"> = {
      kind: "answered",
      roles: { response, time, group },
      times,
      means: means.rows,
      notes: means.notes,
      differences: comparisons(means),
      slopes: slopes.rows,
      slopeDifferences: interaction ? comparisons(slopes) : { rows: [], adjust: "none" },
      interaction,
      icc: m.icc,
      r2: m.r2,
    };
    return { ...answers, sentences: sentencesFor(answers) };
  } catch (error) {
    if (error instanceof LmmError) return { kind: "refused", message: error.message };
    throw error;
  }
}

function residualScatter(fitted: Float64Array, residuals: Float64Array): ResidualScatter {
  const n = fitted.length;
  if (n <= MAX_DOTS) return { kind: "points", points: Array.from(fitted, (f, i) => ({ fitted: f, residual: residuals[i] })) };
  const edges = (values: Float64Array) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const width = hi > lo ? (hi - lo) / BINS : 1;
    return { lo, width, cell: (v: number) => Math.min(BINS - 1, Math.floor((v - lo) / width)) };
  };
  const [x, y] = [edges(fitted), edges(residuals)];
  const counts = new Uint32Array(BINS * BINS);
  for (let i = 0; i < n; i++) counts[x.cell(fitted[i]) * BINS + y.cell(residuals[i])]++;
  const bins: Extract<ResidualScatter, { kind: "bins" }>["bins"] = [];
  counts.forEach((count, k) => {
    if (count === 0) return;
    const [i, j] = [Math.floor(k / BINS), k % BINS];
    bins.push({ x1: x.lo + i * x.width, x2: x.lo + (i + 1) * x.width, y1: y.lo + j * y.width, y2: y.lo + (j + 1) * y.width, count });
  });
  return { kind: "bins", bins, n };
}

/** R's ppoints(n): the probabilities of a normal QQ plot's theoretical quantiles. */
function ppoint(i: number, n: number): number {
  const a = n <= 10 ? 3 / 8 : 1 / 2;
  return (i + 1 - a) / (n + 1 - 2 * a);
}

/** Quantile of sorted values, R's default (type 7). */
function quantileOfSorted(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  return sorted[lo] + (h - lo) * (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]);
}

function normalQQ(residuals: Float64Array): QQ {
  const sorted = Float64Array.from(residuals).sort();
  const n = sorted.length;
  const step = Math.max(1, (n - 1) / (MAX_QQ_POINTS - 1));
  const theoretical: number[] = [];
  const sample: number[] = [];
  for (let x = 0; x < n; x += step) {
    const i = Math.round(x);
    theoretical.push(normalQuantile(ppoint(i, n), 0, 1));
    sample.push(sorted[i]);
  }
  const [z1, z3] = [normalQuantile(0.25, 0, 1), normalQuantile(0.75, 0, 1)];
  const [y1, y3] = [quantileOfSorted(sorted, 0.25), quantileOfSorted(sorted, 0.75)];
  const slope = (y3 - y1) / (z3 - z1);
  return { theoretical, sample, line: { intercept: y1 - slope * z1, slope }, n };
}
