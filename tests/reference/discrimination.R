# Reference values for cartsie.discrimination: epiR::epi.tests (sensitivity, specificity, PPV,
# NPV, true prevalence and diagnostic accuracy with exact Clopper-Pearson CIs, likelihood ratios and
# the diagnostic odds ratio with their log-scale CIs, Youden's index) on 2 x 2 tables including
# zero cells; pROC's AUC with DeLong CI (ci.auc, var) and the paired DeLong test (roc.test), with
# controls = 0, cases = 1 and direction "<" (a higher score means the positive class), ">" and
# "auto" (pROC picks "<" when median(controls) <= median(cases)).
# Writes discrimination.json next to this script, with the input data.
#
#   cd tests/reference && Rscript discrimination.R
suppressPackageStartupMessages({
  library(epiR)
  library(pROC)
  library(jsonlite)
})

# ---------------------------------------------------------------------------------------------
# epi.tests: tp, fp, fn, tn
# ---------------------------------------------------------------------------------------------
tables <- list(
  paper_like = c(tp = 19, fp = 200, fn = 3, tn = 128),
  moderate = c(tp = 45, fp = 20, fn = 15, tn = 80),
  zero_fn = c(tp = 12, fp = 5, fn = 0, tn = 30),
  zero_tp = c(tp = 0, fp = 6, fn = 8, tn = 20),
  zero_fp = c(tp = 10, fp = 0, fn = 4, tn = 25),
  zero_tn = c(tp = 9, fp = 7, fn = 3, tn = 0),
  ones = c(tp = 1, fp = 1, fn = 1, tn = 1),
  rare = c(tp = 3, fp = 40, fn = 1, tn = 356)
)
stats_wanted <- c("se", "sp", "pv.pos", "pv.neg", "lr.pos", "lr.neg", "tp", "diag.ac", "youden", "diag.or")
epi <- lapply(names(tables), function(nm) {
  v <- tables[[nm]]
  dat <- as.table(matrix(c(v["tp"], v["fp"], v["fn"], v["tn"]), nrow = 2, byrow = TRUE))
  res <- lapply(c(0.95, 0.90), function(level) {
    det <- epi.tests(dat, method = "exact", conf.level = level)$detail
    det <- det[match(stats_wanted, det$statistic), ]
    list(statistic = det$statistic, est = det$est, lower = det$lower, upper = det$upper)
  })
  list(name = nm, tp = unname(v["tp"]), fp = unname(v["fp"]), fn = unname(v["fn"]), tn = unname(v["tn"]),
       ci95 = res[[1]], ci90 = res[[2]])
})

# ---------------------------------------------------------------------------------------------
# pROC: AUC, DeLong CI and variance; paired DeLong test
# ---------------------------------------------------------------------------------------------
set.seed(20240630)
n_tied <- 60
y_tied <- rbinom(n_tied, 1, 0.4)
n_rare <- 1000
y_rare <- c(rep(1, 8), rep(0, n_rare - 8))
y_sparse <- c(rep(1, 3), rep(0, 37))
sets <- list(
  small = list(y = c(0, 0, 0, 1, 1, 1, 0, 1),
               a = c(0.1, 0.4, 0.35, 0.8, 0.7, 0.3, 0.5, 0.9),
               b = c(0.2, 0.1, 0.6, 0.5, 0.9, 0.4, 0.3, 0.7)),
  tied = list(y = y_tied,
              a = pmin(5, pmax(0, round(1.5 + 1.2 * y_tied + rnorm(n_tied)))),
              b = pmin(5, pmax(0, round(2 + 0.6 * y_tied + rnorm(n_tied))))),
  binary_score = list(y = y_tied, a = as.numeric(runif(n_tied) < 0.35 + 0.3 * y_tied),
                      b = pmin(5, pmax(0, round(1.5 + 1.2 * y_tied + rnorm(n_tied))))),
  sparse = list(y = y_sparse, a = round(rnorm(40, 1 * y_sparse), 1), b = round(rnorm(40, 0.5 * y_sparse), 1)),
  rare = list(y = y_rare, a = rnorm(n_rare, 1.5 * y_rare), b = rnorm(n_rare, 0.5 * y_rare)),
  perfect = list(y = c(0, 0, 0, 0, 1, 1, 1), a = c(1, 2, 2, 3, 4, 5, 5), b = c(1, 4, 2, 3, 2, 5, 6)),
  both_perfect = list(y = c(0, 0, 0, 1, 1), a = c(1, 2, 3, 4, 5), b = c(0.1, 0.2, 0.3, 0.8, 0.9)),
  below = list(y = c(1, 1, 1, 0, 0, 0, 1, 0, 0, 1),
               a = c(0.1, 0.2, 0.5, 0.6, 0.9, 0.8, 0.3, 0.4, 0.7, 0.65),
               b = c(0.5, 0.2, 0.9, 0.1, 0.4, 0.3, 0.7, 0.8, 0.6, 0.35)),
  identical = list(y = c(0, 1, 0, 1, 1, 0), a = c(1, 3, 2, 5, 4, 3), b = c(1, 3, 2, 5, 4, 3)),
  with_na = list(y = c(0, 1, NA, 1, 0, 0, 1, 1, 0), a = c(0.2, 0.9, 0.5, NA, 0.4, 0.1, 0.6, 0.3, 0.35),
                 b = c(0.3, 0.7, 0.2, 0.6, NA, 0.2, 0.5, 0.1, 0.4)),
  one_case = list(y = c(0, 0, 1, 0, 0), a = c(0.1, 0.5, 0.4, 0.2, 0.3), b = c(0.3, 0.1, 0.9, 0.2, 0.4))
)
one_auc <- function(y, s, direction = "<", conf.level = 0.95) {
  r <- roc(y, s, levels = c(0, 1), direction = direction, quiet = TRUE)
  ci <- suppressWarnings(ci.auc(r, method = "delong", conf.level = conf.level))
  v <- if (length(r$cases) > 1 && length(r$controls) > 1) var(r, method = "delong") else NA
  list(auc = as.numeric(r$auc), lower = ci[1], upper = ci[3], var = v, direction = r$direction,
       n_cases = length(r$cases), n_controls = length(r$controls))
}
auc_cases <- lapply(names(sets), function(nm) {
  s <- sets[[nm]]
  list(name = nm, a = one_auc(s$y, s$a), b = one_auc(s$y, s$b))
})
# direction ">" and "auto" (and a 90% CI with "auto")
auc_directions <- lapply(names(sets), function(nm) {
  s <- sets[[nm]]
  list(name = nm,
       a_greater = one_auc(s$y, s$a, ">"), b_greater = one_auc(s$y, s$b, ">"),
       a_auto = one_auc(s$y, s$a, "auto"), b_auto = one_auc(s$y, s$b, "auto"),
       a_auto90 = one_auc(s$y, s$a, "auto", 0.90))
})
delong_cases <- lapply(setdiff(names(sets), "one_case"), function(nm) {
  s <- sets[[nm]]
  ok <- complete.cases(s$y, s$a, s$b)
  r1 <- roc(s$y[ok], s$a[ok], levels = c(0, 1), direction = "<", quiet = TRUE)
  r2 <- roc(s$y[ok], s$b[ok], levels = c(0, 1), direction = "<", quiet = TRUE)
  t <- suppressWarnings(roc.test(r1, r2, method = "delong", paired = TRUE))
  list(name = nm, z = unname(t$statistic), p = t$p.value, auc_a = unname(t$estimate[1]),
       auc_b = unname(t$estimate[2]), lower = t$conf.int[1], upper = t$conf.int[2], n = sum(ok))
})

# roc.test(response, predictor1, predictor2, direction = ...): the direction is passed to roc() for
# each predictor, so "auto" chooses it per predictor; DeLong's test then warns when they differ.
delong_one <- function(y, a, b, direction) {
  ok <- complete.cases(y, a, b)
  r1 <- roc(y[ok], a[ok], levels = c(0, 1), direction = direction, quiet = TRUE)
  r2 <- roc(y[ok], b[ok], levels = c(0, 1), direction = direction, quiet = TRUE)
  warned <- FALSE
  t <- withCallingHandlers(
    roc.test(r1, r2, method = "delong", paired = TRUE),
    warning = function(w) {
      if (grepl("different direction", conditionMessage(w))) warned <<- TRUE
      invokeRestart("muffleWarning")
    })
  list(z = unname(t$statistic), p = t$p.value, auc_a = unname(t$estimate[1]),
       auc_b = unname(t$estimate[2]), lower = t$conf.int[1], upper = t$conf.int[2], n = sum(ok),
       direction_a = r1$direction, direction_b = r2$direction, warned_direction = warned)
}
delong_directions <- lapply(setdiff(names(sets), "one_case"), function(nm) {
  s <- sets[[nm]]
  list(name = nm, greater = delong_one(s$y, s$a, s$b, ">"), auto = delong_one(s$y, s$a, s$b, "auto"))
})

out <- list(
  provenance = list(
    script = "tests/reference/discrimination.R",
    R = R.version.string,
    epiR = as.character(packageVersion("epiR")),
    pROC = as.character(packageVersion("pROC")),
    jsonlite = as.character(packageVersion("jsonlite")),
    date = as.character(Sys.Date())
  ),
  epi_tests = epi,
  data = sets,
  auc = auc_cases,
  delong = delong_cases,
  auc_directions = auc_directions,
  delong_directions = delong_directions
)
write_json(out, "discrimination.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "string")
