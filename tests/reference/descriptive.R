# Reference values for cartsie.descriptive: fisher.test (2 x 2 with its conditional MLE odds ratio and
# exact CI, r x 2, 2 x c, r x c), chisq.test, kruskal.test, the numbers behind table_one (medians,
# type-7 quartiles, counts), and the p-values of the paper's Table 1 recomputed from its published
# counts. Writes descriptive.json next to this script, with the input data.
#
#   cd tests/reference && Rscript descriptive.R
suppressPackageStartupMessages({
  library(jsonlite)
})

# ---------------------------------------------------------------------------------------------
# Fisher's exact test
# ---------------------------------------------------------------------------------------------

# fisher.test's conditional MLE and CI come from uniroot() with its default tolerance
# (.Machine$double.eps^0.25 on the scale t in (0, 1), OR = t or 1/t), i.e. only ~1e-4. The same
# equations (R's dnhyper / mnhyper / pnhyper) are solved here on the log-odds scale with tol 1e-13 to
# give the exact values.
conditional_or <- function(tab, conf.level = 0.95, alternative = "two.sided") {
  x <- tab[1, 1]
  m <- sum(tab[, 1])
  n <- sum(tab[, 2])
  k <- sum(tab[1, ])
  lo <- max(0, k - n)
  hi <- min(k, m)
  support <- lo:hi
  logdc <- dhyper(support, m, n, k, log = TRUE)
  dn <- function(u) {
    d <- logdc + u * support
    d <- exp(d - max(d))
    d / sum(d)
  }
  mn <- function(u) sum(support * dn(u))
  pn <- function(q, u, upper) {
    d <- dn(u)
    if (upper) sum(d[support >= q]) else sum(d[support <= q])
  }
  root <- function(f, dir) uniroot(f, c(-2, 2), extendInt = dir, tol = 1e-13, maxiter = 10000)$root
  # fisher.test: alpha = (1 - conf.level) / 2 for two.sided, 1 - conf.level on the one side asked
  alpha <- if (alternative == "two.sided") (1 - conf.level) / 2 else 1 - conf.level
  est <- if (x == lo) 0 else if (x == hi) Inf else exp(root(function(u) mn(u) - x, "upX"))
  lower <- if (x == lo || alternative == "less") 0 else exp(root(function(u) pn(x, u, TRUE) - alpha, "upX"))
  upper <- if (x == hi || alternative == "greater") Inf else exp(root(function(u) pn(x, u, FALSE) - alpha, "downX"))
  list(estimate = est, lower = lower, upper = upper)
}

# 2 x 2 tables, given by rows
tables_2x2 <- list(
  tea = rbind(c(3, 1), c(1, 3)),
  moderate = rbind(c(10, 2), c(3, 15)),
  zero_diag = rbind(c(0, 5), c(5, 0)),
  zero_cell = rbind(c(0, 10), c(3, 12)),
  unbalanced = rbind(c(12, 5), c(7, 7)),
  ones = rbind(c(1, 0), c(0, 1)),
  rare = rbind(c(20, 480), c(5, 495)),
  symmetric = rbind(c(4, 4), c(4, 4)),
  large = rbind(c(310, 155), c(48, 47)),
  zero_row = rbind(c(0, 0), c(3, 7))
)
fisher_2x2 <- lapply(names(tables_2x2), function(nm) {
  tab <- tables_2x2[[nm]]
  ft <- fisher.test(tab)
  ft90 <- fisher.test(tab, conf.level = 0.90)
  has_or <- sum(tab[1, ]) > 0 && sum(tab[2, ]) > 0 && sum(tab[, 1]) > 0 && sum(tab[, 2]) > 0
  ex <- if (has_or) conditional_or(tab) else list(estimate = NA, lower = NA, upper = NA)
  ex90 <- if (has_or) conditional_or(tab, 0.90) else list(estimate = NA, lower = NA, upper = NA)
  list(
    name = nm, table = tab, p = ft$p.value,
    r_estimate = unname(ft$estimate), r_lower = ft$conf.int[1], r_upper = ft$conf.int[2],
    estimate = ex$estimate, lower = ex$lower, upper = ex$upper,
    lower90 = ex90$lower, upper90 = ex90$upper, r_lower90 = ft90$conf.int[1], r_upper90 = ft90$conf.int[2]
  )
})

# one-sided alternatives (2 x 2 only: fisher.test ignores `alternative` for larger tables)
fisher_one_sided <- lapply(names(tables_2x2), function(nm) {
  tab <- tables_2x2[[nm]]
  has_or <- sum(tab[1, ]) > 0 && sum(tab[2, ]) > 0 && sum(tab[, 1]) > 0 && sum(tab[, 2]) > 0
  sides <- lapply(c("less", "greater"), function(alt) {
    ft <- fisher.test(tab, alternative = alt)
    ft90 <- fisher.test(tab, alternative = alt, conf.level = 0.90)
    ex <- if (has_or) conditional_or(tab, 0.95, alt) else list(estimate = NA, lower = NA, upper = NA)
    ex90 <- if (has_or) conditional_or(tab, 0.90, alt) else list(estimate = NA, lower = NA, upper = NA)
    list(alternative = alt, p = ft$p.value,
         r_estimate = unname(ft$estimate), r_lower = ft$conf.int[1], r_upper = ft$conf.int[2],
         r_lower90 = ft90$conf.int[1], r_upper90 = ft90$conf.int[2],
         estimate = ex$estimate, lower = ex$lower, upper = ex$upper,
         lower90 = ex90$lower, upper90 = ex90$upper)
  })
  list(name = nm, table = tab, less = sides[[1]], greater = sides[[2]])
})

# r x 2, 2 x c and r x c tables (rows as given)
tables_rxc <- list(
  hist_simple = cbind(c(308, 95, 62), c(71, 15, 9)),
  hist_ht = cbind(c(95, 21, 22), c(171, 50, 30)),
  sparse_3x2 = rbind(c(2, 0), c(0, 3), c(1, 1)),
  sparse_4x2 = rbind(c(0, 1), c(3, 0), c(0, 2), c(1, 1)),
  five_by_two = rbind(c(5, 1), c(3, 4), c(0, 6), c(2, 2), c(1, 0)),
  strong_3x2 = rbind(c(120, 30), c(80, 70), c(50, 90)),
  tied_3x2 = rbind(c(2, 2), c(2, 2), c(2, 2)),
  zero_row_3x2 = rbind(c(3, 1), c(0, 0), c(5, 7)),
  rare_4x2 = rbind(c(1, 60), c(0, 75), c(3, 40), c(0, 90)),
  two_by_three = rbind(c(3, 1, 4), c(1, 5, 9)),
  two_by_four = rbind(c(0, 2, 1, 6), c(4, 1, 0, 2)),
  three_by_three = rbind(c(3, 1, 0), c(1, 4, 2), c(0, 2, 5)),
  three_by_four = rbind(c(2, 0, 1, 3), c(1, 3, 0, 1), c(4, 1, 2, 0)),
  job = matrix(c(1, 2, 1, 0, 3, 3, 6, 1, 10, 10, 14, 9, 6, 7, 12, 11), 4, 4),
  four_by_three = rbind(c(5, 3, 2), c(4, 6, 1), c(2, 5, 7), c(1, 2, 6))
)
fisher_rxc <- lapply(names(tables_rxc), function(nm) {
  tab <- tables_rxc[[nm]]
  list(name = nm, table = tab, p = fisher.test(tab, workspace = 2e7)$p.value)
})

# random tables, 2 x 2 to 5 x 4, n from 8 to 80, some with empty rows or columns
set.seed(20240603)
fisher_random <- lapply(1:60, function(i) {
  r <- sample(2:5, 1)
  c <- sample(2:4, 1)
  tab <- matrix(rmultinom(1, sample(8:80, 1), runif(r * c)^2), r, c)
  list(table = tab, p = fisher.test(tab, workspace = 2e7)$p.value)
})

# ---------------------------------------------------------------------------------------------
# Pearson's chi-squared test (chisq.test, Yates' correction for 2 x 2 tables as R's default)
# ---------------------------------------------------------------------------------------------
tables_chisq <- list(
  moderate = rbind(c(10, 2), c(3, 15)),
  large = rbind(c(310, 155), c(48, 47)),
  hist_simple = cbind(c(308, 95, 62), c(71, 15, 9)),
  three_by_three = rbind(c(13, 11, 10), c(11, 14, 12), c(10, 12, 25))
)
chisq <- lapply(names(tables_chisq), function(nm) {
  tab <- tables_chisq[[nm]]
  ct <- suppressWarnings(chisq.test(tab))
  list(name = nm, table = tab, statistic = unname(ct$statistic), df = unname(ct$parameter),
       p = ct$p.value)
})

# ---------------------------------------------------------------------------------------------
# Kruskal-Wallis
# ---------------------------------------------------------------------------------------------
set.seed(20240601)
kw_data <- list(
  small = data.frame(value = c(2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 6.1),
                     group = c("a", "a", "a", "b", "b", "c", "c")),
  ties = data.frame(value = sample(0:5, 45, replace = TRUE),
                    group = sample(c("low", "mid", "high"), 45, replace = TRUE)),
  two_groups = data.frame(value = round(rnorm(200, 60, 10)),
                          group = sample(c("Low", "High"), 200, replace = TRUE, prob = c(0.7, 0.3))),
  with_na = data.frame(value = c(1.5, NA, 2.5, 3.1, 0.4, 2.2, NA, 4.8, 3.9, 1.1),
                       group = c("x", "x", "y", "y", NA, "x", "y", "z", "z", "z"))
)
kruskal <- lapply(names(kw_data), function(nm) {
  d <- kw_data[[nm]]
  kt <- kruskal.test(value ~ group, data = d)
  list(name = nm, statistic = unname(kt$statistic), df = unname(kt$parameter), p = kt$p.value,
       n = sum(complete.cases(d)))
})

# ---------------------------------------------------------------------------------------------
# table_one: a small data set with missing values, two and three groups
# ---------------------------------------------------------------------------------------------
set.seed(20240602)
n <- 80
t1 <- data.frame(
  group = sample(c("Low", "High"), n, replace = TRUE, prob = c(0.6, 0.4)),
  arm = sample(c("A", "B", "C"), n, replace = TRUE),
  age = round(rnorm(n, 58, 11)),
  crp = round(rexp(n, 1 / 4), 1),
  sex = sample(c("female", "male"), n, replace = TRUE),
  stage = sample(c("I", "II", "III", "IV"), n, replace = TRUE, prob = c(0.1, 0.2, 0.3, 0.4)),
  ldh_high = rbinom(n, 1, 0.45),
  lines = sample(c("1", "2", "3+"), n, replace = TRUE, prob = c(0.1, 0.6, 0.3)),
  stringsAsFactors = FALSE
)
t1$age[c(3, 17, 50)] <- NA
t1$ldh_high[sample(n, 12)] <- NA
t1$sex[c(8, 9)] <- NA

q7 <- function(v) unname(quantile(v, c(0.25, 0.5, 0.75), na.rm = TRUE, type = 7))
continuous_summary <- function(d, var, grp) {
  groups <- sort(unique(d[[grp]]))
  per <- lapply(c(groups, "total"), function(g) {
    v <- if (g == "total") d[[var]] else d[[var]][d[[grp]] == g]
    q <- q7(v)
    list(group = g, q1 = q[1], median = q[2], q3 = q[3], n = sum(!is.na(v)), missing = sum(is.na(v)))
  })
  kt <- kruskal.test(d[[var]], factor(d[[grp]]))
  list(variable = var, group = grp, kind = "continuous", cells = per, p = kt$p.value,
       statistic = unname(kt$statistic))
}
categorical_summary <- function(d, var, grp, levels) {
  groups <- sort(unique(d[[grp]]))
  keep <- !is.na(d[[var]])
  tab <- table(factor(d[[var]][keep], levels = levels), factor(d[[grp]][keep], levels = groups))
  miss <- sapply(groups, function(g) sum(is.na(d[[var]][d[[grp]] == g])))
  list(variable = var, group = grp, kind = "categorical", levels = levels, groups = groups,
       counts = unclass(tab), missing = unname(miss), p = fisher.test(tab, workspace = 2e7)$p.value,
       chisq_p = suppressWarnings(chisq.test(tab)$p.value))
}
table_one <- list()
for (grp in c("group", "arm")) {
  table_one[[length(table_one) + 1]] <- continuous_summary(t1, "age", grp)
  table_one[[length(table_one) + 1]] <- continuous_summary(t1, "crp", grp)
  table_one[[length(table_one) + 1]] <- categorical_summary(t1, "sex", grp, c("female", "male"))
  table_one[[length(table_one) + 1]] <- categorical_summary(t1, "stage", grp, c("I", "II", "III", "IV"))
  table_one[[length(table_one) + 1]] <- categorical_summary(t1, "ldh_high", grp, c(0, 1))
  table_one[[length(table_one) + 1]] <- categorical_summary(t1, "lines", grp, c("1", "2", "3+"))
}

# ---------------------------------------------------------------------------------------------
# The paper's Table 1 (CART-SIE, Transplant Cell Ther 2025): counts as published. Groups: simpleHT
# low N = 465 / high N = 95; HT low N = 138 / high N = 251. `yes`: patients with the characteristic,
# `pct`: the published percentages (low, high, total); `n`: denominators used here (group size minus
# the published number missing, only LDH gives one).
# ---------------------------------------------------------------------------------------------
N <- list(simple_ht = c(465, 95), ht = c(138, 251))
bin <- function(variable, score, yes, pct, published, missing = c(0, 0)) {
  list(variable = variable, score = score, kind = "binary", yes = yes, pct = pct,
       missing = missing, n = N[[score]] - missing, published = published)
}
cat3 <- function(variable, score, levels, low, high, published) {
  list(variable = variable, score = score, kind = "levels", levels = levels, low = low, high = high,
       published = published)
}
paper <- list(
  bin("sex_female", "simple_ht", c(174, 33), c(37, 35, 37), ".64"),
  bin("sex_female", "ht", c(42, 91), c(30, 36, 34), ".27"),
  cat3("histology", "simple_ht", c("DLBCL", "HGBL", "PMBCL"), c(308, 95, 62), c(71, 15, 9), ".29"),
  cat3("histology", "ht", c("DLBCL", "HGBL", "PMBCL"), c(95, 21, 22), c(171, 50, 30), ".35"),
  bin("refractory", "simple_ht", c(333, 71), c(73, 76, 74), ".61"),
  bin("refractory", "ht", c(103, 182), c(77, 74, 75), ".62"),
  bin("stage_advanced", "simple_ht", c(302, 80), c(66, 86, 69), "<.01"),
  bin("stage_advanced", "ht", c(77, 191), c(57, 77, 70), "<.01"),
  bin("ipi_ge3", "simple_ht", c(172, 51), c(38, 56, 41), ".002"),
  bin("ipi_ge3", "ht", c(43, 116), c(33, 48, 43), ".004"),
  bin("bulky", "simple_ht", c(152, 45), c(33, 49, 36), ".004"),
  bin("bulky", "ht", c(39, 96), c(28, 39, 35), ".05"),
  bin("ldh_above_uln", "simple_ht", c(154, 45), c(42, 64, 46), "<.01", missing = c(102, 25)),
  bin("ldh_above_uln", "ht", c(32, 102), c(29, 52, 44), "<.01", missing = c(28, 53)),
  cat3("product", "simple_ht", c("axi-cel", "tisa-cel"), c(265, 200), c(53, 42), ".91"),
  cat3("product", "ht", c("axi-cel", "tisa-cel"), c(77, 61), c(142, 109), ".92"),
  cat3("prior_lines", "simple_ht", c("1", "2", ">=3"), c(9, 297, 159), c(4, 54, 37), ".34"),
  cat3("prior_lines", "ht", c("1", "2", ">=3"), c(5, 91, 42), c(6, 154, 91), ".31"),
  bin("prior_asct", "simple_ht", c(129, 21), c(28, 22, 27), ".31"),
  bin("prior_asct", "ht", c(41, 69), c(30, 27, 28), ".64"),
  bin("bridging", "simple_ht", c(370, 85), c(80, 90, 81), ".01"),
  bin("bridging", "ht", c(104, 220), c(75, 88, 84), ".002"),
  bin("bridging_failure", "simple_ht", c(159, 60), c(38, 71, 44), "<.01"),
  bin("bridging_failure", "ht", c(47, 102), c(39, 45, 43), ".62")
)
round_half_up <- function(x) floor(x + 0.5)
# all denominators (d_low, d_high) consistent with the published percentages (rounded half up)
consistent <- function(yes, pct, nmax) {
  out <- list()
  for (dl in yes[1]:nmax[1]) {
    if (round_half_up(100 * yes[1] / dl) != pct[1]) next
    for (dh in yes[2]:nmax[2]) {
      if (round_half_up(100 * yes[2] / dh) != pct[2]) next
      if (round_half_up(100 * sum(yes) / (dl + dh)) != pct[3]) next
      tab <- rbind(c(yes[1], dl - yes[1]), c(yes[2], dh - yes[2]))
      out[[length(out) + 1]] <- list(n_low = dl, n_high = dh, p = fisher.test(tab)$p.value)
    }
  }
  out
}
paper <- lapply(paper, function(item) {
  if (item$kind == "binary") {
    tab <- rbind(c(item$yes[1], item$n[1] - item$yes[1]), c(item$yes[2], item$n[2] - item$yes[2]))
    item$table <- tab
    item$p <- fisher.test(tab)$p.value
    item$consistent <- consistent(item$yes, item$pct, item$n)
    if (item$variable == "ldh_above_uln") {
      # missing as a third category (not what the table's percentages use)
      t3 <- rbind(tab, item$missing)
      item$p_missing_as_level <- fisher.test(t3)$p.value
    }
  } else {
    tab <- cbind(item$low, item$high)
    item$table <- tab
    item$p <- fisher.test(tab, workspace = 2e7)$p.value
    if (item$variable == "prior_lines") {
      # 2 vs >= 3 prior lines (the "1" row left out)
      item$p_without_first <- fisher.test(tab[-1, ])$p.value
    }
  }
  item
})

out <- list(
  provenance = list(
    script = "tests/reference/descriptive.R",
    R = R.version.string,
    stats = as.character(packageVersion("stats")),
    jsonlite = as.character(packageVersion("jsonlite")),
    date = as.character(Sys.Date())
  ),
  fisher_2x2 = fisher_2x2,
  fisher_one_sided = fisher_one_sided,
  fisher_rxc = fisher_rxc,
  fisher_random = fisher_random,
  chisq = chisq,
  kruskal_data = lapply(kw_data, as.list),
  kruskal = kruskal,
  table_one_data = as.list(t1),
  table_one = table_one,
  paper_table1 = paper
)
write_json(out, "descriptive.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "string")
