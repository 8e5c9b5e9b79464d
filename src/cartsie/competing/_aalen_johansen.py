"""Aalen-Johansen cumulative incidence and its variance, written from the formulas that
``cmprsk::cuminc`` (Gray, 2.2) documents and computes.

For one group with distinct times ``u_1 < ... < u_K``, ``Y_k`` subjects at risk, ``d1_k`` events of
the cause and ``d2_k`` events of any other cause at ``u_k`` (``d_k = d1_k + d2_k``):

- overall Kaplan-Meier ``S(u_k) = prod_{m <= k} (1 - d_m / Y_m)``;
- cumulative incidence ``F(u_k) = sum_{m <= k} S(u_{m-1}) d1_m / Y_m`` (ties handled exactly, no
  jitter);
- cuminc's delta-method variance: with ``a_m = S(u_{m-1})^2 t(d) d / Y_m^2`` for each kind of event
  (``t(d) = 1 - (d - 1) / (Y_m - 1)`` the tie correction, 1 when ``d = 1``) and ``F_m = F(u_m)``,
  accumulate ``v1 += h^2 a``, ``v2 += g h a``, ``v3 += g^2 a``, where for the other causes
  ``g = 1 / S(u_m)``, ``h = F_m / S(u_m)`` (skipped when ``S(u_m) = 0``) and for the cause
  ``g = 1 / S(u_m)`` (0 when ``S(u_m) = 0``), ``h = 1 + g F_m``; then
  ``Var F(u_k) = v1 + F_k^2 v3 - 2 F_k v2``. As in cuminc, the variance is recorded only at the
  cause's event times, so between two of them it stays at its value at the earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONF_TYPES = ("log-log", "log", "plain")


@dataclass(frozen=True)
class Incidence:
    """One cumulative incidence curve: values after each jump (the cause's distinct event times)."""

    jump_time: np.ndarray
    estimate: np.ndarray
    variance: np.ndarray
    last_time: float  # the group's largest observed time (event or censoring)
    n: int
    n_events: int

    def at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Estimate and variance at ``times`` as ``cmprsk::timepoints``: the value at the last jump at
        or before ``t`` (0 before the first), NaN for ``t < 0`` or beyond the group's last time."""
        times = np.asarray(times, dtype=float)
        idx = np.searchsorted(self.jump_time, times, side="right")
        est = np.r_[0.0, self.estimate][idx]
        var = np.r_[0.0, self.variance][idx]
        outside = (times > self.last_time) | (times < 0) | np.isnan(times)
        return np.where(outside, np.nan, est), np.where(outside, np.nan, var)


def blocks(t_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index of each run of equal values in sorted ``t`` and the number of rows at risk there."""
    n = len(t_sorted)
    start = np.flatnonzero(np.r_[True, t_sorted[1:] != t_sorted[:-1]]) if n else np.zeros(0, int)
    return start, n - start


def _tie_factor(d: np.ndarray, at_risk: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 1, 1.0 - (d - 1.0) / (at_risk - 1.0), 1.0)


def incidence(
    times: np.ndarray, at_risk: np.ndarray, d_any: np.ndarray, d_cause: np.ndarray, last_time: float, n: int
) -> Incidence:
    """Cumulative incidence of one cause in one group from counts per distinct time.

    ``times`` ascending; ``at_risk`` the number with time >= each; ``d_any`` the events of any cause
    and ``d_cause`` those of the cause there. Times without an event may be included or left out:
    they change neither the estimate nor cuminc's variance at the event times (their factors are
    exactly 1 and their increments exactly 0), so only the times with an event are used.
    """
    rows = d_any > 0
    at_risk, d, d1 = at_risk[rows], d_any[rows], d_cause[rows]
    d2 = d - d1
    surv = np.cumprod(1.0 - d / at_risk)
    surv_before = np.r_[1.0, surv[:-1]]
    cif = np.cumsum(surv_before * d1 / at_risk)
    alive = surv > 0
    inv_s = np.divide(1.0, surv, out=np.zeros_like(surv), where=alive)
    # other causes (cuminc skips them once S reaches 0)
    a2 = np.where((d2 > 0) & alive, surv_before**2 * _tie_factor(d2, at_risk) * d2 / at_risk**2, 0.0)
    h2 = cif * inv_s
    # the cause itself
    a1 = np.where(d1 > 0, surv_before**2 * _tie_factor(d1, at_risk) * d1 / at_risk**2, 0.0)
    h1 = 1.0 + inv_s * cif
    v1 = np.cumsum(h2 * h2 * a2 + h1 * h1 * a1)
    v2 = np.cumsum(inv_s * h2 * a2 + inv_s * h1 * a1)
    v3 = np.cumsum(inv_s * inv_s * (a2 + a1))
    jumps = d1 > 0
    f = cif[jumps]
    var = v1[jumps] + f * f * v3[jumps] - 2.0 * f * v2[jumps]
    return Incidence(times[rows][jumps], f, var, float(last_time), int(n), int(d1.sum()))


def confint(est: np.ndarray, var: np.ndarray, conf_type: str, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise CI of a cumulative incidence ``F`` with standard error ``se = sqrt(var)``.

    log-log (default, Pintilie 2006, as commonly used with cuminc): ``F^exp(+/- z se / (F log F))``,
    missing where F is 0 or 1; log: ``F exp(-/+ z se / F)``, upper clipped to 1, missing where F = 0;
    plain: ``F -/+ z se`` clipped to [0, 1].
    """
    est = np.asarray(est, dtype=float)
    se = np.sqrt(np.asarray(var, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            return np.clip(est - z * se, 0.0, 1.0), np.clip(est + z * se, 0.0, 1.0)
        if conf_type == "log":
            f = np.where(est > 0, est, np.nan)
            return f * np.exp(-z * se / f), np.minimum(f * np.exp(z * se / f), 1.0)
        f = np.where((est > 0) & (est < 1), est, np.nan)
        k = z * se / (f * np.log(f))  # negative
        return f ** np.exp(-k), f ** np.exp(k)
