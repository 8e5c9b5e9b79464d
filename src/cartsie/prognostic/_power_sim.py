"""The simulation behind :func:`cartsie.prognostic.power`: where each simulated validation sample
comes from (the built-in generative model, or a user's ``simulate(n, rng)``), and the one test or
interval computed on it (Cox Wald test, log-rank test, width of the CI of Harrell's C).

Every sample is analysed on arrays, by the engines of :func:`cartsie.survival.cox`,
:func:`cartsie.survival.logrank` and :func:`cartsie.prognostic.concordance` (the same numbers,
without their per-call checks of a DataFrame), because a power curve analyses thousands of them.
A sample the test cannot be computed on (no events, a constant score, a monotone likelihood) gives
a run with ``estimable = False`` and its reason.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cartsie._concordance import concordance_arrays
from cartsie._dist import chi2_sf, norm_sf
from cartsie._survprep import distinct_times
from cartsie.errors import InputError
from cartsie.survival import _cox, _logrank

#: what :func:`power` can estimate: effect -> its description in reprs
EFFECTS = {
    "hr": "Cox Wald test of the score (two-sided)",
    "logrank": "log-rank test of the score groups",
    "c_width": "width of the CI of Harrell's C",
}
#: the score column of the built-in model for each effect
BUILTIN_SCORE = {"hr": "ht_high", "logrank": "ht_high", "c_width": "ht_score"}
#: the LBCL patients evaluable for each score of the built-in model, per block of 1002 enrolled
BUILTIN_BLOCK = 1002


@dataclass(frozen=True)
class Spec:
    """Everything a worker needs to simulate and analyse one seed at every sample size."""

    source: Any  # a cartsie.synthetic.Model (built-in) or a callable simulate(n, rng)
    builtin: bool
    sizes: tuple[int, ...]
    effect: str
    alpha: float
    width: float | None
    time: str
    event: str
    score: str


# ---------------------------------------------------------------------------------------------------
# samples


def builtin_pool(model, seed: int, size: int, columns: Sequence[str]) -> pd.DataFrame:
    """The first ``size`` patients of seed ``seed``'s stream from the built-in model.

    The stream is made of blocks, each a cohort of :func:`cartsie.synthetic.cartsie_like` (1002
    enrolled; block 0 is ``cartsie_like(seed)`` itself, block k > 0 a seed derived from ``(seed,
    k)``), restricted to the LBCL patients with every column of ``columns`` present (for the HT
    score, its 389 evaluable patients), in a random order drawn from ``(seed, k)``. A sample of n
    patients is the first n of the stream, whatever other sizes are asked for: common random
    numbers across sizes, and the whole of ``cartsie_like(seed)``'s population at n = 389.
    """
    from cartsie.synthetic import cartsie_like

    blocks, have, k = [], 0, 0
    while have < size:
        block_seed = seed if k == 0 else int(np.random.SeedSequence([seed, k]).generate_state(1)[0])
        table = cartsie_like(block_seed, BUILTIN_BLOCK, model).table
        keep = (
            table["lbcl"].fillna(False).to_numpy(bool) & table[list(columns)].notna().all(axis=1).to_numpy()
        )
        rows = table.loc[keep, list(columns)].reset_index(drop=True)
        if len(rows) == 0:  # pragma: no cover - the calibrated model always has evaluable patients
            raise InputError(f"power(): the built-in model gives no LBCL patient with {list(columns)}.")
        order = np.random.default_rng([seed, k, 1]).permutation(len(rows))
        blocks.append(rows.iloc[order])
        have += len(rows)
        k += 1
    return pd.concat(blocks, ignore_index=True).iloc[:size]


def user_sample(simulate: Callable, n: int, seed: int, columns: Sequence[str]) -> pd.DataFrame:
    """``simulate(n, numpy.random.default_rng(seed))``, checked: a DataFrame of n rows with
    ``columns`` (rows with a missing value in them are left out of the analysis)."""
    df = simulate(n, np.random.default_rng(seed))
    if not isinstance(df, pd.DataFrame):
        raise InputError(
            f"power(): simulate(n, rng) must return a pandas DataFrame; it returned {type(df).__name__}."
        )
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"power(): the DataFrame of simulate(n, rng) has no column {', '.join(map(repr, missing))}; "
            f"it has {', '.join(map(repr, df.columns[:8]))}. Name the columns with time=, event=, score=."
        )
    return df[list(columns)].dropna()


# ---------------------------------------------------------------------------------------------------
# analyses of one sample: a dict with estimate, std_error, statistic, p_value, success, events


def _not_estimable(reason: str, events: int) -> dict:
    return {"estimable": False, "reason": reason, "events": events}


def cox_wald(t: np.ndarray, e: np.ndarray, x: np.ndarray, alpha: float) -> dict:
    """Cox model of one covariate (Efron ties, as :func:`cartsie.survival.cox`): Wald test."""
    events = int(e.sum())
    if events == 0:
        return _not_estimable("no events", events)
    codes, uniques = distinct_times(t)
    data = _cox.prepare(uniques[codes], e, x[:, None], None, efron=True)
    try:
        fit = _cox.newton(data)
    except _cox.SingularDesign:
        return _not_estimable("score constant", events)
    if _cox.monotone_directions(data).any():
        return _not_estimable("monotone likelihood (infinite hazard ratio)", events)
    coef, se = float(fit.beta[0]), math.sqrt(float(fit.var[0, 0]))
    z = coef / se
    p = float(2 * norm_sf(abs(z)))
    return {
        "estimable": True,
        "reason": "",
        "events": events,
        "estimate": coef,
        "std_error": se,
        "statistic": z,
        "p_value": p,
        "success": p < alpha,
    }


def logrank_test(t: np.ndarray, e: np.ndarray, g: np.ndarray, alpha: float) -> dict:
    """Log-rank test of the groups of ``g`` (as :func:`cartsie.survival.logrank`)."""
    events = int(e.sum())
    if events == 0:
        return _not_estimable("no events", events)
    codes, _ = distinct_times(t)
    group, _ = pd.factorize(g, sort=True)
    observed, expected, var = _logrank.survdiff(codes, int(codes.max()) + 1, e, group, int(group.max()) + 1)
    if (expected > 0).sum() < 2:
        return _not_estimable("one score group only", events)
    try:
        stat, df = _logrank.chisq(observed, expected, var)
    except np.linalg.LinAlgError:  # every patient at risk dies at each event time: no variance
        return _not_estimable("no variance (all at risk die at each time)", events)
    p = float(chi2_sf(stat, df))
    return {
        "estimable": True,
        "reason": "",
        "events": events,
        "estimate": stat,
        "std_error": np.nan,
        "statistic": stat,
        "p_value": p,
        "success": p < alpha,
    }


def c_interval(t: np.ndarray, e: np.ndarray, s: np.ndarray, alpha: float, width: float) -> dict:
    """Harrell's C of a risk score (higher = earlier event) and the width of its 1 - alpha Wald CI
    (as :func:`cartsie.prognostic.concordance`); success when the width is at most ``width``."""
    events = int(e.sum())
    if events == 0:
        return _not_estimable("no events", events)
    codes, uniques = distinct_times(t)
    c = concordance_arrays(uniques[codes], e, s, higher="risk", conf_level=1 - alpha, time_code=codes)
    if not (np.isfinite(c.estimate) and np.isfinite(c.std_error)):
        return _not_estimable("no comparable pair", events)
    w = c.ci_upper - c.ci_lower
    return {
        "estimable": True,
        "reason": "",
        "events": events,
        "estimate": c.estimate,
        "std_error": c.std_error,
        "statistic": w,
        "p_value": np.nan,
        "success": w <= width,
    }


def analyse(df: pd.DataFrame, spec: Spec) -> dict:
    """The test or interval of ``spec.effect`` on one sample."""
    t = df[spec.time].to_numpy(dtype=float)
    e = df[spec.event].to_numpy()
    if not np.isin(e, [0, 1]).all():
        raise InputError(f"power(): column {spec.event!r} must hold 0 (censored) and 1 (event) only.")
    e = e.astype(np.int64)
    if spec.effect == "logrank":
        return logrank_test(t, e, df[spec.score].to_numpy(), spec.alpha)
    x = df[spec.score].to_numpy(dtype=float)
    if spec.effect == "hr":
        return cox_wald(t, e, x, spec.alpha)
    assert spec.width is not None
    return c_interval(t, e, x, spec.alpha, spec.width)


def run_seeds(spec: Spec, seeds: Sequence[int]) -> list[dict]:
    """One row per seed and sample size: seed, n, estimable, reason, events, estimate, std_error,
    statistic, p_value, success."""
    columns = [spec.time, spec.event, spec.score]
    rows = []
    with warnings.catch_warnings():
        # one warning per sample would flood the output; what makes a sample unusable is counted
        warnings.simplefilter("ignore")
        for seed in seeds:
            pool = builtin_pool(spec.source, seed, max(spec.sizes), columns) if spec.builtin else None
            for n in spec.sizes:
                df = pool.iloc[:n] if pool is not None else user_sample(spec.source, n, seed, columns)
                rows.append({"seed": int(seed), "n": int(n), **analyse(df, spec)})
    return rows
