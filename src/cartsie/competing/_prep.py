"""Input handling shared by :mod:`cartsie.competing`: complete rows, times, competing-risk event codes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartsie._checks import complete_cases, describe_rows, numeric, require_columns
from cartsie.errors import InputError


@dataclass(frozen=True)
class CRData:
    """Complete, validated rows with times, raw integer codes and the 0/1/2 status of ``cause``."""

    frame: pd.DataFrame
    time: np.ndarray
    code: np.ndarray  # the event codes as given (int)
    status: np.ndarray  # 0 censored, 1 the cause, 2 any other cause
    n_missing: int
    causes: tuple[int, ...]  # distinct non-censoring codes present, ascending (cuminc's order)


def _check_code(value, name: str, func: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer | float) or value != int(value):
        raise InputError(f"{func}(): {name} must be an integer event code, got {value!r}.")
    return int(value)


def _times(frame: pd.DataFrame, time: str, func: str) -> np.ndarray:
    t = numeric(frame, time, func).to_numpy()
    if not np.all(np.isfinite(t)):
        raise InputError(
            f"{func}(): column {time!r} has infinite times at {describe_rows(frame, ~np.isfinite(t))}. "
            "Give finite follow-up times."
        )
    if np.any(t < 0):
        raise InputError(
            f"{func}(): column {time!r} has negative times at {describe_rows(frame, t < 0)}. "
            "Times are measured from the origin (infusion) and cannot be negative."
        )
    return t.astype(float)


def _codes(frame: pd.DataFrame, event: str, func: str) -> np.ndarray:
    e = numeric(frame, event, func).to_numpy()
    bad = ~np.isfinite(e) | (e != np.round(e))
    if bad.any():
        raise InputError(
            f"{func}(): column {event!r} holds values that are not integer event codes "
            f"({sorted(set(e[bad].tolist()))[:3]}) at {describe_rows(frame, bad)}. Code events as "
            "integers: 0 censored, 1 the cause of interest, 2 (or more) competing causes."
        )
    return e.astype(np.int64)


def competing_data(
    df: pd.DataFrame,
    time: str,
    event: str,
    func: str,
    cause: int = 1,
    censor_code: int = 0,
    extra: Sequence[str | None] = (),
    require_cause: bool = True,
) -> CRData:
    """Drop rows missing ``time``, ``event`` or an ``extra`` column (R's ``na.omit``) and validate.

    Any code other than ``censor_code`` is an event; ``cause`` is the one of interest, every other
    code a competing cause (as ``cmprsk``).
    """
    cause = _check_code(cause, "cause", func)
    censor_code = _check_code(censor_code, "censor_code", func)
    if cause == censor_code:
        raise InputError(
            f"{func}(): cause and censor_code are both {cause}; the cause of interest needs its own code."
        )
    columns = list(dict.fromkeys([time, event, *[c for c in extra if c is not None]]))
    require_columns(df, columns, func)
    frame, n_missing = complete_cases(df, columns, func)
    if len(frame) == 0:
        raise InputError(
            f"{func}(): no row has all of {', '.join(map(repr, columns))} present "
            f"({n_missing} rows dropped for missing values). Fill in the data or choose other columns."
        )
    t = _times(frame, time, func)
    code = _codes(frame, event, func)
    status = np.where(code == censor_code, 0, np.where(code == cause, 1, 2))
    causes = tuple(int(c) for c in np.unique(code[code != censor_code]))
    if require_cause and cause not in causes:
        raise InputError(
            f"{func}(): column {event!r} has no event with code {cause} (the cause asked for) in the "
            f"rows used; codes present: {sorted(set(code.tolist()))}. Pass cause= one of the event codes."
        )
    return CRData(frame, t, code, status, n_missing, causes)
