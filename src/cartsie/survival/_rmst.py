"""Restricted mean survival time (RMST) per group and its differences between groups."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartsie._dist import norm_sf
from cartsie._results import Result
from cartsie._survprep import group_codes, survival_data, z_value
from cartsie.errors import BeyondFollowupWarning, InputError
from cartsie.survival._km import km_curve, restricted_mean
from cartsie.survival._km_result import ALL

__all__ = ["RMST", "rmst"]


@dataclass(frozen=True, repr=False)
class RMST(Result):
    """Restricted mean survival time up to ``tau``; see :func:`rmst`.

    ``summary`` has one row per group (columns group, rmst, std_error, ci_lower, ci_upper);
    ``difference`` compares each group with the first (two groups: one row, survRM2's
    "RMST (arm=1)-(arm=0)").

    Parameters
    ----------
    table : DataFrame
        The table behind ``summary``: per group, rmst, std_error (as survfit's ``se(rmean)``),
        ci_lower, ci_upper (normal), n and events.
    tau : float
        The truncation time (R's ``rmean = tau``), in the unit of the time column.
    group : str or None
        The grouping column, or None for one curve.
    n, events : int
        Patients and events used.
    n_missing : int
        Rows dropped for a missing time, event or group.
    conf_level : float
        Level of the CIs.
    method : str
        What is estimated, shown in reprs.
    """

    table: pd.DataFrame
    tau: float
    group: str | None
    n: int
    events: int
    n_missing: int
    conf_level: float = 0.95
    method: str = "restricted mean survival time (area under the Kaplan-Meier curve up to tau)"

    _title = "Restricted mean survival time"

    @property
    def summary(self) -> pd.DataFrame:
        """One row per group: group, rmst, std_error, ci_lower, ci_upper."""
        return self.table[["group", "rmst", "std_error", "ci_lower", "ci_upper"]].copy()

    @property
    def groups(self) -> list:
        """Group labels in R's factor order (``["all"]`` without a group)."""
        return self.table["group"].tolist()

    @property
    def difference(self) -> pd.DataFrame:
        """RMST of each group minus that of the first group (the reference, R's first level).

        Indexed by ``"B - A"``; columns group, reference, estimate, std_error, statistic (z),
        ci_lower, ci_upper, p_value: ``se = sqrt(se_B^2 + se_A^2)`` (independent groups), normal
        CI and two-sided p, as ``survRM2::rmst2``'s "RMST (arm=1)-(arm=0)" with arm 0 the first
        level. Needs a ``group``.
        """
        if self.group is None or len(self.table) < 2:
            raise InputError(
                "rmst(): .difference compares groups; give group= a column with at least two groups."
            )
        t = self.table
        ref = t.iloc[0]
        rest = t.iloc[1:]
        est = rest["rmst"].to_numpy() - ref["rmst"]
        se = np.sqrt(rest["std_error"].to_numpy() ** 2 + ref["std_error"] ** 2)
        z = z_value(self.conf_level, "rmst")
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = est / se
        labels = [f"{g} - {ref['group']}" for g in rest["group"]]
        return pd.DataFrame(
            {
                "group": rest["group"].to_numpy(),
                "reference": ref["group"],
                "estimate": est,
                "std_error": se,
                "statistic": stat,
                "ci_lower": est - z * se,
                "ci_upper": est + z * se,
                "p_value": 2 * norm_sf(np.abs(stat)),
            },
            index=pd.Index(labels, name="contrast"),
        )

    def _tidy(self) -> pd.DataFrame:
        t = self.table
        return pd.DataFrame(
            {
                "term": t["group"].astype(str).to_numpy(),
                "estimate": t["rmst"].to_numpy(),
                "std_error": t["std_error"].to_numpy(),
                "ci_lower": t["ci_lower"].to_numpy(),
                "ci_upper": t["ci_upper"].to_numpy(),
            }
        )

    def _glance(self) -> dict:
        return {"tau": self.tau, "n": self.n, "events": self.events, "n_missing": self.n_missing}


def rmst(
    df: pd.DataFrame,
    time: str,
    event: str,
    tau: float,
    group: str | None = None,
    conf_level: float = 0.95,
) -> RMST:
    """Restricted mean survival time up to ``tau`` per group, with its SE and CI, and differences.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    time, event : str
        Follow-up time (>= 0) and event indicator (1 event, 0 censored).
    tau : float
        Upper limit of the restricted mean, in the unit of ``time``.
    group : str, optional
        Column defining the groups (levels in R's factor order).
    conf_level : float
        Level of the normal CIs of the RMSTs and of their differences.

    Returns
    -------
    RMST
        ``.summary`` (group, rmst, std_error, ci_lower, ci_upper), ``.difference`` (each group
        minus the first: estimate, std_error, statistic, ci_lower, ci_upper, p_value), ``.tau``,
        ``.n``, ``.events``, ``.n_missing``.

    Notes
    -----
    R: ``print(survfit(Surv(time, event) ~ group, data = df), rmean = tau)`` -- the rmean and
    se(rmean) of ``summary(fit, rmean = tau)$table`` (``survival:::survmean``): the area under the
    Kaplan-Meier step curve from 0 to ``tau``, and the Greenwood-type variance
    ``sum_i A_i^2 d_i / (n_i (n_i - d_i))`` over the event times ``t_i <= tau``, ``A_i`` the area
    from ``t_i`` to ``tau``. The CI is ``rmst -/+ z se`` (R prints no CI; this is
    ``survRM2::rmst1``'s). The difference of two groups is ``survRM2::rmst2``'s unadjusted
    "RMST (arm=1)-(arm=0)": the difference of the RMSTs, ``se = sqrt(var_1 + var_0)``, normal CI and
    two-sided p-value -- the standard formula for independent groups; with more groups every group
    is compared with the first that way (no multiplicity adjustment).

    A ``tau`` later than a group's last follow-up carries its curve forward, as survfit does
    (survRM2 refuses such a ``tau``); a :class:`~cartsie.errors.BeyondFollowupWarning` says so
    unless the curve has reached 0. A ``tau`` before the first time gives ``rmst = tau`` with SE 0
    (R's survfit refuses it). Rows with a missing time, event or group are dropped
    (``n_missing``).

    Examples
    --------
    >>> import pandas as pd
    >>> from cartsie.survival import rmst
    >>> d = pd.DataFrame({"t": [2, 3, 5, 6, 8, 9, 1, 4, 4, 7], "e": [1, 0, 1, 1, 0, 1, 1, 1, 0, 1],
    ...                   "g": list("aaaaaabbbb")})
    >>> r = rmst(d, "t", "e", tau=6, group="g")
    >>> r.summary.round(4)
      group   rmst  std_error  ci_lower  ci_upper
    0     a  5.125     0.5984    3.9522    6.2978
    1     b  4.250     1.0232    2.2446    6.2554
    >>> r.difference[["estimate", "p_value"]].round(4)
              estimate  p_value
    contrast
    b - a       -0.875   0.4604
    """
    func = "rmst"
    z = z_value(conf_level, func)
    if (
        isinstance(tau, bool)
        or not isinstance(tau, int | float | np.integer | np.floating)
        or not (np.isfinite(tau) and tau > 0)
    ):
        raise InputError(f"{func}(): tau must be a positive number (in the unit of {time!r}); got {tau!r}.")
    tau = float(tau)
    sd = survival_data(df, time, event, func, extra=[group])
    if group is None:
        codes, levels = np.zeros(len(sd.time), dtype=np.int64), [ALL]
    else:
        codes, levels = group_codes(sd.frame[group])
    rows, beyond = [], []
    for k, label in enumerate(levels):
        mask = codes == k
        curve = km_curve(label, sd.unique_times, sd.time_code[mask], sd.event[mask], "log", z)
        mean, se = restricted_mean(curve, tau)
        if tau > curve.time[-1] and curve.surv[-1] > 0:
            beyond.append(f"{label} (last time {curve.time[-1]:g})")
        rows.append(
            {
                "group": label,
                "rmst": mean,
                "std_error": se,
                "ci_lower": mean - z * se,
                "ci_upper": mean + z * se,
                "n": curve.n,
                "events": int(curve.n_event.sum()),
            }
        )
    if beyond:
        warnings.warn(
            f"{func}(): tau = {tau:g} is after the last follow-up of {', '.join(beyond)}; the "
            "Kaplan-Meier curve is carried forward to tau, as R's survfit does (survRM2::rmst2 "
            "refuses such a tau). Choose a tau within every group's follow-up.",
            BeyondFollowupWarning,
            stacklevel=2,
        )
    table = pd.DataFrame(rows)
    return RMST(
        table=table,
        tau=tau,
        group=group,
        n=len(sd.time),
        events=int(sd.event.sum()),
        n_missing=sd.n_missing,
        conf_level=float(conf_level),
    )
