# Reference values for marginal means, trends and their comparisons (emmeans
# 1.x on lme4 fits), for test/emmeans.test.ts. Writes
# test/reference-emmeans/<case>.json. Run from the repository root:
#   Rscript scripts/make-emmeans-reference.R
# Each case is a fit (data, formula, REML, numeric columns made factors) and a
# list of queries: emmeans() or emtrends() with specs, at, var, the df method
# (lmer.df) and level, and the contrasts asked of the result (pairs,
# trt.vs.ctrl or a named list of coefficients, with an adjustment or
# emmeans' default).
suppressMessages({
  library(lme4)
  library(emmeans)
  library(jsonlite)
})
# Kenward-Roger and Satterthwaite df whatever the number of rows (emmeans
# falls back to asymptotic df above 3000 by default).
emm_options(pbkrtest.limit = 1e6, lmerTest.limit = 1e6)

q <- function(kind, specs, ddf, at = NULL, var = NULL, level = 0.95, contrasts = list()) {
  list(kind = kind, specs = specs, ddf = ddf, at = at, var = var, level = level, contrasts = contrasts)
}
pairs_ <- function(adjust = NULL) list(method = "pairs", adjust = adjust)
ctrl_ <- function(adjust = NULL) list(method = "trt.vs.ctrl", adjust = adjust)
user_ <- function(coef, adjust = NULL) list(method = coef, adjust = adjust)

both <- function(...) list(q(ddf = "kenward-roger", ...), q(ddf = "satterthwaite", ...))

cases <- list(
  list(id = "orthodont_agesex", data = "test/reference/data/orthodont.csv", formula = "distance ~ age * Sex + (age | Subject)", REML = TRUE,
       queries = c(
         both("emmeans", "~ Sex | age", at = list(age = c(8, 10, 14)), contrasts = list(pairs_())),
         both("emmeans", "~ Sex * age", at = list(age = c(8, 14)), contrasts = list(pairs_("holm"), pairs_(), ctrl_())),
         both("emmeans", "~ Sex", contrasts = list(pairs_())),
         both("emtrends", "~ Sex", var = "age", contrasts = list(pairs_())),
         both("emtrends", "~ 1", var = "age"),
         both("emmeans", "~ age", at = list(age = c(8, 10, 12, 14)), contrasts = list(pairs_(), ctrl_())),
         list(q("emmeans", "~ age | Sex", "kenward-roger", at = list(age = c(8, 11, 14)), level = 0.9, contrasts = list(pairs_(), pairs_("bonferroni"), pairs_("sidak"), pairs_("none"))))
       )),
  list(id = "orthodont_agesex_ml", data = "test/reference/data/orthodont.csv", formula = "distance ~ age * Sex + (age | Subject)", REML = FALSE,
       queries = list(
         q("emmeans", "~ Sex | age", "satterthwaite", at = list(age = c(8, 14)), contrasts = list(pairs_())),
         q("emtrends", "~ Sex", "satterthwaite", var = "age", contrasts = list(pairs_()))
       )),
  list(id = "bodyweight_timediet", data = "test/reference/data/bodyweight.csv", formula = "weight ~ Time * Diet + (Time | Rat)", REML = TRUE, factors = "Diet",
       queries = c(
         both("emmeans", "~ Diet | Time", at = list(Time = c(1, 22, 44, 64)), contrasts = list(pairs_(), pairs_("holm"), ctrl_())),
         both("emmeans", "~ Diet", contrasts = list(pairs_(), ctrl_(), user_(list("1 - avg(2,3)" = c(1, -0.5, -0.5), "2 - 3" = c(0, 1, -1))))),
         both("emtrends", "~ Diet", var = "Time", contrasts = list(pairs_(), ctrl_("holm"))),
         both("emmeans", "~ Time | Diet", at = list(Time = c(1, 22, 64)), contrasts = list(pairs_()))
       )),
  list(id = "chickweight_timediet", data = "test/reference-extra/data/chickweight.csv", formula = "weight ~ Time * Diet + (Time | Chick)", REML = TRUE, factors = "Diet",
       queries = c(
         both("emmeans", "~ Diet | Time", at = list(Time = c(0, 10, 21)), contrasts = list(pairs_(), ctrl_())),
         both("emtrends", "~ Diet", var = "Time", contrasts = list(pairs_(), pairs_("holm")))
       )),
  list(id = "machines", data = "test/reference-extra/data/machines.csv", formula = "score ~ Machine + (1 | Worker)", REML = TRUE,
       queries = c(
         both("emmeans", "Machine", contrasts = list(pairs_(), pairs_("bonferroni"), pairs_("sidak"), ctrl_(), ctrl_("tukey")))
       )),
  list(id = "oats_nested", data = "test/reference-extra/data/oats.csv", formula = "yield ~ nitro * Variety + (1 | Block/Variety)", REML = TRUE,
       queries = c(
         both("emmeans", "~ Variety", contrasts = list(pairs_())),
         both("emmeans", "~ Variety * nitro", at = list(nitro = c(0, 0.6)), contrasts = list(pairs_())),
         both("emtrends", "~ Variety", var = "nitro", contrasts = list(pairs_()))
       )),
  list(id = "kb07_twovalued", data = "test/reference-kb07/data/kb07-seed1.csv", formula = "y ~ spkr * prec + load + (1 | subj) + (1 | item)", REML = TRUE,
       queries = list(
         q("emmeans", "~ spkr | prec", "satterthwaite", contrasts = list(pairs_())),
         q("emmeans", "~ spkr", "satterthwaite", contrasts = list(pairs_())),
         # No prec:load term: the slopes are equal and their difference is 0 with no SE (emmeans: NA).
         q("emtrends", "~ prec", "satterthwaite", var = "load")
       )),
  # Transformed terms: the grid is on the data's columns (Time for poly(Time, 2),
  # Diet for factor(Diet) of a numeric column), and trends are emmeans' forward
  # differences of the predictions.
  list(id = "chickweight_poly", data = "test/reference-extra/data/chickweight.csv", formula = "weight ~ poly(Time, 2) * factor(Diet) + (Time | Chick)", REML = TRUE,
       queries = c(
         both("emmeans", "~ Diet | Time", at = list(Time = c(0, 10, 21)), contrasts = list(pairs_(), ctrl_())),
         both("emmeans", "~ Diet", contrasts = list(pairs_())),
         both("emtrends", "~ Diet", var = "Time", contrasts = list(pairs_())),
         both("emtrends", "~ Diet | Time", var = "Time", at = list(Time = c(0, 10, 21)), contrasts = list(pairs_())),
         list(q("emtrends", "~ 1", "kenward-roger", var = "Time"))
       )),
  list(id = "orthodont_quadratic", data = "test/reference/data/orthodont.csv", formula = "distance ~ (age + I(age^2)) * Sex + (1 | Subject)", REML = TRUE,
       queries = c(
         both("emtrends", "~ Sex", var = "age", contrasts = list(pairs_())),
         both("emtrends", "~ Sex | age", var = "age", at = list(age = c(8, 14)), contrasts = list(pairs_())),
         both("emmeans", "~ Sex | age", at = list(age = c(8, 11, 14)), contrasts = list(pairs_()))
       )),
  list(id = "orthodont_log", data = "test/reference/data/orthodont.csv", formula = "log(distance) ~ log(age) * Sex + (1 | Subject)", REML = TRUE,
       queries = c(
         both("emmeans", "~ Sex", contrasts = list(pairs_())),
         both("emmeans", "~ Sex | age", at = list(age = c(8, 14)), contrasts = list(pairs_())),
         both("emtrends", "~ Sex", var = "age", contrasts = list(pairs_()))
       )),
  list(id = "bodyweight_scale_sqrt", data = "test/reference/data/bodyweight.csv", formula = "weight ~ scale(Time) * Diet + sqrt(Time) + (Time | Rat)", REML = TRUE, factors = "Diet",
       queries = c(
         both("emmeans", "~ Diet | Time", at = list(Time = c(1, 22, 64)), contrasts = list(pairs_())),
         both("emtrends", "~ Diet", var = "Time", contrasts = list(pairs_(), ctrl_()))
       )),
  # emmeans 1.8 holds an offset at its mean over the data, whatever the grid's
  # values of its variables (and its emtrends() fails on such models).
  list(id = "orthodont_offset", data = "test/reference/data/orthodont.csv", formula = "distance ~ age * Sex + offset(log(age)) + (1 | Subject)", REML = TRUE,
       queries = c(
         both("emmeans", "~ Sex", contrasts = list(pairs_(), user_(list(Female = c(1, 0), "F + M" = c(1, 1))))),
         both("emmeans", "~ Sex | age", at = list(age = c(8, 14)), contrasts = list(pairs_()))
       ))
)

fmla_specs <- function(s) if (grepl("~", s)) as.formula(s) else s

out_case <- function(cs) {
  d <- read.csv(cs$data, stringsAsFactors = TRUE)
  for (f in cs$factors) d[[f]] <- factor(d[[f]])
  m <- lmer(as.formula(cs$formula), d, REML = cs$REML, control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e6)))
  queries <- lapply(cs$queries, function(qq) {
    args <- list(m, fmla_specs(qq$specs), lmer.df = qq$ddf, level = qq$level)
    if (!is.null(qq$at)) args$at <- qq$at
    e <- if (qq$kind == "emmeans") do.call(emmeans, args) else do.call(emtrends, c(args, list(var = qq$var)))
    cons <- lapply(qq$contrasts, function(cc) {
      # emmeans' name of the pairs method is "pairwise".
      cargs <- list(e, method = if (identical(cc$method, "pairs")) "pairwise" else cc$method)
      if (!is.null(cc$adjust)) cargs$adjust <- cc$adjust
      r <- as.data.frame(summary(do.call(contrast, cargs), infer = c(FALSE, TRUE)))
      list(method = cc$method, adjust = cc$adjust, rows = r)
    })
    list(kind = qq$kind, specs = qq$specs, ddf = qq$ddf, at = qq$at, var = qq$var, level = qq$level,
         rows = as.data.frame(summary(e)), contrasts = cons)
  })
  list(id = cs$id, data = cs$data, formula = cs$formula, REML = cs$REML, factors = if (is.null(cs$factors)) list() else as.list(cs$factors),
       objective = -2 * as.numeric(logLik(m)),
       generator = "scripts/make-emmeans-reference.R",
       versions = list(R = paste(R.version$major, R.version$minor, sep = "."), lme4 = as.character(packageVersion("lme4")),
                       emmeans = as.character(packageVersion("emmeans")), pbkrtest = as.character(packageVersion("pbkrtest")),
                       lmerTest = as.character(packageVersion("lmerTest"))),
       queries = queries)
}

for (cs in cases) {
  res <- out_case(cs)
  writeLines(toJSON(res, auto_unbox = TRUE, digits = 15, pretty = TRUE, na = "null"), sprintf("test/reference-emmeans/%s.json", cs$id))
  cat(cs$id, "\n")
}

# emmeans' printed layout, for the CLI's text output (trailing spaces dropped).
d <- read.csv("test/reference/data/orthodont.csv", stringsAsFactors = TRUE)
m <- lmer(distance ~ age * Sex + (age | Subject), d, control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e6)))
printed <- c(
  capture.output(print(emmeans(m, pairwise ~ Sex | age, at = list(age = c(8, 10, 14))))),
  "#",
  capture.output(print(emmeans(m, pairwise ~ age | Sex, at = list(age = c(8, 10.5, 14)), adjust = "holm"))),
  "#",
  capture.output(print(emtrends(m, pairwise ~ Sex, var = "age", lmer.df = "satterthwaite"))),
  "#",
  # A transformed response: emmeans' note on the scale of the means.
  capture.output(print(emmeans(lmer(log(distance) ~ log(age) * Sex + (1 | Subject), d, control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e6))),
                               pairwise ~ Sex | age, at = list(age = c(8, 14)), lmer.df = "satterthwaite"))),
  "#",
  # factor() of a numeric column and poly(): the grid's Diet and Time.
  capture.output(print(emtrends(lmer(weight ~ poly(Time, 2) * factor(Diet) + (Time | Chick), read.csv("test/reference-extra/data/chickweight.csv"),
                                     control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e6))),
                                pairwise ~ Diet, var = "Time", lmer.df = "satterthwaite")))
)
writeLines(sub(" +$", "", printed), "test/reference-emmeans/orthodont-printed.txt")
