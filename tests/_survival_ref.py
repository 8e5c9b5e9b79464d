"""Read the R fixtures of tests/reference/survival.R back into DataFrames and arrays."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from tests.reference.tolerances import load, r_array


@cache
def fixture() -> dict:
    return load("survival")


def column(values: list) -> pd.Series:
    """An R column: numbers (with "NA"/"NaN"/"Inf" strings) as float, text as object (None = NA)."""
    try:
        return pd.Series(r_array(values))
    except KeyError:
        return pd.Series(values, dtype=object)


def frame(name: str) -> pd.DataFrame:
    """The input data set ``name`` as R had it."""
    data = fixture()["data"][name]
    return pd.DataFrame({k: column(v) for k, v in data.items()})


def matrix(values) -> np.ndarray:
    """A matrix written by jsonlite (a list of rows); a bare number is a 1 x 1 matrix."""
    if not isinstance(values, list):
        return np.array([[float(values)]])
    return np.array([r_array(row) for row in values], dtype=float)


def none_if_empty(value):
    """jsonlite writes R's NULL inside a list as {} or []."""
    return None if value in ({}, []) else value
