"""The estimate row of :mod:`cartsie.paper` and the guard that turns "this cohort cannot give it" into a
row marked not estimable, with its reason, instead of an exception that stops the run.

Every estimate is computed by :func:`estimate` (one call per id), so that one failure gives one row
with ``estimable = False``; nothing else is lost. What counts as "cannot give":

- :class:`NotEstimable`, raised by the paper's own checks before a statistic is computed (a column the
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
from typing import TypeVar

import numpy as np
import pandas as pd

from cartsie.errors import CartsieError, MissingValuesWarning, SeparationWarning

#: columns of the estimates table (``estimable``: False when the cohort cannot give the estimate,
#: ``reason`` then says why; empty otherwise)
COLUMNS = ("id", "value", "ci_low", "ci_high", "p", "n", "note", "estimable", "reason")

#: start of the reason of an estimate that failed with an exception cartsie does not anticipate
UNEXPECTED = "unexpected error"

T = TypeVar("T")
# The compute functions below are typed Callable[..., T], not Callable[[], T]: they are lambdas binding
# loop variables as defaults (``lambda id_=id_: ...``), which mypy cannot match against a
# zero-argument callable; they are always called without arguments.


class NotEstimable(CartsieError):
    """This cohort cannot give the estimate; the message is the reason (e.g. "nobody HT high")."""


def row(id_: str, value, ci=(np.nan, np.nan), p=np.nan, n=np.nan, note: str = "") -> dict:
    """An estimable row."""
    return {
        "id": id_,
        "value": float(value) if value is not None else np.nan,
        "ci_low": float(ci[0]),
        "ci_high": float(ci[1]),
        "p": float(p),
        "n": float(n),
        "note": note,
        "estimable": True,
        "reason": "",
    }


def not_estimable(id_: str, reason: str, value=np.nan, n=np.nan, note: str = "") -> dict:
    """A row the cohort cannot give: NaN (or the infinite ratio in ``value``), no CI, no p."""
    return {**row(id_, value, n=n, note=note), "estimable": False, "reason": reason}


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


def estimate(id_: str, compute: Callable[..., dict]) -> dict:
    """``compute()`` (a row), or a not-estimable row saying why; see the module docstring."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = compute()
        except CartsieError as exc:
            out = not_estimable(id_, reason(exc))
        except Exception as exc:  # a bug: kept to this one row, named in its reason
            out = not_estimable(id_, f"{UNEXPECTED} ({type(exc).__name__}: {exc})")
    _reemit(caught, id_, out)
    return out


def shared(compute: Callable[..., T]) -> Callable[[], T]:
    """``compute`` evaluated once, on first use, for the several estimates built from it; a failure is
    raised again to each of them (so each gets its not-estimable row)."""
    cache: list = []

    def get():
        if not cache:
            try:
                cache.append((True, compute()))
            except Exception as exc:  # re-raised to every caller, handled by estimate()
                cache.append((False, exc))
        ok, value = cache[0]
        if not ok:
            raise value
        return value

    return get


def frame(rows: list[dict]) -> pd.DataFrame:
    """The estimates table of ``rows``, with :data:`COLUMNS`."""
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out["estimable"] = out["estimable"].astype(bool)
    out["reason"] = out["reason"].fillna("").astype(str)
    return out
