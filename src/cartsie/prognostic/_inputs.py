"""Checks shared by :func:`calibration` and :func:`net_benefit`: predicted risks, the time horizon,
thresholds, and the rows left out for missing values (counted, and said in a warning)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartsie._checks import describe_rows, numeric
from cartsie._missing import warn_dropped
from cartsie.errors import InputError


def risk_values(frame: pd.DataFrame, risk: str, func: str) -> np.ndarray:
    """``frame[risk]`` as floats, every value a probability in [0, 1] (else :class:`InputError`
    naming the column, the rows and the fix)."""
    p = numeric(frame, risk, func).to_numpy(dtype=float)
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if bad.any():
        shown = ", ".join(f"{v:g}" for v in np.unique(p[bad])[:3])
        raise InputError(
            f"{func}(): column {risk!r} holds values outside [0, 1] ({shown}) at "
            f"{describe_rows(frame, bad)}. Give predicted risks as probabilities (a percentage "
            "divided by 100; a linear predictor or score turned into a risk first)."
        )
    return p


def horizon(at, time: str, func: str) -> float:
    """The time horizon ``at``: a finite positive number (in the unit of ``time``)."""
    if (
        isinstance(at, bool)
        or not isinstance(at, int | float | np.integer | np.floating)
        or not (np.isfinite(at) and at > 0)
    ):
        raise InputError(
            f"{func}(): at must be one positive time (in the unit of {time!r}) at which the risks are "
            f"predicted; got {at!r}."
        )
    return float(at)


def thresholds_of(thresholds, func: str) -> np.ndarray:
    """Threshold probabilities, each strictly between 0 and 1, sorted, without repeats."""
    if thresholds is None:
        return np.round(np.arange(1, 100) / 100, 2)
    try:
        t = np.atleast_1d(np.asarray(thresholds, dtype=float)).ravel()
    except (TypeError, ValueError):
        raise InputError(
            f"{func}(): thresholds must be numbers between 0 and 1; got {thresholds!r}."
        ) from None
    bad = ~np.isfinite(t) | (t <= 0) | (t >= 1)
    if t.size == 0 or bad.any():
        shown = ", ".join(f"{v:g}" for v in t[bad][:3]) if bad.any() else "none"
        raise InputError(
            f"{func}(): thresholds must lie strictly between 0 and 1 (a threshold of 0 or 1 gives the "
            f"weight pt / (1 - pt) of 0 or infinity); got {shown}."
        )
    return np.unique(t)


def drop_missing(
    df: pd.DataFrame, columns: list[str], func: str, stacklevel: int = 3
) -> tuple[pd.DataFrame, int]:
    """Rows with every one of ``columns`` present; the count left out, said in a
    :class:`~cartsie.errors.MissingValuesWarning` naming the columns."""
    keep = df[columns].notna().all(axis=1).to_numpy()
    n_missing = int((~keep).sum())
    warn_dropped(func, df, columns, n_missing, stacklevel=stacklevel + 1)
    frame = df.loc[keep] if n_missing else df
    if len(frame) == 0:
        raise InputError(
            f"{func}(): no row has all of {', '.join(map(repr, columns))} present "
            f"({n_missing} rows left out for missing values). Fill in the data or choose other columns."
        )
    return frame, n_missing
