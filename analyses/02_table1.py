"""CART-SIE: patient characteristics by simpleHT and by HT (Table 1).

"Patients, disease and treatment characteristics were summarized using standard descriptive
statistics. Differences in distributions were tested using Kruskal-Wallis rank sum test for
continuous variables and Fisher's exact test for categorical variables." (CART-SIE, Methods.)

Table 1 is ``cartsie.descriptive.table_one`` of the paper's variables present in the data: in the
simpleHT-evaluable population by simpleHT (560 patients in the paper) and in the HT-evaluable
population by HT (389). Each cell is also an estimate: a median with its IQR, or a percentage with
its exact (Clopper-Pearson) 95% CI, the variable's p-value on its "total" cell. A median's interval is
its exact distribution-free 95% CI (``cartsie.descriptive.median_ci``, order statistics), so that a
published median is compared with a CI; the IQR that Table 1 prints is in the note.

Run: python analyses/02_table1.py [--data PATIENTS --labs LABS | --example] [--out DIR] [--seed N]

Without --data the built-in synthetic cohort is analysed. Outputs: estimates.csv (table1.*),
tables/table1_simpleht.* and tables/table1_ht.* (csv, md, html, docx, xlsx, tex).
"""

from functools import cache

import numpy as np

from cartsie import study
from cartsie.descriptive import median_ci, table_one
from cartsie.study import script
from cartsie.study.definitions import (
    POPULATIONS,
    TABLE1_CONTINUOUS,
    TABLE1_LABELS,
    TABLE1_ROWS,
    TABLE1_SCORES,
    TABLE1_VALUES,
)

cohort, out = script.setup("table1", __doc__)
est = script.Estimates()
PARTS = ("total", "low", "high")


def testable(pop, variable: str, group: str) -> bool:
    """A test across the groups needs two groups and two distinct values."""
    grouped = pop.loc[pop[group].notna(), [variable, group]].dropna()
    return grouped[variable].nunique() >= 2 and grouped[group].nunique() >= 2


@cache
def table1(score: str):
    """Table 1 by ``score``: median (IQR) and Kruskal-Wallis, n (%) and Fisher's exact test."""
    population, group = TABLE1_SCORES[score]
    pop = study.population(cohort, population)
    variables = [
        v
        for v in dict.fromkeys(v for v, _level in TABLE1_ROWS.values())
        if v in pop.columns and pop[v].notna().any()
    ]
    # 0/1 variables are shown as n (%), not as medians; sex, histology and product are text.
    categorical = [v for v in variables if v not in (*TABLE1_CONTINUOUS, "sex", "histology", "product")]
    # no test of a variable with a single value, or when a group is empty
    tests = {v: "none" for v in variables if not testable(pop, v, group)}
    return table_one(
        pop,
        group,
        variables,
        labels=TABLE1_LABELS,
        categorical=categorical,
        tests=tests or None,
        group_order=["low", "high"],
        group_label=f"{score} score",
        value_labels=TABLE1_VALUES,
    )


def part_name(score: str, part: str) -> str:
    return "total" if part == "total" else f"{score} {part}"


def label(score: str, variable: str, level, part: str) -> str:
    what = TABLE1_LABELS.get(variable, variable)
    if level is not None and level != "1":
        what += f": {TABLE1_VALUES.get(variable, {}).get(level, level)}"
    return f"Table 1 ({score}): {what}, {part_name(score, part)}"


def cell(e, score: str, variable: str, level, part: str) -> None:
    """One cell of Table 1 as an estimate."""
    population, group = TABLE1_SCORES[score]
    pop = script.need(study.population(cohort, population), variable, population=population)
    everyone = f"patient of the {POPULATIONS[population]} population"
    if not pop[variable].notna().any():
        raise script.NotEstimable(f"{variable} unknown for every {everyone}")
    t1 = table1(score)
    if part != "total" and not t1.n[part]:
        raise script.NotEstimable(f"nobody {score} {part}")
    unknown = script.NotEstimable(
        f"{variable} unknown for every " + (f"{score} {part} patient" if part != "total" else everyone)
    )
    p = t1.summary.drop_duplicates("variable").set_index("variable")["p_value"][variable]
    p = p if part == "total" else np.nan  # the p-value is printed once per variable
    cells = t1.stats[(t1.stats["variable"] == variable) & (t1.stats["group"] == part)]
    if level is None:  # a median with its exact CI, the IQR (as printed) in the note
        r = cells.iloc[0]
        if not r["n"]:
            raise unknown
        in_part = pop[group].notna() if part == "total" else pop[group] == part
        m = median_ci(pop.loc[in_part, variable])
        note = f"IQR {r['q1']:.4g}-{r['q3']:.4g}; exact 95% CI of the median"
        e.set(m.median, (m.ci_lower, m.ci_upper), p=p, n=r["n"], note=note)
        return
    cells = cells[cells["level"].astype(str) == level]
    if cells.empty:  # a level nobody has: 0 of the known values
        known = pop[variable].notna() & (pop[group].notna() if part == "total" else pop[group] == part)
        k, denominator = 0, int(known.sum())
    else:
        k, denominator = int(cells.iloc[0]["n"]), int(cells.iloc[0]["denominator"])
    if not denominator:
        raise unknown
    e.set(100 * k / denominator, script.exact_ci(k, denominator), p=p, n=k, note=f"{k} of {denominator}")


for score, (population, group) in TABLE1_SCORES.items():
    # The patients of each column of Table 1.
    for part in PARTS:
        with est(f"table1.{score}.n.{part}", f"Table 1 ({score}): patients, {part_name(score, part)}") as e:
            n = int(table1(score).n[part])
            e.set(n, n=n)
    # The rows of Table 1.
    for stem, (variable, level) in TABLE1_ROWS.items():
        for part in PARTS:
            with est(f"table1.{score}.{stem}.{part}", label(score, variable, level, part)) as e:
                cell(e, score, variable, level, part)
    # "LDH missing": the patients of the group (or in total) without LDH.
    for part in PARTS:
        with est(
            f"table1.{score}.ldh_missing.{part}", f"Table 1 ({score}): LDH unknown, {part_name(score, part)}"
        ) as e:
            pop = script.need(study.population(cohort, population), "ldh_above_uln")
            in_group = pop[group].notna() if part == "total" else pop[group] == part
            missing = int((pop["ldh_above_uln"].isna() & in_group).sum())
            e.set(missing, n=missing)

# Table 1, by simpleHT and by HT.
for score in TABLE1_SCORES:
    with out.table(f"table1_{score.lower()}") as save:
        save(table1(score))

est.write(out)
