# Reference values for cartsie.prognostic.concordance and Cox(...).concordance: survival's
# concordance() (Harrell's C and the other time weights "S", "S/G", "n/G2" (Uno), "I"; reverse TRUE
# and FALSE; strata, cluster, ymax) and coxph's fit$concordance, on data sets with ties on time, on
# the score and on both, censorings tied with deaths, a single death, and times that differ only by
# floating-point noise. Writes prognostic.json next to this script, with the input data.
#
#   cd tests/reference && Rscript prognostic.R
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

set.seed(20241203)
n <- 150
ties <- data.frame(
  time = sample(1:12, n, replace = TRUE),             # ties on time, deaths and censorings mixed
  status = rbinom(n, 1, 0.6),
  score = round(rnorm(n), 0) / 2,                     # few distinct scores: ties on the score
  strat = sample(c("a", "b", "c"), n, replace = TRUE),
  clust = sample(1:25, n, replace = TRUE)
)
m <- 400
xc <- rnorm(m)
continuous <- data.frame(
  time = round(rexp(m, exp(0.7 * xc)) * 100, 2),
  status = rbinom(m, 1, 0.7),
  score = xc + rnorm(m, sd = 0.5)
)
small <- data.frame(time = c(5, 8, 3, 12, 7, 2), status = c(1, 0, 1, 1, 0, 1),
                    score = c(2.0, 1.0, 3.5, 0.5, 1.5, 3.0))
one_death <- data.frame(time = c(2, 4, 5, 7, 9), status = c(0, 1, 0, 0, 0), score = c(1, 3, 2, 5, 4))
# two distinct times, no censoring: C is the AUC of the score for "died at the first time"
k <- 60
binary <- data.frame(time = sample(c(1, 2), k, replace = TRUE), status = 1, score = round(rnorm(k), 1))
# times equal up to floating-point noise (R's timefix merges them)
noise <- data.frame(time = c(1, 1 + 1e-12, 2, 3, 3 - 1e-13, 4, 5, 6), status = c(1, 0, 1, 1, 1, 0, 1, 0),
                    score = c(3, 2, 2, 1, 4, 1, 0, 2))
lung2 <- data.frame(time = lung$time, status = lung$status - 1, age = lung$age, ecog = lung$ph.ecog,
                    sex = lung$sex, inst = lung$inst)
sets <- list(ties = ties, continuous = continuous, small = small, one_death = one_death,
             binary = binary, noise = noise, lung = lung2)

one <- function(formula, data, ...) {
  f <- concordance(formula, data = data, ...)
  count <- if (is.matrix(f$count)) colSums(f$count) else f$count  # per stratum when keepstrata
  list(concordance = f$concordance, se = sqrt(f$var), count = unname(as.numeric(count)), n = f$n)
}
timewts <- c("n", "S", "S/G", "n/G2", "I")
score_of <- c(ties = "score", continuous = "score", small = "score", one_death = "score",
              binary = "score", noise = "score", lung = "ecog")
cases <- list()
for (nm in names(sets)) {
  fml <- as.formula(paste("Surv(time, status) ~", score_of[[nm]]))
  for (tw in timewts) for (rev in c(TRUE, FALSE)) {
    cases[[length(cases) + 1]] <- c(list(data = nm, score = score_of[[nm]], timewt = tw, reverse = rev),
                                    one(fml, sets[[nm]], timewt = tw, reverse = rev))
  }
}
# strata, cluster and ymax
extra <- list(
  c(list(data = "ties", score = "score", timewt = "n", reverse = TRUE, strata = "strat"),
    one(Surv(time, status) ~ score + strata(strat), ties, reverse = TRUE)),
  c(list(data = "ties", score = "score", timewt = "S/G", reverse = TRUE, strata = "strat"),
    one(Surv(time, status) ~ score + strata(strat), ties, reverse = TRUE, timewt = "S/G")),
  c(list(data = "ties", score = "score", timewt = "n", reverse = TRUE, cluster = "clust"),
    one(Surv(time, status) ~ score + cluster(clust), ties, reverse = TRUE)),
  c(list(data = "ties", score = "score", timewt = "n/G2", reverse = FALSE, strata = "strat", cluster = "clust"),
    one(Surv(time, status) ~ score + strata(strat) + cluster(clust), ties, timewt = "n/G2")),
  c(list(data = "continuous", score = "score", timewt = "n/G2", reverse = TRUE, ymax = 80),
    one(Surv(time, status) ~ score, continuous, reverse = TRUE, timewt = "n/G2", ymax = 80)),
  c(list(data = "continuous", score = "score", timewt = "n", reverse = TRUE, ymax = 80),
    one(Surv(time, status) ~ score, continuous, reverse = TRUE, ymax = 80)),
  c(list(data = "lung", score = "age", timewt = "S/G", reverse = TRUE, strata = "sex"),
    one(Surv(time, status) ~ age + strata(sex), lung2, reverse = TRUE, timewt = "S/G"))
)

# coxph's concordance of the fitted linear predictor
cox_cases <- list()
add_cox <- function(name, data, fit, covariates, strata = NULL, cluster = NULL) {
  cc <- fit$concordance
  cox_cases[[length(cox_cases) + 1]] <<- list(
    name = name, data = data, covariates = covariates, strata = strata, cluster = cluster,
    count = unname(cc[c("concordant", "discordant", "tied.x", "tied.y", "tied.xy")]),
    concordance = unname(cc["concordance"]), se = unname(cc["std"]), n = fit$n)
}
add_cox("lung_age_sex", "lung", coxph(Surv(time, status) ~ age + sex, lung2), c("age", "sex"))
add_cox("lung_ecog_strata", "lung", coxph(Surv(time, status) ~ age + ecog + strata(sex), lung2),
        c("age", "ecog"), strata = "sex")
add_cox("lung_cluster", "lung", coxph(Surv(time, status) ~ age + sex, lung2, cluster = inst),
        c("age", "sex"), cluster = "inst")
add_cox("ties_score_strat", "ties", coxph(Surv(time, status) ~ score + strat, ties), c("score", "strat"))
add_cox("continuous", "continuous", coxph(Surv(time, status) ~ score, continuous), "score")

out <- list(
  provenance = list(
    script = "tests/reference/prognostic.R",
    R = R.version.string,
    survival = as.character(packageVersion("survival")),
    jsonlite = as.character(packageVersion("jsonlite")),
    date = as.character(Sys.Date())
  ),
  data = lapply(sets, as.list),
  concordance = c(cases, extra),
  cox = cox_cases
)
write_json(out, "prognostic.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "string")
