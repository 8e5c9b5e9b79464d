"""Normal and chi-squared quantiles and tail probabilities, from the ``scipy.special`` functions that
``scipy.stats.norm`` and ``scipy.stats.chi2`` evaluate them with (the same values, bit for bit), so
that a statistical module need not import ``scipy.stats`` (about half a second) for a p-value.

Out-of-range arguments give what ``scipy.stats`` gives: NaN for a probability outside [0, 1] or
degrees of freedom <= 0, tail probability 1 at or below 0 for the chi-squared distribution.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def norm_ppf(q):
    """``scipy.stats.norm.ppf(q)``: R's ``qnorm(q)``."""
    return special.ndtri(q)


def norm_sf(x):
    """``scipy.stats.norm.sf(x)``: R's ``pnorm(x, lower.tail = FALSE)``."""
    return special.ndtr(-np.asarray(x, dtype=float))[()]


def chi2_sf(x, df):
    """``scipy.stats.chi2.sf(x, df)``: R's ``pchisq(x, df, lower.tail = FALSE)``."""
    x, df = np.asarray(x, dtype=float), np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.where(x <= 0, 1.0, special.chdtrc(df, x))
    return np.where((df > 0) & ~np.isnan(x), out, np.nan)[()]


def chi2_ppf(q, df):
    """``scipy.stats.chi2.ppf(q, df)`` for 0 < q < 1: R's ``qchisq(q, df)``."""
    return 2 * special.gammaincinv(np.asarray(df, dtype=float) / 2, q)
