"""Response at day 90 (Results; Supplementary Tables 2, 3 and 5).

"Overall response rate (ORR) and complete response rate (CRR) were analysed as binary outcomes using
logistic regression." "Globally the overall response rates and complete response rates were 55% and
47% respectively (Supplementary Table 3)." "Multivariable logistic models were fitted, adjusting for
baseline characteristics, and confirmed the independent effect of the score also in predicting
response rates (Supplementary Tables 2 and 5)." (CART-SIE.)

Rates are percentages of the simpleHT-evaluable population (by HT: of the HT-evaluable population)
with exact CIs; death or progression before day 90 counts as no response. Odds ratios come from
univariable logistic models (Wald CIs, R's ``glm``); the adjusted ones from the linear-predictor
adjustment of :func:`cartsie.adjust.lp_adjusted`.
"""

from __future__ import annotations

from cartsie.study import _models as M
from cartsie.study import _supplementary as supp
from cartsie.study._item import ItemResult, Output
from cartsie.study.definitions import LEVELS, SCORES, study
from cartsie.study.estimate import estimate
from cartsie.study.items.toxicity import group_rates, rate

TITLE = "Response at day 90"

#: the two responses: id stem -> (0/1 column, name)
RESPONSES = {
    "orr": ("orr_day90", "Overall response at day 90"),
    "crr": ("crr_day90", "Complete response at day 90"),
}
#: Supplementary Table 5: the adjusted logistic models of simpleHT
SUPP_TABLE5 = (
    supp.logistic_block("Complete response at day 90", "simple_ht", "simple_ht_high", "crr_day90"),
    supp.logistic_block("Response at day 90", "simple_ht", "simple_ht_high", "orr_day90"),
)


def analyse(cohort, note: str | None = None) -> ItemResult:
    """ORR and CRR at day 90 overall and by HT and simpleHT, their odds ratios, crude and adjusted.

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort or cartsie.study.definitions.Study
        The cohort.
    note : str, optional
        Unused (no figure); accepted as every item's ``analyse``.

    Returns
    -------
    ItemResult
        Estimates ``resp.*`` and Supplementary Tables 3 and 5.
    """
    s = study(cohort, note)
    rows = []
    for stem, (flag, name) in RESPONSES.items():
        rows.append(estimate(f"resp.{stem}.global", f"{name}, %", lambda f=flag: rate(s, "simple_ht", f)))
        for key, (population, group, _g, _label) in SCORES.items():
            rows += group_rates(s, f"resp.{stem}90.{key}", population, flag, group)
    for stem, (flag, name) in (("crr", RESPONSES["crr"]), ("orr", RESPONSES["orr"])):
        for key, (population, group, _g, label) in SCORES.items():
            rows.append(
                estimate(
                    f"resp.{stem}90.{key}.or",
                    f"OR of {name.lower()}, {label} high vs low",
                    lambda p=population, f=flag, g=group: M.odds_ratio(s, p, f, g),
                )
            )
            rows.append(
                estimate(
                    f"resp.{stem}90.{key}.or_adjusted",
                    f"Adjusted OR of {name.lower()}, {label} high vs low",
                    lambda p=population, f=flag, g=group, n=name: M.adjusted(
                        s,
                        p,
                        g,
                        "odds_ratio",
                        f"adjusted logistic model of {n.lower()}",
                        outcome=f,
                        model="logistic",
                    ),
                )
            )
    by_id = {r["id"]: r for r in rows}
    tables = (
        Output(
            "supp_table3",
            "Supplementary Table 3. Response at day 90: rates (95% exact CIs) overall and by HT and "
            "simpleHT, and the odds ratios of high versus low (univariable logistic models).",
            lambda: _supp_table3(by_id),
        ),
        Output(
            "supp_table5",
            "Supplementary Table 5. Logistic models of response at day 90 by simpleHT, adjusted by the "
            "linear predictor of stage, bulky disease, histology, disease status, IPI and bridging "
            "therapy (simpleHT-evaluable patients).",
            lambda: supp.table(s, SUPP_TABLE5, "Supplementary Table 5"),
        ),
    )
    return ItemResult("response", rows, tables=tables)


def _supp_table3(by_id: dict[str, dict]):
    layout = [
        (
            f"{name} by {label}",
            f"resp.{stem}.global",
            *(f"resp.{stem}90.{key}.{lv}" for _, lv in LEVELS),
            f"resp.{stem}90.{key}.or",
        )
        for stem, (_flag, name) in RESPONSES.items()
        for key, (_p, _g, _c, label) in SCORES.items()
    ]
    notes = (
        "Rates: % (95% exact Clopper-Pearson CI) of the simpleHT-evaluable patients (All) and of each "
        "risk group; OR: univariable logistic model, high vs low, 95% Wald CI.",
        "Death or progression before day 90 counts as no response.",
    )
    return supp.rates_table(by_id, layout, "Supplementary Table 3", notes)
