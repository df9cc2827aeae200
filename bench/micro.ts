// Kernel micro-benchmarks with benchmark.js (only with --micro): one call of
// the profiled deviance, dev.evaluate(theta), at lme4's optimum of each model.
import { createRequire } from "node:module";
import path from "node:path";
import { COHORT_FORMULA, generateCohort } from "./cohort.js";
import { lmer, readCSV, type DataInput } from "../src/index.js";

interface BenchTarget {
  name: string;
  hz: number;
  count: number;
  stats: { mean: number; rme: number; sample: number[] };
}
interface BenchSuite {
  add(name: string, fn: () => void, options?: Record<string, unknown>): BenchSuite;
  on(type: string, cb: (event: { target: BenchTarget }) => void): BenchSuite;
  run(options?: { async?: boolean }): BenchSuite;
}
interface BenchmarkModule {
  Suite: new (name?: string) => BenchSuite;
}

const require = createRequire(import.meta.url);
const Benchmark = require("benchmark") as BenchmarkModule;

export async function runMicro(dataDir: string): Promise<void> {
  const cases: { name: string; formula: string; data: DataInput }[] = [
    { name: "sleepstudy", formula: "Reaction ~ Days + (Days | Subject)", data: await readCSV(path.join(dataDir, "sleepstudy.csv")) },
    { name: "cohort10k", formula: COHORT_FORMULA, data: generateCohort({ subjects: 10_000, seed: 12345 }) },
  ];
  const suite = new Benchmark.Suite("dev.evaluate(theta)");
  for (const c of cases) {
    const m = await lmer(c.formula, c.data);
    const dev = m.deviance;
    const theta = Float64Array.from(m.theta);
    let sink = 0;
    suite.add(`dev.evaluate(theta) ${c.name} (n=${m.nobs}, ${Object.values(m.ngrps).join("+")} groups)`, () => {
      sink += dev.evaluate(theta);
    });
    void sink;
  }
  suite.on("cycle", (e) => {
    const t = e.target;
    const us = t.stats.mean * 1e6;
    console.log(`  ${t.name}: ${us < 1000 ? us.toFixed(1) + " µs" : (us / 1000).toFixed(2) + " ms"}/call ±${t.stats.rme.toFixed(1)}% (${t.hz.toFixed(0)} ops/s, ${t.stats.sample.length} samples)`);
  });
  suite.run({ async: false });
}
