"""Calibration plot and decision curve of a prognostic score, in the figures' style: drawn from the
results of :func:`cartsie.prognostic.calibration` and :func:`cartsie.prognostic.net_benefit`
(aggregates only: group means, observed risks and their CIs, counts per bin, net benefits)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cartsie.errors import InputError
from cartsie.figures._style import (
    AXIS_LW,
    CURVE_LW,
    EDGE,
    GREY,
    PALETTE,
    SMALL_PT,
    Band,
    add_axes,
    axis,
    block_size,
    figure,
    footnote,
    free_corner,
    line_height,
    note_height,
    styled,
    text_block,
    text_size,
    tick_space,
    title_above,
    title_height,
)
from cartsie.format import format_ci, format_conf_level, format_number

if TYPE_CHECKING:  # cartsie.prognostic is imported when a plot is drawn, not with the figures
    from cartsie.prognostic import Calibration, NetBenefit

__all__ = ["calibration_plot", "decision_curve"]

#: inches: side of the square calibration axes, size of the decision-curve axes
SIDE = 2.8
DC_WIDTH, DC_HEIGHT = 4.2, 2.6
#: fraction of the axes height the tallest histogram bar takes
HIST_FRACTION = 0.12
#: legend above the axes: inches of each line sample, between it and its label, between entries
SAMPLE, SAMPLE_GAP, ENTRY_GAP = 0.22, 0.06, 0.2


def _ticks(upper: float, lower: float = 0.0) -> tuple[np.ndarray, list[str]]:
    """Ticks every 0.1 (0.2 above 0.6 of range) from ``lower`` to ``upper`` and their labels."""
    step = 0.2 if upper - lower > 0.6 else 0.1
    start = math.floor(lower / step + 1e-9) * step
    ticks = np.round(np.arange(start, upper + 1e-9, step), 10)
    return ticks, ["0" if t == 0 else f"{t:.1f}" for t in ticks]


def _ci_phrase(name: str, estimate: float, lower: float, upper: float, conf_level: float) -> str:
    if not np.isfinite(estimate):
        return f"{name} not estimable"
    ci = format_ci(lower, upper, parentheses=False)
    return f"{name} {format_number(estimate, 2)}" + (
        f" ({format_conf_level(conf_level)} CI {ci})" if ci else ""
    )


def calibration_plot(
    result: Calibration | Sequence[Calibration],
    *,
    histogram: bool = True,
    label: str | Sequence[str | None] | None = None,
    color: str | None = None,
    limit: float | None = None,
    unit: str | None = None,
    title: str | Sequence[str | None] | None = None,
    note: str | None = None,
) -> Figure:
    """Draw observed against mean predicted risk per risk group, with CIs and the diagonal.

    Parameters
    ----------
    result : cartsie.prognostic.Calibration or sequence of them
        The calibration to draw (:func:`cartsie.prognostic.calibration`); several are drawn as
        panels side by side, on the same axis limits (e.g. two scores, or two horizons).
    histogram : bool, default True
        Draw the distribution of predicted risks along the bottom of the axes (counts per bin of
        width 0.02, from ``result.risk_histogram``; no patient-level value).
    label : str or sequence of str, optional
        Name of the model, printed above the O/E and slope (one per panel).
    color : str, optional
        Colour of the points and CIs (default the first of :data:`PALETTE`).
    limit : float, optional
        Upper end of both axes (default: the largest mean predicted risk, observed risk or upper CI
        limit, rounded up to the next tick -- every 0.1 up to 0.6, every 0.2 above --, at most 1).
    unit : str, optional
        Unit of the time horizon in the axis labels ("Predicted risk at 12 months").
    title : str or sequence of str, optional
        Drawn above the axes at the left (default none; one per panel).
    note : str, optional
        Footnote at the lower left.

    Returns
    -------
    Figure
        One square axes per result, each: the diagonal (gid ``"ideal"``), the group points at (mean_predicted,
        observed) (gid ``"observed"``), their CIs (vertical segments, gid ``"ci"``), the histogram
        (gid ``"histogram"``) and the texts (gid ``"annotation"``): "O/E 1.17 (95% CI 1.05-1.31)",
        "Calibration slope 0.95 (95% CI 0.80-1.10)".

    Notes
    -----
    R: ``plot(mean_predicted, observed); arrows(..., ci_lower, ..., ci_upper); abline(0, 1)`` from
    the table of :func:`cartsie.prognostic.calibration` -- the quantile calibration plot of
    ``riskRegression::plotCalibration(method = "quantile")`` and ``rms``' grouped points.
    """
    from cartsie.prognostic import Calibration

    results = (
        [result] if isinstance(result, Calibration) else list(result) if isinstance(result, Sequence) else []
    )
    if not results or not all(isinstance(r, Calibration) for r in results):
        raise InputError(
            f"calibration_plot() draws a cartsie.prognostic.calibration result; got {type(result).__name__}."
        )
    labels, titles = _per_panel(label, len(results), "label"), _per_panel(title, len(results), "title")
    if limit is None:
        s = pd.concat([r.summary for r in results])
        top = np.nanmax(
            np.r_[s["mean_predicted"].to_numpy(), s["ci_upper"].to_numpy(), s["observed"].to_numpy()]
        )
        top = float(top) if np.isfinite(top) and top > 0 else 1.0
        step = 0.2 if top > 0.6 else 0.1
        limit = min(1.0, round(math.ceil(top / step - 1e-9) * step, 10))
    if not (isinstance(limit, int | float) and 0 < limit <= 1):
        raise InputError(f"calibration_plot(): limit must be a probability in (0, 1]; got {limit!r}.")
    with styled():
        return _draw_calibration(
            results, histogram, labels, color or PALETTE[0], float(limit), unit, titles, note
        )


def _per_panel(value, n: int, what: str) -> list:
    """One ``label`` or ``title`` per panel: a string (or None) for one panel, else a sequence."""
    if value is None:
        return [None] * n
    values = [value] if isinstance(value, str) else list(value)
    if len(values) != n:
        raise InputError(f"give one {what} per panel: {n} panels, {len(values)} {what}s.")
    return values


def _draw_calibration(results, histogram, labels, color, limit, unit, titles, note) -> Figure:
    ticks, tick_labels = _ticks(limit)
    left = EDGE + tick_space("y", tick_labels) + 0.02
    bottom = EDGE + note_height(note) + tick_space("x", tick_labels)
    top = EDGE + max(title_height(t) for t in titles) + 0.1
    pane = left + SIDE + 0.2
    fig = figure(pane * len(results), bottom + SIDE + top)
    for k, (result, label, title) in enumerate(zip(results, labels, titles, strict=True)):
        ax = add_axes(fig, k * pane + left, bottom, SIDE, SIDE)
        _calibration_axes(ax, result, histogram, label, color, limit, unit, (ticks, tick_labels))
        title_above(ax, title)
    footnote(fig, note)
    return fig


def _calibration_axes(ax, result, histogram, label, color, limit, unit, ticking) -> None:
    ticks, labels = ticking
    ax.set_xlim(0, limit)
    ax.set_ylim(0, limit)
    horizon = f"{result.at:g}" + (f" {unit}" if unit else "")
    axis(ax, "x", ticks, labels, f"Predicted risk at {horizon}")
    axis(ax, "y", ticks, labels, f"Observed risk at {horizon}")
    ax.plot([0, limit], [0, limit], color=GREY, lw=AXIS_LW, ls=(0, (4, 3)), gid="ideal")
    s = result.summary
    x, y = s["mean_predicted"].to_numpy(), s["observed"].to_numpy()
    lo, hi = s["ci_lower"].to_numpy(), s["ci_upper"].to_numpy()
    if histogram:
        _histogram(ax, result.risk_histogram, limit, color)
    segments = [[(xi, a), (xi, b)] for xi, a, b in zip(x, lo, hi, strict=True)]
    ax.add_collection(LineCollection(segments, colors=color, linewidths=AXIS_LW, gid="ci"))
    ax.plot(x, y, "o", ms=4.0, color=color, mec="white", mew=0.6, zorder=4, gid="observed")
    level = result.conf_level
    lines = [(label, color)] if label else []
    lines += [
        (_ci_phrase("O/E", result.oe_ratio, result.oe_ci_lower, result.oe_ci_upper, level), "black"),
        (
            _ci_phrase(
                "Calibration slope", result.slope, result.slope_ci_lower, result.slope_ci_upper, level
            ),
            "black",
        ),
    ]
    finite = np.isfinite(lo) & np.isfinite(hi)
    order = np.argsort(x[finite])
    bands = [Band(x[finite][order], lo[finite][order], hi[finite][order])] if finite.any() else []
    bands.append(Band(np.array([0.0, limit]), np.array([0.0, limit]), np.array([0.0, limit])))
    corners = ("upper left", "lower right")
    corner = free_corner((SIDE, SIDE), ((0, limit), (0, limit)), block_size(lines), bands, corners)
    text_block(ax, lines, corner or corners[0], size=SMALL_PT, backed=corner is None)


def _histogram(ax, hist, limit: float, color: str) -> None:
    """Bars of the counts of predicted risks per bin, the tallest :data:`HIST_FRACTION` of the axes."""
    shown = hist[hist["lower"] < limit - 1e-12]
    counts = shown["count"].to_numpy(dtype=float)
    if counts.max(initial=0) <= 0:
        return
    heights = counts / counts.max() * HIST_FRACTION * limit
    ax.bar(
        shown["lower"].to_numpy(),
        heights,
        width=(shown["upper"] - shown["lower"]).to_numpy(),
        align="edge",
        color=color,
        alpha=0.25,
        linewidth=0,
        gid="histogram",
        zorder=1,
    )


# --------------------------------------------------------------------------------------------
# decision curve
# --------------------------------------------------------------------------------------------


def decision_curve(
    result: NetBenefit | Sequence[NetBenefit],
    *,
    label: str | Sequence[str | None] | None = None,
    colors: tuple[str, str, str] | None = None,
    ylim: tuple[float, float] | None = None,
    title: str | Sequence[str | None] | None = None,
    note: str | None = None,
) -> Figure:
    """Draw the decision curve: net benefit against threshold probability for the model, treat
    all and treat none.

    Parameters
    ----------
    result : cartsie.prognostic.NetBenefit or sequence of them
        The net benefits to draw (:func:`cartsie.prognostic.net_benefit`); several are drawn as
        panels side by side, on the same axis limits (each with its own treat-all line).
    label : str or sequence of str, optional
        Legend name of the model (default the result's ``label``, the risk column; one per panel).
    colors : tuple of three str, optional
        Colours of the model, treat-all and treat-none lines (default the first of
        :data:`PALETTE`, grey, black).
    ylim : (float, float), optional
        Net-benefit axis limits (default from a little below 0 -- treat-all falls steeply, and is
        clipped -- to the largest net benefit rounded up to the next tick).
    title : str or sequence of str, optional
        Drawn above the axes at the left (default none; one per panel).
    note : str, optional
        Footnote at the lower left.

    Returns
    -------
    Figure
        One axes per result with the lines (gids ``"model"``, ``"treat_all"``, ``"treat_none"``) through the
        result's (threshold, net_benefit) points, clipped to ``ylim``, and a legend above the axes
        (texts with gid ``"legend"``).

    Notes
    -----
    R: ``plot(dcurves::dca(...))`` (dcurves draws with ggplot2 and ``coord_cartesian``).
    """
    from cartsie.prognostic import NetBenefit

    results = (
        [result] if isinstance(result, NetBenefit) else list(result) if isinstance(result, Sequence) else []
    )
    if not results or not all(isinstance(r, NetBenefit) for r in results):
        raise InputError(
            f"decision_curve() draws a cartsie.prognostic.net_benefit result; got {type(result).__name__}."
        )
    labels, titles = _per_panel(label, len(results), "label"), _per_panel(title, len(results), "title")
    labels = [lab or r.label for lab, r in zip(labels, results, strict=True)]
    s = pd.concat([r.summary for r in results])
    if ylim is None:
        best = max(float(np.nanmax(s["net_benefit"].to_numpy())), 0.01)
        step = _nice_ticks(0.0, best)[1]
        upper = math.ceil(best / step - 1e-9) * step
        ylim = (-0.1 * upper, upper)
    lo, hi = (float(v) for v in ylim)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise InputError(f"decision_curve(): ylim must be two increasing numbers; got {ylim!r}.")
    palette = colors or (PALETTE[0], GREY, "black")
    with styled():
        return _draw_decision(results, labels, palette, (lo, hi), titles, note, float(s["threshold"].max()))


def _draw_decision(results, labels, palette, ylim, titles, note, xmax) -> Figure:
    xticks, xlabels = _ticks(min(1.0, math.ceil(xmax * 10 - 1e-9) / 10))
    lo, hi = ylim
    yticks = _nice_ticks(lo, hi)
    ylabels = [format_number(t, _decimals(yticks)) if t != 0 else "0" for t in yticks]
    left = EDGE + tick_space("y", ylabels) + 0.02
    bottom = EDGE + note_height(note) + tick_space("x", xlabels)
    legend = line_height(SMALL_PT) + 0.06
    top = EDGE + max(title_height(t) for t in titles) + legend + 0.06
    pane = left + DC_WIDTH + 0.2
    fig = figure(pane * len(results), bottom + DC_HEIGHT + top)
    for k, (result, label, title) in enumerate(zip(results, labels, titles, strict=True)):
        ax = add_axes(fig, k * pane + left, bottom, DC_WIDTH, DC_HEIGHT)
        _decision_axes(ax, result, palette, (xticks, xlabels, yticks, ylabels), ylim)
        _legend(fig, _entries(label, palette), k * pane + left, bottom + DC_HEIGHT + legend / 2)
        title_above(ax, title, pad_points=legend * 72.0 + 3.0)
    footnote(fig, note)
    return fig


_STYLES = {"model": "-", "all": "-", "none": (0, (4, 3))}
_WIDTHS = {"model": CURVE_LW, "all": AXIS_LW, "none": AXIS_LW}


def _entries(label, palette):
    names = {"model": label, "all": "Treat all", "none": "Treat none"}
    return [(names[k], c, _STYLES[k], _WIDTHS[k]) for k, c in zip(names, palette, strict=True)]


def _decision_axes(ax, result, palette, ticking, ylim) -> None:
    xticks, xlabels, yticks, ylabels = ticking
    lo, hi = ylim
    s = result.summary
    ax.set_xlim(0, xticks[-1])
    ax.set_ylim(lo, hi)
    axis(ax, "x", xticks, xlabels, "Threshold probability")
    axis(ax, "y", yticks, ylabels, "Net benefit")
    gids = {"model": "model", "all": "treat_all", "none": "treat_none"}
    for strategy, color in zip(("model", "all", "none"), palette, strict=True):
        rows = s[s["strategy"] == strategy]
        ax.plot(
            rows["threshold"].to_numpy(),
            rows["net_benefit"].to_numpy(),
            color=color,
            lw=_WIDTHS[strategy],
            ls=_STYLES[strategy],
            gid=gids[strategy],
            clip_on=True,
            zorder=3 if strategy == "model" else 2,
        )


def _nice_ticks(lo: float, hi: float) -> np.ndarray:
    """About five ticks at a round step (1, 2 or 5 times a power of ten) within [lo, hi], 0 among them."""
    raw = (hi - lo) / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    return np.round(np.arange(start, hi + 1e-9 * step, step), 10)


def _decimals(ticks: np.ndarray) -> int:
    for d in range(0, 6):
        if np.allclose(np.round(ticks, d), ticks, atol=1e-12):
            return d
    return 6


def _legend(fig: Figure, entries, x: float, y: float) -> None:
    """A one-row legend above the axes: a line sample and a text (gid ``"legend"``) per entry."""
    for name, color, style, width in entries:
        fig.add_artist(
            Line2D(
                [x, x + SAMPLE],
                [y, y],
                color=color,
                lw=width,
                ls=style,
                transform=fig.dpi_scale_trans,
                gid="legend_line",
            )
        )
        x += SAMPLE + SAMPLE_GAP
        fig.text(
            x, y, name, transform=fig.dpi_scale_trans, ha="left", va="center", fontsize=SMALL_PT, gid="legend"
        )
        x += text_size(name)[0] + ENTRY_GAP
