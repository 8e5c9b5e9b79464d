"""Net benefit of treating by predicted risk, for decision curves (Vickers & Elkin 2006), as
``dcurves::dca``: a binary outcome, or a time-to-event outcome at a time horizon (Vickers, Cronin,
Elkin et al. 2008)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartsie._checks import describe_rows, numeric, require_columns
from cartsie._results import TableResult
from cartsie._survprep import survival_data
from cartsie.competing import cumulative_incidence
from cartsie.errors import InputError
from cartsie.prognostic._inputs import drop_missing, horizon, risk_values, thresholds_of

__all__ = ["NetBenefit", "net_benefit"]

STRATEGIES = ("model", "all", "none")
_TIME, _EVENT = "__time__", "__event__"


@dataclass(frozen=True, repr=False)
class NetBenefit(TableResult):
    """Net benefit by threshold of the model, treat-all and treat-none; see
    :func:`cartsie.prognostic.net_benefit`.

    ``summary`` has one row per threshold and strategy: threshold, strategy ("model", "all",
    "none"), net_benefit, treated (the fraction treated), tp_rate and fp_rate (true and false
    positives over n), and for a time-to-event outcome risk_treated (the observed risk at ``at``
    among the treated).

    Parameters
    ----------
    table : DataFrame
        The long table behind ``summary``.
    outcome : {"binary", "survival"}
        The kind of outcome.
    prevalence : float
        Risk of the outcome in everybody: the fraction of events (binary), or the observed risk at
        ``at`` (survival).
    n : int
        Rows used.
    n_missing : int
        Rows left out for a missing value.
    label : str
        Name of the model (the risk column, or ``"model"``), for plots.
    at : float or None
        Time horizon (survival only).
    method : str or None
        How the observed risks were estimated (survival only): "kaplan-meier" or
        "aalen-johansen".
    """

    table: pd.DataFrame
    outcome: str
    prevalence: float
    n: int
    n_missing: int
    label: str = "model"
    at: float | None = None
    method: str | None = None

    _title = "Net benefit"

    def wide(self) -> pd.DataFrame:
        """One row per threshold (index), the net benefit of ``model``, ``all`` and ``none`` as
        columns (the DESIGN's ``threshold, net_benefit, treat_all, treat_none`` layout)."""
        out = self.table.pivot(index="threshold", columns="strategy", values="net_benefit")
        out = out[list(STRATEGIES)].rename(
            columns={"model": "net_benefit", "all": "treat_all", "none": "treat_none"}
        )
        out.columns.name = None
        return out

    def _tidy(self) -> pd.DataFrame:
        t = self.table
        return pd.DataFrame(
            {
                "term": [f"{s} @ {th:g}" for s, th in zip(t["strategy"], t["threshold"], strict=True)],
                "estimate": t["net_benefit"].to_numpy(),
            }
        )

    def _glance(self) -> dict:
        out = {
            "n": self.n,
            "n_missing": self.n_missing,
            "outcome": self.outcome,
            "prevalence": self.prevalence,
        }
        if self.at is not None:
            out["at"] = self.at
        return out


def net_benefit(
    y_true=None,
    risk=None,
    thresholds=None,
    *,
    df: pd.DataFrame | None = None,
    time: str | None = None,
    event: str | None = None,
    at: float | None = None,
    cause: int = 1,
) -> NetBenefit:
    """Net benefit of treating patients whose predicted risk is at or above a threshold.

    Parameters
    ----------
    y_true : array-like or str, optional
        Binary outcome (1 event, 0 none), or its column in ``df``. Not given for a time-to-event
        outcome.
    risk : array-like or str
        Predicted risk (a probability in [0, 1]), or its column in ``df`` (a column name is
        required with ``time``/``event``).
    thresholds : array-like, optional
        Threshold probabilities, each strictly between 0 and 1 (default 0.01, 0.02, ..., 0.99).
    df : DataFrame, optional
        The data, when ``y_true``/``risk`` (or ``time``, ``event``, ``risk``) are column names.
    time, event : str, optional
        Follow-up time and event code of a time-to-event outcome (0 censored, 1 event; other codes
        competing events).
    at : float, optional
        The time horizon of the predicted risks (required with ``time``).
    cause : int, default 1
        The event code whose risk is predicted (time-to-event outcome).

    Returns
    -------
    NetBenefit
        ``.summary`` (long: threshold, strategy, net_benefit, treated, tp_rate, fp_rate[,
        risk_treated]), ``.wide()``, ``.prevalence``, ``.n``, ``.n_missing``.

    Notes
    -----
    A patient is treated when ``risk >= pt`` (dcurves' convention). With ``n`` patients and weight
    ``w = pt / (1 - pt)``:

    * binary (Vickers & Elkin 2006): ``NB = TP / n - w FP / n``;
    * time-to-event at ``at`` (Vickers, Cronin, Elkin et al. 2008): with ``P`` the fraction treated
      and ``R`` the observed risk at ``at`` among them (1 - Kaplan-Meier; the Aalen-Johansen risk
      of ``cause`` with competing events, as dcurves' multi-state ``survfit``),
      ``NB = R P - w (1 - R) P``; R is 0 when nobody is treated and NaN when the follow-up of the
      treated ends before ``at`` (dcurves' NA);
    * treat all: the same with everybody treated (``P = 1``, R the overall risk); treat none: 0.

    R: ``dcurves::dca(Surv(time, event) ~ risk, data, time = at, thresholds)`` (or ``y ~ risk``),
    its ``net_benefit`` column (variables ``risk``, ``all``, ``none``). dcurves gives NA rather than
    0 when every treated patient is followed past ``at`` with no time at or before it (its
    ``.surv_to_risk`` finds no row of the curve up to ``at``); here the risk is then 0, as the
    Kaplan-Meier curve is 1 before its first time. Rows with a missing value in a column used are
    left out, with a ``MissingValuesWarning`` giving the count (``n_missing``).

    References
    ----------
    Vickers AJ, Elkin EB. Decision curve analysis: a novel method for evaluating prediction models.
    Med Decis Making 2006;26:565-574. Vickers AJ, Cronin AM, Elkin EB, Gonen M. Extensions to
    decision curve analysis. BMC Med Inform Decis Mak 2008;8:53.

    Examples
    --------
    >>> from cartsie.prognostic import net_benefit
    >>> nb = net_benefit([1, 0, 1, 0, 0, 1, 0, 0], [0.8, 0.3, 0.6, 0.1, 0.5, 0.4, 0.2, 0.7], [0.25, 0.5])
    >>> nb.wide().round(4).to_dict("list")
    {'net_benefit': [0.25, 0.0], 'treat_all': [0.1667, -0.25], 'treat_none': [0.0, 0.0]}
    """
    func = "net_benefit"
    pts = thresholds_of(thresholds, func)
    if time is not None or event is not None:
        return _survival(df, time, event, risk, at, pts, cause, func)
    if y_true is None or risk is None:
        raise InputError(
            f"{func}(): give y_true and risk (a binary outcome), or df, time, event, risk and at "
            "(a time-to-event outcome)."
        )
    frame, outcome, label = _binary_frame(y_true, risk, df, func)
    frame, n_missing = drop_missing(frame, [outcome, label], func)
    y = pd.to_numeric(frame[outcome].map(lambda v: float(v) if isinstance(v, bool) else v), errors="coerce")
    y = y.to_numpy(dtype=float)
    bad = ~np.isin(y, [0, 1])
    if bad.any():
        shown = ", ".join(repr(v) for v in pd.unique(frame[outcome].to_numpy()[bad])[:3])
        raise InputError(
            f"{func}(): the outcome {outcome!r} must be 0/1 (1 = event); got {shown} at "
            f"{describe_rows(frame, bad)}. Recode it."
        )
    p = risk_values(frame, label, func)
    n = len(y)
    prev = float(np.mean(y))
    rows = []
    for pt in pts:
        treated = p >= pt
        tp, fp = np.sum(treated & (y == 1)) / n, np.sum(treated & (y == 0)) / n
        rows += _three_rows(float(pt), float(np.mean(treated)), tp, fp, prev)
    table = pd.DataFrame(rows)
    return NetBenefit(table, "binary", prev, n, n_missing, label=_label(risk))


def _label(risk) -> str:
    return risk if isinstance(risk, str) else "model"


def _binary_frame(y_true, risk, df, func: str) -> tuple[pd.DataFrame, str, str]:
    """A frame of the outcome and the risk, each named by its column (else ``y_true``, ``risk``),
    with ``patient_id`` when ``df`` has it (messages name the patients)."""
    outcome = y_true if isinstance(y_true, str) else "y_true"
    label = risk if isinstance(risk, str) else "risk"
    named = [c for c in (y_true, risk) if isinstance(c, str)]
    if named:
        if df is None:
            raise InputError(f"{func}(): column names were given for y_true/risk but no df.")
        require_columns(df, named, func)

    def values(v) -> np.ndarray:
        return df[v].to_numpy(dtype=object) if isinstance(v, str) else np.asarray(v, dtype=object).ravel()

    y, r = values(y_true), values(risk)
    if len(y) != len(r):
        raise InputError(f"{func}(): {len(y)} outcomes but {len(r)} risks; give one of each per patient.")
    frame = pd.DataFrame({outcome: y, label: r}, index=df.index if named else None)
    if named and "patient_id" in df.columns:
        frame["patient_id"] = df["patient_id"].to_numpy()
    return frame, outcome, label


def _three_rows(
    pt: float, treated: float, tp: float, fp: float, prev: float, risk_treated=None
) -> list[dict]:
    """Rows of the model, treat-all and treat-none at ``pt`` (NB = tp - pt / (1 - pt) fp)."""
    w = pt / (1 - pt)
    rows = [
        {"threshold": pt, "strategy": "model", "net_benefit": tp - w * fp, "treated": treated, "tp_rate": tp},
        {
            "threshold": pt,
            "strategy": "all",
            "net_benefit": prev - w * (1 - prev),
            "treated": 1.0,
            "tp_rate": prev,
        },
        {"threshold": pt, "strategy": "none", "net_benefit": 0.0, "treated": 0.0, "tp_rate": 0.0},
    ]
    for row, f in zip(rows, (fp, 1 - prev, 0.0), strict=True):
        row["fp_rate"] = f
    if risk_treated is not None:
        for row, r in zip(rows, (risk_treated, prev, 0.0), strict=True):
            row["risk_treated"] = r
    return rows


def _survival(df, time, event, risk, at, pts: np.ndarray, cause: int, func: str) -> NetBenefit:
    if df is None or not all(isinstance(c, str) for c in (time, event, risk)):
        raise InputError(
            f"{func}(): for a time-to-event outcome give df and the column names time, event and risk "
            "(and the horizon at)."
        )
    at = horizon(at, time, func)
    require_columns(df, [time, event, risk], func)
    frame, n_missing = drop_missing(df, list(dict.fromkeys([time, event, risk])), func)
    p = risk_values(frame, risk, func)
    t = numeric(frame, time, func).to_numpy()
    e = numeric(frame, event, func).to_numpy()
    method = "kaplan-meier" if cause == 1 and np.isin(e, [0, 1]).all() else "aalen-johansen"
    work = pd.DataFrame({_TIME: t, _EVENT: e})
    if t.max() < at:
        raise InputError(
            f"{func}(): the follow-up in {time!r} ends at {t.max():g}, before at = {at:g}; the risk at "
            "that time cannot be estimated (dcurves stops the same way)."
        )
    if method == "kaplan-meier":  # times merged once as survfit's timefix, then one product per subset
        sd = survival_data(work, _TIME, _EVENT, func)
        work = pd.DataFrame({_TIME: sd.time, _EVENT: sd.event})
    prev = _risk_at(work, np.ones(len(t), dtype=bool), at, method, cause)
    order = np.sort(p)
    cache: dict[int, float] = {}
    rows = []
    for pt in pts:
        treated = p >= pt
        m = len(order) - int(np.searchsorted(order, pt, side="left"))
        if m not in cache:
            cache[m] = _risk_at(work, treated, at, method, cause)
        r, share = cache[m], m / len(p)
        rows += _three_rows(float(pt), share, r * share, (1 - r) * share, prev, risk_treated=r)
    table = pd.DataFrame(rows)
    return NetBenefit(table, "survival", prev, len(p), n_missing, label=risk, at=at, method=method)


def km_survival(time: np.ndarray, event: np.ndarray, at: float) -> float:
    """The Kaplan-Meier estimate at ``at``, ``prod over event times u <= at of (1 - d(u) / n(u))``
    (the value of ``kaplan_meier(...).at(at)`` for times already merged as R's ``timefix``)."""
    u, inverse = np.unique(time, return_inverse=True)
    deaths = np.bincount(inverse, weights=(event == 1).astype(float), minlength=len(u))
    n_risk = np.cumsum(np.bincount(inverse, minlength=len(u))[::-1])[::-1]
    keep = (u <= at) & (deaths > 0)
    return float(np.prod(1.0 - deaths[keep] / n_risk[keep]))


def _risk_at(work: pd.DataFrame, rows: np.ndarray, at: float, method: str, cause: int) -> float:
    """Observed risk at ``at`` among ``rows``: 0 for nobody, NaN when their follow-up ends before
    ``at``, else 1 - Kaplan-Meier or the Aalen-Johansen incidence of ``cause``."""
    if not rows.any():
        return 0.0
    sub = work.loc[rows]
    if sub[_TIME].max() < at:
        return np.nan
    if method == "kaplan-meier":
        return 1.0 - km_survival(sub[_TIME].to_numpy(), sub[_EVENT].to_numpy(), at)
    if not np.any(sub[_EVENT].to_numpy() == cause):
        return 0.0
    return float(cumulative_incidence(sub, _TIME, _EVENT, cause=cause).at(at)["estimate"].iloc[0])
