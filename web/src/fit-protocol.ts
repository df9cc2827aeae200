// The messages between the page and the fit worker, and the report a fit sends
// back: everything the tables, plots and downloads need, as plain data.
import type { DataFrame, LmerJSON, SummaryTables } from "lmm-wasm";
import type { Roles } from "./roles";

export interface FitRequest {
  id: number;
  data: DataFrame;
  dataName: string;
  formula: string;
  REML: boolean;
}

/** A fit's stage: optimising theta, then inference and conditional variances at the optimum. */
export type FitProgress =
  | { stage: "optimizing"; evaluations: number; objective: number }
  | { stage: "inference" };

/** Why a fit failed: the user's input (shown by the inputs), or a fault of ours. */
export interface FitFailure {
  kind: "input" | "internal";
  message: string;
  /** 0-based position in the formula, for syntax errors. */
  position?: number;
}

export type WorkerMessage =
  | { type: "progress"; id: number; progress: FitProgress }
  | { type: "result"; id: number; report: FitReport }
  | { type: "error"; id: number; failure: FitFailure };

/** Conditional modes of one random-effects column with their conditional SDs. */
export interface Caterpillar {
  group: string;
  column: string;
  levels: string[];
  modes: number[];
  /** Conditional standard deviations, level by level. */
  sd: number[];
}

/** The data and population mean curves of the trajectory plot. */
export interface Trajectories {
  roles: Required<Pick<Roles, "response" | "time" | "subject">> & Pick<Roles, "group">;
  /** Observed points of the subjects shown: time, response, subject, group. */
  points: { time: number; y: number; subject: string; group: string }[];
  /** Mean of the population-level fitted values per group and time. */
  means: { time: number; y: number; group: string }[];
  subjectsShown: number;
  subjectsTotal: number;
}

/** Normal QQ points of the residuals and R's qqline (through the quartiles). */
export interface QQ {
  theoretical: number[];
  sample: number[];
  line: { intercept: number; slope: number };
}

export interface FitReport {
  json: LmerJSON;
  /** lme4's summary text, and its tables as cells. */
  summary: string;
  tables: SummaryTables;
  dataName: string;
  caterpillars: Caterpillar[];
  /** Absent when the formula has no numeric time variable or no subject factor. */
  trajectories?: Trajectories;
  qq: QQ;
  seconds: number;
}
