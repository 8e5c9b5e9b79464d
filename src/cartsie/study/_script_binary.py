"""The rates and logistic models of the binary-outcome scripts (``analyses/03_toxicity.py``,
``analyses/04_response.py``), each model fitted once; re-exported by :mod:`cartsie.study.script`."""

from __future__ import annotations

from functools import cache

from cartsie import study
from cartsie.adjust import lp_adjusted
from cartsie.binary import logistic
from cartsie.errors import CartsieError
from cartsie.study import _checks as C
from cartsie.study import checks
from cartsie.study.definitions import COVARIATES, RISK_GROUPS, group_name, outcome
from cartsie.study.estimate import NotEstimable, reason
from cartsie.tables import regression_table


def capital(text: str) -> str:
    """Return ``text`` with its first letter in capitals ("late ICAHT" -> "Late ICAHT").

    Parameters
    ----------
    text : str
        The text.

    Returns
    -------
    str
        The text, capitalised.
    """
    return text[:1].upper() + text[1:]


class BinaryOutcomes:
    """Rates with exact CIs, univariable logistic models (:func:`cartsie.binary.logistic`, R's
    ``glm``, Wald CIs) and the linear-predictor adjustment (:func:`cartsie.adjust.lp_adjusted`) of
    one cohort's 0/1 outcomes, each model fitted once, with the checks that give a not-estimable
    row its reason.

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort
        The cohort the script analyses.
    """

    def __init__(self, cohort) -> None:
        self.pops = {name: study.population(cohort, name) for name in ("simple_ht", "ht")}
        self._adjusted = cache(self._fit_adjusted)

    def rate(self, e, population: str, flag: str, group: str | None = None, level: int | None = None) -> None:
        """Set ``e`` to the percentage of ``flag`` = 1 in the population (or its ``group == level``).

        Parameters
        ----------
        e : Guard
            The estimate being set.
        population : str
            ``"simple_ht"`` or ``"ht"``.
        flag : str
            The 0/1 outcome.
        group : str, optional
            A 0/1 risk-group column; with ``level``, the rate in ``group == level``.
        level : int, optional
            The group (0 low, 1 high).
        """
        pop = checks.need(self.pops[population], *([group] if group else []), flag, population=population)
        if group is None:
            pct, n, ci = checks.percent(pop[flag], outcome(flag))
        else:
            assert level is not None, "a risk group needs its level"
            checks.nobody(pop, group, level)
            what = f"{outcome(flag)} in the {group_name(group, level)} group"
            pct, n, ci = checks.percent(pop.loc[pop[group] == level, flag], what)
        e.set(pct, ci, n=n)

    def odds_ratio(self, e, population: str, flag: str, group: str) -> None:
        """Set ``e`` to the odds ratio of ``flag`` for ``group`` high vs low (univariable logistic).

        Parameters
        ----------
        e : Guard
            The estimate being set.
        population : str
            ``"simple_ht"`` or ``"ht"``.
        flag : str
            The 0/1 outcome.
        group : str
            The 0/1 risk group.
        """
        pop = checks.need(self.pops[population], flag, group, population=population)
        data = pop[[flag, group]].astype(float)
        used = data.dropna()
        note = checks.left_out(
            pop, [flag, group], f"logistic model of {outcome(flag)} by {RISK_GROUPS[group]}"
        )
        checks.both_groups(used, group)
        checks.outcome_present(used, flag, population)
        e.ratio(logistic(data, flag, [group]), group, used, flag, note=note)

    def _fit_adjusted(self, population: str, score: str, flag: str):
        pop = self.pops[population]
        adjust_for, reference, _note = C.adjustment(pop, population, score, [flag], "")
        return lp_adjusted(pop, score, adjust_for, outcome=flag, model="logistic", reference=reference)

    def adjusted(self, population: str, score: str, flag: str, label: str | None = None):
        """Fit the score's odds ratio adjusted by the linear predictor of stage, bulky disease,
        histology, disease status, IPI and bridging therapy (those in the data).

        Parameters
        ----------
        population : str
            ``"simple_ht"`` or ``"ht"``.
        score : str
            The 0/1 score (``ht_high``).
        flag : str
            The 0/1 outcome.
        label : str, optional
            The model's name in the note (default "adjusted logistic model of <outcome>").

        Returns
        -------
        fit : LpAdjusted
            The fit (made once per population, score and outcome).
        note : str
            What it is adjusted for, what the data lack, who it leaves out.
        """
        label = label or f"adjusted logistic model of {outcome(flag)}"
        _adjust, _reference, note = C.adjustment(self.pops[population], population, score, [flag], label)
        return self._adjusted(population, score, flag), note

    def adjusted_table(self, population: str, score: str, flags, title: str):
        """Make the supplementary table of the adjusted logistic models of ``flags``.

        Parameters
        ----------
        population : str
            ``"simple_ht"`` or ``"ht"``.
        score : str
            The 0/1 score.
        flags : sequence of str
            The outcomes, one block each; a model the cohort cannot fit is left out.
        title : str
            The table's title.

        Returns
        -------
        RegressionTable
            :func:`cartsie.tables.regression_table` with ``first_stage=True``; NotEstimable when no
            model can be fitted.
        """
        fits, titles, skipped = [], [], []
        for flag in flags:
            try:
                fits.append(self.adjusted(population, score, flag)[0])
                titles.append(capital(outcome(flag)))
            except CartsieError as exc:  # a model the cohort cannot fit is left out of the table
                skipped.append(f"{capital(outcome(flag))}: not estimable ({reason(exc)})")
        if not fits:
            raise NotEstimable("; ".join(skipped))
        return regression_table(*fits, labels=COVARIATES, titles=titles, title=title, first_stage=True)
