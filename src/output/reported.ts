// What the summary and the JSON contract read: the fit and its t tests' df,
// which the fitted model computes on first use (so output never imports it).
import type { KenwardRogerTable } from "../inference/kenward-roger.js";
import type { DdfTable } from "../inference/satterthwaite.js";
import type { Icc, R2 } from "../inference/variance-explained.js";
import type { FittedModel } from "../model/fitted.js";

/** A fitted model with its Satterthwaite and Kenward-Roger tables, ICC and R^2 (as `LmerModel` offers them). */
export interface ReportedModel extends FittedModel {
  readonly satterthwaite: DdfTable;
  readonly kenwardRoger: KenwardRogerTable;
  readonly icc: Icc | null;
  readonly r2: R2 | null;
}
