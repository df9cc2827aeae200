# Reference fits of structured random-effects terms (glmmTMB's us, diag, cs,
# homcs, ar1, toep) on a simulated longitudinal data set, REML and ML, for
# test/structures.test.ts. The data are simulated here (seeded) and written
# beside the fits, so the test reads exactly what glmmTMB fitted.
#
# Each subject is measured twice at each of 5 visits (some measurements are
# missing), so that the visit-level random effects are identified apart from
# the residual. lmerTest fits of models that are the same model in lme4's
# syntax give Satterthwaite df for the structures that have such a twin.
#
# Run: Rscript scripts/make-structures-reference.R  (writes test/reference-structures/)
suppressPackageStartupMessages({
  library(glmmTMB)
  library(lme4)
  library(lmerTest)
  library(jsonlite)
  library(Matrix)
})

out_dir <- file.path("test", "reference-structures")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

set.seed(20261130)
n_subject <- 60
visits <- paste0("v", 1:5)
q <- length(visits)
sds <- c(1.0, 1.2, 1.4, 1.6, 1.8)
Sigma <- outer(1:q, 1:q, function(j, k) sds[j] * sds[k] * 0.6^abs(j - k))
b <- MASS::mvrnorm(n_subject, rep(0, q), Sigma)
arm <- rep(c("A", "B"), length.out = n_subject)
rows <- expand.grid(rep = 1:2, visit = 1:q, subject = 1:n_subject)
rows$y <- 10 + 0.5 * (rows$visit - 1) + ifelse(arm[rows$subject] == "B", 1, 0) +
  b[cbind(rows$subject, rows$visit)] + rnorm(nrow(rows), sd = 0.8)
keep <- runif(nrow(rows)) > 0.1
data <- data.frame(
  subject = sprintf("s%02d", rows$subject),
  arm = arm[rows$subject],
  visit = visits[rows$visit],
  time = rows$visit - 1,
  y = round(rows$y, 4)
)[keep, ]
write.csv(data, file.path(out_dir, "longitudinal.csv"), row.names = FALSE)
data <- read.csv(file.path(out_dir, "longitudinal.csv"), stringsAsFactors = TRUE)

# (structure, glmmTMB formula, lme4 twin for Satterthwaite or NA)
models <- list(
  list(structure = "us", formula = "y ~ visit + arm + us(1 + time | subject)", twin = "y ~ visit + arm + (1 + time | subject)"),
  list(structure = "us", formula = "y ~ visit + arm + us(0 + visit | subject)", twin = NA),
  list(structure = "diag", formula = "y ~ visit + arm + diag(1 + time | subject)", twin = "y ~ visit + arm + (1 + time || subject)"),
  list(structure = "cs", formula = "y ~ visit + arm + cs(0 + visit | subject)", twin = NA),
  list(structure = "ar1", formula = "y ~ visit + arm + ar1(0 + visit | subject)", twin = NA),
  list(structure = "toep", formula = "y ~ visit + arm + toep(0 + visit | subject)", twin = NA)
)

# The standard errors lme4 reports, sqrt(diag((X' V^-1 X)^-1)) at the estimates
# (V = Z G Z' + sigma^2 I). glmmTMB's own (sdreport) invert the observed
# information of all parameters jointly, whose beta-theta cross terms make them
# differ from these (here by up to 7%); both are kept.
gls_se <- function(m) {
  X <- getME(m, "X")
  Z <- getME(m, "Z")  # columns subject by subject, the term's columns within
  Sigma <- unclass(VarCorr(m)$cond$subject)[, ]
  G <- kronecker(Diagonal(nlevels(data$subject)), Matrix(Sigma, sparse = FALSE))
  V <- Z %*% G %*% t(Z) + sigma(m)^2 * Diagonal(nrow(X))
  sqrt(diag(as.matrix(solve(t(X) %*% solve(V, X)))))
}

# Satterthwaite's df as lmerTest defines them, computed here from scratch for
# the structures without an lme4 twin: the deviance (REML or ML, beta profiled
# out) as a function of the variance parameters in their natural scale
# (standard deviations, the structure's correlations, sigma), built from dense
# V = Z G Z' + sigma^2 I; A = 2 H^-1 from numDeriv's Hessian of it at the
# estimates, and df_j = 2 C_jj^2 / (g' A g) with g the gradient of
# C_jj = ((X'V^-1X)^-1)_jj. The df do not depend on the parameterisation.
correlation_of <- function(structure, r) {
  lag <- abs(outer(1:q, 1:q, "-"))
  switch(structure,
    cs = ifelse(lag == 0, 1, r),
    ar1 = r^lag,
    toep = ifelse(lag == 0, 1, c(1, r)[lag + 1])
  )
}
satterthwaite_df <- function(m, structure, reml) {
  X <- getME(m, "X")
  Z <- getME(m, "Z")
  n <- nrow(X)
  vc <- VarCorr(m)$cond$subject
  sds <- attr(vc, "stddev")
  cor <- attr(vc, "correlation")
  homogeneous <- structure == "ar1"
  r <- switch(structure, cs = cor[2, 1], ar1 = cor[2, 1], toep = cor[2:q, 1])
  par <- c(if (homogeneous) sds[1] else sds, r, sigma(m))
  n_sd <- if (homogeneous) 1 else q
  pieces <- function(par) {
    s <- par[seq_len(n_sd)]
    s <- if (homogeneous) rep(s, q) else s
    R <- correlation_of(structure, par[n_sd + seq_along(r)])
    G <- kronecker(Diagonal(nlevels(data$subject)), Matrix(outer(s, s) * R, sparse = FALSE))
    V <- as.matrix(Z %*% G %*% t(Z)) + par[length(par)]^2 * diag(n)
    U <- chol(V)
    Vi_X <- backsolve(U, forwardsolve(t(U), X))
    XVX <- crossprod(X, Vi_X)
    beta <- solve(XVX, crossprod(Vi_X, data$y))
    res <- data$y - X %*% beta
    dev <- 2 * sum(log(diag(U))) + sum(forwardsolve(t(U), res)^2) +
      if (reml) as.numeric(determinant(XVX)$modulus) + (n - ncol(X)) * log(2 * pi) else n * log(2 * pi)
    list(dev = dev, C = solve(XVX))
  }
  H <- numDeriv::hessian(function(p) pieces(p)$dev, par)
  A <- 2 * solve(H)
  C <- pieces(par)$C
  df <- sapply(seq_len(ncol(X)), function(j) {
    g <- numDeriv::grad(function(p) pieces(p)$C[j, j], par)
    2 * C[j, j]^2 / sum(g * (A %*% g))
  })
  as.list(setNames(df, colnames(X)))
}

fit_case <- function(spec, reml) {
  m <- glmmTMB(as.formula(spec$formula), data = data, REML = reml,
               control = glmmTMBControl(optCtrl = list(iter.max = 1e4, eval.max = 1e4, rel.tol = 1e-14)))
  vc <- VarCorr(m)$cond$subject
  cor <- attr(vc, "correlation")
  beta <- fixef(m)$cond
  se <- sqrt(diag(vcov(m)$cond))
  case <- list(
    structure = spec$structure,
    formula = spec$formula,
    REML = reml,
    nobs = nobs(m),
    objective = -2 * as.numeric(logLik(m)),
    npar = attr(logLik(m), "df"),
    fixef = as.list(beta),
    se = as.list(gls_se(m)[names(beta)]),
    se_glmmTMB = as.list(se[names(beta)]),
    sigma = sigma(m),
    sd = as.list(attr(vc, "stddev")),
    correlation = unname(cor),
    reference = "glmmTMB",
    convergence = m$fit$convergence,
    message = m$fit$message,
    pdHess = m$sdr$pdHess
  )
  if (spec$structure %in% c("cs", "ar1", "toep")) case$satterthwaite_df <- satterthwaite_df(m, spec$structure, reml)
  if (!is.na(spec$twin)) {
    twin <- lmer(as.formula(spec$twin), data = data, REML = reml,
                 control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
    st <- summary(twin)$coefficients
    case$twin <- list(
      formula = spec$twin,
      objective = if (reml) REMLcrit(twin) else deviance(twin),
      satterthwaite_df = as.list(st[, "df"])
    )
  }
  case
}

# glmmTMB 1.1.5 has no homcs: homogeneous compound symmetry with a correlation
# >= 0 is lme4's (1 | subject) + (1 | subject:visit) (variance s_g^2 + s_gv^2,
# correlation s_g^2 / (s_g^2 + s_gv^2)), so lme4 fits its reference.
homcs_case <- function(reml) {
  twin_formula <- "y ~ visit + arm + (1 | subject) + (1 | subject:visit)"
  m <- lmer(as.formula(twin_formula), data = data, REML = reml,
            control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
  vc <- as.data.frame(VarCorr(m))
  v_g <- vc$vcov[vc$grp == "subject"]
  v_gv <- vc$vcov[vc$grp == "subject:visit"]
  rho <- v_g / (v_g + v_gv)
  st <- summary(m)$coefficients
  list(
    structure = "homcs",
    formula = "y ~ visit + arm + homcs(0 + visit | subject)",
    REML = reml,
    nobs = nobs(m),
    objective = if (reml) REMLcrit(m) else deviance(m),
    npar = attr(logLik(m), "df"),
    fixef = as.list(fixef(m)),
    se = as.list(st[, "Std. Error"]),
    sigma = sigma(m),
    sd = as.list(setNames(rep(sqrt(v_g + v_gv), q), paste0("visit", visits))),
    correlation = (1 - rho) * diag(q) + rho,
    reference = "lme4",
    twin = list(formula = twin_formula, objective = if (reml) REMLcrit(m) else deviance(m), satterthwaite_df = as.list(st[, "df"]))
  )
}

cases <- list()
for (spec in models) for (reml in c(TRUE, FALSE)) cases[[length(cases) + 1]] <- fit_case(spec, reml)
for (reml in c(TRUE, FALSE)) cases[[length(cases) + 1]] <- homcs_case(reml)
meta <- list(
  data = "longitudinal.csv",
  R = R.version.string,
  glmmTMB = as.character(packageVersion("glmmTMB")),
  lme4 = as.character(packageVersion("lme4")),
  lmerTest = as.character(packageVersion("lmerTest")),
  cases = cases
)
writeLines(toJSON(meta, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(out_dir, "structures.json"))
