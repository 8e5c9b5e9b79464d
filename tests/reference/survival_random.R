# Many small random data sets (heavy ties, curves reaching 0 or ending exactly at 0.5, non-monotone
# confidence limits) for cartsie.survival: quantile.survfit, print.survfit's table (median, rmean),
# summary.survfit(times, extend = TRUE) for the three CI types, and survdiff with 2-3 groups.
# Writes survival_random.json next to this script.
#
#   cd tests/reference && Rscript survival_random.R
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

set.seed(20240502)
times_at <- c(0, 1.5, 3, 20)
cases <- vector("list", 120)
for (i in seq_along(cases)) {
  n <- sample(3:25, 1)
  d <- data.frame(
    time = sample(1:sample(3:12, 1), n, replace = TRUE),
    status = rbinom(n, 1, runif(1, 0.3, 1)),
    group = sample(c("a", "b", "c")[1:sample(2:3, 1)], n, replace = TRUE),
    stringsAsFactors = FALSE
  )
  km <- list()
  for (ct in c("log", "log-log", "plain")) {
    fit <- survfit(Surv(time, status) ~ 1, data = d, conf.type = ct)
    q <- quantile(fit, probs = c(0.25, 0.5, 0.75))
    tb <- summary(fit, rmean = "common")$table
    s <- summary(fit, times = times_at, extend = TRUE)
    km[[ct]] <- list(
      quantile = unname(q$quantile), lower = unname(q$lower), upper = unname(q$upper),
      table_median = unname(tb["median"]), table_lcl = unname(tb[8]), table_ucl = unname(tb[9]),
      rmean = unname(tb["rmean"]), se_rmean = unname(tb["se(rmean)"]),
      at_surv = s$surv, at_std_err = s$std.err, at_lower = s$lower, at_upper = s$upper,
      at_n_risk = s$n.risk
    )
  }
  lr <- NULL
  if (length(unique(d$group)) > 1 && sum(d$status) > 0) {
    sd <- survdiff(Surv(time, status) ~ group, data = d)
    ex <- sd$exp
    lr <- list(chisq = sd$chisq, df = sum(ex > 0) - 1, p = pchisq(sd$chisq, sum(ex > 0) - 1, lower.tail = FALSE),
               expected = as.vector(ex))
  }
  cases[[i]] <- list(data = as.list(d), km = km, logrank = lr)
}

out <- list(
  provenance = list(
    script = "tests/reference/survival_random.R",
    R = R.version.string,
    survival = as.character(packageVersion("survival")),
    jsonlite = as.character(packageVersion("jsonlite")),
    date = as.character(Sys.Date())
  ),
  times = times_at,
  cases = cases
)
write_json(out, "survival_random.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
