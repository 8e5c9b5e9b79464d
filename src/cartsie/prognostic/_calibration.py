"""Calibration of predicted risks of a time-to-event outcome at a time horizon: observed versus
predicted risk by risk group, calibration-in-the-large (O/E) and the calibration slope."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cartsie._checks import describe_rows, numeric, require_columns
from cartsie._dist import norm_sf
from cartsie._results import Result
from cartsie._survprep import group_codes, z_value
from cartsie.competing import cumulative_incidence, fine_gray
from cartsie.errors import InputError
from cartsie.prognostic._inputs import drop_missing, horizon, risk_values
from cartsie.survival import cox, kaplan_meier

__all__ = ["Calibration", "calibration", "risk_groups"]

#: name of the working columns added to a copy of the caller's rows
_GROUP, _TIME, _EVENT, _CLOGLOG = "__group__", "__time__", "__event__", "cloglog_risk"
#: bins of [0, 1] of the histogram of predicted risks kept for the plot (counts only)
HISTOGRAM_BINS = 50

GROUP_COLUMNS = [
    "group",
    "n",
    "events",
    "n_risk",
    "mean_predicted",
    "min_predicted",
    "max_predicted",
    "observed",
    "std_error",
    "ci_lower",
    "ci_upper",
]


def risk_groups(risk: np.ndarray, groups: int) -> np.ndarray:
    """Risk group (1, 2, ...) of each predicted risk, as ``Hmisc::cut2(risk, g = groups)``.

    With at most ``groups`` distinct values, each distinct value is its own group (R's
    ``as.integer(factor(risk))``), so a score with few values never gives merged or empty groups.
    Otherwise the upper limit of group ``j`` is the smallest distinct risk whose cumulative count
    reaches ``j n / groups`` (the last one the largest risk); repeated limits are dropped, so groups
    hold whole sets of tied risks, may be fewer than ``groups`` and need not be of equal size.
    Group ``j`` is ``(limit_{j-1}, limit_j]``.

    Parameters
    ----------
    risk : ndarray
        Predicted risks (no missing value).
    groups : int
        The number of groups asked for (``g``).

    Returns
    -------
    ndarray of int
        The group of each risk, 1 for the lowest risks.
    """
    values, counts = np.unique(risk, return_counts=True)
    if len(values) <= groups:
        return np.searchsorted(values, risk) + 1
    cum = np.cumsum(counts)
    n = len(risk)
    targets = np.arange(1, groups + 1) * n / groups
    at = np.minimum(np.searchsorted(cum, targets, side="left"), len(values) - 1)
    limits = np.unique(np.r_[values[at[:-1]], values[-1]])
    return np.searchsorted(limits, risk, side="left") + 1


@dataclass(frozen=True, repr=False)
class Calibration(Result):
    """Calibration of predicted risks at time ``at``; see :func:`cartsie.prognostic.calibration`.

    ``summary`` has one row per risk group (group, n, events, n_risk, mean_predicted,
    min_predicted, max_predicted, observed, std_error, ci_lower, ci_upper); the overall measures
    are attributes and in ``glance()``.

    Parameters
    ----------
    table : DataFrame
        The per-group table behind ``summary``.
    at : float
        The time horizon of the predicted risks.
    method : {"kaplan-meier", "aalen-johansen"}
        How the observed risks were estimated.
    cause : int
        The cause whose risk is predicted (1 with Kaplan-Meier).
    observed, observed_se : float
        The overall observed risk at ``at`` and its standard error.
    expected : float
        The mean predicted risk.
    oe_ratio, oe_ci_lower, oe_ci_upper : float
        Observed / expected and its CI.
    slope, slope_se, slope_ci_lower, slope_ci_upper, slope_z, slope_p_value : float
        The calibration slope, its SE, Wald CI, and z and p of the test of slope = 1 (NaN when
        some predicted risk is exactly 0 or 1).
    n, events, n_missing : int
        Rows used, events of ``cause`` by ``at`` among them, rows left out for missing values.
    conf_level : float
        Level of every CI.
    risk_histogram : DataFrame
        Counts of predicted risks in :data:`HISTOGRAM_BINS` bins of [0, 1] (columns lower,
        upper, count), for the plot.
    groups_by : str or int
        The grouping asked for: a number of groups, or the column of given groups.
    """

    table: pd.DataFrame
    at: float
    method: str
    cause: int
    observed: float
    observed_se: float
    expected: float
    oe_ratio: float
    oe_ci_lower: float
    oe_ci_upper: float
    slope: float
    slope_se: float
    slope_ci_lower: float
    slope_ci_upper: float
    slope_z: float
    slope_p_value: float
    n: int
    events: int
    n_missing: int
    conf_level: float
    risk_histogram: pd.DataFrame = field(repr=False)
    groups_by: str | int = 10

    _title = "Calibration"

    @property
    def summary(self) -> pd.DataFrame:
        """Per risk group: n, events by ``at``, n_risk at ``at``, mean/min/max predicted risk,
        observed risk with its SE and CI."""
        return self.table.copy()

    @property
    def difference(self) -> float:
        """Observed minus expected (mean predicted) risk."""
        return self.observed - self.expected

    def _tidy(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "term": ["observed_risk", "expected_risk", "oe_ratio", "calibration_slope"],
                "estimate": [self.observed, self.expected, self.oe_ratio, self.slope],
                "std_error": [self.observed_se, np.nan, np.nan, self.slope_se],
                "statistic": [np.nan, np.nan, np.nan, self.slope_z],
                "p_value": [np.nan, np.nan, np.nan, self.slope_p_value],
                "ci_lower": [np.nan, np.nan, self.oe_ci_lower, self.slope_ci_lower],
                "ci_upper": [np.nan, np.nan, self.oe_ci_upper, self.slope_ci_upper],
            }
        )

    def _glance(self) -> dict:
        return {
            "n": self.n,
            "events": self.events,
            "n_missing": self.n_missing,
            "at": self.at,
            "method": self.method,
            "observed": self.observed,
            "expected": self.expected,
            "oe_ratio": self.oe_ratio,
            "oe_ci_lower": self.oe_ci_lower,
            "oe_ci_upper": self.oe_ci_upper,
            "slope": self.slope,
            "slope_ci_lower": self.slope_ci_lower,
            "slope_ci_upper": self.slope_ci_upper,
            "slope_p_value": self.slope_p_value,
        }


def calibration(
    df: pd.DataFrame,
    time: str,
    event: str,
    risk: str,
    at: float,
    *,
    groups: int | str = 10,
    cause: int = 1,
    conf_level: float = 0.95,
) -> Calibration:
    """Observed versus predicted risk at time ``at``: by risk group, in the large, and the slope.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    time, event : str
        Follow-up time and event code: 0 censored, 1 event (Kaplan-Meier); with other codes
        (competing events, e.g. 2) or ``cause`` other than 1, the Aalen-Johansen estimate of the
        risk of ``cause``.
    risk : str
        Predicted risk of the event (of ``cause``) by time ``at``, a probability in [0, 1].
    at : float
        The time horizon of the predictions, in the unit of ``time``.
    groups : int or str, default 10
        Number of risk groups (made as ``Hmisc::cut2(risk, g = groups)``; one group per distinct
        value when there are at most ``groups`` of them: see :func:`risk_groups`), or the name of a
        column holding given groups (e.g. risk categories; levels in R's factor order).
    cause : int, default 1
        The event code whose risk is predicted.
    conf_level : float, default 0.95
        Level of the CIs.

    Returns
    -------
    Calibration
        ``.summary`` per risk group; ``.observed``, ``.expected``, ``.oe_ratio`` (with
        ``oe_ci_lower``/``oe_ci_upper``), ``.slope`` (with SE, CI, and z and p of slope = 1),
        ``.n``, ``.events``, ``.n_missing``; ``.glance()``, ``.tidy()``.

    Notes
    -----
    Observed risk in each group: ``1 - S(at)`` with S the Kaplan-Meier estimate (Greenwood SE; CI
    survfit's default log scale, ``exp(log S -/+ z se(log S))``, turned into ``1 - upper, 1 - lower``)
    for 0/1 outcomes; else the Aalen-Johansen cumulative incidence of ``cause`` at ``at`` with
    cmprsk's variance and the log-log CI ``F^exp(-/+ z se / (F log F))`` of
    :func:`cartsie.competing.cumulative_incidence` (NaN beyond a group's last follow-up, as
    ``cmprsk::timepoints``). ``events`` counts events of ``cause`` at or before ``at``, ``n_risk``
    the patients still followed at ``at``.

    Calibration-in-the-large: ``O`` the observed risk of everybody at ``at`` (as above), ``E`` the
    mean predicted risk; ``O/E`` with CI ``exp(log(O/E) -/+ z se(O) / O)`` (delta method, E treated
    as fixed; Debray et al. 2017).

    Calibration slope: the coefficient ``b`` of ``log(-log(1 - risk))`` in a Cox model (Efron
    ties) -- a Fine-Gray model for ``cause`` with competing events -- with follow-up
    administratively censored at ``at`` (Crowson, Atkinson & Therneau 2016; Austin, Harrell & van
    Klaveren 2020; van Geloven et al. 2022 for competing risks); Wald CI ``b -/+ z se``; ``slope_z =
    (b - 1) / se`` and its two-sided p test slope = 1 (ideal). NaN when a risk is exactly 0 or 1.

    R: ``g <- if (length(unique(risk)) <= groups) factor(risk) else Hmisc::cut2(risk, g = groups)``;
    ``summary(survfit(Surv(time, event) ~ g), times = at, extend = TRUE)`` (or ``cmprsk::cuminc`` and
    ``timepoints``); ``coxph(Surv(pmin(time, at), ifelse(time <= at, event, 0)) ~
    I(log(-log(1 - risk))))`` (or ``cmprsk::crr``). ``riskRegression::Score(..., plots =
    "calibration")`` with ``plotCalibration(method = "quantile")`` gives the same observed risks for
    its own quantile groups. Rows missing a value in a column used are left out, with a
    ``MissingValuesWarning`` giving the count (``n_missing``).

    References
    ----------
    Crowson CS, Atkinson EJ, Therneau TM. Assessing calibration of prognostic risk scores. Stat
    Methods Med Res 2016;25:1692-1706. Austin PC, Harrell FE, van Klaveren D. Graphical calibration
    curves and the integrated calibration index (ICI) for survival models. Stat Med
    2020;39:2714-2742. Debray TPA et al. A guide to systematic review and meta-analysis of prediction
    model performance. BMJ 2017;356:i6460.

    Examples
    --------
    >>> import pandas as pd
    >>> from cartsie.prognostic import calibration
    >>> d = pd.DataFrame({"t": [2, 5, 7, 9, 12, 14, 3, 8, 15, 20, 6, 11],
    ...                   "e": [1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0],
    ...                   "p": [0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.6, 0.4, 0.1, 0.2, 0.3, 0.5]})
    >>> cal = calibration(d, "t", "e", "p", at=10, groups=2)
    >>> cal.summary[["group", "n", "events", "observed"]].round(4).to_dict("list")
    {'group': [1, 2], 'n': [6, 6], 'events': [2, 3], 'observed': [0.3333, 0.5]}
    >>> round(cal.oe_ratio, 4), round(cal.slope, 4)
    (1.2698, 2.3604)
    """
    func = "calibration"
    z = z_value(conf_level, func)
    at = horizon(at, time, func)
    grouped = isinstance(groups, str)
    if not grouped and (isinstance(groups, bool) or not isinstance(groups, int | np.integer) or groups < 1):
        raise InputError(
            f"{func}(): groups must be a number of risk groups (>= 1) or the name of a column of "
            f"groups; got {groups!r}."
        )
    columns = [time, event, risk] + ([groups] if isinstance(groups, str) else [])
    require_columns(df, columns, func)
    frame, n_missing = drop_missing(df, list(dict.fromkeys(columns)), func)
    p = risk_values(frame, risk, func)
    t = numeric(frame, time, func).to_numpy()
    e = numeric(frame, event, func).to_numpy()
    method = "kaplan-meier" if cause == 1 and np.isin(e, [0, 1]).all() else "aalen-johansen"
    work = pd.DataFrame({_TIME: t, _EVENT: e}, index=frame.index)
    if grouped:
        work[_GROUP] = group_codes(frame[groups])[0] + 1
        labels = group_codes(frame[groups])[1]
    else:
        work[_GROUP] = risk_groups(p, int(groups))
        labels = None
    per_group, overall = _observed(work, at, method, cause, conf_level, func)
    by = pd.Series(p, index=frame.index).groupby(work[_GROUP].to_numpy())
    table = pd.DataFrame(
        {
            "group": labels if labels is not None else per_group.index.to_numpy(),
            "n": by.size().to_numpy(),
            "events": pd.Series((e == cause) & (t <= at)).groupby(work[_GROUP].to_numpy()).sum().to_numpy(),
            "n_risk": pd.Series(t >= at).groupby(work[_GROUP].to_numpy()).sum().to_numpy(),
            "mean_predicted": by.mean().to_numpy(),
            "min_predicted": by.min().to_numpy(),
            "max_predicted": by.max().to_numpy(),
            **{c: per_group[c].to_numpy() for c in ("observed", "std_error", "ci_lower", "ci_upper")},
        },
        columns=GROUP_COLUMNS,
    )
    obs, obs_se = overall
    expected = float(np.mean(p))
    ratio = obs / expected if expected > 0 else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = obs_se / obs
        oe_lo, oe_hi = ratio * np.exp(-z * se_log), ratio * np.exp(z * se_log)
    slope, slope_se = _slope(work, p, at, method, cause, frame, risk, func)
    slope_z = (slope - 1) / slope_se if np.isfinite(slope_se) and slope_se > 0 else np.nan
    counts, edges = np.histogram(p, bins=HISTOGRAM_BINS, range=(0.0, 1.0))
    return Calibration(
        table=table,
        at=at,
        method=method,
        cause=int(cause),
        observed=obs,
        observed_se=obs_se,
        expected=expected,
        oe_ratio=float(ratio),
        oe_ci_lower=float(oe_lo),
        oe_ci_upper=float(oe_hi),
        slope=slope,
        slope_se=slope_se,
        slope_ci_lower=slope - z * slope_se,
        slope_ci_upper=slope + z * slope_se,
        slope_z=float(slope_z),
        slope_p_value=float(2 * norm_sf(abs(slope_z))) if np.isfinite(slope_z) else np.nan,
        n=len(frame),
        events=int(np.sum((e == cause) & (t <= at))),
        n_missing=n_missing,
        conf_level=conf_level,
        risk_histogram=pd.DataFrame({"lower": edges[:-1], "upper": edges[1:], "count": counts}),
        groups_by=groups,
    )


def _observed(
    work: pd.DataFrame, at: float, method: str, cause: int, conf_level: float, func: str
) -> tuple[pd.DataFrame, tuple[float, float]]:
    """Observed risk at ``at`` per group (index: group code) and overall (estimate, SE), from the
    library's Kaplan-Meier or Aalen-Johansen estimator."""
    if method == "kaplan-meier":
        rows = kaplan_meier(work, _TIME, _EVENT, group=_GROUP, conf_level=conf_level).at(at)
        per = pd.DataFrame(
            {
                "observed": 1 - rows["survival"].to_numpy(),
                "std_error": rows["std_err"].to_numpy(),
                "ci_lower": 1 - rows["ci_upper"].to_numpy(),
                "ci_upper": 1 - rows["ci_lower"].to_numpy(),
            },
            index=rows["group"].to_numpy(),
        )
        one = kaplan_meier(work, _TIME, _EVENT, conf_level=conf_level).at(at)
        return per, (float(1 - one["survival"].iloc[0]), float(one["std_err"].iloc[0]))
    try:
        fit = cumulative_incidence(work, _TIME, _EVENT, group=_GROUP, cause=cause, conf_level=conf_level)
    except InputError as err:
        raise InputError(f"{func}(): {err}") from None
    rows = fit.at(at)
    per = pd.DataFrame(
        {
            "observed": rows["estimate"].to_numpy(),
            "std_error": np.sqrt(rows["variance"].to_numpy()),
            "ci_lower": rows["ci_lower"].to_numpy(),
            "ci_upper": rows["ci_upper"].to_numpy(),
        },
        index=rows["group"].to_numpy(),
    )
    one = cumulative_incidence(work, _TIME, _EVENT, cause=cause, conf_level=conf_level).at(at)
    return per, (float(one["estimate"].iloc[0]), float(np.sqrt(one["variance"].iloc[0])))


def _slope(
    work: pd.DataFrame,
    p: np.ndarray,
    at: float,
    method: str,
    cause: int,
    frame: pd.DataFrame,
    risk: str,
    func: str,
) -> tuple[float, float]:
    """Coefficient of log(-log(1 - risk)) and its SE (Cox, or Fine-Gray for ``cause``), follow-up
    censored at ``at``; NaN (with a warning) when a risk is exactly 0 or 1."""
    extreme = (p <= 0) | (p >= 1)
    if extreme.any():
        warnings.warn(
            f"{func}(): column {risk!r} has risks of exactly 0 or 1 at {describe_rows(frame, extreme)}; "
            "log(-log(1 - risk)) is infinite there, so the calibration slope is not computed (NaN).",
            UserWarning,
            stacklevel=3,
        )
        return np.nan, np.nan
    t = work[_TIME].to_numpy()
    censored = pd.DataFrame(
        {
            _TIME: np.minimum(t, at),
            _EVENT: np.where(t <= at, work[_EVENT].to_numpy(), 0).astype(int),
            _CLOGLOG: np.log(-np.log1p(-p)),
        }
    )
    if not np.any(censored[_EVENT].to_numpy() == cause):
        return np.nan, np.nan
    if method == "kaplan-meier":
        table = cox(censored, _TIME, _EVENT, _CLOGLOG).summary
    else:
        table = fine_gray(censored, _TIME, _EVENT, _CLOGLOG, cause=cause).summary
    row = table.loc[_CLOGLOG]
    return float(row["coef"]), float(row["se"])
