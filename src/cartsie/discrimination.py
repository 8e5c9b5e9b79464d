"""Discrimination of a score or a binary test: sensitivity, specificity, PPV, NPV, likelihood
ratios, prevalence, accuracy, Youden's index and the diagnostic odds ratio with their CIs (as R's
``epiR::epi.tests``), AUC with DeLong's CI and the paired DeLong test (as R's ``pROC``). By default a
higher score means the positive class (pROC's ``direction = "<"``); ``direction=">"`` and ``"auto"``
are pROC's other choices."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartsie._accuracy import (
    _clopper_pearson,
    _diagnostic_odds_ratio,
    _likelihood_ratios,
    _placements,
    _youden,
)
from cartsie._dist import norm_ppf, norm_sf
from cartsie._results import Result, TableResult
from cartsie.errors import DirectionWarning, InputError

__all__ = ["AUC", "DeLongTest", "DiagnosticMetrics", "auc", "delong_test", "diagnostic_metrics"]

METRICS = (
    "sensitivity",
    "specificity",
    "ppv",
    "npv",
    "lr_pos",
    "lr_neg",
    "prevalence",
    "accuracy",
    "youden",
    "dor",
)
#: pROC's ``direction``: "<" controls < cases (a higher score means a case), ">" the reverse,
#: "auto" the one of the two given by the medians of controls and cases
DIRECTIONS = ("<", ">", "auto")


def _z(conf_level: float, func: str) -> float:
    if not isinstance(conf_level, int | float) or not 0 < conf_level < 1:
        raise InputError(f"{func}(): conf_level must be a number between 0 and 1, got {conf_level!r}.")
    return float(norm_ppf(1 - (1 - conf_level) / 2))


def _positions(mask: np.ndarray, index) -> str:
    where = [str(i) for i in np.asarray(index)[mask][:5]]
    more = f" and {int(mask.sum()) - 5} more" if mask.sum() > 5 else ""
    return ", ".join(where) + more


def _vectors(func: str, **arrays) -> tuple[dict[str, np.ndarray], int, pd.Index]:
    """Aligned float arrays (positions with a missing value in any of them dropped)."""
    out = {}
    index = None
    length = None
    for name, values in arrays.items():
        s = (
            values
            if isinstance(values, pd.Series)
            else pd.Series(np.asarray(values).ravel() if np.ndim(values) else values)
        )
        if length is not None and len(s) != length:
            raise InputError(
                f"{func}(): {name} has {len(s)} values but the others have {length}; give one per patient."
            )
        length = len(s)
        index = s.index if index is None else index
        raw = s.to_numpy()
        num = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(num) & pd.notna(pd.Series(raw)).to_numpy()
        if bad.any():
            raise InputError(
                f"{func}(): {name} holds values that are not numbers at positions {_positions(bad, index)}."
            )
        out[name] = num
    assert index is not None  # every caller passes at least one array
    keep = np.all([~np.isnan(v) for v in out.values()], axis=0)
    for name, v in out.items():
        if np.any(np.isinf(v[keep])):
            raise InputError(
                f"{func}(): {name} has infinite values at positions {_positions(np.isinf(v), index)}."
            )
    return {k: v[keep] for k, v in out.items()}, int((~keep).sum()), index[keep]


def _check_binary(v: np.ndarray, name: str, func: str, index) -> None:
    bad = ~np.isin(v, [0.0, 1.0])
    if bad.any():
        raise InputError(
            f"{func}(): {name} must be 0/1 (or True/False); found {sorted(set(v[bad].tolist()))[:5]} at "
            f"positions {_positions(bad, index)}."
        )


# --------------------------------------------------------------------------------------------
# sensitivity, specificity, predictive values, likelihood ratios
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class DiagnosticMetrics(TableResult):
    """Accuracy of a binary test; see :func:`diagnostic_metrics`.

    ``summary`` is indexed by sensitivity, specificity, ppv, npv, lr_pos, lr_neg, prevalence,
    accuracy, youden, dor with columns estimate, ci_lower, ci_upper; ``tp``, ``fp``, ``fn``, ``tn``
    are the counts.

    Parameters
    ----------
    table : DataFrame
        The table behind ``summary``: one row per measure, columns estimate, ci_lower, ci_upper.
    tp, fp, fn, tn : int
        True positives, false positives, false negatives and true negatives.
    n : int
        Pairs used.
    n_missing : int
        Pairs dropped for a missing outcome or test result.
    conf_level : float
        Level of the CIs.
    method : str
        How the CIs are computed, shown in reprs.
    """

    table: pd.DataFrame
    tp: int
    fp: int
    fn: int
    tn: int
    n: int
    n_missing: int
    conf_level: float
    method: str = (
        "Clopper-Pearson exact CIs; likelihood-ratio and diagnostic odds ratio CIs on the log scale; "
        "Youden's index from the exact limits of sensitivity and specificity, as epiR"
    )

    @property
    def counts(self) -> pd.DataFrame:
        """The 2 x 2 table: rows test positive / negative, columns outcome positive / negative."""
        return pd.DataFrame(
            [[self.tp, self.fp], [self.fn, self.tn]],
            index=pd.Index(["test_positive", "test_negative"], name="test"),
            columns=pd.Index(["outcome_positive", "outcome_negative"], name="outcome"),
        )

    _title = "Diagnostic accuracy"

    def _tidy(self) -> pd.DataFrame:
        t = self.table
        return pd.DataFrame(
            {
                "term": t.index.astype(str),
                "estimate": t["estimate"].to_numpy(),
                "ci_lower": t["ci_lower"].to_numpy(),
                "ci_upper": t["ci_upper"].to_numpy(),
            }
        )

    def _glance(self) -> dict:
        return {
            "n": self.n,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "n_missing": self.n_missing,
        }


def diagnostic_metrics(y_true, y_pred, conf_level: float = 0.95) -> DiagnosticMetrics:
    """Sensitivity, specificity, PPV, NPV, likelihood ratios, prevalence, accuracy, Youden's index
    and diagnostic odds ratio of a binary test, with CIs.

    Parameters
    ----------
    y_true : array-like or Series
        Outcome, 1 = positive (event), 0 = negative.
    y_pred : array-like or Series
        Test result (e.g. HT high), 1 = positive.
    conf_level : float
        Level of the confidence intervals (default 0.95).

    Returns
    -------
    DiagnosticMetrics
        ``.summary`` (sensitivity, specificity, ppv, npv, lr_pos, lr_neg, prevalence, accuracy,
        youden, dor x estimate, ci_lower, ci_upper), ``.tp``, ``.fp``, ``.fn``, ``.tn``,
        ``.counts``, ``.n``, ``.n_missing``.

    Notes
    -----
    R: ``epiR::epi.tests(as.table(matrix(c(tp, fp, fn, tn), 2, byrow = TRUE)), method = "exact")``
    (epiR 2.0.57). Proportions with exact Clopper-Pearson CIs (beta quantiles, scipy).
    Likelihood ratios LR+ = se / (1 - sp), LR- = (1 - se) / sp with CIs
    ``exp(log LR -/+ z sqrt((1 - se) / (n1 se) + sp / (n0 (1 - sp))))`` for LR+ and
    ``exp(log LR -/+ z sqrt(se / (n1 (1 - se)) + (1 - sp) / (n0 sp)))`` for LR- (Simel, Samsa &
    Matchar 1991), computed as epiR does, so a zero cell gives R's 0, Inf or NaN.

    The other rows are epiR's ``tp`` (true prevalence ``(tp + fn) / n``, exact CI), ``diag.ac``
    (accuracy ``(tp + tn) / n``, exact CI), ``youden`` (``se + sp - 1``; its limits are
    ``se_lower + sp_lower - 1`` and ``se_upper + sp_upper - 1``, the exact limits of sensitivity and
    specificity added, which is epiR's choice, not an exact interval of the index) and ``diag.or``
    (``(tp tn) / (fp fn)`` with Woolf's CI ``exp(log DOR -/+ z sqrt(1/tp + 1/fp + 1/fn + 1/tn))``;
    a zero cell gives R's 0, Inf or NaN, without a continuity correction). Pairs with a missing
    value are dropped (``n_missing``).

    Examples
    --------
    >>> from cartsie.discrimination import diagnostic_metrics
    >>> y = [1] * 19 + [0] * 200 + [1] * 3 + [0] * 128
    >>> test = [1] * 219 + [0] * 131
    >>> m = diagnostic_metrics(y, test)
    >>> m.summary.loc[["sensitivity", "lr_pos", "youden", "dor"], "estimate"].round(4).tolist()
    [0.8636, 1.4164, 0.2539, 4.0533]
    """
    func = "diagnostic_metrics"
    z = _z(conf_level, func)
    v, n_missing, index = _vectors(func, y_true=y_true, y_pred=y_pred)
    y, t = v["y_true"], v["y_pred"]
    _check_binary(y, "y_true", func, index)
    _check_binary(t, "y_pred", func, index)
    tp = int(np.sum((y == 1) & (t == 1)))
    fp = int(np.sum((y == 0) & (t == 1)))
    fn = int(np.sum((y == 1) & (t == 0)))
    tn = int(np.sum((y == 0) & (t == 0)))
    sensitivity = _clopper_pearson(tp, tp + fn, conf_level)
    specificity = _clopper_pearson(tn, tn + fp, conf_level)
    rows = [
        sensitivity,
        specificity,
        _clopper_pearson(tp, tp + fp, conf_level),
        _clopper_pearson(tn, tn + fn, conf_level),
        *_likelihood_ratios(tp, fp, fn, tn, z),
        _clopper_pearson(tp + fn, len(y), conf_level),
        _clopper_pearson(tp + tn, len(y), conf_level),
        _youden(sensitivity, specificity),
        _diagnostic_odds_ratio(tp, fp, fn, tn, z),
    ]
    summary = pd.DataFrame(
        rows, index=pd.Index(METRICS, name="metric"), columns=["estimate", "ci_lower", "ci_upper"]
    )
    return DiagnosticMetrics(summary, tp, fp, fn, tn, len(y), n_missing, float(conf_level))


# --------------------------------------------------------------------------------------------
# AUC and DeLong
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class AUC(Result):
    """Area under the ROC curve with DeLong's CI; see :func:`auc`.

    Parameters
    ----------
    auc : float
        The AUC: P(score of a case > score of a control) + 1/2 P(tie).
    ci_lower, ci_upper : float
        DeLong's confidence limits, cut to [0, 1] (NaN with fewer than 2 cases or controls).
    se : float
        DeLong's standard error.
    variance : float
        DeLong's variance (pROC's ``var(roc, method = "delong")``).
    n_cases, n_controls : int
        Patients with ``y_true`` 1 and 0.
    n_missing : int
        Pairs dropped for a missing outcome or score.
    conf_level : float
        Level of the CI.
    method : str
        The variance method, shown in reprs.
    direction : str
        The direction used: ``"<"`` (a higher score means a case) or ``">"`` (a lower score does).
    """

    auc: float
    ci_lower: float
    ci_upper: float
    se: float
    variance: float
    n_cases: int
    n_controls: int
    n_missing: int
    conf_level: float
    method: str = "DeLong"
    #: the direction used, "<" (a higher score means a case) or ">" (a lower score does)
    direction: str = "<"

    @property
    def summary(self) -> pd.DataFrame:
        """One row: auc, se, ci_lower, ci_upper, n_cases, n_controls, direction."""
        return pd.DataFrame(
            {
                "auc": [self.auc],
                "se": [self.se],
                "ci_lower": [self.ci_lower],
                "ci_upper": [self.ci_upper],
                "n_cases": [self.n_cases],
                "n_controls": [self.n_controls],
                "direction": [self.direction],
            }
        )

    _title = "AUC (DeLong)"

    def _tidy(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "term": ["AUC"],
                "estimate": [self.auc],
                "std_error": [self.se],
                "ci_lower": [self.ci_lower],
                "ci_upper": [self.ci_upper],
            }
        )

    def _glance(self) -> dict:
        return {"n_cases": self.n_cases, "n_controls": self.n_controls, "n_missing": self.n_missing}


@dataclass(frozen=True, repr=False)
class DeLongTest(Result):
    """Paired DeLong test of two AUCs on the same patients; see :func:`delong_test`.

    Parameters
    ----------
    auc_a, auc_b : float
        The AUCs of the two scores.
    difference : float
        ``auc_a - auc_b``.
    z : float
        The test statistic, difference / DeLong SE of the difference.
    p_value : float
        Two-sided normal p-value.
    ci_lower, ci_upper : float
        Confidence limits of the difference.
    n : int
        Patients used.
    n_cases, n_controls : int
        Patients with ``y_true`` 1 and 0.
    n_missing : int
        Patients dropped for a missing outcome or score.
    conf_level : float
        Level of the CI.
    method : str
        Name of the test, shown in reprs.
    direction_a, direction_b : str
        The directions used for ``score_a`` and ``score_b`` (``"<"`` or ``">"``, see :func:`auc`).
    """

    auc_a: float
    auc_b: float
    difference: float
    z: float
    p_value: float
    ci_lower: float
    ci_upper: float
    n: int
    n_cases: int
    n_controls: int
    n_missing: int
    conf_level: float
    method: str = "DeLong's test for two correlated ROC curves"
    #: the directions used for score_a and score_b ("<" or ">", see :func:`auc`)
    direction_a: str = "<"
    direction_b: str = "<"

    @property
    def statistic(self) -> float:
        """The z statistic."""
        return self.z

    @property
    def df(self) -> float:
        """No degrees of freedom (normal reference): NaN."""
        return math.nan

    @property
    def summary(self) -> pd.DataFrame:
        """One row: auc_a, auc_b, difference, ci_lower, ci_upper, z, p_value."""
        return pd.DataFrame(
            {
                "auc_a": [self.auc_a],
                "auc_b": [self.auc_b],
                "difference": [self.difference],
                "ci_lower": [self.ci_lower],
                "ci_upper": [self.ci_upper],
                "z": [self.z],
                "p_value": [self.p_value],
            }
        )

    _title = "DeLong's test of two AUCs"

    def _tidy(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "term": ["AUC a - AUC b"],
                "estimate": [self.difference],
                "statistic": [self.z],
                "p_value": [self.p_value],
                "ci_lower": [self.ci_lower],
                "ci_upper": [self.ci_upper],
            }
        )

    def _glance(self) -> dict:
        return {
            "n": self.n,
            "n_cases": self.n_cases,
            "n_controls": self.n_controls,
            "n_missing": self.n_missing,
        }


def _split(func: str, y: np.ndarray, index) -> tuple[int, int]:
    _check_binary(y, "y_true", func, index)
    m, n = int(np.sum(y == 1)), int(np.sum(y == 0))
    if m == 0 or n == 0:
        which = "cases (y_true = 1)" if m == 0 else "controls (y_true = 0)"
        raise InputError(
            f"{func}(): there are no {which} among the {len(y)} complete pairs; an AUC needs both."
        )
    return m, n


def _check_direction(direction, func: str) -> None:
    if not isinstance(direction, str) or direction not in DIRECTIONS:
        raise InputError(
            f"{func}(): direction must be '<' (a higher score means a case; the default), '>' (a "
            f"lower score does) or 'auto' (pROC's choice from the medians); got {direction!r}."
        )


def _resolve_direction(direction: str, y: np.ndarray, s: np.ndarray) -> str:
    """pROC's ``direction = "auto"``: "<" when median(controls) <= median(cases), else ">"."""
    if direction != "auto":
        return direction
    return "<" if np.median(s[y == 0]) <= np.median(s[y == 1]) else ">"


def auc(y_true, score, conf_level: float = 0.95, direction: str = "<") -> AUC:
    """Area under the ROC curve of ``score`` for ``y_true``, with DeLong's confidence interval.

    With ``direction="<"`` (the default) a higher score means the positive class (``y_true = 1``):
    AUC = P(score of a case > score of a control) + 1/2 P(tie). It is not flipped when below 0.5.

    Parameters
    ----------
    y_true : array-like or Series
        1 = case (positive), 0 = control.
    score : array-like or Series
        Numeric score or predicted probability.
    conf_level : float
        Level of DeLong's confidence interval (default 0.95).
    direction : {"<", ">", "auto"}
        pROC's ``direction``: ``"<"`` controls < cases (a higher score means a case), ``">"``
        controls > cases (a lower score means a case: AUC = P(case < control) + 1/2 P(tie)), or
        ``"auto"``: ``"<"`` when the median score of the controls is at most that of the cases,
        else ``">"``, as pROC (so the AUC is then at least about 0.5 -- an optimistic choice made on
        the data themselves). The one used is ``.direction``.

    Returns
    -------
    AUC
        ``.auc``, ``.ci_lower``, ``.ci_upper``, ``.se`` and ``.variance`` (DeLong), ``.n_cases``,
        ``.n_controls``, ``.n_missing``, ``.direction``.

    Notes
    -----
    R: ``pROC::ci.auc(roc(y_true, score, levels = c(0, 1), direction = direction), method =
    "delong")`` and ``var(roc, method = "delong")``; ``direction = ">"`` is the same computation on
    ``-score``. DeLong, DeLong & Clarke-Pearson (1988) variance
    ``var(V10) / m + var(V01) / n`` from the placement values, computed from mid-ranks in
    O(n log n) (Sun & Xu 2014; ties count 1/2, as pROC); CI ``auc -/+ z sqrt(var)`` cut to [0, 1],
    as pROC. With a single case or control the CI is NaN (pROC: NA). Pairs with a missing value are
    dropped (``n_missing``). scikit-learn's ``roc_auc_score`` gives the same AUC without a CI.

    Examples
    --------
    >>> from cartsie.discrimination import auc
    >>> a = auc([0, 0, 0, 1, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.7, 0.3, 0.5, 0.9])
    >>> round(a.auc, 4), round(a.ci_lower, 4), a.ci_upper
    (0.8125, 0.4251, 1.0)
    """
    func = "auc"
    z = _z(conf_level, func)
    _check_direction(direction, func)
    v, n_missing, index = _vectors(func, y_true=y_true, score=score)
    y, s = v["y_true"], v["score"]
    m, n = _split(func, y, index)
    used = _resolve_direction(direction, y, s)
    v10, v01 = _placements(y, s if used == "<" else -s)
    theta = float(v10.mean())
    level = float(conf_level)
    if m < 2 or n < 2:
        return AUC(theta, math.nan, math.nan, math.nan, math.nan, m, n, n_missing, level, direction=used)
    var = float(np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n)
    sd = math.sqrt(var)
    lower, upper = min(1.0, max(0.0, theta - z * sd)), min(1.0, max(0.0, theta + z * sd))
    return AUC(theta, lower, upper, sd, var, m, n, n_missing, level, direction=used)


def delong_test(
    y_true,
    score_a,
    score_b,
    conf_level: float = 0.95,
    direction: str | tuple[str, str] = "<",
) -> DeLongTest:
    """Paired DeLong test comparing the AUCs of two scores measured on the same patients.

    By default a higher score means the positive class for both scores (see :func:`auc`).

    Parameters
    ----------
    y_true : array-like or Series
        1 = case, 0 = control.
    score_a, score_b : array-like or Series
        The two numeric scores (or predicted probabilities), one value per patient of ``y_true``.
    conf_level : float
        Level of the CI of the difference ``auc_a - auc_b``.
    direction : {"<", ">", "auto"} or pair of them
        pROC's ``direction`` for each score (see :func:`auc`); one value applies to both, as
        ``roc.test(response, predictor1, predictor2, direction = ...)``, which passes it to
        ``roc()`` for each predictor -- so ``"auto"`` chooses it for each score on its own. A pair
        gives the direction of ``score_a`` and of ``score_b``. When the two directions used differ
        a :class:`~cartsie.errors.DirectionWarning` is given, as pROC warns ("DeLong's test should
        not be applied to ROC curves with a different direction"), and the test is computed
        anyway, as pROC's ``method = "delong"``.

    Returns
    -------
    DeLongTest
        ``.auc_a``, ``.auc_b``, ``.difference``, ``.z``, ``.p_value`` (two-sided), ``.ci_lower``,
        ``.ci_upper`` (of the difference), ``.n``, ``.n_missing``, ``.direction_a``,
        ``.direction_b``.

    Notes
    -----
    R: ``pROC::roc.test(roc(y, a, levels = c(0, 1), direction = d), roc(y, b, ...), method =
    "delong", paired = TRUE)``. z = (auc_a - auc_b) / sqrt(L S L'), L = (1, -1), S the DeLong
    covariance of the two AUCs from their placement values (mid-ranks, O(n log n)); two-sided normal
    p; CI difference -/+ z sd. When both AUCs are equal with zero variance (e.g. both 1) z = 0 and
    p = 1, as pROC (which warns that it can mislead). Patients missing y or either score are dropped.

    Examples
    --------
    >>> from cartsie.discrimination import delong_test
    >>> t = delong_test([0, 0, 0, 1, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.7, 0.3, 0.5, 0.9],
    ...                 [0.2, 0.1, 0.6, 0.5, 0.9, 0.4, 0.3, 0.7])
    >>> round(t.z, 6), round(t.p_value, 6)
    (-0.316228, 0.75183)
    """
    func = "delong_test"
    z_crit = _z(conf_level, func)
    dir_a, dir_b = (direction, direction) if isinstance(direction, str) else tuple(direction)
    _check_direction(dir_a, func)
    _check_direction(dir_b, func)
    v, n_missing, index = _vectors(func, y_true=y_true, score_a=score_a, score_b=score_b)
    y = v["y_true"]
    m, n = _split(func, y, index)
    if m < 2 or n < 2:
        raise InputError(
            f"{func}(): DeLong's variance needs at least 2 cases and 2 controls (got {m} and {n})."
        )
    used_a = _resolve_direction(dir_a, y, v["score_a"])
    used_b = _resolve_direction(dir_b, y, v["score_b"])
    if used_a != used_b:
        warnings.warn(
            f"{func}(): the ROC curves have different directions (score_a {used_a!r}, score_b "
            f"{used_b!r}); DeLong's test should not be applied to ROC curves with a different "
            "direction (pROC's warning). Give one direction for both.",
            DirectionWarning,
            stacklevel=2,
        )
    xa, ya = _placements(y, v["score_a"] if used_a == "<" else -v["score_a"])
    xb, yb = _placements(y, v["score_b"] if used_b == "<" else -v["score_b"])
    auc_a, auc_b = float(xa.mean()), float(xb.mean())
    s10 = np.cov(np.vstack([xa, xb]), ddof=1)
    s01 = np.cov(np.vstack([ya, yb]), ddof=1)
    s = s10 / m + s01 / n
    sig = math.sqrt(max(0.0, float(s[0, 0] + s[1, 1] - s[0, 1] - s[1, 0])))
    d = auc_a - auc_b
    # pROC: 0 / 0 -> z = 0 (p = 1); d / 0 -> +-Inf (p = 0)
    z = d / sig if sig > 0 else (0.0 if d == 0 else math.copysign(math.inf, d))
    p = float(2 * norm_sf(abs(z)))
    return DeLongTest(
        auc_a,
        auc_b,
        d,
        z,
        p,
        d - z_crit * sig,
        d + z_crit * sig,
        len(y),
        m,
        n,
        n_missing,
        float(conf_level),
        direction_a=used_a,
        direction_b=used_b,
    )
