"""Read the R fixtures of tests/reference/competing.R back into DataFrames and arrays."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from tests.reference.tolerances import load, r_array


@cache
def fixture() -> dict:
    return load("competing")


def frame(name: str) -> pd.DataFrame:
    """The input data set ``name`` as R had it (jsonlite rows; null = NA)."""
    return pd.DataFrame(fixture()["datasets"][name])


def as_list(value) -> list:
    """jsonlite unboxes length-1 vectors; make them lists again."""
    return value if isinstance(value, list) else [value]


def matrix(values) -> np.ndarray:
    """A matrix written row by row by the R script (a bare number is 1 x 1)."""
    rows = as_list(values)
    return np.array([r_array(row) for row in rows], dtype=float)


def none_if_empty(value):
    """jsonlite writes R's NULL inside a list as {} or []."""
    return None if value in ({}, [], None) else value


def r_term(term: str, covariates: list[str]) -> str:
    """cartsie's name of an R model-matrix column: ``grp3B`` -> ``grp3[B]``, numeric names unchanged."""
    if term in covariates:
        return term
    for cov in sorted(covariates, key=len, reverse=True):
        if term.startswith(cov):
            return f"{cov}[{term[len(cov) :]}]"
    raise KeyError(term)
