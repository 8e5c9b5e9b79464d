"""Kaplan-Meier arithmetic, written from the formulas and R's documented conventions.

- Product-limit estimate and Greenwood's variance of log S (R's ``survfit()$std.err``).
- Pointwise confidence intervals as ``survival:::survfit_confint`` ("log", "log-log", "plain").
- Quantiles and their CIs as ``quantile.survfit`` (R's ``findq``).
- Restricted mean and its SE as ``survival:::survmean`` (``print(fit, rmean = ...)``).
- Values at chosen times as ``summary.survfit(times = ..., extend = TRUE)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartsie._survprep import SQRT_EPS

CONF_TYPES = ("log", "log-log", "plain")


@dataclass(frozen=True)
class Curve:
    """One Kaplan-Meier curve at its distinct times (event or censoring), as R's ``survfit``.

    ``std_log`` is R's ``survfit()$std.err``: the square root of Greenwood's sum
    ``sum d / (n (n - d))``, i.e. the standard error of ``log S`` (infinite once S reaches 0).
    """

    label: object
    n: int
    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    std_log: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def with_start(self) -> dict[str, np.ndarray]:
        """Arrays with R's ``survfit0`` start row added at time 0 (S = 1, SE 0, CI 1 to 1)."""
        cols = {
            "time": self.time,
            "n_risk": self.n_risk,
            "n_event": self.n_event,
            "n_censor": self.n_censor,
            "surv": self.surv,
            "std_log": self.std_log,
            "lower": self.lower,
            "upper": self.upper,
        }
        if len(self.time) and self.time[0] == 0:
            return {k: v.astype(float) for k, v in cols.items()}
        start = {
            "time": 0.0,
            "n_risk": self.n_risk[0] if len(self.n_risk) else 0,
            "n_event": 0,
            "n_censor": 0,
            "surv": 1.0,
            "std_log": 0.0,
            "lower": 1.0,
            "upper": 1.0,
        }
        return {k: np.concatenate([[start[k]], v]).astype(float) for k, v in cols.items()}


def confint(surv: np.ndarray, std_log: np.ndarray, conf_type: str, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise CI of S from the SE of log S, as R's ``survfit_confint(logse = TRUE)``.

    plain: ``S -/+ z S se``, clipped to [0, 1]; log: ``S exp(-/+ z se)``, upper clipped to 1, missing
    where S = 0; log-log: ``S^exp(-/+ z se / log S)``, missing where S is 0 or 1.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            se2 = std_log * surv * z
            return np.maximum(surv - se2, 0.0), np.minimum(surv + se2, 1.0)
        if conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            se2 = z * std_log
            return np.exp(np.log(xx) - se2), np.minimum(np.exp(np.log(xx) + se2), 1.0)
        xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
        se2 = z * std_log / np.log(xx)
        loglog = np.log(-np.log(xx))
        return np.exp(-np.exp(loglog - se2)), np.exp(-np.exp(loglog + se2))


def km_curve(
    label: object,
    unique_times: np.ndarray,
    codes: np.ndarray,
    event: np.ndarray,
    conf_type: str,
    z: float,
) -> Curve:
    """Kaplan-Meier curve of one group from time codes (into ``unique_times``) and 0/1 events."""
    n_times = len(unique_times)
    total = np.bincount(codes, minlength=n_times)
    dead = np.bincount(codes, weights=event, minlength=n_times)
    keep = total > 0
    total, dead = total[keep], dead[keep]
    n_risk = np.cumsum(total[::-1])[::-1].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(dead > 0, (n_risk - dead) / n_risk, 1.0)
        greenwood = np.where(dead > 0, dead / (n_risk * (n_risk - dead)), 0.0)
    surv = np.cumprod(factor)
    std_log = np.sqrt(np.cumsum(greenwood))
    lower, upper = confint(surv, std_log, conf_type, z)
    return Curve(
        label=label,
        n=len(codes),
        time=unique_times[keep],
        n_risk=n_risk,
        n_event=dead,
        n_censor=(total - dead).astype(float),
        surv=surv,
        std_log=std_log,
        lower=lower,
        upper=upper,
    )


def findq(x: np.ndarray, y: np.ndarray, p: float, tol: float = SQRT_EPS) -> float:
    """Time at which the non-decreasing ``y`` (``1 - S``, with a leading 0) reaches ``p``.

    R's ``findq`` inside ``quantile.survfit``: with ``y`` de-duplicated (first occurrence kept) and
    missing values dropped, the quantile is the mean of the first time where ``y >= p - tol`` and the
    first where ``y >= p + tol`` (so a curve lying exactly on ``p`` gives the midpoint of the flat
    stretch); if the curve ends exactly at ``p`` the midpoint runs to the last time. Missing when the
    curve never reaches ``p``. "First" follows R's ``approx()``: the smallest value >= the target.
    """
    if not np.any(np.nan_to_num(y, nan=-np.inf) >= p):
        return float("nan")
    xmax = x[-1]
    first = ~pd.Series(y).duplicated().to_numpy()
    x, y = x[first], y[first]
    ok = ~np.isnan(y)
    index, values = np.flatnonzero(ok), y[ok]

    def smallest_at_least(v: np.ndarray) -> int | None:
        hit = v >= p
        if not hit.any():
            return None
        return int(index[np.argmin(np.where(hit, v, np.inf))])

    i1, i2 = smallest_at_least(values + tol), smallest_at_least(values - tol)
    quant = (x[i1] + x[i2]) / 2 if i1 is not None and i2 is not None else float("nan")
    if p == 0:
        quant = x[0]
    if not np.isnan(y[-1]) and abs(p - y[-1]) < tol and i1 is not None:
        quant = (x[i1] + xmax) / 2
    return float(quant)


def quantile(curve: Curve, p: float) -> tuple[float, float, float]:
    """``quantile.survfit``: the time where ``1 - S`` reaches ``p``, and the same on the CI curves."""
    x = np.concatenate([[0.0], curve.time])
    q = findq(x, np.concatenate([[0.0], 1 - curve.surv]), p)
    lo = findq(x, np.concatenate([[0.0], 1 - curve.lower]), p)
    hi = findq(x, np.concatenate([[0.0], 1 - curve.upper]), p)
    return q, lo, hi


def first_below_half(time: np.ndarray, y: np.ndarray, tol: float = SQRT_EPS) -> float:
    """Median as ``print.survfit`` (``survival:::survmean``'s ``minmin``), used by its table.

    The first time the curve ``y`` is below 0.5 (+ tol); if the curve sits exactly at 0.5 there and
    falls lower later, the midpoint to the time it does. Unlike ``quantile.survfit``, a curve that
    ends exactly at 0.5 gives the time it reached 0.5 (R's two functions differ there).
    """
    keep = ~np.isnan(y) & (y < 0.5 + tol)
    if not keep.any():
        return float("nan")
    x, y = time[keep], y[keep]
    if abs(y[0] - 0.5) < tol and np.any(y < y[0]):
        return float((x[0] + x[np.argmax(y < y[0])]) / 2)
    return float(x[0])


def print_median(curve: Curve) -> tuple[float, float, float]:
    """Median and CI as in ``print(fit)`` / ``summary(fit)$table`` (see :func:`first_below_half`)."""
    arr = curve.with_start()
    q, lo, hi = (first_below_half(arr["time"], arr[k]) for k in ("surv", "lower", "upper"))
    return q, lo, hi


def restricted_mean(curve: Curve, end_time: float) -> tuple[float, float]:
    """Restricted mean survival up to ``end_time`` and its SE, as R's ``survival:::survmean``.

    Area under the step curve from 0 (with R's ``survfit0`` start row) to ``end_time``, the last value
    carried forward; variance ``sum_i A_i^2 d_i / (n_i (n_i - d_i))`` over times ``t_i <= end_time``
    with ``A_i`` the area from ``t_i`` to ``end_time`` (terms with ``n_i = d_i`` are 0, as R).
    """
    arr = curve.with_start()
    time, surv = arr["time"], arr["surv"]
    n_risk, n_event = arr["n_risk"], arr["n_event"]
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(n_risk - n_event == 0, 0.0, n_event / (n_risk * (n_risk - n_event)))
    keep = time <= end_time
    temptime = np.concatenate([time[keep], [end_time]])
    tempsurv = np.concatenate([surv[keep], [surv[keep][-1]]])
    hh = np.concatenate([hh[keep], [0.0]])
    delta = np.diff(np.concatenate([[0.0], temptime]))
    rectangles = delta * np.concatenate([[1.0], tempsurv[:-1]])
    varmean = np.sum(np.cumsum(rectangles[1:][::-1]) ** 2 * hh[::-1][1:])
    return float(np.sum(rectangles)), float(np.sqrt(varmean))


def at_times(curve: Curve, times: np.ndarray) -> dict[str, np.ndarray]:
    """Rows of ``summary.survfit(fit, times, extend = TRUE)`` for one curve (``times`` sorted).

    S, its SE and CI are those of the last distinct time <= t (the time-0 start row before the first
    time); ``n_risk`` is the number at risk at t (0 beyond the last observation); ``n_event`` and
    ``n_censor`` count what happened since the previous requested time.
    """
    arr = curve.with_start()
    index1 = np.searchsorted(arr["time"], times, side="right")
    row = np.maximum(index1, 1) - 1
    index2 = np.searchsorted(arr["time"], times, side="left")
    n_risk = np.concatenate([arr["n_risk"], [0.0]])[index2]

    def delta(x: np.ndarray) -> np.ndarray:
        cum = np.concatenate([[0.0], np.cumsum(x)])[index1]
        return np.diff(np.concatenate([[0.0], cum]))

    with np.errstate(invalid="ignore"):
        std_err = arr["std_log"][row] * arr["surv"][row]
    return {
        "time": times,
        "n_risk": n_risk,
        "n_event": delta(arr["n_event"]),
        "n_censor": delta(arr["n_censor"]),
        "survival": arr["surv"][row],
        "std_err": std_err,
        "ci_lower": arr["lower"][row],
        "ci_upper": arr["upper"][row],
    }
