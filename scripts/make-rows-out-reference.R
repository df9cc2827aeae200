# Reference values for the per-row outputs of a fit (lmm fit --rows-out, issue
# 15 part 3): for each lme4 fit, the rows used (their row names in the data,
# rows with missing values left out by na.omit) and per row
#   fitted       = fitted(m)                       X beta + Z b
#   fixed        = predict(m, re.form = NA)        X beta
#   resid        = residuals(m)                    y - fitted
#   scaled_resid = residuals(m, type = "pearson", scaled = TRUE), whose
#                  quantiles summary(m) prints as the scaled residuals
# The data are the conformance suite's CSV files, read as the reference read them.
#
#   Rscript scripts/make-rows-out-reference.R      (run from any folder)

script <- sub("^--file=", "", grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE))
source(file.path(if (length(script)) dirname(script) else "scripts", "reference-setup.R"))
out <- file.path(reference_root, "test", "reference-rows-out")
dir.create(out, recursive = TRUE, showWarnings = FALSE)

cases <- list()
make_case <- function(id, data, formula, REML) {
  d <- read.csv(file.path(reference_root, "test", data), stringsAsFactors = TRUE)
  m <- lmer(as.formula(formula), data = d, REML = REML, control = tight_bobyqa)
  scaled <- residuals(m, type = "pearson", scaled = TRUE)
  stopifnot(isTRUE(all.equal(unname(scaled), unname(residuals(m)) / sigma(m), tolerance = 1e-12)))
  stopifnot(isTRUE(all.equal(unname(quantile(scaled)), unname(summary(m)$residuals |> quantile()), tolerance = 1e-12)))
  cases[[length(cases) + 1]] <<- list(
    id = id, data = data, formula = formula, REML = REML, nobs = nobs(m), sigma = sigma(m),
    row = as.integer(names(fitted(m))),
    fitted = unname(fitted(m)),
    fixed = unname(predict(m, re.form = NA)),
    resid = unname(residuals(m)),
    scaled_resid = unname(scaled)
  )
}

make_case("sleepstudy_slope_reml", "reference/data/sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", TRUE)
make_case("sleepstudy_missing_reml", "reference-extra/data/sleepstudy_missing.csv", "Reaction ~ Days + (Days | Subject)", TRUE)
make_case("sleepstudy_log_quadratic_ml", "reference/data/sleepstudy.csv", "log(Reaction) ~ Days + I(Days^2) + (Days | Subject)", FALSE)
make_case("orthodont_agesex_ml", "reference/data/orthodont.csv", "distance ~ age * Sex + (age | Subject)", FALSE)
make_case("penicillin_crossed_reml", "reference/data/penicillin.csv", "diameter ~ 1 + (1 | plate) + (1 | sample)", TRUE)
make_case("pastes_nested_reml", "reference/data/pastes.csv", "strength ~ 1 + (1 | batch/cask)", TRUE)

writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(out, "rows.json"))
