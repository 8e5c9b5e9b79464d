"""Time-dependent discrimination and accuracy of a prognostic score with IPCW, as
``riskRegression::Score``: the cumulative/dynamic AUC(t) (:func:`time_auc`, with paired comparisons of
scores) and the Brier score with its null model and the index of prediction accuracy (:func:`brier`).
The arithmetic is in :mod:`cartsie.prognostic._ipcw`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartsie._checks import complete_cases, describe_rows, numeric, time_event
from cartsie._dist import norm_sf
from cartsie._results import Result
from cartsie._survprep import z_value
from cartsie.errors import InputError
from cartsie.prognostic import _ipcw

__all__ = ["Brier", "TimeAUC", "brier", "time_auc"]

#: event codes accepted: 0 censored, 1 and 2 the two causes
CODES = (0, 1, 2)


@dataclass(frozen=True)
class _Data:
    prepared: _ipcw.Prepared
    frame: pd.DataFrame
    times: list[float]
    last_time: float
    events: int
    competing: int
    n_missing: int


def _as_list(value, what: str, func: str) -> list[str]:
    names = [value] if isinstance(value, str) else list(value) if isinstance(value, Sequence) else None
    if not names or not all(isinstance(v, str) for v in names):
        raise InputError(f"{func}(): {what} must be a column name or a list of column names; got {value!r}.")
    if len(set(names)) != len(names):
        raise InputError(f"{func}(): {what} names a column more than once ({names!r}).")
    return names


def _times(times, time: str, func: str) -> list[float]:
    values = np.atleast_1d(np.asarray(times, dtype=object))
    ok = len(values) > 0 and all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool) and np.isfinite(v)
        for v in values
    )
    if not ok or np.any(values.astype(float) < 0):
        raise InputError(
            f"{func}(): times must be one or more finite numbers >= 0 (in the unit of {time!r}); "
            f"got {times!r}."
        )
    return sorted(set(values.astype(float).tolist()))


def _prepare(df, time: str, event: str, columns: list[str], times, cause: int, func: str) -> _Data:
    if cause not in (1, 2) or isinstance(cause, bool):
        raise InputError(f"{func}(): cause must be 1 or 2 (the event code of interest); got {cause!r}.")
    frame, n_missing = complete_cases(df, [time, event, *columns], func)
    if len(frame) == 0:
        raise InputError(
            f"{func}(): no row has all of {', '.join(map(repr, [time, event, *columns]))} present "
            f"({n_missing} rows dropped for missing values)."
        )
    t, e = time_event(frame, time, event, func, codes=CODES)
    if not np.any(e == cause):
        raise InputError(
            f"{func}(): column {event!r} has no events of cause {cause} in the rows used "
            f"(codes found: {sorted(set(e.tolist()))}); AUC(t) and the Brier score need cases."
        )
    code = np.where(e == 0, _ipcw.CENSORED, np.where(e == cause, _ipcw.CASE, _ipcw.COMPETING))
    return _Data(
        _ipcw.prepare(t, code),
        frame,
        _times(times, time, func),
        float(t.max()),
        int((e == cause).sum()),
        int(((e != 0) & (e != cause)).sum()),
        n_missing,
    )


def _finite_column(frame: pd.DataFrame, column: str, func: str) -> np.ndarray:
    x = numeric(frame, column, func).to_numpy()
    if not np.all(np.isfinite(x)):
        raise InputError(
            f"{func}(): column {column!r} has infinite values at "
            f"{describe_rows(frame, ~np.isfinite(x))}; give finite numbers."
        )
    return x


def _beyond(t: float, last: float) -> str:
    return f"t = {t:g} is after the last follow-up time ({last:g}); riskRegression does not compute it"


def _wald(est: float, se: float, z: float, clip: bool) -> tuple[float, float]:
    lo, hi = est - z * se, est + z * se
    return (max(0.0, lo), min(1.0, hi)) if clip and not np.isnan(lo) else (lo, hi)


@dataclass(frozen=True, repr=False)
class TimeAUC(Result):
    """Cumulative/dynamic AUC(t) of one or more scores; see :func:`time_auc`.

    Parameters
    ----------
    table : DataFrame
        One row per score and time: score, time, auc, std_error, ci_lower, ci_upper, cases,
        controls, reason (empty when estimable).
    contrast_table : DataFrame
        One row per pair of scores and time (empty for one score): time, score, reference,
        difference (AUC of ``score`` minus AUC of ``reference``), std_error, ci_lower, ci_upper,
        p_value, reason.
    scores : tuple of str
        The score columns, in the order given.
    cause : int
        The event code of interest.
    n, events, competing : int
        Patients used, events of the cause, competing events.
    n_missing : int
        Rows dropped for a missing time, event or score.
    conf_level : float
        Level of the CIs.
    """

    table: pd.DataFrame
    contrast_table: pd.DataFrame
    scores: tuple[str, ...]
    cause: int
    n: int
    events: int
    competing: int
    n_missing: int
    conf_level: float = 0.95

    _title = "Time-dependent AUC (IPCW, cumulative/dynamic)"

    @property
    def summary(self) -> pd.DataFrame:
        """One row per score and time: score, time, auc, std_error, ci_lower, ci_upper, reason."""
        return self.table[["score", "time", "auc", "std_error", "ci_lower", "ci_upper", "reason"]].copy()

    @property
    def contrasts(self) -> pd.DataFrame:
        """Paired differences of AUC(t) between scores (riskRegression's ``contrasts``)."""
        return self.contrast_table.copy()

    def _tidy(self) -> pd.DataFrame:
        s = self.table
        return pd.DataFrame(
            {
                "term": [f"AUC({a}, t={t:g})" for a, t in zip(s["score"], s["time"], strict=True)],
                "estimate": s["auc"].to_numpy(),
                "std_error": s["std_error"].to_numpy(),
                "ci_lower": s["ci_lower"].to_numpy(),
                "ci_upper": s["ci_upper"].to_numpy(),
            }
        )

    def _glance(self) -> dict:
        return {"n": self.n, "events": self.events, "competing": self.competing, "n_missing": self.n_missing}


def time_auc(
    df: pd.DataFrame,
    time: str,
    event: str,
    score: str | Sequence[str],
    times: float | Sequence[float],
    *,
    cause: int = 1,
    conf_level: float = 0.95,
) -> TimeAUC:
    """Estimate the cumulative/dynamic AUC(t) of a score with inverse probability of censoring weights.

    AUC(t) is the probability that a patient with an event of ``cause`` by t (a case) has a
    higher score than a patient without one by t (a control), estimated as in Blanche, Dartigues &
    Jacqmin-Gadda (2013), ties on the score counting one half::

        AUC(t) = sum_i sum_j w_i w_j [1{s_i > s_j} + 1{s_i = s_j} / 2] / (sum_i w_i  sum_j w_j)

    over cases i (``T_i <= t``, cause) and controls j: patients still event-free after t
    (``T_j > t``, weight ``1 / G(t)``) and, with competing risks, patients with the competing event
    by t (weight ``1 / G(T_j-)``); cases are weighted ``1 / G(T_i-)``, patients censored by t get
    no weight. G is the Kaplan-Meier estimate of the censoring distribution.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    time : str
        Follow-up time column.
    event : str
        Event code column: 0 censored, 1 and 2 the causes (0/1 data: no competing risk).
    score : str or list of str
        Numeric score column(s); a **higher score means a higher risk** (as Score, which reads the
        marker as a predicted risk). Several columns give each its AUC(t) and the paired
        differences in ``.contrasts``.
    times : float or list of float
        Time points t (in the unit of ``time``); sorted and made unique, as Score does.
    cause : {1, 2}
        The event code of the cases; the other nonzero code is the competing event.
    conf_level : float
        Level of the Wald intervals.

    Returns
    -------
    TimeAUC
        ``.summary`` (score, time, auc, std_error, ci_lower, ci_upper, reason), ``.contrasts``
        (time, score, reference, difference, std_error, ci_lower, ci_upper, p_value, reason),
        ``.table`` (with the numbers of cases and controls), ``.tidy()``, ``.glance()``.

    Notes
    -----
    R (riskRegression 2022.11.28)::

        Score(list(s1, s2), formula = Hist(time, event) ~ 1, data = df, metrics = "auc",
              times = times, cause = cause, se.fit = TRUE, null.model = FALSE, conf.int = 0.95)

    with its censoring model (the default ``cens.model = "cox"`` becomes the marginal Kaplan-Meier
    for ``~ 1``, as ``cens.model = "km"``): prodlim's reverse Kaplan-Meier, where at tied times
    the events leave the risk set before the censorings, so G differs from ``survfit``'s reverse
    curve there; it is evaluated at ``T_i-`` for cases and competing events and at t for patients
    followed beyond t. The standard error is Score's default
    ``conservative = FALSE``: ``sd(IF) / sqrt(n)`` of the influence function that includes the
    term for the estimated censoring distribution (the Nelson-Aalen influence function of the
    censoring hazard), ``sd`` with the n - 1 denominator; the CI is Wald on the AUC scale,
    ``auc -/+ z se`` cut to [0, 1] (``pmax(0, .)``, ``pmin(1, .)``). A contrast is
    ``AUC(score) - AUC(reference)`` for each pair (reference = the earlier column),
    ``se = sd(IF_ref - IF_score) / sqrt(n)``, Wald CI (not cut) and two-sided normal p, as
    Score's ``contrasts``.

    Where we differ: a time after the last follow-up time, which Score drops with a message, is a
    row of NaN with its ``reason``; a time with no case or no control gives NaN, as Score. With
    ``cause = 2`` riskRegression 2022.11.28 returns a wrong standard error (its influence function
    takes code 1 for the cases whatever the cause); ours is that of the data with the codes
    swapped and ``cause = 1``. Above 46,340 patients riskRegression's standard errors are wrong
    (its C++ code computes ``n * n`` in a 32-bit integer, which overflows: 6% off at 47,000
    patients, 6-fold at 100,000; its AUC is right); ours are not affected. At the last follow-up
    time, when it is a censoring (G(t) = 0), the AUC may be estimable (competing events as
    controls) but the standard error is NaN, as Score's NA. Rows with a missing value in a column
    used are dropped (``n_missing``). Times are used as given (no ``timefix``, as prodlim). Each
    time point costs O(n) after one O(n log n) coding of times and scores.

    References
    ----------
    Blanche P, Dartigues J-F, Jacqmin-Gadda H. Estimating and comparing time-dependent areas under
    receiver operating characteristic curves for censored event times with competing risks.
    Stat Med 2013; 32: 5381-97.

    Examples
    --------
    >>> import pandas as pd
    >>> from cartsie.prognostic import time_auc
    >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9], "e": [1, 0, 1, 1, 0, 1, 0, 0],
    ...                   "ht": [5, 3, 6, 2, 1, 4, 0, 2]})
    >>> res = time_auc(d, "t", "e", "ht", times=[5])
    >>> res.summary[["time", "auc", "std_error", "ci_upper"]].round(4).to_dict("records")
    [{'time': 5.0, 'auc': 0.8688, 'std_error': 0.1359, 'ci_upper': 1.0}]

    The same numbers as ``Score(list(ht = d$ht), Hist(t, e) ~ 1, data = d, metrics = "auc",
    times = 5, null.model = FALSE)`` (AUC 0.86875, se 0.1359259, upper limit cut to 1).
    """
    func = "time_auc"
    z = z_value(conf_level, func)
    scores = _as_list(score, "score", func)
    data = _prepare(df, time, event, scores, times, cause, func)
    p = data.prepared
    rows, influences = [], {}
    for name in scores:
        x = _finite_column(data.frame, name, func)
        values, rank = np.unique(x, return_inverse=True)
        for t in data.times:
            if t > data.last_time:
                rows.append((name, t, np.nan, np.nan, np.nan, np.nan, 0, 0, _beyond(t, data.last_time)))
                continue
            at = _ipcw.auc_at(p, rank, len(values), t)
            se = np.nan if at.influence is None else _ipcw.std_error(at.influence)
            reason = at.reason or ("" if np.isfinite(se) else "standard error not estimable (G(t) = 0)")
            rows.append((name, t, at.auc, se, *_wald(at.auc, se, z, True), at.cases, at.controls, reason))
            influences[name, t] = at.influence
    table = pd.DataFrame(
        rows,
        columns=["score", "time", "auc", "std_error", "ci_lower", "ci_upper", "cases", "controls", "reason"],
    )
    return TimeAUC(
        table,
        _contrasts(table, influences, scores, data.times, z),
        tuple(scores),
        cause,
        p.n,
        data.events,
        data.competing,
        data.n_missing,
        conf_level,
    )


def _contrasts(table: pd.DataFrame, influences: dict, scores: list[str], times: list[float], z: float):
    auc = {(r.score, r.time): (r.auc, r.reason) for r in table.itertuples()}
    rows = []
    for i, ref in enumerate(scores):
        for other in scores[i + 1 :]:
            for t in times:
                (a_ref, why_ref), (a_oth, why_oth) = auc[ref, t], auc[other, t]
                diff = a_oth - a_ref
                if_ref, if_oth = influences.get((ref, t)), influences.get((other, t))
                if if_ref is None or if_oth is None:
                    rows.append((t, other, ref, diff, np.nan, np.nan, np.nan, np.nan, why_ref or why_oth))
                    continue
                se = _ipcw.std_error(if_ref - if_oth)
                with np.errstate(divide="ignore", invalid="ignore"):
                    p_value = float(2 * norm_sf(abs(diff) / se))
                rows.append((t, other, ref, diff, se, *_wald(diff, se, z, False), p_value, ""))
    cols = [
        "time",
        "score",
        "reference",
        "difference",
        "std_error",
        "ci_lower",
        "ci_upper",
        "p_value",
        "reason",
    ]
    return pd.DataFrame(rows, columns=cols)


@dataclass(frozen=True, repr=False)
class Brier(Result):
    """IPCW Brier score of a predicted risk, its null model and the IPA; see :func:`brier`.

    Parameters
    ----------
    table : DataFrame
        One row per time: time, brier, std_error, ci_lower, ci_upper, brier_null, ipa,
        risk_null (the marginal risk of the null model), null_std_error, reason.
    risk : tuple of str
        The risk column used at each time.
    cause : int
        The event code of interest.
    n, events, competing : int
        Patients used, events of the cause, competing events.
    n_missing : int
        Rows dropped for a missing time, event or risk.
    conf_level : float
        Level of the CIs.
    """

    table: pd.DataFrame
    risk: tuple[str, ...]
    cause: int
    n: int
    events: int
    competing: int
    n_missing: int
    conf_level: float = 0.95

    _title = "Brier score (IPCW)"

    @property
    def summary(self) -> pd.DataFrame:
        """One row per time: time, brier, std_error, ci_lower, ci_upper, brier_null, ipa, reason."""
        cols = ["time", "brier", "std_error", "ci_lower", "ci_upper", "brier_null", "ipa", "reason"]
        return self.table[cols].copy()

    def _tidy(self) -> pd.DataFrame:
        s = self.table
        return pd.DataFrame(
            {
                "term": [f"Brier(t={t:g})" for t in s["time"]],
                "estimate": s["brier"].to_numpy(),
                "std_error": s["std_error"].to_numpy(),
                "ci_lower": s["ci_lower"].to_numpy(),
                "ci_upper": s["ci_upper"].to_numpy(),
            }
        )

    def _glance(self) -> dict:
        return {"n": self.n, "events": self.events, "competing": self.competing, "n_missing": self.n_missing}


def brier(
    df: pd.DataFrame,
    time: str,
    event: str,
    risk: str | Sequence[str],
    times: float | Sequence[float],
    *,
    cause: int = 1,
    conf_level: float = 0.95,
) -> Brier:
    """Estimate the IPCW Brier score of a predicted risk, with its null model and the IPA.

    The Brier score at t is the mean squared difference between the predicted risk of an event of
    ``cause`` by t and the observed status at t, with inverse probability of censoring weights
    (Graf et al. 1999; Gerds & Schumacher 2006)::

        BS(t) = 1/n sum_i [ 1{T_i <= t, cause} (1 - r_i)^2 / G(T_i-)
                          + 1{T_i <= t, competing event} r_i^2 / G(T_i-)
                          + 1{T_i > t} r_i^2 / G(t) ]

    (patients censored by t contribute 0). The null model predicts every patient the marginal risk
    (1 - Kaplan-Meier, or the Aalen-Johansen cumulative incidence with competing risks), and the
    index of prediction accuracy is ``ipa = 1 - brier / brier_null`` (Kattan & Gerds 2018).

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    time : str
        Follow-up time column.
    event : str
        Event code column: 0 censored, 1 and 2 the causes.
    risk : str or list of str
        Predicted probability of an event of ``cause`` by t, in [0, 1]: one column used at every
        time, or one column per time (in the order of the sorted ``times``).
    times : float or list of float
        Time points t; sorted and made unique, as Score does.
    cause : {1, 2}
        The event code of interest; the other nonzero code is the competing event.
    conf_level : float
        Level of the Wald intervals.

    Returns
    -------
    Brier
        ``.summary`` (time, brier, std_error, ci_lower, ci_upper, brier_null, ipa, reason),
        ``.table`` (also the null model's risk and standard error), ``.tidy()``, ``.glance()``.

    Notes
    -----
    R (riskRegression 2022.11.28)::

        Score(list(r), formula = Hist(time, event) ~ 1, data = df, metrics = "brier",
              times = times, cause = cause, se.fit = TRUE, null.model = TRUE, conf.int = 0.95,
              summary = "ipa")

    (``Brier``, ``se``, ``lower``, ``upper``, ``IPA``; the "Null model" row's ``Brier``). G is
    prodlim's reverse Kaplan-Meier (events before censorings at tied times), at ``T_i-`` for events
    and at t for patients followed beyond t. The standard error is Score's default
    ``conservative = FALSE``: ``sd(IF) / sqrt(n)`` with the influence function's term for the
    estimated censoring distribution; the CI is Wald, ``brier -/+ z se`` cut to [0, 1].

    Where we differ: risks outside [0, 1] are an error (Score warns and goes on); a time after
    the last follow-up time (Score drops it) is a row of NaN with its ``reason``; IPA is NaN (0/0)
    or -inf when the null model's Brier score is 0, as Score. With ``cause = 2`` the result equals
    Score's with ``cause = 2`` (its Brier standard error, unlike its AUC's, is right there) and
    Score's on the data with codes 1 and 2 swapped and ``cause = 1``.

    References
    ----------
    Graf E, Schmoor C, Sauerbrei W, Schumacher M. Assessment and comparison of prognostic
    classification schemes for survival data. Stat Med 1999; 18: 2529-45.
    Gerds TA, Schumacher M. Consistent estimation of the expected Brier score in general survival
    models with right-censored event times. Biom J 2006; 48: 1029-40.
    Kattan MW, Gerds TA. The index of prediction accuracy: an intuitive measure useful for
    evaluating risk prediction models. Diagn Progn Res 2018; 2: 7.

    Examples
    --------
    >>> import pandas as pd
    >>> from cartsie.prognostic import brier
    >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9], "e": [1, 0, 1, 1, 0, 1, 0, 0],
    ...                   "r": [0.7, 0.4, 0.6, 0.3, 0.2, 0.5, 0.1, 0.3]})
    >>> res = brier(d, "t", "e", "r", times=[5])
    >>> res.summary[["time", "brier", "std_error", "brier_null", "ipa"]].round(4).to_dict("records")
    [{'time': 5.0, 'brier': 0.1629, 'std_error': 0.0629, 'brier_null': 0.2431, 'ipa': 0.3297}]
    """
    func = "brier"
    z = z_value(conf_level, func)
    names = _as_list(risk, "risk", func)
    data = _prepare(df, time, event, names, times, cause, func)
    if len(names) not in (1, len(data.times)):
        raise InputError(
            f"{func}(): risk names {len(names)} columns for {len(data.times)} time points; give one "
            "column (used at every time) or one per time, in the order of the sorted times."
        )
    columns = names if len(names) > 1 else names * len(data.times)
    p = data.prepared
    rows = []
    for t, name in zip(data.times, columns, strict=True):
        r = _finite_column(data.frame, name, func)
        off = (r < 0) | (r > 1)
        if off.any():
            raise InputError(
                f"{func}(): column {name!r} holds values outside [0, 1] at {describe_rows(data.frame, off)}; "
                "the Brier score needs predicted probabilities of the event by t."
            )
        if t > data.last_time:
            rows.append((t, *[np.nan] * 8, _beyond(t, data.last_time)))
            continue
        model = _ipcw.brier_at(p, r, t)
        risk_null = _ipcw.null_risk(p, t)
        null = _ipcw.brier_at(p, np.full(p.n, risk_null), t)
        se = _ipcw.std_error(model.influence)
        # no event by t (null Brier 0): 0/0 when the model predicts 0 too, else -inf (as Score)
        ipa = 1 - model.brier / null.brier if null.brier != 0 else np.nan if model.brier == 0 else -np.inf
        lo, hi = _wald(model.brier, se, z, True)
        rows.append(
            (t, model.brier, se, lo, hi, null.brier, ipa, risk_null, _ipcw.std_error(null.influence), "")
        )
    cols = ["time", "brier", "std_error", "ci_lower", "ci_upper", "brier_null", "ipa", "risk_null"]
    table = pd.DataFrame(rows, columns=[*cols, "null_std_error", "reason"])
    return Brier(table, tuple(columns), cause, p.n, data.events, data.competing, data.n_missing, conf_level)
