# Reference fits of residual covariance structures (nlme's lme and gls) for
# test/residual.test.ts: AR(1) with an integer time covariate (gaps count),
# continuous-time AR(1), compound symmetry, unstructured (corSymm with
# varIdent by visit: MMRM's "us") and variances by group (varIdent), with and
# without a random intercept, REML and ML. Datasets: nlme's Orthodont and
# BodyWeight, and a seeded simulated trial of 200 subjects x 6 visits with a
# random intercept and AR(1) errors (8% of the visits missing, so subjects
# differ in their pattern of occasions). The data are written as CSV beside
# the fits, so the test reads exactly what nlme fitted.
#
# Each case names the model in lmm-wasm's syntax (formula, correlation and
# variance options) beside the nlme call that fits it.
#
# Run: Rscript scripts/make-residual-reference.R  (writes test/reference-residual/)
suppressPackageStartupMessages({
  library(nlme)
  library(jsonlite)
})

out_dir <- file.path("test", "reference-residual")
data_dir <- file.path(out_dir, "data")
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)

orthodont <- as.data.frame(nlme::Orthodont)
orthodont$Subject <- as.character(orthodont$Subject)
orthodont$Sex <- as.character(orthodont$Sex)
orthodont$occ <- as.integer((orthodont$age - 8) / 2 + 1)
write.csv(orthodont, file.path(data_dir, "orthodont.csv"), row.names = FALSE)

bodyweight <- as.data.frame(nlme::BodyWeight)
bodyweight$Rat <- as.character(bodyweight$Rat)
bodyweight$Diet <- paste0("d", as.character(bodyweight$Diet))
write.csv(bodyweight, file.path(data_dir, "bodyweight.csv"), row.names = FALSE)

# Ovary: one mare's rows are in time order, so ar1(~ 1 | Mare) (positions) is nlme's corAR1(form = ~ 1 | Mare).
ovary <- as.data.frame(nlme::Ovary)
ovary$Mare <- paste0("m", as.character(ovary$Mare))
ovary$sin1 <- sin(2 * pi * ovary$Time)
ovary$cos1 <- cos(2 * pi * ovary$Time)
write.csv(ovary[, c("Mare", "Time", "follicles", "sin1", "cos1")], file.path(data_dir, "ovary.csv"), row.names = FALSE)

set.seed(20261130)
n_subject <- 200
n_visit <- 6
phi <- 0.6
e <- t(replicate(n_subject, as.numeric(arima.sim(list(ar = phi), n_visit, sd = sqrt(1 - phi^2)))))
b <- rnorm(n_subject, sd = 1)
arm <- rep(c("placebo", "active"), length.out = n_subject)
sim <- expand.grid(visit = 1:n_visit, subject = 1:n_subject)
sim$y <- 20 + 0.3 * sim$visit + ifelse(arm[sim$subject] == "active", 0.2 * sim$visit, 0) +
  b[sim$subject] + 1.5 * e[cbind(sim$subject, sim$visit)]
sim <- data.frame(
  id = sprintf("s%03d", sim$subject),
  arm = arm[sim$subject],
  visit = sim$visit,
  visitf = paste0("v", sim$visit),
  y = round(sim$y, 4)
)[runif(nrow(sim)) > 0.08, ]
write.csv(sim, file.path(data_dir, "trial.csv"), row.names = FALSE)

read <- function(name) read.csv(file.path(data_dir, paste0(name, ".csv")), stringsAsFactors = TRUE)
datasets <- list(orthodont = read("orthodont"), bodyweight = read("bodyweight"), trial = read("trial"), ovary = read("ovary"))

# id, data, our formula and options, and the nlme fit (a function of the method).
cases <- list(
  list(id = "orthodont_ar1_lme", data = "orthodont", formula = "distance ~ age * Sex + (1 | Subject)",
       correlation = "ar1(~ occ | Subject)",
       fit = function(d, method) lme(distance ~ age * Sex, random = ~ 1 | Subject, correlation = corAR1(form = ~ occ | Subject), data = d, method = method)),
  list(id = "orthodont_ident_lme", data = "orthodont", formula = "distance ~ age * Sex + (1 | Subject)",
       variance = "ident(~ 1 | Sex)",
       fit = function(d, method) lme(distance ~ age * Sex, random = ~ 1 | Subject, weights = varIdent(form = ~ 1 | Sex), data = d, method = method)),
  list(id = "orthodont_ident_gls", data = "orthodont", formula = "distance ~ age * Sex",
       variance = "ident(~ 1 | Sex)",
       fit = function(d, method) gls(distance ~ age * Sex, weights = varIdent(form = ~ 1 | Sex), data = d, method = method)),
  list(id = "orthodont_cs_gls", data = "orthodont", formula = "distance ~ age * Sex",
       correlation = "cs(~ 1 | Subject)",
       fit = function(d, method) gls(distance ~ age * Sex, correlation = corCompSymm(form = ~ 1 | Subject), data = d, method = method)),
  list(id = "bodyweight_car1_lme", data = "bodyweight", formula = "weight ~ Time * Diet + (1 | Rat)",
       correlation = "car1(~ Time | Rat)",
       fit = function(d, method) lme(weight ~ Time * Diet, random = ~ 1 | Rat, correlation = corCAR1(form = ~ Time | Rat), data = d, method = method)),
  list(id = "bodyweight_ident_gls", data = "bodyweight", formula = "weight ~ Time * Diet",
       correlation = "car1(~ Time | Rat)", variance = "ident(~ 1 | Diet)",
       fit = function(d, method) gls(weight ~ Time * Diet, correlation = corCAR1(form = ~ Time | Rat), weights = varIdent(form = ~ 1 | Diet), data = d, method = method)),
  list(id = "ovary_ar1_gls", data = "ovary", formula = "follicles ~ sin1 + cos1",
       correlation = "ar1(~ 1 | Mare)",
       fit = function(d, method) gls(follicles ~ sin1 + cos1, correlation = corAR1(form = ~ 1 | Mare), data = d, method = method)),
  list(id = "ovary_ar1_lme", data = "ovary", formula = "follicles ~ sin1 + cos1 + (1 | Mare)",
       correlation = "ar1(~ 1 | Mare)",
       fit = function(d, method) lme(follicles ~ sin1 + cos1, random = ~ 1 | Mare, correlation = corAR1(form = ~ 1 | Mare), data = d, method = method)),
  list(id = "trial_ar1_lme", data = "trial", formula = "y ~ visit * arm + (1 | id)",
       correlation = "ar1(~ visit | id)",
       fit = function(d, method) lme(y ~ visit * arm, random = ~ 1 | id, correlation = corAR1(form = ~ visit | id), data = d, method = method)),
  list(id = "trial_ar1_ident_lme", data = "trial", formula = "y ~ visit * arm + (1 | id)",
       correlation = "ar1(~ visit | id)", variance = "ident(~ 1 | arm)",
       fit = function(d, method) lme(y ~ visit * arm, random = ~ 1 | id, correlation = corAR1(form = ~ visit | id), weights = varIdent(form = ~ 1 | arm), data = d, method = method)),
  list(id = "trial_ar1_gls", data = "trial", formula = "y ~ visit * arm",
       correlation = "ar1(~ visit | id)",
       fit = function(d, method) gls(y ~ visit * arm, correlation = corAR1(form = ~ visit | id), data = d, method = method)),
  list(id = "trial_cs_gls", data = "trial", formula = "y ~ visit * arm",
       correlation = "cs(~ 1 | id)",
       fit = function(d, method) gls(y ~ visit * arm, correlation = corCompSymm(form = ~ 1 | id), data = d, method = method)),
  list(id = "trial_us_gls", data = "trial", formula = "y ~ visitf * arm",
       correlation = "us(~ visitf | id)",
       fit = function(d, method) gls(y ~ visitf * arm, correlation = corSymm(form = ~ visit | id), weights = varIdent(form = ~ 1 | visitf), data = d, method = method,
                                     control = glsControl(tolerance = 1e-10, msTol = 1e-10, msMaxIter = 500)))
)

# The correlation parameters as nlme prints them (Phi, Rho, or corSymm's lower triangle by column).
correlation_parameters <- function(m) {
  cs <- m$modelStruct$corStruct
  if (is.null(cs)) return(NULL)
  if (inherits(cs, "corSymm")) {
    R <- corMatrix(cs)
    R <- if (is.list(R)) R[[which.max(sapply(R, nrow))]] else R
    return(R[lower.tri(R)])
  }
  as.numeric(coef(cs, unconstrained = FALSE))
}

# varIdent's standard deviation ratios for every level, the reference level's 1 included (nlme's print).
variance_parameters <- function(m) {
  vs <- m$modelStruct$varStruct
  if (is.null(vs)) return(NULL)
  delta <- coef(vs, unconstrained = FALSE, allCoef = TRUE)
  as.list(delta)
}

fit_case <- function(case, method) {
  d <- datasets[[case$data]]
  m <- case$fit(d, method)
  se <- sqrt(diag(vcov(m)))
  ll <- logLik(m)
  out <- list(
    id = paste0(case$id, "_", tolower(method)),
    data = case$data,
    formula = case$formula,
    correlation = case$correlation,
    variance = case$variance,
    REML = method == "REML",
    nobs = nobs(m),
    objective = -2 * as.numeric(ll),
    logLik = as.numeric(ll),
    npar = attr(ll, "df"),
    AIC = AIC(m),
    BIC = BIC(m),
    fixef = as.list(if (inherits(m, "lme")) fixef(m) else coef(m)),
    se = as.list(se),
    sigma = m$sigma,
    correlation_parameters = correlation_parameters(m),
    variance_parameters = variance_parameters(m),
    # Quantiles of the Pearson residuals (within groups: over sigma times the stratum's sd ratio), as the summary prints them.
    pearson_quantiles = as.numeric(quantile(residuals(m, type = "pearson")))
  )
  if (inherits(m, "lme")) out$sd_intercept <- as.numeric(VarCorr(m)[1, "StdDev"])
  out
}

results <- list()
for (case in cases) for (method in c("REML", "ML")) {
  r <- fit_case(case, method)
  results[[r$id]] <- r
}
# A likelihood-ratio test between structures (nlme's anova of two ML fits):
# the trial's random-intercept model with independent and with AR(1) residuals.
m0 <- lme(y ~ visit * arm, random = ~ 1 | id, data = datasets$trial, method = "ML")
m1 <- cases[[9]]$fit(datasets$trial, "ML")
a <- anova(m0, m1)
lrt <- list(formula = "y ~ visit * arm + (1 | id)", correlation1 = "ar1(~ visit | id)", npar = a$df, logLik = a$logLik,
            AIC = a$AIC, BIC = a$BIC, L.Ratio = a$L.Ratio[2], p.value = a$`p-value`[2])

# nlme's own printout of the summary of two fits, for the text the summary imitates.
printed <- list(
  ar1 = capture.output(print(cases[[1]]$fit(datasets$orthodont, "REML")$modelStruct$corStruct)),
  ident = capture.output(print(cases[[2]]$fit(datasets$orthodont, "REML")$modelStruct$varStruct))
)
write_json(list(nlme = as.character(packageVersion("nlme")), R = R.version.string, cases = unname(results), lrt = lrt, printed = printed),
           file.path(out_dir, "residual.json"), auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null")
