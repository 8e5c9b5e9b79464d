"""Survival by HT and simpleHT (Figure 1; Supplementary Figure 2; Supplementary Tables 4 and 6).

"Overall survival (OS), progression-free survival (PFS) and duration of response (DOR) were analysed
using Kaplan-Meier curves and Cox models." "Multivariable Cox models were fitted, adjusting for
baseline characteristics, and confirmed the independent effect of the HT score in predicting PFS and
OS (Supplementary Table 4)." (CART-SIE.)

Kaplan-Meier estimates with log CIs (R's ``survfit`` default), medians with survfit's CI, median
follow-up by the reverse Kaplan-Meier method, log-rank tests (``survdiff``), Cox models with Efron ties
(``coxph``); the adjusted hazard ratios by the linear-predictor adjustment of
:func:`cartsie.adjust.lp_adjusted`. Times in months since infusion (DOR: since the first response),
one-year estimates at 12 months. The "global" population is the simpleHT-evaluable one. DOR is the
duration of the best overall response: among patients whose best response (at any time) is CR or PR,
from the first response to progression or death; without a best_response column it is measured
among day-90 responders, and the DOR rows' note says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartsie import figures
from cartsie.cohort.endpoints import DOR_BASES, dor_basis
from cartsie.study import _checks as C
from cartsie.study import _models as M
from cartsie.study import _supplementary as supp
from cartsie.study._item import ItemResult, Output
from cartsie.study.definitions import (
    ENDPOINT_NAMES,
    ENDPOINTS,
    GROUP_LABELS,
    LEVELS,
    POPULATIONS,
    SCORES,
    Study,
    group_name,
    risk_groups,
    study,
)
from cartsie.study.estimate import NotEstimable, estimate, not_estimable, row
from cartsie.survival import cox, kaplan_meier, logrank, median_followup

TITLE = "Survival (Figure 1; Supplementary Tables 4 and 6)"
LANDMARK = 12.0

SUPP_TABLE4 = (supp.cox_block("OS", "ht", "ht_high", "os"), supp.cox_block("PFS", "ht", "ht_high", "pfs"))
SUPP_TABLE6 = (
    supp.cox_block("OS", "simple_ht", "simple_ht_high", "os"),
    supp.cox_block("PFS", "simple_ht", "simple_ht_high", "pfs"),
)


def known(s: Study, population: str, endpoint: str) -> pd.DataFrame:
    """Patients of ``population`` with the endpoint known; NotEstimable when there is none."""
    pop = s.population(population)
    C.need(pop, [f"{endpoint}_months", f"{endpoint}_event"], s)
    C.need_patients(pop, population)
    rows = pop[pop[f"{endpoint}_months"].notna() & pop[f"{endpoint}_event"].notna()]
    if not len(rows):
        where = f"the {POPULATIONS[population]} population"
        if endpoint == "dor":
            raise NotEstimable(f"no responder in {where}, so no duration of response")
        raise NotEstimable(f"no patient with known {ENDPOINTS[endpoint]} in {where}")
    return rows


def km_overall(s: Study, endpoint: str):
    """Kaplan-Meier of ``endpoint`` in the global (simpleHT-evaluable) population."""
    return s.cached(
        ("km", "simple_ht", endpoint),
        lambda: kaplan_meier(known(s, "simple_ht", endpoint), f"{endpoint}_months", f"{endpoint}_event"),
    )


def km_by(s: Study, key: str, endpoint: str):
    """Kaplan-Meier of ``endpoint`` by the score ``key`` ("ht", "simpleht"), groups "low"/"high"."""
    population, flag, _group, _label = SCORES[key]

    def fit():
        data = known(s, population, endpoint)
        C.need(data, [flag], s)
        data = data.assign(_group=risk_groups(data[flag]))
        return kaplan_meier(data, f"{endpoint}_months", f"{endpoint}_event", group="_group")

    return s.cached(("km", population, endpoint, flag), fit)


def dor_population(s: Study) -> str:
    """Who this cohort's DOR is measured in (:data:`cartsie.cohort.endpoints.DOR_BASES`): the
    best-response responders, or the day-90 responders when the data have no ``best_response``.

    Parameters
    ----------
    s : Study
        The cohort.

    Returns
    -------
    str
        E.g. "DOR among day-90 responders: best_response not given".
    """
    return DOR_BASES[dor_basis(s.cohort.table.columns)]


def _dor_noted(s: Study, compute):
    """``compute()``'s row with the DOR population in its note."""

    def noted() -> dict:
        r = compute()
        return {**r, "note": "; ".join(x for x in (r["note"], dor_population(s)) if x)}

    return noted


def _landmark(km, label: str, n: int, endpoint: str) -> dict:
    r = km.at([LANDMARK]).set_index("group").loc[label]
    curve = km.curves[km.curves["group"] == label]
    last = float(curve["time"].max())
    if last < LANDMARK and r["survival"] > 0:
        raise NotEstimable(
            f"no {ENDPOINTS[endpoint]} follow-up to {LANDMARK:g} months (the last is at {last:.1f} months)"
        )
    return row(100 * r["survival"], (100 * r["ci_lower"], 100 * r["ci_upper"]), n=n)


def _group_landmark(s: Study, key: str, endpoint: str, level: int) -> dict:
    population, flag, _group, _label = SCORES[key]
    pop = s.population(population)
    C.need(pop, [flag], s)
    C.need_patients(pop, population)
    C.nobody(pop, flag, level)
    name = dict(LEVELS)[level]
    fit = km_by(s, key, endpoint)
    if name not in fit.groups:
        raise NotEstimable(f"no {group_name(flag, level)} patient with known {ENDPOINTS[endpoint]}")
    return _landmark(fit, name, int((pop[flag] == level).sum()), endpoint)


def _median(km) -> dict:
    med = km.median().iloc[0]
    note = "" if np.isfinite(med["median"]) else "not reached"
    return row(med["median"], (med["ci_lower"], med["ci_upper"]), n=km.n, note=note)


def _followup(s: Study) -> dict:
    fu = median_followup(known(s, "simple_ht", "os"), "os_months", "os_event")
    note = "" if np.isfinite(fu.median) else "not reached"
    return row(fu.median, (fu.ci_lower, fu.ci_upper), n=len(s.population("simple_ht")), note=note)


def _tested(s: Study, key: str, endpoint: str) -> pd.DataFrame:
    population, flag, _group, _label = SCORES[key]
    data = known(s, population, endpoint)
    C.need(data, [flag], s)
    C.both_groups(data, flag)
    C.events(data, f"{endpoint}_event", population)
    return data


def logrank_test(s: Study, key: str, endpoint: str):
    """Log-rank test of ``endpoint`` between the low and high groups of the score ``key``."""
    population, flag, _group, _label = SCORES[key]
    data = _tested(s, key, endpoint)
    return s.cached(
        ("logrank", population, endpoint, flag),
        lambda: logrank(data, f"{endpoint}_months", f"{endpoint}_event", flag),
    )


def _logrank_row(s: Study, key: str, endpoint: str) -> dict:
    test = logrank_test(s, key, endpoint)
    return row(np.nan, p=test.p_value, n=test.n, note=f"chi-square {test.statistic:.2f}")


def cox_fit(s: Study, key: str, endpoint: str):
    """Univariable Cox model of ``endpoint`` on the score ``key`` (high vs low), Efron ties."""
    population, flag, _group, _label = SCORES[key]
    data = _tested(s, key, endpoint)
    return s.cached(
        ("cox", population, endpoint, flag),
        lambda: cox(data, f"{endpoint}_months", f"{endpoint}_event", [flag]),
    )


def _hr_row(s: Study, key: str, endpoint: str) -> dict:
    flag = SCORES[key][1]
    fit = cox_fit(s, key, endpoint)
    r = fit.summary.loc[flag]
    if flag in fit.infinite_terms:
        data = _tested(s, key, endpoint)
        reason = C.infinite_reason("HR", r["coef"], data, flag, data[f"{endpoint}_event"] == 1)
        return not_estimable(reason, value=r["hr"], n=fit.n)
    return row(r["hr"], (r["ci_lower"], r["ci_upper"]), p=r["p_value"], n=fit.n)


def analyse(cohort, note: str | None = None) -> ItemResult:
    """Follow-up, one-year OS/PFS/DOR and medians, by HT and simpleHT with log-rank tests and hazard
    ratios, crude and adjusted; Figure 1, Supplementary Figure 2 and Supplementary Tables 4 and 6.

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort or cartsie.study.definitions.Study
        The cohort.
    note : str, optional
        Footnote of the figures.

    Returns
    -------
    ItemResult
        Estimates ``surv.*``, the tables and the figures.
    """
    s = study(cohort, note)
    rows = [
        estimate(
            "surv.followup.median", "Median follow-up, months (reverse Kaplan-Meier)", lambda: _followup(s)
        )
    ]
    # The global cohort.
    for e in ("os", "pfs", "dor"):
        landmark = lambda e=e: _landmark(km_overall(s, e), "all", km_overall(s, e).n, e)  # noqa: E731
        median = lambda e=e: _median(km_overall(s, e))  # noqa: E731
        if e == "dor":
            landmark, median = _dor_noted(s, landmark), _dor_noted(s, median)
        rows += [
            estimate(f"surv.{e}.1y.global", f"1-year {ENDPOINTS[e]}, %", landmark),
            estimate(f"surv.{e}.median.global", f"Median {ENDPOINTS[e]}, months", median),
        ]
    # By the scores: one-year estimates, log-rank test, Cox hazard ratio crude and adjusted.
    for key, (population, flag, _group, label) in SCORES.items():
        for e in ("os", "pfs"):
            for level, name in LEVELS:
                rows.append(
                    estimate(
                        f"surv.{e}.1y.{key}.{name}",
                        f"1-year {ENDPOINTS[e]}, {label} {name}, %",
                        lambda k=key, e=e, lv=level: _group_landmark(s, k, e, lv),
                    )
                )
            rows.append(
                estimate(
                    f"surv.{e}.logrank.{key}",
                    f"Log-rank test of {ENDPOINTS[e]} by {label}",
                    lambda k=key, e=e: _logrank_row(s, k, e),
                )
            )
            rows.append(
                estimate(
                    f"surv.{e}.hr.{key}",
                    f"HR of {ENDPOINTS[e]}, {label} high vs low (Cox)",
                    lambda k=key, e=e: _hr_row(s, k, e),
                )
            )
            rows.append(
                estimate(
                    f"surv.{e}.cox_adjusted.{key}",
                    f"Adjusted HR of {ENDPOINTS[e]}, {label} high vs low",
                    lambda p=population, f=flag, e=e: M.adjusted(
                        s,
                        p,
                        f,
                        "hr",
                        f"adjusted Cox model for {ENDPOINTS[e]}",
                        time=f"{e}_months",
                        event=f"{e}_event",
                        model="cox",
                    ),
                )
            )
    tables = (
        Output(
            "supp_table4",
            "Supplementary Table 4. Cox models of OS and PFS by the HT score, adjusted by the linear "
            "predictor of stage, bulky disease, histology, disease status, IPI and bridging therapy "
            "(HT-evaluable patients).",
            lambda: supp.table(s, SUPP_TABLE4, "Supplementary Table 4"),
        ),
        Output(
            "supp_table6",
            "Supplementary Table 6. Cox models of OS and PFS by simpleHT, adjusted as in Supplementary "
            "Table 4 (simpleHT-evaluable patients).",
            lambda: supp.table(s, SUPP_TABLE6, "Supplementary Table 6"),
        ),
    )
    return ItemResult("survival", rows, tables=tables, figures=_figures(s))


def _km_figure(s: Study, key: str | None, endpoint: str):
    if key is None:
        km = km_overall(s, endpoint)
        labels = {"all": "Responders" if endpoint == "dor" else "All patients"}
        return figures.km_plot(km, labels=labels, xlabel=_xlabel(endpoint), landmark=LANDMARK, note=s.note)
    km = km_by(s, key, endpoint)
    _tested(s, key, endpoint)
    flag, group = SCORES[key][1], SCORES[key][2]
    fit = cox_fit(s, key, endpoint)
    hr = fit.summary.loc[flag]
    hr_ci = None if flag in fit.infinite_terms else (hr["hr"], hr["ci_lower"], hr["ci_upper"])
    return figures.km_plot(
        km,
        labels=GROUP_LABELS[group],
        xlabel=_xlabel(endpoint),
        landmark=LANDMARK,
        p_value=logrank_test(s, key, endpoint).p_value,
        hr=hr_ci,
        hr_label=f"HR {SCORES[key][3]} high vs low",
        note=s.note,
    )


def _km_maker(s: Study, key: str | None, endpoint: str):
    return lambda: _km_figure(s, key, endpoint)


def _forest_maker(s: Study, blocks, table: str):
    return lambda: figures.forest_plot(supp.table(s, blocks, table), note=s.note)


def _xlabel(endpoint: str) -> str:
    return "Months since response" if endpoint == "dor" else "Months since infusion"


def _figures(s: Study) -> tuple[Output, ...]:
    panels = (
        ("figure1a_os_ht", "ht", "os", "A"),
        ("figure1b_pfs_ht", "ht", "pfs", "B"),
        ("figure1c_os_simpleht", "simpleht", "os", "C"),
        ("figure1d_pfs_simpleht", "simpleht", "pfs", "D"),
    )
    out = [
        Output(
            name,
            f"Figure 1{panel}. {ENDPOINT_NAMES[e]} by {SCORES[k][3]} ({POPULATIONS[SCORES[k][0]]} patients): "
            "Kaplan-Meier estimates with 95% CIs, numbers at risk, 1-year estimates, log-rank p and the "
            "Cox hazard ratio of high versus low.",
            _km_maker(s, k, e),
        )
        for name, k, e, panel in panels
    ]
    out += [
        Output(
            f"supp_figure2_{e}",
            f"Supplementary Figure 2. {ENDPOINT_NAMES[e]} of the simpleHT-evaluable patients"
            + (f" ({dor_population(s)})" if e == "dor" else "")
            + ", Kaplan-Meier estimate with 95% CI.",
            _km_maker(s, None, e),
        )
        for e in ("os", "pfs", "dor")
    ]
    for name, blocks, table in (
        ("supp_table4_forest", SUPP_TABLE4, "Supplementary Table 4"),
        ("supp_table6_forest", SUPP_TABLE6, "Supplementary Table 6"),
    ):
        out.append(
            Output(
                name,
                f"Forest plot of {table}: adjusted hazard ratios with 95% CIs.",
                _forest_maker(s, blocks, table),
            )
        )
    return tuple(out)
