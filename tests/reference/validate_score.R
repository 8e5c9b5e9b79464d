# Reference values for cartsie.prognostic.validate_score: one 0/1 time-to-event data set with ties on
# time and a 0-5 integer score, and the whole chain in R:
#   survival::concordance(Surv(t, e) ~ s, reverse = TRUE, timewt = "n" / "n/G2")  (Harrell's, Uno's C)
#   coxph(Surv(t, e) ~ s) (Efron ties) and riskRegression::predictRisk(fit, newdata, times)  (the
#   predicted risk validate_score builds when no risk is given: 1 - exp(-H0(t) exp(b s)))
#   riskRegression::Score(list(cox = fit), Hist(t, e) ~ 1, metrics = c("auc", "brier"),
#   summary = "ipa", null.model = TRUE, times)  (AUC(t) of the model's risk -- the score's, as b > 0 --,
#   its Brier score and IPA, the risk being predictRisk's)
# Writes validate_score.json next to this script, with the input data.
#
#   cd tests/reference && Rscript validate_score.R
suppressPackageStartupMessages({
  library(survival)
  library(riskRegression)
  library(jsonlite)
})

set.seed(20241205)
n <- 240
s <- sample(0:5, n, replace = TRUE, prob = c(0.25, 0.2, 0.2, 0.15, 0.12, 0.08))
t_event <- rexp(n, rate = 0.03 * exp(0.35 * s))
t_cens <- runif(n, 3, 40)
t <- round(pmin(t_event, t_cens), 1)  # ties on time
e <- as.integer(t_event <= t_cens)
d <- data.frame(t = t, e = e, s = s)
times <- c(12, 24)

harrell <- concordance(Surv(t, e) ~ s, data = d, reverse = TRUE, timewt = "n")
uno <- concordance(Surv(t, e) ~ s, data = d, reverse = TRUE, timewt = "n/G2")
fit <- coxph(Surv(t, e) ~ s, data = d, ties = "efron", x = TRUE, y = TRUE)
risk <- predictRisk(fit, newdata = d, times = times)
levels <- predictRisk(fit, newdata = data.frame(s = 0:5), times = times)
sc <- Score(list(cox = fit), formula = Hist(t, e) ~ 1, data = d, metrics = c("auc", "brier"),
            summary = "ipa", null.model = TRUE, times = times, se.fit = TRUE, conf.int = 0.95)
auc <- as.data.frame(sc$AUC$score)
br <- as.data.frame(sc$Brier$score)
br_cox <- br[br$model == "cox", ]

out <- list(
  data = as.list(d),
  times = times,
  harrell = list(estimate = unname(harrell$concordance), std_error = sqrt(unname(harrell$var))),
  uno = list(estimate = unname(uno$concordance), std_error = sqrt(unname(uno$var))),
  cox = list(coef = unname(coef(fit))),
  risk = list(t12 = unname(risk[, 1]), t24 = unname(risk[, 2])),
  risk_levels = list(score = 0:5, t12 = unname(levels[, 1]), t24 = unname(levels[, 2])),
  auc = list(time = auc$times, auc = auc$AUC, se = auc$se, lower = auc$lower, upper = auc$upper),
  brier = list(time = br_cox$times, brier = br_cox$Brier, se = br_cox$se, lower = br_cox$lower,
               upper = br_cox$upper, ipa = br_cox$IPA),
  provenance = list(
    R = R.version.string,
    survival = as.character(packageVersion("survival")),
    riskRegression = as.character(packageVersion("riskRegression")),
    date = as.character(Sys.Date())
  )
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "validate_score.json")
