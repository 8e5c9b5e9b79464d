"""The sample median with its exact distribution-free confidence interval (see :func:`median_ci`)."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from cartsie._results import Result
from cartsie.errors import InputError

__all__ = ["MedianCI", "median_ci"]

#: R's qbinom lowers p by this many machine epsilons before its search ("fuzz to ensure left
#: continuity", R >= 4.1's qDiscrete_search.h), so that a p equal to a cdf value up to rounding
#: gives that value's k
_QBINOM_FUZZ = 8 * sys.float_info.epsilon


@dataclass(frozen=True, repr=False)
class MedianCI(Result):
    """The sample median and its exact (binomial, sign-test) confidence interval; see :func:`median_ci`.

    Parameters
    ----------
    median : float
        The sample median (R's ``median``: the mean of the two middle values for an even n).
    ci_lower, ci_upper : float
        The order statistics ``x_(k)`` and ``x_(n-k+1)``; ``-inf`` and ``inf`` when ``k = 0`` (the
        sample is too small for an interval inside it at ``conf_level``).
    n : int
        Values used (not missing).
    conf_level : float
        The confidence level asked for.
    coverage : float
        The interval's exact coverage, ``1 - 2 P(X <= k - 1)`` for X ~ Binomial(n, 1/2), at least
        ``conf_level`` (1 when ``k = 0``); DescTools' ``attr(, "conf.level")``.
    k : int
        The rank of the lower limit, R's ``qbinom((1 - conf_level) / 2, n, 0.5)``.
    n_missing : int
        Missing values dropped.
    """

    median: float
    ci_lower: float
    ci_upper: float
    n: int
    conf_level: float
    coverage: float
    k: int
    n_missing: int = 0

    @property
    def summary(self) -> pd.DataFrame:
        """One row: median, ci_lower, ci_upper, n, conf_level, coverage."""
        return pd.DataFrame(
            {
                "median": [self.median],
                "ci_lower": [self.ci_lower],
                "ci_upper": [self.ci_upper],
                "n": [self.n],
                "conf_level": [self.conf_level],
                "coverage": [self.coverage],
            }
        )

    _title = "Median with its exact (binomial) CI"

    def _tidy(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "term": ["median"],
                "estimate": [self.median],
                "ci_lower": [self.ci_lower],
                "ci_upper": [self.ci_upper],
            }
        )

    def _glance(self) -> dict:
        return {"n": self.n, "n_missing": self.n_missing, "conf_level": self.conf_level, "k": self.k}


def _values(x, func: str) -> np.ndarray:
    """A 1-D float array (NaN for missing) from a list, array or Series; text is refused, not coerced."""
    if isinstance(x, pd.DataFrame):
        raise InputError(f"{func}(): give one column (df[name]), not a DataFrame.")
    raw = x if isinstance(x, pd.Series) else np.asarray(x)
    if raw.dtype.kind in "US":  # a list mixing text and numbers: keep each element's own type
        raw = np.asarray(x, dtype=object)
    if raw.ndim > 1 and sum(d > 1 for d in raw.shape) > 1:
        raise InputError(f"{func}(): give one sample (a 1-D sequence of numbers), got shape {raw.shape}.")
    if pd.api.types.is_numeric_dtype(raw.dtype):  # numbers (and booleans, Int64 with pd.NA)
        s = raw if isinstance(raw, pd.Series) else pd.Series(raw.ravel())
        return s.to_numpy(dtype=float, na_value=np.nan)
    values = np.asarray(raw, dtype=object).ravel()
    bad = [v for v in values.tolist() if not pd.isna(v) and not isinstance(v, int | float | np.number)]
    if bad:
        raise InputError(f"{func}(): x must hold numbers; got {bad[:3]!r}.")
    return pd.Series(values).astype(float).to_numpy()


def _qbinom_half(p: float, n: int) -> int:
    """R's ``qbinom(p, n, 0.5)``: the smallest k with P(X <= k) >= p (p fuzzed down as R does)."""
    target = p * (1 - _QBINOM_FUZZ)
    # a start from the inverse of the cdf in k (scipy.special, which scipy.stats.binom also uses;
    # importing scipy.stats costs ~0.5 s), then settled on the cdf itself as R's search does
    start = special.bdtrik(target, n, 0.5)
    k = min(max(int(np.floor(start)) if np.isfinite(start) else 0, 0), n)
    while k > 0 and special.bdtr(k - 1, n, 0.5) >= target:
        k -= 1
    while k < n and special.bdtr(k, n, 0.5) < target:
        k += 1
    return k


def median_ci(x, conf_level: float = 0.95) -> MedianCI:
    """Compute the sample median and its exact distribution-free confidence interval.

    Parameters
    ----------
    x : array-like or Series
        One sample of numbers; missing values (NaN, None, pd.NA) are dropped and counted in
        ``n_missing``.
    conf_level : float
        The confidence level, in (0, 1).

    Returns
    -------
    MedianCI
        ``.median``, ``.ci_lower``, ``.ci_upper``, ``.n``, ``.conf_level``, ``.coverage`` (the exact
        coverage achieved), ``.k`` and ``.n_missing``; ``.summary`` is one row.

    Notes
    -----
    The interval is built from order statistics, assuming only that the values are independent
    draws of one continuous distribution (the sign-test interval; Lehmann 1975, pp. 182-183). With
    ``k = qbinom((1 - conf_level) / 2, n, 0.5)`` -- the smallest k with P(X <= k) >= (1 -
    conf_level) / 2 for X ~ Binomial(n, 1/2) -- the CI is ``(x_(k), x_(n-k+1))`` of the sorted
    values, and its exact coverage ``1 - 2 P(X <= k - 1)`` is at least ``conf_level`` (it is
    ``.coverage``; the interval is conservative because X is discrete). Ties need no special
    treatment: the limits are order statistics of the values as given.

    R: ``DescTools::MedianCI(x, conf.level = conf_level, method = "exact", na.rm = TRUE)`` (its
    two-sided ``MedianCI_Binom``, "the SAS way"), which this matches, including its rule for small
    samples and R's ``qbinom`` (whose p is lowered by 8 machine epsilons so that a p equal to a cdf
    value picks that value's k).

    Small samples. When ``k = 1`` the interval is the whole range ``(min(x), max(x))``: at 95% for
    n = 6 to 8, at 90% for n = 5 to 7, at 99% for n = 8 to 11. When ``k = 0`` no interval inside the
    sample reaches ``conf_level`` (even the range covers only ``1 - 2^(1 - n)``): the CI is
    ``(-inf, inf)`` with coverage 1, as DescTools returns; at 95% for n <= 5, at 90% for n <= 4, at
    99% for n <= 7. A single value has this infinite CI at any usual level.

    This interval is the one to compare a published median with: a reproduced median's CI, not its
    IQR (which describes the spread of the values, not the uncertainty of the median).

    Examples
    --------
    >>> from cartsie.descriptive import median_ci
    >>> r = median_ci([66, 71.2, 83, 83.6, 101, 107.6, 122, 143, 160, 177, 414])
    >>> r.median, r.ci_lower, r.ci_upper, r.k, round(r.coverage, 4)
    (107.6, 71.2, 177.0, 2, 0.9883)
    >>> median_ci([3.0, 1.0, 2.0]).ci_upper   # n = 3: too few for a 95% interval inside the sample
    inf
    """
    func = "median_ci"
    if (
        isinstance(conf_level, bool)
        or not isinstance(conf_level, int | float | np.floating)
        or not 0 < conf_level < 1
    ):
        raise InputError(f"{func}(): conf_level must be a number between 0 and 1, got {conf_level!r}.")
    values = _values(x, func)
    missing = np.isnan(values)
    v = np.sort(values[~missing])
    if np.isinf(v).any():
        raise InputError(f"{func}(): x has {int(np.isinf(v).sum())} infinite value(s); give finite numbers.")
    n = int(v.size)
    if n == 0:
        raise InputError(
            f"{func}(): no value to take the median of ({int(missing.sum())} missing, none known); "
            "give at least one number."
        )
    conf_level = float(conf_level)
    k = _qbinom_half((1 - conf_level) / 2, n)
    if k == 0:
        lower, upper, coverage = -math.inf, math.inf, 1.0
    else:
        lower, upper = float(v[k - 1]), float(v[n - k])
        coverage = float(1 - 2 * special.bdtr(k - 1, n, 0.5))
    return MedianCI(
        median=float(np.median(v)),
        ci_lower=lower,
        ci_upper=upper,
        n=n,
        conf_level=conf_level,
        coverage=coverage,
        k=k,
        n_missing=int(missing.sum()),
    )
