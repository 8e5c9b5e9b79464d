"""Kaplan-Meier, landmark estimates, medians, reverse-KM follow-up, log-rank and Cox models.

Every number equals what R's ``survival`` package (3.5) prints for the same data; the tests compare
with fixtures written by ``tests/reference/survival*.R``. Conventions, all R's defaults:

- Times that differ only by floating-point noise are merged first (R's ``timefix``/``aeqSurv``).
- Kaplan-Meier: Greenwood variance; pointwise CIs ``conf_type="log"`` (``survfit``'s default),
  also "log-log" and "plain"; medians and quantiles as ``quantile.survfit``.
- Log-rank: ``survdiff`` (rho = 0), optionally stratified.
- Cox: partial likelihood with Efron ties (``coxph``'s default) or Breslow; Wald CIs; robust
  (sandwich) variance as ``coxph(..., cluster = )``; proportional-hazards test as ``cox.zph``.

Examples
--------
>>> import pandas as pd
>>> from cartsie.survival import kaplan_meier, logrank
>>> df = pd.DataFrame({"t": [1, 2, 2, 3, 4, 5], "e": [1, 1, 0, 1, 0, 1], "g": list("aabbab")})
>>> km = kaplan_meier(df, "t", "e")
>>> float(km.at(2)["survival"].iloc[0])
0.6666666666666667
>>> round(logrank(df, "t", "e", "g").p_value, 4)
0.3636
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartsie._checks import describe_rows, require_columns
from cartsie._dist import chi2_sf
from cartsie._results import Result, TableResult
from cartsie._survprep import group_codes, survival_data, z_value
from cartsie.errors import InputError
from cartsie.survival._cox_result import Cox, CoxZph, fit_cox
from cartsie.survival._km import CONF_TYPES, km_curve, quantile
from cartsie.survival._km_result import ALL, KaplanMeier
from cartsie.survival._logrank import chisq, survdiff

__all__ = [
    "Cox",
    "CoxZph",
    "KaplanMeier",
    "LogRank",
    "MedianFollowup",
    "cox",
    "dor_among_responders",
    "kaplan_meier",
    "logrank",
    "median_followup",
    "survival_at",
]


def _check_conf_type(conf_type: str, func: str) -> None:
    if conf_type not in CONF_TYPES:
        raise InputError(
            f"{func}(): conf_type must be one of {', '.join(map(repr, CONF_TYPES))} "
            f"(R's survfit default is 'log'); got {conf_type!r}."
        )


def kaplan_meier(
    df: pd.DataFrame,
    time: str,
    event: str,
    group: str | None = None,
    conf_type: str = "log",
    conf_level: float = 0.95,
) -> KaplanMeier:
    """Kaplan-Meier estimate of survival, per group, with R's ``survfit`` conventions.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    time, event : str
        Follow-up time (>= 0) and event indicator (1 event, 0 censored).
    group : str, optional
        Column defining the curves (levels in R's factor order: categories of a pandas
        Categorical, numbers ascending, text sorted).
    conf_type : {"log", "log-log", "plain"}
        Pointwise confidence interval of S(t): ``log`` is exp(log S -/+ z se(log S)), upper limit
        clipped to 1; ``log-log`` is S^exp(-/+ z se(log S)/log S); ``plain`` is S -/+ z se(S),
        clipped to [0, 1]. Log types are missing where S = 0 (and log-log where S = 1).
    conf_level : float
        Confidence level (0.95).

    Returns
    -------
    KaplanMeier
        With ``.at(times)``, ``.median()``, ``.quantile(q)``, ``.rmean(tau)``, ``.table()``,
        ``.curves`` (for plotting) and ``.summary``.

    Notes
    -----
    R: ``survfit(Surv(time, event) ~ group, data = df, conf.type = conf_type)``. Greenwood's
    variance of log S is sum d / (n (n - d)); R's ``std.err`` is its square root, and the SE of S
    reported by ``.at`` and ``.curves`` is S times it, as ``summary.survfit``. Rows with a missing
    time, event or group are dropped (``n_missing``), as R's ``na.omit``.
    """
    func = "kaplan_meier"
    _check_conf_type(conf_type, func)
    z = z_value(conf_level, func)
    sd = survival_data(df, time, event, func, extra=[group])
    if group is None:
        codes, levels = np.zeros(len(sd.time), dtype=np.int64), [ALL]
    else:
        codes, levels = group_codes(sd.frame[group])
    curves = []
    for k, label in enumerate(levels):
        mask = codes == k if len(levels) > 1 else slice(None)
        curves.append(km_curve(label, sd.unique_times, sd.time_code[mask], sd.event[mask], conf_type, z))
    return KaplanMeier(
        _curves=tuple(curves),
        time=time,
        event=event,
        group=group,
        conf_type=conf_type,
        conf_level=conf_level,
        n=len(sd.time),
        n_missing=sd.n_missing,
    )


def survival_at(
    df: pd.DataFrame,
    time: str,
    event: str,
    group: str | None = None,
    at: float | Iterable[float] = 12,
    conf_type: str = "log",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Landmark survival (e.g. at 12 months) with CI per group, in one call.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    time, event : str
        Follow-up time (>= 0) and event indicator (1 event, 0 censored).
    group : str, optional
        Column defining the groups (R's factor order); default one curve for everybody.
    at : float or iterable of float, default 12
        Landmark time(s), in the unit of ``time``.
    conf_type : {"log", "log-log", "plain"}, default "log"
        Pointwise CI type, as for :func:`kaplan_meier`.
    conf_level : float, default 0.95
        Confidence level.

    Returns
    -------
    DataFrame
        The DataFrame of :meth:`KaplanMeier.at`: group, time, n_risk, n_event, n_censor,
        survival, std_err, ci_lower, ci_upper; one row per group and time.

    Notes
    -----
    R: ``summary(survfit(Surv(time, event) ~ group, conf.type = conf_type), times = at,
    extend = TRUE)``. ``at`` is in the unit of ``time`` (12 for one year when times are in months).
    """
    return kaplan_meier(df, time, event, group, conf_type, conf_level).at(at)


def dor_among_responders(
    endpoints: pd.DataFrame,
    group: str | None = None,
    conf_type: str = "log",
    conf_level: float = 0.95,
    time: str = "dor_months",
    event: str = "dor_event",
) -> KaplanMeier:
    """Kaplan-Meier of the duration of response among responders.

    Responders are the rows with a non-missing ``dor_months`` (the endpoints table leaves it
    missing for non-responders, as :mod:`cartsie.cohort.endpoints` defines it); DOR runs from first
    response to progression or death (``dor_event`` = 1) or censoring (0).

    Parameters
    ----------
    endpoints : DataFrame
        The endpoints table (e.g. :attr:`cartsie.cohort.Cohort.endpoints`, or ``Cohort.table``).
    group : str, optional
        Column defining the curves; default one curve for all responders.
    conf_type : {"log", "log-log", "plain"}, default "log"
        Pointwise CI type, as for :func:`kaplan_meier`.
    conf_level : float, default 0.95
        Confidence level.
    time : str, default "dor_months"
        Duration of response (missing for non-responders).
    event : str, default "dor_event"
        1 for progression or death, 0 for censoring.

    Returns
    -------
    KaplanMeier
        The curves of the responders (``n`` counts responders only).

    Raises
    ------
    InputError
        When nobody has ``time`` filled in, or a responder lacks ``event``.

    Notes
    -----
    R: ``survfit(Surv(dor_months, dor_event) ~ group, data = subset(endpoints, !is.na(dor_months)))``.
    """
    func = "dor_among_responders"
    require_columns(endpoints, [time, event] + ([group] if group else []), func)
    responders = endpoints.loc[endpoints[time].notna()]
    if len(responders) == 0:
        raise InputError(
            f"{func}(): no row has {time!r} filled in, so there are no responders to analyse. "
            "Check that the endpoints table was derived with response dates."
        )
    missing_event = responders[event].isna()
    if missing_event.any():
        raise InputError(
            f"{func}(): {event!r} is missing for responders with {time!r} present at "
            f"{describe_rows(responders, missing_event)}. Set it to 1 (progression or death) or 0."
        )
    return kaplan_meier(responders, time, event, group, conf_type, conf_level)


@dataclass(frozen=True, repr=False)
class MedianFollowup(Result):
    """Median follow-up by the reverse Kaplan-Meier method, with its CI.

    Made by :func:`median_followup`; each parameter is an attribute.

    Parameters
    ----------
    median : float
        The median follow-up, in the unit of the time column (NaN when not reached).
    ci_lower, ci_upper : float
        Its confidence limits (``quantile.survfit`` on the reverse curve; NaN when not reached).
    conf_type : {"log", "log-log", "plain"}
        The pointwise CI type used.
    conf_level : float
        The confidence level.
    n : int
        Rows used.
    n_missing : int
        Rows dropped for a missing time or event.
    """

    median: float
    ci_lower: float
    ci_upper: float
    conf_type: str
    conf_level: float
    n: int
    n_missing: int

    @property
    def summary(self) -> pd.DataFrame:
        """One row: median, ci_lower, ci_upper, n."""
        return pd.DataFrame(
            {"median": [self.median], "ci_lower": [self.ci_lower], "ci_upper": [self.ci_upper], "n": [self.n]}
        )

    _title = "Median follow-up (reverse Kaplan-Meier)"

    def _tidy(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "term": ["median follow-up"],
                "estimate": [self.median],
                "ci_lower": [self.ci_lower],
                "ci_upper": [self.ci_upper],
            }
        )


def median_followup(
    df: pd.DataFrame, time: str, event: str, conf_type: str = "log", conf_level: float = 0.95
) -> MedianFollowup:
    """Median follow-up time by the reverse Kaplan-Meier method (censoring treated as the event).

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    time, event : str
        Follow-up time (>= 0) and event indicator (1 event, 0 censored); the reverse curve treats
        0 as the event.
    conf_type : {"log", "log-log", "plain"}, default "log"
        Pointwise CI type of the reverse curve, as for :func:`kaplan_meier`.
    conf_level : float, default 0.95
        Confidence level.

    Returns
    -------
    MedianFollowup
        ``median``, ``ci_lower``, ``ci_upper``, ``n``, ``n_missing``.

    Notes
    -----
    R: ``quantile(survfit(Surv(time, 1 - event) ~ 1, conf.type = conf_type), 0.5)``; the CI is that
    of ``quantile.survfit`` on the reverse curve with ``conf_type`` pointwise limits ("log" by
    default, as survfit). NaN when the reverse curve does not reach 0.5.
    """
    func = "median_followup"
    _check_conf_type(conf_type, func)
    z = z_value(conf_level, func)
    sd = survival_data(df, time, event, func)
    curve = km_curve(ALL, sd.unique_times, sd.time_code, 1 - sd.event, conf_type, z)
    med, lo, hi = quantile(curve, 0.5)
    return MedianFollowup(med, lo, hi, conf_type, conf_level, len(sd.time), sd.n_missing)


@dataclass(frozen=True, repr=False)
class LogRank(TableResult):
    """Log-rank test: ``statistic`` (chi-square), ``df``, ``p_value``, and per-group ``summary``
    (n, observed, expected, (O-E)^2/E, (O-E)^2/V as ``print.survdiff``).

    Made by :func:`logrank`; each parameter is an attribute.

    Parameters
    ----------
    statistic : float
        The chi-square statistic (R's ``chisq``).
    df : int
        Its degrees of freedom: groups with expected > 0, minus 1.
    p_value : float
        Upper tail of the chi-square distribution.
    table : DataFrame
        Per group (index ``group``): n, observed, expected, oe2_e, oe2_v.
    variance : DataFrame
        Covariance matrix of observed - expected (R's ``var``), groups by groups.
    n : int
        Rows used.
    n_missing : int
        Rows dropped for a missing time, event, group or stratum.
    strata : str or None
        The stratification column, if any.
    method : str
        Description of the test, shown in reprs.
    """

    statistic: float
    df: int
    p_value: float
    table: pd.DataFrame
    variance: pd.DataFrame
    n: int
    n_missing: int
    strata: str | None = None
    method: str = "log-rank test (survdiff, rho = 0)"

    _title = "Log-rank test"

    def _tidy(self) -> pd.DataFrame:
        return pd.DataFrame({"term": [self.method], "statistic": [self.statistic], "p_value": [self.p_value]})

    def _glance(self) -> dict:
        return {
            "statistic": self.statistic,
            "df": self.df,
            "p_value": self.p_value,
            "n": self.n,
            "n_missing": self.n_missing,
        }


def logrank(df: pd.DataFrame, time: str, event: str, group: str, strata: str | None = None) -> LogRank:
    """Log-rank test of equal survival across two or more groups, optionally stratified.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    time, event : str
        Follow-up time and event indicator (1 event, 0 censored).
    group : str
        The groups compared (two or more).
    strata : str, optional
        Stratification column: observed, expected and their covariance are computed within each
        stratum and summed.

    Returns
    -------
    LogRank
        ``statistic``, ``df`` (number of groups with expected > 0, minus 1), ``p_value`` and the
        per-group ``summary``.

    Notes
    -----
    R: ``survdiff(Surv(time, event) ~ group + strata(strata), data = df)`` (rho = 0).
    """
    func = "logrank"
    sd = survival_data(df, time, event, func, extra=[group, strata])
    codes, levels = group_codes(sd.frame[group])
    if len(levels) < 2:
        raise InputError(
            f"{func}(): column {group!r} has only one level ({levels!r}) in the rows used; the test "
            "compares two or more groups."
        )
    if sd.event.sum() == 0:
        raise InputError(f"{func}(): column {event!r} has no events (code 1) in the rows used.")
    strata_codes = group_codes(sd.frame[strata])[0] if strata is not None else None
    obs, exp, var = survdiff(sd.time_code, len(sd.unique_times), sd.event, codes, len(levels), strata_codes)
    try:
        stat, dof = chisq(obs, exp, var)
    except np.linalg.LinAlgError as err:
        raise InputError(
            f"{func}(): the groups' covariance matrix is singular; no test is possible."
        ) from err
    n_by = np.bincount(codes, minlength=len(levels))
    with np.errstate(divide="ignore", invalid="ignore"):
        table = pd.DataFrame(
            {
                "n": n_by,
                "observed": obs,
                "expected": exp,
                "oe2_e": (obs - exp) ** 2 / exp,
                "oe2_v": (obs - exp) ** 2 / np.diag(var),
            },
            index=pd.Index(levels, name="group"),
        )
    return LogRank(
        statistic=stat,
        df=dof,
        p_value=float(chi2_sf(stat, dof)),
        table=table,
        variance=pd.DataFrame(var, index=levels, columns=levels),
        n=len(sd.time),
        n_missing=sd.n_missing,
        strata=strata,
    )


def cox(
    df: pd.DataFrame,
    time: str,
    event: str,
    covariates: str | Sequence[str],
    ties: str = "efron",
    robust: bool | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    reference: Mapping[str, object] | None = None,
    conf_level: float = 0.95,
    *,
    eps: float = 1e-9,
    iter_max: int = 20,
) -> Cox:
    """Cox proportional-hazards model, as R's ``coxph``.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    time, event : str
        Follow-up time and event indicator (1 event, 0 censored).
    covariates : str or list of str
        Numeric columns keep their name; categorical ones (text, Categorical) become one indicator
        per non-reference level named ``name[level]`` (R's treatment contrasts; the shared
        ``cartsie._design`` encoder). The reference levels are in ``.reference``.
    ties : {"efron", "breslow"}
        Handling of tied event times (R's default Efron).
    robust : bool, optional
        Robust (sandwich) variance; on by default when ``cluster`` is given, as R.
    cluster : str, optional
        Cluster column for the robust variance (e.g. centre); without it each row is its own
        cluster.
    strata : str, optional
        Stratification column: a separate baseline hazard per stratum.
    reference : dict, optional
        Reference level per categorical covariate (default: the first level).
    conf_level : float
        Level of the Wald confidence intervals of the hazard ratios.
    eps, iter_max : float, int
        Convergence criterion and iteration limit, as ``coxph.control(eps, iter.max)``.

    Returns
    -------
    Cox
        ``.summary`` (coef, se, hr, ci_lower, ci_upper, z, p_value; ``se`` is the robust SE when robust,
        and ``se_naive`` then holds the model-based one), ``.tests`` (likelihood ratio, Wald,
        score, robust score), ``.params``, ``.cov``, ``.n``, ``.n_events``, ``.n_missing``,
        ``.converged``, ``.linear_predictor(df)``, ``.check_ph(transform)`` and ``.concordance``
        (Harrell's C of the linear predictor, as ``coxph``'s; see :func:`cartsie.prognostic.concordance`).

    Notes
    -----
    R: ``coxph(Surv(time, event) ~ covariates + strata(strata), data = df, ties = ties,
    cluster = cluster)`` with ``summary()``. Newton-Raphson from 0 with step-halving, converged when
    the relative change of the log partial likelihood is <= 1e-9, at most 20 iterations
    (``coxph.control()``); a ``ConvergenceWarning`` when it does not converge. Wald CIs
    exp(coef -/+ z se). Rows with a missing value in any column used are dropped (``n_missing``)
    with a ``MissingValuesWarning`` naming the model, the count and the columns (R's "observations
    deleted due to missingness"). Linearly dependent covariates raise ``InputError`` (R would
    report NA).

    Monotone likelihood (deliberately unlike R). When the partial likelihood has no finite maximum
    -- typically an indicator whose one level has no events among those at risk -- some
    coefficients are infinite. The rule is exact, not a heuristic on the iterations: a linear
    program looks for a direction ``d`` in which every event has the largest ``x'd`` of its risk set
    (Bryson & Johnson 1981; see :mod:`cartsie._monotone`); the terms that can move in such a
    direction are infinite. They are reported as ``coef`` +-inf (``hr`` inf or 0; NaN when either
    sign is possible) with NaN SE, CI, z and p, named in ``.infinite_terms``, with a
    ``MonotoneLikelihoodWarning`` (a ``SeparationWarning``); the other terms keep their values at
    the last iterate. R's coxph instead prints the last iterate -- a huge coefficient such as -20.7
    with an enormous SE and p near 1 -- and warns "Loglik converged before variable ...;
    coefficient may be infinite"; those numbers are kept in ``.last_iterate`` and used by
    ``linear_predictor`` and ``check_ph``, as R's ``predict`` and ``cox.zph`` use them.
    """
    return fit_cox(
        df, time, event, covariates, ties, robust, cluster, strata, reference, conf_level, eps, iter_max
    )
