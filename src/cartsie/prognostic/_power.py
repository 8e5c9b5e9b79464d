"""The power of an external validation of a prognostic score, by simulation (issue 16).

:func:`power` simulates many validation samples of each size from a generative model -- the
built-in CART-SIE-like model of :mod:`cartsie.synthetic`, or the user's ``simulate(n, rng)`` --,
analyses each one as the validation would, and reports the share of samples in which the
validation succeeds, with its Monte-Carlo error. Samples run in parallel with joblib (all cores) or
on a Dask cluster (:mod:`cartsie._parallel`).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from cartsie._accuracy import _clopper_pearson
from cartsie._results import TableResult
from cartsie.errors import InputError, SimulationWarning
from cartsie.prognostic._power_sim import BUILTIN_SCORE, EFFECTS, Spec, run_seeds

__all__ = ["Power", "power"]

#: the columns every summary starts with, whatever the effect
SUMMARY_COLUMNS = ("n", "power", "mc_se", "ci_lower", "ci_upper", "seeds", "not_estimable")
RUN_COLUMNS = (
    "seed",
    "n",
    "estimable",
    "reason",
    "events",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "success",
)
#: seeds per task sent to a worker (fewer when there are few seeds per core)
MAX_CHUNK = 25


@dataclass(frozen=True, repr=False)
class Power(TableResult):
    """Simulated power of a validation study at one or several sample sizes.

    Parameters
    ----------
    table : DataFrame
        One row per sample size: ``n, power, mc_se, ci_lower, ci_upper, seeds, not_estimable``, then
        ``events`` (mean events per sample) and the effect's own columns (``hr`` the median hazard
        ratio; ``c`` the mean Harrell's C and ``width`` the mean CI width).
    runs : DataFrame
        One row per seed and sample size: seed, n, estimable, reason, events, estimate (log hazard
        ratio, log-rank statistic or C), std_error, statistic (z, chi-squared or CI width), p_value
        and success (rejection at ``alpha``, or a CI no wider than ``width``). Aggregates only.
    effect : str
        What was estimated (see :func:`power`).
    alpha : float
        Two-sided level of the test (``c_width``: the CI of C has level ``1 - alpha``).
    width : float or None
        Target CI width of ``c_width``.
    conf_level : float
        Level of the Clopper-Pearson CI of the power.
    model : str
        The generative model's description.
    """

    table: pd.DataFrame
    runs: pd.DataFrame = field(repr=False)
    effect: str
    alpha: float
    width: float | None
    conf_level: float
    model: str

    @property
    def _title(self) -> str:  # type: ignore[override]
        what = EFFECTS[self.effect] + (f" <= {self.width:g}" if self.effect == "c_width" else "")
        return f"Simulated power: {what}; {self.model}"

    def _glance(self) -> dict:
        return {"effect": self.effect, "seeds": int(self.runs["seed"].nunique()), "alpha": self.alpha}

    def _tidy(self) -> pd.DataFrame:
        t = self.table
        return pd.DataFrame(
            {
                "term": [f"n={n}" for n in t["n"]],
                "estimate": t["power"].to_numpy(),
                "std_error": t["mc_se"].to_numpy(),
                "ci_lower": t["ci_lower"].to_numpy(),
                "ci_upper": t["ci_upper"].to_numpy(),
            }
        )


def _sizes(n) -> tuple[int, ...]:
    given: list = [n] if np.isscalar(n) else list(n)
    if not given or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in given):
        raise InputError(f"power(): n must be a sample size or a sequence of them (integers); got {n!r}.")
    values = sorted({int(v) for v in given})
    if values[0] < 2:
        raise InputError(f"power(): every sample size n must be at least 2; got {values[0]}.")
    return tuple(values)


def _seed_list(seeds) -> list[int]:
    if isinstance(seeds, int | np.integer) and not isinstance(seeds, bool):
        if seeds < 1:
            raise InputError(
                f"power(): seeds must be at least 1 (the number of simulated samples); got {seeds}."
            )
        return list(range(int(seeds)))
    try:
        out = [int(s) for s in seeds]
    except (TypeError, ValueError):
        raise InputError(
            f"power(): seeds must be a number of seeds or a list of integer seeds; got {seeds!r}."
        ) from None
    if not out or len(set(out)) != len(out) or min(out) < 0:
        raise InputError("power(): seeds must be distinct non-negative integers, at least one.")
    return out


def _spec(model, sizes, effect, alpha, width, time, event, score) -> tuple[Spec, str]:
    if effect not in EFFECTS:
        raise InputError(f"power(): effect must be one of {', '.join(map(repr, EFFECTS))}; got {effect!r}.")
    if not (isinstance(alpha, float | int) and 0 < alpha < 1):
        raise InputError(f"power(): alpha must be a number between 0 and 1; got {alpha!r}.")
    if effect == "c_width":
        if width is None or not (isinstance(width, float | int) and 0 < width <= 1):
            raise InputError(
                f"power(): effect='c_width' needs the target CI width, 0 < width <= 1; got {width!r}."
            )
    elif width is not None:
        raise InputError(f"power(): width is the target of effect='c_width' only (effect={effect!r}).")
    from cartsie.synthetic import DEFAULT_MODEL, Model

    if isinstance(model, str) and model == "cartsie":
        model = DEFAULT_MODEL
    if isinstance(model, Model):
        source, builtin = model, True
        label = "built-in synthetic CART-SIE model" + ("" if model == DEFAULT_MODEL else " (modified)")
        score = score or BUILTIN_SCORE[effect]
    elif callable(model):
        source, builtin, label = model, False, getattr(model, "__name__", "simulate")
        if score is None:
            raise InputError("power(): with simulate(n, rng) as the model, name its score column: score=...")
    else:
        raise InputError(
            f"power(): model must be 'cartsie' (the built-in generative model), a "
            f"cartsie.synthetic.Model, or a function simulate(n, rng) -> DataFrame; got {model!r}."
        )
    return Spec(source, builtin, sizes, effect, float(alpha), width, time, event, score), label


def power(
    model: str | Callable = "cartsie",
    n: int | Sequence[int] = 389,
    *,
    effect: str = "hr",
    seeds: int | Sequence[int] = 1000,
    alpha: float = 0.05,
    width: float | None = None,
    time: str = "os_months",
    event: str = "os_event",
    score: str | None = None,
    conf_level: float = 0.95,
    jobs: int | None = None,
    scheduler=None,
    progress: bool | None = None,
) -> Power:
    """Estimate the power of an external validation of a score at sample size(s) ``n`` by simulation.

    For each seed and each sample size, one validation sample is simulated and analysed; the power
    is the share of the estimable samples in which the validation succeeds.

    Parameters
    ----------
    model : "cartsie", cartsie.synthetic.Model or callable
        ``"cartsie"``: the built-in generative model (:func:`cartsie.synthetic.cartsie_like`, its
        calibrated :data:`~cartsie.synthetic.DEFAULT_MODEL`), or a :class:`~cartsie.synthetic.Model`
        with changed parameters. A sample of n is n LBCL patients with the score evaluable
        (n = 389 is the paper's HT-evaluable population). Or a function ``simulate(n, rng) ->
        DataFrame`` giving n patients with the columns ``time``, ``event`` and ``score`` from the
        NumPy generator ``rng``.
    n : int or sequence of int
        Sample size(s), each at least 2; several give a power curve.
    effect : {"hr", "logrank", "c_width"}
        What the validation tests. ``"hr"``: the Cox model of ``time``/``event`` on ``score``
        (Efron ties) rejects HR = 1 by its two-sided Wald test at ``alpha``. ``"logrank"``: the
        log-rank test of the groups of ``score`` rejects at ``alpha``. ``"c_width"``: the
        ``1 - alpha`` Wald CI of Harrell's C of ``score`` (higher = higher risk) is at most
        ``width`` wide (the "power" is then the assurance of that precision).
    seeds : int or sequence of int, default 1000
        Number of simulated samples per size (seeds 0, 1, ...), or the seeds themselves.
    alpha : float, default 0.05
        Two-sided significance level (and 1 - level of the CI of C).
    width : float, optional
        Target width of the CI of C (``effect="c_width"`` only, where it is required).
    time, event : str, default "os_months", "os_event"
        Follow-up time and event (1 event, 0 censored) columns; the built-in model has the
        endpoints of :attr:`cartsie.cohort.Cohort.endpoints` (os, pfs...).
    score : str, optional
        Score column; for the built-in model ``"ht_high"`` (HT high vs low) for ``"hr"`` and
        ``"logrank"``, ``"ht_score"`` (0-7) for ``"c_width"``. Required with ``simulate``.
    conf_level : float, default 0.95
        Level of the Clopper-Pearson CI of the power.
    jobs : int, optional
        joblib workers (default: all cores; 1 runs in this process).
    scheduler : str or distributed.Client, optional
        Address of a Dask scheduler (``"tcp://host:8786"``) or a client: the seeds run on that
        cluster through joblib's dask backend (needs ``dask[distributed]``).
    progress : bool, optional
        Show a progress bar (rich); by default only on a terminal, not when piped or under CI.

    Returns
    -------
    Power
        ``.summary[n, power, mc_se, ci_lower, ci_upper, seeds, not_estimable, events, ...]``,
        ``.runs`` (one row per seed and size), ``.tidy()``; draw it with
        :func:`cartsie.figures.power_curve`.

    Warns
    -----
    SimulationWarning
        When some samples are not estimable (no events, one score group only, a monotone
        likelihood such as a group without deaths): they are counted in ``not_estimable`` and left
        out of the power, which is then the power among estimable samples. Warnings raised while
        a sample is simulated or analysed are not shown (there would be one per sample).

    Notes
    -----
    With ``S`` estimable seeds and ``k`` successes, power ``p = k / S``, Monte-Carlo standard error
    ``sqrt(p (1 - p) / S)``, and the exact binomial (Clopper-Pearson) CI of ``p``: the
    ``(1 - conf_level) / 2`` and ``(1 + conf_level) / 2`` quantiles of Beta(k, S - k + 1) and
    Beta(k + 1, S - k), as R's ``binom.test(k, S)$conf.int``.

    Common random numbers: seed s gives the same random stream at every n. With ``simulate``, each
    sample is ``simulate(n, numpy.random.default_rng(s))``; with the built-in model, the sample of
    n is the first n patients of one stream of seed s (cohorts of 1002 enrolled, block 0 being
    ``cartsie_like(s)``, each shuffled), so samples are nested across n and a curve is smooth.
    Those of one block keep the published mix of HT groups, exactly at n = 389 and
    hypergeometrically below. The results do not depend on ``jobs``, ``scheduler`` or the order
    of the sizes.

    The effect simulated is the one the model implies (for the built-in model, the HT groups' hazard
    ratio for OS is about 2.2); for another effect size, change the model's parameters
    (``cartsie.synthetic.DEFAULT_MODEL.with_(...)``) or give a ``simulate`` with the effect wanted.
    The width of the CI of C is that of the interval cut to [0, 1], as
    :func:`cartsie.prognostic.concordance` reports it.

    For a binary score and proportional hazards, Schoenfeld's (1981) formula approximates the
    power of ``"hr"`` and ``"logrank"``: ``Phi(|log HR| sqrt(d q (1 - q)) - z_{1 - alpha/2})``
    with d events and a share q in one group; the tests check the simulation against it.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> def simulate(n, rng):  # exponential survival, HR 2 for the high group, no censoring
    ...     high = np.arange(n) % 2
    ...     return pd.DataFrame({"t": rng.exponential(1 / np.where(high, 2.0, 1.0)),
    ...                          "e": np.ones(n, int), "high": high})
    >>> p = power(simulate, [40, 80], time="t", event="e", score="high", seeds=200, jobs=1)
    >>> p.summary[["n", "power", "seeds"]].round(2).to_dict("list")
    {'n': [40, 80], 'power': [0.56, 0.86], 'seeds': [200, 200]}
    """
    sizes = _sizes(n)
    seed_list = _seed_list(seeds)
    spec, label = _spec(model, sizes, effect, alpha, width, time, event, score)
    if not (isinstance(conf_level, float | int) and 0 < conf_level < 1):
        raise InputError(f"power(): conf_level must be a number between 0 and 1; got {conf_level!r}.")
    rows = _simulate(spec, seed_list, jobs, scheduler, progress)
    runs = pd.DataFrame(rows).reindex(columns=list(RUN_COLUMNS))
    runs["estimable"] = runs["estimable"].astype(bool)
    runs["success"] = runs["success"].astype("boolean")
    runs = runs.sort_values(["n", "seed"], ignore_index=True)
    table = _aggregate(runs, effect, conf_level)
    _warn_not_estimable(runs, table)
    return Power(table, runs, effect, float(alpha), width, float(conf_level), label)


def _simulate(spec: Spec, seeds: list[int], jobs, scheduler, progress) -> list[dict]:
    from cartsie._parallel import run_tasks

    if jobs == 1 and scheduler is None:
        chunks = [seeds]
    else:
        workers = (os.cpu_count() or 1) if jobs is None or jobs < 1 else jobs
        size = max(1, min(MAX_CHUNK, math.ceil(len(seeds) / (4 * workers))))
        chunks = [seeds[i : i + size] for i in range(0, len(seeds), size)]
    done = run_tasks(
        partial(run_seeds, spec),
        chunks,
        n_jobs=-1 if jobs is None else jobs,
        scheduler=scheduler,
        progress=progress,
        label="power: seeds",
        sizes=[len(c) for c in chunks],
    )
    return [row for part in done for row in part]


def _aggregate(runs: pd.DataFrame, effect: str, conf_level: float) -> pd.DataFrame:
    out = []
    for n, r in runs.groupby("n", sort=True):
        ok = r[r["estimable"]]
        seeds, k = len(ok), int(ok["success"].sum())
        p, lower, upper = _clopper_pearson(k, seeds, conf_level)
        row = {
            "n": int(n),
            "power": p,
            "mc_se": math.sqrt(p * (1 - p) / seeds) if seeds else math.nan,
            "ci_lower": lower,
            "ci_upper": upper,
            "seeds": seeds,
            "not_estimable": len(r) - seeds,
            "events": float(r["events"].mean()),
        }
        if effect == "hr":
            row["hr"] = float(np.exp(ok["estimate"].median())) if seeds else math.nan
        elif effect == "c_width":
            row["c"] = float(ok["estimate"].mean()) if seeds else math.nan
            row["width"] = float(ok["statistic"].mean()) if seeds else math.nan
        out.append(row)
    return pd.DataFrame(out)


def _warn_not_estimable(runs: pd.DataFrame, table: pd.DataFrame) -> None:
    bad = table[table["not_estimable"] > 0]
    if bad.empty:
        return
    reasons = runs.loc[~runs["estimable"], "reason"].value_counts()
    parts = ", ".join(
        f"n = {r.n}: {r.not_estimable} of {r.not_estimable + r.seeds}" for r in bad.itertuples()
    )
    why = "; ".join(f"{reason} ({count})" for reason, count in reasons.items())
    warnings.warn(
        f"power(): some simulated samples are not estimable and are left out of the power ({parts}; "
        f"{why}). The power is that among estimable samples; see .summary['not_estimable'].",
        SimulationWarning,
        stacklevel=3,
    )
