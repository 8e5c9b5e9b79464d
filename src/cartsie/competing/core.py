"""Competing risks: Aalen-Johansen cumulative incidence, Gray's test and Fine-Gray regression.

Every number equals what R's ``cmprsk`` (2.2) gives for the same data; the tests compare with
fixtures written by ``tests/reference/competing*.R``. Event codes: ``censor_code`` (default 0) is
censored, ``cause`` (default 1) is the cause of interest, and every other code is a competing cause
(as ``cmprsk``). Conventions:

- ``cumulative_incidence``: estimate and variance as ``cuminc`` + ``timepoints`` (cuminc's own
  delta-method variance, not Greenwood's or Aalen's); ties handled exactly (no jitter); pointwise CIs
  on the log(-log) scale by default (Pintilie 2006), also "log" and "plain".
- ``gray_test``: Gray's K-sample test as ``cuminc``'s ``$Tests`` (rho = 0 by default, optional
  strata).
- ``fine_gray``: subdistribution hazard model as ``crr``: inverse-probability-of-censoring weights
  from the censoring Kaplan-Meier taken just before each time, Breslow ties, and crr's sandwich
  variance including the term for estimating the censoring distribution; Wald CIs and p-values.
  Computed by running sums in O(n p^2) per Newton step (and for the variance) after one sort.

Like ``cmprsk`` (and unlike ``survival``), times that differ only by floating-point noise are kept
distinct.

Examples
--------
>>> import pandas as pd
>>> from cartsie.competing import cumulative_incidence, gray_test, fine_gray
>>> df = pd.DataFrame({
...     "t": [1, 2, 2, 3, 4, 5, 6, 7, 8, 9],
...     "e": [1, 2, 0, 1, 1, 0, 2, 1, 0, 1],
...     "g": list("aabbabbaab"),
... })
>>> ci = cumulative_incidence(df, "t", "e")
>>> round(float(ci.at(3)["estimate"].iloc[0]), 4)
0.2143
>>> round(gray_test(df, "t", "e", "g").p_value, 4)
0.42
>>> fit = fine_gray(df.assign(x=[0, 1, 0, 1, 1, 0, 1, 0, 1, 0]), "t", "e", ["x"])
>>> round(float(fit.params["x"]), 4)
-0.5901
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cartsie._design import build_design
from cartsie._dist import chi2_sf
from cartsie._missing import warn_dropped
from cartsie._results import TestResult
from cartsie._survprep import group_codes, z_value
from cartsie.competing import _finegray
from cartsie.competing._aalen_johansen import CONF_TYPES, incidence
from cartsie.competing._gray import statistic, stratum_score
from cartsie.competing._prep import CRData, EventTable, competing_data, event_table
from cartsie.competing._results import ALL, CumulativeIncidence, FineGray
from cartsie.errors import ConvergenceWarning, InputError, MonotoneLikelihoodWarning

__all__ = [
    "CumulativeIncidence",
    "FineGray",
    "cumulative_incidence",
    "fine_gray",
    "gray_test",
]


#: most groups accepted by cumulative_incidence / gray_test (a guard against continuous columns)
MAX_GROUPS = 100


def _gray_tests(table: EventTable, which: Sequence[int], rho: float) -> list[tuple[float, float]]:
    """Statistic and p-value of Gray's test for each cause position in ``which`` (0-based)."""
    at_risk = table.at_risk
    d_any = table.counts[:, :, 1:].sum(axis=2)
    ng = at_risk.shape[1]
    out = []
    for j in which:
        d1 = table.counts[:, :, 1 + j]
        score, var = np.zeros(ng - 1), np.zeros((ng - 1, ng - 1))
        for lo, hi in itertools.pairwise(table.stratum_start):
            sc, v = stratum_score(at_risk[lo:hi], d1[lo:hi], d_any[lo:hi] - d1[lo:hi], rho)
            score += sc
            var += v
        stat = statistic(score, var)
        out.append((stat, float(chi2_sf(stat, ng - 1)) if np.isfinite(stat) else float("nan")))
    return out


def _table(data: CRData, gcode: np.ndarray, ng: int, strata: str | None) -> EventTable:
    scode = None if strata is None else group_codes(data.frame[strata])[0]
    return event_table(data.time, data.code_index, 1 + len(data.causes), gcode, ng, scode)


def _check_rho(rho, func: str) -> float:
    if isinstance(rho, bool) or not isinstance(rho, int | float) or not np.isfinite(rho):
        raise InputError(
            f"{func}(): rho must be a finite number (0 gives cuminc's default test), got {rho!r}."
        )
    return float(rho)


def _groups(data: CRData, group: str | None, func: str, need_two: bool) -> tuple[np.ndarray, list]:
    if group is None:
        return np.zeros(len(data.time), dtype=np.int64), [ALL]
    codes, levels = group_codes(data.frame[group])
    if len(levels) > MAX_GROUPS:
        raise InputError(
            f"{func}(): column {group!r} has {len(levels)} distinct values; cumulative incidence by "
            f"group and Gray's test compare a few groups (at most {MAX_GROUPS}). Pass a categorical "
            "column (cut a continuous one into groups first)."
        )
    if need_two and len(levels) < 2:
        raise InputError(
            f"{func}(): column {group!r} has a single level ({levels[0]!r}) in the rows used; Gray's "
            "test compares two or more groups."
        )
    return codes, levels


def cumulative_incidence(
    df: pd.DataFrame,
    time: str,
    event: str,
    group: str | None = None,
    cause: int = 1,
    censor_code: int = 0,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
    strata: str | None = None,
    rho: float = 0.0,
) -> CumulativeIncidence:
    """Aalen-Johansen cumulative incidence of each cause, per group, as ``cmprsk::cuminc``.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    time : str
        Follow-up time (>= 0).
    event : str
        Integer event code: ``censor_code`` censored, ``cause`` the cause of interest, any other
        code a competing cause.
    group : str, optional
        Grouping column (levels in R's factor order).
    cause : int
        The cause reported by default by ``.at()`` (curves are computed for every cause).
    censor_code : int
        Code of censored rows (cuminc's ``cencode``).
    conf_type : {"log-log", "log", "plain"}
        Transform of the pointwise CIs; see Notes.
    conf_level : float
        Level of the pointwise CIs.
    strata, rho :
        Stratification column and weight power of Gray's tests in ``.tests`` (cuminc's ``strata``
        and ``rho``).

    Returns
    -------
    CumulativeIncidence
        ``.at(times, cause=None)`` -> DataFrame[group, cause, time, estimate, variance, ci_lower,
        ci_upper]; ``.curves`` (every group and cause, for plotting); ``.summary``; ``.tests``
        (Gray's test per cause when there are two or more groups); ``.n``, ``.n_missing``.

    Notes
    -----
    R: ``cuminc(ftime, fstatus, group, strata, rho, cencode)`` and ``timepoints(fit, times)``. The
    estimate jumps by ``S(t-) d_cause(t) / Y(t)`` (``S`` the overall Kaplan-Meier); the variance is
    cuminc's delta-method estimate (Gray's Fortran ``cinc``), recorded at the cause's event times.
    CIs: "log-log" ``F^exp(+/- z se / (F log F))`` (Pintilie 2006; what ``tidycmprsk`` reports),
    missing where F is 0 or 1; "log" ``F exp(-/+ z se / F)``; "plain" ``F -/+ z se`` clipped to
    [0, 1]. cuminc itself gives no CI. Rows missing any column used are dropped (``n_missing``).
    """
    func = "cumulative_incidence"
    if conf_type not in CONF_TYPES:
        raise InputError(
            f"{func}(): conf_type must be one of {', '.join(map(repr, CONF_TYPES))} (default 'log-log'); "
            f"got {conf_type!r}."
        )
    z = z_value(conf_level, func)
    rho = _check_rho(rho, func)
    data = competing_data(df, time, event, func, cause, censor_code, extra=[group, strata])
    gcode, levels = _groups(data, group, func, need_two=False)
    table = _table(data, gcode, len(levels), None)
    at_risk = table.at_risk
    curves = {}
    for j, level in enumerate(levels):
        counts = table.counts[:, j, :]
        present = np.flatnonzero(counts.sum(axis=1) > 0)
        last, n_group = table.times[present[-1]], counts.sum()
        d_any = counts[:, 1:].sum(axis=1)
        for k, c in enumerate(data.causes):
            curves[(level, c)] = incidence(table.times, at_risk[:, j], d_any, counts[:, 1 + k], last, n_group)
    tests = None
    if len(levels) > 1:
        if strata is not None:
            table = _table(data, gcode, len(levels), strata)
        rows = _gray_tests(table, range(len(data.causes)), rho)
        tests = pd.DataFrame(
            {"statistic": [r[0] for r in rows], "df": len(levels) - 1, "p_value": [r[1] for r in rows]},
            index=pd.Index(list(data.causes), name="cause"),
        )
    return CumulativeIncidence(
        _curves=curves,
        groups=tuple(levels),
        causes=data.causes,
        cause=int(cause),
        time=time,
        event=event,
        group=group,
        conf_type=conf_type,
        conf_level=conf_level,
        z=z,
        n=len(data.time),
        n_missing=data.n_missing,
        tests=tests,
    )


def gray_test(
    df: pd.DataFrame,
    time: str,
    event: str,
    group: str,
    cause: int = 1,
    censor_code: int = 0,
    rho: float = 0.0,
    strata: str | None = None,
) -> TestResult:
    """Test that the cumulative incidence of ``cause`` is equal across groups (Gray's K-sample test).

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    time, event : str
        Follow-up time and integer event code (``censor_code`` censored, ``cause`` the cause of
        interest, any other code a competing cause).
    group : str
        Column with two or more groups.
    cause, censor_code : int
        The event code of the cause tested (default 1) and of censored rows (default 0; cuminc's
        ``cencode``).
    rho : float
        Power of the weight ``(1 - F(t-))^rho`` (cuminc's ``rho``; 0 by default).
    strata : str, optional
        Stratify the test (cuminc's ``strata``): scores and variances summed over strata.

    Returns
    -------
    TestResult
        ``.statistic`` (chi-square), ``.df`` (groups - 1), ``.p_value``, ``.n``.

    Notes
    -----
    R: ``cuminc(ftime, fstatus, group, strata, rho, cencode)$Tests[cause, ]`` (Gray 1988). The
    statistic is ``s' V^-1 s`` for the first ``G - 1`` groups' scores; when V is singular cuminc
    reports -1, here the statistic and p-value are NaN. Rows missing any column used are dropped.
    """
    func = "gray_test"
    rho = _check_rho(rho, func)
    if group is None:
        raise InputError(f"{func}(): give the group column whose levels are compared.")
    data = competing_data(df, time, event, func, cause, censor_code, extra=[group, strata])
    gcode, levels = _groups(data, group, func, need_two=True)
    table = _table(data, gcode, len(levels), strata)
    ((stat, p),) = _gray_tests(table, [data.causes.index(int(cause))], rho)
    strat = f", stratified by {strata}" if strata is not None else ""
    return TestResult(
        statistic=stat,
        df=len(levels) - 1,
        p_value=p,
        method=f"Gray's test (rho = {rho:g}) for cause {cause} across {group}{strat}",
        n=len(data.time),
    )


def _design_matrix(data: CRData, covariates, reference, func: str):
    design = build_design(data.frame, covariates, reference=reference, func=func)
    x = design.transform(data.frame, func).to_numpy(dtype=float)
    if not np.all(np.isfinite(x)):
        raise InputError(f"{func}(): covariates hold infinite values; replace them with finite numbers.")
    xc = x - x.mean(axis=0)
    constant = [design.terms[j] for j in np.flatnonzero(np.all(xc == 0, axis=0))]
    if constant:
        raise InputError(
            f"{func}(): term(s) {', '.join(map(repr, constant))} are constant in the rows used, so their "
            "effects cannot be estimated. Remove them or check the data."
        )
    if np.linalg.matrix_rank(xc) < xc.shape[1]:
        raise InputError(
            f"{func}(): the terms {', '.join(map(repr, design.terms))} are linearly dependent in the rows "
            "used (one is a combination of the others), so crr's information matrix is singular. "
            "Remove one of them or merge the levels involved."
        )
    return design, x


def _warn_monotone(direction: np.ndarray, terms, func: str) -> tuple[str, ...]:
    infinite = tuple(t for t, d in zip(terms, direction, strict=True) if d != 0)
    if infinite:
        warnings.warn(
            f"{func}(): monotone pseudo-likelihood - it has no finite maximum, so the coefficient(s) "
            f"of {', '.join(map(repr, infinite))} are infinite (e.g. a level with no event of the "
            "cause). They are reported as +-inf (sHR inf or 0; NaN when the sign is undetermined) "
            "without SE, CI, z or p; crr reports such fits without warning, with a large coefficient.",
            MonotoneLikelihoodWarning,
            stacklevel=3,
        )
    return infinite


def _summary(beta: np.ndarray, var: np.ndarray, terms, z: float) -> pd.DataFrame:
    se = np.sqrt(np.diag(var))
    with np.errstate(over="ignore", invalid="ignore"):
        return pd.DataFrame(
            {
                "coef": beta,
                "se": se,
                "shr": np.exp(beta),
                "ci_lower": np.exp(beta - z * se),
                "ci_upper": np.exp(beta + z * se),
                "z": beta / se,
                "p_value": chi2_sf((beta / se) ** 2, 1),
            },
            index=pd.Index(terms, name="term"),
        )


def fine_gray(
    df: pd.DataFrame,
    time: str,
    event: str,
    covariates: str | Sequence[str],
    cause: int = 1,
    censor_code: int = 0,
    conf_level: float = 0.95,
    reference: Mapping[str, object] | None = None,
    *,
    tol: float = 1e-12,
    max_iter: int = 50,
) -> FineGray:
    """Fine-Gray proportional subdistribution hazards model, as ``cmprsk::crr``.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    time, event : str
        Follow-up time and integer event code (``censor_code`` censored, ``cause`` the cause of
        interest, any other code a competing cause).
    covariates : str or list of str
        Numeric columns keep their name; categorical ones become ``name[level]`` indicators (R's
        treatment contrasts, the shared ``cartsie._design`` encoder; reference levels in
        ``.reference``).
    cause, censor_code : int
        crr's ``failcode`` and ``cencode``.
    conf_level : float
        Level of the Wald CIs of the subdistribution hazard ratios.
    reference : dict, optional
        Reference level per categorical covariate (default: the first level).
    tol, max_iter : float, int
        Convergence criterion and iteration limit, as crr's ``gtol`` and ``maxiter``: stop when
        ``max(|score| max(|b|, 1)) < max(|loglik|, 1) tol``.

    Returns
    -------
    FineGray
        ``.summary`` (coef, se, shr, ci_lower, ci_upper, z, p_value), ``.params``, ``.cov``,
        ``.naive_cov``, ``.loglik``, ``.loglik_null``, ``.baseline``, ``.n``, ``.n_events``,
        ``.n_missing``, ``.converged``, ``.linear_predictor(df)``, ``.predict(profiles, times)``
        and ``.wald_test(terms)``.

    Notes
    -----
    R: ``crr(ftime, fstatus, cov1 = model.matrix(~ covariates)[, -1], failcode = cause,
    cencode = censor_code)`` with ``summary()``; fixtures use ``gtol = 1e-12, maxiter = 100``.
    Censoring weights from the Kaplan-Meier of the censoring times evaluated just before each time
    (as crr, at ``t (1 - 100 eps)``); a subject with a competing event stays in the risk set with
    weight ``G(t-) / G(T-)``; tied events by Breslow's method. Variance: crr's sandwich
    ``I^-1 (sum (eta_i + psi_i)^2) I^-1``, ``psi_i`` the term for the estimated censoring
    distribution (Fine & Gray 1999). Wald CIs ``exp(coef -/+ z se)``; two-sided normal p. Newton from
    0 with step-halving (as crr); a ``ConvergenceWarning`` when it stops unconverged. Linearly
    dependent or constant terms raise ``InputError``. One censoring distribution for all rows (crr's
    ``cengroup`` is not offered); no time-varying terms (crr's ``cov2``). Rows missing any column used
    are dropped (``n_missing``), with a ``MissingValuesWarning`` naming the model and the columns.

    Monotone pseudo-likelihood (deliberately unlike crr): when it has no finite maximum -- e.g. an
    indicator whose one level has no event of the cause -- the infinite coefficients are found
    exactly by a linear program (every event of the cause has the largest ``x'd`` of its risk set,
    competing-event subjects belonging to every later risk set; :mod:`cartsie._monotone`) and
    reported as +-inf (sHR inf or 0; NaN when either sign is possible) with NaN SE, CI, z and p,
    named in ``.infinite_terms``, with a ``MonotoneLikelihoodWarning``. crr prints the last iterate
    (e.g. sHR 2.7e-14 (1.1e-14 - 6.5e-14), p = 0, as if precise) without a warning; those numbers
    are kept in ``.last_iterate`` and used by ``linear_predictor`` and ``predict``.
    """
    func = "fine_gray"
    z = z_value(conf_level, func)
    if not isinstance(max_iter, int) or max_iter < 0:
        raise InputError(f"{func}(): max_iter must be a non-negative integer, got {max_iter!r}.")
    if not isinstance(tol, int | float) or not tol > 0:
        raise InputError(f"{func}(): tol must be a positive number, got {tol!r}.")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    data = competing_data(df, time, event, func, cause, censor_code, extra=covariates)
    design, x = _design_matrix(data, covariates, reference, func)
    prepared = _finegray.prepare(data.time, data.status, x)
    try:
        fit = _finegray.fit(prepared, tol, max_iter)
    except _finegray.SingularInformation as err:
        which = [design.terms[j] for j in err.columns] or list(design.terms)
        raise InputError(
            f"{func}(): the pseudo-likelihood carries no information on {', '.join(map(repr, which))}: "
            "the term does not vary within the risk sets at the event times of the cause (for "
            "example it is nonzero only for patients censored before the first event), or the terms "
            "are collinear there. crr fails on these data too; remove or regroup the term."
        ) from None
    if not fit.converged:
        warnings.warn(
            f"{func}(): Newton-Raphson stopped after {fit.iterations} iterations without meeting the "
            "convergence criterion; a coefficient may be infinite (a level without events of the "
            "cause) or max_iter too small.",
            ConvergenceWarning,
            stacklevel=2,
        )
    direction = _finegray.monotone_directions(prepared)
    infinite = _warn_monotone(direction, design.terms, func)
    warn_dropped(func, df, [time, event, *covariates], data.n_missing, stacklevel=2)
    naive = np.linalg.inv(fit.info)
    var = naive @ fit.meat @ naive
    var = (var + var.T) / 2
    terms = list(design.terms)
    last = pd.DataFrame({"coef": fit.beta, "se": np.sqrt(np.diag(var))}, index=pd.Index(terms, name="term"))
    flag = direction != 0
    coef = fit.beta.copy()
    coef[flag] = np.where(np.isnan(direction[flag]), np.nan, direction[flag] * np.inf)
    var, naive = var.copy(), naive.copy()
    for m in (var, naive):
        m[flag, :] = np.nan
        m[:, flag] = np.nan
    frame = lambda m: pd.DataFrame(m, index=terms, columns=terms)  # noqa: E731
    baseline = pd.DataFrame(
        {"time": prepared.time_f, "hazard": fit.jumps, "cumulative_hazard": np.cumsum(fit.jumps)}
    )
    return FineGray(
        table=_summary(coef, var, terms, z),
        params=pd.Series(coef, index=terms, name="coef"),
        cov=frame(var),
        naive_cov=frame(naive),
        loglik=-fit.neg_loglik,
        loglik_null=-fit.neg_loglik_null,
        baseline=baseline,
        n=len(data.time),
        n_events=int((data.status == 1).sum()),
        n_competing=int((data.status == 2).sum()),
        n_censored=int((data.status == 0).sum()),
        n_missing=data.n_missing,
        converged=fit.converged,
        iterations=fit.iterations,
        cause=int(cause),
        censor_code=int(censor_code),
        conf_level=conf_level,
        design=design,
        reference={c: design.reference(c) for c in design.levels},
        last_time=float(data.time.max()),
        infinite_terms=infinite,
        last_iterate=last if infinite else None,
        _finite_params=fit.beta if infinite else None,
    )
