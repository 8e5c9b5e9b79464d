"""Kaplan-Meier and cumulative incidence figures: what each draws, from which result.

The layout (legend above, annotation block in a free corner, risk table under the time axis) is
:mod:`cartsie.figures._timeplot`'s; here the numbers are taken from the results -- the curves, the
numbers at risk, the landmark estimates -- and the annotation lines written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cartsie.errors import InputError
from cartsie.figures._style import (
    TICK_EVERY,
    group_colors,
    group_labels,
    landmark_name,
    p_phrase,
    percent_phrase,
    ratio_phrase,
    time_ticks,
)
from cartsie.figures._timeplot import (
    Curve,
    TimePlot,
    draw,
    incidence_scales,
    probability_scale,
)

if TYPE_CHECKING:  # pragma: no cover
    from cartsie.competing import CumulativeIncidence
    from cartsie.survival import KaplanMeier

#: the y axis of a survival curve: 0 to 1, ticked every 0.2 (a little headroom so that the curve at
#: S = 1 is not cut by the edge of the axes)
SURVIVAL_SCALE = probability_scale(1.0, 0.2, top=1.02)


def _times(times, name: str, func: str) -> list[float]:
    values = np.atleast_1d(np.asarray(times, dtype=float)) if times is not None else np.zeros(0)
    if values.size and (not np.all(np.isfinite(values)) or np.any(values < 0)):
        raise InputError(f"{func}(): {name} must be times >= 0, got {times!r}.")
    return sorted(float(t) for t in values)


def _axis(last: float, risk_times, tick_every: float, xmax: float | None, func: str):
    """Ticks, limits and risk-table times of a time axis: every ``tick_every`` months unless the
    caller chose the risk-table times (which then are the ticks, so each number stands under one)."""
    chosen = _times(risk_times, "risk_times", func)
    if chosen:
        ticks = np.array(chosen)
        upper = float(xmax) if xmax is not None else max(ticks[-1], last)
    else:
        ticks = time_ticks(last, tick_every, xmax)
        upper = float(ticks[-1])
    ticks = ticks[ticks <= upper + 1e-9]
    return ticks, (0.0, upper)


def _hr_label(label: str | None, kind: str, labels: dict, groups: list) -> str:
    if label is not None:
        return label
    if len(groups) == 2:
        return f"{kind} {labels[groups[1]]} vs {labels[groups[0]]}"
    return kind


def _block(
    landmark_lines: list[tuple[str, str]],
    p_value: float | None,
    p_label: str,
    hr,
    hr_label: str,
    conf_level: float,
    annotation: str | None,
) -> list[tuple[str, str]]:
    lines = list(landmark_lines)
    if p_value is not None:
        lines.append((p_phrase(p_value, p_label), "black"))
    if hr is not None:
        lines.append((ratio_phrase(hr_label, hr, conf_level), "black"))
    if annotation:
        lines += [(line, "black") for line in str(annotation).split("\n")]
    return lines


def _landmark_lines(values: pd.DataFrame, curves: Sequence[Curve], last: Mapping) -> list[tuple[str, str]]:
    """One line per group and landmark: ``"1-year: 78% (72-83)"`` (the group's label first when
    there are several); ``values`` has group, time, estimate, ci_lower, ci_upper."""
    lines = []
    for c in curves:
        rows = values[values["group"] == c.group]
        for t, est, lo, hi in zip(
            rows["time"], rows["estimate"], rows["ci_lower"], rows["ci_upper"], strict=True
        ):
            # after the group's last time the estimate is unknown -- unless the curve ended at 0
            # (everyone had the event): then it stays 0
            beyond = t > last[c.group] and est != 0
            text = "beyond follow-up" if beyond else percent_phrase(est, lo, hi)
            prefix = f"{c.label} " if len(curves) > 1 else ""
            lines.append((f"{prefix}{landmark_name(t)}: {text}", c.color))
    return lines


def km_plot(
    km: KaplanMeier,
    *,
    labels: Mapping | None = None,
    colors: Mapping | None = None,
    title: str | None = None,
    xlabel: str = "Months since infusion",
    ylabel: str = "Probability",
    show_ci: bool = True,
    censor_marks: bool = True,
    risk_table: bool = True,
    risk_times: Sequence[float] | None = None,
    tick_every: float = TICK_EVERY,
    xmax: float | None = None,
    landmark: float | Sequence[float] | None = None,
    p_value: float | None = None,
    p_label: str = "log-rank",
    hr: Sequence[float] | None = None,
    hr_label: str | None = None,
    conf_level: float = 0.95,
    annotation: str | None = None,
    note: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Draw Kaplan-Meier curves with pointwise CIs, censoring marks and a number-at-risk table.

    Parameters
    ----------
    km : cartsie.survival.KaplanMeier
        The fitted curves (:func:`cartsie.survival.kaplan_meier`); every number drawn comes from it.
    labels, colors : mapping, optional
        Display name and colour per group (default: the group values, :data:`PALETTE` in group
        order; a single curve is "All patients").
    title : str, optional
        Drawn above the axes at the left (default none: captions belong to the report).
    xlabel, ylabel : str
        Axis labels (default "Months since infusion" -- "Months since response" for the duration of
        response -- and "Probability").
    show_ci : bool, default True
        Shade the pointwise confidence band (``km.curves`` ``ci_lower``/``ci_upper``, the fit's
        ``conf_type``).
    censor_marks : bool, default True
        Mark each time with a censoring by ``|`` on the curve (R's ``mark.time``).
    risk_table : bool, default True
        Draw the number-at-risk table under the time axis.
    risk_times : sequence of float, optional
        Times of the risk table, which are then also the ticks (default: every ``tick_every``).
    tick_every : float, default 6
        Months between ticks of the time axis (and columns of the risk table).
    xmax : float, optional
        End of the time axis (default: the first tick at or after the last follow-up time).
    landmark : float or sequence of float, optional
        Landmark times (e.g. 12): a dotted vertical line at each, and each group's estimate there
        printed in the annotation block ("1-year: 78% (72-83)", from ``km.at(landmark)``).
    p_value : float, optional
        The log-rank p-value, printed "log-rank p = .002" or "log-rank p < .001"
        (:func:`cartsie.format.format_p`).
    p_label : str, default "log-rank"
        The name of the test before "p".
    hr : (float, float, float), optional
        Hazard ratio with its confidence limits, printed "HR high vs low 2.45 (95% CI 1.60-3.75)"
        (:func:`cartsie.format.format_ratio`, :func:`cartsie.format.format_ci`).
    hr_label : str, optional
        The words before the ratio (default "HR <second group> vs <first group>": the first group is
        a Cox model's reference level).
    conf_level : float, default 0.95
        Level of the ``hr`` interval, as printed.
    annotation : str, optional
        More lines for the annotation block (newlines separate lines).
    note : str, optional
        Footnote at the lower left (the built-in cohort passes :data:`SYNTHETIC_NOTE`).
    figsize : tuple of float, optional
        Width and height in inches (default 5 inches wide, the height from the parts drawn).

    Returns
    -------
    Figure
        ``fig.axes[0]`` holds the curves (lines with gid ``"curve:<group>"``, bands
        ``"band:<group>"``, marks ``"censor:<group>"``, landmark lines ``"landmark"``, annotation texts
        ``"annotation"``); ``fig.axes[1]`` the risk table, whose numbers (gid ``"risk:<group>"``)
        are ``km.at(risk_times)["n_risk"]``: patients with follow-up time >= t, as R's
        ``summary(fit, times, extend = TRUE)``.

    Notes
    -----
    R: ``survminer::ggsurvplot(fit, conf.int = TRUE, risk.table = TRUE, break.time.by = 6)``. The
    annotation block goes in the first corner (lower left, upper right, lower right, upper left) that
    no curve, band or landmark line enters. A landmark beyond a group's last follow-up time is
    printed "beyond follow-up" (R's ``extend = TRUE`` would carry the last value forward), unless
    the curve ended at 0.
    """
    groups = list(km.groups)
    names = group_labels(groups, labels)
    curves = _km_curves(km, names, group_colors(groups, colors), censor_marks)
    last = {c.group: float(c.time[-1]) for c in curves}
    ticks, xlim = _axis(max(last.values()), risk_times, tick_every, xmax, "km_plot")
    marks = _times(landmark, "landmark", "km_plot")
    lines: list[tuple[str, str]] = []
    if marks:
        at = km.at(marks).rename(columns={"survival": "estimate"})
        lines = _landmark_lines(at, curves, last)
    block = _block(
        lines, p_value, p_label, hr, _hr_label(hr_label, "HR", names, groups), conf_level, annotation
    )
    risk = None
    if risk_table:
        at_ticks = km.at(ticks)
        risk = {g: at_ticks.loc[at_ticks["group"] == g, "n_risk"].astype(int).tolist() for g in groups}
    spec = TimePlot(
        curves=curves,
        ticks=ticks,
        xlim=xlim,
        y_scales=[SURVIVAL_SCALE],
        xlabel=xlabel,
        ylabel=ylabel,
        title=title,
        show_ci=show_ci,
        legend=groups != ["all"],
        landmarks=marks,
        block=block,
        corners=("lower left", "upper right", "lower right", "upper left"),
        risk_times=list(ticks),
        risk=risk,
        note=note,
        figsize=figsize,
    )
    return draw(spec)


def _km_curves(km, names: dict, palette: dict, censor_marks: bool) -> list[Curve]:
    """One :class:`Curve` per group from ``km.curves`` (a missing CI limit, as at S = 1 on the log
    scale, drawn at the estimate)."""
    data = km.curves
    curves = []
    for g in km.groups:
        c = data[data["group"] == g]
        est = c["survival"].to_numpy(float)
        lo, hi = c["ci_lower"].to_numpy(float), c["ci_upper"].to_numpy(float)
        cens = c[c["n_censor"] > 0] if censor_marks else c.iloc[:0]
        curves.append(
            Curve(
                group=g,
                label=names[g],
                color=palette[g],
                time=c["time"].to_numpy(float),
                estimate=est,
                lower=np.where(np.isnan(lo), est, lo),
                upper=np.where(np.isnan(hi), est, hi),
                censored=cens["time"].to_numpy(float),
                censored_at=cens["survival"].to_numpy(float),
            )
        )
    return curves


# --------------------------------------------------------------------------------------------
# cumulative incidence
# --------------------------------------------------------------------------------------------


def _incidence_curves(ci, cause: int | None) -> tuple[pd.DataFrame, list, int | None]:
    """Curves of one cause (group, time, estimate and CI columns), the groups and the cause."""
    if isinstance(ci, pd.DataFrame):
        frame = ci
        missing = {"group", "time", "estimate"} - set(frame.columns)
        if missing:
            raise InputError(f"cif_plot(): the curves lack the columns {sorted(missing)}.")
        if "cause" in frame.columns:
            causes = sorted(frame["cause"].unique())
            cause = cause if cause is not None else (causes[0] if len(causes) == 1 else 1)
            frame = frame[frame["cause"] == cause]
        return frame, list(dict.fromkeys(frame["group"])), cause
    cause = ci.cause if cause is None else int(cause)
    if cause not in ci.causes:
        raise InputError(f"cif_plot(): no curve for cause {cause}; the causes present are {list(ci.causes)}.")
    curves = ci.curves
    return curves[curves["cause"] == cause], list(ci.groups), cause


def _with_origin(c: pd.DataFrame) -> pd.DataFrame:
    """The curve from (0, 0) on (``CumulativeIncidence.curves`` start there; bare frames may not)."""
    c = c.sort_values("time", kind="stable")
    if len(c) and c["time"].iloc[0] == 0 and c["estimate"].iloc[0] == 0:
        return c
    start = pd.DataFrame({"time": [0.0], "estimate": [0.0], "ci_lower": [0.0], "ci_upper": [0.0]})
    return pd.concat([start, c[[k for k in c.columns if k in start.columns]]], ignore_index=True)


def _step_values(c: pd.DataFrame, times: Sequence[float], last: float) -> pd.DataFrame:
    """Estimate and CI of a step curve at ``times`` (the row at the last time <= t; NaN after
    ``last``), as ``cmprsk::timepoints``."""
    idx = np.searchsorted(c["time"].to_numpy(float), times, side="right") - 1
    rows = c.iloc[idx]
    out = pd.DataFrame({"time": list(times)})
    for k in ("estimate", "ci_lower", "ci_upper"):
        values = rows[k].to_numpy(float) if k in rows else np.full(len(times), np.nan)
        out[k] = np.where(np.asarray(times) > last, np.nan, values)
    return out


def at_risk(df: pd.DataFrame, ci, times: Sequence[float]) -> dict:
    """Numbers at risk (follow-up time >= t) per group of ``ci`` in the rows ``ci`` was computed
    from: rows with the time, event and group present (cumulative_incidence's complete cases)."""
    columns = [ci.time, ci.event] + ([ci.group] if ci.group is not None else [])
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"cif_plot(): df lacks the columns {missing} of the fit; pass the data ci was fitted on."
        )
    rows = df[columns].dropna()
    fitted = ci.summary.drop_duplicates("group").set_index("group")["n"]
    out = {}
    for g in ci.groups:
        t = rows[ci.time] if ci.group is None else rows.loc[rows[ci.group] == g, ci.time]
        t = np.sort(t.to_numpy(float))
        if len(t) != int(fitted[g]):
            raise InputError(
                f"cif_plot(): df has {len(t)} complete rows in group {g!r} but the curves were computed "
                f"from {int(fitted[g])}; pass the data ci was fitted on."
            )
        out[g] = (len(t) - np.searchsorted(t, times, side="left")).tolist()
    return out


def cif_plot(
    ci: CumulativeIncidence | pd.DataFrame,
    *,
    df: pd.DataFrame | None = None,
    cause: int | None = None,
    labels: Mapping | None = None,
    colors: Mapping | None = None,
    title: str | None = None,
    xlabel: str = "Months since infusion",
    ylabel: str = "Cumulative incidence",
    show_ci: bool = True,
    ylim: float | None = None,
    risk_table: bool = True,
    risk_times: Sequence[float] | None = None,
    tick_every: float = TICK_EVERY,
    xmax: float | None = None,
    landmark: float | Sequence[float] | None = None,
    p_value: float | None = None,
    p_label: str = "Gray's test",
    hr: Sequence[float] | None = None,
    hr_label: str | None = None,
    conf_level: float = 0.95,
    annotation: str | None = None,
    note: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Draw cumulative incidence curves (Aalen-Johansen) of one cause with a number-at-risk table.

    Parameters
    ----------
    ci : cartsie.competing.CumulativeIncidence or DataFrame
        The result of :func:`cartsie.competing.cumulative_incidence` (its ``curves`` of ``cause``
        are drawn), or a frame with columns ``group``, ``time``, ``estimate`` and optionally
        ``cause``, ``ci_lower``, ``ci_upper`` (then without a risk table).
    df : DataFrame, optional
        The data ``ci`` was computed from: the risk table counts, per group, the patients whose
        follow-up time is >= t (checked against the fit's n per group). Without it, no risk table.
    cause : int, optional
        The event code drawn (default ``ci.cause``).
    labels, colors : mapping, optional
        Display name and colour per group (default: the group values and :data:`PALETTE`).
    title : str, optional
        Drawn above the axes at the left (default none).
    xlabel, ylabel : str
        Axis labels (default "Months since infusion" and "Cumulative incidence").
    show_ci : bool, default True
        Shade the pointwise confidence band (when the curves have one).
    ylim : float, optional
        Upper limit of the y axis (default: the first of 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5,
        0.6, 0.8, 1 above 1.05 times the highest curve or band, raised when the annotation block
        needs the room).
    risk_table : bool, default True
        Draw the number-at-risk table (needs ``df``).
    risk_times : sequence of float, optional
        Times of the risk table, which are then the ticks (default every ``tick_every`` months).
    tick_every : float, default 6
        Months between ticks of the time axis.
    xmax : float, optional
        End of the time axis (default: the first tick at or after the last follow-up time).
    landmark : float or sequence of float, optional
        Landmark times (e.g. 12 or 24): a dotted line at each and each group's estimate there in the
        annotation block ("2-year: 8% (5-12)", from ``ci.at(landmark, cause)``).
    p_value : float, optional
        Gray's test p-value (``ci.tests.loc[cause, "p_value"]``), printed "Gray's test p = .03".
    p_label : str, default "Gray's test"
        The name of the test before "p".
    hr : (float, float, float), optional
        A (subdistribution) hazard ratio and its confidence limits, as in :func:`km_plot`.
    hr_label : str, optional
        The words before the ratio (default "sHR <second group> vs <first group>").
    conf_level : float, default 0.95
        Level of the ``hr`` interval, as printed.
    annotation : str, optional
        More lines for the annotation block.
    note : str, optional
        Footnote at the lower left (the built-in cohort passes :data:`SYNTHETIC_NOTE`).
    figsize : tuple of float, optional
        Width and height in inches (default 5 inches wide, the height from the parts drawn).

    Returns
    -------
    Figure
        ``fig.axes[0]`` holds the curves (gids as :func:`km_plot`'s); ``fig.axes[1]``, when drawn,
        the risk table (gid ``"risk:<group>"``) with the same layout as under a Kaplan-Meier plot.

    Notes
    -----
    R: ``tidycmprsk::cuminc`` drawn by ``ggcuminc(outcome = cause) + add_confidence_interval() +
    add_risktable()``; the risk table counts everyone still under follow-up (no event of any cause
    and not censored before t), as ``add_risktable``'s "n.risk".
    """
    frame, groups, cause = _incidence_curves(ci, cause)
    if df is not None and isinstance(ci, pd.DataFrame):
        raise InputError("cif_plot(): a risk table needs the CumulativeIncidence result, not bare curves.")
    curves, by_group = _incidence(
        frame, groups, group_labels(groups, labels), group_colors(groups, colors), show_ci
    )
    names = {c.group: c.label for c in curves}
    last = {c.group: float(c.time[-1]) for c in curves}
    ticks, xlim = _axis(max(last.values()), risk_times, tick_every, xmax, "cif_plot")
    marks = _times(landmark, "landmark", "cif_plot")
    lines: list[tuple[str, str]] = []
    if marks:
        if isinstance(ci, pd.DataFrame):
            values = pd.concat([_step_values(by_group[g], marks, last[g]).assign(group=g) for g in groups])
        else:
            values = ci.at(marks, cause=cause)
        lines = _landmark_lines(values, curves, last)
    block = _block(
        lines, p_value, p_label, hr, _hr_label(hr_label, "sHR", names, groups), conf_level, annotation
    )
    if ylim is not None:
        if not (np.isfinite(ylim) and 0 < ylim <= 1):
            raise InputError(f"cif_plot(): ylim must be an upper limit in (0, 1], got {ylim!r}.")
        scales = [probability_scale(float(ylim), _step_for(float(ylim)))]
    else:
        scales = incidence_scales(max(float(np.nanmax(c.band(show_ci).upper)) for c in curves))
    risk = at_risk(df, ci, list(ticks)) if (risk_table and df is not None) else None
    spec = TimePlot(
        curves=curves,
        ticks=ticks,
        xlim=xlim,
        y_scales=scales,
        xlabel=xlabel,
        ylabel=ylabel,
        title=title,
        show_ci=show_ci,
        legend=groups != ["all"],
        landmarks=marks,
        block=block,
        corners=("upper left", "lower right", "upper right", "lower left"),
        risk_times=list(ticks),
        risk=risk,
        note=note,
        figsize=figsize,
    )
    return draw(spec)


def _incidence(frame: pd.DataFrame, groups: list, names: dict, palette: dict, show_ci: bool):
    """One :class:`Curve` per group and the curve frames (from time 0) behind them."""
    curves, by_group = [], {}
    for g in groups:
        c = _with_origin(frame[frame["group"] == g])
        by_group[g] = c
        est = c["estimate"].to_numpy(float)
        lo = hi = None
        if show_ci and {"ci_lower", "ci_upper"} <= set(c.columns):
            lo = c["ci_lower"].to_numpy(float)
            hi = c["ci_upper"].to_numpy(float)
            lo, hi = np.where(np.isnan(lo), est, lo), np.where(np.isnan(hi), est, hi)
        curves.append(Curve(g, names[g], palette[g], c["time"].to_numpy(float), est, lo, hi))
    return curves, by_group


def _step_for(upper: float) -> float:
    """Tick step of an axis from 0 to ``upper``: 4 to 6 ticks at round values."""
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25):
        if upper / step <= 6 + 1e-9:
            return step
    return 0.25
