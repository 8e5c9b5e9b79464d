"""CART-SIE: response at day 90 (Results; Supplementary Tables 2, 3 and 5).

"Overall response rate (ORR) and complete response rate (CRR) were analysed as binary outcomes using
logistic regression." (Methods.) "Globally the overall response rates and complete response rates
were 55% and 47% respectively (Supplementary Table 3)." "Multivariable logistic models were fitted,
adjusting for baseline characteristics, and confirmed the independent effect of the score also in
predicting response rates (Supplementary Tables 2 and 5)." (Results.)

Rates are percentages with exact 95% CIs, of the simpleHT-evaluable ("global") population and of
each risk group; death or progression before day 90 counts as no response. Odds ratios of high versus
low come from univariable logistic models (Wald CIs, R's ``glm``), the adjusted ones from the
linear-predictor adjustment of ``cartsie.adjust.lp_adjusted``.

Run: python analyses/04_response.py [--data PATIENTS --labs LABS | --example] [--out DIR] [--seed N]

Without --data the built-in synthetic cohort is analysed. Outputs: estimates.csv (resp.*),
tables/supp_table3.* and tables/supp_table5.*.
"""

from cartsie.study import script
from cartsie.study.definitions import LEVELS, SCORES, group_name, outcome

cohort, out = script.setup("response", __doc__)
est = script.Estimates()

# The populations: the simpleHT-evaluable patients ("global", 560 in the paper) and the
# HT-evaluable ones (389); each score is analysed in its own.
# Their rates, logistic models and linear-predictor adjustments (each model fitted once):
bo = script.BinaryOutcomes(cohort)
pops = bo.pops
RESPONSES = {  # id stem -> (0/1 column, name)
    "orr": ("orr_day90", "Overall response at day 90"),
    "crr": ("crr_day90", "Complete response at day 90"),
}


# -- ORR and CRR at day 90, globally and by each score ----------------------------------------------
for stem, (flag, name) in RESPONSES.items():
    with est(f"resp.{stem}.global", f"{name}, %") as e:
        bo.rate(e, "simple_ht", flag)
    for key, (population, group, _column, _label) in SCORES.items():
        for level, level_name in LEVELS:
            what = f"{script.capital(outcome(flag))}, {group_name(group, level)}, %"
            with est(f"resp.{stem}90.{key}.{level_name}", what) as e:
                bo.rate(e, population, flag, group, level)

# -- Their odds ratios, high versus low: crude and adjusted -----------------------------------------
for stem in ("crr", "orr"):
    flag, name = RESPONSES[stem]
    for key, (population, group, _column, label) in SCORES.items():
        with est(f"resp.{stem}90.{key}.or", f"OR of {name.lower()}, {label} high vs low") as e:
            bo.odds_ratio(e, population, flag, group)
        with est(
            f"resp.{stem}90.{key}.or_adjusted", f"Adjusted OR of {name.lower()}, {label} high vs low"
        ) as e:
            fit, note = bo.adjusted(population, group, flag, f"adjusted logistic model of {name.lower()}")
            e.ratio(fit, group, pops[population][[group, flag]].dropna(), flag, note)

# -- Supplementary Table 3: the rates and crude odds ratios -----------------------------------------
with out.table("supp_table3") as save:
    layout = [
        (
            f"{name} by {label}",
            f"resp.{stem}.global",
            *(f"resp.{stem}90.{key}.{level_name}" for _level, level_name in LEVELS),
            f"resp.{stem}90.{key}.or",
        )
        for stem, (_flag, name) in RESPONSES.items()
        for key, (_population, _group, _column, label) in SCORES.items()
    ]
    notes = (
        "Rates: % (95% exact Clopper-Pearson CI) of the simpleHT-evaluable patients (All) and of each "
        "risk group; OR: univariable logistic model, high vs low, 95% Wald CI.",
        "Death or progression before day 90 counts as no response.",
    )
    save(script.rates_table(est, layout, "Supplementary Table 3", notes))

# -- Supplementary Table 5: the adjusted logistic models of simpleHT --------------------------------
with out.table("supp_table5") as save:  # regression_table(first_stage=True) of the lp_adjusted fits
    save(
        bo.adjusted_table("simple_ht", "simple_ht_high", ("crr_day90", "orr_day90"), "Supplementary Table 5")
    )

est.write(out)
