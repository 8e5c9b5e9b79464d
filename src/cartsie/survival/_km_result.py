"""Result object of :func:`cartsie.survival.kaplan_meier`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartsie._results import Result
from cartsie.errors import InputError
from cartsie.survival._km import Curve, at_times, print_median, quantile, restricted_mean

#: label of the single curve when no ``group`` is given
ALL = "all"


@dataclass(frozen=True, repr=False)
class KaplanMeier(Result):
    """Kaplan-Meier curves (one per group) as R's ``survfit(Surv(time, event) ~ group)``.

    Made by :func:`cartsie.survival.kaplan_meier`; each parameter is an attribute, and ``groups``
    gives the labels in R's factor order.

    Parameters
    ----------
    _curves : tuple of Curve
        Internal: the per-group arrays (times, numbers at risk, events, S, Greenwood SE, limits)
        behind :attr:`curves`, :meth:`at` and the medians; not part of the API.
    time, event : str
        The follow-up time and event columns used.
    group : str or None
        The grouping column (None: one curve labelled ``"all"``).
    conf_type : {"log", "log-log", "plain"}
        The pointwise CI type (R's ``conf.type``).
    conf_level : float
        The confidence level of the pointwise CIs and of the median CIs.
    n : int
        Rows used.
    n_missing : int
        Rows dropped for a missing time, event or group (R's ``na.omit``).
    """

    _curves: tuple[Curve, ...]
    time: str
    event: str
    group: str | None
    conf_type: str
    conf_level: float
    n: int
    n_missing: int

    @property
    def groups(self) -> list:
        """Group labels, in R's factor order (``["all"]`` without a group)."""
        return [c.label for c in self._curves]

    @property
    def curves(self) -> pd.DataFrame:
        """The step curves for plotting, one block per group.

        Columns group, time, n_risk, n_event, n_censor, survival, std_err (of S, as
        ``summary.survfit``), ci_lower, ci_upper; one row per distinct time (event or censoring),
        each group starting with R's ``survfit0`` row at time 0 (S = 1).
        """
        blocks = []
        for c in self._curves:
            arr = c.with_start()
            with np.errstate(invalid="ignore"):
                std_err = arr["std_log"] * arr["surv"]
            blocks.append(
                pd.DataFrame(
                    {
                        "group": c.label,
                        "time": arr["time"],
                        "n_risk": arr["n_risk"].astype(np.int64),
                        "n_event": arr["n_event"].astype(np.int64),
                        "n_censor": arr["n_censor"].astype(np.int64),
                        "survival": arr["surv"],
                        "std_err": std_err,
                        "ci_lower": arr["lower"],
                        "ci_upper": arr["upper"],
                    }
                )
            )
        return pd.concat(blocks, ignore_index=True)

    def at(self, times: float | Iterable[float]) -> pd.DataFrame:
        """Estimates at chosen times, as R's ``summary(fit, times = times, extend = TRUE)``.

        Columns group, time, n_risk, n_event, n_censor, survival, std_err, ci_lower, ci_upper.
        ``survival``, ``std_err`` (standard error of S: Greenwood, ``S * survfit()$std.err``) and the
        CI are those of the last distinct time <= t; ``n_risk`` is the number at risk at t (0 beyond
        the last observation, where the estimate is carried forward); ``n_event``/``n_censor`` count
        what happened since the previous requested time (times are sorted, as R does).
        """
        t = np.sort(np.atleast_1d(np.asarray(times, dtype=float)))
        if t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
            raise InputError(
                f"at(): times must be finite numbers >= 0 (in the unit of {self.time!r}); got {times!r}."
            )
        blocks = []
        for c in self._curves:
            rows = at_times(c, t)
            block = pd.DataFrame(rows)
            for col in ("n_risk", "n_event", "n_censor"):
                block[col] = block[col].astype(np.int64)
            block.insert(0, "group", c.label)
            blocks.append(block)
        return pd.concat(blocks, ignore_index=True)

    def quantile(self, q: float | Iterable[float] = 0.5) -> pd.DataFrame:
        """Quantiles of the event-time distribution with CIs, as R's ``quantile.survfit(fit, q)``.

        ``q`` is the probability of the event by then (R's convention): the time at which S falls to
        ``1 - q``; ``q = 0.5`` is the median. The CI limits are the same quantity read off the lower
        and upper pointwise confidence curves (Brookmeyer-Crowley type). Missing (NaN) where the
        curve does not reach that level ("not reached").
        """
        qs = np.atleast_1d(np.asarray(q, dtype=float))
        if np.any(~np.isfinite(qs)) or np.any((qs < 0) | (qs > 1)):
            raise InputError(f"quantile(): q must be probabilities between 0 and 1; got {q!r}.")
        rows = []
        for c in self._curves:
            for p in qs:
                est, lo, hi = quantile(c, float(p))
                rows.append(
                    {"group": c.label, "q": float(p), "quantile": est, "ci_lower": lo, "ci_upper": hi}
                )
        return pd.DataFrame(rows)

    def median(self) -> pd.DataFrame:
        """Median survival with CI per group, as ``quantile.survfit(fit, 0.5)`` (NaN: not reached).

        Columns group, median, ci_lower, ci_upper.
        """
        out = self.quantile(0.5).drop(columns="q").rename(columns={"quantile": "median"})
        return out

    def rmean(self, tau: float | str = "common") -> pd.DataFrame:
        """Restricted mean survival time and its SE, as ``print(fit, rmean = tau)``.

        ``tau`` is the upper limit: a number, "common" (R's default for ``rmean``: the largest
        follow-up time over all groups, for every group) or "individual" (each group's own last
        time). The curve is carried forward to ``tau``. Columns group, tau, rmean, se.
        """
        ends = self._rmean_ends(tau)
        rows = []
        for c, end in zip(self._curves, ends, strict=True):
            mean, se = restricted_mean(c, end)
            rows.append({"group": c.label, "tau": end, "rmean": mean, "se": se})
        return pd.DataFrame(rows)

    def _rmean_ends(self, tau: float | str) -> list[float]:
        last = [float(c.time[-1]) for c in self._curves]
        if isinstance(tau, str):
            if tau == "common":
                return [max(last)] * len(last)
            if tau == "individual":
                return last
            raise InputError(f"rmean(): tau must be a number, 'common' or 'individual'; got {tau!r}.")
        if not np.isfinite(tau) or tau <= 0:
            raise InputError(
                f"rmean(): tau must be a positive number (in the unit of {self.time!r}); got {tau!r}."
            )
        return [float(tau)] * len(last)

    def table(self, rmean: float | str | None = None) -> pd.DataFrame:
        """Per-group table as ``print(fit)`` / ``summary(fit)$table``.

        Columns n, events, median, ci_lower, ci_upper and, when ``rmean`` is given (a number,
        "common" or "individual"), the restricted mean with its SE and upper limit (rmean, se_rmean,
        rmean_tau). The median here is ``print.survfit``'s: the first time S < 0.5 (the midpoint
        where S lies exactly on 0.5 and drops later). It equals :meth:`median`
        (``quantile.survfit``) except when the curve ends exactly at 0.5, where R's
        ``quantile.survfit`` takes the midpoint to the last follow-up time and ``print.survfit``
        does not.
        """
        med = pd.DataFrame(
            [print_median(c) for c in self._curves],
            columns=["median", "ci_lower", "ci_upper"],
            index=pd.Index(self.groups, name="group"),
        )
        out = pd.DataFrame(
            {
                "n": [c.n for c in self._curves],
                "events": [int(c.n_event.sum()) for c in self._curves],
            },
            index=pd.Index(self.groups, name="group"),
        )
        if rmean is not None:
            rm = self.rmean(rmean).set_index("group")
            out["rmean"] = rm["rmean"]
            out["se_rmean"] = rm["se"]
            out["rmean_tau"] = rm["tau"]
        return out.join(med)

    @property
    def summary(self) -> pd.DataFrame:
        """``table()``: n, events, median, ci_lower, ci_upper per group."""
        return self.table()

    _title = "Kaplan-Meier"

    def _tidy(self) -> pd.DataFrame:
        """One row per group: the median survival time and its CI (as ``print(survfit)``)."""
        t = self.table()
        return pd.DataFrame(
            {
                "term": [str(g) for g in t.index],
                "estimate": t["median"].to_numpy(),
                "ci_lower": t["ci_lower"].to_numpy(),
                "ci_upper": t["ci_upper"].to_numpy(),
            }
        )

    def _glance(self) -> dict:
        return {
            "n": self.n,
            "n_missing": self.n_missing,
            "groups": len(self._curves),
            "conf_type": self.conf_type,
        }
