"""The typed estimate row of the study, and the guard that turns "this cohort cannot give it" into a
row marked not estimable, with its reason, instead of an exception that stops the run.

One row per estimate, with the columns of :data:`COLUMNS`:

``id``
    The estimate's key, the same as the published-estimates table's (``surv.os.1y.ht.low``).
``label``
    What it is, in the paper's words ("1-year OS, HT low").
``value``, ``ci_lower``, ``ci_upper``, ``interval``
    The estimate and the interval beside it; ``interval`` says what that interval is: ``"ci"`` (a 95%
    confidence interval), ``"iqr"`` (the interquartile range of a median of the data), ``"range"``
    (minimum to maximum) or ``"none"`` (a count, or a test with its p-value only). Only a ``"ci"`` is
    an interval a published value can fall "inside".
``p_value``, ``n``
    The p-value of the test or model behind the estimate (NaN when there is none) and the number of
    patients it rests on.
``estimable``, ``reason``
    False when the cohort cannot give the estimate, and why; ``reason`` is empty otherwise.
``note``
    What a reader should know about an estimable row: who a model left out, the covariates the
    adjustment lacked, "not reached" for a median. Never a type tag: that is ``interval``.

Every estimate is computed by :func:`estimate` (one call per id), so that one failure gives one row
with ``estimable = False``; nothing else is lost. What counts as "cannot give":

- :class:`NotEstimable`, raised by the study's own checks before a statistic is computed (a column the
  data lack, no labs table, an empty population or risk group, no event of the cause, a follow-up
  shorter than the landmark) -- the message is the reason, in the paper's words;
- any :class:`cartsie.errors.CartsieError` raised by a statistical function (collinear covariates,
  a singular test...) -- its message is the reason;
- an infinite ratio (separation in a logistic model, monotone likelihood in a Cox or Fine-Gray
  model), which the callers report as a row with the value 0 or inf and ``estimable = False``.

Anything else is a bug rather than a property of the data. It is still caught, at the level of the one
estimate, so that a run finishes, and its reason starts with :data:`UNEXPECTED` and names the exception
type and message; the tests assert that this fallback never fires on the good and degraded cohorts.

Warnings raised while an estimate is computed are recorded: missing-value warnings of the models are
dropped (the row's note says who was left out, in the paper's words), separation warnings are dropped
when the row already says the estimate is infinite, and every other warning is raised again with the
estimate's id in front, so that ``cartsie reproduce`` lists it in the report.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

import numpy as np
import pandas as pd

from cartsie.errors import CartsieError, MissingValuesWarning, SeparationWarning

#: columns of the estimates table, in order
COLUMNS = (
    "id",
    "label",
    "value",
    "ci_lower",
    "ci_upper",
    "interval",
    "p_value",
    "n",
    "estimable",
    "reason",
    "note",
)
#: what the interval of a row is
INTERVALS = ("ci", "iqr", "range", "none")
Interval = Literal["ci", "iqr", "range", "none"]

#: start of the reason of an estimate that failed with an exception cartsie does not anticipate
UNEXPECTED = "unexpected error"

T = TypeVar("T")
# The compute functions below are typed Callable[..., T], not Callable[[], T]: they are lambdas binding
# loop variables as defaults (``lambda id_=id_: ...``), which mypy cannot match against a
# zero-argument callable; they are always called without arguments.


class NotEstimable(CartsieError):
    """This cohort cannot give the estimate; the message is the reason (e.g. "nobody HT high")."""


def row(
    value,
    ci=(np.nan, np.nan),
    interval: Interval | None = None,
    p=np.nan,
    n=np.nan,
    note: str = "",
) -> dict:
    """An estimable row (without id and label, which :func:`estimate` adds).

    ``interval`` defaults to ``"ci"`` when a CI is given and ``"none"`` otherwise.
    """
    lo, hi = float(ci[0]), float(ci[1])
    if interval is None:
        interval = "none" if np.isnan(lo) and np.isnan(hi) else "ci"
    if interval not in INTERVALS:
        raise ValueError(f"interval {interval!r} is not one of {INTERVALS}")
    return {
        "value": float(value) if value is not None else np.nan,
        "ci_lower": lo,
        "ci_upper": hi,
        "interval": interval,
        "p_value": float(p),
        "n": float(n),
        "estimable": True,
        "reason": "",
        "note": note,
    }


def not_estimable(reason: str, value=np.nan, n=np.nan, note: str = "") -> dict:
    """A row the cohort cannot give: NaN (or the infinite ratio in ``value``), no CI, no p."""
    return {**row(value, n=n, note=note, interval="none"), "estimable": False, "reason": reason}


def reason(exc: CartsieError) -> str:
    """The reason of a not-estimable row from a cartsie error: its message on one line."""
    lines = [line.strip(" -") for line in str(exc).splitlines() if line.strip(" -")]
    if len(lines) > 1 and lines[0].endswith("found in the input:"):  # CohortError: list the problems
        return "; ".join(lines[1:])
    return " ".join(lines)


def _reemit(caught: Sequence[warnings.WarningMessage], id_: str, out: dict) -> None:
    for w in caught:
        if issubclass(w.category, MissingValuesWarning):
            continue
        if issubclass(w.category, SeparationWarning) and not out["estimable"]:
            continue
        warnings.warn(f"{id_}: {w.message}", w.category, stacklevel=3)


def estimate(id_: str, label: str, compute: Callable[..., dict]) -> dict:
    """``compute()`` (a row), or a not-estimable row saying why, with ``id`` and ``label``; see the
    module docstring."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = compute()
        except CartsieError as exc:
            out = not_estimable(reason(exc))
        except Exception as exc:  # a bug: kept to this one row, named in its reason
            out = not_estimable(f"{UNEXPECTED} ({type(exc).__name__}: {exc})")
    _reemit(caught, id_, out)
    return {"id": id_, "label": label, **out}


def frame(rows: list[dict]) -> pd.DataFrame:
    """The estimates table of ``rows``, with :data:`COLUMNS`."""
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out["estimable"] = out["estimable"].astype(bool)
    for column in ("label", "interval", "reason", "note"):
        out[column] = out[column].fillna("").astype(str)
    return out
