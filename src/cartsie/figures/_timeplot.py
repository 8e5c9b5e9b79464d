"""The one layout of every curve over time (Kaplan-Meier, cumulative incidence): curves with
confidence bands and censoring marks, a legend above the axes, landmark lines, an annotation block
in a corner that no curve enters, and the number-at-risk table under the time axis.

:func:`draw` takes the numbers already computed (:class:`Curve`, counts at risk, annotation lines)
and only draws them, so :mod:`cartsie.figures._survival` decides what is drawn and this module where.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib import transforms
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cartsie.figures._style import (
    AXIS_LW,
    BAND_ALPHA,
    CURVE_LW,
    EDGE,
    GREY,
    LINESPACING,
    SMALL_PT,
    Band,
    add_axes,
    axis,
    block_size,
    figure,
    footnote,
    free_corner,
    line_height,
    line_pitch,
    lines_height,
    note_height,
    styled,
    text_block,
    text_size,
    tick_label,
    tick_space,
    title_above,
    title_height,
    widest,
)

#: default width (inches) and height of the curves' axes
WIDTH = 5.0
AXES_HEIGHT = 2.6
#: inches between the x-axis label and the "Number at risk" heading
RISK_GAP = 0.12
#: inches between the row labels of the risk table and its first column of numbers
LABEL_GAP = 0.08
#: legend: inches of each line sample, between it and its label, and between two entries
SAMPLE, SAMPLE_GAP, ENTRY_GAP = 0.22, 0.06, 0.2


def step_curve(time, value) -> tuple[np.ndarray, np.ndarray]:
    """Turn (time, value) into the x, y arrays of a right-continuous step function for ``ax.plot``.

    Parameters
    ----------
    time : array_like
        Jump times, ascending.
    value : array_like
        The value from each time on (same length as ``time``).

    Returns
    -------
    x, y : ndarray of float
        ``2 len(time) - 1`` points: each value held until the next time, then the jump drawn
        vertically (what ``drawstyle="steps-post"`` draws, as arrays ``fill_between`` can use).
    """
    x = np.repeat(np.asarray(time, dtype=float), 2)[1:]
    y = np.repeat(np.asarray(value, dtype=float), 2)[:-1]
    return x, y


@dataclass(frozen=True)
class Curve:
    """One group's step curve: the value from each time on, its pointwise CI, censored times."""

    group: object
    label: str
    color: str
    time: np.ndarray
    estimate: np.ndarray
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    censored: np.ndarray | None = None  # times of censoring marks
    censored_at: np.ndarray | None = None  # the curve's value there

    def band(self, with_ci: bool) -> Band:
        """The area this curve (and its band) covers, for the placement of the annotation."""
        if with_ci and self.lower is not None and self.upper is not None:
            lo, hi = np.fmin(self.estimate, self.lower), np.fmax(self.estimate, self.upper)
            return Band(self.time, lo, hi)
        return Band(self.time, self.estimate, self.estimate)


@dataclass(frozen=True)
class YScale:
    """Limits, ticks and tick labels of the y axis."""

    lower: float
    upper: float
    ticks: np.ndarray
    labels: Sequence[str]


#: upper limits a cumulative incidence axis may take, with their tick steps
NICE = {0.05: 0.01, 0.1: 0.02, 0.15: 0.05, 0.2: 0.05, 0.25: 0.05, 0.3: 0.1, 0.4: 0.1, 0.5: 0.1, 0.6: 0.2}
NICE |= {0.8: 0.2, 1.0: 0.2}


def probability_scale(upper: float, step: float, top: float | None = None) -> YScale:
    """A probability axis from 0 to ``top`` (default ``upper``) ticked every ``step`` up to ``upper``
    (labels ``0``, ``0.2``... with two decimals for steps under 0.1)."""
    ticks = np.round(np.arange(0.0, upper + step / 2, step), 10)
    digits = 2 if step < 0.1 else 1
    labels = ["0" if t == 0 else f"{t:.{digits}f}" for t in ticks]
    return YScale(0.0, upper if top is None else top, ticks, labels)


def incidence_scales(top: float) -> list[YScale]:
    """The axes a cumulative incidence whose curves and bands reach ``top`` may use: every nice
    upper limit from the first above ``1.05 top`` to 1 (more headroom for the annotation block)."""
    return [probability_scale(u, s) for u, s in NICE.items() if u >= min(1.05 * top, 1.0)]


@dataclass(frozen=True)
class TimePlot:
    """Everything :func:`draw` puts on a curves-over-time figure."""

    curves: Sequence[Curve]
    ticks: np.ndarray
    xlim: tuple[float, float]
    y_scales: Sequence[YScale]  # tried in order until the annotation block finds a free corner
    xlabel: str
    ylabel: str
    title: str | None = None
    show_ci: bool = True
    legend: bool = True
    landmarks: Sequence[float] = ()
    block: Sequence[tuple[str, str]] = ()
    corners: Sequence[str] = ("lower left", "upper right", "lower right", "upper left")
    risk_times: Sequence[float] = ()
    risk: Mapping[object, Sequence[int]] | None = None  # group -> numbers at risk_times
    risk_title: str = "Number at risk"
    note: str | None = None
    figsize: tuple[float, float] | None = None


@dataclass(frozen=True)
class _Frame:
    width: float
    height: float
    left: float
    right: float
    axes_bottom: float
    axes_height: float
    table_bottom: float
    table_height: float
    legend: float
    first_half: float  # half the width of the widest number at time 0 (it overhangs the y axis)


def _frame(spec: TimePlot) -> _Frame:
    """Inches of every part, bottom to top: footnote, risk table, x axis, curves, legend, title."""
    rows = len(spec.risk) if spec.risk is not None else 0
    numbers = [str(n) for counts in (spec.risk or {}).values() for n in counts]
    labels = [c.label for c in spec.curves] if rows else []
    y_axis = EDGE + tick_space("y", [t for y in spec.y_scales for t in y.labels])
    first_number = max((text_size(str(c[0]))[0] for c in (spec.risk or {}).values()), default=0.0)
    risk_axis = EDGE + widest(labels) + LABEL_GAP + first_number / 2 if rows else 0.0
    left = max(y_axis, risk_axis) + 0.02
    last_tick = text_size(tick_label(spec.ticks[-1]))[0] if len(spec.ticks) else 0.0
    right = EDGE + max(last_tick, widest(numbers)) / 2 + 0.04
    x_axis = tick_space("x", [])
    table = lines_height(rows)
    table_block = table + line_height(SMALL_PT) + RISK_GAP if rows else 0.0
    legend = line_height(SMALL_PT) + 0.06 if spec.legend else 0.0
    top = EDGE + title_height(spec.title) + legend + 0.06  # half the top tick label stands above
    bottom = EDGE + note_height(spec.note) + (0.04 if spec.note and rows else 0.0)
    width = spec.figsize[0] if spec.figsize else WIDTH
    below = bottom + table_block + x_axis
    if spec.figsize:
        height = spec.figsize[1]
        axes_height = max(height - below - top, 0.8)
    else:
        axes_height = AXES_HEIGHT
        height = below + axes_height + top
    return _Frame(width, height, left, right, below, axes_height, bottom, table, legend, first_number / 2)


def draw(spec: TimePlot) -> Figure:
    """Draw ``spec`` in one axes (``fig.axes[0]``); the legend above it and the risk table under it
    are placed in inches, the table's columns at the ticks' x positions (the axes' data x)."""
    with styled():  # artists read most rcParams when they are made
        return _draw(spec)


def _draw(spec: TimePlot) -> Figure:
    f = _frame(spec)
    fig = figure(f.width, f.height)
    ax = add_axes(fig, f.left, f.axes_bottom, f.width - f.left - f.right, f.axes_height)
    for curve in spec.curves:
        _draw_curve(ax, curve, spec.show_ci)
    for t in spec.landmarks:
        ax.axvline(t, color=GREY, lw=AXIS_LW, ls=(0, (1, 2)), zorder=1.5, gid="landmark")
    scale, corner = _place(spec, f)
    ax.set_xlim(*spec.xlim)
    ax.set_ylim(scale.lower, scale.upper)
    axis(ax, "x", spec.ticks, [tick_label(t) for t in spec.ticks], spec.xlabel)
    axis(ax, "y", scale.ticks, scale.labels, spec.ylabel)
    if spec.legend:
        _legend(fig, spec.curves, f)
    title_above(ax, spec.title, pad_points=f.legend * 72.0 + 3.0)
    if spec.block:
        text_block(ax, spec.block, corner, backed=_crosses(spec, f, scale, corner))
    if spec.risk is not None:
        _risk_table(fig, ax, spec.risk, spec, f)
    footnote(fig, spec.note)
    return fig


def _draw_curve(ax, c: Curve, show_ci: bool) -> None:
    x, y = step_curve(c.time, c.estimate)
    ax.plot(x, y, color=c.color, lw=CURVE_LW, label=c.label, gid=f"curve:{c.group}", zorder=3)
    if show_ci and c.lower is not None and c.upper is not None:
        lo = step_curve(c.time, c.lower)[1]
        hi = step_curve(c.time, c.upper)[1]
        ax.fill_between(x, lo, hi, color=c.color, alpha=BAND_ALPHA, lw=0, gid=f"band:{c.group}", zorder=2)
    if c.censored is not None and len(c.censored):
        ax.plot(
            c.censored,
            c.censored_at,
            ls="none",
            marker="|",
            ms=4.0,
            mew=AXIS_LW,
            color=c.color,
            gid=f"censor:{c.group}",
            zorder=3,
        )


def _legend(fig: Figure, curves: Sequence[Curve], f: _Frame) -> None:
    """A one-row legend above the axes (inside the data area it would hide curves sooner or
    later), drawn as lines and texts placed in inches: cheaper than matplotlib's legend box."""
    y = f.axes_bottom + f.axes_height + f.legend / 2
    x = f.left
    for c in curves:
        fig.add_artist(
            Line2D(
                [x, x + SAMPLE],
                [y, y],
                color=c.color,
                lw=CURVE_LW,
                transform=fig.dpi_scale_trans,
                gid=f"legend:{c.group}",
            )
        )
        x += SAMPLE + SAMPLE_GAP
        fig.text(
            x,
            y,
            c.label,
            transform=fig.dpi_scale_trans,
            ha="left",
            va="center",
            fontsize=SMALL_PT,
            gid=f"legend:{c.group}",
        )
        x += text_size(c.label)[0] + ENTRY_GAP


def _crosses(spec: TimePlot, f: _Frame, scale: YScale, corner: str) -> bool:
    """Whether the annotation block in ``corner`` crosses a landmark line (then its texts get a
    white background, so the dotted line passes behind them)."""
    size = (f.width - f.left - f.right, f.axes_height)
    limits = (spec.xlim, (scale.lower, scale.upper))
    lines = [Band(np.array([t, t]), np.array(limits[1]), np.array(limits[1])) for t in spec.landmarks]
    return bool(lines) and free_corner(size, limits, block_size(spec.block), lines, [corner]) is None


def _place(spec: TimePlot, f: _Frame) -> tuple[YScale, str]:
    """The y scale and the corner of the annotation block: the first scale with a corner that
    neither a curve, a band nor a landmark line enters; else one where only landmark lines do
    (crossing a dotted line is the lesser evil); else the first scale and corner."""
    if not spec.block:
        return spec.y_scales[0], spec.corners[0]
    size = (f.width - f.left - f.right, f.axes_height)
    box = block_size(spec.block)
    curves = [c.band(spec.show_ci) for c in spec.curves]
    for scale in spec.y_scales:
        limits = (spec.xlim, (scale.lower, scale.upper))
        lines = [Band(np.array([t, t]), np.array(limits[1]), np.array(limits[1])) for t in spec.landmarks]
        corner = free_corner(size, limits, box, curves + lines, spec.corners)
        corner = corner or free_corner(size, limits, box, curves, spec.corners)
        if corner:
            return scale, corner
    return spec.y_scales[0], spec.corners[0]


def _risk_table(fig: Figure, ax, risk: Mapping[object, Sequence[int]], spec: TimePlot, f: _Frame) -> None:
    """Under the x-axis label: one column of numbers per time, at the time's x in the axes' data
    coordinates (so under its tick) and in inches vertically; one row per group, labelled at the
    left in the group's colour."""
    groups = list(risk)
    top = f.table_bottom + f.table_height
    column = transforms.blended_transform_factory(ax.transData, fig.dpi_scale_trans)
    for i, t in enumerate(spec.risk_times):
        ax.text(
            t,
            top,
            "\n".join(str(risk[g][i]) for g in groups),
            transform=column,
            ha="center",
            va="top",
            multialignment="center",
            linespacing=LINESPACING,
            fontsize=SMALL_PT,
            clip_on=False,
            gid="risk",
        )
    pitch = line_pitch()
    curves = {c.group: c for c in spec.curves}
    for row, g in enumerate(groups):
        # single-line texts a line pitch apart stand where the lines of the columns stand
        fig.text(
            f.left - f.first_half - LABEL_GAP,
            top - row * pitch,
            curves[g].label,
            transform=fig.dpi_scale_trans,
            ha="right",
            va="top",
            linespacing=LINESPACING,
            fontsize=SMALL_PT,
            color=curves[g].color,
            gid=f"risk_label:{g}",
        )
    fig.text(
        EDGE,
        top + 0.04,
        spec.risk_title,
        transform=fig.dpi_scale_trans,
        ha="left",
        va="bottom",
        fontsize=SMALL_PT,
        gid="risk_title",
    )
