"""Non-relapse mortality (Results).

"A trend indicating higher nonrelapse mortality in patients with a SimpleHT-HIGH score was identified
but did not reach statistical significance (1-year NRM: SimpleHT-HIGH 11%, 95% CI = 4-21% versus
SimpleHT-LOW = 3%, 95% CI = 1.3-5.4%)." (CART-SIE, Results.)

NRM is death without prior progression, with progression as the competing event: the cumulative
incidence by Aalen-Johansen with cmprsk's ``cuminc`` variance and CI, Gray's test between groups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartsie import figures
from cartsie.competing import cumulative_incidence, gray_test
from cartsie.study import _checks as C
from cartsie.study._item import ItemResult, Output
from cartsie.study.definitions import (
    FLAG_GROUPS,
    GROUP_LABELS,
    LEVELS,
    POPULATIONS,
    SCORES,
    Study,
    group_name,
    outcome,
    risk_groups,
    study,
)
from cartsie.study.estimate import NotEstimable, estimate, row

TITLE = "Non-relapse mortality"
NRM = ("nrm_months", "nrm_event")


def _known(s: Study, population: str, time: str, event: str, flag: str | None) -> pd.DataFrame:
    pop = s.population(population)
    C.need(pop, [time, event, *([flag] if flag else [])], s)
    C.need_patients(pop, population)
    return pop[pop[time].notna() & pop[event].notna()]


def cif_fit(s: Study, population: str, time: str, event: str, flag: str | None = None):
    """Aalen-Johansen cumulative incidence of ``event`` (overall, or by the 0/1 ``flag``)."""

    def fit():
        data = _known(s, population, time, event, flag)
        if flag is None:
            return cumulative_incidence(data, time, event)
        return cumulative_incidence(data.assign(_group=risk_groups(data[flag])), time, event, group="_group")

    return s.cached(("cif", population, time, event, flag), fit)


def gray(s: Study, population: str, time: str, event: str, flag: str):
    """Gray's test of ``event`` (cause 1) between the low and high groups of ``flag``."""
    data = _known(s, population, time, event, flag)
    C.both_groups(data, flag)
    C.events(data, event, population)
    return s.cached(("gray", population, time, event, flag), lambda: gray_test(data, time, event, flag))


def incidence_at(s: Study, population: str, time: str, event: str, at: float, flag=None, level=None) -> dict:
    """Cumulative incidence (%) of code 1 of ``event`` at ``at`` months, overall or in ``flag ==
    level``, with cuminc's CI; 0 without CI when no event of the cause occurred; NotEstimable when
    nobody is followed to ``at`` in the group asked for."""
    pop = s.population(population)
    data = _known(s, population, time, event, flag)
    if flag is not None:
        C.nobody(pop, flag, level)
        data = data[data[flag] == level]
    where = group_name(flag, level) + " group" if flag else f"{POPULATIONS[population]} population"
    if not len(data):
        raise NotEstimable(f"no patient of the {where} with known {outcome(event)} follow-up")
    last = float(data[time].max())
    if last < at:
        raise NotEstimable(f"no follow-up to {at:g} months in the {where} (the last is at {last:.1f} months)")
    n = len(pop) if flag is None else int((pop[flag] == level).sum())
    if not (pop[event] == 1).any():
        return row(0.0, n=n, note=f"no {outcome(event)} in the {where}: incidence 0, no CI")
    fit = cif_fit(s, population, time, event, flag)
    r = fit.at([at], cause=1).set_index("group").loc["all" if flag is None else dict(LEVELS)[level]]
    return row(100 * r["estimate"], (100 * r["ci_lower"], 100 * r["ci_upper"]), n=n)


def _deaths(pop: pd.DataFrame) -> pd.Series:
    return pop["nrm_event"] == 1


def _infection(pop: pd.DataFrame) -> pd.Series:
    return _deaths(pop) & (pop["death_cause"] == "infection").fillna(False).astype(bool)


def _needed(s: Study, population: str, columns: list[str]) -> pd.DataFrame:
    pop = s.population(population)
    C.need(pop, columns, s)
    C.need_patients(pop, population)
    return pop


def analyse(cohort, note: str | None = None) -> ItemResult:
    """One-year NRM overall and by HT and simpleHT, NRM deaths and infectious deaths; the cumulative
    incidence figure by simpleHT with Gray's test.

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort or cartsie.study.definitions.Study
        The cohort.
    note : str, optional
        Footnote of the figures.

    Returns
    -------
    ItemResult
        Estimates ``nrm.*`` and the figure ``nrm_simpleht``.
    """
    s = study(cohort, note)
    rows = [
        estimate(
            "nrm.1y.global",
            "1-year NRM, % (HT-evaluable patients)",
            lambda: incidence_at(s, "ht", *NRM, 12.0),
        )
    ]
    for key, (population, flag, _group, label) in SCORES.items():
        for level, name in LEVELS:
            rows.append(
                estimate(
                    f"nrm.1y.{key}.{name}",
                    f"1-year NRM, {label} {name}, %",
                    lambda p=population, f=flag, lv=level: incidence_at(s, p, *NRM, 12.0, f, lv),
                )
            )
        rows.append(
            estimate(
                f"nrm.gray.{key}",
                f"Gray's test of NRM by {label}",
                lambda p=population, f=flag: _gray_row(gray(s, p, *NRM, f)),
            )
        )

    def infectious() -> dict:
        pop = _needed(s, "ht", ["nrm_event", "death_cause"])
        pct, n, ci = C.percent(_infection(pop).astype(int), "NRM")
        return row(pct, ci, n=n, note="infection deaths without prior progression, both HT groups")

    rows += [
        estimate(
            "nrm.deaths",
            "Non-relapse deaths (HT-evaluable patients)",
            lambda: (lambda pop: row(int(_deaths(pop).sum()), n=len(pop)))(_needed(s, "ht", ["nrm_event"])),
        ),
        estimate(
            "nrm.deaths_infection",
            "Non-relapse deaths from infection",
            lambda: (lambda pop: row(int(_infection(pop).sum()), n=int(_deaths(pop).sum())))(
                _needed(s, "ht", ["nrm_event", "death_cause"])
            ),
        ),
        estimate(
            "nrm.infectious_mortality.ht", "Infectious non-relapse mortality, % (HT-evaluable)", infectious
        ),
    ]
    figure = Output(
        "nrm_simpleht",
        "Cumulative incidence of non-relapse mortality by simpleHT (progression competing), with 95% "
        "CIs, numbers at risk and Gray's test.",
        lambda: cif_figure(s, "simple_ht", *NRM, "simple_ht_high"),
    )
    return ItemResult("nrm", rows, figures=(figure,))


def _gray_row(test) -> dict:
    return row(np.nan, p=test.p_value, n=test.n, note=f"chi-square {test.statistic:.2f}")


def cif_figure(s: Study, population: str, time: str, event: str, flag: str | None, landmark: float = 12.0):
    """The cumulative incidence of cause 1 (by ``flag``'s groups, with Gray's p) as a figure."""
    data = _known(s, population, time, event, flag)
    if flag is not None:
        C.both_groups(data, flag)
    C.events(data, event, population)
    fit = cif_fit(s, population, time, event, flag)
    labels = None if flag is None else GROUP_LABELS[FLAG_GROUPS[flag]]
    p = None if flag is None else gray(s, population, time, event, flag).p_value
    fitted = data if flag is None else data.assign(_group=risk_groups(data[flag]))
    return figures.cif_plot(
        fit,
        df=fitted,
        cause=1,
        labels=labels,
        p_value=p,
        landmark=landmark,
        xlabel="Months since infusion",
        note=s.note,
    )
