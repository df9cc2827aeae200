# Set-up shared by the scripts/make-*-reference.R scripts, so that every
# reference set is made the same way: where the repository is, the output
# folders test/reference-<name>/{data,cases}, lme4's tight BOBYQA, and data
# written as CSV and read back as our CSV reader sees it. Each script sources
# it relative to its own path, so it runs from any folder:
#
#   script <- sub("^--file=", "", grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE))
#   source(file.path(if (length(script)) dirname(script) else "scripts", "reference-setup.R"))
#
# (make-kb07-reference.R is not one of them: its tight BOBYQA is another one,
# rhoend 1e-10 and maxfun 1e6, beside lme4's default optimiser.)

# Every reference set is fitted by lme4 and written as JSON. A script that also
# needs lmerTest attaches it after sourcing this file, so that lmerTest's lmer()
# masks lme4's.
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

# The repository root: the folder above the running script (Rscript --file=),
# or the working directory when the script is sourced by hand from the root.
reference_root <- local({
  script <- sub("^--file=", "", grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE))
  if (length(script)) normalizePath(file.path(dirname(script), "..")) else getwd()
})

# Creates test/reference-<name>/ with its data/ folder (and cases/, for the
# sets that write one JSON per case) and returns the three paths.
reference_dirs <- function(name, cases = TRUE) {
  out <- file.path(reference_root, "test", paste0("reference-", name))
  dirs <- list(out = out, data = file.path(out, "data"), cases = if (cases) file.path(out, "cases"))
  for (dir in c(dirs$data, dirs$cases)) dir.create(dir, recursive = TRUE, showWarnings = FALSE)
  dirs
}

# BOBYQA run to a far tighter tolerance than lme4's default, so the reference
# optimum is the optimum and not where an optimiser happened to stop.
tight_bobyqa <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))

# A plain data.frame with every factor (ordered or not) turned into text, so
# that read.csv() gives sorted levels and treatment contrasts. The extra
# classes and attributes of nlme's groupedData (formula, labels, units) are
# dropped too: they are not written to a CSV, and a frame a script builds on
# before writing it then behaves as an ordinary data.frame.
plain <- function(d) {
  d <- as.data.frame(d)
  class(d) <- "data.frame"
  attributes(d)[setdiff(names(attributes(d)), c("names", "row.names", "class"))] <- NULL
  for (v in names(d)) if (is.factor(d[[v]])) d[[v]] <- as.character(d[[v]])
  d
}

# The data as our CSV reader sees it: text columns are factors with levels
# sorted in the current collation, numbers are numbers.
read_data_csv <- function(file) read.csv(file, stringsAsFactors = TRUE)

# Writes d as <dir>/<name>.csv and returns it as read back from there, so the
# fit sees what our CSV reader sees (invisibly: a script that reads the file
# again later calls it for the writing alone).
write_data <- function(d, dir, name) {
  file <- file.path(dir, paste0(name, ".csv"))
  write.csv(plain(d), file, row.names = FALSE)
  invisible(read_data_csv(file))
}

# A named numeric vector as a JSON object (name: value).
named <- function(x) as.list(setNames(as.numeric(x), names(x)))
