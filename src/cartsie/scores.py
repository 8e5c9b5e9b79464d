"""CAR-HEMATOTOX (HT) score and the simplified HT (simpleHT) of CART-SIE.

Inputs are baseline labs in canonical units (see :mod:`cartsie.units`): ``anc`` and ``plt`` in
10^9/L, ``hb`` in g/dL, ``crp`` in mg/dL, ``ferritin`` in ng/mL.

HT score (Rejeski et al., Blood 2021;138:2499), 0-7 points:

==================  =========  ============  ==========
variable            0 points   1 point       2 points
==================  =========  ============  ==========
platelets (10^9/L)  > 175      75 - 175      < 75
ANC (10^9/L)        >= 1.2     < 1.2
hemoglobin (g/dL)   >= 9.0     < 9.0
CRP (mg/dL)         < 3.0      >= 3.0
ferritin (ng/mL)    < 650      650 - 2000    > 2000
==================  =========  ============  ==========

HT low = 0-1, HT high = >= 2. simpleHT (CART-SIE): high when platelets <= 175 x 10^9/L **and**
CRP >= 3.0 mg/dL.

A score with any input missing is missing (not evaluable): a partial score is never reported. The
outputs use pandas' nullable ``Int64`` dtype so that missing stays missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartsie._checks import describe_rows, numeric, require_columns
from cartsie.errors import InputError
from cartsie.units import warn_magnitude

HT_LABS = ("anc", "hb", "plt", "crp", "ferritin")


@dataclass(frozen=True)
class HematotoxCutoffs:
    """Cut-offs of the HT score; the defaults are those of Rejeski et al. (2021).

    Each boundary's side is fixed by the published table: a value equal to ``plt_high`` (175) or
    ``plt_low`` (75) scores 1 platelet point; ``anc`` and ``hb`` score when strictly below; ``crp``
    scores at or above; ferritin equal to ``ferritin_low`` (650) or ``ferritin_high`` (2000) scores 1.
    Change a cut-off explicitly, e.g. ``HematotoxCutoffs(crp=2.0)``, and report that you did.

    Parameters
    ----------
    plt_high : float, default 175.0
        Platelets (10^9/L) at or below it score 1 point.
    plt_low : float, default 75.0
        Platelets strictly below it score 2 points; must be below ``plt_high``.
    anc : float, default 1.2
        ANC (10^9/L) strictly below it scores 1 point.
    hb : float, default 9.0
        Hemoglobin (g/dL) strictly below it scores 1 point.
    crp : float, default 3.0
        CRP (mg/dL) at or above it scores 1 point.
    ferritin_low : float, default 650.0
        Ferritin (ng/mL) at or above it scores 1 point.
    ferritin_high : float, default 2000.0
        Ferritin strictly above it scores 2 points; must be above ``ferritin_low``.
    high_risk_min_score : int, default 2
        Smallest score classed HT high.

    Raises
    ------
    InputError
        When ``plt_low >= plt_high`` or ``ferritin_low >= ferritin_high``.
    """

    plt_high: float = 175.0
    plt_low: float = 75.0
    anc: float = 1.2
    hb: float = 9.0
    crp: float = 3.0
    ferritin_low: float = 650.0
    ferritin_high: float = 2000.0
    high_risk_min_score: int = 2

    def __post_init__(self):
        if not self.plt_low < self.plt_high:
            raise InputError("HematotoxCutoffs: plt_low must be below plt_high.")
        if not self.ferritin_low < self.ferritin_high:
            raise InputError("HematotoxCutoffs: ferritin_low must be below ferritin_high.")


@dataclass(frozen=True)
class SimpleHTCutoffs:
    """Cut-offs of simpleHT (CART-SIE): high when ``plt <= plt_max`` and ``crp >= crp_min``.

    Parameters
    ----------
    plt_max : float, default 175.0
        Platelets (10^9/L) at or below it count towards simpleHT high.
    crp_min : float, default 3.0
        CRP (mg/dL) at or above it counts towards simpleHT high.
    """

    plt_max: float = 175.0
    crp_min: float = 3.0


DEFAULT_HT = HematotoxCutoffs()
DEFAULT_SIMPLE_HT = SimpleHTCutoffs()


def _nullable(points: np.ndarray, missing: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(points.astype("int64"), missing.copy())


def _labs(df: pd.DataFrame, columns: tuple[str, ...], func: str, check_units: bool) -> dict:
    require_columns(df, columns, func)
    values = {c: numeric(df, c, func).to_numpy() for c in columns}
    for c, v in values.items():
        neg = v < 0
        if neg.any():
            raise InputError(
                f"{func}(): column {c!r} has negative values at {describe_rows(df, neg)}. "
                "Laboratory values cannot be negative: correct or blank them."
            )
    if check_units:
        warn_magnitude(df, columns, stacklevel=4)
    return values


def hematotox(
    df: pd.DataFrame, cutoffs: HematotoxCutoffs = DEFAULT_HT, check_units: bool = True
) -> pd.DataFrame:
    """Score the CAR-HEMATOTOX (HT) score of each patient.

    Parameters
    ----------
    df : DataFrame
        One row per patient with columns ``anc``, ``hb``, ``plt``, ``crp``, ``ferritin`` in canonical
        units (other columns are ignored).
    cutoffs : HematotoxCutoffs
        The cut-offs (default: the published ones).
    check_units : bool
        Warn (:class:`cartsie.CohortWarning`) when a column's median suggests a wrong unit, such as
        CRP in mg/L.

    Returns
    -------
    DataFrame
        Aligned with ``df`` (same index): ``ht_anc``, ``ht_hb``, ``ht_plt``, ``ht_crp``,
        ``ht_ferritin`` (points, missing when that lab is), ``ht_score`` (0-7, missing when any lab is)
        and ``ht_high`` (1 when the score is >= 2, 0 when 0-1, missing when the score is); all
        ``Int64``.

    Examples
    --------
    >>> import pandas as pd
    >>> labs = pd.DataFrame({"anc": [2.0, 0.8], "hb": [11.0, 8.5], "plt": [200, 60],
    ...                      "crp": [0.5, 4.0], "ferritin": [300, 2500]})
    >>> hematotox(labs)["ht_score"].tolist()
    [0, 7]
    """
    v = _labs(df, HT_LABS, "hematotox", check_units)
    c = cutoffs
    plt = v["plt"]
    ferr = v["ferritin"]
    points = {
        "ht_anc": (v["anc"] < c.anc).astype(int),
        "ht_hb": (v["hb"] < c.hb).astype(int),
        "ht_plt": (plt <= c.plt_high).astype(int) + (plt < c.plt_low).astype(int),
        "ht_crp": (v["crp"] >= c.crp).astype(int),
        "ht_ferritin": (ferr >= c.ferritin_low).astype(int) + (ferr > c.ferritin_high).astype(int),
    }
    missing = {f"ht_{lab}": np.isnan(v[lab]) for lab in HT_LABS}
    score = sum(points.values())
    any_missing = np.logical_or.reduce(list(missing.values()))
    out = {k: _nullable(p, missing[k]) for k, p in points.items()}
    out["ht_score"] = _nullable(score, any_missing)
    out["ht_high"] = _nullable((score >= c.high_risk_min_score).astype(int), any_missing)
    return pd.DataFrame(out, index=df.index)


def simple_ht(
    df: pd.DataFrame, cutoffs: SimpleHTCutoffs = DEFAULT_SIMPLE_HT, check_units: bool = True
) -> pd.DataFrame:
    """Classify patients by the simplified HT score of CART-SIE.

    High risk when platelets <= 175 x 10^9/L **and** CRP >= 3.0 mg/dL; low otherwise; missing when
    either value is missing.

    Parameters
    ----------
    df : DataFrame
        Columns ``plt`` (10^9/L) and ``crp`` (mg/dL).
    cutoffs : SimpleHTCutoffs
        The two cut-offs (default: CART-SIE's).
    check_units : bool
        Warn when a median suggests a wrong unit.

    Returns
    -------
    DataFrame
        Aligned with ``df``: ``simple_ht_high`` (Int64: 1 high, 0 low, missing).
    """
    v = _labs(df, ("plt", "crp"), "simple_ht", check_units)
    high = (v["plt"] <= cutoffs.plt_max) & (v["crp"] >= cutoffs.crp_min)
    missing = np.isnan(v["plt"]) | np.isnan(v["crp"])
    return pd.DataFrame({"simple_ht_high": _nullable(high.astype(int), missing)}, index=df.index)


def score_all(df: pd.DataFrame, check_units: bool = True) -> pd.DataFrame:
    """Both scores side by side (HT points, score, group and simpleHT), aligned with ``df``.

    Needs ``plt`` and ``crp``; the HT columns are missing for every patient when any of ``anc``,
    ``hb`` or ``ferritin`` is absent from ``df`` altogether.

    Parameters
    ----------
    df : DataFrame
        One row per patient with ``plt`` and ``crp`` (and ``anc``, ``hb``, ``ferritin`` for the HT
        score) in canonical units; other columns are ignored.
    check_units : bool, default True
        Warn (:class:`cartsie.CohortWarning`) once per column whose median suggests a wrong unit.

    Returns
    -------
    DataFrame
        Aligned with ``df`` (same index): the columns of :func:`hematotox` (``ht_*``) followed by
        ``simple_ht_high`` of :func:`simple_ht`, all ``Int64``.
    """
    if check_units:
        warn_magnitude(df, [c for c in HT_LABS if c in df.columns], stacklevel=3)
    simple = simple_ht(df, check_units=False)
    if all(c in df.columns for c in HT_LABS):
        ht = hematotox(df, check_units=False)
    else:
        cols = [f"ht_{lab}" for lab in HT_LABS] + ["ht_score", "ht_high"]
        ht = pd.DataFrame({c: pd.array([pd.NA] * len(df), dtype="Int64") for c in cols}, index=df.index)
    return pd.concat([ht, simple], axis=1)
