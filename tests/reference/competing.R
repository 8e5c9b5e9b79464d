# Reference values for cartsie.competing (tests/test_competing*.py).
# Regenerate with:  cd tests/reference && Rscript competing.R   (writes competing.json)
# cmprsk::cuminc + timepoints (estimates, variances, Gray's tests), cmprsk::crr (fixtures run with
# gtol = 1e-12, maxiter = 100) with summary-style coefficients, SEs, CIs, z, p, predict.crr, and a
# Wald test with crr's variance. Data sets are generated here with set.seed and stored in the JSON.
suppressPackageStartupMessages({
  library(cmprsk)
  library(jsonlite)
})

# ---------------------------------------------------------------- data sets
set.seed(20240601)

# small, heavily tied integer times, events and censorings tied with each other and at time 0
n <- 80
ties <- data.frame(
  time = pmin(rpois(n, 6), 14),
  x1 = round(rnorm(n), 2),
  grp3 = sample(c("A", "B", "C"), n, replace = TRUE),
  x3 = rbinom(n, 1, 0.45)
)
ties$event <- sample(0:2, n, replace = TRUE, prob = c(0.3, 0.4, 0.3))
ties$time[1:4] <- 0
ties$event[1:4] <- c(1, 0, 2, 1)
ties$grp2 <- ifelse(ties$x3 == 1, "yes", "no")
ties$x1[c(7, 19)] <- NA  # rows dropped by crr's na.omit (n.missing = 2)

# continuous-ish times (2 decimals), heavy censoring (~70%)
n <- 300
x1 <- rnorm(n); x3 <- rbinom(n, 1, 0.5); grp3 <- sample(c("lo", "mid", "hi"), n, TRUE)
t1 <- rexp(n, 0.05 * exp(0.6 * x1 - 0.5 * x3 + 0.4 * (grp3 == "hi")))
t2 <- rexp(n, 0.04 * exp(-0.3 * x1))
cc <- runif(n, 0, 12)
tt <- pmin(t1, t2, cc)
heavy <- data.frame(time = round(tt, 2), event = ifelse(tt == cc, 0, ifelse(tt == t1, 1, 2)),
                    x1 = round(x1, 3), x3 = x3, grp3 = grp3)

# light censoring (~5%); censored rows coded 9 (cencode = 9) and three causes 1, 2, 3
n <- 150
x1 <- rnorm(n); x3 <- rbinom(n, 1, 0.3); grp3 <- sample(c("p", "q", "r"), n, TRUE, prob = c(.5, .3, .2))
t1 <- rexp(n, 0.3 * exp(0.5 * x1 + 0.7 * x3)); t2 <- rexp(n, 0.2); t3 <- rexp(n, 0.1 * exp(-0.4 * x1))
cc <- ifelse(runif(n) < 0.05, runif(n, 0, 3), Inf)
tt <- pmin(t1, t2, t3, cc)
light <- data.frame(time = round(tt, 1), event = ifelse(tt == cc, 9, ifelse(tt == t1, 1, ifelse(tt == t2, 2, 3))),
                    x1 = round(x1, 3), x3 = x3, grp3 = grp3)

# shaped like the paper's SPM analysis: n = 390, ~22 SPM (1), many deaths (2), months
n <- 390
ht_high <- rbinom(n, 1, 0.45)
age <- round(rnorm(n, 62, 10))
t_spm <- rexp(n, 0.0025 * exp(1.0 * ht_high))
t_death <- rexp(n, 0.018 * exp(0.8 * ht_high))
cens <- runif(n, 1, 48)
tt <- pmin(t_spm, t_death, cens)
spm <- data.frame(time = round(tt, 1), ht_high = ht_high, age = age,
                  event = ifelse(tt == cens, 0, ifelse(tt == t_spm, 1, 2)))
spm$myeloid <- rbinom(n, 1, 0.4)
spm$event3 <- ifelse(spm$event == 1 & spm$myeloid == 1, 1, ifelse(spm$event == 1, 2, ifelse(spm$event == 2, 3, 0)))
spm$risk3 <- c("low", "intermediate", "high")[1 + ht_high + rbinom(n, 1, 0.3)]
spm$centre <- sample(c("c1", "c2"), n, TRUE)

# NRM with progression competing, three HT risk groups, months
n <- 390
grp <- sample(c("low", "intermediate", "high"), n, TRUE, prob = c(.45, .2, .35))
lp <- c(low = 0, intermediate = 0.5, high = 1.2)[grp]
t_nrm <- rexp(n, 0.006 * exp(lp))
t_prog <- rexp(n, 0.04 * exp(0.6 * lp))
cens <- runif(n, 1, 48)
tt <- pmin(t_nrm, t_prog, cens)
nrm <- data.frame(time = round(tt, 1), risk = unname(grp),
                  event = ifelse(tt == cens, 0, ifelse(tt == t_nrm, 1, 2)))

# heavy plus a group censored before any event of cause 2: cuminc's variance for cause 2 is
# singular and it reports stat = -1 (cartsie: NaN)
heavy_zz <- rbind(heavy[, c("time", "event", "grp3")],
                  data.frame(time = rep(0.001, 4), event = 0, grp3 = "zz"))

# no censoring at all (G = 1, no censoring term in crr's variance); ends with an event
nocens <- light[light$event != 9, ]
nocens <- nocens[order(nocens$time), ]
nocens$event[nrow(nocens)] <- 1

datasets <- list(ties = ties, heavy = heavy, light = light, spm = spm, nrm = nrm, heavy_zz = heavy_zz,
                 nocens = nocens)

# ---------------------------------------------------------------- cuminc
loglog_ci <- function(est, var, level = 0.95) {
  z <- qnorm(1 - (1 - level) / 2)
  se <- sqrt(var)
  k <- z * se / (est * log(est))
  list(lower = est^exp(-k), upper = est^exp(k))
}

cuminc_case <- function(data, group = NULL, strata = NULL, rho = 0, cencode = 0, times) {
  d <- datasets[[data]]
  args <- list(ftime = d$time, fstatus = d$event, cencode = cencode, rho = rho)
  evcol <- "event"
  if (!is.null(group)) args$group <- d[[group]]
  if (!is.null(strata)) args$strata <- d[[strata]]
  fit <- do.call(cuminc, args)
  tests <- NULL
  if (!is.null(fit$Tests)) {
    tests <- list(cause = as.numeric(rownames(fit$Tests)), stat = unname(fit$Tests[, "stat"]),
                  pv = unname(fit$Tests[, "pv"]), df = unname(fit$Tests[, "df"]))
  }
  curves <- fit[names(fit) != "Tests"]
  tp <- timepoints(fit, times)
  list(
    data = data, group = group, strata = strata, rho = rho, cencode = cencode,
    times = sort(unique(times)),
    curves = lapply(names(curves), function(nm) list(name = nm, time = curves[[nm]]$time,
                                                       est = curves[[nm]]$est, var = curves[[nm]]$var)),
    tp_names = rownames(tp$est),
    tp_est = unname(lapply(seq_len(nrow(tp$est)), function(i) unname(tp$est[i, ]))),
    tp_var = unname(lapply(seq_len(nrow(tp$var)), function(i) unname(tp$var[i, ]))),
    tests = tests
  )
}

cuminc_cases <- list(
  cuminc_case("ties", times = c(-1, 0, 0.5, 1, 3, 6, 6.5, 10, 14, 15)),
  cuminc_case("ties", group = "grp2", times = c(0, 2, 5, 8, 13, 14, 20)),
  cuminc_case("ties", group = "grp3", times = c(0, 2, 5, 8, 13)),
  cuminc_case("ties", group = "grp3", rho = 1, times = c(4)),
  cuminc_case("heavy", group = "x3", times = c(1, 3, 6, 11.5)),
  cuminc_case("heavy", group = "grp3", times = c(1, 3, 6, 11.5)),
  cuminc_case("heavy_zz", group = "grp3", times = c(0.001, 1)),
  cuminc_case("light", group = "grp3", cencode = 9, times = c(0.5, 1, 2, 4)),
  cuminc_case("nocens", group = "x3", times = c(0.5, 1, 2, 4)),
  cuminc_case("spm", group = "ht_high", times = c(6, 12, 24, 36)),
  cuminc_case("spm", group = "ht_high", strata = "centre", times = c(24)),
  cuminc_case("spm", group = "risk3", times = c(12, 24)),
  cuminc_case("nrm", group = "risk", times = c(1, 3, 12, 24)),
  cuminc_case("nrm", group = "risk", strata = NULL, rho = -0.5, times = c(12))
)
# the event3 coding of the SPM data (myeloid SPM = 1, other SPM = 2, death = 3)
spm3 <- spm; spm3$event <- spm3$event3; datasets$spm3 <- spm3
cuminc_cases[[length(cuminc_cases) + 1]] <- cuminc_case("spm3", group = "ht_high", times = c(12, 24, 36))

# 1-year NRM by group with the log-log CI (the paper's table), as arithmetic on cuminc's output
nrm_fit <- cuminc(nrm$time, nrm$event, group = nrm$risk)
nrm_tp <- timepoints(nrm_fit, 12)
nrm_rows <- grep(" 1$", rownames(nrm_tp$est))
nrm_ci <- loglog_ci(nrm_tp$est[nrm_rows, 1], nrm_tp$var[nrm_rows, 1])
nrm_est <- unname(nrm_tp$est[nrm_rows, 1])
nrm_se <- sqrt(unname(nrm_tp$var[nrm_rows, 1]))
nrm_ci90 <- loglog_ci(nrm_est, nrm_se^2, level = 0.90)
z95 <- qnorm(0.975)
nrm_1y <- list(group = sub(" 1$", "", rownames(nrm_tp$est)[nrm_rows]),
               est = nrm_est, var = nrm_se^2,
               lower = unname(nrm_ci$lower), upper = unname(nrm_ci$upper),
               lower90 = unname(nrm_ci90$lower), upper90 = unname(nrm_ci90$upper),
               lower_log = nrm_est * exp(-z95 * nrm_se / nrm_est),
               upper_log = pmin(nrm_est * exp(z95 * nrm_se / nrm_est), 1),
               lower_plain = pmax(nrm_est - z95 * nrm_se, 0), upper_plain = pmin(nrm_est + z95 * nrm_se, 1))

# ---------------------------------------------------------------- crr
design <- function(d, covariates) {
  mf <- model.frame(reformulate(covariates), d, na.action = na.pass)
  mm <- model.matrix(reformulate(covariates), mf)
  mm[, -1, drop = FALSE]
}

crr_case <- function(data, covariates, failcode = 1, cencode = 0, profiles = NULL, wald = NULL) {
  d <- datasets[[data]]
  x <- design(d, covariates)
  fit <- crr(d$time, d$event, cov1 = x, failcode = failcode, cencode = cencode,
             gtol = 1e-12, maxiter = 100)
  b <- unname(fit$coef)
  v <- unname(fit$var)
  se <- sqrt(diag(v))
  z <- qnorm(0.975)
  out <- list(
    data = data, covariates = covariates, failcode = failcode, cencode = cencode,
    terms = colnames(x), coef = b, var = lapply(seq_len(nrow(v)), function(i) v[i, ]),
    invinf = lapply(seq_len(nrow(fit$invinf)), function(i) unname(fit$invinf[i, ])),
    se = se, shr = exp(b), ci_lower = exp(b - z * se), ci_upper = exp(b + z * se),
    z = b / se, p = 2 * pnorm(-abs(b / se)),
    loglik = fit$loglik, loglik_null = fit$loglik.null, converged = fit$converged,
    n = fit$n, n_missing = fit$n.missing, uftime = fit$uftime, bfitj = fit$bfitj
  )
  if (!is.null(profiles)) {
    # encode the profiles with the data's factor levels (profiles appended after the data rows)
    px <- design(rbind(d[, covariates, drop = FALSE], profiles), covariates)
    px <- px[nrow(d) + seq_len(nrow(profiles)), , drop = FALSE]
    pr <- predict(fit, cov1 = px)
    out$profiles <- profiles
    out$predict <- lapply(seq_len(ncol(pr) - 1), function(j) unname(pr[, j + 1]))
  }
  if (!is.null(wald)) {
    idx <- match(wald, colnames(x))
    stat <- drop(t(b[idx]) %*% solve(v[idx, idx, drop = FALSE]) %*% b[idx])
    out$wald <- list(terms = wald, stat = stat, df = length(idx),
                     p = pchisq(stat, length(idx), lower.tail = FALSE))
  }
  out
}

crr_cases <- list(
  crr_case("ties", "x1"),
  crr_case("ties", c("x1", "grp3", "x3"), wald = c("grp3B", "grp3C"),
           profiles = data.frame(x1 = c(0, 1.5), grp3 = c("A", "C"), x3 = c(0, 1))),
  crr_case("ties", c("x1", "grp3", "x3"), failcode = 2),
  crr_case("heavy", c("x1", "x3", "grp3"), wald = c("x1", "x3", "grp3lo", "grp3mid")),
  crr_case("heavy", "x1", failcode = 2),
  crr_case("light", c("x1", "x3", "grp3"), cencode = 9),
  crr_case("light", "x3", failcode = 3, cencode = 9),
  crr_case("nocens", c("x1", "grp3"), wald = c("grp3q", "grp3r")),
  crr_case("spm", "ht_high", profiles = data.frame(ht_high = c(0, 1))),
  crr_case("spm", c("ht_high", "age")),
  crr_case("spm3", "ht_high"),
  crr_case("nrm", "risk", wald = c("risklow", "riskintermediate"),
           profiles = data.frame(risk = c("low", "intermediate", "high")))
)

# the documentation example in src/cartsie/competing.py
doc <- data.frame(t = c(1, 2, 2, 3, 4, 5, 6, 7, 8, 9), e = c(1, 2, 0, 1, 1, 0, 2, 1, 0, 1),
                  g = c("a", "a", "b", "b", "a", "b", "b", "a", "a", "b"), x = c(0, 1, 0, 1, 1, 0, 1, 0, 1, 0))
doc_ci <- cuminc(doc$t, doc$e, group = doc$g)
doc_fit <- crr(doc$t, doc$e, cov1 = cbind(x = doc$x), gtol = 1e-12, maxiter = 100)
doc_all <- timepoints(cuminc(doc$t, doc$e), 3)
doc_ref <- list(est_at_3 = unname(doc_all$est[1, 1]), gray_p = unname(doc_ci$Tests[1, "pv"]),
                coef = unname(doc_fit$coef), converged = doc_fit$converged)

out <- list(
  provenance = list(
    script = "tests/reference/competing.R",
    r_version = R.version.string,
    packages = list(cmprsk = as.character(packageVersion("cmprsk")),
                    survival = as.character(packageVersion("survival")),
                    jsonlite = as.character(packageVersion("jsonlite"))),
    date = as.character(Sys.Date())
  ),
  datasets = datasets,
  cuminc = cuminc_cases,
  nrm_1y = nrm_1y,
  crr = crr_cases,
  doc = doc_ref
)
write_json(out, "competing.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
cat("events:\n")
for (nm in names(datasets)) { cat(nm, "\n"); print(table(datasets[[nm]]$event)) }
