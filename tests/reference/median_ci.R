# Reference values for cartsie.descriptive.median_ci: the sample median and its exact
# distribution-free (binomial, sign-test) confidence interval, as DescTools::MedianCI(x, method =
# "exact"). Writes median_ci.json next to this script, with the input samples.
#
#   cd tests/reference && Rscript median_ci.R
#
# DescTools is not installed here (not packaged for Debian), so this script applies DescTools'
# definition with base R: MedianCI_Binom, two-sided, in DescTools' R/MedianCI.R
# (github.com/AndriSignorell/DescTools):
#
#   k  <- qbinom(p = (1 - conf.level) / 2, size = n, prob = 0.5)
#   ci <- sort(x)[c(k, n - k + 1)]                      # order statistics x_(k), x_(n-k+1)
#   attr(ci, "conf.level") <- 1 - 2 * pbinom(k - 1, size = n, prob = 0.5)
#   if k == 0 the interval is not inside the sample: DescTools returns c(-Inf, Inf), level 1
#
# and median(x) (R's median: the mean of the two middle values for even n). Missing values are
# dropped first (MedianCI(..., na.rm = TRUE)).
suppressPackageStartupMessages({
  library(jsonlite)
})

median_ci_exact <- function(x, conf.level) {
  x <- x[!is.na(x)]
  n <- length(x)
  k <- qbinom(p = (1 - conf.level) / 2, size = n, prob = 0.5, lower.tail = TRUE)
  ci <- sort(x)[c(k, n - k + 1)]
  coverage <- 1 - 2 * pbinom(k - 1, size = n, prob = 0.5)
  if (identical(as.vector(ci), NA_real_)) { # k == 0: DescTools' "outside the observed range"
    ci <- c(-Inf, Inf)
    coverage <- 1
  }
  list(median = median(x), lower = ci[1], upper = ci[2], k = k, n = n, coverage = coverage)
}

set.seed(20240501)
samples <- list(
  n1 = c(7.5),
  n2 = c(3, 1),
  n3 = c(2, 9, 4),
  n4 = c(5, 1, 8, 3),
  n5 = c(10, 2, 7, 4, 6),
  n6 = c(3.2, 1.1, 4.8, 2.2, 9.9, 0.4),
  n7 = c(12, 5, 9, 1, 7, 3, 15),
  n8 = c(6, 2, 9, 4, 1, 8, 3, 7),
  n9 = c(4, 1, 7, 3, 9, 2, 8, 6, 5),
  n10 = c(14, 3, 8, 11, 6, 1, 9, 12, 4, 7),
  n11_altman = c(66, 71.2, 83, 83.6, 101, 107.6, 122, 143, 160, 177, 414),
  ties = c(2, 2, 2, 3, 3, 5, 5, 5, 5, 8, 8, 13, 13, 13, 21),
  ties_even = c(1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5),
  all_equal = rep(4.2, 12),
  with_na = c(18.2, NA, 11.5, 25.1, NA, 9.8, 14.4, 30.2, 12.7, NA, 21.3, 16.6, 19.9),
  normal_50 = round(rnorm(50, 60, 12), 1),
  lognormal_389 = round(exp(rnorm(389, 3, 0.8)), 2),
  months_560 = round(rexp(560, 1 / 18), 3)
)
conf_levels <- c(0.9, 0.95, 0.99)

cases <- list()
for (nm in names(samples)) {
  for (cl in conf_levels) {
    r <- median_ci_exact(samples[[nm]], cl)
    cases[[length(cases) + 1]] <- c(list(sample = nm, conf_level = cl,
                                         n_missing = sum(is.na(samples[[nm]]))), r)
  }
}
# confidence levels at which (1 - conf) / 2 is exactly a binomial cdf value, where qbinom's fuzz
# for left continuity decides k: 1 - 2 / 32 (n = 5, k = 0) and 1 - 2 * 11 / 1024 (n = 10, k = 1)
boundary <- list(
  list(sample = "n5", conf_level = 1 - 2 / 32),
  list(sample = "n10", conf_level = 1 - 2 * 11 / 1024),
  list(sample = "n10", conf_level = 0.5)
)
for (b in boundary) {
  r <- median_ci_exact(samples[[b$sample]], b$conf_level)
  cases[[length(cases) + 1]] <- c(list(sample = b$sample, conf_level = b$conf_level,
                                       n_missing = 0L), r)
}

out <- list(
  provenance = list(
    script = "tests/reference/median_ci.R",
    R = R.version.string,
    stats = as.character(packageVersion("stats")),
    jsonlite = as.character(packageVersion("jsonlite")),
    definition = paste(
      "DescTools::MedianCI(x, method = 'exact', na.rm = TRUE), two-sided, applied with base R",
      "(DescTools not installed): k = qbinom((1 - conf.level) / 2, n, 0.5);",
      "CI = sort(x)[c(k, n - k + 1)]; k = 0 gives (-Inf, Inf) with level 1, as DescTools"
    ),
    date = as.character(Sys.Date())
  ),
  samples = lapply(samples, function(x) as.list(x)),
  cases = cases
)
write_json(out, "median_ci.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "string")
