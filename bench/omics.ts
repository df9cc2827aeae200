// Seeded synthetic omics study for the batch benchmark: S subjects in two groups
// (A, B), V visits each (time 0..V-1), and F features measured on every sample.
// Each feature has its own fixed effects (most features null for the group
// terms, a tenth with a real time:group effect), its own subject SD and residual
// SD, so fits differ feature by feature. Deterministic for a given seed.
import { writeFileSync } from "node:fs";
import { mulberry32, normalSource } from "../src/random.js";

export interface OmicsOptions {
  subjects?: number;
  visits?: number;
  features: number;
  seed?: number;
  /** Probability that a value is missing (default 0). */
  missing?: number;
}

export interface OmicsStudy {
  /** One row per sample: sample id, subject id, time, group. */
  samples: { sample: string[]; id: string[]; time: Float64Array; group: string[] };
  featureIds: string[];
  /** Features x samples, row-major. */
  values: Float64Array;
}

export const OMICS_FORMULA = "~ time * group + (1 | id)";

export function generateOmics(opts: OmicsOptions): OmicsStudy {
  const S = opts.subjects ?? 50;
  const V = opts.visits ?? 4;
  const F = opts.features;
  const pMissing = opts.missing ?? 0;
  const unif = mulberry32(opts.seed ?? 777);
  const norm = normalSource(unif);
  const n = S * V;
  const pad = (k: number, w: number) => String(k).padStart(w, "0");
  const samples = { sample: [] as string[], id: [] as string[], time: new Float64Array(n), group: [] as string[] };
  for (let s = 0; s < S; s++) {
    for (let v = 0; v < V; v++) {
      const i = s * V + v;
      samples.sample.push(`S${pad(i + 1, 4)}`);
      samples.id.push(`id${pad(s + 1, 3)}`);
      samples.time[i] = v;
      samples.group.push(s < S / 2 ? "A" : "B");
    }
  }
  const featureIds: string[] = [];
  const values = new Float64Array(F * n);
  const u = new Float64Array(S);
  for (let f = 0; f < F; f++) {
    featureIds.push(`feat${pad(f + 1, 6)}`);
    const b0 = 5 + 2 * unif();
    const bTime = 0.3 * norm();
    const bGroup = unif() < 0.1 ? 0.8 * norm() : 0;
    const bInt = unif() < 0.1 ? 0.5 * norm() : 0;
    const sdSubject = 0.2 + unif();
    const sigma = 0.3 + 0.7 * unif();
    for (let s = 0; s < S; s++) u[s] = sdSubject * norm();
    for (let i = 0; i < n; i++) {
      const g = samples.group[i] === "B" ? 1 : 0;
      const t = samples.time[i];
      const y = b0 + bTime * t + bGroup * g + bInt * t * g + u[Math.floor(i / V)] + sigma * norm();
      values[f * n + i] = pMissing > 0 && unif() < pMissing ? NaN : y;
    }
  }
  return { samples, featureIds, values };
}

/** Write the study as the two CSV files `lmm batch` reads (values to 4 significant digits, NA for missing). */
export function writeOmicsCSV(study: OmicsStudy, samplesFile: string, responsesFile: string): void {
  const { samples, featureIds, values } = study;
  const n = samples.sample.length;
  const sampleLines = ["sample,id,time,group", ...samples.sample.map((s, i) => `${s},${samples.id[i]},${samples.time[i]},${samples.group[i]}`)];
  writeFileSync(samplesFile, sampleLines.join("\n") + "\n");
  const lines = [["feature", ...samples.sample].join(",")];
  for (let f = 0; f < featureIds.length; f++) {
    const row = [featureIds[f]];
    for (let i = 0; i < n; i++) {
      const v = values[f * n + i];
      row.push(Number.isNaN(v) ? "NA" : v.toPrecision(4));
    }
    lines.push(row.join(","));
  }
  writeFileSync(responsesFile, lines.join("\n") + "\n");
}
