"""The one timing helper of the benchmarks: best wall time of a few runs.

Benchmarks import the installed cartsie (no ``sys.path`` edits); run them as
``python benchmarks/bench_NAME.py`` from the repository root after ``pip install .``.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(func: Callable[[], object], repeats: int = 3) -> float:
    """Shortest wall time in seconds of ``repeats`` calls of ``func`` (the usual benchmark statistic:
    the least disturbed run)."""
    best = float("inf")
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def timed(func: Callable[[], object]) -> tuple[float, object]:
    """``(seconds, result)`` of one call of ``func``."""
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result
