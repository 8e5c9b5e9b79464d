"""Canonical units of the laboratory values cartsie uses, conversions, and wrong-unit detection.

Canonical units (those of the CAR-HEMATOTOX publications):

========  ==========  ==========================================================================
analyte   canonical   accepted alternatives (factor to canonical)
========  ==========  ==========================================================================
anc       10^9/L      G/L, 10^3/µL, K/µL (x1); cells/µL, /mm3 (x0.001)
plt       10^9/L      G/L, 10^3/µL, K/µL (x1); cells/µL, /mm3 (x0.001)
hb        g/dL        g/L (x0.1); mmol/L (x1.611); mg/dL (x0.001)
crp       mg/dL       mg/L (x0.1); nmol/L (x1/95.24)
ferritin  ng/mL       µg/L (x1); pmol/L (x1/2.247)
========  ==========  ==========================================================================

ANC given as a percentage of white cells is not convertible on its own: use
:func:`anc_from_percent` with the white-cell count.

Nothing is guessed silently: :func:`convert` converts only a unit the caller declares, and
:func:`check_magnitude` reports values whose magnitude suggests another unit (for example a median CRP
above 30 "mg/dL", which is almost surely mg/L).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cartsie.errors import CohortWarning, InputError

if TYPE_CHECKING:
    import pandas as pd

# numpy and pandas are imported by the functions that use them: the command line reads CANONICAL
# for its help text, and ``cartsie --help`` should not wait for pandas.

CANONICAL: dict[str, str] = {
    "anc": "10^9/L",
    "plt": "10^9/L",
    "wbc": "10^9/L",
    "hb": "g/dL",
    "crp": "mg/dL",
    "ferritin": "ng/mL",
}

# "G/L" (giga per litre) means 10^9/L for cell counts; for hemoglobin the same letters mean grams.
_CELLS_PER_L = {"10^9/l": 1.0, "g/l": 1.0, "10^3/ul": 1.0, "/nl": 1.0, "/ul": 1e-3, "10^6/l": 1e-3}

#: factor that multiplies a value in the key unit to give the canonical unit, per analyte
FACTORS: dict[str, dict[str, float]] = {
    "anc": dict(_CELLS_PER_L),
    "plt": dict(_CELLS_PER_L),
    "wbc": dict(_CELLS_PER_L),
    "hb": {"g/dl": 1.0, "g/l": 0.1, "mmol/l": 1.611, "mg/dl": 1e-3},
    "crp": {"mg/dl": 1.0, "mg/l": 0.1, "nmol/l": 1.0 / 95.24},
    "ferritin": {"ng/ml": 1.0, "ug/l": 1.0, "pmol/l": 1.0 / 2.247},
}

# Spellings seen in registry exports, mapped to the keys of FACTORS.
_UNIT_SYNONYMS = {
    "giga/l": "10^9/l",
    "x10^9/l": "10^9/l",
    "10e9/l": "10^9/l",
    "10^^9/l": "10^9/l",
    "10^9": "10^9/l",
    "k/ul": "10^3/ul",
    "x10^3/ul": "10^3/ul",
    "10e3/ul": "10^3/ul",
    "10^3/mm3": "10^3/ul",
    "thousand/ul": "10^3/ul",
    "cells/ul": "/ul",
    "/mm3": "/ul",
    "cells/mm3": "/ul",
    "per ul": "/ul",
    "mg/100ml": "mg/dl",
    "g/100ml": "g/dl",
}


def normalise_unit(unit: str) -> str:
    """Lower-case spelling of ``unit``: µ, μ and mc written as u, spaces and a leading x removed.

    Parameters
    ----------
    unit : str
        A unit as written in a registry export or a header, e.g. ``"x10^9/L"``, ``"µg/L"``,
        ``"cells/mm3"``.

    Returns
    -------
    str
        The spelling used as key of :data:`FACTORS` (``"10^9/l"``, ``"ug/l"``, ``"/ul"``); a unit
        cartsie does not know is returned normalised but otherwise unchanged.
    """
    u = str(unit).strip().lower().replace("µ", "u").replace("μ", "u").replace(" ", "")
    u = re.sub(r"mc(?=[lg])", "u", u.replace("×", "x").replace("*", "^"))
    u = re.sub(r"^x(?=10)", "", u)
    return _UNIT_SYNONYMS.get(u, u)


def factor(analyte: str, unit: str) -> float:
    """Multiplier taking ``analyte`` values in ``unit`` to its canonical unit.

    Parameters
    ----------
    analyte : str
        One of the keys of :data:`FACTORS`: ``"anc"``, ``"plt"``, ``"wbc"``, ``"hb"``, ``"crp"``,
        ``"ferritin"``.
    unit : str
        The unit the values are in, in any spelling :func:`normalise_unit` understands.

    Returns
    -------
    float
        The factor: value in ``unit`` x factor = value in :data:`CANONICAL` ``[analyte]``
        (e.g. 0.1 for CRP in mg/L, 1.611 for hemoglobin in mmol/L).

    Raises
    ------
    InputError
        For an unknown analyte, a percentage ANC, or a unit cartsie cannot convert.
    """
    if analyte not in FACTORS:
        raise InputError(f"unknown analyte {analyte!r}; cartsie converts units of {sorted(FACTORS)}.")
    u = normalise_unit(unit)
    if analyte == "anc" and u in {"%", "percent", "%wbc"}:
        raise InputError(
            "ANC given as % of white cells cannot be converted alone: compute it with "
            "cartsie.units.anc_from_percent(percent, wbc) first."
        )
    table = FACTORS[analyte]
    if u not in table:
        raise InputError(
            f"unit {unit!r} of {analyte!r} is not one cartsie converts; use one of "
            f"{sorted(table)} (canonical: {CANONICAL[analyte]})."
        )
    return table[u]


def convert(values, analyte: str, from_unit: str, to_unit: str | None = None):
    """Convert ``values`` of ``analyte`` from ``from_unit`` to ``to_unit`` (default: canonical).

    Works on scalars, NumPy arrays and pandas Series (the index is kept).

    Parameters
    ----------
    values : float, array_like or Series
        The values, in ``from_unit``.
    analyte : str
        One of the keys of :data:`FACTORS` (anc, plt, wbc, hb, crp, ferritin).
    from_unit : str
        The unit ``values`` are in (any spelling :func:`normalise_unit` understands).
    to_unit : str, optional
        The unit wanted; default the canonical unit of ``analyte`` (:data:`CANONICAL`).

    Returns
    -------
    float, ndarray or Series
        ``values`` times the conversion factor, of the same kind as ``values``.

    Examples
    --------
    >>> convert(45.0, "crp", "mg/L")
    4.5
    >>> convert(4.5, "crp", "mg/dL", "mg/L")
    45.0
    """
    f = factor(analyte, from_unit)
    if to_unit is not None:
        f = f / factor(analyte, to_unit)
    return values * f


def anc_from_percent(percent, wbc):
    """ANC in 10^9/L from the neutrophil percentage and the white-cell count in 10^9/L.

    Parameters
    ----------
    percent : float or array_like
        Neutrophils as a percentage of the white cells, 0-100.
    wbc : float or array_like
        White-cell count in 10^9/L (convert it first with :func:`convert` if needed).

    Returns
    -------
    ndarray of float
        ``percent / 100 * wbc`` (NaN where either is missing).
    """
    import numpy as np

    return np.asarray(percent, dtype=float) / 100.0 * np.asarray(wbc, dtype=float)


@dataclass(frozen=True)
class UnitRule:
    """A magnitude rule: the median of ``analyte`` above ``above`` (or below ``below``) suggests
    the values are in ``suspect`` rather than the canonical unit.

    Parameters
    ----------
    analyte : str
        The analyte the rule applies to (a key of :data:`CANONICAL`).
    suspect : str
        The unit the values more likely are in, as shown to the user (e.g. ``"mg/L"``).
    above : float, default inf
        A median above it (in the canonical unit) triggers the rule.
    below : float, default -inf
        A median below it triggers the rule.
    """

    analyte: str
    suspect: str
    above: float = math.inf
    below: float = -math.inf


# Plausible medians in canonical units for adults before CAR T-cell therapy, and what a median far
# outside them most likely means. Each threshold sits where the two units' ranges do not overlap.
RULES: tuple[UnitRule, ...] = (
    UnitRule("crp", "mg/L", above=30.0),
    UnitRule("plt", "cells/µL", above=2000.0),
    UnitRule("anc", "cells/µL", above=100.0),
    UnitRule("anc", "% of white cells", above=20.0),
    UnitRule("wbc", "cells/µL", above=200.0),
    UnitRule("hb", "g/L", above=25.0),
    UnitRule("hb", "mmol/L", below=6.0),
    UnitRule("ferritin", "pmol/L", above=20000.0),
)


@dataclass(frozen=True)
class UnitFinding:
    """One doubtful column: its median and the unit it more likely is in.

    Parameters
    ----------
    column : str
        The column of the checked frame.
    analyte : str
        The analyte it holds (a key of :data:`CANONICAL`).
    median : float
        Its median, in what is claimed to be the canonical unit.
    suspect : str
        The unit the values more likely are in (from the first matching :data:`RULES` entry).
    """

    column: str
    analyte: str
    median: float
    suspect: str

    @property
    def message(self) -> str:
        return (
            f"column {self.column!r}: median {self.median:g} is implausible in "
            f"{CANONICAL[self.analyte]}; the values look like {self.suspect}. Convert them, or "
            f"declare the unit (units={{{self.column!r}: ...}}) so cartsie converts them."
        )


def check_magnitude(
    df: pd.DataFrame, columns: Mapping[str, str] | Iterable[str] | None = None
) -> list[UnitFinding]:
    """Flag columns whose median suggests a unit other than the canonical one.

    Parameters
    ----------
    df : DataFrame
        Values already in (what is claimed to be) canonical units.
    columns : mapping or iterable, optional
        Column -> analyte; an iterable means each column is named after its analyte. Default: every
        column of ``df`` named like an analyte (anc, plt, wbc, hb, crp, ferritin).

    Returns
    -------
    list of UnitFinding
        Empty when every median is plausible. The first matching rule per column is reported
        (rules are ordered from the most to the least specific).
    """
    import pandas as pd

    if columns is None:
        columns = {c: c for c in df.columns if c in CANONICAL}
    elif not isinstance(columns, Mapping):
        columns = {c: c for c in columns}
    findings = []
    for column, analyte in columns.items():
        if column not in df.columns:
            continue
        values = pd.to_numeric(df[column], errors="coerce")
        if values.notna().sum() == 0:
            continue
        med = float(values.median())
        for rule in RULES:
            if rule.analyte == analyte and (med > rule.above or med < rule.below):
                findings.append(UnitFinding(column, analyte, med, rule.suspect))
                break
    return findings


def warn_magnitude(df: pd.DataFrame, columns=None, stacklevel: int = 3) -> list[UnitFinding]:
    """Run :func:`check_magnitude` and issue one :class:`CohortWarning` per finding.

    Parameters
    ----------
    df : DataFrame
        Values already in (what is claimed to be) canonical units.
    columns : mapping or iterable, optional
        As for :func:`check_magnitude`: column -> analyte, or columns named after their analyte;
        default every column named like an analyte.
    stacklevel : int, default 3
        Passed to :func:`warnings.warn`, so the warning points at the caller's caller.

    Returns
    -------
    list of UnitFinding
        The findings warned about (empty when every median is plausible).
    """
    findings = check_magnitude(df, columns)
    for f in findings:
        warnings.warn(f.message, CohortWarning, stacklevel=stacklevel)
    return findings


_CENSORED = re.compile(r"^\s*(<=|>=|≤|≥|<|>)\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$")


def parse_censored(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse numbers written with a detection-limit sign, such as ``"<0.1"`` or ``">2000"``.

    ``"<x"`` becomes the largest float below ``x`` and ``">x"`` the smallest above it, so every
    threshold comparison of cartsie treats the value as lying beyond the limit (``"<75"`` platelets
    score 2 HT points, ``">2000"`` ferritin scores 2); ``"<=x"``/``">=x"`` become ``x``. Plain numbers
    pass through.

    Parameters
    ----------
    values : Series or array_like
        Raw cells: numbers, numeric text, or text with a sign (``<``, ``>``, ``<=``, ``>=``, ``≤``,
        ``≥``) before a number.

    Returns
    -------
    values : Series of float
        Parsed values; text that is neither a number nor a censored number becomes NaN.
    censored : Series of bool
        True where a sign was present (callers warn about these).
    """
    import numpy as np
    import pandas as pd

    s = pd.Series(values)
    out = pd.to_numeric(s, errors="coerce").astype(float)
    text = s[out.isna() & s.notna()].astype(str)
    censored = pd.Series(False, index=s.index)
    if len(text):
        parts = text.str.extract(_CENSORED)
        ok = parts[0].notna()
        sign, number = parts.loc[ok, 0], parts.loc[ok, 1].astype(float)
        parsed = number.copy()
        parsed[sign == "<"] = np.nextafter(number[sign == "<"], -np.inf)
        parsed[sign == ">"] = np.nextafter(number[sign == ">"], np.inf)
        out.loc[parsed.index] = parsed
        censored.loc[parsed.index] = True
    return out, censored
