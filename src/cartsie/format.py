"""Every formatting rule of cartsie's tables, figures and reports, in one place.

p-values as the paper prints them (``.03``, ``<.001``), numbers with a fixed number of decimals,
"n (%)" and "median (IQR)" cells, and confidence intervals "(low-high)". Statistics modules never
format; renderers (Table 1, regression tables, figures, the report) call these.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "format_ci",
    "format_conf_level",
    "format_count",
    "format_median_iqr",
    "format_number",
    "format_p",
    "format_ratio",
]


def format_p(p: float, digits: int = 2, threshold: float = 0.001, leading_zero: bool = False) -> str:
    """A p-value as printed in the paper: ``.67``, ``.002``, ``<.001``.

    Parameters
    ----------
    p : float
    digits : int
        Decimals for p >= 10^-digits (default 2: ``.67``); smaller p get one more (``.002``).
    threshold : float
        Below it, ``"<" + threshold`` (``<.001``).
    leading_zero : bool
        Keep the zero before the decimal point (``0.67``); the paper drops it.

    Returns
    -------
    str
        Empty for a missing p.

    Examples
    --------
    >>> from cartsie.format import format_p
    >>> [format_p(p) for p in (0.6429, 0.0028, 0.0296, 0.00016, 0.9991)]
    ['.64', '.003', '.03', '<.001', '>.99']
    """
    if p is None or not np.isfinite(p):
        return ""

    def text(x: float, d: int) -> str:
        s = f"{x:.{d}f}"
        return s if leading_zero else s.removeprefix("0")

    if p < threshold:
        return "<" + text(threshold, max(digits, -math.floor(math.log10(threshold))))
    if round(p, digits) >= 1:
        return ">" + text(1 - 10.0**-digits, digits)
    if p < 10.0**-digits and round(p, digits + 1) < 10.0**-digits:
        return text(p, digits + 1)
    return text(p, digits)


def format_number(x: float, digits: int) -> str:
    """``x`` with ``digits`` decimals; ``"-"`` when missing or infinite.

    Examples
    --------
    >>> format_number(59.456, 1), format_number(float("nan"), 1)
    ('59.5', '-')
    """
    return "-" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def format_median_iqr(q1: float, median: float, q3: float, digits: int) -> str:
    """``"59.0 (51.0-66.0)"``; the quartiles joined by " to " when one is negative.

    Examples
    --------
    >>> format_median_iqr(51, 59, 66, 0), format_median_iqr(-1.5, 0.2, 2.0, 1)
    ('59 (51-66)', '0.2 (-1.5 to 2.0)')
    """
    if median is None or not np.isfinite(median):
        return "-"
    sep = " to " if min(q1, q3) < 0 else "-"
    return f"{format_number(median, digits)} ({format_number(q1, digits)}{sep}{format_number(q3, digits)})"


def format_count(k: int, denominator: int) -> str:
    """``"207 (37%)"``: a count and its whole percentage of ``denominator`` (``"0 (-)"`` of none).

    Examples
    --------
    >>> format_count(207, 560), format_count(0, 0)
    ('207 (37%)', '0 (-)')
    """
    return f"{k} (-)" if denominator == 0 else f"{k} ({100 * k / denominator:.0f}%)"


def format_ci(low: float, high: float, digits: int = 2, parentheses: bool = True) -> str:
    """``"(1.23-4.56)"``, or with " to " when a limit is negative; ``""`` when either is missing;
    ``inf`` printed as ``"∞"``. ``parentheses=False`` drops the brackets, for a CI column of its own.

    Examples
    --------
    >>> format_ci(1.234, 4.5678), format_ci(-0.5, 0.25, 1), format_ci(2.0, float("inf"))
    ('(1.23-4.57)', '(-0.5 to 0.2)', '(2.00-∞)')
    >>> format_ci(1.234, 4.5678, parentheses=False)
    '1.23-4.57'
    """
    if low is None or high is None or np.isnan(low) or np.isnan(high):
        return ""

    def show(x: float) -> str:
        return ("-" if x < 0 else "") + "∞" if np.isinf(x) else f"{x:.{digits}f}"

    sep = " to " if min(low, high) < 0 else "-"
    text = f"{show(low)}{sep}{show(high)}"
    return f"({text})" if parentheses else text


def format_ratio(ratio: float, digits: int = 2) -> str:
    """A ratio (hazard, odds, subdistribution hazard ratio) with ``digits`` decimals; the infinite and
    zero ratios of an infinite coefficient (monotone likelihood, separation) as ``"∞"`` and ``"0"``;
    ``""`` when missing.

    Examples
    --------
    >>> [format_ratio(x) for x in (1.4567, float("inf"), 0.0, float("nan"))]
    ['1.46', '∞', '0', '']
    """
    if ratio is None or np.isnan(ratio):
        return ""
    if np.isinf(ratio):
        return "∞" if ratio > 0 else "-∞"
    if ratio == 0:
        return "0"
    return f"{ratio:.{digits}f}"


def format_conf_level(conf_level: float) -> str:
    """A confidence level as a column header says it: ``0.95`` -> ``"95%"``.

    Examples
    --------
    >>> format_conf_level(0.95), format_conf_level(0.9), format_conf_level(0.995)
    ('95%', '90%', '99.5%')
    """
    return f"{100 * conf_level:.10g}%"
