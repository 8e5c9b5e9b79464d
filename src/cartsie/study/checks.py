"""The checks of the ``analyses/`` scripts: each raises
:class:`~cartsie.study.estimate.NotEstimable` with the reason the study's items give, in the paper's
words ("nobody HT high", "no labs table: ICAHT not graded", "no death in the HT-evaluable population"),
so that a script's not-estimable rows say what ``cartsie reproduce``'s say; and the exact binomial
percentages of every rate. :mod:`cartsie.study.script` re-exports them (``script.need(...)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cartsie.study import _checks as C

__all__ = [
    "adjustment",
    "both_groups",
    "events",
    "exact_ci",
    "left_out",
    "need",
    "nobody",
    "not_reached",
    "outcome_present",
    "percent",
]


def need(pop: pd.DataFrame, *columns: str, population: str | None = None) -> pd.DataFrame:
    """Check that ``pop`` has ``columns`` and, with ``population``, some patient.

    Parameters
    ----------
    pop : DataFrame
        Patients of an analysis population.
    *columns : str
        The columns the estimate needs.
    population : str, optional
        The population's name (:data:`~cartsie.study.definitions.POPULATIONS`): it must not be empty.

    Returns
    -------
    DataFrame
        ``pop``; NotEstimable otherwise ("no labs table: ICAHT not graded", "column 'spm_type' absent
        from the data", "no patient in the HT-evaluable population").
    """
    # A graded column is absent only without a labs table (with one every grade is made), so its
    # reason is told from the column alone, as the items tell it from the cohort.
    C.need(pop, columns, None)
    if population is not None:
        C.need_patients(pop, population)
    return pop


def nobody(pop: pd.DataFrame, group: str, level: int) -> None:
    """Check that some patient of ``pop`` has ``group == level`` (else NotEstimable "nobody HT high").

    Parameters
    ----------
    pop : DataFrame
        The patients.
    group : str
        A 0/1 column (``ht_high``).
    level : int
        The level (0 low, 1 high).
    """
    C.nobody(pop, group, level)


def both_groups(pop: pd.DataFrame, group: str) -> None:
    """Check that ``pop`` has patients in both levels of the 0/1 ``group`` (else NotEstimable).

    Parameters
    ----------
    pop : DataFrame
        The patients.
    group : str
        A 0/1 column.
    """
    C.both_groups(pop, group)


def events(pop: pd.DataFrame, event: str, population: str, code: int = 1) -> int:
    """Count the events ``code`` of ``event`` in ``pop`` (NotEstimable "no death in ..." for none).

    Parameters
    ----------
    pop : DataFrame
        The patients.
    event : str
        The event column.
    population : str
        The population's name, for the reason.
    code : int
        The event's code (2: the competing event).

    Returns
    -------
    int
        The number of events.
    """
    return C.events(pop, event, population, code)


def outcome_present(used: pd.DataFrame, column: str, population: str) -> None:
    """Check that a logistic model has patients with and without the outcome (else NotEstimable).

    Parameters
    ----------
    used : DataFrame
        The patients of the model, every column known.
    column : str
        The 0/1 outcome.
    population : str
        The population's name, for the reason.
    """
    C.outcome_present(used, column, population)


def percent(flag: pd.Series, what: str) -> tuple[float, int, tuple[float, float]]:
    """Return the percentage of 1s among the known values of ``flag``, with its exact 95% CI.

    Parameters
    ----------
    flag : Series
        A 0/1 column; missing values are left out.
    what : str
        What it counts, for the reason when no value is known ("no patient with known late ICAHT").

    Returns
    -------
    percent : float
        100 k / n.
    n : int
        The known values.
    ci : tuple of float
        The exact 95% CI (:func:`exact_ci`), in percent.
    """
    return C.percent(flag, what)


def exact_ci(k: int, n: int) -> tuple[float, float]:
    """Return the exact (Clopper-Pearson) 95% CI of ``k`` of ``n``, in percent: R's ``binom.test``.

    Parameters
    ----------
    k : int
        The patients with the characteristic.
    n : int
        The patients with it known.

    Returns
    -------
    tuple of float
        The limits, in percent: the beta quantiles ``qbeta(0.025, k, n - k + 1)`` and
        ``qbeta(0.975, k + 1, n - k)``.
    """
    return C.exact_ci(k, n)


def left_out(pop: pd.DataFrame, columns: Sequence[str], model: str) -> str:
    """Say who a model leaves out for missing values.

    Parameters
    ----------
    pop : DataFrame
        The population the model is fitted on.
    columns : sequence of str
        The model's columns.
    model : str
        The model's name ("logistic model of CRS by HT").

    Returns
    -------
    str
        "82 patients without ldh_above_uln left out of the adjusted Cox model for OS", or "".
    """
    return C.left_out(pop, columns, model)


def not_reached(value: float) -> str:
    """Return the note of a median: "not reached" when it is not finite, else "".

    Parameters
    ----------
    value : float
        The median.

    Returns
    -------
    str
        The note.
    """
    return "" if np.isfinite(value) else "not reached"


def adjustment(
    pop: pd.DataFrame, population: str, score: str, response: Sequence[str], label: str
) -> tuple[list[str], dict | None, str]:
    """Check that the score's effect can be adjusted as CART-SIE did, and say by what.

    "Its effect on each outcome was adjusted by a linear predictor resulting from a model which
    included stage, bulky disease, histology, disease status, IPI, and bridging therapy" (Methods):
    the covariates of :data:`~cartsie.study.definitions.ADJUST_FOR` that the data hold.

    Parameters
    ----------
    pop : DataFrame
        The population.
    population : str
        Its name.
    score : str
        The 0/1 score column (``ht_high``).
    response : sequence of str
        ``[outcome]`` of a logistic model, or ``[time, event]`` of a Cox model.
    label : str
        The model's name in the note ("adjusted Cox model for OS").

    Returns
    -------
    adjust_for : list of str
        The adjustment covariates in the data.
    reference : dict or None
        Reference levels of the categorical ones (histology: DLBCL) that some patient has.
    note : str
        What the model is adjusted for, what the data lack, and who it leaves out. NotEstimable when
        no covariate is in the data, a group is empty among the patients with all of them known, or
        the outcome (events) is absent.
    """
    return C.adjustment(pop, population, score, response, label)
