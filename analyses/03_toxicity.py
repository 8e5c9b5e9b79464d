"""CART-SIE: hematotoxicity, CRS and ICANS (Results; Supplementary Table 2).

"The incidence of adverse events (ICAHT, severe thrombocytopenia, CRS and ICANS) [...] were analysed
as binary outcomes using logistic regression. The predictive power of these models was evaluated
using sensitivity, specificity and area under the curve (AUC) parameters." "In order to evaluate the
significance of HEMATOTOX independently from other risk factors, its effect on each outcome was
adjusted by a linear predictor resulting from a model which included stage, bulky disease,
histology, disease status, IPI, and bridging therapy." (CART-SIE, Methods.)

Rates are percentages with exact (Clopper-Pearson) 95% CIs, of the simpleHT-evaluable ("global")
population or of a risk group; odds ratios come from univariable logistic models (Wald CIs, R's
``glm``); the adjusted odds ratio from ``cartsie.adjust.lp_adjusted``; the discrimination of severe
late ICAHT by HT high uses epiR's CIs and the DeLong CI of the AUC (pROC).

Run: python analyses/03_toxicity.py [--data PATIENTS --labs LABS | --example] [--out DIR] [--seed N]

Without --data the built-in synthetic cohort is analysed. Outputs: estimates.csv (tox.*),
tables/supp_table2.*, figures/figure_roc_ht_late_icaht.{png,pdf}.
"""

from functools import cache

import numpy as np

from cartsie import figures
from cartsie.discrimination import auc, diagnostic_metrics
from cartsie.study import script
from cartsie.study.definitions import LEVELS, group_name, outcome

cohort, out = script.setup("toxicity", __doc__)
est = script.Estimates()

# The populations: the simpleHT-evaluable patients ("global", 560 in the paper) and the
# HT-evaluable ones (389).
# Their rates, logistic models and linear-predictor adjustments (each model fitted once):
bo = script.BinaryOutcomes(cohort)
pops = bo.pops


# -- Rates in the global population -----------------------------------------------------------------
RATES = {  # id -> (0/1 column, label)
    "tox.late_icaht_any.rate": ("late_icaht", "Late ICAHT (any grade), %"),
    "tox.severe_thrombocytopenia.rate": ("severe_thrombocytopenia", "Severe thrombocytopenia, %"),
    "tox.severe_anemia.rate": ("severe_anemia", "Severe anemia, %"),
    "tox.crs_any.rate": ("crs_any", "CRS, %"),
    "tox.crs_ge3.rate": ("crs_severe", "CRS grade >= 3, %"),
    "tox.icans_any.rate": ("icans_any", "ICANS, %"),
    "tox.icans_ge3.rate": ("icans_severe", "ICANS grade >= 3, %"),
}
for id_, (flag, label) in RATES.items():
    with est(id_, label) as e:
        bo.rate(e, "simple_ht", flag)

# The share of the late-ICAHT cases that were of grade >= 3.
with est("tox.late_icaht_ge3.share", "Late ICAHT cases with grade >= 3, %") as e:
    pop = script.need(pops["simple_ht"], "late_icaht", "late_icaht_severe", population="simple_ht")
    cases = pop[pop["late_icaht"] == 1]
    if not len(cases):
        raise script.NotEstimable("no late ICAHT in the simpleHT-evaluable population")
    pct, n, ci = script.percent(cases["late_icaht_severe"], "late ICAHT grade")
    e.set(pct, ci, n=n, note="share of late-ICAHT cases with grade >= 3")

# -- Rates by the risk groups -----------------------------------------------------------------------
GROUP_RATES = {  # id stem -> (population, 0/1 column, risk group)
    "tox.early_icaht.ht": ("ht", "early_icaht", "ht_high"),
    "tox.severe_thrombo.ht": ("ht", "severe_thrombocytopenia", "ht_high"),
    "tox.crs_any.ht": ("ht", "crs_any", "ht_high"),
    "tox.late_icaht_ge3.simpleht": ("simple_ht", "late_icaht_severe", "simple_ht_high"),
}
for stem, (population, flag, group) in GROUP_RATES.items():
    for level, name in LEVELS:
        with est(f"{stem}.{name}", f"{script.capital(outcome(flag))}, {group_name(group, level)}, %") as e:
            bo.rate(e, population, flag, group, level)


# -- Univariable logistic models by the score (Wald CIs, as R's glm) --------------------------------


ODDS_RATIOS = {  # id -> (population, outcome, risk group)
    "tox.late_icaht_ge3.ht.or": ("ht", "late_icaht_severe", "ht_high"),
    "tox.early_icaht.ht.or": ("ht", "early_icaht", "ht_high"),
    "tox.severe_thrombo.ht.or": ("ht", "severe_thrombocytopenia", "ht_high"),
    "tox.crs_any.ht.or": ("ht", "crs_any", "ht_high"),
    "tox.late_icaht_ge3.simpleht.or": ("simple_ht", "late_icaht_severe", "simple_ht_high"),
}
for id_, (population, flag, group) in ODDS_RATIOS.items():
    with est(id_, f"OR of {outcome(flag)}, {group_name(group, 1)} vs low") as e:
        bo.odds_ratio(e, population, flag, group)


# -- The HT score adjusted by the linear predictor of the adjustment set ----------------------------


with est("tox.late_icaht_ge3.ht.or_adjusted", "Adjusted OR of late ICAHT grade >= 3, HT high vs low") as e:
    fit, note = bo.adjusted("ht", "ht_high", "late_icaht_severe")
    e.ratio(
        fit,
        "ht_high",
        pops["ht"][["ht_high", "late_icaht_severe"]].dropna(),
        "late_icaht_severe",
        note,
    )


# -- Discrimination of severe late ICAHT by HT high (HT-evaluable patients) -------------------------
def severe_late_icaht():
    """Severe late ICAHT and HT high, and the numbers of cases, controls, high and low."""
    ht = script.need(pops["ht"], "late_icaht_severe", "ht_high", population="ht")
    y, x = ht["late_icaht_severe"], ht["ht_high"]
    both = y.notna() & x.notna()
    counts = {
        "cases": int((y[both] == 1).sum()),
        "controls": int((y[both] == 0).sum()),
        "high": int((x[both] == 1).sum()),
        "low": int((x[both] == 0).sum()),
    }
    return y, x, counts


def why(stat: str, value: float, counts: dict) -> str:
    """Why a metric is not estimable, in the paper's words."""
    if stat == "sensitivity" or (np.isnan(value) and not counts["cases"]):
        return "no late ICAHT grade >= 3 among the HT-evaluable patients"
    if stat == "specificity" or (np.isnan(value) and not counts["controls"]):
        return "late ICAHT grade >= 3 in every HT-evaluable patient"
    if np.isnan(value) and not counts["high"]:
        return "nobody HT high"
    if np.isnan(value) and not counts["low"]:
        return "nobody HT low"
    if np.isinf(value):
        return f"{stat} infinite (specificity {'100' if stat == 'lr_pos' else '0'}%)"
    return f"{stat} undefined ({value})"


@cache
def metrics():
    y, x, _counts = severe_late_icaht()
    return diagnostic_metrics(y, x)  # exact CIs of sensitivity and specificity, log CIs of LRs (epiR)


METRICS = {  # statistic -> (scale, label)
    "sensitivity": (100, "Sensitivity of HT high for late ICAHT grade >= 3, %"),
    "specificity": (100, "Specificity of HT high for late ICAHT grade >= 3, %"),
    "lr_pos": (1, "Positive likelihood ratio of HT high for late ICAHT grade >= 3"),
    "lr_neg": (1, "Negative likelihood ratio of HT high for late ICAHT grade >= 3"),
}
for stat, (scale, label) in METRICS.items():
    with est(f"tox.late_icaht_ge3.ht.{stat}", label) as e:
        _y, _x, counts = severe_late_icaht()
        needed = {"sensitivity": ("cases",), "specificity": ("controls",)}.get(stat, ("cases", "controls"))
        if not all(counts[k] for k in needed):
            raise script.NotEstimable(why(stat, np.nan, counts))
        r = metrics().summary.loc[stat]
        if not np.isfinite(r["estimate"]):
            raise script.NotEstimable(why(stat, r["estimate"], counts))
        e.set(scale * r["estimate"], (scale * r["ci_lower"], scale * r["ci_upper"]))


@cache
def roc_auc():
    """The AUC of HT high (0/1) for severe late ICAHT, with its DeLong CI."""
    y, x, counts = severe_late_icaht()
    if not (counts["cases"] and counts["controls"]):
        raise script.NotEstimable(why("auc", np.nan, counts))
    return auc(y, x)


with est("tox.late_icaht_ge3.ht.auc", "AUC of HT high for late ICAHT grade >= 3 (x 100)") as e:
    a = roc_auc()
    e.set(
        100 * a.auc,
        (100 * a.ci_lower, 100 * a.ci_upper),
        n=a.n_cases + a.n_controls,
        note="AUC x 100 of HT high (0/1), DeLong CI",
    )

# -- Supplementary Table 2: the adjusted logistic models of the HT score ----------------------------
with out.table("supp_table2") as save:  # regression_table(first_stage=True) of the lp_adjusted fits
    save(
        bo.adjusted_table(
            "ht", "ht_high", ("late_icaht_severe", "crr_day90", "orr_day90"), "Supplementary Table 2"
        )
    )

# -- The ROC curve of HT high for severe late ICAHT -------------------------------------------------
with out.figure("figure_roc_ht_late_icaht") as save:
    y, x, _counts = severe_late_icaht()
    known = y.notna() & x.notna()
    save(figures.roc_plot(y[known], x[known], auc=roc_auc(), note=out.note))

est.write(out)
