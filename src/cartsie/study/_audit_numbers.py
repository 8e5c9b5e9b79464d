"""The audit's arithmetic: a printed number is the interval of the values that round to it.

"34%" stands for any percentage in [33.5, 34.5], "1.87" for [1.865, 1.875], a p ".04" for [.035,
.045] and "<.001" for [0, .001]. The intervals are closed (so either way of rounding a half counts)
and widened by a relative 1e-9, so that binary floating point never decides a check. A recomputation
carries these intervals through: a function monotone in each argument takes its extremes at the
corners of the box of its arguments (:func:`corners`). Counts are exact.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

#: relative widening of every interval: binary floating point must not decide a check
_EPS = 1e-9
_NUMBER = re.compile(r"^\s*([-+]?)(\d*)(?:\.(\d*))?\s*$")
_P = re.compile(r"^\s*(?:[pP]\s*)?([<>≤≥=]?)\s*(\d*\.?\d+)\s*$")
_COUNT_PCT = re.compile(r"^\s*(\d+)\s*\(\s*([<>]?)\s*(\d*\.?\d+)\s*%\s*\)\s*$")
_MEDIAN_IQR = re.compile(r"^\s*([-\d.]+)\s*\(\s*([-\d.]+)\s*[-–]\s*([-\d.]+)\s*\)\s*$")
_INTEGER = re.compile(r"^\s*\d+\s*$")


@dataclass(frozen=True)
class Span:
    """The closed interval ``[lo, hi]`` of the values a printed number may stand for.

    Parameters
    ----------
    lo, hi : float
        The ends (``lo <= hi``; equal for an exact count).
    """

    lo: float
    hi: float

    def overlaps(self, other: Span) -> bool:
        """Whether the two intervals share a value (touching counts).

        Parameters
        ----------
        other : Span
            The other interval.

        Returns
        -------
        bool
            ``True`` when ``[lo, hi]`` and ``[other.lo, other.hi]`` intersect.
        """
        return self.lo <= other.hi and other.lo <= self.hi

    def contains(self, x: float) -> bool:
        """Whether ``x`` is in the interval.

        Parameters
        ----------
        x : float
            The value.

        Returns
        -------
        bool
            ``lo <= x <= hi``.
        """
        return self.lo <= x <= self.hi

    def scaled(self, factor: float) -> Span:
        """The interval times a positive ``factor`` (a percentage as a proportion: 0.01).

        Parameters
        ----------
        factor : float
            A positive number.

        Returns
        -------
        Span
            ``[lo * factor, hi * factor]``.
        """
        return Span(self.lo * factor, self.hi * factor)


@dataclass(frozen=True)
class Finding:
    """One row of the audit: a check of published numbers against each other.

    Parameters
    ----------
    id : str
        The published id the check is about (the one that prints the number checked).
    check : str
        The kind of check (a key of ``cartsie.study.audit.CHECKS``).
    published : str
        The number as printed.
    recomputed : str
        What the printed numbers it depends on give, with the interval their rounding allows.
    consistent : bool or None
        Reproduced by the paper's own method within rounding; ``None`` when not checkable.
    detail : str
        How, with the numbers; the other methods that reproduce it, when the paper's does not.
    """

    id: str
    check: str
    published: str
    recomputed: str
    consistent: bool | None
    detail: str


def _widen(lo: float, hi: float) -> Span:
    return Span(lo - _EPS * abs(lo), hi + _EPS * abs(hi))


def exact(x: float) -> Span:
    """The interval of a number known exactly (a count).

    Parameters
    ----------
    x : float
        The number.

    Returns
    -------
    Span
        ``[x, x]``.
    """
    return Span(float(x), float(x))


def number(text: str) -> tuple[float, Span] | None:
    """A printed number and the interval of the values that round to it.

    Parameters
    ----------
    text : str
        A decimal number as printed: ``"1.87"``, ``"14"``, ``"0.3"``, ``".5"``.

    Returns
    -------
    tuple of (float, Span) or None
        The number, and ``[x - h, x + h]`` with ``h`` half a unit of its last printed decimal
        (``"14"``: 13.5-14.5; ``"1.1"``: 1.05-1.15); ``None`` when ``text`` is not a number.
    """
    m = _NUMBER.match(text or "")
    if not m or not (m.group(2) or m.group(3)):
        return None
    x = float(text)
    half = 0.5 * 10.0 ** -len(m.group(3) or "")
    return x, _widen(x - half, x + half)


def p_value(text: str) -> tuple[float, Span] | None:
    """A printed p-value and the interval of the p-values printed that way.

    Parameters
    ----------
    text : str
        As printed: ``".04"`` (any p in [.035, .045]), ``"<.001"`` ([0, .001]), ``">.99"``
        ([.99, 1]); a leading ``p``/``P`` and ``=`` are allowed.

    Returns
    -------
    tuple of (float, Span) or None
        The number printed and the interval (within [0, 1]); ``None`` when ``text`` is empty or not a
        p-value.
    """
    m = _P.match(text or "")
    if not m:
        return None
    relation, digits = m.group(1), m.group(2)
    x = float(digits)
    if not 0 <= x <= 1:
        return None
    if relation in ("<", "≤"):
        return x, _widen(0.0, x)
    if relation in (">", "≥"):
        return x, _widen(x, 1.0)
    decimals = len(digits.partition(".")[2])
    half = 0.5 * 10.0**-decimals
    return x, _widen(max(x - half, 0.0), min(x + half, 1.0))


@dataclass(frozen=True)
class Cell:
    """A descriptive table's cell read into numbers.

    Parameters
    ----------
    text : str
        The cell as printed.
    count : int or None
        The count of an "n (%)" cell or of a plain integer cell.
    percent : Span or None
        The percentage of an "n (%)" cell, as an interval (``"<1%"``: [0, 1]).
    median : Span or None
        A median ("59 (48-66)" or a plain decimal "1.6").
    q1, q3 : Span or None
        The quartiles printed beside a median.
    """

    text: str
    count: int | None = None
    percent: Span | None = None
    median: Span | None = None
    q1: Span | None = None
    q3: Span | None = None


def cell(text: str, integer_is_count: bool) -> Cell | None:
    """Read a descriptive table's cell: "133 (34%)", "3 (<1%)", "59 (48-66)", "1.6" or "127".

    Parameters
    ----------
    text : str
        The cell as printed.
    integer_is_count : bool
        Read a plain integer as a count (an N or a missing-values row) rather than as a median.

    Returns
    -------
    Cell or None
        The numbers of the cell; ``None`` when it reads as none of these.
    """
    text = (text or "").strip()
    m = _COUNT_PCT.match(text)
    if m:
        parsed = number(m.group(3))
        if parsed is None:
            return None
        pct = parsed[1]
        if m.group(2) == "<":
            pct = _widen(0.0, parsed[0])
        elif m.group(2) == ">":
            pct = _widen(parsed[0], 100.0)
        return Cell(text, count=int(m.group(1)), percent=pct)
    if integer_is_count and _INTEGER.match(text):
        return Cell(text, count=int(text))
    m = _MEDIAN_IQR.match(text)
    if m:
        parts = [number(g) for g in m.groups()]
        if any(p is None for p in parts):
            return None
        med, q1, q3 = (p[1] for p in parts if p is not None)
        return Cell(text, median=med, q1=q1, q3=q3)
    parsed = number(text)
    return None if parsed is None else Cell(text, median=parsed[1])


def corners(f: Callable[..., float], *spans: Span) -> Span:
    """The range of ``f`` over a box, from its values at the box's corners.

    Parameters
    ----------
    f : callable
        A function of ``len(spans)`` floats, monotone in each argument over the box (then its
        minimum and maximum are at corners).
    *spans : Span
        The interval of each argument.

    Returns
    -------
    Span
        ``[min, max]`` of ``f`` over the ``2 ** len(spans)`` corners (NaN values ignored; an
        all-NaN box gives ``[nan, nan]``).
    """
    values = [f(*point) for point in itertools.product(*((s.lo, s.hi) for s in spans))]
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return Span(math.nan, math.nan)
    return Span(min(finite), max(finite))


def fmt(x: float, digits: int = 3) -> str:
    """A number to ``digits`` significant digits, as the audit prints recomputed values.

    Parameters
    ----------
    x : float
        The number (NaN: ``"NA"``; infinite: ``"inf"``).
    digits : int
        Significant digits.

    Returns
    -------
    str
        E.g. ``fmt(0.000142) == "0.000142"``, ``fmt(2.5773) == "2.58"``, ``fmt(7.1e-9) == "7.1e-09"``.
    """
    if math.isnan(x):
        return "NA"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    return f"{x:.{digits}g}"


def fmt_span(s: Span, digits: int = 3) -> str:
    """An interval as ``[lo, hi]`` (one number when both ends print the same).

    Parameters
    ----------
    s : Span
        The interval.
    digits : int
        Significant digits of each end.

    Returns
    -------
    str
        ``"[0.408, 0.444]"``, or ``"0.42"`` when the ends print alike.
    """
    lo, hi = fmt(s.lo, digits), fmt(s.hi, digits)
    return lo if lo == hi else f"[{lo}, {hi}]"
