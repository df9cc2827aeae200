# Extra conformance suite: lme4 fits of datasets that are NOT in the main
# reference (/work/shared/reference), written in the same JSON format.
#
#   Rscript scripts/make-extra-reference.R      (run from the repository root)
#
# Each dataset is written as plain CSV to test/reference-extra/data/, re-read
# with read.csv(file, stringsAsFactors = TRUE) exactly as the main reference
# did (so a text column is a factor with sorted levels, a numeric column -
# including integer-coded factors such as Diet - is a numeric covariate, and a
# numeric grouping variable becomes a factor of its values), fitted by lme4
# with BOBYQA at rhoend 1e-12, and written to test/reference-extra/cases/.

script <- sub("^--file=", "", grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE))
source(file.path(if (length(script)) dirname(script) else "scripts", "reference-setup.R"))
suppressPackageStartupMessages(library(lmerTest))
ref <- reference_dirs("extra")

ref_label <- sprintf("lme4 (bobyqa, rhoend 1e-12) %s lmerTest %s",
                     packageVersion("lme4"), packageVersion("lmerTest"))

num <- function(x) { x <- as.numeric(x); x }
na_null <- function(x) if (is.na(x)) NULL else x

make_case <- function(id, dataname, d, formula, REML, extra = list()) {
  f <- as.formula(formula)
  t0 <- proc.time()[["elapsed"]]
  m <- lme4::lmer(f, data = d, REML = REML, control = tight_bobyqa)
  secs <- proc.time()[["elapsed"]] - t0

  cf <- summary(m)$coefficients
  fe <- fixef(m)
  vc <- as.data.frame(VarCorr(m))
  varcorr <- lapply(seq_len(nrow(vc)), function(i) list(
    grp = vc$grp[i],
    var1 = na_null(vc$var1[i]),
    var2 = na_null(vc$var2[i]),
    vcov = vc$vcov[i],
    sdcor = vc$sdcor[i]
  ))
  re <- ranef(m)
  ranef_out <- lapply(names(re), function(g) {
    r <- re[[g]]
    o <- list(levels = I(rownames(r)))
    for (v in names(r)) o[[v]] <- I(as.numeric(r[[v]]))
    o
  })
  names(ranef_out) <- names(re)
  ll <- logLik(m)
  V <- as.matrix(vcov(m))
  dimnames(V) <- NULL

  case <- list(
    id = id,
    data = paste0(dataname, ".csv"),
    formula = formula,
    REML = REML,
    reference = ref_label,
    nobs = nobs(m),
    ngrps = as.list(ngrps(m)),
    fixef = named(fe),
    se = named(setNames(cf[, "Std. Error"], rownames(cf))),
    t = named(setNames(cf[, "t value"], rownames(cf)))
  )

  sat <- tryCatch({
    ms <- lmerTest::lmer(f, data = d, REML = REML, control = tight_bobyqa)
    cs <- summary(ms)$coefficients
    list(df = named(setNames(cs[, "df"], rownames(cs))),
         p = named(setNames(cs[, "Pr(>|t|)"], rownames(cs))))
  }, error = function(e) { message(id, ": lmerTest failed: ", conditionMessage(e)); NULL })
  if (!is.null(sat)) case$satterthwaite <- sat

  case <- c(case, list(
    theta = I(as.numeric(getME(m, "theta"))),
    theta_names = I(names(getME(m, "theta"))),
    sigma = sigma(m),
    varcorr = varcorr,
    logLik = as.numeric(ll),
    npar = as.integer(attr(ll, "df")),
    AIC = AIC(m),
    BIC = BIC(m),
    # REML criterion / deviance at the optimum (m@optinfo$val holds the
    # optimal parameters, not the objective, so it is not used here)
    objective = if (REML) REMLcrit(m) else deviance(m),
    singular = isSingular(m),
    vcov_beta = V,
    ranef = ranef_out,
    fitted = I(as.numeric(fitted(m))),
    residuals = I(as.numeric(residuals(m))),
    lme4_seconds = secs
  ), extra)

  # the objective is -2 logLik (ML fits: the deviance; REML fits: the REML criterion)
  stopifnot(abs(-2 * case$logLik - case$objective) < 1e-8 * max(1, abs(case$objective)))

  writeLines(toJSON(case, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE),
             file.path(ref$cases, paste0(id, ".json")))
  cat(sprintf("%-26s nobs=%5d  obj=%.6f  singular=%s\n", id, nobs(m), case$objective, case$singular))
  invisible(m)
}

# ---------------------------------------------------------------- datasets --

machines <- write_data(nlme::Machines, ref$data, "machines")
make_case("machines_slope_reml", "machines", machines,
          "score ~ Machine + (0 + Machine | Worker)", TRUE)
make_case("machines_nested_reml", "machines", machines,
          "score ~ Machine + (1 | Worker/Machine)", TRUE)

oats <- write_data(nlme::Oats, ref$data, "oats")
make_case("oats_nested_reml", "oats", oats,
          "yield ~ nitro * Variety + (1 | Block/Variety)", TRUE)

ergo <- write_data(nlme::ergoStool, ref$data, "ergostool")
make_case("ergostool_reml", "ergostool", ergo,
          "effort ~ Type + (1 | Subject)", TRUE)

rail <- write_data(nlme::Rail, ref$data, "rail")
make_case("rail_ml", "rail", rail, "travel ~ 1 + (1 | Rail)", FALSE)

cw <- plain(datasets::ChickWeight)
cw$Chick <- factor(as.character(cw$Chick))
cw$Time2 <- cw$Time^2
chick <- write_data(cw, ref$data, "chickweight")
make_case("chickweight_quad_reml", "chickweight", chick,
          "weight ~ Time + Time2 + Diet + (Time | Chick)", TRUE)

ss <- plain(lme4::sleepstudy)
set.seed(1)
miss <- sample(nrow(ss), round(0.1 * nrow(ss)))
ss$Reaction[miss] <- NA
ssm <- write_data(ss, ref$data, "sleepstudy_missing")
make_case("sleepstudy_missing_reml", "sleepstudy_missing", ssm,
          "Reaction ~ Days + (Days | Subject)", TRUE,
          extra = list(dropped_rows = sum(is.na(ssm$Reaction)),
                       dropped_row_numbers = I(which(is.na(ssm$Reaction)))))

ortho <- write_data(nlme::Orthodont, ref$data, "orthodont_extra")
make_case("orthodont_nocorr_ml", "orthodont_extra", ortho,
          "distance ~ age + Sex + (age || Subject)", FALSE)

pen <- write_data(lme4::Penicillin, ref$data, "penicillin_extra")
make_case("penicillin_ml", "penicillin_extra", pen,
          "diameter ~ 1 + (1 | plate) + (1 | sample)", FALSE)

ma <- tryCatch(plain(nlme::MathAchieve), error = function(e) NULL)
sch <- tryCatch(plain(nlme::MathAchSchool), error = function(e) NULL)
if (!is.null(ma) && !is.null(sch)) {
  sch <- sch[, c("School", "Sector")]
  ma$Sector <- sch$Sector[match(ma$School, sch$School)]
  stopifnot(!anyNA(ma$Sector))
  mathach <- write_data(ma[, c("School", "Minority", "Sex", "SES", "MathAch", "Sector")], ref$data, "mathach")
  make_case("mathach_reml", "mathach", mathach,
            "MathAch ~ SES * Sector + (SES | School)", TRUE)
} else {
  message("nlme::MathAchieve not available: mathach_reml skipped")
}
