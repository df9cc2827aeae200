# Reference values for Satterthwaite's df with residual structures (nlme's gls
# and lme fits), for test/residual-inference.test.ts. Writes
# test/reference-residual-inference/<case>.json. Run from the repository root:
#   Rscript scripts/make-residual-inference-reference.R [CASE_ID ...]
# (with ids, only those cases are written again).
#
# The recipe is emmeans' for nlme fits (mode = "satterthwaite"): for a
# contrast k'beta, df = 2 (k'Vk)^2 / (g'Ag), V = vcov(beta), A the asymptotic
# covariance of the covariance parameters (nlme's apVar parameters: its
# unconstrained correlation and variance-function coefficients, the random
# effects' log sd, log sigma), g_i = k' dV/dpar_i k. emmeans' own dfargs are
# replaced, for two reasons found while making this reference:
# - A: emmeans takes nlme's apVar, a finite-difference Hessian (fdHess,
#   relative step eps^(1/3)) at nlme's estimates. It is accurate on
#   Orthodont's gls with corAR1 + varIdent (df within 1e-4 of the exact
#   recipe) but not elsewhere: 52.8 instead of 55.69 for the intercept of
#   Orthodont's lme with corAR1, 287.7 instead of 188.4 for the trial's gls
#   with corSymm + varIdent. Here A = 2 H^-1 with H = numDeriv::hessian
#   (Richardson extrapolation) of the REML (or ML) deviance written out below
#   from nlme's own structure objects, checked to be stationary at nlme's
#   estimates.
# - dV/dpar: for gls, emmeans differentiates nlme's glsEstimate with
#   numDeriv::jacobian (exact enough) but rebuilds the model matrix in the
#   data's row order, while nlme holds its structures in group order: unless
#   the data are sorted by group the df are wrong (the data are sorted here,
#   and our fit does not depend on the order of the rows). For lme fits
#   emmeans' only method is "appx-satterthwaite", which regresses the vcov of
#   refits to randomly perturbed responses on their parameters: an estimate
#   with an error of its own. Here dV/dpar = numDeriv::jacobian of
#   vcov(beta) = (sum_i X_i' V_i^-1 X_i)^-1, V_i = Z_i D Z_i' + sigma^2 Lambda_i,
#   written out from the same objects, checked to reproduce the fit's vcov.
# emmeans gives the grids, its dffun (the formula above), the contrasts and
# their p-values.
#
# Each case gives: coefficient df (k = unit vectors), emmeans() grids with
# pairwise contrasts (estimate, SE, df, t.ratio, p.value), and type III F tests
# by lmerTest's method (contestMD: the contrast split along the eigenvectors of
# L V L', each direction's df by the recipe, combined by
# lmerTest:::get_Fstat_ddf), on a refit with sum-to-zero contrasts.
suppressPackageStartupMessages({
  library(nlme)
  library(emmeans)
  library(jsonlite)
})

data_dir <- file.path("test", "reference-residual", "data")
out_dir <- file.path("test", "reference-residual-inference")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

read_sorted <- function(name, group) {
  d <- read.csv(file.path(data_dir, paste0(name, ".csv")), stringsAsFactors = TRUE)
  d[order(d[[group]], seq_len(nrow(d))), ]
}

q <- function(specs, at = NULL, adjust = NULL) list(specs = specs, at = at, adjust = adjust)

cases <- list(
  list(id = "orthodont_ar1_ident_gls", data = "orthodont", group = "Subject", formula = "distance ~ age * Sex",
       correlation = "ar1(~ occ | Subject)", variance = "ident(~ 1 | Sex)",
       fit = function(d, f, method) fit_gls(f, method = method, data = d, correlation = corAR1(form = ~ occ | Subject), weights = varIdent(form = ~ 1 | Sex)),
       queries = list(q("~ Sex | age", at = list(age = c(8, 14))), q("~ Sex"))),
  list(id = "orthodont_cs_gls", data = "orthodont", group = "Subject", formula = "distance ~ age * Sex",
       correlation = "cs(~ 1 | Subject)",
       fit = function(d, f, method) fit_gls(f, method = method, data = d, correlation = corCompSymm(form = ~ 1 | Subject)),
       queries = list(q("~ Sex | age", at = list(age = c(8, 11, 14))))),
  # MMRM: unstructured covariance over the visits (corSymm with varIdent by visit), 8% of visits missing.
  list(id = "trial_us_gls", data = "trial", group = "id", formula = "y ~ arm * visitf",
       correlation = "us(~ visitf | id)",
       fit = function(d, f, method) fit_gls(f, method = method, data = d, correlation = corSymm(form = ~ visit | id), weights = varIdent(form = ~ 1 | visitf),
                                control = glsControl(natural = FALSE)),
       queries = list(q("~ arm | visitf"), q("~ visitf", adjust = "holm"))),
  list(id = "bodyweight_car1_gls", data = "bodyweight", group = "Rat", formula = "weight ~ Time * Diet",
       correlation = "car1(~ Time | Rat)", variance = "ident(~ 1 | Diet)",
       fit = function(d, f, method) fit_gls(f, method = method, data = d, correlation = corCAR1(form = ~ Time | Rat), weights = varIdent(form = ~ 1 | Diet)),
       queries = list(q("~ Diet | Time", at = list(Time = c(1, 64))))),
  list(id = "orthodont_ar1_lme", data = "orthodont", group = "Subject", formula = "distance ~ age * Sex + (1 | Subject)",
       fixed = "distance ~ age * Sex", random = ~ 1 | Subject,
       correlation = "ar1(~ occ | Subject)",
       fit = function(d, f, method) fit_lme(f, method = method, random = ~ 1 | Subject, data = d, correlation = corAR1(form = ~ occ | Subject)),
       queries = list(q("~ Sex | age", at = list(age = c(8, 14))), q("~ Sex"))),
  list(id = "bodyweight_car1_lme", data = "bodyweight", group = "Rat", formula = "weight ~ Time * Diet + (1 | Rat)",
       fixed = "weight ~ Time * Diet", random = ~ 1 | Rat,
       correlation = "car1(~ Time | Rat)",
       fit = function(d, f, method) fit_lme(f, method = method, random = ~ 1 | Rat, data = d, correlation = corCAR1(form = ~ Time | Rat)),
       queries = list(q("~ Diet | Time", at = list(Time = c(1, 64))))),
  list(id = "orthodont_ident_slope_lme", data = "orthodont", group = "Subject", formula = "distance ~ age * Sex + (age | Subject)",
       fixed = "distance ~ age * Sex", random = ~ age | Subject,
       variance = "ident(~ 1 | Sex)",
       fit = function(d, f, method) fit_lme(f, method = method, random = ~ age | Subject, data = d, weights = varIdent(form = ~ 1 | Sex)),
       queries = list(q("~ Sex | age", at = list(age = c(8, 14)))))
)
# ML fits of two of them (nlme's gls scales an ML fit's vcov(beta) by N / (N - p); its lme does not).
ml <- function(id) modifyList(Find(function(cs) cs$id == id, cases), list(id = paste0(id, "_ml"), REML = FALSE))
cases <- c(cases, list(ml("orthodont_ar1_ident_gls"), ml("orthodont_ar1_lme")))
method_of <- function(cs) if (isFALSE(cs$REML)) "ML" else "REML"

# The formula and data go into the fit's call as values: emmeans evaluates call$model and call$data.
fit_gls <- function(f, ...) do.call(gls, list(model = f, ...))
fit_lme <- function(f, ...) do.call(lme, list(fixed = f, ...))

# vcov(beta) and the REML deviance of a fit as functions of nlme's apVar
# parameters (see the top): V_i = Z_i D Z_i' + sigma^2 Lambda_i per group of
# the correlation, D through nlme's own pdMat classes (none for gls), Lambda_i
# through its corStruct and varFunc objects.
structure_functions <- function(fit, d, cs) {
  REML <- method_of(cs) == "REML"
  ms <- fit$modelStruct
  pars <- attr(fit$apVar, "Pars")
  X <- model.matrix(as.formula(if (is.null(cs$fixed)) cs$formula else cs$fixed), d)
  y <- d[[all.vars(as.formula(cs$formula))[1]]]
  rows <- split(seq_len(nrow(d)), d[[cs$group]])
  re <- NULL
  if (!is.null(cs$random)) {
    Z <- model.matrix(as.formula(call("~", cs$random[[2]][[2]])), d)
    re <- ms$reStruct[[1]]
    matrix(re) <- fit$sigma^2 * pdMatrix(re)
    if (inherits(re, "pdSymm")) re <- pdNatural(re)
  }
  n_re <- if (is.null(re)) 0 else length(coef(re))
  cor_st <- ms$corStruct
  var_st <- ms$varStruct
  n_cor <- if (is.null(cor_st)) 0 else length(coef(cor_st))
  n_var <- if (is.null(var_st)) 0 else length(coef(var_st))
  stopifnot(length(pars) == n_re + n_cor + n_var + 1)
  covariances <- function(x) {
    D <- if (n_re > 0) { coef(re) <- x[seq_len(n_re)]; pdMatrix(re) } else NULL
    cors <- if (n_cor > 0) { coef(cor_st) <- x[n_re + seq_len(n_cor)]; corMatrix(cor_st) } else NULL
    w <- if (n_var > 0) { coef(var_st) <- x[n_re + n_cor + seq_len(n_var)]; varWeights(var_st) } else rep(1, nrow(d))
    s2 <- exp(2 * x[length(x)])
    lapply(names(rows), function(g) {
      r <- rows[[g]]
      R <- if (is.null(cors)) diag(length(r)) else as.matrix(cors[[g]])
      V <- s2 * (R / outer(w[r], w[r]))
      if (!is.null(D)) V <- V + Z[r, , drop = FALSE] %*% D %*% t(Z[r, , drop = FALSE])
      V
    })
  }
  # X' V^-1 X, X' V^-1 y, y' V^-1 y and log|V| summed over the groups.
  sums <- function(x) {
    Vs <- covariances(x)
    out <- list(info = 0, xy = 0, yy = 0, logdet = 0)
    for (k in seq_along(rows)) {
      r <- rows[[k]]
      Xr <- X[r, , drop = FALSE]
      Vi_X <- solve(Vs[[k]], cbind(Xr, y[r]))
      out$info <- out$info + t(Xr) %*% Vi_X[, seq_len(ncol(X)), drop = FALSE]
      out$xy <- out$xy + t(Xr) %*% Vi_X[, ncol(X) + 1]
      out$yy <- out$yy + sum(y[r] * Vi_X[, ncol(X) + 1])
      out$logdet <- out$logdet + as.numeric(determinant(Vs[[k]])$modulus)
    }
    out
  }
  list(
    pars = pars,
    vcov = function(x) solve(sums(x)$info),
    # -2 (REML or ML) log-likelihood less its constant.
    deviance = function(x) {
      s <- sums(x)
      s$logdet + (if (REML) as.numeric(determinant(s$info)$modulus) else 0) + s$yy - sum(s$xy * solve(s$info, s$xy))
    }
  )
}

# The recipe's V, A and dV/dpar (see the top).
recipe_dfargs <- function(fit, d, cs) {
  f <- structure_functions(fit, d, cs)
  V <- vcov(fit)
  # nlme's gls scales an ML fit's vcov by N / (N - p): dV/dpar with it (df do not depend on a constant factor of V).
  scale <- V[1, 1] / f$vcov(f$pars)[1, 1]
  stopifnot(max(abs(scale * f$vcov(f$pars) - V)) < 1e-6 * max(abs(V)))
  # nlme's estimates are a stationary point of the deviance written out here.
  gradient <- numDeriv::grad(f$deviance, f$pars)
  cat(sprintf("  %s: max |gradient| of the deviance at nlme's estimates %.1e\n", cs$id, max(abs(gradient))))
  stopifnot(max(abs(gradient)) < 1e-2)
  A <- 2 * solve(numDeriv::hessian(f$deviance, f$pars))
  jac <- scale * numDeriv::jacobian(function(x) c(f$vcov(x)), f$pars)
  list(V = V, A = A, G = lapply(seq_len(ncol(jac)), function(j) matrix(jac[, j], nrow(V))))
}

# emmeans' reference grid (its dffun is the recipe's formula) with the recipe's dfargs.
recipe_grid <- function(fit, d, dfargs, ...) {
  set.seed(1) # emmeans' random-perturbation derivative for lme fits runs first; its dfargs are replaced
  # An ML lme fit's vcov as nlme's (and ours, and lme4's): without emmeans' N / (N - p) (sigmaAdjust).
  rg <- if (inherits(fit, "lme")) suppressMessages(ref_grid(fit, data = d, mode = "satterthwaite", sigmaAdjust = FALSE, ...))
        else ref_grid(fit, data = d, mode = "satterthwaite", ...)
  stopifnot(max(abs(rg@V - dfargs$V)) < 1e-12 * max(abs(dfargs$V)))
  rg@dfargs <- dfargs
  rg
}

coefficient_df <- function(rg) {
  p <- nrow(rg@dfargs$V)
  setNames(sapply(seq_len(p), function(j) rg@dffun(diag(p)[, j], rg@dfargs)), rownames(rg@dfargs$V))
}

type3 <- function(cs, d) {
  old <- options(contrasts = c("contr.sum", "contr.poly"))
  on.exit(options(old))
  fixed <- as.formula(if (is.null(cs$fixed)) cs$formula else cs$fixed)
  fit <- cs$fit(d, fixed, method_of(cs))
  rg <- recipe_grid(fit, d, recipe_dfargs(fit, d, cs))
  V <- rg@dfargs$V
  b <- if (inherits(fit, "gls")) coef(fit) else fixef(fit)
  assign <- attr(model.matrix(fixed, d), "assign")
  labels <- attr(terms(fixed), "term.labels")
  rows <- lapply(seq_along(labels), function(t) {
    L <- diag(length(b))[assign == t, , drop = FALSE]
    e <- eigen(L %*% V %*% t(L), symmetric = TRUE)
    keep <- e$values > 1e-8 * max(e$values)
    P <- t(e$vectors[, keep, drop = FALSE]) %*% L
    nu <- apply(P, 1, function(k) rg@dffun(k, rg@dfargs))
    t2 <- (P %*% b)^2 / e$values[keep]
    F <- mean(t2)
    ddf <- lmerTest:::get_Fstat_ddf(nu)
    list(term = labels[t], NumDF = sum(keep), DenDF = ddf, F = F, p.value = pf(F, sum(keep), ddf, lower.tail = FALSE))
  })
  list(objective = -2 * as.numeric(logLik(fit)), rows = rows)
}

out_case <- function(cs) {
  d <- read_sorted(cs$data, cs$group)
  fixed <- as.formula(if (is.null(cs$fixed)) cs$formula else cs$fixed)
  fit <- cs$fit(d, fixed, method_of(cs))
  stopifnot(is.matrix(fit$apVar))
  dfargs <- recipe_dfargs(fit, d, cs)
  rg <- recipe_grid(fit, d, dfargs)
  queries <- lapply(cs$queries, function(qq) {
    g <- if (is.null(qq$at)) rg else recipe_grid(fit, d, dfargs, at = qq$at)
    e <- emmeans(g, as.formula(qq$specs))
    cargs <- list(e, method = "pairwise")
    if (!is.null(qq$adjust)) cargs$adjust <- qq$adjust
    pairs <- as.data.frame(summary(do.call(contrast, cargs), infer = c(FALSE, TRUE)))
    list(specs = qq$specs, at = qq$at, adjust = qq$adjust, rows = as.data.frame(summary(e)), contrasts = pairs)
  })
  list(id = cs$id, data = file.path(data_dir, paste0(cs$data, ".csv")), formula = cs$formula,
       correlation = cs$correlation, variance = cs$variance, REML = method_of(cs) == "REML",
       kind = if (inherits(fit, "gls")) "gls" else "lme",
       objective = -2 * as.numeric(logLik(fit)),
       coefficients = as.list(coefficient_df(rg)),
       queries = queries,
       anova = type3(cs, d),
       generator = "scripts/make-residual-inference-reference.R",
       versions = list(R = paste(R.version$major, R.version$minor, sep = "."), nlme = as.character(packageVersion("nlme")),
                       emmeans = as.character(packageVersion("emmeans")), numDeriv = as.character(packageVersion("numDeriv"))))
}

only <- commandArgs(trailingOnly = TRUE)
for (cs in cases) {
  if (length(only) > 0 && !(cs$id %in% only)) next
  res <- out_case(cs)
  writeLines(toJSON(res, auto_unbox = TRUE, digits = 15, pretty = TRUE, na = "null", null = "null"), file.path(out_dir, paste0(cs$id, ".json")))
  cat(cs$id, "\n")
}
