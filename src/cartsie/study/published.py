"""The numbers the CART-SIE paper prints, as published (``data/published_estimates.csv``).

This module and :mod:`cartsie.study.compare` are the only ones that read the published numbers; no
analysis does. Each number is parsed into numbers: the value, the interval printed beside it and what
that interval is, the p-value bound and its relation.
"""

from __future__ import annotations

import re
from importlib import resources

import numpy as np
import pandas as pd

_RANGE = re.compile(r"^\s*([-\d.]+)\s*\(\s*([-\d.]+)\s*[-–]\s*([-\d.]+)\s*\)\s*$")
_COUNT_PCT = re.compile(r"^\s*([\d.]+)\s*\(\s*([\d.]+)\s*%\s*\)\s*$")


def published() -> pd.DataFrame:
    """The published numbers as printed (strings), one row per id.

    Returns
    -------
    DataFrame
        ``data/published_estimates.csv`` as text (empty cells stay ``""``): id, source, population,
        analysis, endpoint, comparison, statistic, value, ci_low, ci_high, p, note.
    """
    path = resources.files("cartsie") / "data" / "published_estimates.csv"
    with path.open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def parse_value(text: str) -> tuple[float, float, float, float]:
    """(value, low, high, percent) from a printed value: "6.3", "59 (48-66)", "207 (37%)", "NR".

    Parameters
    ----------
    text : str
        The value as the paper prints it: a number, "value (low-high)", "count (percent%)", or
        "NR" / empty for not reached.

    Returns
    -------
    tuple of 4 float
        value, low, high and percent, NaN where the text has none ("NR" and "": all NaN).
    """
    text = (text or "").strip()
    if text in ("", "NR"):
        return (np.nan,) * 4
    m = _COUNT_PCT.match(text)
    if m:
        return float(m.group(1)), np.nan, np.nan, float(m.group(2))
    m = _RANGE.match(text)
    if m:
        return float(m.group(1)), float(m.group(2)), float(m.group(3)), np.nan
    return float(text), np.nan, np.nan, np.nan


def parse_p(text: str) -> tuple[float, str]:
    """(bound, relation) of a printed p-value: ".04" -> (0.04, "="), "<.001" -> (0.001, "<").

    Parameters
    ----------
    text : str
        The p-value as printed (``.04``, ``<.001``, ``>.99``), or empty.

    Returns
    -------
    bound : float
        The number printed (NaN when empty).
    relation : {"=", "<", ">", ""}
        How the true p-value relates to ``bound`` (``""`` when empty).
    """
    text = (text or "").strip()
    if not text:
        return np.nan, ""
    if text[0] in "<>":
        return float(text[1:]), text[0]
    return float(text), "="


def numbers(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The published numbers parsed, one row per id.

    Parameters
    ----------
    table : DataFrame, optional
        The published table as :func:`published` returns it (the default).

    Returns
    -------
    DataFrame
        id, source, statistic, published_text (as printed), published (the number compared: for an
        "n (%)" cell its percentage), published_n (the count of an "n (%)" cell), published_ci_lower,
        published_ci_upper, published_interval ("ci", "iqr" for a Table-1 median's IQR, "range", or
        "none"), published_p (the number printed), published_p_text (as printed: "<.001"),
        published_p_relation ("=", "<", ">" or ""), note.
    """
    pub = published() if table is None else table
    rows = []
    for r in pub.itertuples(index=False):
        value, low, high, pct = parse_value(r.value)
        n = np.nan
        if np.isfinite(pct):
            value, n = pct, value
        interval = "none"
        if np.isfinite(low):
            interval = "iqr"  # "59 (48-66)": Table 1 prints a median with its IQR
        elif r.ci_low:
            low, high = float(r.ci_low), float(r.ci_high)
            interval = "range" if "range" in r.note else "ci"
        p, relation = parse_p(r.p)
        rows.append(
            {
                "id": r.id,
                "source": r.source,
                "statistic": r.statistic,
                "published_text": r.value,
                "published": value,
                "published_n": n,
                "published_ci_lower": low,
                "published_ci_upper": high,
                "published_interval": interval,
                "published_p": p,
                "published_p_text": r.p,
                "published_p_relation": relation,
                "note": r.note,
            }
        )
    return pd.DataFrame(rows)
