// `npm run bench -- residual [--vs-nlme] [--reps N] [--only ar1,mmrm] [--per-evaluation]`
//
// Residual structures (issue 14, part 5), ours against nlme in the same run:
//   ar1:  a cohort of 10k subjects x 10 visits (5% of visits missing), a random
//         intercept and AR(1) residuals: y ~ visit * arm + (1 | id) with
//         correlation ar1(~ visit | id), vs nlme::lme(..., correlation = corAR1(form = ~ visit | id));
//   mmrm: 2000 subjects x 10 visits, unstructured residual covariance and no
//         random effects: y ~ visitf * arm with correlation us(~ visitf | id), vs
//         nlme::gls(..., corSymm(form = ~ visit | id), varIdent(form = ~ 1 | visitf)).
// Both by REML. The data are generated here (seeded) and written as CSV for R;
// only the fit itself is timed on either side. --per-evaluation times instead
// one evaluation of the deviance (and its gradient) at a new rho, at the
// workload's number of subjects and ten times as many, by each route to the
// cross-products (pattern sums and whitening; src/model/residual/pattern-statistics.ts).
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { glsRhoGradient } from "../src/fit/gls-gradient.js";
import { buildDesign, lmer, parseFormula, ProfiledDeviance, toDataFrame } from "../src/index.js";
import { parameterStart } from "../src/model/parameters.js";
import type { ResidualRoute } from "../src/model/residual/pattern-statistics.js";
import { RowCrossProducts } from "../src/model/row-source.js";
import { mulberry32, normalSource } from "../src/random.js";
import { median, runTaggedRscript } from "./rscript.js";

interface Trial {
  id: string[];
  arm: string[];
  visit: Float64Array;
  visitf: string[];
  y: Float64Array;
}

interface ResidualWorkload {
  name: string;
  formula: string;
  correlation: string;
  /** nlme's call on data frame `d`. */
  nlme: string;
  subjects: number;
  /** SD of the random intercept (0: none). */
  sdIntercept: number;
}

const WORKLOADS: ResidualWorkload[] = [
  {
    name: "ar1",
    formula: "y ~ visit * arm + (1 | id)",
    correlation: "ar1(~ visit | id)",
    nlme: "lme(y ~ visit * arm, random = ~ 1 | id, correlation = corAR1(form = ~ visit | id), data = d, method = 'REML')",
    subjects: 10_000,
    sdIntercept: 1,
  },
  {
    name: "mmrm",
    formula: "y ~ visitf * arm",
    correlation: "us(~ visitf | id)",
    nlme: "gls(y ~ visitf * arm, correlation = corSymm(form = ~ visit | id), weights = varIdent(form = ~ 1 | visitf), data = d, method = 'REML')",
    subjects: 2000,
    sdIntercept: 0,
  },
];

/** Seeded trial data: 10 visits, AR(1) errors with phi 0.6 and sd growing with the visit, 5% of visits missing. */
function generateTrial(subjects: number, sdIntercept: number): Trial {
  const uniform = mulberry32(20261130);
  const normal = normalSource(uniform);
  const out: Trial = { id: [], arm: [], visit: new Float64Array(subjects * 10), visitf: [], y: new Float64Array(subjects * 10) };
  let n = 0;
  for (let s = 0; s < subjects; s++) {
    const b = sdIntercept * normal();
    const arm = s % 2 === 0 ? "placebo" : "active";
    let e = normal();
    for (let v = 1; v <= 10; v++) {
      if (v > 1) e = 0.6 * e + 0.8 * normal();
      if (uniform() < 0.05) continue;
      out.id.push(`s${s}`);
      out.arm.push(arm);
      out.visit[n] = v;
      out.visitf.push(`v${String(v).padStart(2, "0")}`);
      out.y[n] = 20 + 0.3 * v + (arm === "active" ? 0.2 * v : 0) + b + (1 + 0.05 * v) * e;
      n++;
    }
  }
  return { ...out, visit: out.visit.slice(0, n), y: out.y.slice(0, n) };
}

function toCSV(t: Trial): string {
  const lines = ["id,arm,visit,visitf,y"];
  for (let i = 0; i < t.y.length; i++) lines.push(`${t.id[i]},${t.arm[i]},${t.visit[i]},${t.visitf[i]},${t.y[i]}`);
  return lines.join("\n") + "\n";
}

const R_SCRIPT = String.raw`
suppressPackageStartupMessages(library(nlme))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = TRUE)
call <- parse(text = args[2])[[1]]
t0 <- Sys.time()
fit <- eval(call)
ms <- as.numeric(difftime(Sys.time(), t0, units = "secs")) * 1000
cat(sprintf('@@LME4 {"median": %.3f, "objective": %.10f, "nlme": "%s"}\n', ms, -2 * as.numeric(logLik(fit)), as.character(packageVersion("nlme"))))
`;

const fmt = (ms: number) => (ms < 10_000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`);

export async function runResidualBench(argv: string[]): Promise<void> {
  let reps = 3;
  let vsNlme = false;
  let only: string[] | undefined;
  let perEvaluation = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--vs-nlme") vsNlme = true;
    else if (argv[i] === "--per-evaluation") perEvaluation = true;
    else if (argv[i] === "--reps") reps = Number(argv[++i]);
    else if (argv[i] === "--only") only = argv[++i].split(",");
    else throw new Error(`unknown residual bench option ${argv[i]} (options: --vs-nlme --reps N --only ar1,mmrm --per-evaluation)`);
  }
  if (perEvaluation) return timeEvaluations(Math.max(reps, 20), only);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "lmm-residual-"));
  const script = path.join(tmp, "nlme.R");
  writeFileSync(script, R_SCRIPT);
  console.log(`# residual structures: ours vs nlme (${new Date().toISOString()}; ${os.cpus()[0]?.model}, load ${os.loadavg()[0].toFixed(2)})`);
  for (const w of WORKLOADS.filter((x) => !only || only.includes(x.name))) {
    const data = generateTrial(w.subjects, w.sdIntercept);
    console.log(`\n## ${w.name}: ${w.formula}, correlation ${w.correlation} (REML), ${data.y.length} rows`);
    const times: number[] = [];
    let objective = NaN;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      const m = await lmer(w.formula, { ...data }, { correlation: w.correlation });
      times.push(performance.now() - t0);
      objective = m.objective;
      if (r === 0) console.log(`  ours: ${m.convergence.evaluations} evaluations; ${JSON.stringify(m.residualStructure?.correlation?.parameters).slice(0, 80)}`);
    }
    const ours = median(times);
    console.log(`  ours: median ${fmt(ours)} (${times.map(fmt).join(", ")}) | -2 logLik ${objective.toFixed(4)}`);
    if (!vsNlme) continue;
    const csv = path.join(tmp, `${w.name}.csv`);
    writeFileSync(csv, toCSV(data));
    const r = await runTaggedRscript<{ median: number; objective: number; nlme: string }>(script, [csv, w.nlme]);
    console.log(`  nlme ${r.nlme}: ${fmt(r.median)} | -2 logLik ${r.objective.toFixed(4)} (ours - nlme: ${(objective - r.objective).toExponential(2)})`);
    console.log(`  ratio nlme / ours: ${(r.median / ours).toFixed(1)}x`);
  }
}

/**
 * One evaluation at a new rho (the structure's triangles, the cross-products
 * and the deviance; with its analytic gradient where the model has one: the
 * MMRM, and any model on the pattern route) of each workload at its number of
 * subjects and ten times as many, by each route; the median over `reps`
 * nearby parameters.
 */
async function timeEvaluations(reps: number, only?: string[]): Promise<void> {
  console.log(`# one evaluation at a new rho (REML), median of ${reps} (load ${os.loadavg()[0].toFixed(2)})`);
  for (const w of WORKLOADS.filter((x) => !only || only.includes(x.name))) {
    console.log(`\n## ${w.name}: ${w.formula}, correlation ${w.correlation}`);
    for (const subjects of [w.subjects, 10 * w.subjects]) {
      const design = buildDesign(parseFormula(w.formula), toDataFrame({ ...generateTrial(subjects, w.sdIntercept) }), { correlation: w.correlation });
      for (const route of ["patterns", "whitening"] as ResidualRoute[]) {
        const t0 = performance.now();
        const dev = await ProfiledDeviance.fromSource(new RowCrossProducts(design, route), true);
        const setup = performance.now() - t0;
        const residual = dev.source.residual!;
        const absorbs = dev.source.absorbsRandomEffects === true;
        const analytic = absorbs || design.terms.length === 0;
        const times: number[] = [];
        for (let r = 0; r < reps; r++) {
          const rho = Float64Array.from(residual.start(), (v, i) => v + 0.01 * Math.sin(r + i));
          const theta = Float64Array.from(parameterStart(design.terms), (v, i) => v * (1 + 0.01 * Math.cos(r + i)));
          const t = performance.now();
          residual.set(rho, absorbs ? theta : undefined);
          dev.refill();
          dev.evaluate(absorbs ? [] : theta);
          if (analytic) glsRhoGradient(dev, design, residual, rho, { theta: absorbs ? theta : undefined });
          times.push(performance.now() - t);
        }
        console.log(
          `  ${subjects} subjects (${design.n} rows, ${residual.patternCount} patterns, ${residual.pairCount} pairs), ${route}: ` +
            `${median(times).toFixed(2)} ms per evaluation${analytic ? " with its gradient" : ""} (setup ${fmt(setup)})`,
        );
      }
    }
  }
}
