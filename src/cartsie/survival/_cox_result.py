"""Input handling and the result objects of :func:`cartsie.survival.cox`."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from cartsie._concordance import Concordance, concordance_arrays
from cartsie._design import Design, build_design
from cartsie._dist import chi2_sf
from cartsie._missing import warn_dropped
from cartsie._results import TableResult
from cartsie._survprep import group_codes, survival_data, z_value
from cartsie.errors import ConvergenceWarning, InputError, MonotoneLikelihoodWarning
from cartsie.survival import _cox, _zph

TIES = ("efron", "breslow")


@dataclass(frozen=True, repr=False)
class CoxZph(TableResult):
    """Proportional-hazards test of a Cox model, as R's ``cox.zph(fit, transform)``.

    ``summary`` is indexed by covariate (one row per covariate, all levels of a categorical one
    together, as R's ``terms = TRUE``) and ``GLOBAL``, with columns ``statistic`` (chi-square),
    ``df`` and ``p_value``.

    Parameters
    ----------
    table : DataFrame
        The result table behind ``summary``.
    transform : {"km", "rank", "identity", "log"}
        The time transform g(t) (R's ``transform``).
    method : str
        Description of the test, shown in reprs.
    """

    table: pd.DataFrame
    transform: str
    method: str = "score test of beta(t) = beta + theta g(t) (survival >= 3.0 cox.zph)"

    _title = "Proportional-hazards test (cox.zph)"

    def _tidy(self) -> pd.DataFrame:
        t = self.table
        return pd.DataFrame(
            {
                "term": t.index.astype(str),
                "statistic": t["statistic"].to_numpy(),
                "p_value": t["p_value"].to_numpy(),
            }
        )

    def _glance(self) -> dict:
        return {"transform": self.transform, "global_p_value": float(self.table["p_value"].iloc[-1])}


@dataclass(frozen=True, repr=False)
class Cox(TableResult):
    """A fitted Cox model; see :func:`cartsie.survival.cox`.

    ``summary`` has columns coef, se, hr, ci_lower, ci_upper, z, p_value (plus ``se_naive`` when the
    robust variance is used) indexed by term; ``tests`` holds the likelihood-ratio, Wald and score
    (log-rank) global tests of ``summary(coxph)`` (and the robust score test when robust).
    ``infinite_terms`` names the coefficients that are infinite (monotone likelihood): they are
    +-inf (NaN when the sign is undetermined) in ``summary`` and ``params``, with NaN SE, CI, z and
    p, and NaN rows and columns in ``cov``; ``last_iterate`` then holds coef and se at the last
    Newton iterate, which is what R's coxph prints.

    Parameters
    ----------
    table : DataFrame
        The coefficient table behind ``summary``, indexed by term.
    params : Series
        Coefficients (log hazard ratios), indexed by term.
    cov : DataFrame
        Their variance matrix (the robust one when ``robust``; R's ``vcov(fit)``).
    naive_cov : DataFrame
        The model-based variance matrix (R's ``fit$naive.var`` when robust, else equal to ``cov``).
    tests : DataFrame
        Global tests indexed by test (likelihood_ratio, wald, score, robust_score when robust), with
        statistic, df, p_value.
    loglik : float
        Log partial likelihood at the estimate (R's ``fit$loglik[2]``).
    loglik_null : float
        Log partial likelihood at beta = 0 (``fit$loglik[1]``).
    n : int
        Rows used.
    n_events : int
        Events (code 1) among them.
    n_missing : int
        Rows dropped for a missing value in any column used.
    converged : bool
        Whether Newton-Raphson converged within ``iter_max`` iterations.
    iterations : int
        Newton-Raphson iterations used.
    ties : {"efron", "breslow"}
        The handling of tied event times.
    robust : bool
        Whether ``se`` and ``cov`` are the robust (sandwich) ones.
    conf_level : float
        Level of the Wald CIs.
    design : Design
        The covariate encoding (terms, levels), applied again by :meth:`linear_predictor`.
    reference : mapping
        Reference level per categorical covariate.
    strata : str or None
        The stratification column, if any.
    cluster : str or None
        The cluster column of the robust variance, if any.
    infinite_terms : tuple of str
        Terms whose coefficient is infinite (monotone likelihood).
    last_iterate : DataFrame or None
        coef and se at the last Newton iterate when some term is infinite (what R's coxph prints).
    _data : CoxData or None
        Internal: the sorted data of the fit, kept for :meth:`check_ph`; not part of the API.
    _finite_params : ndarray or None
        Internal: the last-iterate coefficients used by :meth:`linear_predictor` and
        :meth:`check_ph` when some term is infinite; not part of the API.
    _cluster_codes : ndarray or None
        Internal: the cluster of each row of the fit, for the clustered variance of
        :attr:`concordance`; not part of the API.
    """

    table: pd.DataFrame
    params: pd.Series
    cov: pd.DataFrame
    naive_cov: pd.DataFrame
    tests: pd.DataFrame
    loglik: float
    loglik_null: float
    n: int
    n_events: int
    n_missing: int
    converged: bool
    iterations: int
    ties: str
    robust: bool
    conf_level: float
    design: Design
    reference: Mapping[str, object]
    strata: str | None = None
    cluster: str | None = None
    infinite_terms: tuple[str, ...] = ()
    last_iterate: pd.DataFrame | None = None
    _data: _cox.CoxData | None = field(default=None, repr=False, compare=False)
    _finite_params: np.ndarray | None = field(default=None, repr=False, compare=False)
    _cluster_codes: np.ndarray | None = field(default=None, repr=False, compare=False)

    def _beta(self) -> np.ndarray:
        return self.params.to_numpy() if self._finite_params is None else self._finite_params

    def linear_predictor(self, df: pd.DataFrame) -> pd.Series:
        """``X @ params`` for the rows of ``df`` with the fitted encoding (no centring; NaN where a
        covariate is missing). R's ``predict(fit, type = "lp")`` is this minus its value at the
        covariate means. With infinite terms the last (finite) Newton iterate is used, as R's
        ``predict`` does."""
        x = self.design.transform(df, "linear_predictor").to_numpy(dtype=float)
        return pd.Series(x @ self._beta(), index=df.index, name="linear_predictor")

    @cached_property
    def concordance(self) -> Concordance:
        """Harrell's concordance of the fitted linear predictor, as ``coxph``'s ``concordance``.

        The same object as :func:`cartsie.prognostic.concordance` gives for the linear predictor
        with ``higher="risk"`` and ``timewt="n"``: within strata when the model is stratified, the
        variance clustered when it has a ``cluster``, as R's ``coxph`` computes
        ``fit$concordance`` (``concordancefit(y, lp, strata, reverse = TRUE)``; R keeps the
        counts, ``concordance`` and ``std``). With infinite terms the last Newton iterate is used,
        as R's ``linear.predictors``.
        """
        data = self._data
        if data is None:
            raise InputError(
                "cox(): this fit keeps no data (built by hand?); refit with cox() for its concordance."
            )
        lp = data.x @ self._beta()
        strata = np.zeros(len(lp), dtype=np.int64)
        for k, part in enumerate(data.strata):
            strata[part.rows] = k
        cluster = None if self._cluster_codes is None else self._cluster_codes[data.order]
        return concordance_arrays(
            data.time,
            data.status,
            lp,
            higher="risk",
            timewt="n",
            conf_level=self.conf_level,
            strata=strata if len(data.strata) > 1 else None,
            cluster=cluster,
            n_missing=self.n_missing,
        )

    def check_ph(self, transform: str = "km") -> CoxZph:
        """Test proportional hazards as R's ``cox.zph(fit, transform = transform)`` (survival 3.5).

        ``transform`` is one of "km" (R's default: 1 - the pooled Kaplan-Meier just before t),
        "rank", "identity" or "log". Returns a :class:`CoxZph` with one chi-square per covariate
        (df = its number of terms) and the GLOBAL test (df = number of terms).
        """
        if transform not in _zph.TRANSFORMS:
            raise InputError(
                f"check_ph(): transform must be one of {', '.join(_zph.TRANSFORMS)}; got {transform!r}."
            )
        terms = _term_columns(self.design)
        assert self._data is not None, "check_ph() needs a Cox result made by cox()"
        names, chisq, df, p = _zph.zph_table(self._data, self._beta(), terms, transform)
        table = pd.DataFrame({"statistic": chisq, "df": df, "p_value": p}, index=pd.Index(names, name="term"))
        return CoxZph(table=table, transform=transform)

    _title = "Cox model"
    _log_scale = True

    def _glance(self) -> dict:
        return {
            "n": self.n,
            "events": self.n_events,
            "n_missing": self.n_missing,
            "loglik": self.loglik,
            "loglik_null": self.loglik_null,
            "ties": self.ties,
        }


def _term_columns(design: Design) -> list[tuple[str, list[int]]]:
    out = []
    for cov in design.covariates:
        if cov in design.levels:
            cols = [i for i, t in enumerate(design.terms) if t.startswith(f"{cov}[")]
        else:
            cols = [design.terms.index(cov)]
        out.append((cov, cols))
    return out


def _codes(frame: pd.DataFrame, column: str | None) -> tuple[np.ndarray | None, int]:
    if column is None:
        return None, 0
    codes, levels = group_codes(frame[column])
    return codes, len(levels)


def _warn_convergence(fit: _cox.Fit, iter_max: int) -> None:
    if iter_max > 1 and not fit.converged:
        warnings.warn(
            f"cox(): Newton-Raphson ran out of iterations ({iter_max}) and did not converge.",
            ConvergenceWarning,
            stacklevel=4,
        )


def _warn_monotone(direction: np.ndarray, terms: Sequence[str]) -> tuple[str, ...]:
    infinite = tuple(t for t, d in zip(terms, direction, strict=True) if d != 0)
    if infinite:
        warnings.warn(
            f"cox(): monotone likelihood - the partial likelihood has no finite maximum, so the "
            f"coefficient(s) of {', '.join(map(repr, infinite))} are infinite (e.g. a level without "
            "events among those at risk). They are reported as +-inf (hazard ratio inf or 0; NaN when "
            "the sign is undetermined) without SE, CI, z or p; R's coxph prints a huge coefficient "
            "and 'Loglik converged before variable ...; coefficient may be infinite'.",
            MonotoneLikelihoodWarning,
            stacklevel=4,
        )
    return infinite


def _infinite(beta: np.ndarray, var: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients +-inf (NaN sign undetermined) and NaN variance rows/columns for infinite terms."""
    flag = direction != 0
    coef = beta.copy()
    coef[flag] = np.where(np.isnan(direction[flag]), np.nan, direction[flag] * np.inf)
    var = var.copy()
    var[flag, :] = np.nan
    var[:, flag] = np.nan
    return coef, var


def _tests(fit: _cox.Fit, var: np.ndarray, rscore: float | None) -> pd.DataFrame:
    p = len(fit.beta)
    rows = {
        "likelihood_ratio": 2 * (fit.loglik - fit.loglik_null),
        "wald": float(fit.beta @ np.linalg.solve(var, fit.beta)),
        "score": fit.score_test,
    }
    if rscore is not None:
        rows["robust_score"] = rscore
    stat = np.array(list(rows.values()))
    return pd.DataFrame(
        {"statistic": stat, "df": p, "p_value": chi2_sf(stat, p)},
        index=pd.Index(list(rows), name="test"),
    )


def _summary(beta: np.ndarray, var: np.ndarray, naive: np.ndarray | None, terms, z: float) -> pd.DataFrame:
    se = np.sqrt(np.diag(var))
    with np.errstate(over="ignore", invalid="ignore"):  # infinite terms: NaN SE, CI, z and p
        out = pd.DataFrame(
            {
                "coef": beta,
                "se": se,
                "hr": np.exp(beta),
                "ci_lower": np.exp(beta - z * se),
                "ci_upper": np.exp(beta + z * se),
                "z": beta / se,
                "p_value": chi2_sf((beta / se) ** 2, 1),
            },
            index=pd.Index(terms, name="term"),
        )
    if naive is not None:
        out["se_naive"] = np.sqrt(np.diag(naive))
    return out


def fit_cox(
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
    eps: float = 1e-9,
    iter_max: int = 20,
) -> Cox:
    """See :func:`cartsie.survival.cox`."""
    func = "cox"
    if ties not in TIES:
        raise InputError(f"{func}(): ties must be 'efron' (R's default) or 'breslow'; got {ties!r}.")
    z = z_value(conf_level, func)
    if robust is None:
        robust = cluster is not None
    if cluster is not None and not robust:
        raise InputError(
            f"{func}(): cluster={cluster!r} is only used by the robust variance; drop robust=False."
        )
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    sd = survival_data(df, time, event, func, extra=[*covariates, strata, cluster])
    if sd.event.sum() == 0:
        raise InputError(
            f"{func}(): column {event!r} has no events (code 1) in the rows used; nothing to fit."
        )
    design = build_design(sd.frame, covariates, reference=reference, func=func)
    x = design.transform(sd.frame, func).to_numpy(dtype=float)
    if not np.all(np.isfinite(x)):
        raise InputError(f"{func}(): covariates hold infinite values; replace them with finite numbers.")
    strata_codes, _ = _codes(sd.frame, strata)
    data = _cox.prepare(sd.time, sd.event, x, strata_codes, efron=ties == "efron")
    try:
        fit = _cox.newton(data, eps=eps, iter_max=iter_max)
    except _cox.SingularDesign as err:
        names = ", ".join(repr(design.terms[j]) for j in err.columns)
        where = " within strata" if strata is not None else ""
        raise InputError(
            f"{func}(): term(s) {names} are constant{where} or linear combinations of the other "
            "covariates in the rows used, so their effects cannot be estimated (R reports NA "
            "coefficients). Remove them or merge the levels involved."
        ) from None
    direction = _cox.monotone_directions(data)
    if not direction.any():
        # With an infinite coefficient Newton-Raphson runs towards it by construction; the monotone
        # likelihood warning says so, as R says "Loglik converged before variable ..." only.
        _warn_convergence(fit, iter_max)
    infinite = _warn_monotone(direction, design.terms)
    warn_dropped(func, df, [time, event, *covariates, strata, cluster], sd.n_missing, stacklevel=3)
    var, naive, rscore = fit.var, None, None
    if robust:
        if cluster is None:
            cl, ncl = np.arange(len(sd.time)), len(sd.time)
        else:
            codes, ncl = _codes(sd.frame, cluster)
            assert codes is not None  # cluster is a column here
            cl = codes
        var, rscore = _cox.robust_variance(data, fit, cl[data.order], ncl)
        naive = fit.var
    terms = list(design.terms)
    frame = lambda m: pd.DataFrame(m, index=terms, columns=terms)  # noqa: E731
    last = pd.DataFrame({"coef": fit.beta, "se": np.sqrt(np.diag(var))}, index=pd.Index(terms, name="term"))
    coef, shown_var = _infinite(fit.beta, var, direction)
    _, shown_naive = _infinite(fit.beta, fit.var, direction)
    return Cox(
        table=_summary(coef, shown_var, None if naive is None else shown_naive, terms, z),
        params=pd.Series(coef, index=terms, name="coef"),
        cov=frame(shown_var),
        naive_cov=frame(shown_naive),
        tests=_tests(fit, var, rscore),
        loglik=fit.loglik,
        loglik_null=fit.loglik_null,
        n=len(sd.time),
        n_events=int(sd.event.sum()),
        n_missing=sd.n_missing,
        converged=fit.converged,
        iterations=fit.iterations,
        ties=ties,
        robust=bool(robust),
        conf_level=conf_level,
        design=design,
        reference={c: design.reference(c) for c in design.levels},
        strata=strata,
        cluster=cluster,
        infinite_terms=infinite,
        last_iterate=last if infinite else None,
        _data=data,
        _finite_params=fit.beta if infinite else None,
        _cluster_codes=None if cluster is None else _codes(sd.frame, cluster)[0],
    )
