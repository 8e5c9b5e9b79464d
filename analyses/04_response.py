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

from functools import cache

from cartsie import study
from cartsie.adjust import lp_adjusted
from cartsie.binary import logistic
from cartsie.errors import CartsieError
from cartsie.study import script
from cartsie.study.definitions import COVARIATES, LEVELS, RISK_GROUPS, SCORES, group_name, outcome
from cartsie.study.estimate import reason
from cartsie.tables import regression_table

cohort, out = script.setup("response", __doc__)
est = script.Estimates()

# The populations: the simpleHT-evaluable patients ("global", 560 in the paper) and the
# HT-evaluable ones (389); each score is analysed in its own.
pops = {"simple_ht": study.population(cohort, "simple_ht"), "ht": study.population(cohort, "ht")}
RESPONSES = {  # id stem -> (0/1 column, name)
    "orr": ("orr_day90", "Overall response at day 90"),
    "crr": ("crr_day90", "Complete response at day 90"),
}


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def rate(e, population: str, flag: str, group: str | None = None, level: int | None = None) -> None:
    """Percentage of ``flag`` = 1 in the population (or in its ``group == level``), exact 95% CI."""
    pop = script.need(pops[population], *([group] if group else []), flag, population=population)
    if group is None:
        pct, n, ci = script.percent(pop[flag], outcome(flag))
    else:
        script.nobody(pop, group, level)
        what = f"{outcome(flag)} in the {group_name(group, level)} group"
        pct, n, ci = script.percent(pop.loc[pop[group] == level, flag], what)
    e.set(pct, ci, n=n)


def odds_ratio(e, population: str, flag: str, group: str) -> None:
    """Univariable logistic model of ``flag`` on the 0/1 ``group`` (Wald CI, as R's glm)."""
    pop = script.need(pops[population], flag, group, population=population)
    data = pop[[flag, group]].astype(float)
    used = data.dropna()
    note = script.left_out(pop, [flag, group], f"logistic model of {outcome(flag)} by {RISK_GROUPS[group]}")
    script.both_groups(used, group)
    script.outcome_present(used, flag, population)
    fit = logistic(data, flag, [group])
    e.ratio(fit, group, used, flag, note=note)


@cache
def adjusted(population: str, score: str, flag: str, label: str):
    """The score's odds ratio adjusted by the linear predictor of stage, bulky disease, histology,
    disease status, IPI and bridging therapy (those in the data), and its note."""
    pop = pops[population]
    adjust_for, reference, note = script.adjustment(pop, population, score, [flag], label)
    fit = lp_adjusted(pop, score, adjust_for, outcome=flag, model="logistic", reference=reference)
    return fit, note


# -- ORR and CRR at day 90, globally and by each score ----------------------------------------------
for stem, (flag, name) in RESPONSES.items():
    with est(f"resp.{stem}.global", f"{name}, %") as e:
        rate(e, "simple_ht", flag)
    for key, (population, group, _column, _label) in SCORES.items():
        for level, level_name in LEVELS:
            what = f"{capital(outcome(flag))}, {group_name(group, level)}, %"
            with est(f"resp.{stem}90.{key}.{level_name}", what) as e:
                rate(e, population, flag, group, level)

# -- Their odds ratios, high versus low: crude and adjusted -----------------------------------------
for stem in ("crr", "orr"):
    flag, name = RESPONSES[stem]
    for key, (population, group, _column, label) in SCORES.items():
        with est(f"resp.{stem}90.{key}.or", f"OR of {name.lower()}, {label} high vs low") as e:
            odds_ratio(e, population, flag, group)
        with est(
            f"resp.{stem}90.{key}.or_adjusted", f"Adjusted OR of {name.lower()}, {label} high vs low"
        ) as e:
            fit, note = adjusted(population, group, flag, f"adjusted logistic model of {name.lower()}")
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
with out.table("supp_table5") as save:
    fits, titles, skipped = [], [], []
    for flag in ("crr_day90", "orr_day90"):
        try:
            label = f"adjusted logistic model of {outcome(flag)}"
            fits.append(adjusted("simple_ht", "simple_ht_high", flag, label)[0])
            titles.append(capital(outcome(flag)))
        except CartsieError as exc:  # a model the cohort cannot fit is left out of the table
            skipped.append(f"{capital(outcome(flag))}: not estimable ({reason(exc)})")
    if not fits:
        raise script.NotEstimable("; ".join(skipped))
    save(
        regression_table(
            *fits, labels=COVARIATES, titles=titles, title="Supplementary Table 5", first_stage=True
        )
    )

est.write(out)
