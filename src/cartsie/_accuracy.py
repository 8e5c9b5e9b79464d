"""Engines of :mod:`cartsie.discrimination`: exact and likelihood-ratio CIs of epiR's accuracy
measures, and DeLong's placement values (pROC's ``delong`` structural components)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def _clopper_pearson(k: int, n: int, conf_level: float) -> tuple[float, float, float]:
    if n == 0:
        return math.nan, math.nan, math.nan
    # the beta quantiles of R's binom.test, by the incomplete-beta inverse scipy.stats.beta.ppf calls
    # (the same numbers; importing scipy.stats costs ~0.5 s)
    from scipy import special

    a = (1 - conf_level) / 2
    lower = 0.0 if k == 0 else float(special.betaincinv(k, n - k + 1, a))
    upper = 1.0 if k == n else float(special.betaincinv(k + 1, n - k, 1 - a))
    return k / n, lower, upper


def _likelihood_ratios(tp, fp, fn, tn, z):
    """epiR's formulas, with R's arithmetic of 0, Inf and NaN (numpy's, warnings silenced)."""
    m1, m0 = float(tp + fn), float(fp + tn)
    with np.errstate(divide="ignore", invalid="ignore"):
        se, sp = np.float64(tp) / m1, np.float64(tn) / m0
        pos = se / (1 - sp)
        spread_pos = z * np.sqrt((1 - se) / (m1 * se) + sp / (m0 * (1 - sp)))
        neg = (1 - se) / sp
        spread_neg = z * np.sqrt(se / (m1 * (1 - se)) + (1 - sp) / (m0 * sp))
        rows = []
        for est, spread in ((pos, spread_pos), (neg, spread_neg)):
            rows.append(
                (float(est), float(np.exp(np.log(est) - spread)), float(np.exp(np.log(est) + spread)))
            )
    return rows


def _youden(se: tuple, sp: tuple) -> tuple[float, float, float]:
    """epiR's Youden index ``se + sp - 1``; limits from the exact limits of se and sp (lower with
    lower, upper with upper), the smaller first."""
    one = se[1] + sp[1] - 1
    two = se[2] + sp[2] - 1
    if math.isnan(one) or math.isnan(two):  # R's min() / max() propagate NaN
        return se[0] + sp[0] - 1, math.nan, math.nan
    return se[0] + sp[0] - 1, min(one, two), max(one, two)


def _diagnostic_odds_ratio(tp, fp, fn, tn, z) -> tuple[float, float, float]:
    """epiR's ``(a d) / (b c)`` with CI ``exp(log DOR -/+ z sqrt(1/a + 1/b + 1/c + 1/d))`` (Woolf),
    with R's arithmetic of 0, Inf and NaN."""
    a, b, c, d = (np.float64(v) for v in (tp, fp, fn, tn))
    with np.errstate(divide="ignore", invalid="ignore"):
        dor = (a * d) / (b * c)
        spread = z * np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        return float(dor), float(np.exp(np.log(dor) - spread)), float(np.exp(np.log(dor) + spread))


def _placements(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's placement values from mid-ranks (Sun & Xu 2014), O(n log n).

    For a case, the fraction of controls below it (ties count 1/2); for a control, the fraction of
    cases above it (ties 1/2): ``V10 = (rank among all - rank among cases) / n_controls``,
    ``V01 = 1 - (rank among all - rank among controls) / n_cases`` with average ranks.
    """
    cases, controls = s[y == 1], s[y == 0]
    m, n = len(cases), len(controls)
    everything = _midranks(np.concatenate([cases, controls]))
    v10 = (everything[:m] - _midranks(cases)) / n
    v01 = 1 - (everything[m:] - _midranks(controls)) / m
    return v10, v01


def _midranks(x: np.ndarray) -> np.ndarray:
    # scipy.stats.rankdata(x) ("average"), through pandas: the same ranks without importing
    # scipy.stats (~0.5 s at the first AUC of a run)
    return pd.Series(x).rank(method="average").to_numpy()
