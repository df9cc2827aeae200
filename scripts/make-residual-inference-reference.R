# Reference values for Satterthwaite's df with residual structures (nlme's gls
# and lme fits), for test/residual-inference.test.ts. Writes
# test/reference-residual-inference/<case>.json. Run from the repository root:
#   Rscript scripts/make-residual-inference-reference.R
#
# The recipe is emmeans' for nlme fits (mode = "satterthwaite"): for a
# contrast k'beta, df = 2 (k'Vk)^2 / (g'Ag), V = vcov(beta), A = the fit's
# apVar (nlme's asymptotic covariance of its covariance parameters and
# log(sigma), from a finite-difference Hessian, fdHess), g_i = k' dV/dpar_i k.
#
# - gls: emmeans itself (its gls_grad: dV/dpar by numDeriv::jacobian of
#   nlme's glsEstimate at fixed sigma). Two things make emmeans' answer the
#   recipe's: the data are sorted by the correlation's groups before the fit
#   (gls_grad rebuilds the model matrix in the data's row order, while nlme
#   holds its structures in group order; unsorted, the two disagree and the
#   df are wrong), and corSymm fits use glsControl(natural = FALSE) (with
#   nlme's default natural parameters the apVar's parameters are not the
#   model's, and emmeans falls back to its random-perturbation estimate).
# - lme: emmeans' only method for lme fits is "appx-satterthwaite" (dV/dpar
#   by regressing the vcov of refits to randomly perturbed responses on
#   their parameters), an estimate of the derivative with an error of its
#   own. Here dV/dpar is instead numDeriv::jacobian of
#   vcov(beta) = (sum_i X_i' V_i^-1 X_i)^-1, V_i = Z_i D Z_i' + sigma^2 Lambda_i,
#   written out below in nlme's apVar parameters (D through nlme's own pdMat
#   classes, Lambda_i through its corStruct and varFunc objects), checked to
#   reproduce the fit's vcov at the estimates; V, A and the grid are
#   emmeans' (its ref_grid with these dfargs).
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
       fit = function(d, f) fit_gls(f, data = d, correlation = corAR1(form = ~ occ | Subject), weights = varIdent(form = ~ 1 | Sex)),
       queries = list(q("~ Sex | age", at = list(age = c(8, 14))), q("~ Sex"))),
  list(id = "orthodont_cs_gls", data = "orthodont", group = "Subject", formula = "distance ~ age * Sex",
       correlation = "cs(~ 1 | Subject)",
       fit = function(d, f) fit_gls(f, data = d, correlation = corCompSymm(form = ~ 1 | Subject)),
       queries = list(q("~ Sex | age", at = list(age = c(8, 11, 14))))),
  # MMRM: unstructured covariance over the visits (corSymm with varIdent by visit), 8% of visits missing.
  list(id = "trial_us_gls", data = "trial", group = "id", formula = "y ~ arm * visitf",
       correlation = "us(~ visitf | id)",
       fit = function(d, f) fit_gls(f, data = d, correlation = corSymm(form = ~ visit | id), weights = varIdent(form = ~ 1 | visitf),
                                control = glsControl(natural = FALSE)),
       queries = list(q("~ arm | visitf"), q("~ visitf", adjust = "holm"))),
  list(id = "bodyweight_car1_gls", data = "bodyweight", group = "Rat", formula = "weight ~ Time * Diet",
       correlation = "car1(~ Time | Rat)", variance = "ident(~ 1 | Diet)",
       fit = function(d, f) fit_gls(f, data = d, correlation = corCAR1(form = ~ Time | Rat), weights = varIdent(form = ~ 1 | Diet)),
       queries = list(q("~ Diet | Time", at = list(Time = c(1, 64))))),
  list(id = "orthodont_ar1_lme", data = "orthodont", group = "Subject", formula = "distance ~ age * Sex + (1 | Subject)",
       fixed = "distance ~ age * Sex", random = ~ 1 | Subject,
       correlation = "ar1(~ occ | Subject)",
       fit = function(d, f) fit_lme(f, random = ~ 1 | Subject, data = d, correlation = corAR1(form = ~ occ | Subject)),
       queries = list(q("~ Sex | age", at = list(age = c(8, 14))), q("~ Sex"))),
  list(id = "bodyweight_car1_lme", data = "bodyweight", group = "Rat", formula = "weight ~ Time * Diet + (1 | Rat)",
       fixed = "weight ~ Time * Diet", random = ~ 1 | Rat,
       correlation = "car1(~ Time | Rat)",
       fit = function(d, f) fit_lme(f, random = ~ 1 | Rat, data = d, correlation = corCAR1(form = ~ Time | Rat)),
       queries = list(q("~ Diet | Time", at = list(Time = c(1, 64))))),
  list(id = "orthodont_ident_slope_lme", data = "orthodont", group = "Subject", formula = "distance ~ age * Sex + (age | Subject)",
       fixed = "distance ~ age * Sex", random = ~ age | Subject,
       variance = "ident(~ 1 | Sex)",
       fit = function(d, f) fit_lme(f, random = ~ age | Subject, data = d, weights = varIdent(form = ~ 1 | Sex)),
       queries = list(q("~ Sex | age", at = list(age = c(8, 14)))))
)

# The formula and data go into the fit's call as values: emmeans evaluates call$model and call$data.
fit_gls <- function(f, ...) do.call(gls, list(model = f, ...))
fit_lme <- function(f, ...) do.call(lme, list(fixed = f, ...))

# vcov(beta) and the REML deviance of a fit as functions of nlme's apVar
# parameters (see the top): V_i = Z_i D Z_i' + sigma^2 Lambda_i per group of
# the correlation, D through nlme's own pdMat classes (none for gls), Lambda_i
# through its corStruct and varFunc objects.
structure_functions <- function(fit, d, cs) {
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
    # -2 REML log-likelihood less its constant.
    deviance = function(x) {
      s <- sums(x)
      s$logdet + as.numeric(determinant(s$info)$modulus) + s$yy - sum(s$xy * solve(s$info, s$xy))
    }
  )
}

# The recipe's V, A and dV/dpar (see the top).
recipe_dfargs <- function(fit, d, cs) {
  f <- structure_functions(fit, d, cs)
  V <- vcov(fit)
  stopifnot(max(abs(f$vcov(f$pars) - V)) < 1e-6 * max(abs(V)))
  # nlme's estimates are a stationary point of the deviance written out here.
  gradient <- numDeriv::grad(f$deviance, f$pars)
  cat(sprintf("  %s: max |gradient| of the deviance at nlme's estimates %.1e\n", cs$id, max(abs(gradient))))
  stopifnot(max(abs(gradient)) < 1e-2)
  A <- 2 * solve(numDeriv::hessian(f$deviance, f$pars))
  jac <- numDeriv::jacobian(function(x) c(f$vcov(x)), f$pars)
  list(V = V, A = A, G = lapply(seq_len(ncol(jac)), function(j) matrix(jac[, j], nrow(V))))
}

# emmeans' reference grid (its dffun is the recipe's formula) with the recipe's dfargs.
recipe_grid <- function(fit, d, dfargs, ...) {
  set.seed(1) # emmeans' random-perturbation derivative for lme fits runs first; its dfargs are replaced
  rg <- suppressMessages(ref_grid(fit, data = d, mode = "satterthwaite", ...))
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
  fit <- cs$fit(d, fixed)
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
  fit <- cs$fit(d, fixed)
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
       correlation = cs$correlation, variance = cs$variance, REML = TRUE,
       kind = if (inherits(fit, "gls")) "gls" else "lme",
       objective = -2 * as.numeric(logLik(fit)),
       coefficients = as.list(coefficient_df(rg)),
       queries = queries,
       anova = type3(cs, d),
       generator = "scripts/make-residual-inference-reference.R",
       versions = list(R = paste(R.version$major, R.version$minor, sep = "."), nlme = as.character(packageVersion("nlme")),
                       emmeans = as.character(packageVersion("emmeans")), numDeriv = as.character(packageVersion("numDeriv"))))
}

for (cs in cases) {
  res <- out_case(cs)
  writeLines(toJSON(res, auto_unbox = TRUE, digits = 15, pretty = TRUE, na = "null", null = "null"), file.path(out_dir, paste0(cs$id, ".json")))
  cat(cs$id, "\n")
}
