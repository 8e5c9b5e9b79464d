"""Hematotoxicity, CRS and ICANS (Results; Supplementary Table 2).

"Early and late ICAHT [...] were analysed as binary outcomes using logistic regression. The predictive
power of these models was evaluated using sensitivity, specificity and area under the curve (AUC)
parameters." "In order to evaluate the significance of HEMATOTOX independently from other risk factors,
its effect on each outcome was adjusted by a linear predictor resulting from a model which included
stage, bulky disease, histology, disease status, IPI, and bridging therapy." (CART-SIE, Methods.)

Rates are percentages of the simpleHT-evaluable population with exact (Clopper-Pearson) CIs; odds
ratios come from univariable logistic models with Wald CIs (R's ``glm``); the discrimination of severe
late ICAHT by HT high uses epiR's CIs and the DeLong CI of the AUC (pROC).
"""

from __future__ import annotations

from cartsie import figures
from cartsie.study import _checks as C
from cartsie.study import _models as M
from cartsie.study import _supplementary as supp
from cartsie.study._item import ItemResult, Output
from cartsie.study.definitions import LEVELS, Study, group_name, outcome, study
from cartsie.study.estimate import NotEstimable, estimate, row

TITLE = "Hematotoxicity, CRS and ICANS"

#: rates in the simpleHT-evaluable population: id -> 0/1 column
RATES = {
    "tox.late_icaht_any.rate": "late_icaht",
    "tox.severe_thrombocytopenia.rate": "severe_thrombocytopenia",
    "tox.severe_anemia.rate": "severe_anemia",
    "tox.crs_any.rate": "crs_any",
    "tox.crs_ge3.rate": "crs_severe",
    "tox.icans_any.rate": "icans_any",
    "tox.icans_ge3.rate": "icans_severe",
}
#: rates by risk group: id stem -> (population, 0/1 column, group)
GROUP_RATES = {
    "tox.early_icaht.ht": ("ht", "early_icaht", "ht_high"),
    "tox.severe_thrombo.ht": ("ht", "severe_thrombocytopenia", "ht_high"),
    "tox.crs_any.ht": ("ht", "crs_any", "ht_high"),
    "tox.late_icaht_ge3.simpleht": ("simple_ht", "late_icaht_severe", "simple_ht_high"),
}
#: univariable odds ratios: id -> (population, outcome, group)
ODDS_RATIOS = {
    "tox.late_icaht_ge3.ht.or": ("ht", "late_icaht_severe", "ht_high"),
    "tox.early_icaht.ht.or": ("ht", "early_icaht", "ht_high"),
    "tox.severe_thrombo.ht.or": ("ht", "severe_thrombocytopenia", "ht_high"),
    "tox.crs_any.ht.or": ("ht", "crs_any", "ht_high"),
    "tox.late_icaht_ge3.simpleht.or": ("simple_ht", "late_icaht_severe", "simple_ht_high"),
}
#: discrimination of severe late ICAHT by HT high: id stem -> (statistic, scale, label)
METRICS = {
    "sensitivity": (100, "Sensitivity of HT high for late ICAHT grade >= 3, %"),
    "specificity": (100, "Specificity of HT high for late ICAHT grade >= 3, %"),
    "lr_pos": (1, "Positive likelihood ratio of HT high for late ICAHT grade >= 3"),
    "lr_neg": (1, "Negative likelihood ratio of HT high for late ICAHT grade >= 3"),
}
#: Supplementary Table 2: the adjusted logistic models of the HT score
SUPP_TABLE2 = (
    supp.logistic_block("Late ICAHT grade >= 3", "ht", "ht_high", "late_icaht_severe"),
    supp.logistic_block("Complete response at day 90", "ht", "ht_high", "crr_day90"),
    supp.logistic_block("Response at day 90", "ht", "ht_high", "orr_day90"),
)


def rate(s: Study, population: str, flag: str) -> dict:
    """Percentage of ``flag`` = 1 in ``population``, with its exact 95% CI."""
    pop = s.population(population)
    C.need(pop, [flag], s)
    C.need_patients(pop, population)
    pct, n, ci = C.percent(pop[flag], outcome(flag))
    return row(pct, ci, n=n)


def group_rate(s: Study, population: str, flag: str, group: str, level: int) -> dict:
    """Percentage of ``flag`` = 1 among ``group == level``, with its exact 95% CI."""
    pop = s.population(population)
    C.need(pop, [group, flag], s)
    C.need_patients(pop, population)
    C.nobody(pop, group, level)
    what = f"{outcome(flag)} in the {group_name(group, level)} group"
    pct, n, ci = C.percent(pop.loc[pop[group] == level, flag], what)
    return row(pct, ci, n=n)


def group_rates(s: Study, stem: str, population: str, flag: str, group: str) -> list[dict]:
    """The rates of ``flag`` in the low and high groups, ids ``stem.low`` and ``stem.high``."""
    return [
        estimate(
            f"{stem}.{name}",
            f"{outcome(flag)[:1].upper() + outcome(flag)[1:]}, {group_name(group, level)}, %",
            lambda lv=level: group_rate(s, population, flag, group, lv),
        )
        for level, name in LEVELS
    ]


def _late_share(s: Study) -> dict:
    """Share of late-ICAHT cases (simpleHT population) with grade >= 3."""
    pop = s.population("simple_ht")
    C.need(pop, ["late_icaht", "late_icaht_severe"], s)
    C.need_patients(pop, "simple_ht")
    cases = pop[pop["late_icaht"] == 1]
    if not len(cases):
        raise NotEstimable("no late ICAHT in the simpleHT-evaluable population")
    pct, n, ci = C.percent(cases["late_icaht_severe"], "late ICAHT grade")
    return row(pct, ci, n=n, note="share of late-ICAHT cases with grade >= 3")


def analyse(cohort, note: str | None = None) -> ItemResult:
    """Toxicity rates, odds ratios by HT and simpleHT, the adjusted OR of severe late ICAHT and the
    discrimination of severe late ICAHT by HT high.

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort or cartsie.study.definitions.Study
        The cohort.
    note : str, optional
        Footnote of the figures.

    Returns
    -------
    ItemResult
        Estimates ``tox.*``, Supplementary Table 2 and the ROC figure.
    """
    s = study(cohort, note)
    # Rates in the simpleHT-evaluable ("global") population.
    rows = [
        estimate(
            "tox.late_icaht_any.rate", "Late ICAHT (any grade), %", lambda: rate(s, "simple_ht", "late_icaht")
        ),
        estimate("tox.late_icaht_ge3.share", "Late ICAHT cases with grade >= 3, %", lambda: _late_share(s)),
    ]
    for id_, flag in RATES.items():
        if id_ != "tox.late_icaht_any.rate":
            label = f"{outcome(flag)[:1].upper() + outcome(flag)[1:]}, %"
            rows.append(estimate(id_, label, lambda f=flag: rate(s, "simple_ht", f)))
    for stem, (population, flag, group) in GROUP_RATES.items():
        rows += group_rates(s, stem, population, flag, group)
    # Univariable logistic models by the score.
    for id_, (population, flag, group) in ODDS_RATIOS.items():
        label = f"OR of {outcome(flag)}, {group_name(group, 1)} vs low"
        rows.append(estimate(id_, label, lambda p=population, f=flag, g=group: M.odds_ratio(s, p, f, g)))
    # The score adjusted by the linear predictor of the adjustment set (Supplementary Table 2).
    rows.append(
        estimate(
            "tox.late_icaht_ge3.ht.or_adjusted",
            "Adjusted OR of late ICAHT grade >= 3, HT high vs low",
            lambda: M.adjusted(
                s,
                "ht",
                "ht_high",
                "odds_ratio",
                "adjusted logistic model of late ICAHT grade >= 3",
                outcome="late_icaht_severe",
                model="logistic",
            ),
        )
    )
    # Discrimination of severe late ICAHT by HT high.
    for stat, (scale, label) in METRICS.items():
        rows.append(
            estimate(f"tox.late_icaht_ge3.ht.{stat}", label, lambda st=stat, sc=scale: M.metric(s, st, sc))
        )
    rows.append(
        estimate(
            "tox.late_icaht_ge3.ht.auc",
            "AUC of HT high for late ICAHT grade >= 3 (x 100)",
            lambda: M.auc_row(s),
        )
    )
    tables = (
        Output(
            "supp_table2",
            "Supplementary Table 2. Logistic models of late ICAHT grade >= 3 and of response at day 90 "
            "by the HT score, adjusted by the linear predictor of stage, bulky disease, histology, "
            "disease status, IPI and bridging therapy (HT-evaluable patients).",
            lambda: supp.table(s, SUPP_TABLE2, "Supplementary Table 2"),
        ),
    )
    return ItemResult("toxicity", rows, tables=tables, figures=_figures(s))


def _figures(s: Study) -> tuple[Output, ...]:
    def roc():
        y, x, _counts = M.discrimination_data(s)
        known = y.notna() & x.notna()
        return figures.roc_plot(y[known], x[known], auc=M.auc_fit(s), note=s.note)

    return (
        Output(
            "figure_roc_ht_late_icaht",
            "ROC curve of the HT score (high vs low) for late ICAHT grade >= 3, with the AUC and its "
            "DeLong 95% CI (HT-evaluable patients).",
            roc,
        ),
    )
