// One fit split into lme4's stages, each timed on its own: data frame,
// design (lFormula), block layout, deviance creation (WASM instance, move-in
// and the accumulation pass), optimisation and the fitted-model object.
import { buildDesign, LmerModel, minimize, parseFormula, ProfiledDeviance, toDataFrame, type DataInput } from "../src/index.js";
import { designShape, planBlockLayout } from "../src/model/blocks.js";
import { planRowData } from "../src/model/row-source.js";
import { parameterLower, parameterStart } from "../src/model/parameters.js";
import { loadKernels } from "../src/wasm/kernels.js";

export interface StageTimings {
  toDataFrame: number;
  /** parseFormula + buildDesign. */
  buildDesign: number;
  /** The block layout and the row data's plan alone (create repeats them). */
  layout: number;
  /** loadKernels alone (create repeats it; compiled once per process). */
  instantiate: number;
  /** ProfiledDeviance.create: instantiate + layout + move-in + accumulate. */
  create: number;
  /** The accumulate kernel alone (re-run on the same instance after the fit). */
  accumulate: number;
  optimize: number;
  evaluations: number;
  perEvaluation: number;
  model: number;
  total: number;
  /** Layout sizes, to see what the kernels work on. */
  sizes: { n: number; nUnits: number; nBlockTerms: number; mt: number; nd: number; aSizeMB: number; colsMB: number; intsMB: number };
}

const now = () => performance.now();

export async function runStages(formula: string, data: DataInput, REML: boolean): Promise<StageTimings> {
  const t0 = now();
  const df = toDataFrame(data);
  const t1 = now();
  const design = buildDesign(parseFormula(formula), df);
  const t2 = now();
  const plan = planBlockLayout(designShape(design));
  const { layout } = plan;
  const rowData = planRowData(design, plan);
  const t3 = now();
  await loadKernels();
  const t4 = now();
  const dev = await ProfiledDeviance.create(design, REML);
  const t5 = now();
  // As lmer() does: the analytic gradient from the same kernel instance (the
  // bench's models are unstructured, so the parameters are theta).
  const opt = minimize((theta) => dev.evaluate(theta), parameterStart(design.terms), parameterLower(design.terms), { gradient: () => dev.gradient() });
  const t6 = now();
  const model = new LmerModel(design, dev, { ...opt, theta: opt.x });
  const t7 = now();
  void model;

  // Re-run the accumulation pass on the same instance (A is garbage afterwards).
  const ta = now();
  (dev as unknown as { accumulate(): void }).accumulate();
  const accumulate = now() - ta;

  const evaluations = opt.evaluations;
  return {
    toDataFrame: t1 - t0,
    buildDesign: t2 - t1,
    layout: t3 - t2,
    instantiate: t4 - t3,
    create: t5 - t4,
    accumulate,
    optimize: t6 - t5,
    evaluations,
    perEvaluation: (t6 - t5) / evaluations,
    model: t7 - t6,
    total: t1 - t0 + (t2 - t1) + (t5 - t4) + (t6 - t5) + (t7 - t6),
    sizes: {
      n: design.n,
      nUnits: layout.nUnits,
      nBlockTerms: layout.nBlockTerms,
      mt: layout.mt,
      nd: layout.nd,
      aSizeMB: (layout.aSize * 8) / 2 ** 20,
      colsMB: (design.n * rowData.stored.length * 8) / 2 ** 20,
      intsMB: (rowData.intsSize * 4) / 2 ** 20,
    },
  };
}
