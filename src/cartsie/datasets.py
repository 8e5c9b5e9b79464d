"""Example data shipped with cartsie (a 12-patient cohort in the input schema, with its labs)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd


def example_path(name: str) -> Path:
    """Path of an example file shipped with cartsie (``example_patients.csv``, ``example_labs.csv``)."""
    return Path(str(resources.files("cartsie") / "data" / name))


def example_patients() -> pd.DataFrame:
    """The example patients table, as written (12 patients)."""
    return pd.read_csv(example_path("example_patients.csv"))


def example_labs() -> pd.DataFrame:
    """The example labs table (long: one row per blood draw)."""
    return pd.read_csv(example_path("example_labs.csv"))
