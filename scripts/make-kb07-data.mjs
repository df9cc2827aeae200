// Data for the optimum stress families (issue #10), written from the seeded
// generators in bench/kb07.ts and bench/boundary.ts (run `npm run build` first):
//
//   node scripts/make-kb07-data.mjs        (from the repository root)
//
// writes test/reference-kb07/data/*.csv and test/reference-kb07/cases.json (the
// list of cases: id, family, data file, formula, REML) that
// scripts/make-kb07-reference.R fits with lme4.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { generateKb07, toCSV, KB07_MAXIMAL, KB07_ZEROCORR } = await import(path.join(ROOT, "dist/bench/kb07.js"));
const { generateBoundary, generatePressure, PRESSURE_FORMULA } = await import(path.join(ROOT, "dist/bench/boundary.js"));

export const KB07_SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
export const BOUNDARY_SEEDS = Array.from({ length: 36 }, (_, i) => i + 1);
export const PRESSURE_SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

const OUT = path.join(ROOT, "test", "reference-kb07");
mkdirSync(path.join(OUT, "data"), { recursive: true });
const cases = [];
const write = (file, frame) => writeFileSync(path.join(OUT, "data", file), toCSV(frame));

for (const seed of KB07_SEEDS) {
  const file = `kb07-seed${seed}.csv`;
  write(file, generateKb07(seed));
  cases.push({ id: `kb07-maximal-${seed}`, family: "kb07-maximal", seed, data: file, formula: KB07_MAXIMAL, REML: false });
  cases.push({ id: `kb07-zerocorr-${seed}`, family: "kb07-zerocorr", seed, data: file, formula: KB07_ZEROCORR, REML: false });
}
for (const seed of BOUNDARY_SEEDS) {
  const file = `boundary-seed${seed}.csv`;
  const b = generateBoundary(seed);
  write(file, b.data);
  cases.push({ id: `boundary-${seed}`, family: "boundary", kind: b.kind, seed, data: file, formula: b.formula, REML: true });
}
for (const seed of PRESSURE_SEEDS) {
  const file = `pressure-seed${seed}.csv`;
  write(file, generatePressure(seed));
  cases.push({ id: `pressure-${seed}`, family: "pressure", seed, data: file, formula: PRESSURE_FORMULA, REML: true });
}
// The real data of issue #10's first case (nlme's Dialyzer; its CSV is written by the R script).
cases.push({ id: "dialyzer", family: "pressure", source: "nlme::Dialyzer", data: "dialyzer.csv", formula: PRESSURE_FORMULA, REML: true });
writeFileSync(path.join(OUT, "cases.json"), JSON.stringify(cases, null, 1) + "\n");
console.log(`wrote ${cases.length} cases to ${path.relative(ROOT, OUT)}/cases.json`);
