// The `lmm` command line: `lmm fit DATA.csv "FORMULA" [--ml] [--json]`.
import { Command, CommanderError } from "commander";
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readCSV } from "./csv.js";
import { LmmError, quote } from "./errors.js";
import { lmer } from "./fit/lmer.js";
import { parseFormula } from "./formula.js";
import { contrastsOfTerms } from "./model/contrasts.js";
import { formatLrt, likelihoodRatioTest } from "./inference/anova.js";
import { formatRanova, ranova } from "./inference/ranova.js";
import { compareStructures, formatStructures } from "./inference/structure-table.js";
import { formatAnova } from "./inference/anova-type3.js";
import { formatConfint } from "./output/confint.js";
import { batchCommand, type Terminal } from "./batch/command.js";
import { emmeansCommand } from "./emmeans-command.js";
import { predictCommand } from "./predict-command.js";
import { collect, designOptions, withDesignOptions, type DesignFlags } from "./cli-options.js";
import { sqlCommand, sqlFitCommand, usesSqlRoute } from "./sql-command.js";

/** Kept in step with package.json by test/cli.test.ts. */
export const PACKAGE_VERSION = "0.1.0";

const EXAMPLES: Record<string, { file: string; formula: string }> = {
  sleepstudy: { file: "sleepstudy.csv", formula: "Reaction ~ Days + (Days | Subject)" },
  orthodont: { file: "orthodont.csv", formula: "distance ~ age * Sex + (age | Subject)" },
};

function examplesDir(): string {
  // dist/src/cli.js -> ../../examples ; src/cli.ts -> ../examples
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "..", "..", "examples"), join(here, "..", "examples")];
  return candidates.find((d) => existsSync(join(d, "sleepstudy.csv"))) ?? candidates[0];
}

interface FitFlags extends DesignFlags {
  ml?: boolean;
  ddf?: string;
  confint?: string;
  nsim?: string;
  seed?: string;
  json?: boolean;
  example?: string;
  engine?: string;
  stats?: string;
  data?: string;
  rowsOut?: string;
}

async function fitCommand(data: string | undefined, formula: string | undefined, flags: FitFlags, out: (s: string) => void): Promise<void> {
  if (flags.example) {
    const ex = Object.hasOwn(EXAMPLES, flags.example) ? EXAMPLES[flags.example] : undefined;
    if (!ex) throw new LmmError(`Unknown example ${quote(flags.example)}: choose one of ${Object.keys(EXAMPLES).join(", ")}.`);
    if (data && formula) throw new LmmError("Give either --example NAME or a data file, not both.");
    if (data && !formula) formula = data;
    data = join(examplesDir(), ex.file);
    formula ??= ex.formula;
  }
  if (usesSqlRoute(data, flags)) return sqlFitCommand(data, formula, flags, out);
  if (flags.data !== undefined) throw new LmmError("--data gives the columns and levels for --stats: to fit a data file, give it as the first argument.");
  if (flags.rowsOut !== undefined) {
    throw new LmmError("--rows-out writes the rows from DuckDB's pass over the data file: add --engine duckdb (a fit in memory gives its fitted values and residuals with --json).");
  }
  if (!data) throw new LmmError("No data file given: run 'lmm fit DATA.csv \"y ~ x + (x | g)\"' or 'lmm fit --example sleepstudy'.");
  if (!formula) throw new LmmError("No formula given: add it after the data file, e.g. \"y ~ x + (x | g)\".");
  const frame = await readCSV(data);
  // Without --ddf, the model's default: Satterthwaite.
  const ddf = flags.ddf;
  if (ddf !== undefined && ddf !== "satterthwaite" && ddf !== "kenward-roger" && ddf !== "none") {
    throw new LmmError(`Unknown --ddf ${quote(ddf)}: choose satterthwaite, kenward-roger or none.`);
  }
  const method = flags.confint;
  if (method !== undefined && method !== "wald" && method !== "profile" && method !== "boot") {
    throw new LmmError(`Unknown --confint ${quote(method)}: choose wald, profile or boot.`);
  }
  const nsim = flags.nsim === undefined ? undefined : Number(flags.nsim);
  const seed = flags.seed === undefined ? undefined : Number(flags.seed);
  for (const [name, v] of [["--nsim", nsim], ["--seed", seed]] as const) {
    if (v !== undefined && !Number.isInteger(v)) throw new LmmError(`${name} must be a whole number.`);
  }
  const model = await lmer(formula, frame, { REML: !flags.ml, dataName: basename(data), ...(ddf && { ddf }), ...designOptions(flags) });
  const intervals = method ? await model.confint({ method, nsim, seed }) : undefined;
  if (flags.json) {
    out(JSON.stringify({ ...model.toJSON(), ...(intervals ? { [`confint_${method}`]: intervals } : {}) }, null, 2) + "\n");
    return;
  }
  out(model.summary());
  if (intervals) out(`\n${formatConfint(intervals, method!)}`);
}

async function compareCommand(data: string, formulas: string[], flags: { json?: boolean; refit?: string } & DesignFlags, out: (s: string) => void): Promise<void> {
  if (flags.refit !== undefined && flags.refit !== "true" && flags.refit !== "false") throw new LmmError(`--refit takes true or false, not ${quote(flags.refit)}.`);
  const frame = await readCSV(data);
  const perModel = (flag: string, values: string[] | undefined): (string | undefined)[] => {
    if (!values || values.length === 0) return formulas.map(() => undefined);
    if (values.length === 1) return formulas.map(() => values[0]);
    if (values.length !== formulas.length) {
      throw new LmmError(`${flag} is given ${values.length} times for ${formulas.length} models: give it once (for every model) or once per model, in the order of the formulas ('none' for a model without).`);
    }
    return values;
  };
  const residual = (flag: string, values: string[] | undefined) => perModel(flag, values).map((v) => (v === "none" ? undefined : v));
  const correlations = residual("--correlation", flags.correlation);
  const variances = residual("--variance", flags.variance);
  const design = designOptions({ ...flags, correlation: undefined, variance: undefined });
  // Each model codes the factors it has; a factor in none of them is a slip.
  const contrasts = design.contrasts ?? {};
  const fixedParts = formulas.map((f) => parseFormula(f).fixed);
  const absent = Object.keys(contrasts).find((name) => !fixedParts.some((fixed) => fixed.terms.some((term) => term.includes(name))));
  if (absent !== undefined) throw new LmmError(`--contrasts names ${quote(absent)}, which is in the fixed effects of none of the models.`);
  const models = await Promise.all(
    formulas.map((f, i) =>
      lmer(f, frame, {
        ddf: "none",
        ...design,
        contrasts: contrastsOfTerms(fixedParts[i], contrasts),
        ...(correlations[i] !== undefined && { correlation: correlations[i] }),
        ...(variances[i] !== undefined && { variance: variances[i] }),
      }),
    ),
  );
  const lrt = await likelihoodRatioTest(...models, { refit: flags.refit !== "false" });
  out(flags.json ? JSON.stringify(lrt, null, 2) + "\n" : formatLrt(lrt, basename(data)));
}

/** Build the program; `out` and `err` let tests capture output, `progress` draws a progress line on a TTY. */
export function buildProgram(out: (s: string) => void, err: (s: string) => void, progress?: Terminal["progress"]): Command {
  const program = new Command();
  program
    .name("lmm")
    .description("Linear mixed-effects models with lme4's formula syntax and numbers.")
    .version(PACKAGE_VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: out,
      writeErr: err,
      outputError: (message, write) => write(`lmm: ${message.replace(/^error: /, "")}`),
    });
  withDesignOptions(program.command("fit"))
    .description("Fit a linear mixed model to a CSV file and print an lme4-style summary.")
    .argument("[data]", "CSV file with a header row")
    .argument("[formula]", 'lme4 formula, e.g. "Reaction ~ Days + (Days | Subject)"')
    .option("--ml", "maximum likelihood instead of REML")
    .option("--json", "print the fit as JSON (the fields of lme4's reference fits)")
    .option("--ddf <method>", "denominator df of the t tests: satterthwaite (default, as lmerTest), kenward-roger or none")
    .option("--confint <method>", "95% confidence intervals: wald, profile or boot (parametric bootstrap)")
    .option("--nsim <n>", "bootstrap replicates for --confint boot (default 500)")
    .option("--seed <n>", "seed of the bootstrap (default 42)")
    .option("--example <name>", `fit a bundled example: ${Object.keys(EXAMPLES).join(", ")}`)
    .option("--engine <engine>", "memory (default for CSV: the rows in this process) or duckdb (the default for .parquet: sums computed by DuckDB, out of core)")
    .option("--stats <file>", "fit from the statistics query's result (CSV or Parquet; see lmm sql) instead of data")
    .option("--data <file>", "with --stats: a data file with the table's columns, to read the factors' levels from")
    .option("--rows-out <file>", "through DuckDB: write each used row's fitted, fixed, resid and scaled_resid to a .parquet or .csv file")
    .addHelpText(
      "after",
      `
Examples:
  lmm fit --example sleepstudy
  lmm fit data.csv "y ~ time * group + (time | subject)"
  lmm fit data.csv "y ~ x + (1 | a/b)" --ml --json
  lmm fit cohort.parquet "y ~ time * group + (time | id)"
  lmm fit cohort.parquet "y ~ time * group + (time | id)" --rows-out rows.parquet
  lmm fit --stats stats.csv "y ~ time * group + (time | id)" --levels group=A,B,C

Missing values (empty, NA, NaN) drop their rows; the summary says how many.`,
    )
    .action((data, formula, flags) => fitCommand(data, formula, flags, out));
  withDesignOptions(program.command("sql"))
    .description("Print the statistics query of a model (counts and sums of products per cell of levels) to run where the data live; fit its result with lmm fit --stats.")
    .argument("<formula>", "lme4 formula")
    .option("--table <name>", "the table (or view, or parenthesised query) the query reads")
    .option("--dialect <name>", "duckdb (default), postgres or spark")
    .option("--data <file>", "a data file (CSV or Parquet) with the table's columns, to read the columns' types and the factors' levels from")
    .addHelpText(
      "after",
      `
Without --data, the columns given --levels are text factors with those levels
and every other column the formula uses is numeric.

Example:
  lmm sql "distance ~ age * Sex + (age | Subject)" --table orthodont --dialect postgres --levels Sex=Female,Male`,
    )
    .action((formula, flags) => sqlCommand(formula, flags, out));
  withDesignOptions(program.command("compare"))
    .description("Likelihood-ratio tests of nested models (lme4's anova(m0, m1, ...); ordered by npar; REML fits are refitted by ML).")
    .argument("<data>", "CSV file with a header row")
    .argument("<formulas...>", "two or more models")
    .option("--refit <bool>", "false: compare REML criteria without refitting (models with the same fixed effects)")
    .option("--json", "print the table as JSON")
    .addHelpText(
      "after",
      '\nExamples:\n  lmm compare sleepstudy.csv "Reaction ~ Days + (1 | Subject)" "Reaction ~ Days + (Days | Subject)"\n' +
        '  lmm compare trial.csv "y ~ visit + (1 | id)" "y ~ visit + (1 | id)" --correlation none --correlation "ar1(~ visit | id)"   (one per model)',
    )
    .action((data, formulas, flags) => compareCommand(data, formulas, flags, out));
  withDesignOptions(program.command("structures"))
    .description("Fit one model with each residual correlation structure tried and compare npar, -2 logLik, AIC and BIC (Singer & Willett's Table 7.3).")
    .argument("<data>", "CSV file with a header row")
    .argument("<formula>", "lme4 formula (random-effects terms optional)")
    .requiredOption("--try <structures>", "comma-separated: ar1, car1, cs, us, none (independent residuals), or whole options such as 'ar1(~ visit | id)'")
    .option("--time <column>", "the time covariate of ar1 and car1, the visit factor of us")
    .option("--group <column>", "the groups (subjects) the residuals correlate within (default: the formula's one grouping factor)")
    .option("--ml", "fit by maximum likelihood instead of REML")
    .option("--json", "print the table as JSON")
    .addHelpText("after", '\nExample:\n  lmm structures trial.csv "y ~ visit * arm + (1 | id)" --try none,cs,ar1 --time visit')
    .action(async (data, formula, flags) => {
      if (flags.correlation) throw new LmmError("lmm structures tries the structures of --try: drop --correlation.");
      const structures = String(flags.try).split(/,(?![^(]*\))/).map((s) => s.trim()).filter(Boolean);
      const rows = await compareStructures(formula, await readCSV(data), { structures, time: flags.time, group: flags.group }, { REML: !flags.ml, ...designOptions(flags) });
      out(flags.json ? JSON.stringify(rows, null, 2) + "\n" : formatStructures(rows, !flags.ml));
    });
  withDesignOptions(program.command("anova"))
    .description("Type III F tests of each fixed-effects term with Satterthwaite's df (lmerTest's anova(m)).")
    .argument("<data>", "CSV file with a header row")
    .argument("<formula>", "lme4 formula")
    .option("--ml", "fit by maximum likelihood instead of REML")
    .option("--json", "print the table as JSON")
    .option("--ddf <method>", "denominator df: satterthwaite (default) or kenward-roger")
    .action(async (data, formula, flags) => {
      const ddf = flags.ddf ?? "satterthwaite";
      if (ddf !== "satterthwaite" && ddf !== "kenward-roger") {
        throw new LmmError(`Unknown --ddf ${quote(ddf)} for anova: choose satterthwaite or kenward-roger.`);
      }
      const model = await lmer(formula, await readCSV(data), { REML: !flags.ml, ddf: "none", ...designOptions(flags) });
      const rows = model.anova({ ddf });
      out(flags.json ? JSON.stringify(rows, null, 2) + "\n" : formatAnova(rows, ddf === "kenward-roger" ? "Kenward-Roger" : "Satterthwaite"));
    });
  for (const kind of ["emmeans", "emtrends"] as const) {
    const trends = kind === "emtrends";
    const command = withDesignOptions(program.command(kind))
      .description(
        trends
          ? "Slope of a covariate in each cell of the specs (emmeans' emtrends), with --pairs their differences."
          : "Estimated marginal means of the specs (emmeans' emmeans), with --pairs their pairwise differences.",
      )
      .argument("<data>", "CSV file with a header row")
      .argument("<formula>", "lme4 formula")
      .argument("<specs>", 'the factors: "~ group", "~ group | time", "~ a * b"');
    if (trends) command.option("--var <variable>", "the covariate whose slope is wanted");
    command
      .option("--at <var=values>", "values of a covariate (or levels of a factor) on the grid, e.g. --at time=0,4,8 (repeatable)", collect)
      .option("--pairs", "pairwise differences within each by-group")
      .option("--adjust <method>", "p-value adjustment of --pairs: tukey (default), holm, bonferroni, sidak or none")
      .option("--ddf <method>", "df method: kenward-roger (default for REML fits, as emmeans) or satterthwaite (default for ML fits, very large models and models with a residual structure)")
      .option("--level <p>", "confidence level of the intervals (default 0.95)")
      .option("--ml", "fit by maximum likelihood instead of REML")
      .option("--json", `print { "${kind}": [...], "contrasts": [...] } with emmeans' column names`)
      .addHelpText(
        "after",
        trends
          ? '\nExample:\n  lmm emtrends orthodont.csv "distance ~ age * Sex + (age | Subject)" "~ Sex" --var age --pairs'
          : '\nExample:\n  lmm emmeans orthodont.csv "distance ~ age * Sex + (age | Subject)" "~ Sex | age" --at age=8,14 --pairs',
      )
      .action((data, formula, specs, flags) => emmeansCommand(kind, data, formula, specs, flags, out));
  }
  withDesignOptions(program.command("ranova"))
    .description("Likelihood-ratio tests of the random effects by single term deletions (lmerTest's ranova(m)).")
    .argument("<data>", "CSV file with a header row")
    .argument("<formula>", "lme4 formula")
    .option("--ml", "fit by maximum likelihood instead of REML")
    .option("--json", 'print { "ranova": [ { term, npar, logLik, AIC, LRT, Df, p } ] }')
    .addHelpText("after", '\nExample:\n  lmm ranova sleepstudy.csv "Reaction ~ Days + (Days | Subject)"')
    .action(async (data, formula, flags) => {
      const model = await lmer(formula, await readCSV(data), { REML: !flags.ml, ddf: "none", ...designOptions(flags) });
      const rows = await ranova(model);
      out(flags.json ? JSON.stringify({ ranova: rows }, null, 2) + "\n" : formatRanova(rows, model.formula));
    });
  withDesignOptions(program.command("predict"))
    .description("Fit a model, then predict the rows of new data: CSV of the new data's columns followed by fit (and se, lower, upper).")
    .argument("<data>", "CSV file to fit")
    .argument("<formula>", "lme4 formula")
    .option("--newdata <file>", "CSV file with the rows to predict")
    .option("--no-re", "population-level predictions (without the random effects)")
    .option("--allow-new-levels", "predict unseen groups at the population level instead of failing")
    .option("--se", "with --no-re: standard errors (from the covariance of the fixed effects) and Wald confidence intervals")
    .option("--level <p>", "confidence level of the --se intervals (default 0.95)")
    .option("--ml", "fit by maximum likelihood instead of REML")
    .option("--json", "print an array of row objects with the same keys (missing values as null)")
    .addHelpText(
      "after",
      `
Example:
  lmm predict sleepstudy.csv "Reaction ~ Days + (Days | Subject)" --newdata new.csv --no-re --se

A row of the new data with a missing value in a variable the prediction uses is
kept with fit NA; a note on stderr says how many. Predictions are
written with 15 significant digits, as R's write.csv.`,
    )
    .action((data, formula, flags) => predictCommand(data, formula, flags, out, err));
  withDesignOptions(program.command("batch"))
    .description("Fit one model to every feature (row) of a responses table: one results row per feature, with FDR.")
    .argument("<samples>", "CSV of the samples: one row per sample, the sample id in the first column")
    .argument("<responses>", "CSV, TSV or Parquet of features x samples: feature id, then one column per sample id")
    .argument("<formula>", 'one-sided lme4 formula, e.g. "~ time * group + (1 | id)"')
    .option("--out <file>", "write the results here (.csv, or .json) instead of standard output")
    .option("--coef <name>", "report this coefficient (repeat, or comma-separate; default all)", collect)
    .option("--threads <n>", "worker threads (default: the number of cores)")
    .option("--ml", "maximum likelihood instead of REML")
    .option("--sample-column <name>", "column of the samples file holding the sample ids (default the first)")
    .option("--ddf <method>", "satterthwaite (default: df and p-values) or none (estimates only)")
    .option("--json", "write JSON (an array of records) instead of CSV")
    .option("--resume", "continue the interrupted run whose finished features are in OUT.partial (with --out)")
    .option("--engine <engine>", "memory (default for CSV: the table read into this process) or duckdb (the default for .parquet: features streamed in blocks)")
    .option("--block <features>", "with DuckDB: features read at a time (default 2048); memory holds a few blocks, not the matrix")
    .addHelpText(
      "after",
      `
Example:
  lmm batch samples.csv expression.csv "~ time * group + (1 | id)" --coef time:groupB --out results.csv

Columns: feature, nobs; per coefficient NAME, NAME_se, NAME_t, NAME_df, NAME_p, NAME_fdr
(Benjamini-Hochberg); the variance components (sd_(Intercept)|id, sigma); logLik,
converged, singular, status. Each feature drops its own missing values. With --out, rows
are streamed to FILE.partial (JSON lines) as they finish; FILE is written, with FDR, at
the end. After an interruption, the same command with --resume fits only the rest.
A .parquet responses file (or a CSV with --engine duckdb) is streamed by DuckDB in
blocks of features, so a matrix larger than memory can be fitted.`,
    )
    .action((samples, responses, formula, flags) => batchCommand(samples, responses, formula, flags, { out, err, progress }));
  return program;
}

/** A progress line redrawn in place on standard error, when that is a terminal. */
function terminalProgress(): Terminal["progress"] {
  if (!process.stderr.isTTY) return undefined;
  return (line) => void process.stderr.write(`\r${line}\x1b[K`);
}

/** Run the CLI; returns the process exit code. */
export async function main(
  argv: string[],
  out = (s: string) => void process.stdout.write(s),
  err = (s: string) => void process.stderr.write(s),
  progress = terminalProgress(),
): Promise<number> {
  const program = buildProgram(out, err, progress);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof LmmError) {
      err(`lmm: ${e.message}\n`);
      return 2;
    }
    err(`lmm: internal error: ${(e as Error).message}. Please report it with the command you ran.\n`);
    return 2;
  }
}
