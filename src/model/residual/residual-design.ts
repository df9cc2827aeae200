// What a design holds of its residual structure (design.ts): the structure's
// variables on the rows used. A module of its own, so that the design can name
// it without importing the structure, which reads the design's terms.
import type { Factor } from "../factor.js";
import type { ResidualSpec } from "./spec.js";

/** A residual structure's variables on the rows the fit uses. */
export interface ResidualDesign {
  spec: ResidualSpec;
  /** The groups within which residuals correlate; null without a correlation (every row is a group of its own). */
  groups: Factor | null;
  /** The ar1/car1 covariate (null: positions 1, 2, ... within the group in row order). */
  time: Float64Array | null;
  /** The visit factor of `us`. */
  visits: Factor | null;
  /** The variance strata of `ident` (nlme's varIdent: the first level is the reference, sd ratio 1). */
  strata: Factor | null;
}
