"""What one paper item gives: its estimate rows, and its tables and figures, each made on demand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Output:
    """A table or figure of the paper: its file name, caption and how to make it.

    ``make()`` builds the table (a result with ``summary`` and the table writers) or draws the
    figure; it is called by :func:`cartsie.study.pipeline.run` inside a guard, so that one the cohort
    cannot give is skipped with its reason while the others are written.
    """

    name: str
    caption: str
    make: Callable[[], Any]


@dataclass(frozen=True)
class ItemResult:
    """One paper item on one cohort: its estimates (rows of :mod:`cartsie.study.estimate`), tables
    and figures (:class:`Output`, made on demand from the fits the estimates used)."""

    name: str
    estimates: list[dict]
    tables: tuple[Output, ...] = field(default=())
    figures: tuple[Output, ...] = field(default=())
