"""Test of proportional hazards as R's ``cox.zph`` (survival >= 3.0), from the formulas.

For a time transform g(t) centred at its mean over the events, the model with the extra terms
x g(t) is scored at (beta_hat, 0): the statistic for a covariate term with columns J is
U' I^-1 U on the rows/columns (all of beta, the J time-interactions) of the full 2p x 2p
information matrix, with U = (0, sum_k g_k U_k[J]); GLOBAL uses all 2p. survival 3.0 changed the
test to this score test using the full information (earlier versions used an approximation from
the scaled Schoenfeld residuals and the variance of beta).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cartsie._dist import chi2_sf
from cartsie.errors import InputError
from cartsie.survival._cox import CoxData, zph_pieces

TRANSFORMS = ("km", "rank", "identity", "log")


def transformed_time(time: np.ndarray, status: np.ndarray, transform: str) -> np.ndarray:
    """g(t) for each row (any order) as ``cox.zph``; "km" is 1 - S(t-) of the pooled Kaplan-Meier."""
    if transform == "identity":
        return time.astype(float)
    if transform == "rank":
        from scipy import stats  # scipy.stats on first use: importing it costs ~0.5 s

        return stats.rankdata(time, method="average")
    if transform == "log":
        if np.any(time <= 0):
            raise InputError(
                "check_ph(transform='log'): some times are 0, whose log is -inf. Use "
                "transform='km', 'rank' or 'identity', or drop the zero times."
            )
        return np.log(time)
    if transform == "km":
        uniq, inv, counts = np.unique(time, return_inverse=True, return_counts=True)
        dead = np.bincount(inv, weights=status, minlength=len(uniq))
        n_risk = np.cumsum(counts[::-1])[::-1]
        surv = np.cumprod(1 - dead / n_risk)
        return 1 - np.concatenate([[1.0], surv])[inv]
    raise InputError(f"check_ph(): transform must be one of {', '.join(TRANSFORMS)}; got {transform!r}.")


def zph_table(
    data: CoxData, beta: np.ndarray, terms: Sequence[tuple[str, Sequence[int]]], transform: str
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Chi-square, df and p for each term (name, column indices) and GLOBAL."""
    g = transformed_time(data.time, data.status, transform)
    g = g - g[data.status == 1].mean()
    u2, imat = zph_pieces(data, beta, g)
    p = len(beta)
    names, chisq, df = [], [], []
    for name, cols in terms:
        kk = np.concatenate([np.arange(p), p + np.asarray(cols)])
        u = np.concatenate([np.zeros(p), u2[list(cols)]])
        chisq.append(float(u @ np.linalg.solve(imat[np.ix_(kk, kk)], u)))
        df.append(len(cols))
        names.append(name)
    u = np.concatenate([np.zeros(p), u2])
    chisq.append(float(u @ np.linalg.solve(imat, u)))
    df.append(p)
    names.append("GLOBAL")
    chisq_arr, df_arr = np.array(chisq), np.array(df)
    return names, chisq_arr, df_arr, chi2_sf(chisq_arr, df_arr)
