# Reference values for population-level predictions with standard errors and
# confidence intervals (issue 12, part 2): for each lme4 fit, the rows of new
# data are put through the fit's own terms (R's safe prediction: poly's
# coefficients, scale's centre and scale, factor levels), giving X_new; then
#   fit = X_new beta + offset,  se = sqrt(diag(X_new vcov(beta) X_new')),
#   lower/upper = fit -/+ qnorm((1 + level)/2) se
# (Wald intervals with the normal quantile, as lme4's confint(method = "Wald")).
# lme4 1.1-31's predict() has no se.fit, so the fit is also checked against
# predict(m, newdata, re.form = NA) here before anything is written.
#
#   Rscript scripts/make-predict-reference.R      (run from the repository root)
#
# Data are written as CSV and re-read with read.csv(stringsAsFactors = TRUE);
# columns listed in `factors` are then made factors, as lmer()'s `factors` does.

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
root <- if (length(script)) normalizePath(file.path(dirname(script), "..")) else getwd()
out_dir <- file.path(root, "test", "reference-predict")
data_dir <- file.path(out_dir, "data")
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)

ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))

write_data <- function(d, name) {
  d <- as.data.frame(d)
  for (v in names(d)) if (is.factor(d[[v]])) d[[v]] <- as.character(d[[v]])
  file <- file.path(data_dir, paste0(name, ".csv"))
  write.csv(d, file, row.names = FALSE)
  read.csv(file, stringsAsFactors = TRUE)
}

as_factors <- function(d, factors) {
  for (v in factors) d[[v]] <- factor(d[[v]])
  d
}

# X of new data as lme4's predict builds it: the fixed part's terms (with their
# predvars), the fitted factor levels, the fit's contrasts.
new_X <- function(m, newdata) {
  tt <- delete.response(terms(m, fixed.only = TRUE))
  fr <- model.frame(m)
  xlev <- lapply(Filter(is.factor, fr[intersect(names(fr), all.vars(tt, functions = FALSE, unique = TRUE)) ]), levels)
  xlev <- c(xlev, lapply(Filter(is.factor, fr[grepl("^factor\\(", names(fr))]), levels))
  mf <- model.frame(tt, newdata, xlev = xlev, na.action = na.pass)
  X <- model.matrix(tt, mf, contrasts.arg = attr(getME(m, "X"), "contrasts"))
  list(X = X[, names(fixef(m)), drop = FALSE], offset = model.offset(mf))
}

cases <- list()
make_case <- function(id, dataname, d, formula, REML, newdata, level = 0.95, factors = character()) {
  m <- lmer(as.formula(formula), data = as_factors(d, factors), REML = REML, control = ctrl)
  nd <- as_factors(newdata, factors)
  xo <- new_X(m, nd)
  fit <- as.numeric(xo$X %*% fixef(m)) + (if (is.null(xo$offset)) 0 else xo$offset)
  stopifnot(isTRUE(all.equal(fit, as.numeric(predict(m, newdata = nd, re.form = NA)), tolerance = 1e-10)))
  se <- sqrt(rowSums((xo$X %*% as.matrix(vcov(m))) * xo$X))
  z <- qnorm((1 + level) / 2)
  cases[[length(cases) + 1]] <<- list(
    id = id, data = paste0(dataname, ".csv"), formula = formula, REML = REML,
    factors = I(factors), level = level, sigma = sigma(m),
    newdata = newdata, fit = fit, se = se, lower = fit - z * se, upper = fit + z * se
  )
}

sleep <- write_data(lme4::sleepstudy, "sleepstudy")
ortho <- write_data(nlme::Orthodont, "orthodont")
chick <- write_data(data.frame(weight = ChickWeight$weight, Time = ChickWeight$Time,
                               Chick = as.character(ChickWeight$Chick), Diet = as.integer(ChickWeight$Diet)), "chickweight")

sleep_new <- data.frame(Days = c(0, 0.5, 3, 7.25, 10, 12), Subject = c("308", "309", "330", "372", "308", "new"))
ortho_new <- data.frame(age = c(8, 10, 14, 12), Sex = c("Male", "Female", "Female", "Male"), Subject = c("M01", "F02", "F11", "M16"))
chick_new <- data.frame(Time = c(0, 10, 21, 21, 6), Diet = c(1, 2, 3, 4, 3), Chick = c("1", "21", "31", "41", "new"))

make_case("sleep_linear", "sleepstudy", sleep, "Reaction ~ Days + (Days | Subject)", TRUE, sleep_new)
make_case("sleep_linear_ml_90", "sleepstudy", sleep, "Reaction ~ Days + (Days | Subject)", FALSE, sleep_new, level = 0.9)
make_case("sleep_poly2", "sleepstudy", sleep, "Reaction ~ poly(Days, 2) + (1 | Subject)", TRUE, sleep_new)
make_case("sleep_log_quadratic", "sleepstudy", sleep, "log(Reaction) ~ Days + I(Days^2) + (Days | Subject)", TRUE, sleep_new)
make_case("sleep_scale", "sleepstudy", sleep, "Reaction ~ scale(Days) + (scale(Days) | Subject)", TRUE, sleep_new)
make_case("sleep_offset", "sleepstudy", sleep, "Reaction ~ Days + offset(2 * Days) + (Days | Subject)", TRUE, sleep_new)
make_case("ortho_factor_age_sex", "orthodont", ortho, "distance ~ factor(age) * Sex + (1 | Subject)", FALSE, ortho_new)
make_case("chick_diet_factor", "chickweight", chick, "weight ~ Time * Diet + (Time | Chick)", TRUE, chick_new, factors = "Diet")
make_case("chick_log_poly", "chickweight", chick, "log(weight) ~ poly(Time, 2) + Diet + (1 | Chick)", TRUE, chick_new, level = 0.99, factors = "Diet")

writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(out_dir, "predict.json"))
