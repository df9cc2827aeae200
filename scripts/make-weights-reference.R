# Reference fits for prior weights and the offset option (issue 12, part 3):
# lme4 fits with `weights =` and `offset =`, lmerTest's Satterthwaite and
# pbkrtest's Kenward-Roger df on them, written to test/reference-weights/.
#
#   Rscript scripts/make-weights-reference.R      (run from the repository root)
#
# Weights are seeded draws added as a column; data are written as CSV and
# re-read with read.csv(stringsAsFactors = TRUE), as the other reference sets.

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
root <- if (length(script)) normalizePath(file.path(dirname(script), "..")) else getwd()
out_dir <- file.path(root, "test", "reference-weights")
data_dir <- file.path(out_dir, "data")
case_dir <- file.path(out_dir, "cases")
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)
dir.create(case_dir, recursive = TRUE, showWarnings = FALSE)

ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))

write_data <- function(d, name) {
  d <- as.data.frame(d)
  for (v in names(d)) if (is.factor(d[[v]])) d[[v]] <- as.character(d[[v]])
  file <- file.path(data_dir, paste0(name, ".csv"))
  write.csv(d, file, row.names = FALSE)
  read.csv(file, stringsAsFactors = TRUE)
}

named <- function(x) as.list(setNames(as.numeric(x), names(x)))
df_column <- function(mt, ddf) {
  co <- summary(mt, ddf = ddf)$coefficients
  named(setNames(co[, "df"], rownames(co)))
}

# pbkrtest's vcovAdj ignores prior weights (it builds V = Z G Z' + sigma^2 I
# without W^-1): its df for a weighted fit are those of another model. The
# weighted model is exactly the unweighted model of the rows scaled by sqrt(w)
# (same theta, beta, sigma), so the Kenward-Roger reference is pbkrtest's on
# that model, written with explicit columns.
whitened_kenward_roger <- function(m, w) {
  s <- sqrt(w)
  X <- getME(m, "X")
  nd <- data.frame(.y = (getME(m, "y") - getME(m, "offset")) * s)
  fixed <- character(0)
  for (j in seq_len(ncol(X))) {
    nd[[paste0(".x", j)]] <- X[, j] * s
    fixed <- c(fixed, paste0(".x", j))
  }
  cnms <- getME(m, "cnms")
  Ztlist <- getME(m, "Ztlist")
  flist <- getME(m, "flist")
  random <- character(0)
  e <- 0 # Ztlist has one levels x n matrix per column of each term
  for (k in seq_along(cnms)) {
    nd[[paste0(".g", k)]] <- flist[[names(cnms)[k]]]
    cols <- character(0)
    for (j in seq_along(cnms[[k]])) {
      e <- e + 1
      nd[[paste0(".z", k, "_", j)]] <- colSums(as.matrix(Ztlist[[e]])) * s
      cols <- c(cols, paste0(".z", k, "_", j))
    }
    random <- c(random, sprintf("(0 + %s | .g%d)", paste(cols, collapse = " + "), k))
  }
  f <- as.formula(paste(".y ~ 0 +", paste(c(fixed, random), collapse = " + ")))
  mw <- lmerTest::lmer(f, data = nd, REML = TRUE, control = ctrl)
  stopifnot(max(abs(fixef(mw) - fixef(m))) < 1e-6 * max(abs(fixef(m))), abs(sigma(mw) / sigma(m) - 1) < 1e-6)
  setNames(df_column(mw, "Kenward-Roger"), names(fixef(m)))
}

# weights/offset: column names of d (NULL for none).
make_case <- function(id, dataname, d, formula, REML, weights = NULL, offset = NULL, newdata = NULL) {
  d$.w <- if (is.null(weights)) NULL else d[[weights]]
  d$.o <- if (is.null(offset)) NULL else d[[offset]]
  fit <- function(pkg_lmer) {
    eval(bquote(pkg_lmer(as.formula(formula), data = d, REML = REML, control = ctrl,
      weights = .(if (is.null(weights)) NULL else quote(.w)),
      offset = .(if (is.null(offset)) NULL else quote(.o)))))
  }
  m <- fit(lme4::lmer)
  mt <- as(fit(lmerTest::lmer), "lmerModLmerTest")
  fe <- fixef(m)
  case <- list(
    id = id, data = paste0(dataname, ".csv"), formula = formula, REML = REML,
    weights = weights, offset = offset,
    coef_names = I(names(fe)), fixef = named(fe),
    se = named(setNames(sqrt(diag(as.matrix(vcov(m)))), names(fe))),
    theta = I(as.numeric(getME(m, "theta"))), sigma = sigma(m),
    objective = if (REML) REMLcrit(m) else deviance(m),
    logLik = as.numeric(logLik(m)),
    nobs = nobs(m),
    # lme4's summary: quantiles of the Pearson residuals over sigma.
    scaled_residuals = I(as.numeric(quantile(residuals(m, type = "pearson") / sigma(m)))),
    df_satterthwaite = df_column(mt, "Satterthwaite")
  )
  if (REML) case$df_kenward_roger <- if (is.null(weights)) df_column(mt, "Kenward-Roger") else whitened_kenward_roger(m, d$.w)
  if (!is.null(newdata)) {
    case$newdata <- newdata
    case$predict <- as.numeric(predict(m, newdata = newdata))
    case$predict_population <- as.numeric(predict(m, newdata = newdata, re.form = NA))
  }
  writeLines(toJSON(case, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"), file.path(case_dir, paste0(id, ".json")))
}

set.seed(20261130)
sleep <- lme4::sleepstudy
sleep$w <- round(runif(nrow(sleep), 0.25, 4), 3)
sleep$o <- round(sleep$Days * 1.5, 2)
sleep <- write_data(sleep, "sleepstudy")
sleep_new <- data.frame(Days = c(0.5, 3, 7.25), Subject = factor(c("308", "309", "372")), w = 1, o = c(0.75, 4.5, 10.875))

ortho <- nlme::Orthodont
ortho$w <- round(1 / (ortho$age - 6), 4)
ortho <- write_data(ortho, "orthodont")

pen <- lme4::Penicillin
pen$w <- round(rexp(nrow(pen)) + 0.1, 3)
pen <- write_data(pen, "penicillin")

pastes <- lme4::Pastes
pastes$w <- sample(1:5, nrow(pastes), replace = TRUE)
pastes <- write_data(pastes, "pastes")

make_case("sleep_weights_reml", "sleepstudy", sleep, "Reaction ~ Days + (Days | Subject)", TRUE, weights = "w", newdata = sleep_new)
make_case("sleep_weights_ml", "sleepstudy", sleep, "Reaction ~ Days + (Days | Subject)", FALSE, weights = "w")
make_case("sleep_offset_option", "sleepstudy", sleep, "Reaction ~ Days + (1 | Subject)", TRUE, offset = "o")
make_case("sleep_weights_offset", "sleepstudy", sleep, "Reaction ~ Days + offset(Days / 2) + (Days || Subject)", TRUE, weights = "w", offset = "o")
make_case("ortho_weights_sex_age", "orthodont", ortho, "distance ~ age * Sex + (1 | Subject)", TRUE, weights = "w")
make_case("penicillin_weights_crossed", "penicillin", pen, "diameter ~ 1 + (1 | plate) + (1 | sample)", TRUE, weights = "w")
make_case("pastes_counts_nested", "pastes", pastes, "strength ~ 1 + (1 | batch/cask)", FALSE, weights = "w")
