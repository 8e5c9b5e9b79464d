# Reference values for cartsie.binary.logistic: glm(family = binomial) with summary(), Wald CIs
# (confint.default), exact profile-likelihood limits (uniroot on the profile deviance, tol 1e-12),
# MASS's interpolated profile limits (confint), Firth's penalised likelihood (brglm2, type =
# "AS_mean") with Wald CIs and exact profile penalised-likelihood limits (as logistf's pl = TRUE),
# on several data sets including small, tied, sparse, rare-event and separated ones.
# Writes binary.json next to this script, with the input data.
#
#   cd tests/reference && Rscript binary.R
suppressPackageStartupMessages({
  library(MASS)
  library(brglm2)
  library(jsonlite)
})

# ---------------------------------------------------------------------------------------------
# Data sets
# ---------------------------------------------------------------------------------------------
set.seed(20240610)
n <- 250
main <- data.frame(
  age = round(rnorm(n, 60, 10)),
  stage = sample(c("I-II", "III-IV"), n, replace = TRUE, prob = c(0.35, 0.65)),
  histology = sample(c("DLBCL", "HGBL", "PMBCL"), n, replace = TRUE, prob = c(0.65, 0.2, 0.15)),
  ht_high = rbinom(n, 1, 0.6),
  stringsAsFactors = FALSE
)
eta <- -2 + 0.03 * (main$age - 60) + 0.7 * (main$stage == "III-IV") + 0.5 * (main$histology == "HGBL") -
  0.4 * (main$histology == "PMBCL") + 0.8 * main$ht_high
main$y <- rbinom(n, 1, plogis(eta))
main$age[c(5, 77, 140)] <- NA
main$y[c(12)] <- NA

small <- data.frame(
  x = c(0.2, 1.4, -0.6, 2.1, 0.9, -1.3, 0.5, 1.8, -0.2, 0.0, 1.1, -0.9, 2.5, 0.3, -1.8, 1.6, 0.7, -0.4, 1.2, 0.1),
  g = c(0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0),
  y = c(0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0)
)

set.seed(20240611)
rare <- data.frame(ht_high = rbinom(400, 1, 0.6), age = round(rnorm(400, 60, 10)))
rare$y <- rbinom(400, 1, plogis(-5 + 1.2 * rare$ht_high + 0.02 * (rare$age - 60)))
# as drawn, no event among ht_high = 0 (quasi-complete separation, kept as rare_sep); rare gets
# two events there
rare_sep <- rare
rare$y[which(rare$ht_high == 0)[c(3, 40)]] <- 1

# late grade >= 3 ICAHT by HT group, 2 x 2 counts (3 / 138 low, 20 / 251 high)
sparse <- data.frame(
  ht_high = c(rep(0, 138), rep(1, 251)),
  y = c(rep(1, 3), rep(0, 135), rep(1, 20), rep(0, 231))
)

set.seed(20240612)
tied <- data.frame(ipi = sample(0:5, 120, replace = TRUE), bulky = rbinom(120, 1, 0.4))
tied$y <- rbinom(120, 1, plogis(-1.5 + 0.45 * tied$ipi + 0.3 * tied$bulky))

# complete separation: y = 1 exactly when x > 6
complete_sep <- data.frame(x = 1:12, y = as.numeric(1:12 > 6))
# quasi-complete separation: every patient with g = 1 has the event; z is an ordinary covariate
quasi_sep <- data.frame(
  g = c(1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
  z = c(0.5, -0.3, 1.2, 0.1, -0.8, 0.4, -1.1, 0.9, 0.0, -0.5, 1.5, -0.2, 0.7, -1.4, 0.3, 1.1, -0.7, 0.2),
  y = c(1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1)
)
zero_events <- data.frame(x = c(0.3, 1.2, -0.4, 0.8, -1.0, 0.1, 2.0, -0.6), y = rep(0, 8))

datasets <- list(main = main, small = small, rare = rare, rare_sep = rare_sep, sparse = sparse, tied = tied,
                 complete_sep = complete_sep, quasi_sep = quasi_sep, zero_events = zero_events)

# ---------------------------------------------------------------------------------------------
# Exact profile likelihood (ML) and profile penalised likelihood (Firth)
# ---------------------------------------------------------------------------------------------
tight <- glm.control(epsilon = 1e-15, maxit = 200)

# root of f (negative at b) on the side given by the sign of step, bracketed by steps of |step|
side_root <- function(f, b, step) {
  k <- 1
  while (f(b + k * step) < 0) {
    k <- k + 1
    if (k > 200) stop("no sign change")
  }
  uniroot(f, sort(c(b + (k - 1) * step, b + k * step)), tol = 1e-12, maxiter = 1000)$root
}

profile_ml <- function(X, y, level = 0.95) {
  fit <- glm.fit(X, y, family = binomial(), control = tight)
  dev0 <- fit$deviance
  se <- sqrt(diag(chol2inv(qr.R(fit$qr))))
  q <- qchisq(level, 1)
  t(sapply(seq_len(ncol(X)), function(j) {
    b <- fit$coefficients[j]
    f <- function(bj) {
      fr <- glm.fit(X[, -j, drop = FALSE], y, offset = bj * X[, j], family = binomial(), control = tight)
      fr$deviance - dev0 - q
    }
    c(side_root(f, b, -se[j]), side_root(f, b, se[j]))
  }))
}

# Firth's penalised log-likelihood l(b) + 0.5 log det(X' W X), maximised over the coefficients not
# fixed (Newton steps on the modified score with the Fisher information, halved until l* rises)
pen_loglik <- function(X, y, b) {
  eta <- drop(X %*% b)
  p <- plogis(eta)
  sum(y * plogis(eta, log.p = TRUE) + (1 - y) * plogis(eta, lower.tail = FALSE, log.p = TRUE)) +
    0.5 * determinant(crossprod(X * sqrt(p * (1 - p))), logarithm = TRUE)$modulus[1]
}
firth_fit <- function(X, y, start, fixed = integer(0)) {
  b <- start
  free <- setdiff(seq_len(ncol(X)), fixed)
  for (it in 1:1000) {
    p <- plogis(drop(X %*% b))
    w <- p * (1 - p)
    info <- crossprod(X * sqrt(w))
    h <- rowSums((X %*% solve(info)) * X) * w
    score <- drop(crossprod(X, y - p + h * (0.5 - p)))
    step <- solve(info[free, free, drop = FALSE], score[free])
    old <- pen_loglik(X, y, b)
    s <- 1
    repeat {
      nb <- b
      nb[free] <- b[free] + s * step
      new <- pen_loglik(X, y, nb)
      if ((is.finite(new) && new >= old - 1e-12) || s < 1e-8) break
      s <- s / 2
    }
    b <- nb
    if (max(abs(s * step)) < 1e-13) break
  }
  b
}
profile_firth <- function(X, y, bhat, level = 0.95) {
  lmax <- pen_loglik(X, y, bhat)
  se <- sqrt(diag(solve(crossprod(X * sqrt(plogis(drop(X %*% bhat)) * (1 - plogis(drop(X %*% bhat))))))))
  q <- qchisq(level, 1)
  t(sapply(seq_len(ncol(X)), function(j) {
    last <- bhat  # warm start: the fit at the previous value of b_j
    f <- function(bj) {
      start <- last
      start[j] <- bj
      b <- firth_fit(X, y, start, fixed = j)
      last <<- b
      2 * (lmax - pen_loglik(X, y, b)) - q
    }
    lower <- side_root(f, bhat[j], -se[j] / 2)
    last <- bhat
    c(lower, side_root(f, bhat[j], se[j] / 2))
  }))
}

# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------
quiet <- function(expr) {
  msgs <- character(0)
  val <- withCallingHandlers(expr, warning = function(w) {
    msgs <<- c(msgs, conditionMessage(w))
    invokeRestart("muffleWarning")
  }, message = function(m) invokeRestart("muffleMessage"))
  list(value = val, warnings = msgs)
}

case <- function(name, data, covariates, factors = list(), separated = FALSE) {
  d <- datasets[[data]]
  for (f in names(factors)) d[[f]] <- factor(d[[f]], levels = factors[[f]])
  form <- reformulate(covariates, response = "y")
  g <- quiet(glm(form, family = binomial, data = d))
  fit <- g$value
  s <- summary(fit)$coefficients
  X <- model.matrix(fit)
  y <- fit$y
  out <- list(
    name = name, data = data, covariates = covariates, factors = factors, terms = rownames(s),
    glm_warnings = g$warnings,
    coef = unname(s[, 1]), se = unname(s[, 2]), z = unname(s[, 3]), p = unname(s[, 4]),
    n = nrow(X), n_missing = nrow(d) - nrow(X), n_events = sum(y),
    deviance = deviance(fit), null_deviance = fit$null.deviance, aic = AIC(fit),
    loglik = as.numeric(logLik(fit)), df_residual = fit$df.residual, iter = fit$iter,
    converged = fit$converged, vcov = unname(vcov(fit))
  )
  if (!separated) {
    wald <- confint.default(fit)
    prof <- profile_ml(X, y)
    mass <- quiet(confint(fit))$value
    wald90 <- confint.default(fit, level = 0.90)
    prof90 <- profile_ml(X, y, level = 0.90)
    out <- c(out, list(
      wald_lower = unname(wald[, 1]), wald_upper = unname(wald[, 2]),
      wald90_lower = unname(wald90[, 1]), wald90_upper = unname(wald90[, 2]),
      profile_lower = prof[, 1], profile_upper = prof[, 2],
      profile90_lower = prof90[, 1], profile90_upper = prof90[, 2],
      mass_lower = unname(mass[, 1]), mass_upper = unname(mass[, 2])
    ))
  }
  # Firth (brglm2, bias reduction in the mean = Firth's penalty for logistic regression)
  fb <- quiet(glm(form, family = binomial, data = d, method = brglm2::brglmFit, type = "AS_mean",
                  control = brglmControl(epsilon = 1e-12, maxit = 500)))$value
  sb <- summary(fb)$coefficients
  bhat <- unname(coef(fb))
  check <- firth_fit(X, y, bhat)
  stopifnot(max(abs(check - bhat)) < 1e-8)  # our R maximiser agrees with brglm2
  pf <- profile_firth(X, y, bhat)
  out$firth <- list(
    coef = bhat, se = unname(sb[, 2]), z = unname(sb[, 3]), p = unname(sb[, 4]),
    wald_lower = unname(bhat - qnorm(0.975) * sb[, 2]), wald_upper = unname(bhat + qnorm(0.975) * sb[, 2]),
    profile_lower = pf[, 1], profile_upper = pf[, 2],
    pen_loglik = pen_loglik(X, y, bhat), type = "AS_mean"
  )
  out
}

cases <- list(
  case("main", "main", c("age", "stage", "histology", "ht_high")),
  case("main_relevel", "main", c("age", "histology"), factors = list(histology = c("HGBL", "DLBCL", "PMBCL"))),
  case("small", "small", c("x", "g")),
  case("rare", "rare", c("ht_high", "age")),
  case("sparse", "sparse", c("ht_high")),
  case("tied", "tied", c("ipi", "bulky")),
  case("complete_sep", "complete_sep", c("x"), separated = TRUE),
  case("quasi_sep", "quasi_sep", c("g", "z"), separated = TRUE),
  case("rare_sep", "rare_sep", c("ht_high", "age"), separated = TRUE),
  case("zero_events", "zero_events", c("x"), separated = TRUE)
)

out <- list(
  provenance = list(
    script = "tests/reference/binary.R",
    R = R.version.string,
    stats = as.character(packageVersion("stats")),
    MASS = as.character(packageVersion("MASS")),
    brglm2 = as.character(packageVersion("brglm2")),
    jsonlite = as.character(packageVersion("jsonlite")),
    date = as.character(Sys.Date())
  ),
  data = lapply(datasets, as.list),
  cases = cases
)
write_json(out, "binary.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "string")
