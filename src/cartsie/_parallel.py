"""Running many independent simulation tasks: joblib locally (all cores by default) or a Dask cluster
through joblib's dask backend, with a rich progress bar on a terminal.

Shared by the calibration of the synthetic cohort (:mod:`cartsie.study.calibration`) and the power of
a validation study (:func:`cartsie.prognostic.power`). joblib, distributed and rich are imported when
a run starts, never at import time.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from typing import Any

#: environment variables that mark a continuous-integration run (no progress bar there)
CI_VARIABLES = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "BUILDKITE", "TF_BUILD")


def want_progress(progress: bool | None) -> bool:
    """Whether to draw a progress bar: ``progress`` when given; by default (None) only on an
    interactive terminal (standard error a TTY) outside continuous integration."""
    if progress is not None:
        return bool(progress)
    if any(os.environ.get(v) for v in CI_VARIABLES):
        return False
    stream = sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


def _client(scheduler):
    """A ``distributed.Client`` for ``scheduler`` (an address or a client), and whether it is ours."""
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'running on a Dask cluster needs distributed: pip install "dask[distributed]"'
        ) from exc
    if isinstance(scheduler, Client):
        return scheduler, False
    return Client(scheduler), True


def run_tasks(
    func: Callable[..., Any],
    items: Sequence[Any],
    *,
    n_jobs: int = -1,
    scheduler=None,
    progress: bool | None = None,
    label: str = "tasks",
    sizes: Sequence[int] | None = None,
) -> list[Any]:
    """``[func(item) for item in items]``, computed in parallel, in the order of ``items``.

    ``n_jobs`` joblib workers (-1 all cores; on a Dask cluster, all its workers); ``scheduler`` the
    address of a Dask scheduler (``"tcp://host:8786"``) or a ``distributed.Client``: then the tasks
    run on that cluster through joblib's dask backend (a client made here from an address is closed
    at the end). ``sizes``: how far each item moves the progress bar (default 1 each), e.g. the
    number of seeds in a chunk.
    """
    from joblib import Parallel, delayed, parallel_config

    items = list(items)
    steps = [1] * len(items) if sizes is None else list(sizes)
    tasks = (delayed(_indexed)(func, i, item) for i, item in enumerate(items))
    client, ours = _client(scheduler) if scheduler is not None else (None, False)
    try:
        with parallel_config(backend="dask") if client is not None else nullcontext():
            runner = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
            out = dict(_with_progress(runner(tasks), steps, want_progress(progress), label))
    finally:
        if ours and client is not None:
            client.close()
    return [out[i] for i in range(len(items))]


def _indexed(func: Callable[..., Any], i: int, item: Any) -> tuple[int, Any]:
    return i, func(item)


def _with_progress(
    results: Iterable[tuple[int, Any]], steps: list[int], progress: bool, label: str
) -> Iterator[tuple[int, Any]]:
    if not progress:
        yield from results
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=sum(steps))
        for i, r in results:
            bar.advance(task, steps[i])
            yield i, r
