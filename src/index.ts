// Public API of lmm-wasm.
export { lmer, fitDesign, type LmerOptions } from "./fit/lmer.js";
export { update, type UpdateChanges } from "./fit/update.js";
export { likelihoodRatioTest, formatLrt, type LrtTable, type LrtRow, type LrtOptions } from "./inference/anova.js";
export { ranova, formatRanova, type RanovaRow } from "./inference/ranova.js";
export { iccOf, r2Of, varianceParts, type Icc, type R2, type VarianceParts } from "./inference/variance-explained.js";
export { simulate, bootstrap, type SimulateOptions, type BootstrapResult } from "./inference/simulate.js";
export { anovaTypeIII, formatAnova, type AnovaRow } from "./inference/anova-type3.js";
export { LmerModel } from "./model/lmer-model.js";
export type { VarCorrRow, RanefTable, Convergence, DdfMethod } from "./model/fitted.js";
export { satterthwaite, type DdfTable } from "./inference/satterthwaite.js";
export { contrast, type ContrastDdf, type ContrastResult } from "./inference/linear-contrast.js";
export {
  emmeans,
  emtrends,
  EmmGrid,
  type EmmeansOptions,
  type EmtrendsOptions,
  type CompareOptions,
  type EmmRow,
  type ContrastRow,
  type ContrastTable,
} from "./inference/emmeans.js";
export type { ContrastMethod } from "./inference/comparisons.js";
export type { Adjust } from "./inference/p-adjust.js";
export type { AtValues } from "./inference/reference-grid.js";
export { ptukey, ptukeyUpper } from "./inference/ptukey.js";
export { formatCSV, parseCSV, readCSV } from "./csv.js";
export { toDataFrame, type DataFrame, type DataInput, type Column } from "./data.js";
export { factorVariableColumn, parseFormula, variableColumns, type ParsedFormula, type RandomTerm, type TermList } from "./formula.js";
export { buildDesign } from "./model/build-design.js";
export type { Design, DesignOptions, RandomEffectsTerm, ModelMatrix } from "./model/design.js";
export type { ContrastName } from "./model/contrasts.js";
export type { LevelOrder } from "./model/factor.js";
export { ProfiledDeviance, type DevianceParts } from "./model/deviance.js";
export type { PredictionIntervals, PredictOptions } from "./model/predict.js";
export { minimize, type OptimizerOptions, type OptimizerProgress, type OptimizerResult } from "./fit/optimizer.js";
export { LmmError } from "./errors.js";
export type { LmerJSON } from "./output/json.js";
export { fitMany, type BatchOptions, type BatchResult } from "./batch/fit-many.js";
export { matrixSource, parseResponses, readResponses, type ResponseBlock, type ResponseMatrix, type ResponseSource } from "./batch/responses.js";
export { batchCSV, benjaminiHochberg, csvHeader, csvRows, type BatchRecord, type Cell } from "./batch/results.js";
export { summaryTables, type SummaryTable, type SummaryTables } from "./output/summary.js";
