"""Shared preparation of right-censored survival data for :mod:`cartsie.survival`.

Validation (columns, missing rows, times and event codes), R's ``timefix`` (``aeqSurv``: times that
differ only by floating-point noise are made equal), integer codes of the distinct times, and the
order of group levels (R's ``factor()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartsie._checks import complete_cases, require_columns, time_event
from cartsie._dist import norm_ppf
from cartsie.errors import InputError

#: R's ``sqrt(.Machine$double.eps)``, the tolerance of ``aeqSurv`` and ``quantile.survfit``.
SQRT_EPS = float(np.sqrt(np.finfo(float).eps))


@dataclass(frozen=True)
class SurvData:
    """Complete, validated rows: times after timefix, event codes, and codes of the distinct times."""

    frame: pd.DataFrame
    time: np.ndarray  # float, after timefix
    event: np.ndarray  # int codes
    time_code: np.ndarray  # index into ``unique_times`` (ascending)
    unique_times: np.ndarray
    n_missing: int


def z_value(conf_level: float, func: str) -> float:
    """Two-sided normal quantile ``qnorm(1 - (1 - conf_level) / 2)``, validating ``conf_level``."""
    if not isinstance(conf_level, int | float) or not 0 < conf_level < 1:
        raise InputError(f"{func}(): conf_level must be a number between 0 and 1, got {conf_level!r}.")
    return float(norm_ppf(1 - (1 - conf_level) / 2))


def distinct_times(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``t`` into its ascending distinct values, after R's ``aeqSurv`` timefix.

    ``aeqSurv`` sorts the distinct times and merges neighbours whose gap is at most ``sqrt(eps)`` in
    absolute value or relative to the mean absolute distinct time; each merged cluster takes its
    smallest value. Returns ``(codes, unique_times)`` with ``unique_times[codes]`` the fixed times.
    """
    codes, uniques = pd.factorize(t, sort=False)
    order = np.argsort(uniques, kind="stable")
    uniques = np.asarray(uniques, dtype=float)[order]
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = rank[codes]
    if len(uniques) > 1:
        dy = np.diff(uniques)
        tied = (dy <= SQRT_EPS) | (dy / np.mean(np.abs(uniques)) <= SQRT_EPS)
        if tied.any():
            cluster = np.concatenate([[0], np.cumsum(~tied)])
            uniques = uniques[np.concatenate([[True], ~tied])]
            codes = cluster[codes]
    return codes, uniques


def survival_data(
    df: pd.DataFrame,
    time: str,
    event: str,
    func: str,
    extra: Sequence[str | None] = (),
) -> SurvData:
    """Drop rows missing ``time``, ``event`` or an ``extra`` column (R's ``na.omit``), validate, timefix."""
    columns = [time, event, *[c for c in extra if c is not None]]
    require_columns(df, columns, func)
    frame, n_missing = complete_cases(df, list(dict.fromkeys(columns)), func)
    if len(frame) == 0:
        raise InputError(
            f"{func}(): no row has all of {', '.join(map(repr, columns))} present "
            f"({n_missing} rows dropped for missing values). Fill in the data or choose other columns."
        )
    t, e = time_event(frame, time, event, func)
    codes, uniques = distinct_times(t)
    return SurvData(frame, uniques[codes], e, codes, uniques, n_missing)


def group_levels(values: pd.Series) -> list:
    """Levels of a grouping column in R's ``factor()`` order.

    The categories of a pandas ``Categorical`` (those present), numbers and booleans in numeric order,
    anything else sorted as text.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique())
        return [c for c in values.cat.categories if c in present]
    uniq = values.dropna().unique()
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return sorted(uniq.tolist())
    return sorted(uniq.tolist(), key=str)


def group_codes(values: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes (0..G-1) of ``values`` in the order of :func:`group_levels`."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        levels = group_levels(values)
        return pd.Categorical(values, categories=levels).codes.astype(np.int64), levels
    # one hash of the column; the levels are ordered among the distinct values only
    which, uniq = pd.factorize(values)
    levels = group_levels(pd.Series(uniq, dtype=values.dtype))
    position = {level: i for i, level in enumerate(levels)}
    lookup = np.array([position[v] for v in uniq.tolist()] + [-1], dtype=np.int64)
    return lookup[which], levels
