// The model's pieces as lme4's lFormula returns them: the response, the
// fixed-effects matrix X and the random-effects terms. Types only, so that the
// modules that read a design (the block layout, the fitted model) need not
// import the code that builds one (build-design.ts).
import type { TermList, ParsedFormula } from "../formula.js";
import type { OptionSpec } from "../options.js";
import type { DataFrame } from "../data.js";
import { LEVEL_ORDERS, type Factor, type LevelOrder } from "./factor.js";
import type { StructureKind } from "./covariance/structure.js";
import type { TransformState } from "./transforms.js";
import type { ContrastName } from "./contrasts.js";
import type { ResidualDesign } from "./residual/residual-design.js";

/** Options that shape how data columns enter the model. */
export interface DesignOptions {
  /** Level order for text (or numeric-as-factor) columns; the first level is the reference. */
  levels?: Record<string, string[]>;
  /** Numeric columns to treat as factors in the fixed and random effects. */
  factors?: string[];
  /**
   * The coding of factors of the fixed effects, by their name in the formula
   * (`Diet`, or `factor(Diet)` as R names that variable): "treatment" (the default),
   * "sum", "helmert" or "poly" (R's contr.treatment, contr.sum, contr.helmert,
   * contr.poly; R's names "contr.sum" etc. are accepted too). As in lme4, the
   * random effects keep treatment contrasts.
   */
  contrasts?: Record<string, ContrastName>;
  /**
   * How text levels are sorted when `levels` does not give them: "english" (the
   * default) as R sorts them in an English locale, e.g. en_US.UTF-8, by ICU's
   * collation (`control` before `Treatment`, case and accents deciding only ties);
   * "codepoint" as R in the C locale (upper case before lower case).
   */
  levelOrder?: LevelOrder;
  /**
   * Prior weights (lme4's `weights`), a column name or one positive number per
   * data row: observation i has residual variance sigma^2 / w_i. Rows with a
   * missing weight are dropped.
   */
  weights?: string | ArrayLike<number>;
  /**
   * A known term added to the linear predictor (lme4's `offset` argument), a
   * column name or one number per data row; adds to the formula's offset() terms.
   */
  offset?: string | ArrayLike<number>;
  /**
   * Correlated residuals within groups (nlme's `correlation`): "ar1(~ time |
   * subject)" (correlation phi^|t_j - t_k| for integer times, gaps counting;
   * `~ 1 | subject` for the rows' order), "car1(~ time | subject)" (real
   * times), "cs(~ 1 | subject)" (compound symmetry) or "us(~ visit | subject)"
   * (unstructured over the visit factor's levels, with a variance per visit:
   * MMRM's us). With one, the formula may have no random-effects term (nlme's gls).
   */
  correlation?: string;
  /** Residual variances by group (nlme's `weights = varIdent(...)`): "ident(~ 1 | group)". */
  variance?: string;
}

/** The names and kinds of DesignOptions, for checkOptions. */
export const DESIGN_OPTIONS: OptionSpec = {
  levels: "object",
  factors: "string[]",
  contrasts: "object",
  levelOrder: LEVEL_ORDERS,
  weights: "column",
  offset: "column",
  correlation: "string",
  variance: "string",
};

/** The DesignOptions among a function's options (those given). */
export function designOptionsOf(options: DesignOptions): DesignOptions {
  return Object.fromEntries(Object.keys(DESIGN_OPTIONS).flatMap((k) => (options[k as keyof DesignOptions] === undefined ? [] : [[k, options[k as keyof DesignOptions]]])));
}

/**
 * Columns of a model matrix with R's names. A column used more than once in a
 * design (the intercept, a variable in X and in Z) is one shared array: read-only.
 */
export interface ModelMatrix {
  names: string[];
  columns: Float64Array[];
  /** For each column, the index of its term in the term list (-1: the intercept), as R's "assign". */
  assign: number[];
}

/** One random-effects term: its grouping factor and its q columns of Z. */
export interface RandomEffectsTerm {
  /** lme4's grouping factor name: `Subject`, `cask:batch`. */
  group: string;
  /** The variables whose interaction is the grouping factor, and the term's left side. */
  groupVars?: string[];
  lhs?: TermList;
  factor: Factor;
  /** Names of the q columns, e.g. `(Intercept)`, `Days`. */
  names: string[];
  columns: Float64Array[];
  /** For each column, the index of its term in lhs.terms (-1: the intercept), as R's "assign". */
  assign?: number[];
  /** The covariance structure (glmmTMB's `cs(0 + visit | subject)`); unstructured when absent. */
  structure?: StructureKind;
}

/**
 * A random-effects term without its rows: what the covariance parameters, the
 * estimates and the conditional modes need (a model fitted from statistics has
 * no columns of Z).
 */
export type TermOutline = Omit<RandomEffectsTerm, "columns" | "factor"> & { factor: Pick<Factor, "levels"> };

/** A model's design (lme4's lFormula): rows used, response, X and the random-effects terms. */
export interface Design {
  formula: ParsedFormula;
  n: number;
  /** Rows of the data used by the fit (the rest had missing values). */
  rows: Int32Array;
  droppedRows: number;
  response: string;
  /** The response minus the offset, if any: what X beta + Z b explain (lme4 fits y - offset). */
  y: Float64Array;
  /** The sum of the formula's offset() terms and the offset option, added back to fitted values and predictions. */
  offset?: Float64Array;
  /** Prior weights on the rows used (see DesignOptions.weights and weights.ts). */
  weights?: Float64Array;
  /** The residual structure's variables on the rows used (DesignOptions.correlation and .variance). */
  residual?: ResidualDesign;
  X: ModelMatrix;
  /** Fixed-effect columns dropped because X was rank deficient. */
  droppedColumns: string[];
  /** What lFormula warned of (e.g. the response dropped from the right-hand side). */
  messages?: string[];
  /** Terms in lme4's order (by decreasing number of levels when that reorders them). */
  terms: RandomEffectsTerm[];
  /** How columns entered the model, and the levels of every variable coded as a factor. */
  options?: DesignOptions;
  /** The data the design was built from (update() refits from it unless given other data). */
  data?: DataFrame;
  factorLevels?: Record<string, string[]>;
  /** What the fit learned for each stateful function call (poly, scale), re-applied to new data. */
  transforms?: Record<string, TransformState>;
  /** The fixed-effects matrix on the same rows with sum-to-zero contrasts (for type III tests). */
  sumCodedX?: () => ModelMatrix;
  /** A numeric variable's values on the rows used (for reference grids: covariate means). */
  covariate?: (name: string) => Float64Array;
}

/** New data coded as a fitted model's design: its X columns and each term's Z and levels. */
export interface NewDataDesign {
  /** Rows of the new data with every needed variable present (others are not predicted). */
  rows: Int32Array;
  /** The fitted model's X columns, in its order. */
  X: Float64Array[];
  /** The offset on those rows, when the model has one. */
  offset?: Float64Array;
  /** Per term (fitted order): Z columns and level codes, -1 for a level the fit did not see. */
  terms: { columns: Float64Array[]; codes: Int32Array; labels: string[] }[];
}
