# Reference fits for functions in formulas (issue 12, parts 1-2 and safe
# prediction): lme4 fits of formulas with log, I(), poly, scale, factor, offset, ...,
# with predictions on new data, written to test/reference-formula/.
#
#   Rscript scripts/make-formula-reference.R      (run from the repository root)
#
# Data are written as CSV and re-read with read.csv(stringsAsFactors = TRUE),
# as the other reference sets, so the fit sees what our CSV reader sees.

script <- sub("^--file=", "", grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE))
source(file.path(if (length(script)) dirname(script) else "scripts", "reference-setup.R"))
ref <- reference_dirs("formula")

make_case <- function(id, dataname, d, formula, REML, newdata) {
  m <- lmer(as.formula(formula), data = d, REML = REML, control = tight_bobyqa)
  fe <- fixef(m)
  case <- list(
    id = id, data = paste0(dataname, ".csv"), formula = formula, REML = REML,
    coef_names = I(names(fe)), fixef = named(fe),
    se = named(setNames(sqrt(diag(as.matrix(vcov(m)))), names(fe))),
    theta = I(as.numeric(getME(m, "theta"))), sigma = sigma(m),
    objective = if (REML) REMLcrit(m) else deviance(m),
    nobs = nobs(m),
    newdata = newdata,
    predict = as.numeric(predict(m, newdata = newdata)),
    predict_population = as.numeric(predict(m, newdata = newdata, re.form = NA))
  )
  writeLines(toJSON(case, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(ref$cases, paste0(id, ".json")))
}

sleep <- write_data(lme4::sleepstudy, ref$data, "sleepstudy")
ortho <- write_data(nlme::Orthodont, ref$data, "orthodont")

sleep_new <- data.frame(Days = c(0.5, 3, 7.25, 10, 12), Subject = factor(c("308", "309", "330", "372", "308")))
ortho_new <- data.frame(age = c(8, 10, 14, 12), Sex = c("Male", "Female", "Female", "Male"), Subject = c("M01", "F02", "F11", "M16"))

make_case("sleep_log_quadratic", "sleepstudy", sleep, "log(Reaction) ~ Days + I(Days^2) + (Days | Subject)", TRUE, sleep_new)
make_case("sleep_poly2", "sleepstudy", sleep, "Reaction ~ poly(Days, 2) + (1 | Subject)", TRUE, sleep_new)
make_case("sleep_poly3_ml", "sleepstudy", sleep, "Reaction ~ poly(Days, 3) + (1 | Subject)", FALSE, sleep_new)
make_case("sleep_poly2_raw", "sleepstudy", sleep, "Reaction ~ poly(Days, 2, raw = TRUE) + (1 | Subject)", TRUE, sleep_new)
make_case("sleep_scale", "sleepstudy", sleep, "Reaction ~ scale(Days) + (scale(Days) | Subject)", TRUE, sleep_new)
make_case("sleep_scale_center", "sleepstudy", sleep, "Reaction ~ scale(Days, scale = FALSE) + (1 | Subject)", TRUE, sleep_new)
make_case("sleep_functions", "sleepstudy", sleep, "sqrt(Reaction) ~ log1p(Days) + I((Days - 4.5)/2) + (1 | Subject)", TRUE, sleep_new)
make_case("sleep_exp_abs", "sleepstudy", sleep, "log10(Reaction) ~ exp(-Days/5) + abs(Days - 4) + log2(Days + 1) + (1 | Subject)", FALSE, sleep_new)
make_case("sleep_random_log", "sleepstudy", sleep, "Reaction ~ log(Days + 1) + (log(Days + 1) | Subject)", TRUE, sleep_new)
make_case("sleep_offset", "sleepstudy", sleep, "Reaction ~ Days + offset(2 * Days) + (Days | Subject)", TRUE, sleep_new)
make_case("sleep_log_offset_ml", "sleepstudy", sleep, "log(Reaction) ~ 1 + offset(log(Days + 1)/10) + (1 | Subject)", FALSE, sleep_new)
make_case("ortho_factor_age", "orthodont", ortho, "distance ~ factor(age) + Sex + (1 | Subject)", TRUE, ortho_new)
make_case("ortho_factor_interaction", "orthodont", ortho, "distance ~ factor(age) * Sex + (1 | Subject)", FALSE, ortho_new)
