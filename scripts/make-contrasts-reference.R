# Reference fits for contrasts and factor level order (issue 12, parts 4 and 8):
# lme4/lmerTest fits with each of R's contrast codings (contr.treatment, contr.sum,
# contr.helmert, contr.poly), their coefficient names, estimates and SEs, the type
# III anova (lmerTest, Satterthwaite), emmeans' marginal means and predictions on
# new data; and how R sorts text levels in an English locale and in the C locale.
# Writes test/reference-contrasts/.
#
#   Rscript scripts/make-contrasts-reference.R      (run from the repository root)
#
# Needs the en_US.UTF-8 locale (Debian/Ubuntu: apt-get install locales, then
# localedef -i en_US -f UTF-8 en_US.UTF-8). R built with ICU (capabilities("ICU"),
# as on Linux, macOS and Windows builds) sorts text with ICU's collation for the
# locale's language; the file records both.

suppressPackageStartupMessages({
  library(lmerTest)
  library(emmeans)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
root <- if (length(script)) normalizePath(file.path(dirname(script), "..")) else getwd()
out_dir <- file.path(root, "test", "reference-contrasts")
data_dir <- file.path(out_dir, "data")
case_dir <- file.path(out_dir, "cases")
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)
dir.create(case_dir, recursive = TRUE, showWarnings = FALSE)

set_collation <- function(locale) {
  if (Sys.setlocale("LC_COLLATE", locale) == "") stop("locale ", locale, " is not installed (see the header of this script)")
}
set_collation("en_US.UTF-8")

ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))

write_data <- function(d, name) {
  d <- as.data.frame(d)
  for (v in names(d)) if (is.factor(d[[v]])) d[[v]] <- as.character(d[[v]])
  write.csv(d, file.path(data_dir, paste0(name, ".csv")), row.names = FALSE)
}

# The data as our CSV reader sees it: text columns are factors with levels sorted
# in the current collation, numbers are numbers (factors: numeric columns made factors).
read_data <- function(name, factors = character()) {
  d <- read.csv(file.path(data_dir, paste0(name, ".csv")), stringsAsFactors = TRUE)
  for (v in factors) d[[v]] <- factor(d[[v]])
  d
}

named <- function(x) as.list(setNames(as.numeric(x), names(x)))

# options: what our lmer() is given (contrasts by their short name, factors, levelOrder).
make_case <- function(id, dataname, formula, REML, contrasts = list(), factors = character(),
                      newdata, emmeans_specs = NULL, levelOrder = NULL) {
  d <- read_data(dataname, factors)
  r_contrasts <- if (length(contrasts)) lapply(contrasts, function(k) paste0("contr.", k)) else NULL
  m <- lmerTest::lmer(as.formula(formula), data = d, REML = REML, control = ctrl, contrasts = r_contrasts)
  fe <- fixef(m)
  a <- anova(m, type = 3, ddf = "Satterthwaite")
  nd <- newdata
  for (v in factors) nd[[v]] <- factor(nd[[v]], levels = levels(d[[v]]))
  case <- list(
    id = id, data = paste0(dataname, ".csv"), formula = formula, REML = REML,
    options = c(
      if (length(contrasts)) list(contrasts = contrasts),
      if (length(factors)) list(factors = I(factors)),
      if (!is.null(levelOrder)) list(levelOrder = levelOrder)
    ),
    levels = lapply(Filter(is.factor, d[intersect(names(d), all.vars(as.formula(formula)))]), function(f) I(levels(f))),
    coef_names = I(names(fe)), fixef = named(fe),
    se = named(setNames(sqrt(diag(as.matrix(vcov(m)))), names(fe))),
    theta = I(as.numeric(getME(m, "theta"))), sigma = sigma(m),
    objective = if (REML) REMLcrit(m) else deviance(m),
    nobs = nobs(m),
    anova = list(term = I(rownames(a)), F = I(a[["F value"]]), NumDF = I(a$NumDF), DenDF = I(a$DenDF), p = I(a[["Pr(>F)"]])),
    newdata = newdata,
    predict = as.numeric(predict(m, newdata = nd)),
    predict_population = as.numeric(predict(m, newdata = nd, re.form = NA))
  )
  if (!is.null(emmeans_specs)) {
    e <- as.data.frame(summary(emmeans(m, as.formula(emmeans_specs), lmer.df = "satterthwaite")))
    case$emmeans <- list(specs = emmeans_specs, rows = e[, c(all.vars(as.formula(emmeans_specs)), "emmean", "SE", "df")])
  }
  writeLines(toJSON(case, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(case_dir, paste0(id, ".json")))
}

# lme4's cake: 3 recipes x 6 baking temperatures (a numeric column, made a factor).
write_data(lme4::cake[, c("replicate", "recipe", "temp", "angle")], "cake")
cake_new <- data.frame(recipe = c("A", "B", "C", "B"), temp = c(175, 195, 225, 215), replicate = c(1, 3, 15, 7))
cake <- function(id, contrasts, REML = TRUE) {
  make_case(id, "cake", "angle ~ recipe * temp + (1 | recipe:replicate)", REML, contrasts, factors = "temp",
            newdata = cake_new, emmeans_specs = "~ recipe")
}
cake("cake_treatment", list())
cake("cake_sum", list(recipe = "sum", temp = "sum"))
cake("cake_helmert", list(recipe = "helmert", temp = "helmert"))
cake("cake_poly", list(recipe = "sum", temp = "poly"), REML = FALSE)
cake("cake_mixed", list(recipe = "helmert", temp = "treatment"))

# ChickWeight: 4 diets coded 1-4; as factor(Diet), its contrasts are named "factor(Diet)" as in R.
cw <- as.data.frame(ChickWeight)
cw$Chick <- as.integer(as.character(cw$Chick))
write_data(cw, "chickweight")
chick_new <- data.frame(Time = c(0, 10, 21, 6), Diet = c(1, 2, 3, 4), Chick = c(1, 21, 31, 45))
make_case("chick_factor_helmert", "chickweight", "weight ~ Time * factor(Diet) + (Time | Chick)", FALSE,
          list(`factor(Diet)` = "helmert"), newdata = chick_new)
make_case("chick_poly", "chickweight", "weight ~ Time + Diet + (Time | Chick)", TRUE,
          list(Diet = "poly"), factors = "Diet", newdata = chick_new, emmeans_specs = "~ Diet")

# Level order: arms whose English order (control, placebo, Treatment) differs from
# the code-point order (Treatment, control, placebo), so the reference level differs.
sl <- as.data.frame(lme4::sleepstudy)
sl$arm <- c("control", "placebo", "Treatment")[as.integer(sl$Subject) %% 3 + 1]
write_data(sl, "sleep_arms")
sleep_new <- data.frame(Days = c(0, 4.5, 9), arm = c("control", "Treatment", "placebo"), Subject = c(308, 309, 330))
make_case("sleep_arms_english", "sleep_arms", "Reaction ~ Days * arm + (Days | Subject)", TRUE, newdata = sleep_new)
set_collation("C")
make_case("sleep_arms_codepoint", "sleep_arms", "Reaction ~ Days * arm + (Days | Subject)", TRUE,
          newdata = sleep_new, levelOrder = "codepoint")

# How R sorts text: mixed case, digits, punctuation, spaces, accents.
tricky <- c("control", "Treatment", "treatment", "Control", "b", "B", "a", "A", "_x", "x 1", "x10", "x2", "x1",
            "-a", "a-b", "ab", "a b", "Ab", "aB", "AB", "10", "9", "1a", "a1", "\u00e9", "e", "f", "E", "a.b", "a_b",
            "Zeta", "zeta", "placebo", "Placebo", "high dose", "High", "low", "Low", "x-1", "x_1", "x.1", "(a)",
            "[b]", "#1", "+1", "~a", "'a'", "\"a\"", "\u00e4", "z", "Z", "\u00df", "ss", "a/b", "a:b", "a;b", "a,b",
            "group 10", "group 2", "group_A", "group-B", "groupC", "S1", "S10", "S2", "s1", "dose 0.5", "dose 10", "dose 2")
set_collation("en_US.UTF-8")
sorted_english <- sort(tricky)
set_collation("C")
sorted_c <- sort(tricky)
collation <- list(
  R = R.version.string, ICU = unname(capabilities("ICU")), ICU_version = unname(extSoftVersion()["ICU"]),
  strings = I(tricky), en_US.UTF_8 = I(sorted_english), C = I(sorted_c)
)
writeLines(toJSON(collation, auto_unbox = TRUE, pretty = TRUE), file.path(out_dir, "collation.json"))
