# Batch conformance reference: lme4 + lmerTest fits of the first features of the
# bundled batch example (examples/batch), one lmer() per feature, written as
# test/reference-batch/lme4-features.json.
#
#   Rscript scripts/make-batch-reference.R      (run from the repository root)
#
# Each feature drops its own missing values; p.adjust(p, "BH") over the same
# features gives the FDR reference for time:groupB.

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(jsonlite)
})

samples <- read.csv("examples/batch/samples.csv", stringsAsFactors = TRUE)
responses <- read.csv("examples/batch/responses.csv", check.names = FALSE)
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
nfeat <- 12
out <- lapply(seq_len(nfeat), function(f) {
  d <- samples
  d$y <- as.numeric(responses[f, as.character(samples$sample)])
  m <- lmer(y ~ time * group + (1 | id), data = d, REML = TRUE, control = ctrl)
  co <- summary(m)$coefficients
  vc <- as.data.frame(VarCorr(m))
  list(
    feature = as.character(responses[f, 1]),
    nobs = nobs(m),
    estimate = as.list(co[, "Estimate"]),
    se = as.list(co[, "Std. Error"]),
    df = as.list(co[, "df"]),
    p = as.list(co[, "Pr(>|t|)"]),
    sd_id = vc$sdcor[vc$grp == "id"],
    sigma = sigma(m),
    logLik = as.numeric(logLik(m))
  )
})
p <- sapply(out, function(r) r$p[["time:groupB"]])
fdr <- p.adjust(p, "BH")
for (i in seq_along(out)) out[[i]]$fdr_time_groupB <- fdr[i]
writeLines(toJSON(list(
  reference = sprintf("lme4 %s (bobyqa, rhoend 1e-12), lmerTest %s", packageVersion("lme4"), packageVersion("lmerTest")),
  formula = "~ time * group + (1 | id)",
  features = out
), auto_unbox = TRUE, digits = NA, pretty = TRUE), "test/reference-batch/lme4-features.json")
