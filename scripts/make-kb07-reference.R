# lme4's optima for the optimiser stress families of issue #10 (kb07-like
# maximal and zero-correlation crossed models, random slopes near the boundary,
# the Dialyzer-like quadratic):
#
#   npm run build && node scripts/make-kb07-data.mjs    (data + cases.json)
#   Rscript scripts/make-kb07-reference.R [id-regex]    (from the repository root)
#
# Reads test/reference-kb07/cases.json and the CSVs in test/reference-kb07/data/
# (read.csv(stringsAsFactors = TRUE), as our readCSV reads them), fits every case
# with lme4's default optimiser (lmerControl(): nloptwrap's BOBYQA) and with a
# tight BOBYQA (minqa, rhoend 1e-10, maxfun 1e6; rhobeg lme4's 2e-4), and writes
# test/reference-kb07/lme4.json: per case and optimiser the objective
# -2 logLik (the REML criterion for REML fits, the deviance for ML), theta, the
# evaluations, lme4's convergence messages and the elapsed seconds of the lmer call.
# The Dialyzer case's CSV is written here from nlme::Dialyzer.

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
root <- if (length(script)) normalizePath(file.path(dirname(script), "..")) else getwd()
only <- commandArgs(trailingOnly = TRUE)
dir <- file.path(root, "test", "reference-kb07")
cases <- fromJSON(file.path(dir, "cases.json"), simplifyDataFrame = FALSE)
out_file <- file.path(dir, "lme4.json")

controls <- list(
  default = lmerControl(),
  bobyqa = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e6))
)

write_dialyzer <- function(file) {
  d <- as.data.frame(nlme::Dialyzer)
  out <- data.frame(
    Subject = sprintf("S%02d", as.integer(as.character(d$Subject))),
    x = d$pressure, x2 = d$pressure^2,
    Q = paste0("Q", as.character(d$QB)),
    y = d$rate
  )
  write.csv(out, file, row.names = FALSE)
}

fit_one <- function(cs, d, ctrl) {
  t0 <- Sys.time()
  m <- NULL
  warn <- character()
  m <- withCallingHandlers(
    lmer(as.formula(cs$formula), data = d, REML = cs$REML, control = ctrl),
    warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") }
  )
  secs <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
  th <- getME(m, "theta")
  list(
    objective = -2 * as.numeric(logLik(m)),
    theta = unname(as.numeric(th)),
    thetaNames = names(th),
    evaluations = m@optinfo$feval,
    seconds = secs,
    messages = c(m@optinfo$conv$lme4$messages, warn),
    singular = isSingular(m)
  )
}

old <- if (file.exists(out_file)) fromJSON(out_file, simplifyDataFrame = FALSE)$cases else list()
res <- old
for (cs in cases) {
  if (length(only) && !grepl(only[1], cs$id)) next
  file <- file.path(dir, "data", cs$data)
  if (!is.null(cs$source) && cs$source == "nlme::Dialyzer") write_dialyzer(file)
  d <- read.csv(file, stringsAsFactors = TRUE)
  r <- lapply(controls, function(ctrl) fit_one(cs, d, ctrl))
  res[[cs$id]] <- c(list(family = cs$family, formula = cs$formula, REML = cs$REML), r)
  cat(sprintf("%-20s default %.6f (%.2f s)  bobyqa %.6f (%.2f s)\n", cs$id,
              r$default$objective, r$default$seconds, r$bobyqa$objective, r$bobyqa$seconds))
}

json <- list(
  generator = "scripts/make-kb07-reference.R",
  lme4 = as.character(packageVersion("lme4")),
  R = paste(R.version$major, R.version$minor, sep = "."),
  optimizers = list(
    default = "lmerControl() (nloptwrap: NLopt BOBYQA, lme4's default tolerances)",
    bobyqa = "lmerControl(optimizer = 'bobyqa', optCtrl = list(rhoend = 1e-10, maxfun = 1e6)) (minqa; rhobeg 2e-4)"
  ),
  objective = "-2 * logLik(m): the REML criterion for REML fits, the deviance for ML fits",
  cases = res
)
writeLines(toJSON(json, auto_unbox = TRUE, digits = NA, pretty = TRUE), out_file)
