// The per-feature results table of a batch: its columns (lme4's names), one
// record per feature, Benjamini-Hochberg FDR per coefficient, CSV and JSON.
import { formatCSV } from "../csv.js";
import type { FeatureFit } from "./feature-fitter.js";

/** A cell of the results table: null where there is no estimate. */
export type Cell = string | number | boolean | null;

/** One feature's row, keyed by the table's column names. */
export type BatchRecord = Record<string, Cell>;

const COEF_FIELDS = [
  ["", "estimate"],
  ["_se", "se"],
  ["_t", "t"],
  ["_df", "df"],
  ["_p", "p"],
] as const;

/**
 * The table's columns: `feature`, `nobs`; per reported coefficient NAME, NAME_se,
 * NAME_t, NAME_df, NAME_p, NAME_fdr; the variance components; `logLik`,
 * `converged`, `singular`, `status`.
 */
export function resultColumns(coefs: string[], varcomps: string[]): string[] {
  const cols = ["feature", "nobs"];
  for (const c of coefs) cols.push(...COEF_FIELDS.map(([suffix]) => c + suffix), `${c}_fdr`);
  return [...cols, ...varcomps, "logLik", "converged", "singular", "status"];
}

const finiteOrNull = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

/** A feature's record (FDR still null: it needs every feature's p-value). */
export function toRecord(fit: FeatureFit, coefs: string[], varcomps: string[]): BatchRecord {
  const r: BatchRecord = { feature: fit.feature, nobs: fit.nobs };
  const ok = fit.status === "ok";
  for (const c of coefs) {
    const est = fit.coef[c];
    for (const [suffix, field] of COEF_FIELDS) r[c + suffix] = finiteOrNull(est?.[field]);
    r[`${c}_fdr`] = null;
  }
  for (const v of varcomps) r[v] = finiteOrNull(fit.varcomp[v]);
  r.logLik = ok ? finiteOrNull(fit.logLik) : null;
  r.converged = ok ? fit.converged : null;
  r.singular = ok ? fit.singular : null;
  r.status = fit.status;
  return r;
}

/**
 * Benjamini-Hochberg adjusted p-values (R's p.adjust(p, "BH")); null entries
 * stay null and do not count in the number of tests.
 */
export function benjaminiHochberg(p: (number | null)[]): (number | null)[] {
  const idx = p.flatMap((v, i) => (v === null ? [] : [i])).sort((a, b) => (p[b] as number) - (p[a] as number));
  const m = idx.length;
  const out: (number | null)[] = p.map(() => null);
  let running = 1;
  idx.forEach((i, rank) => {
    running = Math.min(running, ((p[i] as number) * m) / (m - rank));
    out[i] = running;
  });
  return out;
}

/** Fill each reported coefficient's `NAME_fdr` column across the records. */
export function addFdr(records: BatchRecord[], coefs: string[]): void {
  for (const c of coefs) {
    const adjusted = benjaminiHochberg(records.map((r) => r[`${c}_p`] as number | null));
    records.forEach((r, i) => (r[`${c}_fdr`] = adjusted[i]));
  }
}

/** CSV lines of records (no header), in the given column order; empty cells for null. */
export function csvRows(records: BatchRecord[], columns: string[]): string {
  return formatCSV(records.map((r) => columns.map((c) => (typeof r[c] === "boolean" ? (r[c] ? "TRUE" : "FALSE") : r[c]))));
}

/** The CSV header line. */
export function csvHeader(columns: string[]): string {
  return formatCSV([columns]);
}

/** A batch's whole results table as CSV: the header, then one line per feature. */
export function batchCSV(result: { columns: string[]; records: BatchRecord[] }): string {
  return csvHeader(result.columns) + csvRows(result.records, result.columns);
}
