"""The simulated-method-of-moments fit of :mod:`cartsie.calibration` (see there)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack

import numpy as np
import pandas as pd

from cartsie._parallel import _client, want_progress
from cartsie.calibration._result import FitResult
from cartsie.calibration._seeds import simulate_seeds, summarise_seeds

#: the optimisers :func:`fit` accepts: SciPy's derivative-free Nelder-Mead and Powell
#: (:func:`scipy.optimize.minimize`), and "least-squares", a trust-region Gauss-Newton on the vector of
#: weighted z (:func:`scipy.optimize.least_squares`, ``method="trf"``) whose Jacobian is taken by
#: forward differences of ``fd_step`` steps -- wide enough to see past the steps of the simulated
#: estimates
METHODS = ("Nelder-Mead", "Powell", "least-squares")

# ---------------------------------------------------------------------------------------------------
# the fit


class _BudgetExhausted(Exception):
    """Raised inside the objective when ``maxfev`` evaluations have been made."""


def _as_targets(targets) -> pd.Series:
    if isinstance(targets, pd.DataFrame):
        if "id" in targets.columns:
            targets = targets.set_index("id")
        column = next((c for c in ("target", "value", "published_value") if c in targets.columns), None)
        if column is None and targets.shape[1] == 1:
            column = targets.columns[0]
        if column is None:
            raise ValueError("targets: a DataFrame needs an 'id' and a 'target' (or 'value') column.")
        targets = targets[column]
    out = pd.Series(targets, dtype=float)
    if out.index.has_duplicates:
        raise ValueError(f"targets: duplicated ids {sorted(set(out.index[out.index.duplicated()]))}")
    out.index = out.index.astype(str)
    return out


def _default_step(value: float) -> float:
    return 0.1 * abs(value) if value != 0 else 0.1


def _show_progress(progress: bool | None) -> bool:
    # the rule of every parallel run of cartsie: on a terminal, not in continuous integration
    return want_progress(progress)


class _Objective:
    """Q(theta) over the seeds, with a cache, a history, an evaluation budget and a progress bar."""

    def __init__(self, simulate, start, names, seeds, ids, parallel, maxfev, bar, task):
        self.simulate, self.start, self.names = simulate, dict(start), list(names)
        self.seeds, self.ids, self.parallel = list(seeds), list(ids), parallel
        self.maxfev, self.bar, self.task = maxfev, bar, task
        self.cache: dict[tuple, tuple[float, pd.DataFrame]] = {}
        self.history: list[dict] = []
        # set by _scale after the first evaluation: the SDs at the start, targets, weights, use
        self.scaled = False
        self.scale = self.target = self.weight = pd.Series(dtype=float)
        self.used = pd.Series(dtype=bool)
        self.reason = pd.Series(dtype=str)
        self.penalty = 0.0
        self.best: tuple[float, tuple, pd.DataFrame] | None = None

    def stats(self, theta: tuple) -> pd.DataFrame:
        params = {**self.start, **dict(zip(self.names, theta, strict=True))}
        return summarise_seeds(simulate_seeds(self.simulate, params, self.seeds, self.ids, self.parallel))

    def value(self, stats: pd.DataFrame) -> float:
        return float((self.residuals(stats) ** 2).sum())

    def residuals(self, stats: pd.DataFrame) -> np.ndarray:
        """``sqrt(w_k) z_k`` of the used targets (``sqrt(w_k penalty)`` where none is estimable): the
        objective is their sum of squares."""
        used = self.used
        z = (stats["mean"][used] - self.target[used]) / self.scale[used]
        w = self.weight[used]
        r = np.sqrt(w) * z
        return r.fillna(np.sqrt(w * self.penalty)).to_numpy(float)

    def vector(self, theta: tuple) -> np.ndarray:
        """The residuals at ``theta`` (evaluated, cached and counted as :meth:`__call__`)."""
        key = tuple(float(x) for x in theta)
        self(key)
        return self.residuals(self.cache[key][1])

    def __call__(self, theta: tuple) -> float:
        key = tuple(float(x) for x in theta)
        if key in self.cache:
            return self.cache[key][0]
        if len(self.cache) >= self.maxfev:
            raise _BudgetExhausted
        stats = self.stats(key)
        q = self.value(stats) if self.scaled else np.nan
        self.cache[key] = (q, stats)
        self.history.append(
            {"evaluation": len(self.cache), "objective": q, **dict(zip(self.names, key, strict=True))}
        )
        if self.scaled and (self.best is None or q < self.best[0]):
            self.best = (q, key, stats)
        if self.bar is not None:
            best = self.best[0] if self.best is not None else q
            self.bar.update(self.task, advance=1, description=f"calibration: objective {best:.2f}")
        return q


def fit(
    targets: pd.Series | pd.DataFrame,
    simulate: Callable[[dict, int], pd.Series],
    start: Mapping,
    *,
    parameters: Sequence[str],
    seeds: Iterable[int],
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
    method: str = "Nelder-Mead",
    maxfev: int = 200,
    steps: Mapping[str, float] | None = None,
    weights: Mapping[str, float] | pd.Series | None = None,
    jobs: int = -1,
    scheduler=None,
    progress: bool | None = None,
    missing_penalty: float = 100.0,
    fd_step: float = 1.0,
    options: Mapping | None = None,
) -> FitResult:
    """Fit a simulator's parameters so its mean estimates over fixed seeds meet the targets.

    Minimises ``Q(theta) = sum_k w_k ((m_k(theta) - t_k) / s_k)^2`` (the module docstring) with SciPy's
    derivative-free Nelder-Mead or Powell, or as a least-squares problem in the weighted z (a
    trust-region Gauss-Newton with finite-difference Jacobian), over the parameters named, the others
    fixed at ``start``.

    Parameters
    ----------
    targets : Series or DataFrame
        Target values by estimate id (a Series indexed by id, or a DataFrame with ``id`` and
        ``target`` or ``value``); NaN targets are left out of the objective.
    simulate : callable
        ``simulate(params, seed) -> Series`` of estimates by id, ``params`` a dict of every
        parameter; NaN, +/-inf or a missing id = not estimable in that seed (left out of that
        estimate's mean and counted). Must be picklable to run in other processes (a module-level
        function or a :func:`functools.partial` of one).
    start : mapping
        Every parameter at the start (e.g. the fields of a model's dataclass).
    parameters : sequence of str
        The names fitted (numeric entries of ``start``).
    seeds : iterable of int
        The seeds, the same at every evaluation (common random numbers).
    bounds : mapping, optional
        ``name -> (low, high)`` (None: unbounded); the optimiser stays inside (SciPy >= 1.7 supports
        bounds for both methods).
    method : {"Nelder-Mead", "Powell", "least-squares"}
        The optimiser. "least-squares" uses the structure of ``Q`` (a sum of squares): each
        iteration costs one evaluation per parameter for the Jacobian plus the trial point, and it
        reaches a minimum in far fewer evaluations than the simplex when the number of parameters is
        more than a few.
    maxfev : int
        Budget of evaluations (each simulates every seed), the start included.
    steps : mapping, optional
        ``name -> step``: the scale of each parameter, the optimiser working on ``(theta - start) /
        step``; Nelder-Mead's first simplex moves each parameter by one step. Default ``0.1 |start|``,
        or 0.1 at zero.
    weights : mapping or Series, optional
        ``w_k`` by id (default 1).
    jobs : int
        joblib processes over the seeds of an evaluation (-1: all cores; 1: in this process). The
        workers live through the fit (one pool).
    scheduler : str or distributed.Client, optional
        A Dask scheduler's address (``"tcp://host:8786"``) or client: the seeds run on the cluster
        through joblib's dask backend.
    progress : bool, optional
        A rich progress bar over the evaluations; default on a terminal only (not when piped or
        when ``CI`` is set).
    missing_penalty : float
        Added to ``Q`` (times ``w_k``) for a used target with no estimable seed at ``theta``.
    fd_step : float
        "least-squares" only: the forward-difference step of the Jacobian, in units of ``steps``
        (default one step: a smaller one sees the steps of the piecewise-constant estimates, not
        their slope).
    options : mapping, optional
        More options for :func:`scipy.optimize.minimize` (e.g. ``xatol``, ``fatol``) or
        :func:`scipy.optimize.least_squares` (``ftol``, ``xtol``).

    Returns
    -------
    FitResult
        Fitted parameters (the lowest objective evaluated), objective before and after, evaluations,
        and the per-target table with each z before and after.

    Raises
    ------
    ValueError
        For an unknown method, a parameter not in ``start``, no usable target, a start outside
        the bounds, or a ``fd_step`` not positive.

    Notes
    -----
    ``s_k`` is the SD at the start and stays fixed: the objective cannot be lowered by inflating the
    simulation's variance. A target whose ``s_k`` is zero or undefined (fixed by construction, or
    fewer than two estimable seeds at the start) is left out of the objective, and its row says why.
    With common random numbers ``Q`` is deterministic but piecewise constant on a fine scale (each
    simulated event is a step in ``theta``): steps should be large enough to see past those steps.
    The fit is to these seeds; check it on other seeds.

    References
    ----------
    McFadden (1989), Pakes and Pollard (1989): the simulated method of moments; common random
    numbers: Glasserman (2004) sec. 4.2 (full references in the module docstring).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> def sim(p, seed):
    ...     x = np.random.default_rng(seed).normal(p["mu"], 1.0, 200)
    ...     return pd.Series({"mean": x.mean()})
    >>> r = fit(pd.Series({"mean": 2.0}), sim, {"mu": 0.0}, parameters=["mu"], seeds=range(5),
    ...         jobs=1, maxfev=60, progress=False)
    >>> bool(r.objective_after < 0.01 < r.objective_before)
    True
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}.")
    if not fd_step > 0:
        raise ValueError(f"fd_step must be positive, not {fd_step!r}.")
    names = list(parameters)
    unknown = [k for k in names if k not in start]
    if unknown or not names:
        raise ValueError(f"parameters to fit must be names of start; unknown: {unknown or 'none given'}")
    target = _as_targets(targets)
    seeds = [int(s) for s in seeds]
    x0 = np.array([float(start[k]) for k in names])
    step = np.array([float((steps or {}).get(k, _default_step(v))) for k, v in zip(names, x0, strict=True)])
    lo, hi = _bounds(names, bounds, x0)
    t0 = time.perf_counter()
    with ExitStack() as stack:
        parallel = _parallel(stack, jobs, scheduler)
        bar, task = _progress(stack, progress, maxfev)
        obj = _Objective(simulate, start, names, seeds, list(target.index), parallel, maxfev, bar, task)
        obj(tuple(x0))  # the start: its SDs scale the objective
        q0, before = _scale(obj, tuple(x0), target, weights, missing_penalty)
        converged, message = _minimise(obj, method, x0, step, lo, hi, maxfev, options, fd_step)
    assert obj.best is not None  # set by _scale
    q1, theta, stats1 = obj.best
    params = {**dict(start), **dict(zip(names, theta, strict=True))}
    table = _table(target, obj, before, stats1)
    return FitResult(
        params=params,
        start=dict(start),
        parameters=tuple(names),
        table=table,
        objective_before=q0,
        objective_after=q1,
        evaluations=len(obj.cache),
        seeds=tuple(seeds),
        method=method,
        converged=converged,
        message=message,
        seconds=time.perf_counter() - t0,
        history=pd.DataFrame(obj.history),
    )


def _bounds(names, bounds, x0) -> tuple[np.ndarray, np.ndarray]:
    lo = np.full(len(names), -np.inf)
    hi = np.full(len(names), np.inf)
    for i, k in enumerate(names):
        low, high = (bounds or {}).get(k, (None, None))
        lo[i] = -np.inf if low is None else float(low)
        hi[i] = np.inf if high is None else float(high)
    if np.any(x0 < lo) or np.any(x0 > hi):
        raise ValueError("the start of a fitted parameter lies outside its bounds")
    return lo, hi


def _scale(
    obj: _Objective, x0: tuple, target: pd.Series, weights, penalty: float
) -> tuple[float, pd.DataFrame]:
    """Fix the SDs of the start as the objective's scale, and which targets it uses (and why not);
    the objective at the start and its statistics."""
    stats = obj.cache[x0][1]
    sd = stats["sd"]
    w = pd.Series(1.0, index=target.index)
    if weights is not None:
        w.update(pd.Series(weights, dtype=float))
    reason = pd.Series("", index=target.index)
    reason[w <= 0] = "weight 0"
    reason[stats["n"] < 2] = "fewer than 2 estimable seeds at the start"
    reason[(sd == 0) & (stats["n"] >= 2)] = (
        "sd 0 at the start (the same in every seed: fixed by construction)"
    )
    reason[stats["n"] == 0] = "not simulated (no estimable seed at the start)"
    reason[target.isna()] = "no target value"
    obj.scale, obj.target, obj.weight, obj.scaled = sd, target, w, True
    obj.used = reason.eq("")
    obj.reason = reason
    obj.penalty = penalty
    if not obj.used.any():
        raise ValueError("no target can be fitted: " + "; ".join(sorted(set(reason))))
    q0 = obj.value(stats)
    obj.cache[x0] = (q0, stats)
    obj.history[0]["objective"] = q0
    obj.best = (q0, x0, stats)
    return q0, stats


def _minimise(obj, method, x0, step, lo, hi, maxfev, options, fd_step=1.0) -> tuple[bool, str]:
    from scipy.optimize import Bounds, minimize

    def f(u):
        return obj(tuple(np.clip(x0 + u * step, lo, hi)))

    bounded = np.isfinite(lo).any() or np.isfinite(hi).any()
    ub = Bounds((lo - x0) / step, (hi - x0) / step) if bounded else None
    if method == "least-squares":
        return _least_squares(obj, x0, step, lo, hi, maxfev, options, fd_step)
    opts: dict = {"maxfev": maxfev}
    if method == "Nelder-Mead":
        n = len(x0)
        simplex = np.vstack([np.zeros(n), np.eye(n)])
        if ub is not None:
            simplex = np.clip(simplex, ub.lb, ub.ub)
        opts |= {"initial_simplex": simplex, "xatol": 0.02, "fatol": 0.01}
    else:
        opts |= {"xtol": 0.02, "ftol": 1e-4}
    opts |= dict(options or {})
    try:
        res = minimize(f, np.zeros(len(x0)), method=method, bounds=ub, options=opts)
    except _BudgetExhausted:
        return False, f"stopped at the evaluation budget (maxfev = {maxfev})."
    return bool(res.success), str(res.message)


def _least_squares(obj, x0, step, lo, hi, maxfev, options, fd_step) -> tuple[bool, str]:
    from scipy.optimize import least_squares

    def r(u):
        return obj.vector(tuple(np.clip(x0 + u * step, lo, hi)))

    def jac(u, r0):
        # forward differences of fd_step steps, backwards where the step would cross a bound; the
        # points are cached, so a Jacobian at an evaluated point costs one evaluation per parameter
        J = np.empty((len(r0), len(u)))
        for j in range(len(u)):
            h = fd_step if u[j] + fd_step <= ub[j] else -fd_step
            e = u.copy()
            e[j] += h
            J[:, j] = (r(e) - r0) / h
        return J

    lb, ub = (lo - x0) / step, (hi - x0) / step
    opts = {"ftol": 1e-3, "xtol": 1e-3, "gtol": 1e-8} | dict(options or {})
    try:
        res = least_squares(
            r,
            np.zeros(len(x0)),
            jac=lambda u: jac(u, r(u)),
            bounds=(lb, ub),
            method="trf",
            x_scale=1.0,
            max_nfev=maxfev,
            **opts,
        )
    except _BudgetExhausted:
        return False, f"stopped at the evaluation budget (maxfev = {maxfev})."
    return bool(res.status > 0), str(res.message)


def _table(target: pd.Series, obj: _Objective, before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "id": target.index,
                "target": target.to_numpy(),
                "mean_before": before["mean"].to_numpy(),
                "sd_before": before["sd"].to_numpy(),
                "z_before": ((before["mean"] - target) / before["sd"]).to_numpy(),
                "mean_after": after["mean"].to_numpy(),
                "sd_after": after["sd"].to_numpy(),
                "z_after": ((after["mean"] - target) / after["sd"]).to_numpy(),
                "n_excluded_before": before["n_excluded"].to_numpy(),
                "n_excluded": after["n_excluded"].to_numpy(),
                "weight": obj.weight.to_numpy(),
                "used": obj.used.to_numpy(),
                "reason": obj.reason.to_numpy(),
            }
        )
    z = out[["z_before", "z_after"]]
    out[["z_before", "z_after"]] = z.where(np.isfinite(z))
    return out


def _parallel(stack: ExitStack, jobs: int, scheduler):
    """A joblib pool kept open for the whole fit (loky processes, or Dask workers), or None."""
    if scheduler is None and jobs == 1:
        return None
    from joblib import Parallel, parallel_config

    if scheduler is not None:
        client, ours = _client(scheduler)
        if ours:
            stack.enter_context(client)
        stack.enter_context(parallel_config(backend="dask", client=client))
    return stack.enter_context(Parallel(n_jobs=jobs))


def _progress(stack: ExitStack, progress: bool | None, total: int):
    if not _show_progress(progress):
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = stack.enter_context(
        Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    )
    return bar, bar.add_task("calibration", total=total)
