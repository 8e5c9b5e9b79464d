"""CART-SIE: survival by HT and simpleHT (Figure 1; Supplementary Figure 2; Supplementary Tables 4
and 6).

"Overall survival (OS), progression-free survival (PFS) and duration of response (DOR) were analysed
using Kaplan-Meier curves and Cox models." "In order to evaluate the significance of HEMATOTOX
independently from other risk factors, its effect on each outcome was adjusted by a linear predictor
resulting from a model which included stage, bulky disease, histology, disease status, IPI, and
bridging therapy." (CART-SIE, Methods.)

Kaplan-Meier estimates with log CIs (R's ``survfit`` default), medians with survfit's CI, the median
follow-up by the reverse Kaplan-Meier method, log-rank tests (``survdiff``), Cox models with Efron
ties (``coxph``), the adjusted hazard ratios by ``cartsie.adjust.lp_adjusted``. Times in months since
infusion (DOR: since the first response); "1-year" estimates at 12 months. The "global" population
is the simpleHT-evaluable one (560 patients in the paper); each score is analysed in its own
population (HT: 389). DOR is of the best overall response (patients whose best response is CR or
PR); data without best_response give it among day-90 responders, and the DOR rows' note says so.

Run: python analyses/05_survival.py [--data PATIENTS --labs LABS | --example] [--out DIR] [--seed N]

Without --data the built-in synthetic cohort is analysed. Outputs: estimates.csv (surv.*),
tables/supp_table4.*, tables/supp_table6.*, figures/figure1{a,b,c,d}_*.{png,pdf},
figures/supp_figure2_{os,pfs,dor}.{png,pdf}, figures/supp_table{4,6}_forest.{png,pdf}.
"""

from functools import cache

from cartsie import figures, study
from cartsie.adjust import lp_adjusted
from cartsie.cohort.endpoints import DOR_BASES, dor_basis
from cartsie.errors import CartsieError
from cartsie.study import script
from cartsie.study.definitions import (
    COVARIATES,
    ENDPOINTS,
    GROUP_LABELS,
    LEVELS,
    POPULATIONS,
    SCORES,
    group_name,
    risk_groups,
)
from cartsie.study.estimate import reason
from cartsie.survival import cox, kaplan_meier, logrank, median_followup
from cartsie.tables import regression_table

cohort, out = script.setup("survival", __doc__)
est = script.Estimates()
LANDMARK = 12.0  # months: the "1-year" estimates


def known(population: str, endpoint: str):
    """The patients of ``population`` with ``endpoint`` known (time and event)."""
    pop = script.need(
        study.population(cohort, population), f"{endpoint}_months", f"{endpoint}_event", population=population
    )
    rows = pop[pop[f"{endpoint}_months"].notna() & pop[f"{endpoint}_event"].notna()]
    if not len(rows):
        where = f"the {POPULATIONS[population]} population"
        if endpoint == "dor":
            raise script.NotEstimable(f"no responder in {where}, so no duration of response")
        raise script.NotEstimable(f"no patient with known {ENDPOINTS[endpoint]} in {where}")
    return rows


def tested(key: str, endpoint: str):
    """The patients a comparison of the score's groups rests on: both groups, some events."""
    population, flag, _group, _label = SCORES[key]
    data = script.need(known(population, endpoint), flag)
    script.both_groups(data, flag)
    script.events(data, f"{endpoint}_event", population)
    return data


@cache
def km_overall(endpoint: str):
    """Kaplan-Meier of ``endpoint`` in the global population."""
    return kaplan_meier(known("simple_ht", endpoint), f"{endpoint}_months", f"{endpoint}_event")


@cache
def km_by(key: str, endpoint: str):
    """Kaplan-Meier of ``endpoint`` by the score ``key``, groups "low" and "high"."""
    population, flag, _group, _label = SCORES[key]
    data = script.need(known(population, endpoint), flag)
    data = data.assign(risk=risk_groups(data[flag]))  # "low" before "high" in curves and legends
    return kaplan_meier(data, f"{endpoint}_months", f"{endpoint}_event", group="risk")


@cache
def logrank_test(key: str, endpoint: str):
    """Log-rank test of ``endpoint`` between the low and high groups of the score ``key``."""
    flag = SCORES[key][1]
    return logrank(tested(key, endpoint), f"{endpoint}_months", f"{endpoint}_event", flag)


@cache
def cox_fit(key: str, endpoint: str):
    """Univariable Cox model of ``endpoint`` on the score ``key`` (high vs low), Efron ties."""
    flag = SCORES[key][1]
    return cox(tested(key, endpoint), f"{endpoint}_months", f"{endpoint}_event", [flag])


@cache
def adjusted(population: str, score: str, endpoint: str):
    """The score's hazard ratio adjusted by the linear predictor of stage, bulky disease, histology,
    disease status, IPI and bridging therapy (those in the data), and its note."""
    pop = study.population(cohort, population)
    time, event = f"{endpoint}_months", f"{endpoint}_event"
    label = f"adjusted Cox model for {ENDPOINTS[endpoint]}"
    adjust_for, reference, note = script.adjustment(pop, population, score, [time, event], label)
    fit = lp_adjusted(pop, score, adjust_for, time=time, event=event, model="cox", reference=reference)
    return fit, note


#: whom the DOR is measured in: best-response responders, or day-90 responders (best_response absent)
DOR_POPULATION = DOR_BASES[dor_basis(cohort.table.columns)]


def at_landmark(e, km, group: str, n: int, endpoint: str, note: str = "") -> None:
    """The Kaplan-Meier estimate (%) of ``group`` at 12 months, with its CI."""
    r = km.at([LANDMARK]).set_index("group").loc[group]
    last = float(km.curves.loc[km.curves["group"] == group, "time"].max())
    if last < LANDMARK and r["survival"] > 0:  # the curve stops before the landmark
        raise script.NotEstimable(
            f"no {ENDPOINTS[endpoint]} follow-up to {LANDMARK:g} months (the last is at {last:.1f} months)"
        )
    e.set(100 * r["survival"], (100 * r["ci_lower"], 100 * r["ci_upper"]), n=n, note=note)


# -- Median follow-up (reverse Kaplan-Meier) --------------------------------------------------------
with est("surv.followup.median", "Median follow-up, months (reverse Kaplan-Meier)") as e:
    fu = median_followup(known("simple_ht", "os"), "os_months", "os_event")
    e.set(
        fu.median,
        (fu.ci_lower, fu.ci_upper),
        n=len(study.population(cohort, "simple_ht")),
        note=script.not_reached(fu.median),
    )

# -- OS, PFS and DOR of the global population: 1-year estimates and medians -------------------------
for endpoint in ("os", "pfs", "dor"):
    who = DOR_POPULATION if endpoint == "dor" else ""
    with est(f"surv.{endpoint}.1y.global", f"1-year {ENDPOINTS[endpoint]}, %") as e:
        at_landmark(e, km_overall(endpoint), "all", km_overall(endpoint).n, endpoint, note=who)
    with est(f"surv.{endpoint}.median.global", f"Median {ENDPOINTS[endpoint]}, months") as e:
        med = km_overall(endpoint).median().iloc[0]
        e.set(
            med["median"],
            (med["ci_lower"], med["ci_upper"]),
            n=km_overall(endpoint).n,
            note="; ".join(x for x in (script.not_reached(med["median"]), who) if x),
        )

# -- OS and PFS by each score: 1-year estimates, log-rank test, hazard ratios crude and adjusted ----
for key, (population, flag, _group, label) in SCORES.items():
    for endpoint in ("os", "pfs"):
        name = ENDPOINTS[endpoint]
        for level, level_name in LEVELS:
            with est(
                f"surv.{endpoint}.1y.{key}.{level_name}", f"1-year {name}, {label} {level_name}, %"
            ) as e:
                pop = script.need(study.population(cohort, population), flag, population=population)
                script.nobody(pop, flag, level)
                km = km_by(key, endpoint)
                if level_name not in km.groups:
                    raise script.NotEstimable(f"no {group_name(flag, level)} patient with known {name}")
                at_landmark(e, km, level_name, int((pop[flag] == level).sum()), endpoint)
        with est(f"surv.{endpoint}.logrank.{key}", f"Log-rank test of {name} by {label}") as e:
            test = logrank_test(key, endpoint)
            e.set(float("nan"), p=test.p_value, n=test.n, note=f"chi-square {test.statistic:.2f}")
        with est(f"surv.{endpoint}.hr.{key}", f"HR of {name}, {label} high vs low (Cox)") as e:
            e.ratio(cox_fit(key, endpoint), flag, tested(key, endpoint), f"{endpoint}_event")
        with est(f"surv.{endpoint}.cox_adjusted.{key}", f"Adjusted HR of {name}, {label} high vs low") as e:
            fit, note = adjusted(population, flag, endpoint)
            used = study.population(cohort, population)[[flag, f"{endpoint}_event"]].dropna()
            e.ratio(fit, flag, used, f"{endpoint}_event", note)


# -- Supplementary Tables 4 (HT) and 6 (simpleHT): the adjusted Cox models --------------------------
@cache
def supplementary(population: str, score: str, title: str):
    """The adjusted Cox models of OS and PFS; a model the cohort cannot fit is left out."""
    fits, titles, skipped = [], [], []
    for endpoint in ("os", "pfs"):
        try:
            fits.append(adjusted(population, score, endpoint)[0])
            titles.append(ENDPOINTS[endpoint])
        except CartsieError as exc:
            skipped.append(f"{ENDPOINTS[endpoint]}: not estimable ({reason(exc)})")
    if not fits:
        raise script.NotEstimable("; ".join(skipped))
    return regression_table(*fits, labels=COVARIATES, titles=titles, title=title, first_stage=True)


SUPPLEMENTARY = {"supp_table4": ("ht", "ht_high"), "supp_table6": ("simple_ht", "simple_ht_high")}
for name, (population, score) in SUPPLEMENTARY.items():
    with out.table(name) as save:
        save(supplementary(population, score, f"Supplementary Table {name[-1]}"))


# -- Figure 1: OS and PFS by HT (A, B) and by simpleHT (C, D) ---------------------------------------
def xlabel(endpoint: str) -> str:
    return "Months since response" if endpoint == "dor" else "Months since infusion"


PANELS = {
    "figure1a_os_ht": ("ht", "os"),
    "figure1b_pfs_ht": ("ht", "pfs"),
    "figure1c_os_simpleht": ("simpleht", "os"),
    "figure1d_pfs_simpleht": ("simpleht", "pfs"),
}
for name, (key, endpoint) in PANELS.items():
    with out.figure(name) as save:
        km = km_by(key, endpoint)
        tested(key, endpoint)
        _population, flag, group, label = SCORES[key]
        fit = cox_fit(key, endpoint)
        hr = fit.summary.loc[flag]
        save(
            figures.km_plot(
                km,
                labels=GROUP_LABELS[group],
                xlabel=xlabel(endpoint),
                landmark=LANDMARK,
                p_value=logrank_test(key, endpoint).p_value,
                hr=None if flag in fit.infinite_terms else (hr["hr"], hr["ci_lower"], hr["ci_upper"]),
                hr_label=f"HR {label} high vs low",
                note=out.note,
            )
        )

# -- Supplementary Figure 2: OS, PFS and DOR of the global population -------------------------------
for endpoint in ("os", "pfs", "dor"):
    with out.figure(f"supp_figure2_{endpoint}") as save:
        save(
            figures.km_plot(
                km_overall(endpoint),
                labels={"all": "Responders" if endpoint == "dor" else "All patients"},
                xlabel=xlabel(endpoint),
                landmark=LANDMARK,
                note=out.note,
            )
        )

# -- Forest plots of Supplementary Tables 4 and 6 ---------------------------------------------------
for name, (population, score) in SUPPLEMENTARY.items():
    with out.figure(f"{name}_forest") as save:
        table = supplementary(population, score, f"Supplementary Table {name[-1]}")
        save(figures.forest_plot(table, note=out.note))

est.write(out)
