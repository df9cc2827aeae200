# Reference values for the "answers" the package gives beyond the fit: the
# intraclass correlation (performance::icc) and Nakagawa's R^2
# (performance::r2_nakagawa), from lme4 fits of the CSVs named below.
# Writes test/reference-answers/icc-r2.json (and, below, ranova.json and
# lrt.json). Run from the repository root:
#   Rscript scripts/make-answers-reference.R
suppressMessages({
  library(lme4)
  library(performance)
  library(jsonlite)
})

cases <- list(
  list(id = "sleepstudy_empty", data = "test/reference/data/sleepstudy.csv", formula = "Reaction ~ 1 + (1 | Subject)", REML = TRUE),
  list(id = "sleepstudy_slope", data = "test/reference/data/sleepstudy.csv", formula = "Reaction ~ Days + (Days | Subject)", REML = TRUE),
  list(id = "sleepstudy_zerocorr_ml", data = "test/reference/data/sleepstudy.csv", formula = "Reaction ~ Days + (Days || Subject)", REML = FALSE),
  list(id = "orthodont_agesex", data = "test/reference/data/orthodont.csv", formula = "distance ~ age * Sex + (age | Subject)", REML = TRUE),
  list(id = "penicillin_crossed", data = "test/reference/data/penicillin.csv", formula = "diameter ~ 1 + (1 | plate) + (1 | sample)", REML = TRUE),
  list(id = "pastes_nested", data = "test/reference/data/pastes.csv", formula = "strength ~ 1 + (1 | batch/cask)", REML = TRUE),
  list(id = "machines_slope", data = "test/reference-extra/data/machines.csv", formula = "score ~ Machine + (1 | Worker)", REML = TRUE),
  list(id = "mathach_ses", data = "test/reference-extra/data/mathach.csv", formula = "MathAch ~ SES * Sector + (SES | School)", REML = TRUE),
  list(id = "chickweight_quad", data = "test/reference-extra/data/chickweight.csv", formula = "weight ~ Time * Diet + (Time | Chick)", REML = FALSE)
)

out <- list(
  generator = "scripts/make-answers-reference.R",
  lme4 = as.character(packageVersion("lme4")),
  performance = as.character(packageVersion("performance")),
  insight = as.character(packageVersion("insight")),
  R = paste(R.version$major, R.version$minor, sep = "."),
  cases = list()
)
for (cs in cases) {
  d <- read.csv(cs$data, stringsAsFactors = TRUE)
  m <- lmer(as.formula(cs$formula), d, REML = cs$REML, control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e6)))
  # performance gives no ICC and no R^2 with random effects for a singular fit
  # (a variance component at zero): stored as null.
  singular <- isSingular(m)
  res <- list(data = cs$data, formula = cs$formula, REML = cs$REML, objective = -2 * as.numeric(logLik(m)), singular = singular)
  if (!singular) {
    ic <- icc(m)
    r2 <- r2_nakagawa(m)
    v <- insight::get_variance(m)
    res$icc <- list(adjusted = ic$ICC_adjusted, unadjusted = ic$ICC_unadjusted)
    res$r2 <- list(marginal = unname(r2$R2_marginal), conditional = unname(r2$R2_conditional))
    # Johnson's random variance summed over every term, from lme4's own pieces:
    # per term, the mean over rows of z_i' Sigma z_i. insight counts only the
    # first term of a grouping factor, so for (x || g) its var.random leaves out
    # the slope term; this is the value the package computes.
    vc <- VarCorr(m)
    mm <- getME(m, "mmList")
    johnson <- sum(vapply(seq_along(mm), function(k) mean(rowSums((mm[[k]] %*% vc[[k]]) * mm[[k]])), 0))
    res$variance <- list(fixed = v$var.fixed, random = v$var.random, residual = v$var.residual, random_all_terms = johnson)
  }
  out$cases[[cs$id]] <- res
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = 15, pretty = TRUE), "test/reference-answers/icc-r2.json")

# lmerTest's ranova(m) and lme4's anova() of several models (refitted by ML,
# and with refit = FALSE), written to test/reference-answers/ranova.json and
# lrt.json.
suppressMessages(library(lmerTest))
ranova_cases <- list(
  list(id = "sleepstudy_slope", data = "test/reference/data/sleepstudy.csv", formula = "Reaction ~ Days + (Days | Subject)", REML = TRUE),
  list(id = "sleepstudy_zerocorr", data = "test/reference/data/sleepstudy.csv", formula = "Reaction ~ Days + (Days || Subject)", REML = TRUE),
  list(id = "sleepstudy_intercept_ml", data = "test/reference/data/sleepstudy.csv", formula = "Reaction ~ Days + (1 | Subject)", REML = FALSE),
  list(id = "pastes_nested", data = "test/reference/data/pastes.csv", formula = "strength ~ 1 + (1 | batch/cask)", REML = TRUE),
  list(id = "machines_worker", data = "test/reference-extra/data/machines.csv", formula = "score ~ Machine + (1 | Worker) + (1 | Worker:Machine)", REML = TRUE),
  list(id = "bodyweight_slope", data = "test/reference/data/bodyweight.csv", formula = "weight ~ Time * Diet + (Time | Rat)", REML = TRUE)
)
ranova_out <- list(generator = "scripts/make-answers-reference.R", lmerTest = as.character(packageVersion("lmerTest")), cases = list())
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e6))
for (cs in ranova_cases) {
  d <- read.csv(cs$data, stringsAsFactors = TRUE)
  m <- lmerTest::lmer(as.formula(cs$formula), d, REML = cs$REML, control = ctrl)
  r <- as.data.frame(ranova(m))
  ranova_out$cases[[cs$id]] <- list(
    data = cs$data, formula = cs$formula, REML = cs$REML,
    rows = lapply(seq_len(nrow(r)), function(i) list(
      term = rownames(r)[i], npar = r$npar[i], logLik = r$logLik[i], AIC = r$AIC[i],
      LRT = if (is.na(r$LRT[i])) NULL else r$LRT[i], Df = if (is.na(r$Df[i])) NULL else r$Df[i],
      p = if (is.na(r[["Pr(>Chisq)"]][i])) NULL else r[["Pr(>Chisq)"]][i]
    ))
  )
}
writeLines(toJSON(ranova_out, auto_unbox = TRUE, digits = 15, pretty = TRUE, null = "null"), "test/reference-answers/ranova.json")

lrt_cases <- list(
  list(id = "sleepstudy_three", data = "test/reference/data/sleepstudy.csv", refit = TRUE,
       formulas = c("Reaction ~ Days + (Days | Subject)", "Reaction ~ 1 + (1 | Subject)", "Reaction ~ Days + (1 | Subject)")),
  list(id = "sleepstudy_reml", data = "test/reference/data/sleepstudy.csv", refit = FALSE,
       formulas = c("Reaction ~ Days + (1 | Subject)", "Reaction ~ Days + (Days | Subject)", "Reaction ~ Days + (Days || Subject)")),
  list(id = "orthodont_three", data = "test/reference/data/orthodont.csv", refit = TRUE,
       formulas = c("distance ~ age + (1 | Subject)", "distance ~ age + Sex + (1 | Subject)", "distance ~ age * Sex + (age | Subject)"))
)
lrt_out <- list(generator = "scripts/make-answers-reference.R", lme4 = as.character(packageVersion("lme4")), cases = list())
for (cs in lrt_cases) {
  d <- read.csv(cs$data, stringsAsFactors = TRUE)
  ms <- lapply(cs$formulas, function(f) lme4::lmer(as.formula(f), d, control = ctrl))
  # Called through do.call, anova() names the models MODEL1, MODEL2, ... in
  # the order given and sorts the rows by npar: map them back to the formulas.
  a <- as.data.frame(suppressWarnings(suppressMessages(do.call(anova, c(ms, list(refit = cs$refit))))))
  idx <- as.integer(sub("^MODEL", "", rownames(a)))
  lrt_out$cases[[cs$id]] <- list(
    data = cs$data, refit = cs$refit, formulas = cs$formulas,
    rows = lapply(seq_len(nrow(a)), function(i) list(
      formula = cs$formulas[idx[i]], npar = a$npar[i], AIC = a$AIC[i], BIC = a$BIC[i], logLik = a$logLik[i], deviance = a$deviance[i],
      Chisq = if (is.na(a$Chisq[i])) NULL else a$Chisq[i], Df = if (is.na(a$Df[i])) NULL else a$Df[i],
      p = if (is.na(a[["Pr(>Chisq)"]][i])) NULL else a[["Pr(>Chisq)"]][i]
    ))
  )
}
writeLines(toJSON(lrt_out, auto_unbox = TRUE, digits = 15, pretty = TRUE, null = "null"), "test/reference-answers/lrt.json")
