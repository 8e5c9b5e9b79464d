"""Result objects of :mod:`cartsie.competing`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cartsie._design import Design
from cartsie._dist import chi2_sf
from cartsie._results import Result, TableResult, TestResult
from cartsie.competing._aalen_johansen import Incidence, confint
from cartsie.errors import InputError

#: label of the single curve when no ``group`` is given
ALL = "all"

CURVE_COLUMNS = ["group", "cause", "time", "estimate", "variance", "ci_lower", "ci_upper"]


def _times(times, func: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(times, dtype=object))
    try:
        out = arr.astype(float)
    except (TypeError, ValueError):
        raise InputError(f"{func}(): times must be numbers, got {list(arr)[:5]!r}.") from None
    return out


@dataclass(frozen=True, repr=False)
class CumulativeIncidence(Result):
    """Aalen-Johansen cumulative incidence curves per group and cause, as ``cmprsk::cuminc``.

    ``groups`` are in R's factor order (``("all",)`` without a group); ``causes`` are the event codes
    present (ascending); ``cause`` is the one ``at()`` reports by default. ``tests`` holds Gray's test
    for every cause when there are two or more groups (cuminc's ``$Tests``), else None.

    Made by :func:`cartsie.competing.cumulative_incidence`; each parameter is an attribute.

    Parameters
    ----------
    _curves : mapping
        Internal: (group, cause) -> the Aalen-Johansen arrays behind :meth:`at` and ``curves``; not
        part of the API.
    groups : tuple
        Group labels in R's factor order (``("all",)`` without a group).
    causes : tuple of int
        The event codes present, ascending (the censoring code excluded).
    cause : int
        The cause :meth:`at` reports by default.
    time, event : str
        The follow-up time and event-code columns used.
    group : str or None
        The grouping column (None: one group ``"all"``).
    conf_type : {"log-log", "log", "plain"}
        Transform of the pointwise CIs.
    conf_level : float
        Level of the pointwise CIs.
    z : float
        The normal quantile of ``conf_level`` (1.96 for 0.95).
    n : int
        Rows used.
    n_missing : int
        Rows dropped for a missing value in a column used.
    tests : DataFrame or None
        Gray's test per cause (index ``cause``; statistic, df, p_value), None with one group.
    """

    _curves: Mapping[tuple[object, int], Incidence] = field(repr=False)
    groups: tuple
    causes: tuple[int, ...]
    cause: int
    time: str
    event: str
    group: str | None
    conf_type: str
    conf_level: float
    z: float
    n: int
    n_missing: int
    tests: pd.DataFrame | None = None

    def _causes(self, cause, func: str) -> list[int]:
        if cause is None:
            wanted = [self.cause]
        elif isinstance(cause, int | np.integer):
            wanted = [int(cause)]
        else:
            wanted = [int(c) for c in cause]
        unknown = [c for c in wanted if c not in self.causes]
        if unknown:
            raise InputError(
                f"{func}(): no curve for cause {unknown}; the event codes present are {list(self.causes)}."
            )
        return wanted

    def _frame(self, group, cause, time, est, var) -> pd.DataFrame:
        lower, upper = confint(est, var, self.conf_type, self.z)
        return pd.DataFrame(
            {
                "group": [group] * len(time),
                "cause": cause,
                "time": time,
                "estimate": est,
                "variance": var,
                "ci_lower": lower,
                "ci_upper": upper,
            },
            columns=CURVE_COLUMNS,
        )

    def at(self, times: float | Iterable[float], cause: int | Sequence[int] | None = None) -> pd.DataFrame:
        """Estimates at ``times`` as ``cmprsk::timepoints``, one row per group, cause and time.

        Columns group, cause, time, estimate, variance, ci_lower, ci_upper. The value is the one at
        the last event of the cause at or before ``t`` (0 before the first); NaN when ``t`` is beyond
        the group's largest observed time (or negative), where timepoints gives NA. ``cause``: one
        code or several (default: the ``cause`` of the fit; ``res.causes`` for all).
        """
        t = _times(times, "at")
        blocks = []
        for g in self.groups:
            for c in self._causes(cause, "at"):
                est, var = self._curves[(g, c)].at(t)
                blocks.append(self._frame(g, c, t, est, var))
        return pd.concat(blocks, ignore_index=True)

    @property
    def curves(self) -> pd.DataFrame:
        """Step curves for every group and cause (for plotting with ``where="post"``).

        Columns as :meth:`at`; per group and cause a row at time 0 (estimate 0), one row per
        distinct event time of the cause (the value after the jump), and a last row at the group's
        largest observed time when that is later than its last event of the cause.
        """
        blocks = []
        for g in self.groups:
            for c in self.causes:
                inc = self._curves[(g, c)]
                time = np.r_[0.0, inc.jump_time]
                est = np.r_[0.0, inc.estimate]
                var = np.r_[0.0, inc.variance]
                if inc.last_time > time[-1]:
                    time, est, var = np.r_[time, inc.last_time], np.r_[est, est[-1]], np.r_[var, var[-1]]
                blocks.append(self._frame(g, c, time, est, var))
        return pd.concat(blocks, ignore_index=True)

    @property
    def summary(self) -> pd.DataFrame:
        """Per group and cause: n, n_events and the estimate (with CI) at the group's last time."""
        rows = []
        for g in self.groups:
            for c in self.causes:
                inc = self._curves[(g, c)]
                est, var = inc.at(np.array([inc.last_time]))
                lo, hi = confint(est, var, self.conf_type, self.z)
                rows.append([g, c, inc.n, inc.n_events, inc.last_time, est[0], var[0], lo[0], hi[0]])
        cols = [
            "group",
            "cause",
            "n",
            "n_events",
            "last_time",
            "estimate",
            "variance",
            "ci_lower",
            "ci_upper",
        ]
        return pd.DataFrame(rows, columns=cols)

    _title = "Cumulative incidence (Aalen-Johansen)"

    def _tidy(self) -> pd.DataFrame:
        """One row per group and cause: the estimate at the group's last time, its SE and CI."""
        s = self.summary
        return pd.DataFrame(
            {
                "term": [
                    f"{g} cause {c}" if self.group else f"cause {c}"
                    for g, c in zip(s["group"], s["cause"], strict=True)
                ],
                "estimate": s["estimate"].to_numpy(),
                "std_error": np.sqrt(s["variance"].to_numpy()),
                "ci_lower": s["ci_lower"].to_numpy(),
                "ci_upper": s["ci_upper"].to_numpy(),
            }
        )

    def _glance(self) -> dict:
        return {"n": self.n, "n_missing": self.n_missing, "cause": self.cause, "conf_type": self.conf_type}


@dataclass(frozen=True, repr=False)
class FineGray(TableResult):
    """A fitted Fine-Gray model; see :func:`cartsie.competing.fine_gray`.

    ``summary`` (indexed by term): coef, se, shr, ci_lower, ci_upper, z, p_value with crr's sandwich
    variance; ``params``, ``cov`` (that variance), ``naive_cov`` (inverse information, crr's
    ``invinf``), ``loglik`` / ``loglik_null`` (log pseudo-likelihood at the estimate and at 0),
    ``baseline`` (crr's ``uftime``, ``bfitj`` and their cumulative sum). ``infinite_terms`` names
    the coefficients that are infinite (monotone pseudo-likelihood): +-inf (NaN when the sign is
    undetermined) in ``summary`` and ``params`` with NaN SE, CI, z and p and NaN rows and columns in
    the covariances; ``last_iterate`` then holds coef and se at the last Newton iterate (what crr
    reports), which ``linear_predictor`` and ``predict`` use.

    Parameters
    ----------
    table : DataFrame
        The coefficient table behind ``summary``, indexed by term.
    params : Series
        Coefficients (log subdistribution hazard ratios; crr's ``coef``), indexed by term.
    cov : DataFrame
        Their sandwich variance (crr's ``var``).
    naive_cov : DataFrame
        The inverse information (crr's ``invinf``).
    loglik, loglik_null : float
        Log pseudo-likelihood at the estimate and at 0 (crr's ``loglik`` and ``loglik.null``).
    baseline : DataFrame
        ``time`` (crr's ``uftime``), ``hazard`` (``bfitj``) and ``cumulative_hazard``.
    n : int
        Rows used.
    n_events, n_competing, n_censored : int
        Rows with the cause, with a competing cause, and censored.
    n_missing : int
        Rows dropped for a missing value in a column used.
    converged : bool
        Whether Newton-Raphson met the tolerance within ``max_iter`` iterations.
    iterations : int
        Newton-Raphson iterations used.
    cause : int
        The event code of the cause modelled (crr's ``failcode``).
    censor_code : int
        The code of censored rows (crr's ``cencode``).
    conf_level : float
        Level of the Wald CIs.
    design : Design
        The covariate encoding (terms, levels), applied again by :meth:`linear_predictor`.
    reference : mapping
        Reference level per categorical covariate.
    last_time : float
        The largest observed time; :meth:`predict` is NaN beyond it.
    infinite_terms : tuple of str
        Terms whose coefficient is infinite (monotone pseudo-likelihood).
    last_iterate : DataFrame or None
        coef and se at the last Newton iterate when some term is infinite (what crr reports).
    _finite_params : ndarray or None
        Internal: the last-iterate coefficients used by :meth:`linear_predictor` and
        :meth:`predict` when some term is infinite; not part of the API.
    """

    table: pd.DataFrame
    params: pd.Series
    cov: pd.DataFrame
    naive_cov: pd.DataFrame
    loglik: float
    loglik_null: float
    baseline: pd.DataFrame
    n: int
    n_events: int
    n_competing: int
    n_censored: int
    n_missing: int
    converged: bool
    iterations: int
    cause: int
    censor_code: int
    conf_level: float
    design: Design
    reference: Mapping[str, object]
    last_time: float
    infinite_terms: tuple[str, ...] = ()
    last_iterate: pd.DataFrame | None = None
    _finite_params: np.ndarray | None = field(default=None, repr=False, compare=False)

    def linear_predictor(self, df: pd.DataFrame) -> pd.Series:
        """``X @ params`` for the rows of ``df`` with the fitted encoding (no centring; NaN where a
        covariate is missing; with infinite terms, the last finite Newton iterate)."""
        x = self.design.transform(df, "linear_predictor").to_numpy(dtype=float)
        b = self.params.to_numpy() if self._finite_params is None else self._finite_params
        return pd.Series(x @ b, index=df.index, name="linear_predictor")

    def predict(
        self, profiles: pd.DataFrame | Mapping[str, object], times: Iterable[float] | None = None
    ) -> pd.DataFrame:
        """Cumulative incidence of the cause for covariate profiles, as ``predict.crr``.

        ``1 - exp(-exp(x' b) sum_{u_f <= t} bfitj_f)``. ``profiles``: a DataFrame with the covariate
        columns (one column of output per row, labelled by its index) or a mapping for one profile.
        ``times``: default crr's ``uftime`` (the distinct event times of the cause); otherwise the
        step function at ``times`` (0 before the first event; NaN beyond the largest observed time).
        Returns a DataFrame indexed by time.
        """
        if isinstance(profiles, Mapping):
            profiles = pd.DataFrame({k: [v] for k, v in profiles.items()})
        if not isinstance(profiles, pd.DataFrame):
            raise InputError("predict(): give the profiles as a DataFrame or a dict of covariate values.")
        lp = self.linear_predictor(profiles).to_numpy()
        cum = self.baseline["cumulative_hazard"].to_numpy()
        event_times = self.baseline["time"].to_numpy()
        if times is None:
            t = event_times
            h = cum
        else:
            t = _times(times, "predict")
            h = np.r_[0.0, cum][np.searchsorted(event_times, t, side="right")]
            h = np.where((t < 0) | (t > self.last_time) | np.isnan(t), np.nan, h)
        cif = 1.0 - np.exp(-np.outer(h, np.exp(lp)))
        return pd.DataFrame(cif, index=pd.Index(t, name="time"), columns=profiles.index)

    def wald_test(self, terms: str | Sequence[str] | None = None) -> TestResult:
        """Wald chi-square test that the coefficients of ``terms`` (default: all) are 0, with crr's
        variance: ``b' V^-1 b`` on ``len(terms)`` df. A covariate name selects all its terms."""
        names = self._terms(terms)
        b = self.params[names].to_numpy()
        v = self.cov.loc[names, names].to_numpy()
        stat = float(b @ np.linalg.solve(v, b))
        return TestResult(
            statistic=stat,
            df=len(names),
            p_value=float(chi2_sf(stat, len(names))),
            method=f"Wald test (crr sandwich variance) of {', '.join(names)}",
            n=self.n,
        )

    def _terms(self, terms) -> list[str]:
        if terms is None:
            return list(self.params.index)
        terms = [terms] if isinstance(terms, str) else list(terms)
        out: list[str] = []
        for t in terms:
            if t in self.params.index:
                out.append(t)
            elif t in self.design.levels:
                out.extend(x for x in self.params.index if x.startswith(f"{t}["))
            else:
                raise InputError(
                    f"wald_test(): {t!r} is not a term of the model ({list(self.params.index)})."
                )
        return list(dict.fromkeys(out))

    _title = "Fine-Gray model"
    _log_scale = True

    def _glance(self) -> dict:
        return {
            "n": self.n,
            "events": self.n_events,
            "competing": self.n_competing,
            "censored": self.n_censored,
            "n_missing": self.n_missing,
            "loglik": self.loglik,
            "loglik_null": self.loglik_null,
        }
