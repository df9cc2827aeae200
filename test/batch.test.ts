// Batch fits (fitMany, `lmm batch`): every row equals the single fit of its
// feature (our lmer() and lme4's), degenerate features get a status and no
// estimates, and every input feature appears once, in input order.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { generateOmics, OMICS_FORMULA } from "../bench/omics.js";
import { main } from "../src/cli.js";
import {
  batchCSV,
  benjaminiHochberg,
  csvRows,
  fitMany,
  lmer,
  parseCSV,
  parseResponses,
  readCSV,
  readResponses,
  type BatchRecord,
  type ResponseMatrix,
} from "../src/index.js";
import { expectClose } from "./reference-cases.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const exampleSamples = join(root, "examples/batch/samples.csv");
const exampleResponses = join(root, "examples/batch/responses.csv");
const FIXED = ["(Intercept)", "time", "groupB", "time:groupB"];

/** A small study with missing values, as a ResponseMatrix and its sample table. */
function study(features: number, missing = 0, seed = 99) {
  const st = generateOmics({ features, missing, seed, subjects: 20, visits: 4 });
  const responses: ResponseMatrix = { features: st.featureIds, samples: st.samples.sample, values: st.values };
  return { st, responses };
}

/** The feature's values for lmer(): the sample table plus column y. */
function featureData(st: ReturnType<typeof generateOmics>, f: number) {
  const n = st.samples.sample.length;
  return { ...st.samples, y: st.values.slice(f * n, (f + 1) * n) };
}

describe("fitMany: each row is the single fit of its feature", () => {
  it("matches lmer() on random features, with and without missing values", async () => {
    const { st, responses } = study(12, 0.05);
    const res = await fitMany(OMICS_FORMULA, st.samples, responses);
    expect(res.records).toHaveLength(12);
    for (let f = 0; f < 12; f++) {
      const r = res.records[f];
      const m = await lmer(`y ${OMICS_FORMULA}`, featureData(st, f));
      expect(r.feature).toBe(st.featureIds[f]);
      expect(r.status).toBe("ok");
      expect(r.nobs).toBe(m.nobs);
      for (const c of FIXED) {
        expectClose(r[c] as number, m.fixef[c], 1e-6, 1e-6, `${c} of feature ${f}`);
        expectClose(r[`${c}_se`] as number, m.se[c], 1e-6, 1e-6, `${c}_se`);
        expectClose(r[`${c}_t`] as number, m.t[c], 1e-6, 1e-6, `${c}_t`);
        expectClose(r[`${c}_df`] as number, m.satterthwaite.df[c], 1e-6, 1, `${c}_df`);
        expectClose(r[`${c}_p`] as number, m.satterthwaite.p[c], 1e-5, 1e-12, `${c}_p`);
      }
      expectClose(r["sd_(Intercept)|id"] as number, m.varcorr[0].sdcor, 1e-6, 1e-6, "sd");
      expectClose(r.sigma as number, m.sigma, 1e-6, 1e-6, "sigma");
      expectClose(r.logLik as number, m.logLik, 1e-9, 1, "logLik");
      expect(r.converged).toBe(m.convergence.converged);
      expect(r.singular).toBe(m.singular);
    }
  });

  it("matches lme4 + lmerTest fitted feature by feature (test/reference-batch)", async () => {
    const ref = JSON.parse(readFileSync(join(root, "test/reference-batch/lme4-features.json"), "utf8"));
    const responses = await readResponses(exampleResponses);
    const k = ref.features.length;
    const first: ResponseMatrix = { ...responses, features: responses.features.slice(0, k), values: responses.values.slice(0, k * responses.samples.length) };
    const res = await fitMany(ref.formula, await readCSV(exampleSamples), first);
    ref.features.forEach((rf: Record<string, any>, f: number) => {
      const r = res.records[f];
      expect(r.feature).toBe(rf.feature);
      expect(r.nobs).toBe(rf.nobs);
      for (const c of FIXED) {
        expectClose(r[c] as number, rf.estimate[c], 1e-4, 1e-2, `${rf.feature} ${c}`);
        expectClose(r[`${c}_se`] as number, rf.se[c], 1e-4, 1e-2, `${rf.feature} ${c}_se`);
        expectClose(r[`${c}_df`] as number, rf.df[c], 1e-3, 1, `${rf.feature} ${c}_df`);
        if (Math.abs((r[`${c}_p`] as number) - rf.p[c]) > 1e-8) expectClose(r[`${c}_p`] as number, rf.p[c], 1e-3, 0, `${rf.feature} ${c}_p`);
      }
      expectClose(r["sd_(Intercept)|id"] as number, rf.sd_id, 1e-3, 1e-2, `${rf.feature} sd`);
      expectClose(r.sigma as number, rf.sigma, 1e-3, 1e-2, `${rf.feature} sigma`);
      expect(Math.abs((r.logLik as number) - rf.logLik), `${rf.feature} logLik`).toBeLessThan(1e-4);
      expectClose(r["time:groupB_fdr"] as number, rf.fdr_time_groupB, 1e-3, 1e-8, `${rf.feature} fdr`);
    });
  });

  it("gives the same rows, in input order, with 2 worker threads (built dist/)", async () => {
    const dist = join(root, "dist/src/index.js");
    expect(existsSync(dist), "run `npm run build` first").toBe(true);
    const lib = (await import(dist)) as typeof import("../src/index.js");
    const { st, responses } = study(300, 0.01, 5);
    const one = await fitMany(OMICS_FORMULA, st.samples, responses, { threads: 1 });
    const progress: number[] = [];
    const streamed: number[] = [];
    const two = await lib.fitMany(OMICS_FORMULA, st.samples, responses, {
      threads: 2,
      onProgress: (done) => progress.push(done),
      onRecord: (_r, i) => streamed.push(i),
    });
    expect(two.threads).toBe(2);
    expect(two.records.map((r) => r.feature)).toEqual(st.featureIds);
    expect(streamed).toEqual(st.featureIds.map((_, i) => i));
    expect(progress.at(-1)).toBe(300);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    two.records.forEach((r, f) => {
      for (const col of one.columns) {
        if (typeof r[col] === "number") expectClose(r[col] as number, one.records[f][col] as number, 1e-12, 1e-300, `${col} of ${r.feature}`);
        else expect(r[col]).toBe(one.records[f][col]);
      }
    });
  });
});

describe("fitMany: degenerate features", () => {
  it("gives every feature a row with a status, and fitted ones estimates", async () => {
    const { st } = study(3);
    const n = st.samples.sample.length;
    const ids = ["good", "constant", "all-missing", "infinite", "few", "no-groupB", "good2", "huge"];
    const values = new Float64Array(ids.length * n);
    values.set(st.values.subarray(0, n), 0);
    values.fill(4.2, n, 2 * n);
    values.fill(NaN, 2 * n, 3 * n);
    values.set(st.values.subarray(n, 2 * n), 3 * n);
    values[3 * n + 7] = Infinity;
    values.fill(NaN, 4 * n, 5 * n);
    values.set([1, 2, 3], 4 * n);
    // Every sample of group B missing: groupB and time:groupB are not estimable.
    values.set(st.values.subarray(2 * n, 3 * n), 5 * n);
    st.samples.group.forEach((g, i) => g === "B" && (values[5 * n + i] = NaN));
    values.set(st.values.subarray(2 * n, 3 * n), 6 * n);
    values.set(st.values.subarray(0, n).map((v) => v * 1e300), 7 * n);
    const res = await fitMany(OMICS_FORMULA, st.samples, { features: ids, samples: st.samples.sample, values });
    expect(res.records.map((r) => r.feature)).toEqual(ids);
    const status = Object.fromEntries(res.records.map((r) => [r.feature, r.status as string]));
    expect(status.good).toBe("ok");
    expect(status.good2).toBe("ok");
    expect(status.constant).toMatch(/constant response/);
    expect(status["all-missing"]).toMatch(/all values missing/);
    expect(status.infinite).toMatch(/non-finite value \(Infinity\) for sample 'S0008'/);
    expect(status.few).toMatch(/levels for 3 observations|at least 2 groups/);
    expect(status["no-groupB"]).toBe("ok");
    expect(status.huge).toMatch(/objective is not finite.*scale/);
    for (const r of res.records.filter((r) => r.status !== "ok")) {
      for (const c of FIXED) expect(r[c]).toBeNull();
      expect(r.sigma).toBeNull();
      expect(r.logLik).toBeNull();
      expect(r.converged).toBeNull();
    }
    const noB = res.records[5];
    expect(noB.groupB).toBeNull();
    expect(noB["time:groupB"]).toBeNull();
    expect(typeof noB.time).toBe("number");
    expect(noB.nobs).toBe(n / 2);
    // FDR counts only the features with a p-value.
    const p = res.records.map((r) => r.time_p as number | null);
    expect(res.records.map((r) => r.time_fdr)).toEqual(benjaminiHochberg(p));
  });

  it("reports a non-numeric cell of a responses file as that feature's status", async () => {
    const text = readFileSync(exampleResponses, "utf8").split("\n");
    text[2] = text[2].replace(/,[^,]+/, ",oops");
    const responses = parseResponses(text.join("\n"));
    const res = await fitMany("~ time * group + (1 | id)", await readCSV(exampleSamples), responses, { coef: ["time"] });
    expect(res.records).toHaveLength(100);
    expect(res.records[1].status).toBe("non-numeric value 'oops' for sample 'S0001': fix the responses file");
    expect(res.records[1].time).toBeNull();
    expect(res.records[0].status).toBe("ok");
  });
});

describe("fitMany: input checks and options", () => {
  const { st, responses } = study(4);

  it("refuses a formula with a response, unknown coefficients and unknown sample columns", async () => {
    await expect(fitMany("y ~ time + (1 | id)", st.samples, responses)).rejects.toThrow(/no response on the left.*'~ time \+ \(1 \| id\)'/);
    await expect(fitMany(OMICS_FORMULA, st.samples, responses, { coef: ["time:groupC"] })).rejects.toThrow(
      /Unknown coefficient 'time:groupC'.*'\(Intercept\)', 'time', 'groupB', 'time:groupB'/,
    );
    await expect(fitMany(OMICS_FORMULA, st.samples, responses, { sampleColumn: "nope" })).rejects.toThrow(/Unknown sample column 'nope'/);
    await expect(fitMany(OMICS_FORMULA, st.samples, responses, { sampleColumn: "id" })).rejects.toThrow(/Sample id 'id001' appears twice/);
    await expect(fitMany("~ time + (1 | subject)", st.samples, responses)).rejects.toThrow(/Unknown column 'subject'/);
    await expect(fitMany(OMICS_FORMULA, st.samples, { ...responses, values: new Float64Array(3) })).rejects.toThrow(/features x samples/);
  });

  it("matches samples by id, whatever the column order, and says what did not match", async () => {
    const S = responses.samples.length;
    const order = responses.samples.map((_, j) => S - 1 - j);
    const reversed: ResponseMatrix = {
      features: responses.features,
      samples: [...order.map((j) => responses.samples[j]), "EXTRA"],
      values: new Float64Array(responses.features.length * (S + 1)),
    };
    responses.features.forEach((_, f) => order.forEach((j, k) => (reversed.values[f * (S + 1) + k] = responses.values[f * S + j])));
    const a = await fitMany(OMICS_FORMULA, st.samples, responses);
    const b = await fitMany(OMICS_FORMULA, st.samples, reversed);
    expect(b.records.map((r) => r.time)).toEqual(a.records.map((r) => r.time));
    expect(b.messages).toEqual(["1 response column(s) match no sample of the sample table and were not used: EXTRA."]);
    const other = { ...responses, samples: responses.samples.map((s) => `x${s}`) };
    await expect(fitMany(OMICS_FORMULA, st.samples, other)).rejects.toThrow(/No sample id of column 'sample'.*sampleColumn/);
  });

  it("matches numeric ids by value (\"0001\" in the header, 1 in a numeric column) and trims ids on both sides", async () => {
    const byNumber = { ...st.samples, sample: st.samples.sample.map((_, i) => i + 1) };
    const padded = { ...responses, samples: responses.samples.map((_, j) => String(j + 1).padStart(4, "0")) };
    const a = await fitMany(OMICS_FORMULA, st.samples, responses);
    const b = await fitMany(OMICS_FORMULA, byNumber, padded);
    expect(b.records.map((r) => r.time)).toEqual(a.records.map((r) => r.time));
    const spaced = { ...st.samples, sample: st.samples.sample.map((s) => ` ${s} `) };
    expect((await fitMany(OMICS_FORMULA, spaced, responses)).records.map((r) => r.time)).toEqual(a.records.map((r) => r.time));
  });

  it("refuses bad threads and ddf options, and lists only the user's columns", async () => {
    await expect(fitMany(OMICS_FORMULA, st.samples, responses, { threads: NaN })).rejects.toThrow(/threads must be a whole number/);
    await expect(fitMany(OMICS_FORMULA, st.samples, responses, { ddf: "Satterthwaite" as "none" })).rejects.toThrow(/Unknown ddf 'Satterthwaite'/);
    await expect(fitMany("~ time + (1 | grp)", st.samples, responses)).rejects.toThrow(/The columns are: 'sample', 'id', 'time', 'group'\.$/);
    expect(() => parseResponses("gene,s1,s2,\ng1,1,2,\n")).toThrow(/Column 4 of the responses header has no sample id/);
  });

  it("reports only the chosen coefficients; ML changes logLik; ddf none leaves df and p empty", async () => {
    const reml = await fitMany(OMICS_FORMULA, st.samples, responses, { coef: ["time:groupB"] });
    expect(batchCSV(reml).split("\n")[0]).toBe(reml.columns.join(","));
    expect(batchCSV(reml).trimEnd().split("\n")).toHaveLength(1 + reml.records.length);
    expect(reml.columns).toEqual([
      "feature", "nobs", "time:groupB", "time:groupB_se", "time:groupB_t", "time:groupB_df", "time:groupB_p", "time:groupB_fdr",
      "sd_(Intercept)|id", "sigma", "logLik", "converged", "singular", "status",
    ]);
    const ml = await fitMany(OMICS_FORMULA, st.samples, responses, { coef: ["time:groupB"], REML: false });
    const m = await lmer(`y ${OMICS_FORMULA}`, featureData(st, 0), { REML: false });
    expectClose(ml.records[0].logLik as number, m.logLik, 1e-9, 1, "ML logLik");
    expect(ml.records[0].logLik).not.toBe(reml.records[0].logLik);
    const none = await fitMany(OMICS_FORMULA, st.samples, responses, { ddf: "none" });
    expect(none.records[0]["time:groupB_df"]).toBeNull();
    expect(none.records[0]["time:groupB_fdr"]).toBeNull();
    expect(none.records[0]["time:groupB"]).toBe(reml.records[0]["time:groupB"]);
  });
});

describe("benjaminiHochberg", () => {
  it("equals R's p.adjust(p, 'BH'), NA kept out of the count", () => {
    // R: p.adjust(c(0.01, 0.04, 0.03, NA, 0.2, 0.04, 0.5), "BH")
    expect(benjaminiHochberg([0.01, 0.04, 0.03, null, 0.2, 0.04, 0.5]).map((v) => (v === null ? null : +v.toFixed(12)))).toEqual([
      0.06, 0.06, 0.06, null, 0.24, 0.06, 0.5,
    ]);
    expect(benjaminiHochberg([])).toEqual([]);
  });
});

describe("parseResponses", () => {
  it("reads CSV and TSV with missing-value tokens", () => {
    const csv = parseResponses("gene,s1,s2,s3\ng1,1.5,NA,3\ng2,,2,Inf\n");
    expect(csv.features).toEqual(["g1", "g2"]);
    expect(csv.samples).toEqual(["s1", "s2", "s3"]);
    expect(Array.from(csv.values)).toEqual([1.5, NaN, 3, NaN, 2, Infinity]);
    const tsv = parseResponses("gene\ts1\ts2\ng1\t1\t2\n");
    expect(Array.from(tsv.values)).toEqual([1, 2]);
  });

  it("names the problem of a malformed table", () => {
    expect(() => parseResponses("")).toThrow(/responses file is empty/);
    expect(() => parseResponses("gene,s1\n")).toThrow(/no features/);
    expect(() => parseResponses("gene\ng1\n")).toThrow(/at least one sample column/);
    expect(() => parseResponses("gene,s1,s2\ng1,1\n")).toThrow(/line 2 has 2 fields but the header has 3/);
    expect(() => parseResponses("gene,s1,s2\ng1,1,2\n\ng2,1,2\ng3,1\n")).toThrow(/line 5 has 2 fields/);
    expect(() => parseResponses("gene,s1,s2\r\ng1,1,2\r\ng3,1\r\n")).toThrow(/line 3 has 2 fields/);
    expect(() => parseResponses("gene,s1,s1\ng1,1,2\n")).toThrow(/sample 's1' twice/);
  });
});

describe("lmm batch", () => {
  async function run(...argv: string[]) {
    let out = "";
    let err = "";
    const code = await main(argv, (s) => void (out += s), (s) => void (err += s), undefined);
    return { code, out, err };
  }

  it("writes the results CSV (and removes the partial file), or JSON", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lmm-batch-"));
    try {
      const out = join(dir, "results.csv");
      const r = await run("batch", exampleSamples, exampleResponses, "~ time * group + (1 | id)", "--coef", "time:groupB", "--threads", "1", "--out", out);
      expect(r.code).toBe(0);
      expect(r.err).toMatch(/^lmm: 100 features in [\d.]+ s .*1 thread\); written to /);
      expect(existsSync(`${out}.partial`)).toBe(false);
      const table = parseCSV(readFileSync(out, "utf8"));
      expect(table.nrow).toBe(100);
      expect(table.names).toEqual([
        "feature", "nobs", "time:groupB", "time:groupB_se", "time:groupB_t", "time:groupB_df", "time:groupB_p", "time:groupB_fdr",
        "sd_(Intercept)|id", "sigma", "logLik", "converged", "singular", "status",
      ]);
      const fdr = table.columns.get("time:groupB_fdr")!.values as Float64Array;
      const p = Array.from(table.columns.get("time:groupB_p")!.values as Float64Array);
      expect(Array.from(fdr)).toEqual(benjaminiHochberg(p));
      const json = await run("batch", exampleSamples, exampleResponses, "~ time * group + (1 | id)", "--json", "--coef", "time,groupB");
      const records = JSON.parse(json.out) as BatchRecord[];
      expect(records).toHaveLength(100);
      expect(Object.keys(records[0]).slice(2, 4)).toEqual(["time", "time_se"]);
      expect(typeof records[0].time).toBe("number");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports bad input as one line", async () => {
    const bad = await run("batch", exampleSamples, exampleResponses, "~ time * group + (1 | subject)");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^lmm: Unknown column 'subject'/);
    const threads = await run("batch", exampleSamples, exampleResponses, "~ time + (1 | id)", "--threads", "0");
    expect(threads.err).toMatch(/--threads must be a whole number/);
    const missing = await run("batch", exampleSamples, join(root, "nope.csv"), "~ time + (1 | id)");
    expect(missing.err).toMatch(/Cannot read '.*nope.csv' \(no such file\)/);
  });

  describe("output is never lost (issue 16, items 5 and 6)", () => {
    const FORMULA = "~ time * group + (1 | id)";
    const withDir = async (body: (dir: string) => Promise<void>) => {
      const dir = mkdtempSync(join(tmpdir(), "lmm-batch-"));
      try {
        await body(dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };

    it("an --out into a missing folder or onto a folder is one clear line, before any fit", async () => {
      await withDir(async (dir) => {
        const missing = await run("batch", exampleSamples, exampleResponses, FORMULA, "--threads", "1", "--out", join(dir, "nope", "r.csv"));
        expect(missing.code).toBe(2);
        expect(missing.err).toMatch(/^lmm: Cannot write '.*r\.csv': its folder '.*nope' does not exist: create it or choose another path\.\n$/);
        const folder = await run("batch", exampleSamples, exampleResponses, FORMULA, "--threads", "1", "--out", dir);
        expect(folder.code).toBe(2);
        expect(folder.err).toMatch(/^lmm: Cannot write '.*': it is a folder: give a file name such as results\.csv\.\n$/);
        expect(folder.err).not.toMatch(/internal error/);
      });
    });

    it("refuses to overwrite the partial file of an earlier run, and --resume fits only the rest", async () => {
      await withDir(async (dir) => {
        const fresh = join(dir, "fresh.csv");
        expect((await run("batch", exampleSamples, exampleResponses, FORMULA, "--threads", "1", "--out", fresh)).code).toBe(0);
        // An interrupted run: 40 finished records, the last line torn by the kill.
        const all = await fitMany(FORMULA, await readCSV(exampleSamples), await readResponses(exampleResponses), { threads: 1 });
        const previous = all.records.slice(0, 40).map((r) => ({ ...r, time_fdr: null, groupB_fdr: null, "(Intercept)_fdr": null, "time:groupB_fdr": null }));
        previous[3] = { ...previous[3], logLik: -12345 }; // a marker: a resumed run does not refit it
        const out = join(dir, "results.csv");
        const lines = [JSON.stringify({ columns: Object.keys(previous[0]) }), ...previous.map((r) => JSON.stringify(r))];
        const partialText = lines.join("\n") + '\n{"feature":"feat0000';
        writeFileSync(`${out}.partial`, partialText);

        const refused = await run("batch", exampleSamples, exampleResponses, FORMULA, "--threads", "1", "--out", out);
        expect(refused.code).toBe(2);
        expect(refused.err).toMatch(/holds 40 finished features of an earlier run: add --resume to continue it/);
        expect(readFileSync(`${out}.partial`, "utf8")).toBe(partialText);

        const resumed = await run("batch", exampleSamples, exampleResponses, FORMULA, "--threads", "1", "--out", out, "--resume");
        expect(resumed.code).toBe(0);
        expect(resumed.err).toMatch(/100 features in .*; 40 taken from .*results\.csv\.partial; written to /);
        expect(existsSync(`${out}.partial`)).toBe(false);
        expect(readdirSync(dir).sort()).toEqual(["fresh.csv", "results.csv"]);
        const got = readFileSync(out, "utf8").split("\n");
        const want = readFileSync(fresh, "utf8").split("\n");
        expect(got).toHaveLength(want.length);
        expect(got[4]).toMatch(/,-12345,/);
        expect(got.filter((_, i) => i !== 4)).toEqual(want.filter((_, i) => i !== 4));
      });
    });

    it("streams a partial file for --json output too, and --resume refuses a partial file of another batch", async () => {
      await withDir(async (dir) => {
        const out = join(dir, "results.json");
        const seen: number[] = [];
        const code = await main(
          ["batch", exampleSamples, exampleResponses, FORMULA, "--threads", "1", "--out", out],
          () => {},
          () => {},
          () => seen.push(existsSync(`${out}.partial`) ? readFileSync(`${out}.partial`, "utf8").split("\n").length : 0),
        );
        expect(code).toBe(0);
        expect(seen[0]).toBeGreaterThan(64); // the first 64 records, before the end
        expect(JSON.parse(readFileSync(out, "utf8"))).toHaveLength(100);
        mkdirSync(join(dir, "other"));
        const other = join(dir, "other", "r.csv");
        writeFileSync(`${other}.partial`, JSON.stringify({ columns: ["feature"] }) + "\n" + JSON.stringify({ feature: "feat000001" }) + "\n");
        const wrong = await run("batch", exampleSamples, exampleResponses, FORMULA, "--threads", "1", "--out", other, "--resume");
        expect(wrong.code).toBe(2);
        expect(wrong.err).toMatch(/other columns than this batch's/);
        expect((await run("batch", exampleSamples, exampleResponses, FORMULA, "--resume")).err).toMatch(/--resume continues the run that wrote --out FILE/);
      });
    });
  });

  it("neutralises text cells that a spreadsheet would run as formulas; numbers stay numbers (issue 16, item 9)", () => {
    const records: BatchRecord[] = [
      { feature: "=HYPERLINK(\"http://x\")", est: -1.5, status: "ok" },
      { feature: "+cmd", est: 2, status: "-x" },
      { feature: "@SUM(A1)", est: null, status: "\tx" },
      { feature: "plain", est: -0.25, status: "ok" },
    ];
    expect(csvRows(records, ["feature", "est", "status"]).split("\n")).toEqual([
      "\"'=HYPERLINK(\"\"http://x\"\")\",-1.5,ok",
      "\"'+cmd\",2,\"'-x\"",
      "\"'@SUM(A1)\",,\"'\tx\"",
      "plain,-0.25,ok",
      "",
    ]);
  });
});
