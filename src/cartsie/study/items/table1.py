"""Patient characteristics by HT and by simpleHT (Table 1).

"Continuous variables were described by median and interquartile range (IQR) and compared with the
Kruskal-Wallis test; categorical variables by counts and percentages, compared with Fisher's exact
test." Table 1 is :func:`cartsie.descriptive.table_one` on the paper's variables present in the data,
in the HT-evaluable population by HT score and in the simpleHT-evaluable population by simpleHT:
median (IQR) and the Kruskal-Wallis test (R's ``kruskal.test``) for continuous variables, n (%) and
Fisher's exact test (``fisher.test``) for categorical ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartsie.descriptive import median_ci, table_one
from cartsie.study import _checks as C
from cartsie.study._item import ItemResult, Output
from cartsie.study.definitions import (
    POPULATIONS,
    TABLE1_CONTINUOUS,
    TABLE1_LABELS,
    TABLE1_ROWS,
    TABLE1_SCORES,
    TABLE1_VALUES,
    Study,
    study,
)
from cartsie.study.estimate import NotEstimable, estimate, row

TITLE = "Patient characteristics (Table 1)"
_SCORE_OF = {"simple_ht": "simpleHT", "ht": "HT"}
_PARTS = {"total": "total", "low": "{score} low", "high": "{score} high"}


def _testable(pop: pd.DataFrame, variable: str, group: str) -> bool:
    """A test of ``variable`` across the groups needs two groups and two distinct values."""
    grouped = pop.loc[pop[group].notna(), [variable, group]].dropna()
    return grouped[variable].nunique() >= 2 and grouped[group].nunique() >= 2


def table1(cohort, score: str = "HT"):
    """Table 1 by ``score`` ("HT" or "simpleHT").

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort or cartsie.study.definitions.Study
        The cohort.
    score : {"HT", "simpleHT"}
        The grouping score (and its population).

    Returns
    -------
    cartsie.descriptive.TableOne
        :func:`cartsie.descriptive.table_one` of the paper's variables present in the data: median
        (IQR) and the Kruskal-Wallis test for continuous variables, n (%) and Fisher's exact test for
        categorical ones; no test for a variable with a single value or when a group is empty; both
        groups shown even when one is empty.
    """
    s = study(cohort)
    population, group = TABLE1_SCORES[score]
    return s.cached(("table1", score), lambda: _table1(s.population(population), group, score))


def _table1(pop: pd.DataFrame, group: str, score: str):
    variables = [
        v
        for v in dict.fromkeys(v for v, _ in TABLE1_ROWS.values())
        if v in pop.columns and pop[v].notna().any()
    ]
    binary = [v for v in variables if v not in (*TABLE1_CONTINUOUS, "sex", "histology", "product")]
    tests = {v: "none" for v in variables if not _testable(pop, v, group)}
    return table_one(
        pop,
        group,
        variables,
        labels=TABLE1_LABELS,
        categorical=binary,
        tests=tests or None,
        group_order=["low", "high"],
        group_label=f"{score} score",
        value_labels={v: labels for v, labels in TABLE1_VALUES.items() if v in variables} or None,
    )


def _label(score: str, variable: str, level, part: str) -> str:
    what = TABLE1_LABELS.get(variable, variable)
    if level is not None and level != "1":
        what += f": {TABLE1_VALUES.get(variable, {}).get(level, level)}"
    return f"Table 1 ({score}): {what}, {_PARTS[part].format(score=score)}"


def analyse(cohort, note: str | None = None) -> ItemResult:
    """Table 1 by simpleHT and by HT: n, medians (IQR), percentages with exact CIs, p-values.

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort or cartsie.study.definitions.Study
        The cohort.
    note : str, optional
        Unused (Table 1 has no figure); accepted as every item's ``analyse``.

    Returns
    -------
    ItemResult
        Estimates ``table1.*`` and the tables ``table1_ht`` and ``table1_simpleht``.
    """
    s = study(cohort, note)
    rows = []
    for score, (population, _group) in TABLE1_SCORES.items():
        for part in ("total", "low", "high"):
            rows.append(
                estimate(
                    f"table1.{score}.n.{part}",
                    f"Table 1 ({score}): patients, {_PARTS[part].format(score=score)}",
                    lambda sc=score, g=part: _n(table1(s, sc), g),
                )
            )
        for stem, (variable, level) in TABLE1_ROWS.items():
            for part in ("total", "low", "high"):
                rows.append(
                    estimate(
                        f"table1.{score}.{stem}.{part}",
                        _label(score, variable, level, part),
                        lambda sc=score, v=variable, lv=level, g=part, p=population: _cell(
                            s, sc, p, v, lv, g
                        ),
                    )
                )
        for part in ("total", "low", "high"):
            rows.append(
                estimate(
                    f"table1.{score}.ldh_missing.{part}",
                    f"Table 1 ({score}): LDH unknown, {_PARTS[part].format(score=score)}",
                    lambda g=part, p=population: _ldh_missing(s, p, g),
                )
            )
    tables = tuple(
        Output(
            f"table1_{score.lower()}",
            f"Table 1. Patient characteristics by {score} score ({POPULATIONS[population]} patients).",
            _table_maker(s, score),
        )
        for score, (population, _group) in TABLE1_SCORES.items()
    )
    return ItemResult("table1", rows, tables=tables)


def _table_maker(s: Study, score: str):
    return lambda: table1(s, score)


def _n(t1, group: str) -> dict:
    return row(int(t1.n[group]), n=int(t1.n[group]))


def _ldh_missing(s: Study, population: str, group: str) -> dict:
    """Patients of the group (or in total) without LDH, as Table 1's "missing" row."""
    pop = s.population(population)
    C.need(pop, ["ldh_above_uln"], s)
    column = TABLE1_SCORES[_SCORE_OF[population]][1]
    in_group = pop[column].notna() if group == "total" else (pop[column] == group)
    missing = int((pop["ldh_above_uln"].isna() & in_group).sum())
    return row(missing, n=missing)


def _check_variable(s: Study, population: str, variable: str) -> None:
    pop = s.population(population)
    C.need(pop, [variable], s)
    C.need_patients(pop, population)
    if not pop[variable].notna().any():
        raise NotEstimable(
            f"{variable} unknown for every patient of the {POPULATIONS[population]} population"
        )


def _cell(s: Study, score: str, population: str, variable: str, level, group: str) -> dict:
    """One cell of Table 1: a median with its exact distribution-free 95% CI (the IQR, which Table 1
    prints, in the note), or a percentage with its exact (Clopper-Pearson) 95% CI and the count in
    ``n``; the variable's p-value on its "total" cell."""
    _check_variable(s, population, variable)
    t1 = table1(s, score)
    if group != "total" and not t1.n[group]:
        raise NotEstimable(f"nobody {score} {group}")
    unknown = NotEstimable(
        f"{variable} unknown for every "
        + (
            f"{score} {group} patient"
            if group != "total"
            else f"patient of the {POPULATIONS[population]} population"
        )
    )
    p_by_var, cells = s.cached(("table1_cells", score), lambda: _cells(t1))
    p = p_by_var[variable] if group == "total" else np.nan
    if level is None:
        r = cells[(variable, group, None)]
        if not r["n"]:
            raise unknown
        # compared with a published median by its CI (exact, order statistics), not by its IQR
        pop = s.population(population)
        grp = TABLE1_SCORES[score][1]
        values = pop.loc[pop[grp].notna() if group == "total" else pop[grp] == group, variable]
        m = median_ci(values)
        iqr = f"IQR {r['q1']:.4g}-{r['q3']:.4g}"
        return row(
            m.median, (m.ci_lower, m.ci_upper), p=p, n=r["n"], note=f"{iqr}; exact 95% CI of the median"
        )
    if (variable, group, level) not in cells:  # a level nobody has: 0 of the known values
        pop = s.population(population)
        grp = TABLE1_SCORES[score][1]
        known = pop[variable].notna() & (pop[grp].notna() if group == "total" else pop[grp] == group)
        k, denominator = 0, int(known.sum())
    else:
        r = cells[(variable, group, level)]
        k, denominator = int(r["n"]), int(r["denominator"])
    if not denominator:
        raise unknown
    return row(100 * k / denominator, C.exact_ci(k, denominator), p=p, n=k, note=f"{k} of {denominator}")


def _cells(t1) -> tuple[dict, dict]:
    """Table 1's p-value per variable, and its numbers per (variable, group, level): level None for
    the median of a continuous variable."""
    p_by_var = t1.summary.drop_duplicates("variable").set_index("variable")["p_value"].to_dict()
    cells: dict[tuple, dict] = {}
    for r in t1.stats.to_dict("records"):
        level = None if r["variable"] in TABLE1_CONTINUOUS else str(r["level"])
        cells.setdefault((r["variable"], r["group"], level), r)
    return p_by_var, cells
