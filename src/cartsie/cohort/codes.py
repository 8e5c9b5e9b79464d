"""Stage 3, values, for coded columns: text, yes/no and categories, each read on a column's distinct
values (a registry column repeats a handful of them, a labs table's on millions of rows) and then
spread to the rows. Part of :mod:`cartsie.cohort.values`, which re-exports these coercers.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cartsie.cohort import schema
from cartsie.cohort.options import Options
from cartsie.cohort.problems import Report
from cartsie.cohort.read import MISSING_WORDS

#: Categorical columns whose unknown values become "other" (with the original kept in
#: ``<column>_detail``) instead of being an error.
OPEN_CATEGORIES = ("histology", "product", "death_cause", "spm_type")


def _clean(value) -> str | None:
    """One cell as trimmed text, or None for an empty cell or a word that means missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    out = str(value).strip()
    return None if out.lower() in MISSING_WORDS else out


def _strings(distinct: list, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """A text Series whose row ``i`` is ``distinct[codes[i]]`` (None, and code -1, are <NA>): the
    distinct values are checked as text once, not once per row."""
    return pd.Series(pd.array([*distinct, None], dtype="string").take(codes), index=index)


def _per_distinct(s: pd.Series, clean) -> pd.Series:
    """``clean`` applied once per distinct value of ``s`` (registry columns repeat a few values)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return _strings([clean(v) for v in uniques], codes, s.index)  # code -1 picks the last: missing


def text(s: pd.Series) -> pd.Series:
    """Trimmed text, with the words that mean missing (and empty cells) as <NA>."""
    return _per_distinct(s, _clean)


def _declared_missing(t: pd.Series, table: str, col: str, df, options: Options, report: Report) -> pd.Series:
    if not options.na:
        return t
    hit = t.notna() & t.str.lower().isin(options.na)
    if hit.any():
        report.note(
            f"{table} table, column {col!r}: {int(hit.sum())} value(s) declared missing (na=) read as missing"
        )
    return t.mask(hit)


_FLOAT_ZERO = re.compile(r"\.0$")


def _yes_no_word(value) -> str | None:
    """One cell of a yes/no column as the word it is matched on: trimmed, lower case, "1.0" as "1"."""
    out = _clean(value)
    return None if out is None else _FLOAT_ZERO.sub("", out.lower())


def coerce_binary(df: pd.DataFrame, col: str, table: str, report: Report, options: Options) -> pd.Series:
    raw = df[col]
    # Every step on the distinct values only: a yes/no column (the labs' ``synthetic`` flag: one
    # value on millions of rows) holds a handful of them.
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    words = [_yes_no_word(v) for v in uniques]
    if options.na:
        hit = np.array([w is not None and w.lower() in options.na for w in words], dtype=bool)
        n_hit = int(np.count_nonzero(hit[codes[codes >= 0]])) if hit.any() else 0
        if n_hit:
            report.note(
                f"{table} table, column {col!r}: {n_hit} value(s) declared missing (na=) read as missing"
            )
        words = [None if h else w for w, h in zip(words, hit, strict=True)]
    # code -1 (an empty cell) picks the last entry: missing, not a problem
    value = np.array(
        [0 if w in schema.FALSE_WORDS else 1 if w in schema.TRUE_WORDS else -1 for w in words] + [-1]
    )
    unread = np.array([w is not None for w in words] + [False], dtype=bool)
    at = value[codes]
    out = pd.Series(pd.arrays.IntegerArray(np.maximum(at, 0), at < 0), index=df.index, dtype="Int64")
    bad = pd.Series(unread[codes] & (at < 0), index=df.index)
    if bad.any():
        shown = ", ".join(repr(v) for v in raw[bad].astype(str).unique()[:4])
        report.problem(
            table,
            col,
            df,
            bad,
            f"values {shown} are not yes/no",
            "Write 1/0 (or yes/no), or leave blank when unknown (or declare the code with na=).",
        )
    return out


def coerce_category(df, col: str, table: str, report: Report, options: Options):
    spec = (schema.PATIENTS if table == "patients" else schema.LABS)[col]
    # each step on the distinct values (a category column holds a handful), then spread to the rows
    codes, uniques = pd.factorize(df[col], use_na_sentinel=True)
    texts = [_clean(v) for v in uniques]
    if options.na:
        hit = [t is not None and t.lower() in options.na for t in texts]
        n_hit = int(np.count_nonzero(np.array([*hit, False])[codes]))
        if n_hit:
            report.note(
                f"{table} table, column {col!r}: {n_hit} value(s) declared missing (na=) read as missing"
            )
        texts = [None if h else t for t, h in zip(texts, hit, strict=True)]
    lookup = {c.lower(): c for c in spec.codes}
    lookup.update({k.lower(): v for k, v in spec.aliases.items()})
    mapped = [None if t is None else lookup.get(t.lower()) for t in texts]
    unknown_distinct = [t is not None and m is None for t, m in zip(texts, mapped, strict=True)]
    detail = None
    if any(unknown_distinct):
        unknown = np.array([*unknown_distinct, False])[codes]
        if col in OPEN_CATEGORIES:
            detail = _strings(
                [t if u else None for t, u in zip(texts, unknown_distinct, strict=True)], codes, df.index
            )
            mapped = ["other" if u else m for m, u in zip(mapped, unknown_distinct, strict=True)]
        else:
            # in the order the rows first show them, as the rows' own unique() would
            bad = dict.fromkeys(t for t, u in zip(texts, unknown_distinct, strict=True) if u)
            shown = ", ".join(repr(v) for v in list(bad)[:4])
            report.problem(
                table,
                col,
                df,
                pd.Series(unknown, index=df.index),
                f"unknown value(s) {shown}",
                f"Use one of {', '.join(spec.codes)}.",
            )
    return _strings(mapped, codes, df.index), detail
