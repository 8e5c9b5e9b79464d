"""The one tolerance policy for comparisons with R (STYLE.md item 7).

Estimates, standard errors and confidence limits agree with R to ``RTOL`` relative; p-values to
``P_ATOL`` absolute. Any looser tolerance is declared here, with the reason, and nowhere else.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent

RTOL = 1e-6
#: guards relative comparisons of quantities that are exactly zero in R's output
ATOL_ZERO = 1e-12
P_ATOL = 1e-6


def load(name: str) -> dict:
    """Load ``tests/reference/<name>.json`` written by the R script of the same stem."""
    with open(HERE / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)


def r_array(values) -> np.ndarray:
    """R's JSON (jsonlite, ``digits = NA``) as a float array; ``null``/"NA"/"NaN"/"Inf" mapped."""
    special = {None: np.nan, "NA": np.nan, "NaN": np.nan, "Inf": np.inf, "-Inf": -np.inf}
    values = values if isinstance(values, list) else [values]
    return np.array([v if isinstance(v, int | float) else special[v] for v in values], dtype=float)


def assert_estimates(actual, expected, rtol: float = RTOL, what: str = "") -> None:
    """Estimates, SEs and CIs: relative tolerance ``rtol`` (NaN must match NaN)."""
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float),
        r_array(expected),
        rtol=rtol,
        atol=ATOL_ZERO,
        equal_nan=True,
        err_msg=what,
    )


def assert_p(actual, expected, atol: float = P_ATOL, what: str = "") -> None:
    """p-values: absolute tolerance ``atol``."""
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float),
        r_array(expected),
        rtol=0,
        atol=atol,
        equal_nan=True,
        err_msg=what,
    )


# --- cartsie.descriptive / binary / adjust / discrimination (issue 4) ---------------------------

#: R's fisher.test finds the conditional MLE odds ratio and its CI limits with uniroot() at its
#: default tolerance .Machine$double.eps^0.25 (~1.22e-4), on the scale t in (0, 1) with OR = t or
#: 1/t. Its printed values are compared on that scale with this absolute tolerance; the exact values
#: (same equations solved with tol 1e-13 in descriptive.R) are compared with RTOL.
FISHER_UNIROOT_ATOL = 1.22e-4

#: Monte Carlo p-values (R's simulate.p.value) are random: they are compared with the exact p-value
#: within this many binomial standard errors sqrt(p (1 - p) / B), plus 1 / (B + 1).
MC_SIGMAS = 4.0

#: MASS's confint.glm (profile likelihood) interpolates a spline through a grid of the profile
#: (profile.glm, del = zmax / 5), so its limits are off by up to ~5e-4 standard errors in our data
#: sets. Our limits are exact roots of the profile deviance; they are compared with RTOL to the exact
#: roots computed in binary.R (uniroot on the profile deviance, tol 1e-12) and to MASS's printout
#: within this fraction of the coefficient's standard error.
MASS_PROFILE_SE_FRACTION = 2e-3
