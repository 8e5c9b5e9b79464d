"""CART-SIE's adjustment of a score by a linear predictor, for logistic, Cox and Fine-Gray models.

"In order to evaluate the significance of HEMATOTOX independently from other risk factors, its
effect on each outcome was adjusted by a linear predictor resulting from a model which included
stage, bulky disease, histology, disease status, IPI, and bridging therapy." (CART-SIE, Methods.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cartsie._checks import complete_cases, require_columns
from cartsie._missing import warn_dropped
from cartsie._results import TableResult
from cartsie.binary import logistic
from cartsie.competing import fine_gray
from cartsie.errors import InputError
from cartsie.survival import cox

__all__ = ["LpAdjusted", "lp_adjusted"]

MODELS = ("logistic", "cox", "fine_gray")


@dataclass(frozen=True, repr=False)
class LpAdjusted(TableResult):
    """The score's effect adjusted by a linear predictor; see :func:`lp_adjusted`.

    ``summary``: the score's row(s) of the second-stage model (its columns: coef, se, odds_ratio /
    hr / shr, ci_lower, ci_upper, z, p_value); ``model``: the second-stage fit (outcome ~ score + lp);
    ``first_stage``: the fit of the outcome on ``adjust_for`` alone; ``n`` and ``n_missing``: rows
    used by both stages and rows dropped for a missing score, covariate or outcome.

    Parameters
    ----------
    table : DataFrame
        The score's row(s) of the second-stage model, behind ``summary``.
    model : Logistic, Cox or FineGray
        The second-stage fit (outcome ~ score + lp).
    first_stage : Logistic, Cox or FineGray
        The fit of the outcome on ``adjust_for`` alone, whose linear predictor is ``lp``.
    n : int
        Rows used by both stages.
    n_missing : int
        Rows dropped for a missing score, covariate or outcome.
    model_type : {"logistic", "cox", "fine_gray"}
        The kind of model of both stages.
    score : str
        The score column.
    adjust_for : tuple of str
        The covariates of the first stage.
    lp_column : str
        Name of the linear-predictor term in the second stage (``"lp"``, or ``"lp_"``... when the data
        already have such a column).
    conf_level : float
        Level of the CIs of the second stage.
    """

    table: pd.DataFrame
    model: Any
    first_stage: Any
    n: int
    n_missing: int
    model_type: str
    score: str
    adjust_for: tuple[str, ...]
    lp_column: str
    conf_level: float

    _title = "Score adjusted by a linear predictor"
    _log_scale = True

    def _glance(self) -> dict:
        return {"n": self.n, "n_missing": self.n_missing, "model": self.model_type, "score": self.score}


def _lp_name(columns) -> str:
    name = "lp"
    while name in columns:
        name = f"{name}_"
    return name


def _split_reference(reference: Mapping | None, first: Sequence[str], second: Sequence[str]):
    reference = dict(reference or {})
    unknown = set(reference) - set(first) - set(second)
    if unknown:
        raise InputError(
            f"lp_adjusted(): reference levels given for {sorted(unknown)}, which are not covariates."
        )
    pick = lambda cols: {k: v for k, v in reference.items() if k in cols} or None  # noqa: E731
    return pick(first), pick(second)


def _fitter(model: str, outcome, time, event, ci, conf_level, cause, censor_code, ties):
    func = "lp_adjusted"
    if model == "logistic":
        if outcome is None:
            raise InputError(f"{func}(): model='logistic' needs outcome= (a 0/1 column).")
        return [outcome], lambda data, cov, ref: logistic(
            data, outcome, cov, ci=ci, conf_level=conf_level, reference=ref
        )
    if time is None or event is None:
        raise InputError(f"{func}(): model={model!r} needs time= and event= columns.")
    if ci != "wald":
        raise InputError(f"{func}(): ci={ci!r} is available for model='logistic' only; use ci='wald'.")
    if model == "cox":
        return [time, event], lambda data, cov, ref: cox(
            data, time, event, cov, ties=ties, reference=ref, conf_level=conf_level
        )
    return [time, event], lambda data, cov, ref: fine_gray(
        data, time, event, cov, cause=cause, censor_code=censor_code, conf_level=conf_level, reference=ref
    )


def lp_adjusted(
    df: pd.DataFrame,
    score: str,
    adjust_for: Sequence[str],
    outcome: str | None = None,
    time: str | None = None,
    event: str | None = None,
    model: str = "logistic",
    ci: str = "wald",
    cause: int = 1,
    conf_level: float = 0.95,
    reference: Mapping[str, object] | None = None,
    *,
    ties: str = "efron",
    censor_code: int = 0,
) -> LpAdjusted:
    """Effect of ``score`` adjusted by the linear predictor of a model on ``adjust_for`` alone.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    score : str
        The score column (e.g. HT high 0/1, or a categorical risk group).
    adjust_for : list of str
        The other baseline covariates (CART-SIE: stage, bulky disease, histology, disease status,
        IPI, bridging therapy).
    outcome : str
        0/1 outcome, for ``model="logistic"``.
    time, event : str
        Follow-up time and event code, for ``model="cox"`` (0/1) or ``"fine_gray"`` (0 censored,
        ``cause`` the event of interest, other codes competing).
    model : {"logistic", "cox", "fine_gray"}
        :func:`cartsie.binary.logistic`, :func:`cartsie.survival.cox` or
        :func:`cartsie.competing.fine_gray`.
    ci : {"wald", "profile"}
        CIs of the second stage (profile likelihood for logistic only).
    cause : int
        Cause of interest for Fine-Gray.
    conf_level : float
        Level of the CIs of the second stage (default 0.95).
    reference : dict, optional
        Reference levels of categorical covariates (score or adjust_for).
    ties : str
        Ties method of the Cox models (R's default "efron").
    censor_code : int
        Censoring code for Fine-Gray.

    Returns
    -------
    LpAdjusted
        ``.summary`` (the score's row(s) of the second-stage model), ``.model``, ``.first_stage``,
        ``.n``, ``.n_missing``.

    Notes
    -----
    Two stages on the same rows -- the complete cases over score, adjust_for and outcome columns
    (R's ``complete.cases``; a ``MissingValuesWarning`` names the model, the rows left out and the
    columns responsible), so that both models use the same patients:

    1. fit the outcome on ``adjust_for`` alone and take its linear predictor ``lp`` for each row
       (R: ``predict(glm, type = "link")``; for Cox ``predict(coxph, type = "lp")``, which centres
       it, and for Fine-Gray ``cov1 %*% coef``; a constant shift of ``lp`` changes neither the
       score's nor ``lp``'s coefficient in Cox and Fine-Gray models);
    2. fit the outcome on ``score + lp`` and report the score's row(s).

    R: ``glm(y ~ score + lp, binomial)``, ``coxph(Surv(time, event) ~ score + lp)`` or
    ``crr(time, event, cbind(score, lp))``. The column holding ``lp`` is named ``lp`` (with trailing
    underscores if the data already have such a column).

    Examples
    --------
    >>> import pandas as pd
    >>> from cartsie.adjust import lp_adjusted
    >>> d = pd.DataFrame({
    ...     "ht_high": [0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1],
    ...     "stage": ["I-II", "III-IV", "III-IV", "I-II", "III-IV", "III-IV", "I-II", "III-IV",
    ...               "I-II", "III-IV", "III-IV", "I-II", "I-II", "III-IV", "III-IV", None],
    ...     "bulky": [0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1],
    ...     "event": [0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1]})
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     res = lp_adjusted(d, "ht_high", ["stage", "bulky"], outcome="event")
    >>> list(res.summary.columns), res.n, res.n_missing
    (['coef', 'se', 'odds_ratio', 'ci_lower', 'ci_upper', 'z', 'p_value'], 15, 1)
    >>> print(str(caught[0].message).split(",")[0])
    lp_adjusted(): 1 of 16 rows left out for missing values (stage: 1)
    """
    func = "lp_adjusted"
    if model not in MODELS:
        raise InputError(f"{func}(): model must be one of {', '.join(MODELS)}; got {model!r}.")
    if ci not in ("wald", "profile"):
        raise InputError(f"{func}(): ci must be 'wald' or 'profile'; got {ci!r}.")
    adjust_for = [adjust_for] if isinstance(adjust_for, str) else list(adjust_for)
    if not adjust_for:
        raise InputError(f"{func}(): give at least one covariate in adjust_for.")
    if score in adjust_for:
        raise InputError(f"{func}(): the score {score!r} cannot also be in adjust_for.")
    response, fit = _fitter(model, outcome, time, event, ci, conf_level, cause, censor_code, ties)
    require_columns(df, [score, *adjust_for, *response], func)
    data, n_missing = complete_cases(df, [score, *adjust_for, *response], func)
    if len(data) == 0:
        raise InputError(f"{func}(): no row has the score, every adjust_for covariate and the outcome.")
    warn_dropped(func, df, [score, *adjust_for, *response], n_missing, stacklevel=2)
    lp = _lp_name(df.columns)  # the caller's columns: ``data`` holds only those used
    ref1, ref2 = _split_reference(reference, adjust_for, [score])
    first = fit(data, adjust_for, ref1)
    staged = data.assign(**{lp: first.linear_predictor(data).to_numpy()})
    second = fit(staged, [score, lp], ref2)
    rows = [t for t in second.summary.index if t not in (lp, "(Intercept)")]
    return LpAdjusted(
        table=second.summary.loc[rows],
        model=second,
        first_stage=first,
        n=len(data),
        n_missing=n_missing,
        model_type=model,
        score=score,
        adjust_for=tuple(adjust_for),
        lp_column=lp,
        conf_level=float(conf_level),
    )
