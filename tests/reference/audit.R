# Reference values for cartsie.study.audit's Table-1 p-values: R's fisher.test, chisq.test(correct =
# TRUE) and chisq.test(correct = FALSE) on every count table the audit builds from the paper's
# printed Table 1 (src/cartsie/data/published_estimates.csv), and on the hand-made tables of
# tests/test_audit.py. Writes audit.json next to this script, with the tables.
#
#   cd tests/reference && Rscript audit.R
#
# The tables are derived here, in R, from the published CSV by the audit's documented rules (module
# cartsie.study._audit_rules), written again independently:
#   - a Table-1 cell is an id table1.<population>.<variable>.<column> with column == comparison;
#   - the N of a column is the variable "n"; a variable "<stem>_missing" (plain counts) holds the
#     missing values of every variable "<stem>_*": its percentages exclude them;
#   - two or more count variables "<stem>_<level>" whose total cells print the same p are the levels
#     of one variable: one levels x groups table of the printed counts;
#   - a binary variable: rows (count, denominator - count), columns the groups. The denominator is N
#     (net of printed missing values) when every percentage of the variable fits it; otherwise every
#     D <= N for which 100 * count / D lies in [pct - 0.5, pct + 0.5] (closed: either way of rounding
#     a half), the groups' D adding up to one that fits the total's percentage.
suppressPackageStartupMessages({
  library(jsonlite)
})

p_values <- function(tab) {
  tab <- as.matrix(tab)
  out <- list(
    fisher = fisher.test(tab, workspace = 2e7)$p.value,
    chisq = suppressWarnings(chisq.test(tab, correct = FALSE)$p.value)
  )
  if (all(dim(tab) == c(2, 2))) {
    out$chisq_yates <- suppressWarnings(chisq.test(tab, correct = TRUE)$p.value)
  }
  out
}

# ---------------------------------------------------------------------------------------------
# Hand-made tables of tests/test_audit.py (levels or count/rest x groups a, b)
# ---------------------------------------------------------------------------------------------
toy <- list(
  tea = rbind(c(3, 1), c(1, 3)),
  female = rbind(c(12, 10), c(28, 50)),
  stage = rbind(c(6, 24), c(20, 21), c(14, 15)),
  ldh_high = rbind(c(10, 30), c(20, 20)),
  refractory = rbind(c(30, 45), c(8, 11))
)
toy_cases <- lapply(names(toy), function(nm) c(list(name = nm, table = toy[[nm]]), p_values(toy[[nm]])))

# ---------------------------------------------------------------------------------------------
# The paper's Table 1, from the published CSV
# ---------------------------------------------------------------------------------------------
pub <- read.csv("../../src/cartsie/data/published_estimates.csv", colClasses = "character",
                na.strings = character(0))
is_cell <- grepl("^[^.]+\\.[^.]+\\.[^.]+\\.[^.]+$", pub$id) & pub$statistic == "summary"
cells <- pub[is_cell, ]
parts <- do.call(rbind, strsplit(cells$id, ".", fixed = TRUE))
cells$population <- parts[, 2]
cells$variable <- parts[, 3]
cells$column <- parts[, 4]
cells <- cells[cells$column == cells$comparison, ]
count_of <- function(v) as.integer(sub("^\\s*(\\d+).*$", "\\1", v))
pct_of <- function(v) {
  m <- regmatches(v, regexec("\\(\\s*([0-9.]+)\\s*%\\s*\\)", v))[[1]]
  if (length(m) < 2) return(c(NA, NA))
  decimals <- nchar(sub("^[^.]*\\.?", "", m[2]))
  half <- 0.5 * 10^-decimals
  as.numeric(m[2]) + c(-half, half)
}
fits <- function(count, pct, d) {
  x <- 100 * count / d
  x >= pct[1] * (1 - 1e-9) & x <= pct[2] * (1 + 1e-9)
}
stem_of <- function(v) ifelse(grepl("_", v), sub("_[^_]*$", "", v), "")

paper_cases <- list()
for (pop in unique(cells$population)) {
  tc <- cells[cells$population == pop, ]
  columns <- unique(tc$column)
  groups <- setdiff(columns, "total")
  value <- function(var, col) {
    v <- tc$value[tc$variable == var & tc$column == col]
    if (length(v)) v else NA_character_
  }
  N <- sapply(columns, function(col) as.integer(value("n", col)))
  variables <- unique(tc$variable)
  is_count <- sapply(variables, function(v) any(grepl("%", tc$value[tc$variable == v])))
  p_total <- sapply(variables, function(v) tc$p[tc$variable == v & tc$column == "total"])
  missing_vars <- variables[grepl("_missing$", variables) & !is_count]
  missing_for <- function(v) {
    for (m in missing_vars) {
      if (startsWith(v, paste0(sub("_missing$", "", m), "_"))) {
        return(sapply(columns, function(col) as.integer(value(m, col))))
      }
    }
    setNames(rep(0L, length(columns)), columns)
  }
  placed <- character(0)
  for (v in variables[is_count]) {
    if (v %in% placed || p_total[[v]] == "") next
    same <- variables[is_count & stem_of(variables) == stem_of(v) & stem_of(v) != "" &
                        sapply(variables, function(w) p_total[[w]]) == p_total[[v]]]
    same <- setdiff(same, placed)
    level_set <- if (length(same) >= 2) same else v
    placed <- c(placed, level_set)
    base <- N - missing_for(v)
    if (length(level_set) >= 2) {
      tab <- t(sapply(level_set, function(w) sapply(groups, function(g) count_of(value(w, g)))))
      tables <- list(unname(tab))
      # the same table with one level left out (a subset the paper may have tested)
      dropped <- if (length(level_set) >= 3) {
        lapply(seq_along(level_set), function(k) list(
          level = sub("^.*_", "", level_set[k]),
          fisher = fisher.test(unname(tab[-k, , drop = FALSE]), workspace = 2e7)$p.value))
      } else list()
    } else {
      counts <- sapply(columns, function(col) count_of(value(v, col)))
      pcts <- lapply(columns, function(col) pct_of(value(v, col)))
      names(pcts) <- columns
      all_fit <- all(sapply(columns, function(col) fits(counts[[col]], pcts[[col]], base[[col]])))
      cand <- lapply(columns, function(col) {
        if (all_fit) return(base[[col]])
        d <- counts[[col]]:base[[col]]
        d[fits(counts[[col]], pcts[[col]], d)]
      })
      names(cand) <- columns
      grid <- expand.grid(cand[groups])
      joint <- grid[rowSums(grid) %in% cand[["total"]], , drop = FALSE]
      if (nrow(joint)) grid <- joint
      tables <- lapply(seq_len(nrow(grid)), function(i) {
        d <- as.integer(grid[i, ])
        k <- as.integer(counts[groups])
        rbind(k, d - k, deparse.level = 0)
      })
      dropped <- list()
    }
    ps <- lapply(tables, p_values)
    paper_cases[[length(paper_cases) + 1]] <- list(
      population = pop,
      variable = v,
      levels = sub("^.*_", "", level_set),
      printed_p = p_total[[v]],
      tables = lapply(tables, function(x) unname(x)),
      fisher = sapply(ps, `[[`, "fisher"),
      chisq = sapply(ps, `[[`, "chisq"),
      chisq_yates = if (!is.null(ps[[1]]$chisq_yates)) sapply(ps, `[[`, "chisq_yates") else NULL,
      dropped_level = dropped
    )
  }
}

out <- list(
  provenance = list(
    script = "tests/reference/audit.R",
    R = R.version.string,
    stats = as.character(packageVersion("stats")),
    jsonlite = as.character(packageVersion("jsonlite")),
    input = "src/cartsie/data/published_estimates.csv",
    input_md5 = unname(tools::md5sum("../../src/cartsie/data/published_estimates.csv")),
    definition = paste(
      "fisher.test(tab, workspace = 2e7)$p.value; chisq.test(tab, correct = FALSE)$p.value;",
      "chisq.test(tab, correct = TRUE)$p.value for 2 x 2 tables (R applies Yates' correction to",
      "2 x 2 tables only); tables derived from the published CSV by the rules in this script's header"
    ),
    date = as.character(Sys.Date())
  ),
  toy = toy_cases,
  paper = paper_cases
)
write_json(out, "audit.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "string",
           matrix = "rowmajor")
