"""Validating a prognostic score in one call: for each time-to-event endpoint its concordance
(Harrell's and Uno's C), AUC(t), Brier score and IPA, calibration and net benefit, as one table,
with the component results and their figures.

A score is not a risk. Brier, calibration and net benefit need a predicted probability of the event
by a time t; unless the caller gives one (``risk=``), it is the risk a Cox model of the score
predicts: ``r(t | s) = 1 - exp(-H0(t) exp(b s))``, with ``b`` the coefficient of the score (Efron
ties) and ``H0`` its baseline cumulative hazard (Efron's, as R's ``survfit.coxph`` and
``riskRegression::predictRisk``). Fitted and judged on the same patients, this is **apparent**
(in-sample) performance, optimistic by construction: the outputs say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cartsie._checks import numeric, require_columns
from cartsie._missing import warn_dropped
from cartsie._results import Result
from cartsie._survprep import z_value
from cartsie.errors import InputError
from cartsie.prognostic._calibration import Calibration
from cartsie.prognostic._inputs import thresholds_of
from cartsie.prognostic._net_benefit import NetBenefit
from cartsie.prognostic._validate_parts import SUMMARY_COLUMNS, Endpoint, baseline_hazard
from cartsie.prognostic.core import Concordance
from cartsie.prognostic.timedep import Brier, TimeAUC

if TYPE_CHECKING:  # figures are drawn on demand: cartsie.figures is imported when they are
    from matplotlib.figure import Figure

__all__ = [
    "ENDPOINTS",
    "MEASURES",
    "SUMMARY_COLUMNS",
    "ScorePerformance",
    "baseline_hazard",
    "validate_score",
]

#: the default endpoints: the columns of ``cartsie.cohort``'s endpoints table
ENDPOINTS = {"OS": ("os_months", "os_event"), "PFS": ("pfs_months", "pfs_event")}
#: the measures of the summary, in order
MEASURES = (
    "harrell_c",
    "uno_c",
    "auc",
    "brier",
    "ipa",
    "oe_ratio",
    "calibration_slope",
    "net_benefit",
    "net_benefit_all",
)
RISK_SOURCES = {"cox": "Cox model of the score (apparent, in-sample)", "given": "risk column given"}


@dataclass(frozen=True, repr=False)
class ScorePerformance(Result):
    """The performance of a score for each endpoint; see :func:`validate_score`.

    ``summary`` has one row per endpoint and measure (and time, and threshold for net benefit):
    endpoint, measure, time, threshold, estimate, std_error, ci_lower, ci_upper, n, events,
    reason (empty when estimable). The component results are kept by endpoint.

    Parameters
    ----------
    table : DataFrame
        The rows behind ``summary`` (:data:`SUMMARY_COLUMNS`).
    score : str
        The score column.
    higher : {"risk", "survival"}
        What a higher score means.
    endpoints : dict
        Endpoint name -> (time column, event column).
    times : tuple of float
        Times of AUC(t) and the Brier score.
    horizons : tuple of float
        Times of calibration and net benefit.
    risk_source : {"cox", "given"}
        Where the predicted risks come from (:data:`RISK_SOURCES`).
    apparent : bool
        True when the risks were fitted on the same patients (``risk_source == "cox"``).
    concordance : dict
        Endpoint -> {"harrell": Concordance, "uno": Concordance}.
    time_auc : dict
        Endpoint -> TimeAUC (every time).
    brier : dict
        Endpoint -> Brier (every time).
    calibration : dict
        Endpoint -> {horizon: Calibration}.
    net_benefit : dict
        Endpoint -> {horizon: NetBenefit}.
    risk_model : dict
        Endpoint -> the Cox model of the score (``risk_source == "cox"``).
    risk_table : dict
        Endpoint -> predicted risk at each time by score value (columns score, n, ``risk_<t>``),
        when the score has at most 30 distinct values (``risk_source == "cox"``).
    n_missing : dict
        Endpoint -> rows left out for a missing time, event, score or risk.
    conf_level : float
        Level of the CIs.
    """

    table: pd.DataFrame
    score: str
    higher: str
    endpoints: dict[str, tuple[str, str]]
    times: tuple[float, ...]
    horizons: tuple[float, ...]
    risk_source: str
    apparent: bool
    concordance: dict[str, dict[str, Concordance]] = field(default_factory=dict)
    time_auc: dict[str, TimeAUC] = field(default_factory=dict)
    brier: dict[str, Brier] = field(default_factory=dict)
    calibration: dict[str, dict[float, Calibration]] = field(default_factory=dict)
    net_benefit: dict[str, dict[float, NetBenefit]] = field(default_factory=dict)
    risk_model: dict[str, Any] = field(default_factory=dict)
    risk_table: dict[str, pd.DataFrame] = field(default_factory=dict)
    n_missing: dict[str, int] = field(default_factory=dict)
    conf_level: float = 0.95

    @property
    def _title(self) -> str:  # type: ignore[override]
        return f"Performance of {self.score} (risk: {RISK_SOURCES[self.risk_source]})"

    @property
    def summary(self) -> pd.DataFrame:
        """One row per endpoint, measure, time (and threshold): estimate, CI, n, events, reason."""
        return self.table.copy()

    def _tidy(self) -> pd.DataFrame:
        s = self.table
        terms = []
        for r in s.itertuples(index=False):
            at = f", t={r.time:g}" if np.isfinite(r.time) else ""
            pt = f", pt={r.threshold:g}" if np.isfinite(r.threshold) else ""
            terms.append(f"{r.endpoint}: {r.measure}{at}{pt}")
        return pd.DataFrame(
            {
                "term": terms,
                "estimate": s["estimate"].to_numpy(),
                "std_error": s["std_error"].to_numpy(),
                "ci_lower": s["ci_lower"].to_numpy(),
                "ci_upper": s["ci_upper"].to_numpy(),
            }
        )

    def _glance(self) -> dict:
        out: dict[str, Any] = {"score": self.score, "risk": self.risk_source, "apparent": self.apparent}
        for name in self.endpoints:
            rows = self.table[(self.table["endpoint"] == name) & (self.table["measure"] == "harrell_c")]
            out[f"n_{name}"] = int(rows["n"].iloc[0]) if len(rows) and np.isfinite(rows["n"].iloc[0]) else 0
        return out

    def figures(
        self,
        endpoint: str | None = None,
        at: float | None = None,
        *,
        unit: str | None = "months",
        note: str | None = None,
    ) -> dict[str, Figure]:
        """Draw the calibration plot and the decision curve of each endpoint and horizon.

        Parameters
        ----------
        endpoint : str, optional
            One endpoint (default every one).
        at : float, optional
            One horizon (default every one of ``horizons``).
        unit : str, optional
            Unit of the times in the axis labels.
        note : str, optional
            Footnote of every figure.

        Returns
        -------
        dict of str to Figure
            ``"calibration_<endpoint>_<t>"`` (:func:`cartsie.figures.calibration_plot`) and
            ``"decision_<endpoint>_<t>"`` (:func:`cartsie.figures.decision_curve`), aggregates only;
            an endpoint or horizon whose calibration or net benefit was not estimable has none.
        """
        from cartsie import figures

        label = f"{self.score}" + (" (apparent)" if self.apparent else "")
        out: dict[str, Figure] = {}
        for name in [endpoint] if endpoint else list(self.endpoints):
            for t in [float(at)] if at is not None else list(self.horizons):
                cal = self.calibration.get(name, {}).get(t)
                nb = self.net_benefit.get(name, {}).get(t)
                if cal is not None:
                    out[f"calibration_{name}_{t:g}"] = figures.calibration_plot(
                        cal, label=f"{label}, {name}", unit=unit, note=note
                    )
                if nb is not None:
                    out[f"decision_{name}_{t:g}"] = figures.decision_curve(
                        nb, label=f"{label}, {name} at {t:g}" + (f" {unit}" if unit else ""), note=note
                    )
        return out


def _times_of(values, what: str) -> tuple[float, ...]:
    vals = np.atleast_1d(np.asarray(values, dtype=object)).ravel()
    ok = len(vals) > 0 and all(
        isinstance(v, int | float | np.integer | np.floating)
        and not isinstance(v, bool)
        and np.isfinite(v)
        and v > 0
        for v in vals
    )
    if not ok:
        raise InputError(f"validate_score(): {what} must be one or more positive times; got {values!r}.")
    return tuple(sorted({float(v) for v in vals}))


def _frame_of(data) -> pd.DataFrame:
    """``data`` itself, or the analysis table of a :class:`cartsie.cohort.Cohort` (its ``table``:
    baseline, scores and the endpoints' columns, one row per patient)."""
    if isinstance(data, pd.DataFrame):
        return data
    table = getattr(data, "table", None)
    if isinstance(table, pd.DataFrame):
        return table
    raise InputError(
        f"validate_score(): data must be a DataFrame or a cartsie Cohort; got {type(data).__name__}."
    )


def _endpoints_of(endpoints, frame: pd.DataFrame) -> dict[str, tuple[str, str]]:
    if endpoints is None:
        found = {k: v for k, v in ENDPOINTS.items() if set(v) <= set(frame.columns)}
        if not found:
            raise InputError(
                "validate_score(): give endpoints={'name': (time column, event column)}; the data have "
                "neither os_months/os_event nor pfs_months/pfs_event."
            )
        return found
    if not isinstance(endpoints, Mapping) or not endpoints:
        raise InputError(
            "validate_score(): endpoints must map each endpoint's name to its (time column, event "
            f"column), e.g. {{'OS': ('os_months', 'os_event')}}; got {endpoints!r}."
        )
    out = {}
    for name, pair in endpoints.items():
        if not (isinstance(pair, Sequence) and len(pair) == 2 and all(isinstance(c, str) for c in pair)):
            raise InputError(
                f"validate_score(): endpoint {name!r} must be a (time column, event column) pair; "
                f"got {pair!r}."
            )
        out[str(name)] = (pair[0], pair[1])
    return out


def _risk_columns(risk, horizons: tuple[float, ...]) -> dict[float, str] | None:
    if risk is None:
        return None
    if isinstance(risk, str):
        return dict.fromkeys(horizons, risk)
    if isinstance(risk, Mapping):
        cols = {float(k): v for k, v in risk.items()}
        missing = [t for t in horizons if t not in cols]
        if missing or not all(isinstance(v, str) for v in cols.values()):
            raise InputError(
                "validate_score(): risk must be a column of predicted risks, or a mapping from each "
                f"horizon ({', '.join(f'{t:g}' for t in horizons)}) to its column; got {risk!r}."
            )
        return {t: cols[t] for t in horizons}
    raise InputError(f"validate_score(): risk must be a column name or a mapping; got {risk!r}.")


def validate_score(
    data,
    score: str,
    endpoints: Mapping[str, tuple[str, str]] | None = None,
    *,
    times: float | Sequence[float] = (12.0, 24.0),
    at: float | Sequence[float] | None = None,
    risk: str | Mapping[float, str] | None = None,
    higher: str = "risk",
    thresholds: Sequence[float] | None = None,
    summary_thresholds: Sequence[float] = (0.25, 0.5),
    groups: int | str = 10,
    tau: float | None = None,
    conf_level: float = 0.95,
) -> ScorePerformance:
    """Estimate every measure of a score's prognostic performance, for each endpoint, in one call.

    Parameters
    ----------
    data : DataFrame or cartsie.cohort.Cohort
        One row per patient; for a Cohort, its analysis table ``.table`` (which holds the scores
        and the endpoints of ``.endpoints``).
    score : str
        Numeric score column (e.g. ``ht_score``, ``simple_ht_high``).
    endpoints : mapping, optional
        Endpoint name -> (time column, event column), events coded 0 censored / 1 event (default:
        ``{"OS": ("os_months", "os_event"), "PFS": ("pfs_months", "pfs_event")}``, those present).
    times : float or sequence of float, default (12, 24)
        Times t of AUC(t), the Brier score and IPA, in the unit of the time columns.
    at : float or sequence of float, optional
        Horizons of calibration and net benefit (default: every one of ``times``).
    risk : str or mapping, optional
        Predicted risk of the event by the horizon (a probability): a column used at every horizon,
        or a mapping horizon -> column (a model developed elsewhere: external validation). By
        default the risk of a Cox model of the score fitted on these patients (apparent
        performance; see Notes).
    higher : {"risk", "survival"}, default "risk"
        What a higher score means (as :func:`cartsie.prognostic.concordance`); with "survival" the
        score is negated for AUC(t).
    thresholds : sequence of float, optional
        Threshold probabilities of the decision curves (default 0.01, 0.02, ..., 0.99).
    summary_thresholds : sequence of float, default (0.25, 0.5)
        Thresholds whose net benefit (model and treat-all) are rows of the summary.
    groups : int or str, default 10
        Risk groups of the calibration (:func:`cartsie.prognostic.calibration`): a score with at
        most ``groups`` distinct values has one group per value.
    tau : float, optional
        Truncation time of both concordances (R's ``ymax``; default none).
    conf_level : float, default 0.95
        Level of every CI.

    Returns
    -------
    ScorePerformance
        ``.summary`` (endpoint, measure, time, threshold, estimate, std_error, ci_lower, ci_upper,
        n, events, reason); ``.concordance[endpoint]["harrell" | "uno"]``, ``.time_auc[endpoint]``,
        ``.brier[endpoint]``, ``.calibration[endpoint][t]``, ``.net_benefit[endpoint][t]``,
        ``.risk_model[endpoint]``, ``.risk_table[endpoint]``; ``.figures()``.

    Notes
    -----
    Measures (measure names of the summary), each the result of the component function:

    * ``harrell_c``, ``uno_c`` -- :func:`~cartsie.prognostic.concordance` with ``timewt = "n"``
      and ``"n/G2"``: ``survival::concordance(Surv(time, event) ~ score, reverse = TRUE, timewt =
      "n" | "n/G2")``; time NaN (the whole follow-up, or ``tau``);
    * ``auc`` -- cumulative/dynamic AUC(t) of the score, IPCW (:func:`~cartsie.prognostic.time_auc`,
      ``riskRegression::Score(..., metrics = "auc")``);
    * ``brier``, ``ipa`` -- the IPCW Brier score of the predicted risk at t and the index of
      prediction accuracy ``1 - BS / BS_null`` (:func:`~cartsie.prognostic.brier`, ``Score(...,
      metrics = "brier", summary = "ipa")``);
    * ``oe_ratio``, ``calibration_slope`` -- observed (Kaplan-Meier) over mean predicted risk at
      the horizon, and the coefficient of ``log(-log(1 - risk))`` in a Cox model censored at the
      horizon (:func:`~cartsie.prognostic.calibration`);
    * ``net_benefit``, ``net_benefit_all`` -- at each of ``summary_thresholds``,
      ``NB = R P - pt / (1 - pt) (1 - R) P`` of treating patients whose risk >= pt, and of treating
      all (:func:`~cartsie.prognostic.net_benefit`, ``dcurves::dca(Surv(time, event) ~ risk, time
      = at)``).

    The predicted risk without ``risk=``: a Cox model ``coxph(Surv(time, event) ~ score)`` (Efron
    ties), and ``r(t | s) = 1 - exp(-H0(t) exp(b s))`` with Efron's baseline cumulative hazard
    (:func:`baseline_hazard`), i.e. ``riskRegression::predictRisk(fit, newdata, times = t)`` or
    ``1 - summary(survfit(fit, newdata), times = t)$surv``. Chosen over the Kaplan-Meier risk of
    each score level because a one-coefficient model borrows strength across sparse levels (HT 6-7)
    and its calibration is a real check of proportional hazards and of the score's linearity: the
    Kaplan-Meier risk of each level is, in the same patients, perfectly calibrated by construction.
    Either way the model is fitted and judged on the same patients: **apparent** performance, which
    overstates how the score will do in new patients (no optimism correction here; pass a risk
    developed elsewhere for external validation). C and AUC(t) use the score itself, not the risk.

    A measure the data cannot support (no event by t, a time after the last follow-up, a score
    with one value, a model that cannot be fitted) is a row with NaN and its ``reason``; the other
    measures are computed. Rows missing the time, event, score or risk are left out per endpoint,
    with a ``MissingValuesWarning`` (``n_missing``). Events must be coded 0/1 (for competing risks
    call the components with ``cause``).

    Examples
    --------
    >>> from cartsie import synthetic
    >>> from cartsie.prognostic import validate_score
    >>> c = synthetic.cartsie_like(seed=2024)
    >>> ht = c.table[c.table["ht_score"].notna() & c.table["lbcl"]]  # the HT-evaluable LBCL patients
    >>> res = validate_score(ht, "ht_score", {"OS": ("os_months", "os_event")}, times=[12])
    >>> res.summary.set_index("measure").loc[["harrell_c", "auc", "oe_ratio"], "estimate"].round(3).tolist()
    [0.631, 0.634, 0.992]
    >>> res.risk_table["OS"].round(3).head(3).to_dict("list")  # the Cox risk at 12 months by HT score
    {'score': [0.0, 1.0, 2.0], 'n': [82, 56, 106], 'risk_12': [0.228, 0.28, 0.341]}
    """
    func = "validate_score"
    z_value(conf_level, func)
    if higher not in ("risk", "survival"):
        raise InputError(f"{func}(): higher must be 'risk' or 'survival'; got {higher!r}.")
    frame = _frame_of(data)
    ends = _endpoints_of(endpoints, frame)
    times_ = _times_of(times, "times")
    horizons = times_ if at is None else _times_of(at, "at")
    given = _risk_columns(risk, horizons)
    pts = thresholds_of(thresholds, func)
    summary_pts = thresholds_of(summary_thresholds, func)
    pts = np.unique(np.r_[pts, summary_pts])
    columns = [score, *dict.fromkeys(given.values() if given else [])]
    require_columns(frame, [score, *columns, *(c for pair in ends.values() for c in pair)], func)
    numeric(frame, score, func)
    parts: dict[str, dict[str, Any]] = {k: {} for k in ("c", "auc", "brier", "cal", "nb", "fit", "levels")}
    rows: list[dict] = []
    n_missing: dict[str, int] = {}
    for name, (tcol, ecol) in ends.items():
        used = list(dict.fromkeys([tcol, ecol, *columns]))
        keep = frame[used].notna().all(axis=1).to_numpy()
        n_missing[name] = int((~keep).sum())
        warn_dropped(func, frame, used, n_missing[name], stacklevel=2)
        work = frame.loc[keep, used].copy()
        ep = Endpoint(name, work, tcol, ecol, score, higher, conf_level, parts)
        rows += _endpoint(ep, times_, horizons, given, pts, summary_pts, groups, tau)
    table = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return ScorePerformance(
        table=table,
        score=score,
        higher=higher,
        endpoints=ends,
        times=times_,
        horizons=horizons,
        risk_source="given" if given else "cox",
        apparent=given is None,
        concordance=parts["c"],
        time_auc=parts["auc"],
        brier=parts["brier"],
        calibration=parts["cal"],
        net_benefit=parts["nb"],
        risk_model=parts["fit"],
        risk_table=parts["levels"],
        n_missing=n_missing,
        conf_level=conf_level,
    )


def _endpoint(
    ep: Endpoint,
    times: tuple[float, ...],
    horizons: tuple[float, ...],
    given: dict[float, str] | None,
    pts: np.ndarray,
    summary_pts: np.ndarray,
    groups: int | str,
    tau: float | None,
) -> list[dict]:
    """Every row of one endpoint, in the order of :data:`MEASURES`; each measure in its own guard."""
    failed = ep.data_reason()
    if failed:
        rows = [ep.row(m, reason=failed) for m in ("harrell_c", "uno_c")]
        rows += [ep.row(m, x, reason=failed) for x in times for m in ("auc", "brier", "ipa")]
        rows += [ep.row(m, x, reason=failed) for x in horizons for m in ("oe_ratio", "calibration_slope")]
        return rows + [
            ep.row(m, x, pt, reason=failed)
            for x in horizons
            for pt in summary_pts
            for m in ("net_benefit", "net_benefit_all")
        ]
    rows = ep.concordances(tau)
    aucs = ep.aucs(times)
    if given is not None:
        ep.given_risks(given)
    else:
        ep.cox_risks(sorted({*times, *horizons}))
    briers = ep.briers(times)
    for x in times:
        rows += [aucs[x], *briers[x]]
    for x in horizons:
        rows += ep.calibrate(x, groups)
    for x in horizons:
        rows += ep.benefit(x, pts, summary_pts)
    return rows
