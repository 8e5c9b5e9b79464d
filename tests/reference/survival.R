# Reference values for cartsie.survival: Kaplan-Meier (survfit, summary.survfit, quantile.survfit,
# restricted mean), log-rank (survdiff), reverse-KM follow-up, Cox (coxph, summary, robust) and
# cox.zph, on several data sets. Writes survival.json next to this script, with the input data.
#
#   cd tests/reference && Rscript survival.R
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

# ---------------------------------------------------------------------------------------------
# Data sets (each kept in the JSON as columns)
# ---------------------------------------------------------------------------------------------
set.seed(20240501)
n <- 90
ties <- data.frame(
  time = sample(1:10, n, replace = TRUE),        # heavy ties: 10 distinct times
  status = rbinom(n, 1, 0.65),
  group = sample(c("A", "B", "C"), n, replace = TRUE),
  stringsAsFactors = FALSE
)

# group C has no events; one time lies beyond group A's last observation
noevents <- data.frame(
  time = c(2, 3, 3, 5, 8, 9, 12, 1, 4, 4, 6, 7, 10, 15, 3, 6, 9, 11, 14),
  status = c(1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0),
  group = c(rep("A", 7), rep("B", 7), rep("C", 5)),
  stringsAsFactors = FALSE
)

# survival reaches 0 (the last time is an event) in group X; group Y ends censored
zero <- data.frame(
  time = c(1, 2, 2, 4, 5, 7, 1, 3, 3, 6, 8, 9),
  status = c(1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0),
  group = c(rep("X", 6), rep("Y", 6)),
  stringsAsFactors = FALSE
)

# the curve lies exactly on 0.5: to the end (flat50a) / until a later event (flat50b)
flat50a <- data.frame(time = c(1, 2, 3, 4), status = c(1, 1, 0, 0))
flat50b <- data.frame(time = c(1, 2, 3, 5), status = c(1, 1, 0, 1))

# events and a censoring at time 0 (no start row is added by survfit0)
time0 <- data.frame(time = c(0, 0, 0, 1, 2, 2, 3, 5, 6, 8), status = c(1, 1, 0, 1, 0, 1, 1, 0, 1, 0))

lung2 <- data.frame(
  time = lung$time,
  status = lung$status - 1,
  sex = ifelse(lung$sex == 1, "male", "female"),
  age = lung$age,
  ph_ecog = lung$ph.ecog,
  ecog3 = ifelse(is.na(lung$ph.ecog), NA, ifelse(lung$ph.ecog >= 2, "2+", as.character(lung$ph.ecog))),
  inst = lung$inst,
  wt_loss = lung$wt.loss,
  stringsAsFactors = FALSE
)

vet <- data.frame(
  time = veteran$time,
  status = veteran$status,
  trt = veteran$trt,
  celltype = as.character(veteran$celltype),
  karno = veteran$karno,
  age = veteran$age,
  stringsAsFactors = FALSE
)
celltype_levels <- levels(veteran$celltype)

set.seed(7)
m <- 400
sim <- data.frame(
  x1 = round(rnorm(m), 3),
  x2 = rbinom(m, 1, 0.4),
  x3 = sample(c("low", "mid", "high"), m, replace = TRUE, prob = c(0.5, 0.3, 0.2)),
  center = sample(sprintf("c%02d", 1:12), m, replace = TRUE),
  stratum = sample(c("s1", "s2"), m, replace = TRUE),
  stringsAsFactors = FALSE
)
lp <- 0.5 * sim$x1 - 0.7 * sim$x2 + ifelse(sim$x3 == "mid", 0.4, ifelse(sim$x3 == "high", 0.9, 0))
ev_time <- rexp(m, 0.08 * exp(lp) * ifelse(sim$stratum == "s2", 1.8, 1))
cens <- runif(m, 2, 30)
sim$time <- round(pmin(ev_time, cens), 1)  # rounding makes many ties
sim$status <- as.integer(ev_time <= cens)
sim$time[sim$time == 0] <- 0.1

datasets <- list(ties = ties, noevents = noevents, zero = zero, flat50a = flat50a, flat50b = flat50b, time0 = time0,
                 lung = lung2, veteran = vet, sim = sim)

# ---------------------------------------------------------------------------------------------
# Kaplan-Meier
# ---------------------------------------------------------------------------------------------
strata_labels <- function(fit, n) {
  if (is.null(fit$strata)) rep("all", n) else sub("^[^=]*=", "", as.character(rep(names(fit$strata), fit$strata)))
}
as_rows <- function(x) if (is.matrix(x)) x else matrix(x, nrow = 1, dimnames = list(NULL, names(x)))

km_case <- function(data_name, group, conf_type, times, taus, probs = c(0.25, 0.5, 0.75), conf_level = 0.95) {
  d <- datasets[[data_name]]
  # veteran's celltype keeps R's factor level order (not alphabetical): a pandas Categorical in tests
  if (data_name == "veteran") d$celltype <- factor(d$celltype, levels = celltype_levels)
  f <- if (is.null(group)) Surv(time, status) ~ 1 else as.formula(paste("Surv(time, status) ~", group))
  fit <- survfit(f, data = d, conf.type = conf_type, conf.int = conf_level)
  curve <- list(group = strata_labels(fit, length(fit$time)), time = fit$time, n_risk = fit$n.risk,
                n_event = fit$n.event, n_censor = fit$n.censor, surv = fit$surv,
                std_err = fit$std.err, lower = fit$lower, upper = fit$upper)
  s <- summary(fit, times = times, extend = TRUE)
  at <- list(group = if (is.null(s$strata)) rep("all", length(s$time)) else sub("^[^=]*=", "", as.character(s$strata)),
             time = s$time, n_risk = s$n.risk, n_event = s$n.event, n_censor = s$n.censor,
             surv = s$surv, std_err = s$std.err, lower = s$lower, upper = s$upper)
  q <- quantile(fit, probs = probs)
  quant <- list(probs = probs, quantile = as_rows(q$quantile), lower = as_rows(q$lower), upper = as_rows(q$upper))
  tables <- lapply(taus, function(tau) {
    tb <- as_rows(summary(fit, rmean = tau)$table)
    list(rmean = tau, n = tb[, "records"], events = tb[, "events"], rmean_value = tb[, "rmean"],
         se_rmean = tb[, "se(rmean)"], median = tb[, "median"], lcl = tb[, 8], ucl = tb[, 9],
         end_time = summary(fit, rmean = tau)$rmean.endtime)
  })
  list(data = data_name, group = group, conf_type = conf_type, conf_level = conf_level, times = times,
       groups = if (is.null(fit$strata)) "all" else sub("^[^=]*=", "", names(fit$strata)),
       curve = curve, at = at, quantile = quant, tables = tables)
}

km_cases <- list()
for (ct in c("log", "log-log", "plain")) {
  km_cases[[length(km_cases) + 1]] <- km_case("ties", "group", ct, c(0, 2.5, 5, 10, 12), list("common", "individual", 7, 12))
  km_cases[[length(km_cases) + 1]] <- km_case("noevents", "group", ct, c(1, 5, 12, 20), list("common", "individual", 10))
  km_cases[[length(km_cases) + 1]] <- km_case("zero", "group", ct, c(0, 3, 7, 10), list("common", "individual", 6, 11))
  km_cases[[length(km_cases) + 1]] <- km_case("flat50a", NULL, ct, c(2, 4, 6), list("common", 3.5))
  km_cases[[length(km_cases) + 1]] <- km_case("flat50b", NULL, ct, c(2, 5), list("common"))
  km_cases[[length(km_cases) + 1]] <- km_case("time0", NULL, ct, c(0, 0.5, 2, 9), list("common", 4))
  km_cases[[length(km_cases) + 1]] <- km_case("lung", "sex", ct, c(100, 365), list("common"), conf_level = 0.9)
  km_cases[[length(km_cases) + 1]] <- km_case("lung", "sex", ct, c(0, 100, 365, 730, 1100), list("common", "individual", 365))
  km_cases[[length(km_cases) + 1]] <- km_case("lung", NULL, ct, c(182.5, 365, 1000), list("common", 730))
  km_cases[[length(km_cases) + 1]] <- km_case("veteran", "celltype", ct, c(30, 90, 180, 365, 1000), list("common", "individual", 180))
  km_cases[[length(km_cases) + 1]] <- km_case("sim", "x3", ct, c(1, 6, 12, 24, 40), list("common", 12))
}

# reverse Kaplan-Meier median follow-up
followup <- lapply(c("log", "log-log", "plain"), function(ct) {
  lapply(c("lung", "veteran", "sim", "ties"), function(dn) {
    d <- datasets[[dn]]
    q <- quantile(survfit(Surv(time, 1 - status) ~ 1, data = d, conf.type = ct), probs = 0.5)
    list(data = dn, conf_type = ct, median = unname(q$quantile), lower = unname(q$lower), upper = unname(q$upper))
  })
})
followup <- do.call(c, followup)

# ---------------------------------------------------------------------------------------------
# Log-rank
# ---------------------------------------------------------------------------------------------
lr_case <- function(data_name, group, strata = NULL) {
  d <- datasets[[data_name]]
  rhs <- if (is.null(strata)) group else paste(group, "+ strata(", strata, ")")
  sd <- survdiff(as.formula(paste("Surv(time, status) ~", rhs)), data = d)
  obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  ex <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  list(data = data_name, group = group, strata = strata, chisq = sd$chisq,
       df = sum(ex > 0) - 1, p = pchisq(sd$chisq, sum(ex > 0) - 1, lower.tail = FALSE),
       groups = sub("^[^=]*=", "", names(sd$n)), n = as.vector(sd$n), observed = as.vector(obs),
       expected = as.vector(ex), var = sd$var, n_used = sum(sd$n))
}
logrank_cases <- list(
  lr_case("ties", "group"),
  lr_case("noevents", "group"),
  lr_case("zero", "group"),
  lr_case("lung", "sex"),
  lr_case("lung", "sex", "ph_ecog"),
  lr_case("veteran", "celltype"),
  lr_case("veteran", "celltype", "trt"),
  lr_case("sim", "x3", "stratum")
)

# ---------------------------------------------------------------------------------------------
# Cox
# ---------------------------------------------------------------------------------------------
cox_case <- function(name, data_name, covariates, ties = "efron", cluster = NULL, strata = NULL,
                     robust = NULL, factors = list(), zph = TRUE) {
  d <- datasets[[data_name]]
  for (v in names(factors)) d[[v]] <- factor(d[[v]], levels = factors[[v]])
  rhs <- paste(covariates, collapse = " + ")
  if (!is.null(strata)) rhs <- paste(rhs, "+ strata(", strata, ")")
  f <- as.formula(paste("Surv(time, status) ~", rhs))
  args <- list(formula = f, data = d, ties = ties)
  if (!is.null(cluster)) args$cluster <- d[[cluster]]
  if (!is.null(robust)) args$robust <- robust
  fit <- do.call(coxph, args)
  s <- summary(fit)
  out <- list(name = name, data = data_name, covariates = covariates, ties = ties, cluster = cluster,
              strata = strata, robust = !is.null(fit$naive.var), factors = factors,
              terms = names(coef(fit)), coef = unname(coef(fit)), var = unname(fit$var),
              se = unname(sqrt(diag(fit$var))), lower = unname(s$conf.int[, 3]),
              upper = unname(s$conf.int[, 4]), z = unname(s$coefficients[, "z"]),
              p = unname(s$coefficients[, "Pr(>|z|)"]), loglik = fit$loglik, iter = fit$iter,
              n = fit$n, nevent = fit$nevent, n_missing = length(fit$na.action),
              logtest = unname(s$logtest), sctest = unname(s$sctest),
              wald = unname(c(fit$wald.test, s$waldtest["df"], s$waldtest["pvalue"])))
  if (!is.null(fit$naive.var)) {
    out$naive_var <- unname(fit$naive.var)
    out$robscore <- unname(s$robscore)
  }
  if (zph) {
    out$zph <- lapply(c("km", "rank", "identity", "log"), function(tr) {
      z <- cox.zph(fit, transform = tr)
      list(transform = tr, terms = rownames(z$table), chisq = unname(z$table[, "chisq"]),
           df = unname(z$table[, "df"]), p = unname(z$table[, "p"]))
    })
  }
  out
}

ecog_levels <- c("0", "1", "2+")
cox_cases <- list(
  cox_case("lung_efron", "lung", c("age", "sex", "ecog3")),
  cox_case("lung_breslow", "lung", c("age", "sex", "ecog3"), ties = "breslow"),
  cox_case("lung_ref1", "lung", c("age", "ecog3"), factors = list(ecog3 = c("1", "0", "2+"))),
  cox_case("lung_cluster", "lung", c("age", "sex", "ecog3"), cluster = "inst"),
  cox_case("lung_robust", "lung", c("age", "sex"), robust = TRUE),
  cox_case("lung_wtloss", "lung", c("age", "wt_loss")),
  cox_case("vet_efron", "veteran", c("karno", "celltype", "trt"), factors = list(celltype = celltype_levels)),
  cox_case("vet_strata", "veteran", c("karno", "age"), strata = "celltype"),
  cox_case("sim_efron", "sim", c("x1", "x2", "x3"), factors = list(x3 = c("low", "mid", "high"))),
  cox_case("sim_breslow", "sim", c("x1", "x2", "x3"), ties = "breslow", factors = list(x3 = c("low", "mid", "high"))),
  cox_case("sim_strata_cluster", "sim", c("x1", "x2", "x3"), strata = "stratum", cluster = "center",
           factors = list(x3 = c("low", "mid", "high"))),
  cox_case("sim_breslow_cluster", "sim", c("x1", "x3"), ties = "breslow", cluster = "center",
           factors = list(x3 = c("low", "mid", "high"))),
  cox_case("ties_group", "ties", c("group")),
  cox_case("ties_group_breslow", "ties", c("group"), ties = "breslow")
)

# a level without events: the coefficient runs off to -infinity; R warns "Loglik converged before
# variable 2; coefficient may be infinite" and reports the last iterate
cox_infinite <- withCallingHandlers(
  cox_case("noevents_group", "noevents", c("group"), zph = FALSE),
  warning = function(w) invokeRestart("muffleWarning")
)

out <- list(
  provenance = list(
    script = "tests/reference/survival.R",
    R = R.version.string,
    survival = as.character(packageVersion("survival")),
    jsonlite = as.character(packageVersion("jsonlite")),
    date = as.character(Sys.Date())
  ),
  data = lapply(datasets, as.list),
  celltype_levels = celltype_levels,
  km = km_cases,
  followup = followup,
  logrank = logrank_cases,
  cox = cox_cases,
  cox_infinite = cox_infinite
)
write_json(out, "survival.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
