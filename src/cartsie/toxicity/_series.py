"""Vectorised building blocks for longitudinal lab series (no Python loop over patients).

A series is held as three aligned arrays sorted by (patient code, day): integer patient codes, integer
days since infusion and float values, with one value per patient-day (the lowest of that day).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from cartsie._checks import describe_rows, numeric, require_columns
from cartsie.errors import InputError

# Days are shifted by this before they are packed with the patient code into one sortable key.
_DAY_OFFSET = 1 << 20
_KEY_STRIDE = 1 << 22


@dataclass(frozen=True)
class Series:
    """Measurements of one analyte: ``code`` (patient), ``day`` and ``value``, sorted, one per day."""

    code: np.ndarray
    day: np.ndarray
    value: np.ndarray
    n_patients: int

    @cached_property
    def keys(self) -> np.ndarray:
        """Sortable (patient, day) keys, computed once (each block of a daily grid searches them)."""
        return self.code.astype(np.int64) * _KEY_STRIDE + (self.day.astype(np.int64) + _DAY_OFFSET)

    def select(self, mask: np.ndarray) -> Series:
        return Series(self.code[mask], self.day[mask], self.value[mask], self.n_patients)

    def count(self) -> np.ndarray:
        """Number of measurement days per patient."""
        return np.bincount(self.code, minlength=self.n_patients)


def patient_codes(labs: pd.DataFrame, func: str) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of ``labs.patient_id`` (sorted ids) and the ids themselves."""
    require_columns(labs, ["patient_id"], func)
    if labs["patient_id"].isna().any():
        raise InputError(
            f"{func}(): column 'patient_id' is empty in {int(labs['patient_id'].isna().sum())} row(s) "
            f"({describe_rows(labs.reset_index(drop=True), labs['patient_id'].isna().to_numpy())}). "
            "Every lab row needs the id of its patient."
        )
    codes, ids = pd.factorize(labs["patient_id"], sort=True)
    return codes.astype(np.int64), pd.Index(ids, name="patient_id")


def lab_days(labs: pd.DataFrame, func: str) -> np.ndarray:
    """Whole days since infusion from ``labs.day`` (missing or fractional days are errors)."""
    require_columns(labs, ["day"], func)
    day = numeric(labs, "day", func).to_numpy()
    bad = ~np.isfinite(day) | (day != np.round(day))
    if bad.any():
        raise InputError(
            f"{func}(): column 'day' must hold whole days since infusion (day 0 = infusion); "
            f"missing or fractional at {describe_rows(labs, bad)}. Fill or round them."
        )
    return day.astype(np.int64)


@dataclass(frozen=True)
class SortedRows:
    """Lab rows ordered by (patient, day) once, shared by every analyte's series."""

    order: np.ndarray | slice
    key: np.ndarray
    code: np.ndarray
    day: np.ndarray
    n_patients: int

    @classmethod
    def of(cls, codes: np.ndarray, day: np.ndarray, n_patients: int) -> SortedRows:
        key = codes * _KEY_STRIDE + (day + _DAY_OFFSET)
        if len(key) < 2 or bool(np.all(key[1:] >= key[:-1])):
            # Exports usually come sorted: then the rows are used as they are, without copies.
            return cls(slice(None), key, codes, day, n_patients)
        order = np.argsort(key, kind="stable")
        return cls(order, key[order], codes[order], day[order], n_patients)


def build_series(labs: pd.DataFrame, column: str, rows: SortedRows, func: str) -> Series:
    """The series of ``column`` (rows where it is missing are skipped), lowest value per day."""
    values = numeric(labs, column, func).to_numpy()
    neg = values < 0
    if neg.any():
        raise InputError(
            f"{func}(): column {column!r} has negative counts at {describe_rows(labs, neg)}. "
            "Blood counts cannot be negative: correct or blank them."
        )
    v = values[rows.order]
    keep = ~np.isnan(v)
    complete = bool(keep.all())  # the usual case: no copies of the sorted keys are needed
    key = rows.key if complete else rows.key[keep]
    if not complete:
        v = v[keep]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    del key
    if first.all():  # one measurement per day: the sorted values are the series
        code, day = (rows.code, rows.day) if complete else (rows.code[keep], rows.day[keep])
        return Series(code, day, v, rows.n_patients)
    starts = np.flatnonzero(first)
    lowest = np.minimum.reduceat(v, starts) if len(starts) else v
    code, day = (
        (rows.code[starts], rows.day[starts])
        if complete
        else (rows.code[keep][starts], rows.day[keep][starts])
    )
    return Series(code, day, lowest, rows.n_patients)


def daily_grid(
    series: Series, start: int, end: int, max_gap: int, interpolate: bool, patients: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Daily values on days ``start..end`` (rows: ``patients``, default all) and where data bridge.

    A measured day takes its value. A day between two measurements at most ``max_gap`` days apart is
    *bridged*; with ``interpolate`` it takes the linear interpolation of the two, otherwise it stays
    unknown (NaN). Days that are not bridged -- before the first or after the last measurement, or
    inside a longer gap -- are NaN and flagged in the second array as gaps.
    """
    if patients is None:
        patients = np.arange(series.n_patients)
    days = np.arange(start, end + 1, dtype=np.int64)
    shape = (len(patients), len(days))
    out = np.full(len(patients) * len(days), np.nan)
    n = len(series.code)
    if n == 0:
        return out.reshape(shape), np.ones(shape, dtype=bool)
    q = (patients[:, None].astype(np.int64) * _KEY_STRIDE + (days[None, :] + _DAY_OFFSET)).ravel()
    # Only the rows of these patients are searched: every row before them has a smaller key than
    # any query, every row after them a larger one, so the positions are those in the whole series.
    lo = int(np.searchsorted(series.code, patients.min(), side="left")) if len(patients) else 0
    hi = int(np.searchsorted(series.code, patients.max(), side="right")) if len(patients) else 0
    keys = series.keys[lo:hi]
    prev = np.searchsorted(keys, q, side="right") - 1 + lo
    nxt = np.searchsorted(keys, q, side="left") + lo
    pat = np.repeat(patients, len(days))
    qday = np.tile(days, len(patients))
    prev_c = np.clip(prev, 0, n - 1)
    nxt_c = np.clip(nxt, 0, n - 1)
    prev_ok = (prev >= 0) & (series.code[prev_c] == pat)
    exact = prev_ok & (series.day[prev_c] == qday)
    out[exact] = series.value[prev_c[exact]]
    nxt_ok = (nxt < n) & (series.code[nxt_c] == pat)
    d0, d1 = series.day[prev_c], series.day[nxt_c]
    between = prev_ok & nxt_ok & ~exact & (d1 - d0 <= max_gap)
    if interpolate:
        w = (qday[between] - d0[between]) / (d1[between] - d0[between])
        out[between] = (1 - w) * series.value[prev_c[between]] + w * series.value[nxt_c[between]]
    return out.reshape(shape), ~(exact | between).reshape(shape)


def episodes(
    below: np.ndarray, above: np.ndarray, gap: np.ndarray, recovery_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Longest episode (in days) and total days below, per row of a patient x day grid.

    An episode starts on a ``below`` day and ends at stable recovery, ``recovery_days`` consecutive
    ``above`` days (shorter recoveries join the episodes on either side), or at a ``gap`` day where no
    data bridge (cartsie does not assume a cytopenia it did not see). Its length is the span from its
    first to its last ``below`` day, inclusive. Bridged days with no value (no interpolation) neither
    extend a recovery nor end an episode. The loop runs over days, vectorised over patients.
    """
    n, n_days = below.shape
    in_ep = np.zeros(n, dtype=bool)
    start = np.zeros(n, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    run = np.zeros(n, dtype=np.int64)
    longest = np.zeros(n, dtype=np.int64)
    for d in range(n_days):
        b, a = below[:, d], above[:, d]
        opening = b & ~in_ep
        start[opening] = d
        in_ep |= b
        last[b] = d
        run[b] = 0
        run[a & in_ep] += 1
        closing = in_ep & ((run >= recovery_days) | gap[:, d])
        longest[closing] = np.maximum(longest[closing], last[closing] - start[closing] + 1)
        in_ep &= ~closing
        run[closing] = 0
    longest[in_ep] = np.maximum(longest[in_ep], last[in_ep] - start[in_ep] + 1)
    return longest, below.sum(axis=1)


def consecutive_pairs(series: Series) -> tuple[np.ndarray, np.ndarray]:
    """Patient code and the larger value of each pair of consecutive measurements of one patient.

    Two consecutive measurements are both at or below a threshold exactly when the larger of the
    two is, so the minimum of these pair maxima per patient decides every "two consecutive
    measurements" criterion at once.
    """
    same = series.code[1:] == series.code[:-1]
    pair_max = np.maximum(series.value[1:], series.value[:-1])[same]
    return series.code[1:][same], pair_max


def per_patient_min(codes: np.ndarray, values: np.ndarray, n_patients: int) -> np.ndarray:
    """Minimum of ``values`` per patient code (NaN for a patient without values)."""
    out = np.full(n_patients, np.inf)
    if len(codes) and bool(np.all(codes[1:] >= codes[:-1])):
        # series are sorted by patient: one reduction per run of a code (np.minimum.at is slow)
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        at = codes[starts]
        out[at] = np.minimum(out[at], np.minimum.reduceat(values, starts))
    else:
        np.minimum.at(out, codes, values)
    out[np.isinf(out)] = np.nan
    return out


def second_smallest(series: Series) -> np.ndarray:
    """Second-lowest value per patient (NaN for fewer than two measurements)."""
    order = np.lexsort((series.value, series.code))
    c, v = series.code[order], series.value[order]
    out = np.full(series.n_patients, np.nan)
    if len(c) < 2:
        return out
    second = np.zeros(len(c), dtype=bool)
    second[1:] = c[1:] == c[:-1]
    second[2:] &= c[2:] != c[:-2]
    out[c[second]] = v[second]
    return out
