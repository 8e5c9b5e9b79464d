"""Logistic regression for the paper's binary outcomes (ICAHT, severe thrombocytopenia, CRS, ICANS,
ORR and CRR at day 90), as R's ``glm(family = binomial)``, with profile-likelihood CIs as R's
``confint`` and Firth's penalised likelihood for rare events and separation."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cartsie._checks import complete_cases, describe_rows, numeric, require_columns
from cartsie._design import Design, build_design
from cartsie._dist import norm_ppf, norm_sf
from cartsie._missing import warn_dropped
from cartsie._results import TableResult
from cartsie.binary import _logit
from cartsie.errors import ConvergenceWarning, InputError, SeparationWarning

__all__ = ["Logistic", "logistic"]

INTERCEPT = "(Intercept)"


@dataclass(frozen=True, repr=False)
class Logistic(TableResult):
    """A fitted logistic model; see :func:`logistic`.

    ``summary`` (indexed by term, ``(Intercept)`` first as R): coef, se, odds_ratio, ci_lower,
    ci_upper (of the odds ratio), z, p_value. ``separation`` is "none", "complete" or "quasi-complete";
    ``infinite_terms`` names the coefficients whose maximum-likelihood estimate is infinite (shown as
    +-inf, or NaN when the sign is not determined, with NaN SE, CI, z and p).

    Parameters
    ----------
    table : DataFrame
        The coefficient table behind ``summary``, indexed by term.
    params : Series
        Coefficients (log odds ratios; the intercept on the logit scale), indexed by term.
    cov : DataFrame
        Their variance matrix (inverse Fisher information; R's ``vcov(fit)``).
    n : int
        Rows used.
    n_events : int
        Rows with outcome 1.
    n_missing : int
        Rows dropped for a missing outcome or covariate.
    converged : bool
        Whether the fit met its convergence criterion.
    iterations : int
        Iterations used (IRLS for ``"ml"``, Newton-Raphson for ``"firth"``).
    loglik : float
        Log-likelihood (not penalised) at the estimate used for prediction (R's ``logLik(fit)``).
    deviance : float
        ``-2 loglik`` (R's ``deviance``, the outcome being 0/1).
    null_deviance : float
        Deviance of the intercept-only model (R's ``null.deviance``).
    aic : float
        ``deviance + 2 k``, k the number of coefficients (R's ``AIC``).
    df_residual : int
        ``n - k`` (R's ``df.residual``).
    method : {"ml", "firth"}
        Maximum likelihood or Firth's penalised likelihood.
    ci : {"wald", "profile"}
        How the CIs were computed.
    conf_level : float
        Level of the CIs.
    design : Design
        The covariate encoding (terms, levels), applied again by :meth:`linear_predictor`.
    reference : mapping
        Reference level per categorical covariate.
    separation : {"none", "complete", "quasi-complete"}
        Separation found by the linear program (Konis 2007).
    infinite_terms : tuple of str
        Terms whose maximum-likelihood estimate is infinite.
    penalized_loglik : float or None
        The penalised log-likelihood ``l(b) + 1/2 log det I(b)`` (``method="firth"``; None for ML).
    _lp_params : ndarray or None
        Internal: the coefficients used by :meth:`linear_predictor` (the finite last iterate after
        separation); not part of the API.
    """

    table: pd.DataFrame
    params: pd.Series
    cov: pd.DataFrame
    n: int
    n_events: int
    n_missing: int
    converged: bool
    iterations: int
    loglik: float
    deviance: float
    null_deviance: float
    aic: float
    df_residual: int
    method: str
    ci: str
    conf_level: float
    design: Design
    reference: Mapping[str, object]
    separation: str = "none"
    infinite_terms: tuple[str, ...] = ()
    penalized_loglik: float | None = None
    _lp_params: np.ndarray | None = field(default=None, repr=False, compare=False)

    def linear_predictor(self, df: pd.DataFrame) -> pd.Series:
        """Intercept + ``X @ params`` for the rows of ``df`` with the fitted encoding (R's
        ``predict(fit, newdata, type = "link")``; NaN where a covariate is missing). After
        separation the finite last iterate of the fit is used, as R's ``predict``."""
        x = self.design.transform(df, "linear_predictor").to_numpy(dtype=float)
        b = self._lp_params if self._lp_params is not None else self.params.to_numpy()
        return pd.Series(b[0] + x @ b[1:], index=df.index, name="linear_predictor")

    def predict(self, df: pd.DataFrame) -> pd.Series:
        """Predicted probabilities ``1 / (1 + exp(-linear_predictor))`` (R's ``type = "response"``)."""
        lp = self.linear_predictor(df)
        return pd.Series(1 / (1 + np.exp(-lp.to_numpy())), index=df.index, name="probability")

    _title = "Logistic model"
    _log_scale = True

    def _glance(self) -> dict:
        return {
            "n": self.n,
            "events": self.n_events,
            "n_missing": self.n_missing,
            "loglik": self.loglik,
            "deviance": self.deviance,
            "null_deviance": self.null_deviance,
            "aic": self.aic,
            "method": self.method,
        }


def _outcome(data: pd.DataFrame, outcome: str, func: str) -> np.ndarray:
    y = numeric(data, outcome, func).to_numpy()
    bad = ~np.isin(y, [0.0, 1.0])
    if bad.any():
        found = sorted(set(data[outcome][bad].astype(str)))[:5]
        raise InputError(
            f"{func}(): the outcome {outcome!r} must be coded 0/1 (or True/False); found {found} at "
            f"{describe_rows(data, bad)}. Recode it, e.g. (df[col] == 'yes').astype(int)."
        )
    return y


def _design_matrix(data, covariates, reference, func) -> tuple[Design, np.ndarray]:
    design = build_design(data, covariates, reference=reference, func=func)
    single = [c for c, lv in design.levels.items() if len(lv) < 2]
    if single:
        raise InputError(
            f"{func}(): the categorical covariate(s) {single} have a single level in the rows used "
            "(R: 'contrasts can be applied only to factors with 2 or more levels'); drop them."
        )
    x = np.column_stack([np.ones(len(data)), design.transform(data, func).to_numpy(dtype=float)])
    bad = ~np.all(np.isfinite(x), axis=1)
    if bad.any():
        raise InputError(f"{func}(): covariates have infinite values at {describe_rows(data, bad)}.")
    if np.linalg.matrix_rank(x) < x.shape[1]:
        # as glm's QR: a column that depends on the columns before it is the one dropped (NA)
        terms = [INTERCEPT, *design.terms]
        kept: list[int] = []
        dropped = []
        for j in range(x.shape[1]):
            if np.linalg.matrix_rank(x[:, [*kept, j]]) > len(kept):
                kept.append(j)
            else:
                dropped.append(terms[j])
        raise InputError(
            f"{func}(): the terms {dropped} are linearly dependent on the terms before them (constant, "
            "or a combination of other covariates) in the rows used; R would report NA for them. "
            "Remove or merge them."
        )
    return design, x


def _ml_fit(x: np.ndarray, y: np.ndarray):
    return _logit.glm_fit(x, y, maxit=25, epsilon=1e-8)


def _table(coef, se, lower, upper, terms) -> pd.DataFrame:
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        z = coef / se
        return pd.DataFrame(
            {
                "coef": coef,
                "se": se,
                "odds_ratio": np.exp(coef),
                "ci_lower": np.exp(lower),
                "ci_upper": np.exp(upper),
                "z": z,
                "p_value": 2 * norm_sf(np.abs(z)),
            },
            index=pd.Index(terms, name="term"),
        )


def _warn_separation(sep: _logit.Separation, terms: list[str], func: str) -> tuple[str, ...]:
    infinite = tuple(t for t, d in zip(terms, sep.direction, strict=True) if d != 0)
    warnings.warn(
        f"{func}(): {sep.kind} separation - the outcome is perfectly predicted for some patients, "
        f"so the maximum likelihood estimates of {', '.join(map(repr, infinite))} are infinite. They "
        "are reported as +-inf (NaN when the sign is undetermined) without SE, CI or p; R's glm "
        "prints huge coefficients instead, often without a warning. Use method='firth' for finite "
        "estimates.",
        SeparationWarning,
        stacklevel=3,
    )
    return infinite


def logistic(
    df: pd.DataFrame,
    outcome: str,
    covariates: str | Sequence[str],
    ci: str = "wald",
    method: str = "ml",
    conf_level: float = 0.95,
    reference: Mapping[str, object] | None = None,
) -> Logistic:
    """Logistic regression of a 0/1 outcome, as R's ``glm(outcome ~ covariates, family = binomial)``.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    outcome : str
        0/1 (or boolean) column; 1 = event.
    covariates : str or list of str
        Numeric columns keep their name; categorical ones (text, Categorical) become one indicator
        per non-reference level named ``name[level]`` (R's treatment contrasts, the shared
        ``cartsie._design`` encoder).
    ci : {"wald", "profile"}
        Wald CIs ``exp(coef -/+ z se)`` (R's ``confint.default``) or profile-likelihood CIs (R's
        ``confint``; with ``method="firth"`` the profile penalised likelihood, as logistf).
    method : {"ml", "firth"}
        Maximum likelihood (glm) or Firth's penalised likelihood (bias reduction; finite estimates
        under separation, recommended for rare events).
    conf_level : float
        Level of the confidence intervals of the odds ratios (default 0.95).
    reference : dict, optional
        Reference level per categorical covariate (default: the first level).

    Returns
    -------
    Logistic
        ``.summary`` (coef, se, odds_ratio, ci_lower, ci_upper, z, p_value), ``.params``, ``.cov``, ``.n``,
        ``.n_events``, ``.n_missing``, ``.converged``, ``.loglik``, ``.deviance``, ``.aic``,
        ``.separation``, ``.infinite_terms``, ``.linear_predictor(df)``, ``.predict(df)``.

    Notes
    -----
    ``method="ml"``: R's ``glm(family = binomial)`` and ``summary()``, fitted as ``glm.fit`` does
    (IRLS from glm's starting values, glm's clamped logit link) with glm's stopping rule
    (``|dev - dev_old| / (|dev| + 0.1) < 1e-8``, at most 25 iterations), so that estimates, SEs
    (inverse Fisher information of the last IRLS step, as glm's QR), iterations and the last iterate
    of a separated fit are glm's;
    z = coef / se, two-sided normal p. ``ci="profile"``: the limits are the exact roots of the
    profile deviance ``2 (l(b_hat) - max l | b_j) = qchisq(conf_level, 1)`` (our own code, each
    root to 1e-12); R's ``confint`` (MASS) interpolates a spline through a grid of that profile and
    agrees to ~1e-3.

    Separation (Albert & Anderson 1984) is detected by linear programming (Konis 2007): when some
    patients' outcome is perfectly predicted the likelihood has no finite maximum. glm then stops at
    huge coefficients, often without a warning; here a ``SeparationWarning`` names the infinite terms,
    which are reported as +-inf with NaN SE, CI, z and p (profile CIs are NaN for every term). Zero
    events (or zero non-events) make every coefficient infinite.

    ``method="firth"``: maximises ``l(b) + 1/2 log det I(b)`` (Firth 1993), the estimates of R's
    ``brglm2::brglmFit`` with ``type = "AS_mean"`` and of ``logistf``; SEs from ``I(b_hat)^-1`` and
    Wald z and p as brglm2's summary (logistf reports penalised likelihood-ratio p-values instead);
    ``ci="profile"`` gives the profile penalised-likelihood limits (logistf's default, ``pl = TRUE``).
    Our own Newton-Raphson with step halving, converged to 1e-11.

    Rows with a missing outcome or covariate are dropped (``n_missing``), with a
    ``MissingValuesWarning`` naming the model, the count and the columns (R's "observations deleted
    due to missingness"). Linearly dependent terms raise ``InputError`` (R reports NA for them).

    Examples
    --------
    >>> import pandas as pd
    >>> from cartsie.binary import logistic
    >>> d = pd.DataFrame({"high": [0] * 10 + [1] * 10,
    ...                   "event": [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1]})
    >>> fit = logistic(d, "event", ["high"])
    >>> round(float(fit.summary.loc["high", "odds_ratio"]), 4)   # (6/4) / (2/8)
    6.0
    """
    func = "logistic"
    if ci not in ("wald", "profile"):
        raise InputError(f"{func}(): ci must be 'wald' or 'profile'; got {ci!r}.")
    if method not in ("ml", "firth"):
        raise InputError(f"{func}(): method must be 'ml' or 'firth'; got {method!r}.")
    if not isinstance(conf_level, int | float) or not 0 < conf_level < 1:
        raise InputError(f"{func}(): conf_level must be a number between 0 and 1, got {conf_level!r}.")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    require_columns(df, [outcome, *covariates], func)
    if outcome in covariates:
        raise InputError(f"{func}(): the outcome {outcome!r} cannot also be a covariate.")
    data, n_missing = complete_cases(df, [outcome, *covariates], func)
    if len(data) == 0:
        raise InputError(
            f"{func}(): no row has the outcome and all covariates ({len(df)} rows, all incomplete)."
        )
    warn_dropped(func, df, [outcome, *covariates], n_missing, stacklevel=2)
    y = _outcome(data, outcome, func)
    design, x = _design_matrix(data, covariates, reference, func)
    terms = [INTERCEPT, *design.terms]
    z = norm_ppf(1 - (1 - conf_level) / 2)
    fit = _fit(x, y, method, ci, conf_level, z, terms, func)
    loglik = _logit.loglik(x, y, fit["lp_params"])
    ybar = y.mean()
    null_loglik = (
        0.0 if ybar in (0.0, 1.0) else float(len(y) * (ybar * np.log(ybar) + (1 - ybar) * np.log(1 - ybar)))
    )
    k = x.shape[1]
    return Logistic(
        table=fit["summary"],
        params=pd.Series(fit["summary"]["coef"].to_numpy(), index=terms, name="coef"),
        cov=pd.DataFrame(fit["cov"], index=terms, columns=terms),
        n=len(y),
        n_events=int(y.sum()),
        n_missing=n_missing,
        converged=fit["converged"],
        iterations=fit["iterations"],
        loglik=loglik,
        deviance=-2 * loglik,
        null_deviance=-2 * null_loglik,
        aic=-2 * loglik + 2 * k,
        df_residual=len(y) - k,
        method=method,
        ci=ci,
        conf_level=float(conf_level),
        design=design,
        reference={c: design.reference(c) for c in design.levels},
        separation=fit["separation"],
        infinite_terms=fit["infinite"],
        penalized_loglik=fit.get("penalized"),
        _lp_params=fit["lp_params"],
    )


def _fit(x, y, method, ci, conf_level, z, terms, func) -> dict:
    if method == "firth":
        fit = _logit.newton(x, y, np.zeros(x.shape[1]), firth=True, max_iter=500)
        if not fit.converged:
            warnings.warn(
                f"{func}(): the Firth fit stopped after {fit.iterations} iterations without converging.",
                ConvergenceWarning,
                stacklevel=3,
            )
        beta = fit.beta
        cov = np.linalg.inv(_logit.information(x, beta))
        se = np.sqrt(np.diag(cov))
        if ci == "profile":
            lower, upper = _logit.profile_limits(x, y, beta, se, conf_level, firth=True)
        else:
            lower, upper = beta - z * se, beta + z * se
        out = _result(beta, se, lower, upper, cov, terms, fit.converged, fit.iterations)
        out["penalized"] = fit.objective
        return out
    beta, cov, converged, iterations = _ml_fit(x, y)
    sep = _logit.separation(x, y, beta=beta)
    if sep.kind != "none":
        infinite = _warn_separation(sep, terms, func)
        return _separated(beta, cov, sep, terms, converged, iterations, infinite, z if ci == "wald" else None)
    if not converged:
        msg = f"{func}(): IRLS did not converge in 25 iterations (glm's maxit)."
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
    se = np.sqrt(np.diag(cov))
    if ci == "profile":
        polished = _logit.newton(x, y, beta, firth=False)  # the maximum to full precision
        lower, upper = _logit.profile_limits(x, y, polished.beta, se, conf_level, firth=False)
    else:
        lower, upper = beta - z * se, beta + z * se
    return _result(beta, se, lower, upper, cov, terms, converged, iterations)


def _result(beta, se, lower, upper, cov, terms, converged, iterations) -> dict:
    return {
        "summary": _table(beta, se, lower, upper, terms),
        "cov": cov,
        "converged": converged,
        "iterations": iterations,
        "separation": "none",
        "infinite": (),
        "lp_params": beta,
    }


def _separated(beta, cov, sep, terms, converged, iterations, infinite, z) -> dict:
    """Infinite terms as +-inf (NaN sign undetermined) without SE, CI, z, p; the other terms from
    glm's last iterate, with Wald CIs when ``z`` is given (profile limits are not computed)."""
    coef = beta.copy()
    flag = sep.direction != 0
    coef[flag] = np.where(np.isnan(sep.direction[flag]), np.nan, sep.direction[flag] * np.inf)
    cov = cov.copy()
    cov[flag, :] = np.nan
    cov[:, flag] = np.nan
    se = np.sqrt(np.diag(cov))
    if z is None:
        lower = upper = np.full(len(coef), math.nan)
    else:
        lower, upper = coef - z * se, coef + z * se
    return {
        "summary": _table(coef, se, lower, upper, terms),
        "cov": cov,
        "converged": converged,
        "iterations": iterations,
        "separation": sep.kind,
        "infinite": infinite,
        "lp_params": beta,
    }
