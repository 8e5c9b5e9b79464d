"""The concordance of a score with a right-censored outcome, as R's ``survival::concordance``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartsie._checks import describe_rows, numeric
from cartsie._concordance import HIGHER, TIMEWTS, Concordance, concordance_arrays
from cartsie._survprep import survival_data, z_value
from cartsie.errors import InputError

__all__ = ["Concordance", "concordance"]


def concordance(
    df: pd.DataFrame,
    time: str,
    event: str,
    score: str,
    *,
    higher: str = "risk",
    timewt: str = "n",
    conf_level: float = 0.95,
    tau: float | None = None,
    strata: str | None = None,
    cluster: str | None = None,
) -> Concordance:
    """Concordance of ``score`` with survival: Harrell's C (``timewt="n"``), Uno's C (``"n/G2"``)...

    Among the pairs of patients whose order of events is known -- a death at t and a patient still
    followed after t (or censored at t) -- the concordance is the weighted fraction of pairs that
    the score orders rightly, ties on the score counting one half.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    time, event : str
        Follow-up time and event indicator (1 event, 0 censored).
    score : str
        Numeric column (a risk score, a linear predictor, a predicted survival time...).
    higher : {"risk", "survival"}
        What a higher score means. ``"risk"`` (the default: scores, linear predictors and
        predicted risks) -- the pair is concordant when the patient who dies first has the higher
        score (R's ``reverse = TRUE``); ``"survival"`` -- when that patient has the lower score
        (R's default ``reverse = FALSE``, for predicted survival times). Harrell's C of a risk
        score read the wrong way round is one minus the right one, so this is stated explicitly
        (lifelines' ``concordance_index`` expects "survival", scikit-survival's "risk").
    timewt : {"n", "S", "S/G", "n/G2", "I"}
        Weight ``w(t)`` of the pairs of a death at t, as R's ``timewt``: "n" every pair 1
        (Harrell's C), "S" ``N S(t-) / n(t)`` (Peto-Peto / Schemper), "S/G"
        ``N S(t-) / (G(t-) n(t))``, "n/G2" ``1 / G(t-)^2`` (Uno's C), "I" ``1 / n(t)``; S is the
        Kaplan-Meier estimate, G that of the censoring distribution, n(t) the number at risk.
    conf_level : float
        Level of the Wald interval ``estimate -/+ z std_error`` (cut to [0, 1]); R gives only the
        standard error.
    tau : float, optional
        Pairs whose death is after ``tau`` get no weight (R's ``ymax``; the usual truncation of
        Uno's C).
    strata : str, optional
        Pairs are formed within each stratum only and the counts added, as ``strata()`` in R's
        formula.
    cluster : str, optional
        Cluster column: the influence terms are summed within clusters before the variance, as
        ``cluster()`` in R's formula.

    Returns
    -------
    Concordance
        ``.estimate``, ``.std_error``, ``.ci_lower``, ``.ci_upper``, ``.variance``, ``.counts``
        (weighted pairs: concordant, discordant, tied_score, tied_time, tied_both -- R's
        ``concordant``, ``discordant``, ``tied.x``, ``tied.y``, ``tied.xy``, swapped to the
        orientation of ``higher``), ``.n``, ``.events``, ``.n_missing``; ``.summary``, ``.tidy()``.

    Notes
    -----
    R: ``survival::concordance(Surv(time, event) ~ score, data = df, reverse = higher == "risk",
    timewt = timewt, ymax = tau)`` (survival 3.5), with ``+ strata(s)`` / ``+ cluster(c)``; its
    ``concordance``, ``sqrt(var)`` and ``count``. C = (concordant + tied_score / 2) /
    (concordant + discordant + tied_score); pairs tied on time only are not comparable. The standard
    error is R's infinitesimal jackknife: ``var = sum_i dfbeta_i^2 / 4`` with ``dfbeta_i =
    ((c_i - d_i) - somers (c_i + d_i + t_i)) / npair`` from the weighted pairs each patient belongs
    to. Times that differ only by floating-point noise are merged first (R's ``timefix``). The
    counting is O(n log n), as R's balanced tree (see ``cartsie._concordance``). Rows with a
    missing value in a column used are dropped (``n_missing``).

    Without censoring and with a binary outcome (two distinct times), C equals the AUC of the score
    (:func:`cartsie.discrimination.auc`), and ``variance`` equals DeLong's variance with the
    ``1 / (m - 1)`` and ``1 / (n - 1)`` of the placement variances replaced by ``1 / m`` and
    ``1 / n``.

    Examples
    --------
    >>> import pandas as pd
    >>> from cartsie.prognostic import concordance
    >>> d = pd.DataFrame({"t": [5, 8, 3, 12, 7, 2], "e": [1, 0, 1, 1, 0, 1],
    ...                   "risk": [2.0, 1.0, 3.5, 0.5, 1.5, 3.0]})
    >>> c = concordance(d, "t", "e", "risk")
    >>> round(c.estimate, 6), round(c.std_error, 6)
    (0.916667, 0.085052)
    >>> c.counts.to_dict()
    {'concordant': 11.0, 'discordant': 1.0, 'tied_score': 0.0, 'tied_time': 0.0, 'tied_both': 0.0}
    """
    func = "concordance"
    if higher not in HIGHER:
        raise InputError(
            f"{func}(): higher must be 'risk' (a higher score means an earlier event; R's "
            f"reverse = TRUE) or 'survival' (a higher score means a longer survival); got {higher!r}."
        )
    if timewt not in TIMEWTS:
        raise InputError(f"{func}(): timewt must be one of {', '.join(map(repr, TIMEWTS))}; got {timewt!r}.")
    z_value(conf_level, func)
    if tau is not None and (not isinstance(tau, int | float) or not np.isfinite(tau) or tau <= 0):
        raise InputError(f"{func}(): tau must be a positive number (in the unit of {time!r}); got {tau!r}.")
    sd = survival_data(df, time, event, func, extra=[score, strata, cluster])
    x = numeric(sd.frame, score, func).to_numpy()
    if not np.all(np.isfinite(x)):
        raise InputError(
            f"{func}(): column {score!r} has infinite values at "
            f"{describe_rows(sd.frame, ~np.isfinite(x))}; give finite numbers."
        )
    if sd.event.sum() == 0:
        raise InputError(
            f"{func}(): column {event!r} has no events (code 1) in the rows used; no pair can be compared."
        )
    return concordance_arrays(
        sd.time,
        sd.event,
        x,
        higher=higher,
        timewt=timewt,
        conf_level=conf_level,
        strata=None if strata is None else sd.frame[strata].to_numpy(),
        cluster=None if cluster is None else sd.frame[cluster].to_numpy(),
        tau=None if tau is None else float(tau),
        n_missing=sd.n_missing,
        time_code=sd.time_code,
    )
