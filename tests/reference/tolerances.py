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
