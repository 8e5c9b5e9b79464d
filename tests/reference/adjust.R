# Reference values for cartsie.adjust.lp_adjusted: CART-SIE's adjustment of a score by the linear
# predictor of a model on the other baseline covariates, done the R way:
#   complete cases over score + adjust_for + outcome columns;
#   stage 1: glm / coxph / crr of the outcome on adjust_for alone, linear predictor
#            (predict(type = "link"), predict(type = "lp"), cov1 %*% coef);
#   stage 2: the same model of the outcome on score + lp; the score's row(s) reported.
# Writes adjust.json next to this script, with the input data.
#
#   cd tests/reference && Rscript adjust.R
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(MASS)
  library(jsonlite)
})

set.seed(20240620)
n <- 300
d <- data.frame(
  stage = sample(c("I-II", "III-IV"), n, replace = TRUE, prob = c(0.3, 0.7)),
  bulky = rbinom(n, 1, 0.35),
  histology = sample(c("DLBCL", "HGBL", "PMBCL"), n, replace = TRUE, prob = c(0.65, 0.2, 0.15)),
  ipi = sample(0:5, n, replace = TRUE),
  bridging = rbinom(n, 1, 0.8),
  ht_high = rbinom(n, 1, 0.6),
  stringsAsFactors = FALSE
)
d$risk <- ifelse(d$ht_high == 0, "low", sample(c("mid", "high"), n, replace = TRUE))
burden <- 0.6 * (d$stage == "III-IV") + 0.4 * d$bulky + 0.25 * d$ipi + 0.3 * (d$histology == "HGBL")
d$y <- rbinom(n, 1, plogis(-2 + burden + 0.7 * d$ht_high))
rate <- 0.04 * exp(0.8 * burden + 0.5 * d$ht_high)
event_time <- rexp(n, rate)
censor <- runif(n, 6, 36)
d$os_time <- round(pmin(event_time, censor), 2)
d$os_event <- as.numeric(event_time <= censor)
spm <- rexp(n, 0.01 * exp(0.3 * burden + 0.9 * d$ht_high))
death <- rexp(n, 0.03 * exp(0.5 * burden))
first <- pmin(spm, death, censor)
d$spm_time <- round(first, 2)
d$spm_event <- ifelse(first == censor, 0, ifelse(first == spm, 1, 2))
# missing values in the score, in adjust_for and in the outcomes
d$ht_high[c(4, 90)] <- NA
d$risk[c(4, 90)] <- NA
d$bulky[c(11, 150, 222)] <- NA
d$ipi[c(60)] <- NA
d$y[c(33, 250)] <- NA
d$os_time[c(70)] <- NA
adjust <- c("stage", "bulky", "histology", "ipi", "bridging")

tight <- glm.control(epsilon = 1e-15, maxit = 200)
side_root <- function(f, b, step) {
  k <- 1
  while (f(b + k * step) < 0) {
    k <- k + 1
    if (k > 200) stop("no sign change")
  }
  uniroot(f, sort(c(b + (k - 1) * step, b + k * step)), tol = 1e-12, maxiter = 1000)$root
}
profile_ml <- function(X, y, j, level = 0.95) {
  fit <- glm.fit(X, y, family = binomial(), control = tight)
  dev0 <- fit$deviance
  se <- sqrt(diag(chol2inv(qr.R(fit$qr))))[j]
  b <- fit$coefficients[j]
  f <- function(bj) {
    fr <- glm.fit(X[, -j, drop = FALSE], y, offset = bj * X[, j], family = binomial(), control = tight)
    fr$deviance - dev0 - qchisq(level, 1)
  }
  c(side_root(f, b, -se), side_root(f, b, se))
}

score_rows <- function(names, score) which(startsWith(names, score))

adj_logistic <- function(score) {
  cc <- complete.cases(d[, c(score, adjust, "y")])
  d0 <- d[cc, ]
  if (score == "risk") d0$risk <- factor(d0$risk, levels = c("low", "mid", "high"))
  m1 <- glm(reformulate(adjust, "y"), family = binomial, data = d0)
  d0$lp <- predict(m1, type = "link")
  m2 <- glm(reformulate(c(score, "lp"), "y"), family = binomial, data = d0)
  s <- summary(m2)$coefficients
  rows <- score_rows(rownames(s), score)
  X <- model.matrix(m2)
  prof <- t(sapply(rows, function(j) profile_ml(X, m2$y, j)))
  mass <- suppressMessages(confint(m2))
  list(model = "logistic", score = score, n = nrow(d0), n_missing = nrow(d) - nrow(d0),
       first_coef = unname(coef(m1)), first_terms = names(coef(m1)), lp_head = unname(d0$lp[1:10]),
       terms = rownames(s)[rows], coef = unname(s[rows, 1]), se = unname(s[rows, 2]),
       z = unname(s[rows, 3]), p = unname(s[rows, 4]),
       lower = unname(confint.default(m2)[rows, 1]), upper = unname(confint.default(m2)[rows, 2]),
       profile_lower = unname(prof[, 1]), profile_upper = unname(prof[, 2]),
       mass_lower = unname(mass[rows, 1]), mass_upper = unname(mass[rows, 2]),
       lp_coef = unname(coef(m2)["lp"]))
}

adj_cox <- function(score) {
  cc <- complete.cases(d[, c(score, adjust, "os_time", "os_event")])
  d0 <- d[cc, ]
  if (score == "risk") d0$risk <- factor(d0$risk, levels = c("low", "mid", "high"))
  m1 <- coxph(reformulate(adjust, "Surv(os_time, os_event)"), data = d0, ties = "efron")
  d0$lp <- predict(m1, type = "lp")  # centred at the covariate means: the score's row is unchanged
  m2 <- coxph(reformulate(c(score, "lp"), "Surv(os_time, os_event)"), data = d0, ties = "efron")
  s <- summary(m2)
  rows <- score_rows(rownames(s$coefficients), score)
  list(model = "cox", score = score, n = nrow(d0), n_missing = nrow(d) - nrow(d0),
       first_coef = unname(coef(m1)), first_terms = names(coef(m1)),
       terms = rownames(s$coefficients)[rows], coef = unname(s$coefficients[rows, 1]),
       se = unname(s$coefficients[rows, 3]), z = unname(s$coefficients[rows, 4]),
       p = unname(s$coefficients[rows, 5]),
       lower = unname(log(s$conf.int[rows, 3])), upper = unname(log(s$conf.int[rows, 4])),
       lp_coef = unname(coef(m2)["lp"]))
}

adj_fine_gray <- function(score) {
  cc <- complete.cases(d[, c(score, adjust, "spm_time", "spm_event")])
  d0 <- d[cc, ]
  cov1 <- model.matrix(reformulate(adjust), data = d0)[, -1]
  f1 <- crr(d0$spm_time, d0$spm_event, cov1, failcode = 1, cencode = 0, gtol = 1e-12, maxiter = 100)
  lp <- drop(cov1 %*% f1$coef)
  cov2 <- cbind(model.matrix(reformulate(score), data = d0)[, -1, drop = FALSE], lp = lp)
  f2 <- crr(d0$spm_time, d0$spm_event, cov2, failcode = 1, cencode = 0, gtol = 1e-12, maxiter = 100)
  s <- summary(f2)
  rows <- score_rows(rownames(s$coef), score)
  list(model = "fine_gray", score = score, n = nrow(d0), n_missing = nrow(d) - nrow(d0),
       first_coef = unname(f1$coef), first_terms = colnames(cov1),
       terms = rownames(s$coef)[rows], coef = unname(s$coef[rows, 1]), se = unname(s$coef[rows, 3]),
       z = unname(s$coef[rows, 4]), p = unname(s$coef[rows, 5]),
       lower = unname(log(s$conf.int[rows, 3])), upper = unname(log(s$conf.int[rows, 4])),
       lp_coef = unname(f2$coef[ncol(cov2)]))
}

cases <- list(
  adj_logistic("ht_high"),
  adj_logistic("risk"),
  adj_cox("ht_high"),
  adj_cox("risk"),
  adj_fine_gray("ht_high")
)

out <- list(
  provenance = list(
    script = "tests/reference/adjust.R",
    R = R.version.string,
    survival = as.character(packageVersion("survival")),
    cmprsk = as.character(packageVersion("cmprsk")),
    MASS = as.character(packageVersion("MASS")),
    jsonlite = as.character(packageVersion("jsonlite")),
    date = as.character(Sys.Date())
  ),
  adjust_for = adjust,
  data = as.list(d),
  cases = cases
)
write_json(out, "adjust.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "string")
