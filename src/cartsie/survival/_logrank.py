"""The log-rank test (G-rho with rho = 0), as R's ``survdiff``, written from the formulas.

At each distinct event time t of a stratum, with n at risk, d events, and n_g at risk in group g:
expected E_g += d n_g / n and, when n > 1, the hypergeometric covariance
V += d (n - d) / (n (n - 1)) [diag(n_g) - n_g n_g' / n]. Observed, expected and V are summed over
strata. The statistic is (O - E)' V^- (O - E) computed, as R, on the groups with E > 0 dropping the
first of them; df = (number of groups with E > 0) - 1.
"""

from __future__ import annotations

import numpy as np


def survdiff(
    time_code: np.ndarray,
    n_times: int,
    event: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    strata: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed (G,), expected (G,) and covariance (G, G) of the log-rank test, summed over strata."""
    observed = np.bincount(group, weights=event, minlength=n_groups).astype(float)
    expected = np.zeros(n_groups)
    var = np.zeros((n_groups, n_groups))
    if strata is None:
        slices = [np.arange(len(time_code))]
    else:
        order = np.argsort(strata, kind="stable")
        bounds = np.flatnonzero(np.diff(strata[order])) + 1
        slices = np.split(order, bounds)
    for rows in slices:
        e_s, v_s = _one_stratum(time_code[rows], n_times, event[rows], group[rows], n_groups)
        expected += e_s
        var += v_s
    return observed, expected, var


def _one_stratum(
    time_code: np.ndarray, n_times: int, event: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    key = time_code * n_groups + group
    size = n_times * n_groups
    at_time = np.bincount(key, minlength=size).reshape(n_times, n_groups).astype(float)
    dead = np.bincount(time_code, weights=event, minlength=n_times)
    present = at_time.sum(axis=1) > 0
    at_time, dead = at_time[present], dead[present]
    risk_g = np.cumsum(at_time[::-1], axis=0)[::-1]  # n_g(t): at risk in each group
    risk = risk_g.sum(axis=1)
    has_death = dead > 0
    risk_g, risk, dead = risk_g[has_death], risk[has_death], dead[has_death]
    expected = (dead / risk) @ risk_g
    multi = risk > 1
    risk_g, risk, dead = risk_g[multi], risk[multi], dead[multi]
    c = dead * (risk - dead) / (risk * (risk - 1))
    var = np.diag(c @ risk_g) - (risk_g * (c / risk)[:, None]).T @ risk_g
    return expected, var


def chisq(observed: np.ndarray, expected: np.ndarray, var: np.ndarray) -> tuple[float, int]:
    """R's survdiff statistic and df (groups with expected > 0, the first of them dropped)."""
    used = expected > 0
    df = int(used.sum()) - 1
    diff = (observed - expected)[used][1:]
    vv = var[np.ix_(used, used)][1:, 1:]
    stat = float(diff @ np.linalg.solve(vv, diff)) if df >= 1 else 0.0
    return stat, df
