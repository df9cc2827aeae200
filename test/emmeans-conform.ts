// Rows of emmeans-style tables (means, trends, contrasts) against emmeans'
// own, column by column: labels and grid values exactly; estimates, SEs and
// interval ends to relative 1e-4 (of the SE where the estimate is near zero),
// t ratios to 1e-4, p-values to relative 1e-3, and df to a relative tolerance
// the caller states (1e-3 where emmeans' df come from numerical derivatives).
import { expect } from "vitest";

/** One row of an emmeans table: labels and numbers by R's column names. */
export type Row = Record<string, string | number>;

const ESTIMATES = new Set(["emmean", "estimate", "lower.CL", "upper.CL"]);

/** Compare rows column by column: labels and grid values exactly, numbers by the column's tolerance. */
export function conform(got: Row[], want: Row[], where: string, dfTolerance = 1e-3): void {
  expect(got.length, where).toBe(want.length);
  want.forEach((w, i) => {
    const g = got[i];
    expect(Object.keys(g), `${where} row ${i + 1}: columns`).toEqual(Object.keys(w));
    for (const [key, value] of Object.entries(w)) {
      const at = `${where} row ${i + 1} ${key}`;
      const diff = Math.abs((g[key] as number) - (value as number));
      if (typeof value === "string") expect(g[key], at).toBe(value);
      else if (key === "df") expect(diff, at).toBeLessThanOrEqual(dfTolerance * value);
      // R's ptukey keeps an absolute error near 1e-10 (test/ptukey.test.ts): hence the floor.
      else if (key === "p.value") expect(diff, at).toBeLessThanOrEqual(1e-3 * Math.max(value, 1e-6));
      else if (key === "SE" || key === "t.ratio") expect(diff, at).toBeLessThanOrEqual(1e-4 * Math.abs(value));
      else if (ESTIMATES.has(key) || key.endsWith(".trend")) expect(diff, at).toBeLessThanOrEqual(1e-4 * Math.max(Math.abs(value), w.SE as number));
      else expect(g[key], at).toBe(value);
    }
  });
}

