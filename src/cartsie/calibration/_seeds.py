"""One evaluation of a calibration: a simulator's estimates over the seeds, and their mean and SD."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

# ---------------------------------------------------------------------------------------------------
# one evaluation: the simulated estimates over the seeds


def summarise_seeds(values: pd.DataFrame) -> pd.DataFrame:
    """Mean, SD and excluded seeds of each estimate over the seeds.

    Parameters
    ----------
    values : DataFrame
        One row per seed, one column per estimate id; NaN or +/-inf = not estimable in that seed.

    Returns
    -------
    DataFrame
        Indexed by id: ``mean`` and ``sd`` (ddof 1) over the seeds with a finite value, ``n`` (those
        seeds) and ``n_excluded`` (the others).
    """
    v = values.to_numpy(dtype=float)
    ok = np.isfinite(v)
    n = ok.sum(axis=0)
    x = np.where(ok, v, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, x.sum(axis=0) / np.maximum(n, 1), np.nan)
        dev = np.where(ok, v - mean, 0.0)
        sd = np.where(n > 1, np.sqrt((dev**2).sum(axis=0) / np.maximum(n - 1, 1)), np.nan)
    return pd.DataFrame(
        {"mean": mean, "sd": sd, "n": n, "n_excluded": len(v) - n}, index=pd.Index(values.columns, name="id")
    )


def _one(simulate: Callable, params: dict, seed: int) -> pd.Series:
    out = simulate(params, seed)
    return pd.Series(out, dtype=float)


def simulate_seeds(
    simulate: Callable[[dict, int], pd.Series],
    params: Mapping,
    seeds: Sequence[int],
    ids: Sequence[str],
    parallel=None,
) -> pd.DataFrame:
    """The estimates ``ids`` of ``simulate(params, seed)`` for every seed, one row per seed.

    Parameters
    ----------
    simulate : callable
        ``simulate(params, seed) -> Series`` of estimates by id (NaN or missing: not estimable).
    params : mapping
        The parameters passed to ``simulate``.
    seeds : sequence of int
        The seeds.
    ids : sequence of str
        The estimates kept (in this order; an id ``simulate`` does not return is NaN).
    parallel : joblib.Parallel, optional
        A running joblib pool (its workers reused across calls); default: in this process.

    Returns
    -------
    DataFrame
        Indexed by seed, columns ``ids``.
    """
    params = dict(params)
    if parallel is None:
        rows = [_one(simulate, params, s) for s in seeds]
    else:
        from joblib import delayed

        rows = list(parallel(delayed(_one)(simulate, params, s) for s in seeds))
    frame = pd.DataFrame(
        [r.reindex(list(ids)).to_numpy() for r in rows], index=list(seeds), columns=list(ids)
    )
    frame.index.name = "seed"
    return frame.astype(float)
