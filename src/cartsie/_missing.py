"""The warning a model gives when it leaves rows out for missing values (R's "observations deleted
due to missingness")."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd

from cartsie.errors import MissingValuesWarning

__all__ = ["MissingValuesWarning", "describe_missing", "warn_dropped"]


def describe_missing(df: pd.DataFrame, columns: Sequence[str | None]) -> str:
    """``"ldh_above_uln: 82, ipi: 3"``: missing values per column (those with any), in the order given."""
    cols = [c for c in dict.fromkeys(columns) if c is not None and c in df.columns]
    counts = df[cols].isna().sum()
    return ", ".join(f"{c}: {int(k)}" for c, k in counts.items() if k)


def warn_dropped(func: str, df: pd.DataFrame, columns: Sequence[str | None], n_missing: int, stacklevel: int):
    """Warn, naming ``func``, that ``n_missing`` of the rows of ``df`` were left out (nothing if 0)."""
    if not n_missing:
        return
    warnings.warn(
        f"{func}(): {n_missing} of {len(df)} rows left out for missing values "
        f"({describe_missing(df, columns)}), as R's 'observations deleted due to missingness'; "
        "the count is in the result's n_missing.",
        MissingValuesWarning,
        stacklevel=stacklevel + 1,
    )
