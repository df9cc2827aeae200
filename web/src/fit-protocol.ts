// The messages between the page and its two workers (the fit worker, which
// holds the data, and the formula checker), and the report a fit sends back:
// everything the tables, plots and downloads need, as plain data.
import type { AnovaRow, ContrastRow, EmmRow, Icc, LmerJSON, R2, SummaryTables } from "lmm-wasm";
import type { ColumnTypes, Roles } from "./roles";

/** Where data come from. A File crosses to the worker as a handle, not as its bytes: the worker reads it. */
export type DataSource = { kind: "example"; name: string; url: string } | { kind: "file"; file: File };

export function sourceName(source: DataSource): string {
  return source.kind === "example" ? source.name : source.file.name;
}

/** Read and parse the data; they stay in the fit worker for the fits that follow. */
export interface LoadRequest {
  type: "load";
  id: number;
  source: DataSource;
}

/** Fit a model to the data loaded last. */
export interface FitRequest {
  type: "fit";
  id: number;
  formula: string;
  REML: boolean;
  /** Numeric columns to treat as factors (lmer's `factors`). */
  factors: string[];
}

export type FitWorkerRequest = LoadRequest | FitRequest;

/** Check a formula's syntax; with the data's column types, also read the roles from it. */
export interface CheckRequest {
  id: number;
  formula: string;
  columns?: ColumnTypes;
}

/** What the page shows of loaded data: its size, column names and types, and first rows as text. */
export interface DataSummary extends ColumnTypes {
  name: string;
  nrow: number;
  preview: string[][];
}

/** A fit's stage: optimising theta, then inference and conditional variances at the optimum. */
export type FitProgress =
  | { stage: "optimizing"; evaluations: number; objective: number }
  | { stage: "inference" };

/** Why a request failed: the user's input (shown by the inputs), or a fault of ours. */
export interface FitFailure {
  kind: "input" | "internal";
  message: string;
  /** 0-based position in the formula, for syntax errors. */
  position?: number;
}

/**
 * A worker's first message. `lock` names the Web Lock it holds for as long as
 * it lives (absent where the page is not a secure context and has no locks).
 */
export interface Alive {
  type: "alive";
  lock?: string;
}

export type FitWorkerMessage =
  | Alive
  | { type: "loaded"; id: number; summary: DataSummary }
  | { type: "progress"; id: number; progress: FitProgress }
  | { type: "result"; id: number; report: FitReport }
  | { type: "error"; id: number; failure: FitFailure };

export type CheckWorkerMessage = Alive | { type: "checked"; id: number; roles?: Roles } | { type: "error"; id: number; failure: FitFailure };

/** Conditional modes of one random-effects column with their conditional SDs. */
export interface Caterpillar {
  group: string;
  column: string;
  levels: string[];
  modes: Float64Array;
  /** Conditional standard deviations, level by level. */
  sd: Float64Array;
  /** The levels the plot shows, as indices, largest mode first: all, or the most extreme of many. */
  plotted: number[];
}

/** The data and population curves of the trajectory plot. */
export interface Trajectories {
  roles: Required<Pick<Roles, "response" | "time" | "subject">> & Pick<Roles, "group">;
  /** Observed points of the subjects shown: time, response (as the formula transforms it), subject, group. */
  points: { time: number; y: number; subject: string; group: string }[];
  /** Population predictions (fixed effects only) per group over time, sorted by group then time, with 95% confidence bands. */
  population: { time: number; y: number; lower: number; upper: number; group: string }[];
  /** The model's other variables and the values the population curves hold them at (mean, or first level). */
  held: { column: string; value: string | number }[];
  subjectsShown: number;
  subjectsTotal: number;
}

/** Comparisons of means or slopes, with the adjustment their p-values got. */
export interface Comparisons {
  rows: ContrastRow[];
  adjust: string;
}

/**
 * The answers to the longitudinal questions, with emmeans' column names: the
 * mean trajectory of each group, the groups' differences at chosen times, the
 * slope of time per group, the time x group test, ICC and R^2; each with one
 * plain sentence of what it says.
 */
export interface Questions {
  kind: "answered";
  roles: { response: string; time: string; group: string };
  /** The times the means and differences are given at: the time's distinct values if few, else its quartiles and extremes. */
  times: number[];
  /** emmeans(m, "~ group | time", { at: { time: times } }): rows and notes (df method, level). */
  means: EmmRow[];
  notes: string[];
  /** Pairs of groups within each time. */
  differences: Comparisons;
  /** emtrends(m, "~ group", { var: time }). */
  slopes: EmmRow[];
  /** Pairs of slopes; none when the model has no time x group term (the slopes are equal by assumption). */
  slopeDifferences: Comparisons;
  /** lmerTest's type III F test of time:group; absent when the model has no such term. */
  interaction?: AnovaRow;
  /** Null for a singular fit, as performance gives none. */
  icc: Icc | null;
  r2: R2 | null;
  sentences: { trajectory: string; differences: string; slopes: string; interaction: string; variance: string };
}

/** Normal QQ points of the residuals and R's qqline (through the quartiles). */
export interface QQ {
  theoretical: number[];
  sample: number[];
  line: { intercept: number; slope: number };
  /** How many residuals the points were taken from. */
  n: number;
}

/**
 * Residuals against fitted values: each point, or above a cap a 2D histogram,
 * binned in the worker so that the page never loops over a million rows.
 */
export type ResidualScatter =
  | { kind: "points"; points: { fitted: number; residual: number }[] }
  | { kind: "bins"; bins: { x1: number; x2: number; y1: number; y2: number; count: number }[]; n: number };

/**
 * A fit as the page gets it. Row-sized and level-sized arrays are typed arrays,
 * moved to the page rather than copied: a million numbers in plain arrays take
 * the page's thread most of a second to receive.
 */
export interface FitReport {
  /** m.toJSON() but its fitted values and residuals, which follow as typed arrays. */
  json: Omit<LmerJSON, "fitted" | "residuals">;
  fitted: Float64Array;
  residuals: Float64Array;
  /** lme4's summary text, and its tables as cells. */
  summary: string;
  tables: SummaryTables;
  dataName: string;
  caterpillars: Caterpillar[];
  /** Absent when the formula has no numeric time variable or no subject factor. */
  trajectories?: Trajectories;
  /** Absent without a numeric time and a text group among the fixed effects; refused (with the library's message) for a model emmeans cannot take. */
  questions?: Questions | { kind: "refused"; message: string };
  scatter: ResidualScatter;
  qq: QQ;
  seconds: number;
}
