// What the summary and the JSON contract read: the fit and its t tests' df,
// which the fitted model computes on first use (so output never imports it).
import type { KenwardRogerTable } from "../inference/kenward-roger.js";
import type { DdfTable } from "../inference/satterthwaite.js";
import type { FittedModel } from "../model/fitted.js";

/** A fitted model with its Satterthwaite and Kenward-Roger tables (as `LmerModel` offers them). */
export interface ReportedModel extends FittedModel {
  readonly satterthwaite: DdfTable;
  readonly kenwardRoger: KenwardRogerTable;
}
