"""Input checks shared by the statistical functions: clear messages naming column, rows and fix."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from cartsie.errors import InputError

ID_COLUMN = "patient_id"


def describe_rows(df: pd.DataFrame, mask: np.ndarray | pd.Series, limit: int = 5) -> str:
    """Name the rows selected by ``mask``: patient ids when the frame has them, else index labels."""
    mask = np.asarray(mask, dtype=bool)
    labels = df[ID_COLUMN] if ID_COLUMN in df.columns else pd.Series(df.index, index=df.index)
    picked = [str(v) for v in labels[mask].tolist()]
    what = "patient_id" if ID_COLUMN in df.columns else "row"
    shown = ", ".join(picked[:limit])
    more = f" and {len(picked) - limit} more" if len(picked) > limit else ""
    return f"{what} {shown}{more}"


def require_columns(df: pd.DataFrame, columns: Iterable[str], func: str) -> None:
    """Raise :class:`InputError` listing every name in ``columns`` that ``df`` lacks."""
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"{func}() needs a pandas DataFrame, got {type(df).__name__}.")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        present = ", ".join(map(str, df.columns[:20]))
        raise InputError(
            f"{func}(): column(s) {', '.join(map(repr, missing))} not found in the data "
            f"(columns present: {present}). Pass the name of an existing column."
        )


def numeric(df: pd.DataFrame, column: str, func: str) -> pd.Series:
    """Return ``df[column]`` as float, raising on text that is not a number (missing stays NaN)."""
    raw = df[column]
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype(float)
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna()
    if bad.any():
        examples = ", ".join(repr(v) for v in raw[bad].astype(str).unique()[:3])
        raise InputError(
            f"{func}(): column {column!r} holds values that are not numbers ({examples}) at "
            f"{describe_rows(df, bad)}. Convert them to numbers or set them missing."
        )
    return values.astype(float, copy=False)


def complete_cases(df: pd.DataFrame, columns: Sequence[str], func: str) -> tuple[pd.DataFrame, int]:
    """Rows of ``df`` with no missing value in ``columns`` (as R's ``na.omit``) and how many dropped.

    Every function that drops incomplete rows reports the count in its result (``n_missing``), as
    R's "observations deleted due to missingness". The rows come with ``columns`` only (and
    ``patient_id``, which messages name): copying every column of a wide analysis table for each
    model is what made fits on 100,000 patients slow.
    """
    require_columns(df, columns, func)
    wanted = list(dict.fromkeys(columns))
    keep = df[wanted].notna().all(axis=1)
    if ID_COLUMN in df.columns and ID_COLUMN not in wanted:
        wanted.append(ID_COLUMN)
    return df.loc[keep, wanted], int((~keep).sum())


def time_event(
    df: pd.DataFrame,
    time: str,
    event: str,
    func: str,
    codes: Iterable[int] = (0, 1),
) -> tuple[np.ndarray, np.ndarray]:
    """Validated float times (finite, >= 0) and integer event codes (each in ``codes``).

    ``df`` must already be free of missing values in ``time`` and ``event``.
    """
    t = numeric(df, time, func).to_numpy()
    e_float = numeric(df, event, func).to_numpy()
    if not np.all(np.isfinite(t)):
        raise InputError(
            f"{func}(): column {time!r} has infinite times at "
            f"{describe_rows(df, ~np.isfinite(t))}. Give finite follow-up times."
        )
    if np.any(t < 0):
        raise InputError(
            f"{func}(): column {time!r} has negative times at {describe_rows(df, t < 0)}. "
            "Times are measured from the origin (infusion) and cannot be negative."
        )
    allowed = sorted(set(int(c) for c in codes))
    bad = ~np.isin(e_float, allowed)
    if bad.any():
        found = sorted(set(e_float[bad].tolist()))
        raise InputError(
            f"{func}(): column {event!r} holds codes {found} at {describe_rows(df, bad)}; "
            f"allowed codes are {allowed}. Recode the event column (0 = censored)."
        )
    return t.astype(float), e_float.astype(int)
