"""The cumulative incidences and Gray's tests of the competing-risk scripts (``analyses/06_nrm.py``,
``analyses/07_spm.py``), each fitted once; re-exported by :mod:`cartsie.study.script`."""

from __future__ import annotations

from functools import cache

import pandas as pd

from cartsie import study
from cartsie.competing import cumulative_incidence, gray_test
from cartsie.study import checks
from cartsie.study.definitions import LEVELS, POPULATIONS, group_name, outcome, risk_groups
from cartsie.study.estimate import NotEstimable


class CompetingRisks:
    """Aalen-Johansen cumulative incidences (:func:`cartsie.competing.cumulative_incidence`, cmprsk's
    ``cuminc``) and Gray's tests (:func:`cartsie.competing.gray_test`) of one cohort, each fitted
    once, and the checks that give a not-estimable row its reason.

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort
        The cohort the script analyses.
    """

    def __init__(self, cohort) -> None:
        self.cohort = cohort
        self.cif = cache(self._cif)
        self.gray = cache(self._gray)

    def followed(self, population: str, time: str, event: str, flag: str | None = None) -> pd.DataFrame:
        """Select the patients of ``population`` with the endpoint known (time and event).

        Parameters
        ----------
        population : str
            The analysis population (``"ht"``, ``"simple_ht"``).
        time, event : str
            The endpoint's columns.
        flag : str, optional
            A 0/1 risk-group column the analysis also needs.

        Returns
        -------
        DataFrame
            Those patients; NotEstimable when a column is absent or the population empty.
        """
        pop = checks.need(
            study.population(self.cohort, population),
            time,
            event,
            *([flag] if flag else []),
            population=population,
        )
        return pop[pop[time].notna() & pop[event].notna()]

    @staticmethod
    def with_groups(data: pd.DataFrame, flag: str | None) -> pd.DataFrame:
        """Add the risk groups of ``flag`` to ``data`` as a column "risk" ("low" before "high").

        Parameters
        ----------
        data : DataFrame
            The patients.
        flag : str or None
            The 0/1 risk-group column (None: ``data`` as it is).

        Returns
        -------
        DataFrame
            ``data`` with the column "risk".
        """
        return data if flag is None else data.assign(risk=risk_groups(data[flag]))

    def _cif(self, population: str, time: str, event: str, flag: str | None = None):
        """Cumulative incidence of ``event`` overall, or by the 0/1 ``flag`` (groups "low", "high")."""
        data = self.followed(population, time, event, flag)
        if flag is None:
            return cumulative_incidence(data, time, event)
        return cumulative_incidence(self.with_groups(data, flag), time, event, group="risk")

    def _gray(self, population: str, time: str, event: str, flag: str):
        """Gray's test of ``event`` (cause 1) between the low and high groups of ``flag``."""
        data = self.followed(population, time, event, flag)
        checks.both_groups(data, flag)
        checks.events(data, event, population)
        return gray_test(data, time, event, flag)

    def incidence_at(
        self, e, population: str, time: str, event: str, at: float, flag=None, level=None
    ) -> None:
        """Set ``e`` to the cumulative incidence (%) of cause 1 at ``at`` months, with cuminc's CI.

        Parameters
        ----------
        e : Guard
            The estimate being set (``with est(id, label) as e``).
        population : str
            The analysis population.
        time, event : str
            The endpoint's columns (event 1: the cause, 2: competing).
        at : float
            The time, in months.
        flag : str, optional
            A 0/1 risk-group column; with ``level``, the incidence in ``flag == level``.
        level : int, optional
            The group (0 low, 1 high).

        Notes
        -----
        0 without CI when no event of the cause occurred; NotEstimable when nobody of the group is
        followed to ``at``.
        """
        pop = study.population(self.cohort, population)
        data = self.followed(population, time, event, flag)
        if flag is not None:
            checks.nobody(pop, flag, level)
            data = data[data[flag] == level]
        where = f"{group_name(flag, level)} group" if flag else f"{POPULATIONS[population]} population"
        if not len(data):
            raise NotEstimable(f"no patient of the {where} with known {outcome(event)} follow-up")
        last = float(data[time].max())
        if last < at:
            raise NotEstimable(
                f"no follow-up to {at:g} months in the {where} (the last is at {last:.1f} months)"
            )
        n = len(pop) if flag is None else int((pop[flag] == level).sum())
        if not (pop[event] == 1).any():  # no event of the cause: incidence 0, without a CI
            e.set(0.0, n=n, note=f"no {outcome(event)} in the {where}: incidence 0, no CI")
            return
        r = self.cif(population, time, event, flag).at([at], cause=1).set_index("group")
        r = r.loc["all" if flag is None else dict(LEVELS)[level]]
        e.set(100 * r["estimate"], (100 * r["ci_lower"], 100 * r["ci_upper"]), n=n)
