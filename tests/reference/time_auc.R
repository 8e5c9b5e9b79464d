# Reference values for cartsie.prognostic.time_auc and brier: riskRegression's Score() with
# metrics "auc" (se.fit = TRUE, null.model = FALSE, conf.int = 0.95: AUC(t), se, lower, upper and
# the paired contrasts of two scores) and "brier" (null.model = TRUE, summary = "ipa": Brier, se,
# lower, upper, IPA and the null model's Brier), formula Hist(time, event) ~ 1 (marginal
# Kaplan-Meier censoring weights), default conservative = FALSE.
#
# Data sets: 0/1 data with many ties on time (deaths and censorings tied) and on a 0-7 integer
# score, with a continuous score beside it; 0/1/2 competing-risk data (ties on time, a 0-7 score, a
# binary score and a continuous one); untied continuous data. Times include ones between event
# times, one before the first event, the last follow-up time and one beyond it (Score drops it).
#
# riskRegression 2022.11.28 returns a wrong standard error for the AUC with cause = 2 (its
# influence function takes code 1 for the cases whatever the cause), so the cause-2 references
# are Score's cause = 1 on the same data with codes 1 and 2 swapped ("swapped": TRUE); the direct
# cause = 2 results are kept ("direct_cause2") to show that its AUC agrees and its SE does not.
# Its Brier score with cause = 2 is right and is compared directly.
# Writes time_auc.json next to this script, with the input data.
#
#   cd tests/reference && Rscript time_auc.R
suppressPackageStartupMessages({
  library(survival)
  library(prodlim)
  library(riskRegression)
  library(data.table)
  library(jsonlite)
})

set.seed(20241204)
# -- 0/1, ties on time and on the score ----------------------------------------------------------
n <- 150
ht <- sample(0:7, n, replace = TRUE, prob = c(3, 3, 3, 2, 2, 1, 1, 1))
tt <- ceiling(rexp(n, 0.08 * exp(0.25 * (ht - 3))))
cc <- sample(1:24, n, replace = TRUE)
ties <- data.frame(time = pmin(tt, cc), status = as.integer(tt <= cc), ht = ht,
                   lp = round(0.25 * ht + rnorm(n, sd = 0.6), 3))
ties$time[which.max(ties$time)] <- max(ties$time) + 1   # a single last time, censored
ties$status[which.max(ties$time)] <- 0L
# -- 0/1/2 competing risks -----------------------------------------------------------------------
m <- 220
ht2 <- sample(0:7, m, replace = TRUE)
t1 <- rexp(m, 0.05 * exp(0.3 * (ht2 - 3)))
t2 <- rexp(m, 0.03)
c2 <- runif(m, 0, 30)
tm <- pmin(t1, t2, c2)
cr <- data.frame(time = round(tm, 0) + 1,                                 # ties on time
                 event = ifelse(tm == c2, 0L, ifelse(tm == t1, 1L, 2L)),
                 ht = ht2, simpleht = as.integer(ht2 >= 4),
                 lp = round(0.3 * ht2 + rnorm(m, sd = 0.8), 3))
# -- untied, continuous --------------------------------------------------------------------------
k <- 300
x <- rnorm(k)
tk <- rexp(k, 0.1 * exp(0.7 * x))
ck <- runif(k, 0, 25)
smooth <- data.frame(time = pmin(tk, ck), status = as.integer(tk <= ck), lp = x + rnorm(k, sd = 0.5))

swap <- function(d) { d$event <- ifelse(d$event == 1L, 2L, ifelse(d$event == 2L, 1L, 0L)); d }
sets <- list(ties = ties, cr = cr, cr_swapped = swap(cr), smooth = smooth)
event_of <- c(ties = "status", cr = "event", cr_swapped = "event", smooth = "status")

# predicted risks of the cause by t for the Brier score: a logistic-shaped function of the
# continuous score, one column per time (r_<t>) and one used at every time (risk)
add_risks <- function(d, times, cause_scale = 1) {
  for (t in times) d[[paste0("r_", t)]] <- round(plogis(d$lp - 1.6 + 0.12 * t * cause_scale), 6)
  d$risk <- round(plogis(d$lp - 0.5), 6)
  d
}
times_ties <- c(0.5, 3, 5.5, 8, 12.5, max(ties$time), max(ties$time) + 5)
times_cr <- c(2.5, 5, 9.5, 15, max(cr$time) + 2)
times_smooth <- c(1.3, 4, 7.77, 15)
sets$ties <- add_risks(sets$ties, c(3, 5.5, 8, 12.5))
sets$cr <- add_risks(sets$cr, c(2.5, 5, 9.5, 15))
sets$cr_swapped <- add_risks(sets$cr_swapped, c(2.5, 5, 9.5, 15))
sets$cr_swapped[grep("^r_|^risk$", names(sets$cr))] <- sets$cr[grep("^r_|^risk$", names(sets$cr))]
sets$smooth <- add_risks(sets$smooth, c(1.3, 4, 7.77, 15))

hist_formula <- function(event) as.formula(paste0("Hist(time, ", event, ") ~ 1"))

auc_case <- function(name, scores, times, cause = 1, label = name, swapped = FALSE, python_cause = cause) {
  d <- as.data.frame(sets[[name]])
  preds <- lapply(scores, function(s) d[[s]])
  names(preds) <- scores
  s <- suppressMessages(Score(preds, formula = hist_formula(event_of[[name]]), data = d, metrics = "auc",
                              times = times, cause = cause, se.fit = TRUE, null.model = FALSE,
                              conf.int = 0.95))
  sc <- as.data.frame(s$AUC$score)
  out <- list(label = label, data = name, scores = scores, times = times, cause = cause,
              python_cause = python_cause, swapped = swapped,
              score = list(model = as.character(sc$model), times = sc$times, auc = sc$AUC, se = sc$se,
                           lower = sc$lower, upper = sc$upper))
  if (!is.null(s$AUC$contrasts)) {
    ct <- as.data.frame(s$AUC$contrasts)
    out$contrasts <- list(times = ct$times, model = as.character(ct$model),
                          reference = as.character(ct$reference), delta = ct$delta.AUC, se = ct$se,
                          lower = ct$lower, upper = ct$upper, p = ct$p)
  }
  out
}

brier_case <- function(name, risk_cols, times, cause = 1, label = name, swapped = FALSE,
                       python_cause = cause) {
  d <- as.data.frame(sets[[name]])
  pred <- if (length(risk_cols) == 1) d[[risk_cols]] else as.matrix(d[, risk_cols])
  s <- suppressMessages(Score(list(model = pred), formula = hist_formula(event_of[[name]]), data = d,
                              metrics = "brier", times = times, cause = cause, se.fit = TRUE,
                              null.model = TRUE, conf.int = 0.95, summary = "ipa"))
  sc <- as.data.frame(s$Brier$score)
  list(label = label, data = name, risk = risk_cols, times = times, cause = cause,
       python_cause = python_cause, swapped = swapped,
       score = list(model = as.character(sc$model), times = sc$times, brier = sc$Brier, se = sc$se,
                    lower = sc$lower, upper = sc$upper, ipa = sc$IPA))
}

auc <- list(
  auc_case("ties", c("ht", "lp"), times_ties, label = "ties_ht_lp"),
  auc_case("ties", "ht", c(3, 8), label = "ties_ht_one_score"),
  auc_case("cr", c("ht", "simpleht"), times_cr, label = "cr_cause1_ht_simpleht"),
  auc_case("cr", c("lp", "ht"), times_cr[1:4], label = "cr_cause1_lp_ht"),
  # our cause = 2 on cr must equal Score's cause = 1 on cr_swapped
  auc_case("cr_swapped", c("ht", "simpleht"), times_cr, label = "cr_cause2_ht_simpleht",
           swapped = TRUE, python_cause = 2),
  auc_case("smooth", "lp", times_smooth, label = "smooth_lp"),
  # the last follow-up time is a censoring: G(t) = 0 there, the AUC (competing events as
  # controls) is estimable but Score's SE is NA
  auc_case("cr_swapped", "ht", max(cr$time) - 0:1, label = "cr_cause2_last_time", swapped = TRUE,
           python_cause = 2)
)
direct_cause2 <- auc_case("cr", c("ht", "simpleht"), times_cr[1:4], cause = 2, label = "cr_cause2_direct")

brier <- list(
  brier_case("ties", paste0("r_", c(3, 5.5, 8, 12.5)), c(3, 5.5, 8, 12.5), label = "ties_per_time"),
  brier_case("ties", "risk", times_ties, label = "ties_one_column"),
  brier_case("cr", paste0("r_", c(2.5, 5, 9.5, 15)), c(2.5, 5, 9.5, 15), label = "cr_cause1"),
  brier_case("cr_swapped", paste0("r_", c(2.5, 5, 9.5, 15)), c(2.5, 5, 9.5, 15), label = "cr_cause2",
             swapped = TRUE, python_cause = 2),
  brier_case("smooth", paste0("r_", c(1.3, 4, 7.77, 15)), c(1.3, 4, 7.77, 15), label = "smooth"),
  # Score's own cause = 2 Brier score and SE are right (its Brier influence function only needs
  # "any event"): compared directly
  brier_case("cr", "risk", c(5, 9.5), cause = 2, label = "cr_cause2_direct"),
  brier_case("cr_swapped", "risk", max(cr$time) - 0:1, label = "cr_cause2_last_time", swapped = TRUE,
             python_cause = 2)
)

# prodlim's reverse Kaplan-Meier (the censoring weights) against survfit's at tied times
fit_g <- prodlim(Hist(time, status) ~ 1, data = ties, reverse = TRUE)
fit_s <- survfit(Surv(time, 1 - status) ~ 1, data = ties)
g_times <- c(3, 5, 8, 12)
censoring <- list(times = g_times,
                  prodlim = predict(fit_g, times = g_times),
                  survfit = summary(fit_s, times = g_times)$surv)

out <- list(
  provenance = list(
    script = "tests/reference/time_auc.R",
    R = R.version.string,
    riskRegression = as.character(packageVersion("riskRegression")),
    prodlim = as.character(packageVersion("prodlim")),
    survival = as.character(packageVersion("survival")),
    data.table = as.character(packageVersion("data.table")),
    jsonlite = as.character(packageVersion("jsonlite")),
    date = as.character(Sys.Date()),
    note = paste("Score(..., cens.model default (marginal Kaplan-Meier for ~ 1), conservative = FALSE);",
                 "cause-2 references are cause = 1 on the data with codes 1 and 2 swapped")
  ),
  data = lapply(sets, as.list),
  event_column = as.list(event_of),
  auc = auc,
  direct_cause2 = direct_cause2,
  brier = brier,
  censoring = censoring
)
write_json(out, "time_auc.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "string")
