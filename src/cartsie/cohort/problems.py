"""The problem report shared by every stage of :func:`cartsie.cohort.load`.

Each stage (read, columns, values, consistency, derive) adds to one :class:`Report` instead of
raising, so a user sees every problem of both tables at once. A problem is one *kind* of fault in one
column -- "text that is not a number in column 'crp'" -- with every patient it concerns: one line per
kind, the patient ids deduplicated, the first ten shown with a count. Problems make the cohort
unusable (:class:`cartsie.CohortError`); warnings are doubtful but possible values
(:class:`cartsie.CohortWarning`, an error with ``strict=True``); notes say what was done (columns
renamed, units converted, rows left out of a step).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cartsie.errors import CohortError, CohortWarning

#: How many patient ids a message shows before it gives only the count.
SHOW_IDS = 10


def name_ids(ids, noun: str = "patient") -> str:
    """``"patient_id A1, A2 (2 patients)"``: distinct ids in order of appearance, the first ten."""
    distinct = list(dict.fromkeys(str(i) for i in ids if i is not None and not pd.isna(i)))
    if not distinct:
        return ""
    n = len(distinct)
    shown = ", ".join(distinct[:SHOW_IDS]) + (", ..." if n > SHOW_IDS else "")
    return f"patient_id {shown} ({n} {noun}{'s' if n != 1 else ''})"


def rows_of(df: pd.DataFrame, mask) -> str:
    """Name the rows of ``df`` selected by ``mask``: their patient ids, or row numbers without ids."""
    mask = np.asarray(pd.Series(mask).fillna(False), dtype=bool)
    if "patient_id" in df.columns:
        ids = df["patient_id"].to_numpy(dtype=object)[mask]
        named = [i for i in ids if i is not None and not pd.isna(i) and str(i) != ""]
        if named:
            text = name_ids(named)
            unnamed = len(ids) - len(named)
            return text + (f" and {unnamed} row(s) without an id" if unnamed else "")
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(r + 2) for r in rows[:SHOW_IDS])  # +2: 1-based, after the header line
    return f"file row(s) {shown}" + (f", ... ({len(rows)} rows)" if len(rows) > SHOW_IDS else "")


def _selected(mask) -> np.ndarray:
    """``mask`` as a boolean array, missing as False (a boolean array or Series is taken as it is:
    the checks of a labs table pass millions of rows)."""
    if isinstance(mask, np.ndarray | pd.Series) and mask.dtype == bool:
        return np.asarray(mask)
    return np.asarray(pd.Series(mask).fillna(False), dtype=bool)


@dataclass
class Report:
    """Problems, warnings and notes found while reading one cohort (both tables).

    ``headers`` maps (table, canonical column) to the header as written in the file, so that every
    message names the column the way the user sees it in their spreadsheet.

    Parameters
    ----------
    strict : bool, default False
        Doubtful values (:meth:`warn`) are recorded as problems instead of warnings.
    problems : list of str
        Errors found so far; :meth:`raise_if_any` raises them all in one :class:`cartsie.CohortError`.
    warnings : list of str
        Doubtful values, issued as :class:`cartsie.CohortWarning` by :meth:`emit`.
    notes : list of str
        What was done (columns renamed, units converted, rows left out).
    headers : dict
        (table, canonical column) -> the header as written in the file.
    """

    strict: bool = False
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    headers: dict[tuple[str, str], str] = field(default_factory=dict)

    def column(self, table: str, column: str) -> str:
        """``column 'crp' ("CRP (mg/L)")``: the canonical name and, when different, the header."""
        header = self.headers.get((table, column))
        shown = f"column {column!r}"
        return shown + (f' ("{header}")' if header is not None and header != column else "")

    def where(self, table: str, column: str | None) -> str:
        return f"{table} table" + (f", {self.column(table, column)}" if column else "")

    def add(self, message: str) -> None:
        if message not in self.problems:
            self.problems.append(message)

    def problem(self, table: str, column: str | None, df: pd.DataFrame, mask, what: str, fix: str) -> None:
        """Record one problem for the rows of ``mask`` (nothing when no row is selected)."""
        mask = _selected(mask)
        if mask.any():
            self.add(f"{self.where(table, column)}: {what} at {rows_of(df, mask)}. {fix}")

    def warn(self, message: str) -> None:
        """A doubtful value: a warning, or a problem when the report is strict."""
        if self.strict:
            self.add(message + " (an error because strict mode is on)")
        elif message not in self.warnings:
            self.warnings.append(message)

    def doubt(self, table: str, column: str | None, df: pd.DataFrame, mask, what: str, fix: str) -> None:
        """:meth:`warn` about the rows of ``mask``."""
        mask = _selected(mask)
        if mask.any():
            self.warn(f"{self.where(table, column)}: {what} at {rows_of(df, mask)}. {fix}")

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def emit(self, stacklevel: int = 3) -> None:
        """Issue the warnings as :class:`cartsie.CohortWarning` (once the cohort has been read)."""
        for message in self.warnings:
            warnings.warn(message, CohortWarning, stacklevel=stacklevel)

    def raise_if_any(self) -> None:
        if self.problems:
            raise CohortError(self.problems)
