# Reference values for cartsie.prognostic.calibration and net_benefit (issue 16, TRIPOD validation
# of a prognostic score). Writes score_calibration.json next to this script, with the input data.
#
#   cd tests/reference && Rscript score_calibration.R
#
# What is computed, and how:
# * Risk groups: one group per distinct predicted risk when there are at most `g` distinct values,
#   else Hmisc::cut2(risk, g = g) (the grouping of rms::val.prob / val.surv).
# * Observed risk per group at time `at`: 1 - survfit's Kaplan-Meier (summary(fit, times = at,
#   extend = TRUE), default log-scale CI, limits flipped) for 0/1 outcomes; cmprsk::cuminc +
#   timepoints() for 0/1/2 outcomes, with the log-log CI F^exp(-/+ z se / (F log F)) written out
#   (cuminc gives no CI; this is cartsie's cumulative_incidence convention).
# * Calibration-in-the-large: O = overall observed risk at `at` (as above), E = mean predicted risk,
#   O/E with CI exp(log(O/E) -/+ z se(O) / O) (delta method, E treated as fixed; Debray et al. 2017).
# * Calibration slope: coefficient of log(-log(1 - risk)) in coxph (Efron) -- or cmprsk::crr for
#   the cause of interest, gtol = 1e-12 -- with follow-up administratively censored at `at`; Wald CI; z and p of
#   the test of slope = 1.
# * Net benefit: dcurves is not packaged for Debian (apt-cache policy r-cran-dcurves shows nothing),
#   so dcurves::dca's definitions are written out with base R and survival::survfit: treated when
#   risk >= threshold; binary NB = TP/n - FP/n * pt / (1 - pt); survival NB at `at` with the
#   Kaplan-Meier risk among the treated (the cmprsk Aalen-Johansen risk of cause 1 with competing
#   events, as dcurves reads a multi-state survfit), 0 when nobody is treated (dcurves' convention);
#   treat-all and treat-none rows.
# * A cross-check against riskRegression::Score(plots = "calibration") with plotCalibration(method =
#   "quantile") is included (`riskregression_check`): its quantile groups, given to cartsie as a
#   column, and its observed risks.
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(Hmisc)
  library(riskRegression)
  library(jsonlite)
})

pdf(NULL)  # riskRegression opens a graphics device; write no Rplots.pdf
set.seed(20261204)
z <- qnorm(0.975)

# ---- data --------------------------------------------------------------------------------------
n <- 300
x <- rnorm(n)
true_rate <- 0.06 * exp(0.8 * x)
t_event <- rexp(n, true_rate)
t_cens <- runif(n, 4, 30)
surv <- data.frame(
  time = round(pmin(t_event, t_cens), 1),           # rounded: ties on time
  status = as.integer(t_event <= t_cens),
  risk = 1 - exp(-12 * 0.05 * exp(0.65 * x + 0.05 * rnorm(n)))  # a slightly miscalibrated model
)

m <- 300
xc <- rnorm(m)
t1 <- rexp(m, 0.04 * exp(0.7 * xc))
t2 <- rexp(m, 0.03)
tc <- runif(m, 5, 30)
tt <- pmin(t1, t2, tc)
cr <- data.frame(
  time = round(tt, 1),
  status = ifelse(tt == tc, 0L, ifelse(tt == t1, 1L, 2L)),
  risk = 1 - exp(-12 * 0.035 * exp(0.75 * xc))
)

k <- 200
levels_risk <- c(0.1, 0.25, 0.4, 0.6)
rk <- sample(levels_risk, k, replace = TRUE, prob = c(0.35, 0.3, 0.2, 0.15))
te <- rexp(k, -log(1 - rk) / 12 * 1.2)
tcd <- runif(k, 6, 24)
discrete <- data.frame(time = round(pmin(te, tcd), 2), status = as.integer(te <= tcd), risk = rk)

b <- 250
xb <- rnorm(b)
pb <- plogis(-1 + 1.1 * xb)
binary <- data.frame(y = rbinom(b, 1, pb), risk = plogis(-0.8 + 0.9 * xb))

sets <- list(surv = surv, cr = cr, discrete = discrete, binary = binary)

# ---- calibration --------------------------------------------------------------------------------
risk_groups <- function(risk, g) {
  if (length(unique(risk)) <= g) as.integer(factor(risk)) else as.integer(cut2(risk, g = g))
}

oe <- function(obs, se_obs, expected) {
  ratio <- obs / expected
  se_log <- se_obs / obs
  list(observed = obs, observed_se = se_obs, expected = expected, oe_ratio = ratio,
       oe_se_log = se_log, oe_lower = exp(log(ratio) - z * se_log), oe_upper = exp(log(ratio) + z * se_log),
       difference = obs - expected)
}

slope_of <- function(coef, se) {
  list(slope = coef, se = se, ci_lower = coef - z * se, ci_upper = coef + z * se,
       z = (coef - 1) / se, p_value = 2 * pnorm(-abs((coef - 1) / se)))
}

cal_km <- function(d, at, g) {
  grp <- risk_groups(d$risk, g)
  s <- summary(survfit(Surv(time, status) ~ grp, data = d), times = at, extend = TRUE)
  mean_pred <- as.numeric(tapply(d$risk, grp, mean))
  groups <- list(
    group = seq_along(mean_pred),
    n = as.integer(table(grp)),
    events = as.integer(tapply(d$status == 1 & d$time <= at, grp, sum)),
    n_risk = s$n.risk,
    mean_predicted = mean_pred,
    min_predicted = as.numeric(tapply(d$risk, grp, min)),
    max_predicted = as.numeric(tapply(d$risk, grp, max)),
    observed = 1 - s$surv,
    std_error = s$std.err,
    ci_lower = 1 - s$upper,
    ci_upper = 1 - s$lower
  )
  s0 <- summary(survfit(Surv(time, status) ~ 1, data = d), times = at, extend = TRUE)
  cll <- log(-log(1 - d$risk))
  tt <- pmin(d$time, at)
  ee <- ifelse(d$time <= at, d$status, 0)
  fit <- coxph(Surv(tt, ee) ~ cll, ties = "efron")
  list(at = at, groups_asked = g, group_of_row = grp, groups = groups,
       in_the_large = oe(1 - s0$surv, s0$std.err, mean(d$risk)),
       slope = slope_of(unname(coef(fit)), unname(sqrt(diag(vcov(fit))))))
}

cal_aj <- function(d, at, g, cause = 1) {
  grp <- risk_groups(d$risk, g)
  fit <- cuminc(d$time, d$status, grp, cencode = 0)
  tp <- timepoints(fit, at)
  rows <- paste(sort(unique(grp)), cause)
  est <- as.numeric(tp$est[rows, 1])
  se <- sqrt(as.numeric(tp$var[rows, 1]))
  a <- z * se / (est * log(est))
  fit0 <- cuminc(d$time, d$status, cencode = 0)
  tp0 <- timepoints(fit0, at)
  o <- tp0$est[paste("1", cause), 1]
  cll <- log(-log(1 - d$risk))
  ee <- ifelse(d$time <= at, d$status, 0)
  fg <- crr(pmin(d$time, at), ee, cov1 = cbind(cll), failcode = cause, cencode = 0, gtol = 1e-12,
            maxiter = 100)  # converged fully, as the other crr fixtures
  list(at = at, groups_asked = g, cause = cause, group_of_row = grp,
       groups = list(
         group = sort(unique(grp)),
         n = as.integer(table(grp)),
         events = as.integer(tapply(d$status == cause & d$time <= at, grp, sum)),
         n_risk = as.integer(tapply(d$time >= at, grp, sum)),
         mean_predicted = as.numeric(tapply(d$risk, grp, mean)),
         observed = est, std_error = se,
         ci_lower = est^exp(-a), ci_upper = est^exp(a)),
       in_the_large = oe(unname(o), sqrt(unname(tp0$var[paste("1", cause), 1])), mean(d$risk)),
       slope = slope_of(unname(fg$coef), unname(sqrt(diag(fg$var)))))
}

calibration <- list(
  km_surv_12 = c(list(data = "surv", event = "km"), cal_km(surv, 12, 10)),
  km_surv_12_g5 = c(list(data = "surv", event = "km"), cal_km(surv, 12, 5)),
  km_discrete_12 = c(list(data = "discrete", event = "km"), cal_km(discrete, 12, 10)),
  aj_cr_12 = c(list(data = "cr", event = "aj"), cal_aj(cr, 12, 10)),
  aj_cr_12_cause2 = c(list(data = "cr", event = "aj"), cal_aj(cr, 12, 4, cause = 2))
)

# riskRegression's calibration plot data (method = "quantile": its groups are
# cut(risk, quantile(risk, seq(0, 1, 1 / q)), include.lowest = TRUE), which need distinct breaks),
# for the continuous score; the tests give cartsie these groups as a column
rr_one <- function(d, at, q) {
  sc <- Score(list(model = d$risk), formula = Hist(time, status) ~ 1, data = d, times = at,
              plots = "calibration", metrics = "brier", null.model = FALSE, conf.int = FALSE)
  pf <- suppressMessages(plotCalibration(sc, method = "quantile", q = q, plot = FALSE))$plotFrames$model
  grp <- as.integer(cut(d$risk, quantile(d$risk, seq(0, 1, 1 / q)), include.lowest = TRUE))
  if (all(d$status %in% 0:1)) {
    ours <- 1 - summary(survfit(Surv(time, status) ~ grp, data = d), times = at, extend = TRUE)$surv
  } else {
    ours <- as.numeric(timepoints(cuminc(d$time, d$status, grp, cencode = 0), at)$est[paste(1:q, 1), 1])
  }
  list(at = at, q = q, group_of_row = grp, predicted = pf$Pred, observed = pf$Obs,
       observed_by_definition = ours)
}
rr_check <- list(surv = rr_one(surv, 12, 10), cr = rr_one(cr, 12, 5))

# ---- net benefit (dcurves::dca's definitions, written out) --------------------------------------
nb_binary <- function(y, risk, thresholds) {
  n <- length(y)
  prev <- mean(y == 1)
  rows <- list()
  for (pt in thresholds) {
    w <- pt / (1 - pt)
    tp <- sum(risk >= pt & y == 1) / n
    fp <- sum(risk >= pt & y == 0) / n
    rows[[length(rows) + 1]] <- list(threshold = pt, strategy = "model", treated = mean(risk >= pt),
                                     tp_rate = tp, fp_rate = fp, net_benefit = tp - w * fp)
    rows[[length(rows) + 1]] <- list(threshold = pt, strategy = "all", treated = 1,
                                     tp_rate = prev, fp_rate = 1 - prev, net_benefit = prev - w * (1 - prev))
    rows[[length(rows) + 1]] <- list(threshold = pt, strategy = "none", treated = 0,
                                     tp_rate = 0, fp_rate = 0, net_benefit = 0)
  }
  list(prevalence = prev, n = n, rows = rows)
}

km_risk <- function(time, status, at) {
  if (length(time) == 0) return(0)  # dcurves: nobody treated, no risk among the treated
  if (max(time) < at) return(NA_real_)
  if (all(status %in% 0:1)) {
    return(1 - summary(survfit(Surv(time, status) ~ 1), times = at, extend = TRUE)$surv)
  }
  # competing events: the Aalen-Johansen risk of cause 1 (what dcurves reads off a multi-state survfit)
  if (!any(status == 1)) return(0)
  unname(timepoints(cuminc(time, status, cencode = 0), at)$est["1 1", 1])
}

nb_surv <- function(d, at, thresholds) {
  prev <- km_risk(d$time, d$status, at)
  rows <- list()
  for (pt in thresholds) {
    w <- pt / (1 - pt)
    tr <- d$risk >= pt
    r <- km_risk(d$time[tr], d$status[tr], at)
    p <- mean(tr)
    rows[[length(rows) + 1]] <- list(threshold = pt, strategy = "model", treated = p, risk_treated = r,
                                     tp_rate = r * p, fp_rate = (1 - r) * p,
                                     net_benefit = r * p - w * (1 - r) * p)
    rows[[length(rows) + 1]] <- list(threshold = pt, strategy = "all", treated = 1, risk_treated = prev,
                                     tp_rate = prev, fp_rate = 1 - prev, net_benefit = prev - w * (1 - prev))
    rows[[length(rows) + 1]] <- list(threshold = pt, strategy = "none", treated = 0, risk_treated = 0,
                                     tp_rate = 0, fp_rate = 0, net_benefit = 0)
  }
  list(prevalence = prev, n = nrow(d), at = at, rows = rows)
}

thr_b <- c(0.05, 0.1, 0.2, 0.3, 0.45, 0.6, max(binary$risk) + 0.01)  # the last: nobody treated
thr_s <- c(0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, max(surv$risk) + 0.01)
net_benefit <- list(
  binary = c(list(data = "binary", thresholds = thr_b), nb_binary(binary$y, binary$risk, thr_b)),
  surv_12 = c(list(data = "surv", thresholds = thr_s), nb_surv(surv, 12, thr_s)),
  cr_12 = c(list(data = "cr", thresholds = c(0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8)),
            nb_surv(cr, 12, c(0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8))),
  discrete_12 = c(list(data = "discrete", thresholds = c(0.1, 0.2, 0.25, 0.5, 0.6, 0.7)),
                  nb_surv(discrete, 12, c(0.1, 0.2, 0.25, 0.5, 0.6, 0.7)))
)

out <- list(
  provenance = list(
    script = "tests/reference/score_calibration.R",
    R = R.version.string,
    survival = as.character(packageVersion("survival")),
    cmprsk = as.character(packageVersion("cmprsk")),
    Hmisc = as.character(packageVersion("Hmisc")),
    riskRegression = as.character(packageVersion("riskRegression")),
    jsonlite = as.character(packageVersion("jsonlite")),
    dcurves = paste("not installed (not packaged for Debian): dcurves::dca's net-benefit definitions",
                    "are applied with base R and survival::survfit (see the script's header)"),
    date = as.character(Sys.Date())
  ),
  data = lapply(sets, as.list),
  calibration = calibration,
  riskregression_check = rr_check,
  net_benefit = net_benefit
)
write_json(out, "score_calibration.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "string")
