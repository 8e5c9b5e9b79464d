"""Prognostic performance of the HT score and of simpleHT for OS and PFS (beyond the paper).

CART-SIE compares survival between the low and high groups of each score; it does not report how
well the scores predict. This section does, on the same patients, and is labelled beyond the paper:
none of its numbers has a published counterpart, and none is compared with the paper.

For the HT score (0-7, HT-evaluable patients) and simpleHT (high vs low, simpleHT-evaluable
patients), with cartsie.prognostic.validate_score: Harrell's and Uno's concordance
(survival::concordance with timewt n and n/G2, Wald CIs from the infinitesimal jackknife standard
error), the IPCW cumulative/dynamic AUC(t) at 12 and 24 months (riskRegression::Score, metrics auc),
the IPCW Brier score and the index of prediction accuracy at 12 and 24 months (Score, metrics brier,
summary ipa), and at 12 months the calibration (observed by Kaplan-Meier over mean predicted risk,
O/E, and the calibration slope of log(-log(1 - risk)) in a Cox model censored at 12 months) and the
net benefit at threshold risks of 25% and 50% (dcurves::dca). The predicted risk is that of a Cox
model of the score on the same patients, 1 - exp(-H0(t) exp(b score)) with Efron's baseline hazard
(riskRegression::predictRisk of a coxph fit): apparent, in-sample performance, optimistic for new
patients.
"""

from __future__ import annotations

import numpy as np

from cartsie import figures
from cartsie.prognostic import validate_score
from cartsie.study import _checks as C
from cartsie.study._item import ItemResult, Output
from cartsie.study._supplementary import performance_table
from cartsie.study.definitions import (
    PERF_ENDPOINTS,
    PERF_NOTES,
    PERF_OPTIONS,
    PERF_SCORES,
    POPULATIONS,
    Study,
    perf_blocks,
    perf_endpoints,
    perf_ids,
    study,
)
from cartsie.study.estimate import NotEstimable, estimate, row

TITLE = "Score performance (beyond the paper)"


def performance(s: Study, key: str):
    """:func:`validate_score` of the score ``key`` in its population, on OS and PFS (fitted once)."""
    population, column, _name = PERF_SCORES[key]

    def fit():
        pop = s.population(population)
        C.need(pop, [column], s)
        C.need_patients(pop, population)
        return validate_score(pop, column, perf_endpoints(), **PERF_OPTIONS)

    return s.cached(("performance", key), fit)


def _key(endpoint: str, measure: str, t: float, pt: float) -> tuple:
    return (endpoint, measure, None if np.isnan(t) else round(t, 9), None if np.isnan(pt) else round(pt, 9))


def _rows(s: Study, key: str) -> dict[tuple, dict]:
    """The summary rows of :func:`performance` by (endpoint, measure, time, threshold), made once."""

    def index():
        tab = performance(s, key).summary
        return {
            _key(r["endpoint"], r["measure"], r["time"], r["threshold"]): r for r in tab.to_dict("records")
        }

    return s.cached(("performance", key, "rows"), index)


def value(s: Study, key: str, endpoint: str, measure: str, t: float, pt: float) -> dict:
    """One summary row of :func:`performance` as an estimate row."""
    r = _rows(s, key)[_key(PERF_ENDPOINTS[endpoint][0], measure, t, pt)]
    if r["reason"]:
        raise NotEstimable(r["reason"])
    note = PERF_NOTES["score" if measure in ("harrell_c", "uno_c", "auc") else "risk"]
    return row(r["estimate"], (r["ci_lower"], r["ci_upper"]), n=r["n"], note=note)


def analyse(cohort, note: str | None = None) -> ItemResult:
    """Concordance, AUC(t), Brier score and IPA, calibration and net benefit of HT and simpleHT for
    OS and PFS (beyond the paper).

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort or cartsie.study.definitions.Study
        The cohort.
    note : str, optional
        Footnote of the figure.

    Returns
    -------
    ItemResult
        Estimates ``perf.*`` (none has a published value), the table ``score_performance`` and the
        figure ``perf_calibration_os``.
    """
    s = study(cohort, note)
    rows = []
    for key in PERF_SCORES:
        for endpoint in PERF_ENDPOINTS:
            for id_, measure, t, pt, label in perf_ids(key, endpoint):
                compute = lambda k=key, e=endpoint, m=measure, t=t, p=pt: value(s, k, e, m, t, p)  # noqa: E731
                rows.append(estimate(id_, label, compute))
    by_id = {r["id"]: r for r in rows}
    tables = (
        Output(
            "score_performance",
            "Score performance (beyond the paper: not in CART-SIE). Discrimination, accuracy, calibration "
            "and net benefit of the HT score and simpleHT for OS and PFS; apparent (in-sample) performance.",
            lambda: performance_table(by_id, perf_blocks(), PERF_OPTIONS["times"]),
        ),
    )
    figs = (
        Output(
            "perf_calibration_os",
            f"Calibration of the HT score and simpleHT for OS at {PERF_OPTIONS['at']:g} months (beyond the "
            "paper; apparent, in-sample): observed risk (Kaplan-Meier, 95% CI) against the mean predicted "
            "risk of each score value, O/E and calibration slope.",
            lambda: calibration_figure(s),
        ),
    )
    return ItemResult("performance", rows, tables=tables, figures=figs)


def calibration_figure(s: Study):
    """The calibration of both scores for OS at the horizon, side by side."""
    cals, titles, labels = [], [], []
    for letter, (key, (population, _column, name)) in zip("AB", PERF_SCORES.items(), strict=False):
        res = performance(s, key)
        cal = res.calibration.get("OS", {}).get(PERF_OPTIONS["at"])
        if cal is None:
            reason = res.summary.query("endpoint == 'OS' and measure == 'oe_ratio'")["reason"].iloc[0]
            raise NotEstimable(f"{name}: {reason or 'calibration not estimable'}")
        cals.append(cal)
        titles.append(f"{letter}. {name} ({POPULATIONS[population]})")
        labels.append(f"{name}, apparent")
    return figures.calibration_plot(cals, label=labels, title=titles, unit="months", note=s.note)
