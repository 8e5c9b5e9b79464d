"""Input handling shared by :mod:`cartsie.competing`: complete rows, times, competing-risk event codes,
and the table of counts per distinct time, group and event code that the cumulative incidence and
Gray's test are computed from.

Validation reads each column once as a NumPy array (numeric columns without a copy) and keeps the
caller's frame as it is when no row is incomplete, so that large data sets pay for one pass per
column and one hash of the times, not for pandas copies or sorts of every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartsie._checks import describe_rows, numeric, require_columns
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
    code_index: np.ndarray  # 0 censored, 1 + position in ``causes`` for an event


def _check_code(value, name: str, func: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer | float) or value != int(value):
        raise InputError(f"{func}(): {name} must be an integer event code, got {value!r}.")
    return int(value)


def _values(frame: pd.DataFrame, column: str, func: str) -> np.ndarray:
    """The column as float; NumPy integer and float columns directly, anything else checked by
    :func:`cartsie._checks.numeric` (text that is not a number raises)."""
    raw = frame[column]
    if isinstance(raw.dtype, np.dtype) and raw.dtype.kind in "iuf":
        return raw.to_numpy(dtype=float)
    return numeric(frame, column, func).to_numpy(dtype=float)


def _complete(df: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, int]:
    """Rows with every column present (R's ``na.omit``); ``df`` itself when none is missing."""
    missing = np.zeros(len(df), dtype=bool)
    for c in columns:
        missing |= df[c].isna().to_numpy()
    n_missing = int(missing.sum())
    return (df.loc[~missing] if n_missing else df), n_missing


def _times(frame: pd.DataFrame, time: str, func: str) -> np.ndarray:
    t = _values(frame, time, func)
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
    return t + 0.0  # -0.0 becomes 0.0


def _codes(frame: pd.DataFrame, event: str, func: str) -> np.ndarray:
    raw = frame[event]
    if isinstance(raw.dtype, np.dtype) and raw.dtype.kind in "iu":
        return raw.to_numpy(dtype=np.int64)
    e = _values(frame, event, func)
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
    frame, n_missing = _complete(df, columns)
    if len(frame) == 0:
        raise InputError(
            f"{func}(): no row has all of {', '.join(map(repr, columns))} present "
            f"({n_missing} rows dropped for missing values). Fill in the data or choose other columns."
        )
    t = _times(frame, time, func)
    code = _codes(frame, event, func)
    # one hash of the codes gives the causes present and each row's position among them
    which, present = pd.factorize(code)
    present = np.asarray(present, dtype=np.int64)
    causes = tuple(int(c) for c in np.sort(present[present != censor_code]))
    index_of = np.array(
        [0 if c == censor_code else 1 + causes.index(int(c)) for c in present], dtype=np.int64
    )
    status_of = np.where(present == censor_code, 0, np.where(present == cause, 1, 2))
    code_index, status = index_of[which], status_of[which]
    if require_cause and cause not in causes:
        raise InputError(
            f"{func}(): column {event!r} has no event with code {cause} (the cause asked for) in the "
            f"rows used; codes present: {sorted(set(code.tolist()))}. Pass cause= one of the event codes."
        )
    return CRData(frame, t, code, status, n_missing, causes, code_index)


@dataclass(frozen=True)
class EventTable:
    """Counts per cell (a distinct time within a stratum), group and event code.

    Cells are ordered by stratum, then by time; ``counts[k, g, 0]`` is the number censored in group
    ``g`` at cell ``k`` and ``counts[k, g, 1 + j]`` the number with an event of ``causes[j]``.
    """

    times: np.ndarray  # (K,) the time of each cell
    counts: np.ndarray  # (K, G, 1 + C) float
    stratum_start: np.ndarray  # (S + 1,) first cell of each stratum, then K

    @property
    def at_risk(self) -> np.ndarray:
        """(K, G) number with time >= the cell's time in its stratum and group."""
        leave = self.counts.sum(axis=2)
        after = leave[::-1].cumsum(axis=0)[::-1]
        # subtract what lies in the later strata (exact: integer counts)
        tail = np.vstack([after[self.stratum_start[1:-1]], np.zeros((1, leave.shape[1]))])
        return after - np.repeat(tail, np.diff(self.stratum_start), axis=0)


def distinct_ranks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's position among the sorted distinct values, and those values (hash, then a sort
    of the distinct values only)."""
    which, uniq = pd.factorize(values)
    uniq = np.asarray(uniq)
    order = np.argsort(uniq, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[which], uniq[order]


def event_table(
    time: np.ndarray,
    code_index: np.ndarray,
    n_codes: int,
    group: np.ndarray,
    n_groups: int,
    stratum: np.ndarray | None = None,
) -> EventTable:
    """Count the rows per (stratum, distinct time), group and code (``code_index`` in 0..n_codes-1).

    One hash of the times (:func:`pandas.factorize`) and a sort of the distinct values replace a sort
    of every row; times are kept distinct exactly as given (as ``cmprsk``, no timefix).
    """
    cell, times = distinct_ranks(time)
    if stratum is None:
        starts = np.array([0, len(times)])
    else:
        k = len(times)
        cell, keys = distinct_ranks(stratum.astype(np.int64) * k + cell)
        times = times[keys % k]
        strat = keys // k
        starts = np.r_[np.flatnonzero(np.r_[True, strat[1:] != strat[:-1]]), len(keys)]
    flat = (cell * n_groups + group) * n_codes + code_index
    counts = np.bincount(flat, minlength=len(times) * n_groups * n_codes).astype(float)
    return EventTable(times, counts.reshape(len(times), n_groups, n_codes), starts)
