"""The measures of :func:`cartsie.prognostic.validate_score` for one endpoint, each in its own guard
(a measure the data cannot support is a row with its reason), and the Cox model's predicted risks."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cartsie.errors import CartsieError, SeparationWarning
from cartsie.prognostic._calibration import calibration
from cartsie.prognostic._net_benefit import NetBenefit, net_benefit
from cartsie.prognostic.core import concordance
from cartsie.prognostic.timedep import brier, time_auc
from cartsie.survival import cox

#: columns of the summary, in order
SUMMARY_COLUMNS = (
    "endpoint",
    "measure",
    "time",
    "threshold",
    "estimate",
    "std_error",
    "ci_lower",
    "ci_upper",
    "n",
    "events",
    "reason",
)
#: the working columns added to a copy of the caller's rows: the oriented score, the risk at t
SCORE, RISK = "__score__", "__risk_{:g}__"
NAN2 = (np.nan, np.nan)
#: a score with at most this many distinct values gets its table of predicted risks by value
MAX_LEVELS = 30


def baseline_hazard(time: np.ndarray, event: np.ndarray, lp: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Cumulative baseline hazard ``H0`` of a Cox model at the times ``at``, with Efron's handling
    of tied deaths (R's ``survfit.coxph`` for a model fitted with ``ties = "efron"``).

    Parameters
    ----------
    time, event : ndarray
        Follow-up times and 0/1 event indicators.
    lp : ndarray
        The linear predictor ``b x`` of each patient (``H0`` is that of the same centring).
    at : ndarray
        Times at which ``H0`` is wanted.

    Returns
    -------
    ndarray
        ``H0(t) = sum over death times u <= t of sum_{k=0}^{d-1} 1 / (R(u) - k D(u) / d)``, with
        d the deaths at u, R(u) the sum of ``exp(lp)`` over the patients at risk at u and D(u)
        that over the d who die at u (d = 1: Breslow's ``1 / R(u)``).
    """
    order = np.argsort(time, kind="stable")
    t, dead, w = time[order], event[order] == 1, np.exp(lp)[order]
    at_risk = np.cumsum(w[::-1])[::-1]  # at row i: the sum of w over the rows with time >= t[i]
    u = np.unique(t[dead])
    first = np.searchsorted(t, u, side="left")
    deaths = np.bincount(np.searchsorted(u, t[dead]), minlength=len(u))
    dead_sum = np.bincount(np.searchsorted(u, t[dead]), weights=w[dead], minlength=len(u))
    inc = np.empty(len(u))
    for j in range(len(u)):
        k = np.arange(deaths[j])
        inc[j] = np.sum(1.0 / (at_risk[first[j]] - k * dead_sum[j] / deaths[j]))
    cum = np.r_[0.0, np.cumsum(inc)]
    return cum[np.searchsorted(u, np.asarray(at, dtype=float), side="right")]


@dataclass
class Endpoint:
    """One endpoint's rows (complete cases) and what its measures share."""

    name: str
    work: pd.DataFrame
    time: str
    event: str
    score: str
    higher: str
    conf_level: float
    parts: dict[str, dict[str, Any]]
    risks: dict[float, str] = field(default_factory=dict)  # horizon -> risk column of ``work``
    risk_reason: str = ""

    def __post_init__(self) -> None:
        self.t = self.work[self.time].to_numpy(dtype=float)
        self.e = self.work[self.event].to_numpy(dtype=float)
        self.n = len(self.work)

    def by(self, x: float) -> int:
        """Events at or before ``x`` (all events for NaN)."""
        return int(np.sum((self.e == 1) & (self.t <= x))) if np.isfinite(x) else int(np.sum(self.e == 1))

    def row(self, measure, x=np.nan, pt=np.nan, est=np.nan, se=np.nan, ci=NAN2, reason="", n=None) -> dict:
        """A summary row; NaN estimate and CI when ``reason`` says why it is not estimable."""
        if reason:
            est, se, ci = np.nan, np.nan, NAN2
        values = (self.name, measure, x, pt, est, se, *ci, self.n if n is None else n, self.by(x), reason)
        types = (str, str, float, float, float, float, float, float, int, int, str)
        return {k: f(v) for k, f, v in zip(SUMMARY_COLUMNS, types, values, strict=True)}

    # -- what the data cannot support ---------------------------------------------------------------
    def data_reason(self) -> str:
        """Why no measure can be computed ("" when they can)."""
        if self.n == 0:
            return f"no patient with the time, event and {self.score} known"
        if not np.isin(self.e, [0, 1]).all():
            codes = sorted(set(self.e.tolist()) - {0, 1})
            return (
                f"column {self.event!r} has codes {codes} besides 0/1; give a 0/1 event (or call the "
                "components with cause=)"
            )
        if not np.any(self.e == 1):
            return f"no event in column {self.event!r} among the {self.n} patients"
        if self.work[self.score].nunique() < 2:
            return (
                f"{self.score} takes one value in the {self.n} patients with known {self.name}: no "
                "pair of patients can be ordered and no model fitted"
            )
        return ""

    def horizon_reason(self, x: float) -> str:
        """Why nothing at horizon ``x`` can be computed ("" when it can)."""
        if x > self.t.max():
            return f"t = {x:g} is after the last follow-up time ({self.t.max():g})"
        if self.by(x) == 0:
            return f"no {self.event} event by t = {x:g}"
        return ""

    # -- discrimination: the score itself ------------------------------------------------------------
    def concordances(self, tau: float | None) -> list[dict]:
        """Harrell's and Uno's C."""
        rows, kept = [], self.parts["c"].setdefault(self.name, {})
        for measure, timewt, key in (("harrell_c", "n", "harrell"), ("uno_c", "n/G2", "uno")):
            try:
                c = concordance(
                    self.work,
                    self.time,
                    self.event,
                    self.score,
                    higher=self.higher,
                    timewt=timewt,
                    tau=tau,
                    conf_level=self.conf_level,
                )
            except CartsieError as exc:
                rows.append(self.row(measure, reason=why(exc)))
                continue
            kept[key] = c
            x = tau if tau else np.nan
            rows.append(
                self.row(measure, x, est=c.estimate, se=c.std_error, ci=(c.ci_lower, c.ci_upper), n=c.n)
            )
        return rows

    def aucs(self, times: tuple[float, ...]) -> dict[float, dict]:
        """AUC(t) of the score (negated when a higher score means longer survival)."""
        sign = 1.0 if self.higher == "risk" else -1.0
        work = self.work.assign(**{SCORE: sign * self.work[self.score].to_numpy(dtype=float)})
        try:
            res = time_auc(work, self.time, self.event, SCORE, list(times), conf_level=self.conf_level)
        except CartsieError as exc:
            return {x: self.row("auc", x, reason=why(exc)) for x in times}
        self.parts["auc"][self.name] = res
        out = {}
        for x in times:
            r = res.table[res.table["time"] == x].iloc[0]
            reason = self.horizon_reason(x) or r["reason"]
            if not reason and not np.isfinite(r["auc"]):
                reason = f"no event-free patient after t = {x:g}"
            ci = (r["ci_lower"], r["ci_upper"])
            out[x] = self.row("auc", x, est=r["auc"], se=r["std_error"], ci=ci, reason=reason)
        return out

    # -- the predicted risks -------------------------------------------------------------------------
    def given_risks(self, columns: dict[float, str]) -> None:
        """Use the caller's risk columns."""
        self.risks = dict(columns)

    def cox_risks(self, at: list[float]) -> None:
        """Risks at ``at`` of a Cox model of the score, ``1 - exp(-H0(t) exp(b s))``; or the reason."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SeparationWarning)  # a monotone likelihood: the reason below
                fit = cox(self.work, self.time, self.event, [self.score])
        except CartsieError as exc:
            self.risk_reason = f"Cox model of {self.score} not fitted: {why(exc)}"
            return
        if self.score in fit.infinite_terms:
            self.risk_reason = f"Cox model of {self.score}: the coefficient is infinite (monotone likelihood)"
            return
        b = float(fit.params[self.score])
        x = self.work[self.score].to_numpy(dtype=float)
        h0 = baseline_hazard(self.t, self.e, b * (x - x.mean()), np.asarray(at))
        new = {RISK.format(h): -np.expm1(-h0[k] * np.exp(b * (x - x.mean()))) for k, h in enumerate(at)}
        self.work = self.work.assign(**new)
        self.risks = {h: RISK.format(h) for h in at}
        self.parts["fit"][self.name] = fit
        levels = np.unique(x)
        if len(levels) <= MAX_LEVELS:
            counts = pd.Series(x).value_counts()
            risk = {
                f"risk_{h:g}": -np.expm1(-h0[k] * np.exp(b * (levels - x.mean()))) for k, h in enumerate(at)
            }
            table = pd.DataFrame({"score": levels, "n": [int(counts[v]) for v in levels], **risk})
            self.parts["levels"][self.name] = table

    def risk_for(self, x: float) -> tuple[str | None, str]:
        """The risk column at ``x`` and the reason there is none."""
        if self.risk_reason:
            return None, self.risk_reason
        if x not in self.risks:
            return None, f"no predicted risk given for t = {x:g} (risk= maps each horizon to its column)"
        return self.risks[x], ""

    # -- accuracy, calibration, net benefit ----------------------------------------------------------
    def briers(self, times: tuple[float, ...]) -> dict[float, list[dict]]:
        """The Brier score and IPA at each time."""
        usable = [x for x in times if self.risk_for(x)[0] is not None]
        res, failure = None, ""
        if usable:
            try:
                cols = [self.risks[x] for x in usable]
                res = brier(self.work, self.time, self.event, cols, usable, conf_level=self.conf_level)
                self.parts["brier"][self.name] = res
            except CartsieError as exc:
                failure = why(exc)
        out = {}
        for x in times:
            reason = self.risk_for(x)[1] or failure or self.horizon_reason(x)
            if res is None or reason:
                out[x] = [self.row(m, x, reason=reason) for m in ("brier", "ipa")]
                continue
            r = res.table[res.table["time"] == x].iloc[0]
            ci = (r["ci_lower"], r["ci_upper"])
            out[x] = [
                self.row("brier", x, est=r["brier"], se=r["std_error"], ci=ci, reason=r["reason"]),
                self.row("ipa", x, est=r["ipa"], reason=r["reason"]),
            ]
        return out

    def calibrate(self, x: float, groups: int | str) -> list[dict]:
        """O/E and the calibration slope at horizon ``x``."""
        column, reason = self.risk_for(x)
        reason = reason or self.horizon_reason(x)
        measures = ("oe_ratio", "calibration_slope")
        if column is None or reason:
            return [self.row(m, x, reason=reason) for m in measures]
        try:
            with warnings.catch_warnings():
                # risks of exactly 0 or 1: said by the slope's reason below
                warnings.filterwarnings(
                    "ignore", message=r"calibration\(\): column .* risks of exactly 0 or 1"
                )
                cal = calibration(
                    self.work, self.time, self.event, column, x, groups=groups, conf_level=self.conf_level
                )
        except CartsieError as exc:
            return [self.row(m, x, reason=why(exc)) for m in measures]
        self.parts["cal"].setdefault(self.name, {})[x] = cal
        slope_why = (
            "" if np.isfinite(cal.slope) else "a predicted risk of exactly 0 or 1: no calibration slope"
        )
        oe_why = "" if np.isfinite(cal.oe_ratio) else "observed risk not estimable at t"
        return [
            self.row("oe_ratio", x, est=cal.oe_ratio, ci=(cal.oe_ci_lower, cal.oe_ci_upper), reason=oe_why),
            self.row(
                "calibration_slope",
                x,
                est=cal.slope,
                se=cal.slope_se,
                ci=(cal.slope_ci_lower, cal.slope_ci_upper),
                reason=slope_why,
            ),
        ]

    def benefit(self, x: float, pts: np.ndarray, summary_pts: np.ndarray) -> list[dict]:
        """Net benefit of the model and of treating all at horizon ``x``, at ``summary_pts``."""
        column, reason = self.risk_for(x)
        reason = reason or (self.horizon_reason(x) if x > self.t.max() else "")
        nb = None
        if column is not None and not reason:
            try:
                nb = net_benefit(
                    df=self.work, time=self.time, event=self.event, risk=column, at=x, thresholds=pts
                )
                nb = NetBenefit(
                    nb.table,
                    nb.outcome,
                    nb.prevalence,
                    nb.n,
                    nb.n_missing,
                    label=self.score,
                    at=x,
                    method=nb.method,
                )
                self.parts["nb"].setdefault(self.name, {})[x] = nb
            except CartsieError as exc:
                reason = why(exc)
        rows = []
        for pt in summary_pts:
            for measure, strategy in (("net_benefit", "model"), ("net_benefit_all", "all")):
                if nb is None:
                    rows.append(self.row(measure, x, pt, reason=reason))
                    continue
                s = nb.table
                value = s.loc[np.isclose(s["threshold"], pt) & (s["strategy"] == strategy), "net_benefit"]
                v = float(value.iloc[0])
                rows.append(
                    self.row(measure, x, pt, est=v, reason="" if np.isfinite(v) else "risk not estimable")
                )
        return rows


def why(exc: CartsieError) -> str:
    """A component's error message as a reason: one line, without the function's name."""
    text = " ".join(str(exc).split())
    head, sep, rest = text.partition("(): ")
    return rest if sep and " " not in head else text
