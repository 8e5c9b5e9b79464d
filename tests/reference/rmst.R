# Reference values for cartsie.survival.rmst: the restricted mean survival time up to tau and its
# standard error as survfit prints them (print(fit, rmean = tau); summary(fit, rmean = tau)$table's
# rmean and se(rmean)), per group, and the difference between two groups with the sum of the
# variances and a normal CI and p-value -- survRM2::rmst2's "RMST (arm=1)-(arm=0)" row. survRM2 is
# not packaged for Debian, so that row is computed here from survfit's values with rmst2's
# formula (difference, sqrt(var1 + var0), difference -/+ qnorm(1 - alpha / 2) se,
# 2 pnorm(-|difference| / se)). Writes rmst.json next to this script, with the input data.
#
#   cd tests/reference && Rscript rmst.R
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

set.seed(20241204)
n <- 120
ties <- data.frame(
  time = sample(1:15, n, replace = TRUE),
  status = rbinom(n, 1, 0.6),
  group = sample(c("A", "B", "C"), n, replace = TRUE),
  stringsAsFactors = FALSE
)
lung2 <- data.frame(time = lung$time, status = lung$status - 1,
                    sex = ifelse(lung$sex == 1, "male", "female"), stringsAsFactors = FALSE)
vet <- data.frame(time = veteran$time, status = veteran$status, trt = veteran$trt,
                  celltype = as.character(veteran$celltype), stringsAsFactors = FALSE)
# group X ends with an event (S = 0), group Y ends censored at 9
zero <- data.frame(time = c(1, 2, 2, 4, 5, 7, 1, 3, 3, 6, 8, 9),
                   status = c(1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0),
                   group = c(rep("X", 6), rep("Y", 6)), stringsAsFactors = FALSE)
sets <- list(ties = ties, lung = lung2, vet = vet, zero = zero)

rm_table <- function(fit, tau) {
  tb <- summary(fit, rmean = tau)$table
  if (is.null(dim(tb))) tb <- t(as.matrix(tb))
  list(rmean = unname(tb[, "rmean"]), se = unname(tb[, "se(rmean)"]),
       n = unname(tb[, "records"]), events = unname(tb[, "events"]))
}
difference <- function(tab, conf.level = 0.95) {
  # every level against the first (survRM2::rmst2's arm 1 minus arm 0 when there are two)
  est <- tab$rmean[-1] - tab$rmean[1]
  se <- sqrt(tab$se[-1]^2 + tab$se[1]^2)
  z <- qnorm(1 - (1 - conf.level) / 2)
  list(estimate = est, se = se, lower = est - z * se, upper = est + z * se,
       p = 2 * pnorm(-abs(est) / se))
}
cases <- list()
add <- function(data, group, tau, conf.level = 0.95) {
  d <- sets[[data]]
  fml <- if (is.null(group)) Surv(time, status) ~ 1 else as.formula(paste("Surv(time, status) ~", group))
  fit <- survfit(fml, data = d, conf.int = conf.level)
  tab <- rm_table(fit, tau)
  z <- qnorm(1 - (1 - conf.level) / 2)
  item <- list(data = data, group = if (is.null(group)) NA else group, tau = tau, conf_level = conf.level,
               rmean = tab$rmean, se = tab$se, lower = tab$rmean - z * tab$se,
               upper = tab$rmean + z * tab$se, n = tab$n, events = tab$events,
               levels = if (is.null(group)) NA else names(fit$strata))
  if (!is.null(group)) item$difference <- difference(tab, conf.level)
  cases[[length(cases) + 1]] <<- item
}
add("ties", NULL, 10)
add("ties", "group", 10)
add("ties", "group", 7)        # tau equal to a time with events
add("lung", "sex", 365)
add("lung", "sex", 730, 0.90)
add("lung", NULL, 1000)
add("vet", "trt", 180)
add("vet", "celltype", 200)
add("zero", "group", 8)        # beyond group X's last time, where S = 0

out <- list(
  provenance = list(
    script = "tests/reference/rmst.R",
    R = R.version.string,
    survival = as.character(packageVersion("survival")),
    jsonlite = as.character(packageVersion("jsonlite")),
    survRM2 = "not installed (not in Debian); its rmst2 difference formula is applied to survfit's values",
    date = as.character(Sys.Date())
  ),
  data = lapply(sets, as.list),
  rmst = cases
)
write_json(out, "rmst.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "string")
