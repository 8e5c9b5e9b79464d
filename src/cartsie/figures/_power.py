"""The power curve of a simulated validation study (:func:`cartsie.prognostic.power`), in the
figures' style: power against sample size with its Monte-Carlo CI band and the 80% line."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from cartsie.errors import InputError
from cartsie.figures._style import (
    AXIS_LW,
    BAND_ALPHA,
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
    note_height,
    styled,
    text_block,
    tick_space,
    title_above,
    title_height,
)
from cartsie.format import format_conf_level

if TYPE_CHECKING:  # cartsie.prognostic is imported when a curve is drawn, not with the figures
    from cartsie.prognostic import Power

__all__ = ["power_curve"]

#: inches: size of the axes
WIDTH, HEIGHT = 4.2, 2.6
Y_TICKS = np.round(np.arange(0.0, 1.01, 0.2), 10)
Y_LABELS = ["0" if t == 0 else f"{100 * t:.0f}%" for t in Y_TICKS]
#: what each effect's "power" is, on the y axis
Y_TITLES = {"hr": "Power", "logrank": "Power", "c_width": "Probability CI width ≤ target"}


def _x_ticks(sizes: np.ndarray) -> np.ndarray:
    """About six round ticks (1, 2 or 5 times a power of ten apart) from 0 to the first one past
    the largest n."""
    top = float(sizes.max())
    raw = top / 6
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return np.arange(0.0, step * math.ceil(top / step - 1e-9) + step / 2, step)


def power_curve(
    result: Power,
    *,
    target: float | None = 0.8,
    label: str | None = None,
    color: str | None = None,
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """Draw the simulated power against the sample size, with its Monte-Carlo CI band.

    Parameters
    ----------
    result : cartsie.prognostic.Power
        The simulation (:func:`cartsie.prognostic.power`), at one or more sample sizes.
    target : float or None, default 0.8
        Power to mark by a dashed horizontal line (None for none); the text block then gives the
        smallest simulated n whose power reaches it.
    label : str, optional
        Name of what is validated, printed above the seeds and level.
    color : str, optional
        Colour of the curve and band (default the first of :data:`PALETTE`).
    title : str, optional
        Drawn above the axes at the left (default none).
    note : str, optional
        Footnote at the lower left (e.g. :data:`SYNTHETIC_NOTE`).

    Returns
    -------
    Figure
        One axes: the power at each n (gid ``"power"``, a line through points), its Clopper-Pearson
        CI band (gid ``"mc_band"``), the target line (gid ``"target"``) and the texts (gid
        ``"annotation"``): the label, "1000 seeds per n; 95% Monte-Carlo CI", "80% power from n =
        240" (or "below 80% up to n = ..."), and how many samples were not estimable, if any.

    Notes
    -----
    Aggregates only: the power, its CI and counts of seeds per sample size. R:
    ``plot(n, power, type = "b"); polygon(c(n, rev(n)), c(ci_lower, rev(ci_upper)))``;
    ``abline(h = 0.8, lty = 2)``.
    """
    from cartsie.prognostic import Power

    if not isinstance(result, Power):
        raise InputError(
            f"power_curve() draws a cartsie.prognostic.power result; got {type(result).__name__}."
        )
    if target is not None and not (isinstance(target, float | int) and 0 < target < 1):
        raise InputError(f"power_curve(): target must be a power between 0 and 1 (or None); got {target!r}.")
    with styled():
        return _draw(result, target, label, color or PALETTE[0], title, note)


def _lines(result: Power, target: float | None, label: str | None, color: str) -> list[tuple[str, str]]:
    t = result.table
    seeds = int(result.runs["seed"].nunique())
    lines = [(label, color)] if label else []
    lines.append((f"{seeds} seeds per n; {format_conf_level(result.conf_level)} Monte-Carlo CI", "black"))
    if target is not None:
        reached = t.loc[t["power"] >= target, "n"]
        pct = f"{100 * target:g}%"
        lines.append(
            (f"{pct} power from n = {int(reached.min())}", "black")
            if len(reached)
            else (f"Below {pct} up to n = {int(t['n'].max())}", "black")
        )
    bad = int(t["not_estimable"].sum())
    if bad:
        lines.append((f"{bad} samples not estimable, left out", "black"))
    return lines


def _draw(result: Power, target, label, color, title, note) -> Figure:
    t = result.table
    n = t["n"].to_numpy(float)
    xticks = _x_ticks(n)
    xlabels = [f"{x:g}" for x in xticks]
    left = EDGE + tick_space("y", Y_LABELS) + 0.02
    bottom = EDGE + note_height(note) + tick_space("x", xlabels)
    top = EDGE + title_height(title) + 0.1
    fig = figure(left + WIDTH + 0.25, bottom + HEIGHT + top)
    ax = add_axes(fig, left, bottom, WIDTH, HEIGHT)
    ax.set_xlim(0, xticks[-1])
    ax.set_ylim(0, 1)
    axis(ax, "x", xticks, xlabels, "Sample size (patients)")
    axis(ax, "y", Y_TICKS, Y_LABELS, Y_TITLES[result.effect])
    if target is not None:
        ax.axhline(target, color=GREY, lw=AXIS_LW, ls=(0, (4, 3)), gid="target")
    lower, upper = t["ci_lower"].to_numpy(float), t["ci_upper"].to_numpy(float)
    ax.fill_between(n, lower, upper, color=color, alpha=BAND_ALPHA, lw=0, gid="mc_band")
    ax.plot(
        n, t["power"].to_numpy(float), color=color, lw=CURVE_LW, marker="o", ms=3, gid="power", clip_on=False
    )
    lines = _lines(result, target, label, color)
    # the band as a fine step function (Band is a step function), so no text is put over it
    grid = np.linspace(n.min(), n.max(), 200) if len(n) > 1 else n
    bands = [Band(grid, np.interp(grid, n, lower), np.interp(grid, n, upper))]
    if target is not None:
        bands.append(Band(np.array([0.0, xticks[-1]]), np.full(2, target), np.full(2, target)))
    corners = ("lower right", "upper left", "lower left", "upper right")
    where = free_corner((WIDTH, HEIGHT), ((0, xticks[-1]), (0, 1)), block_size(lines), bands, corners)
    text_block(ax, lines, where or corners[0], size=SMALL_PT, backed=where is None)
    title_above(ax, title)
    footnote(fig, note)
    return fig
