"""The one journal style of every cartsie figure, and the layout helpers the figures share.

Style: a sans-serif font (Arial or Helvetica where installed, else matplotlib's own DejaVu Sans, so
that a figure looks the same wherever matplotlib alone is installed), 8 pt labels and 7.5 pt tick
labels, 0.8 pt axis lines and ticks pointing out, left and bottom spines only, 1.3 pt curves, the
Okabe-Ito palette, time axes ticked every 6 months. The settings are applied with
``matplotlib.rc_context`` around the drawing and the saving only: cartsie never changes the user's
``rcParams``.

Layout: every figure is laid out in inches from measured text sizes (a fixed layout), so that
nothing is clipped without ``bbox_inches="tight"`` (which draws a figure twice) or a layout engine
(which re-measures every text at each draw). The figure sizes are print sizes: 5 inches is a
1.5-column figure of most journals.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import matplotlib
import matplotlib.markers
import matplotlib.ticker
import numpy as np
from matplotlib import transforms
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from cartsie.errors import InputError
from cartsie.format import format_ci, format_conf_level, format_p, format_ratio

#: colour-blind-safe palette (Okabe-Ito), in group order
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
SYNTHETIC_NOTE = "Synthetic data (cartsie built-in cohort), not patient data"

#: font sizes (points): labels, tick labels / tables / annotations, titles, footnotes
LABEL_PT = 8.0
SMALL_PT = 7.5
TITLE_PT = 9.0
NOTE_PT = 6.5
#: line widths (points) of curves and of axes, ticks and reference lines
CURVE_LW = 1.3
AXIS_LW = 0.8
#: opacity of confidence bands
BAND_ALPHA = 0.15
#: grey of reference lines (diagonal, line of no effect, landmarks) and of footnotes
GREY = "0.45"
#: every time axis is ticked at multiples of this (months)
TICK_EVERY = 6.0
#: inches of padding at the figure edges
EDGE = 0.06

STYLE: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["Arial", "Helvetica", "Liberation Sans", "DejaVu Sans"],
    "font.size": LABEL_PT,
    "mathtext.default": "regular",
    # glyphs drawn as designed: hinting (matplotlib's default forces FreeType's autohinter) helps
    # screen-resolution text, not 300 dpi, and costs most of the time of drawing a figure's text
    "text.hinting": "no_hinting",
    "text.color": "black",
    "axes.labelsize": LABEL_PT,
    "axes.titlesize": TITLE_PT,
    "axes.titleweight": "normal",
    "axes.linewidth": AXIS_LW,
    "axes.edgecolor": "black",
    "axes.labelcolor": "black",
    # the tick and legend settings below serve matplotlib's own axes and legends, should a caller
    # add them to a figure: cartsie draws its axes with axis() and its legends by hand
    "axes.labelpad": 3.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.unicode_minus": True,
    "axes.xmargin": 0.0,
    "axes.ymargin": 0.0,
    "xtick.labelsize": SMALL_PT,
    "ytick.labelsize": SMALL_PT,
    "xtick.major.width": AXIS_LW,
    "ytick.major.width": AXIS_LW,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "xtick.major.pad": 2.5,
    "ytick.major.pad": 2.5,
    "xtick.direction": "out",
    "ytick.direction": "out",
    "xtick.minor.visible": False,
    "ytick.minor.visible": False,
    "legend.fontsize": SMALL_PT,
    "legend.frameon": False,
    "lines.linewidth": CURVE_LW,
    "lines.solid_capstyle": "butt",
    "patch.linewidth": AXIS_LW,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "figure.dpi": 100,
    "savefig.dpi": 300,
    # Type 3 fonts subset the glyphs used (fast, always embedded); svg keeps text as text
    "pdf.fonttype": 3,
    "svg.fonttype": "none",
    "svg.hashsalt": "cartsie",
}


@contextmanager
def styled() -> Iterator[None]:
    """Apply :data:`STYLE` while a figure is drawn or saved (the user's rcParams stay untouched)."""
    # cast: matplotlib's stubs type the keys as a Literal of every rcParam name
    with matplotlib.rc_context(cast(Any, STYLE)):
        yield


def figure(width: float, height: float) -> Figure:
    """A figure of ``width`` x ``height`` inches, not attached to pyplot."""
    return Figure(figsize=(width, height))


def group_colors(groups: Sequence, colors: Mapping | None) -> dict:
    """Colour per group: the caller's, else :data:`PALETTE` in group order."""
    chosen = dict(colors or {})
    return {g: chosen.get(g, PALETTE[i % len(PALETTE)]) for i, g in enumerate(groups)}


def group_labels(groups: Sequence, labels: Mapping | None, single: str = "All patients") -> dict:
    """Display name per group (a lone ``"all"`` curve is called ``single``)."""
    given = dict(labels or {})
    default = {"all": single} if list(groups) == ["all"] else {}
    return {g: str(given.get(g, default.get(g, g))) for g in groups}


@functools.lru_cache(maxsize=4096)
def _extent(text: str, size: float, weight: str) -> tuple[float, float]:
    # the font is found through the style's rcParams, as the drawn texts find it, so that a missing
    # first choice (Arial) is skipped without a log message; cached, as a figure measures the same
    # tick labels and numbers again and again
    with styled():
        prop = FontProperties(family="sans-serif", size=size, weight=weight)
        renderer = _renderer()
        width = height = 0.0
        for line in text.split("\n"):
            w, h, _ = renderer.get_text_width_height_descent(line or " ", prop, ismath=False)
            width = max(width, w)
            height += h
    return width / 72.0, height / 72.0


@functools.lru_cache(maxsize=1)
def _renderer():
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, 72)  # 72 dpi: one pixel is one point


def text_size(text: str, size: float = SMALL_PT, weight: str = "normal") -> tuple[float, float]:
    """Width and height (inches) of ``text`` in the style's font (multi-line: widest line, summed
    heights), measured by Agg as the figures will be drawn."""
    return _extent(str(text), float(size), weight)


def widest(texts, size: float = SMALL_PT, weight: str = "normal") -> float:
    """Width (inches) of the widest of ``texts`` (0 for none)."""
    return max((text_size(str(t), size, weight)[0] for t in texts), default=0.0)


def line_height(size: float) -> float:
    """Inches a single line of ``size``-point text takes (with some air)."""
    return 1.25 * size / 72.0


#: line spacing of every multi-line text (risk-table columns, annotation blocks)
LINESPACING = 1.3


@functools.lru_cache(maxsize=16)
def _line_box(size: float) -> tuple[float, float]:
    from matplotlib.backends.backend_agg import RendererAgg

    with styled():
        fig = Figure(dpi=72)
        one = fig.text(0, 0, "0", fontsize=size, linespacing=LINESPACING)
        three = fig.text(0, 0, "0\n0\n0", fontsize=size, linespacing=LINESPACING)
        renderer = RendererAgg(10, 10, 72)
        h1 = one.get_window_extent(renderer).height
        h3 = three.get_window_extent(renderer).height
    return h1 / 72.0, (h3 - h1) / 2 / 72.0


def line_pitch(size: float = SMALL_PT) -> float:
    """Inches from one line to the next in a multi-line text of ``size`` points, as matplotlib lays
    it out (measured on a three-line text, so it holds for every matplotlib version)."""
    return _line_box(float(size))[1]


def lines_height(n: int, size: float = SMALL_PT) -> float:
    """Inches of the box of an ``n``-line text of ``size`` points (0 for none)."""
    one, pitch = _line_box(float(size))
    return one + pitch * (n - 1) if n else 0.0


def footnote(fig: Figure, note: str | None) -> None:
    """Write ``note`` at the lower left of ``fig`` (:func:`note_height` inches are kept for it)."""
    if note:
        width, height = fig.get_size_inches()
        fig.text(
            EDGE / width,
            EDGE / height,
            note,
            fontsize=NOTE_PT,
            color=GREY,
            ha="left",
            va="bottom",
            gid="note",
        )


def note_height(note: str | None) -> float:
    """Inches :func:`footnote` will take for ``note``."""
    return line_height(NOTE_PT) + 0.04 if note else 0.0


def add_axes(fig: Figure, left: float, bottom: float, width: float, height: float, **kwargs):
    """An axes placed in inches from the lower left corner of ``fig``."""
    fw, fh = fig.get_size_inches()
    return fig.add_axes((left / fw, bottom / fh, width / fw, height / fh), **kwargs)


def title_above(ax, title: str | None, pad_points: float = 4.0) -> None:
    """Put ``title`` above the axes at the left (never inside the data area).

    ``y=1`` is given explicitly: matplotlib then skips its search for a free title position, a
    full measurement of the axes at every draw.
    """
    if title:
        ax.set_title(title, loc="left", y=1.0, pad=pad_points, fontsize=TITLE_PT)


def title_height(title: str | None) -> float:
    """Inches a :data:`TITLE_PT` title line takes above an axes (0 without one)."""
    return line_height(TITLE_PT) + 0.06 if title else 0.0


# --------------------------------------------------------------------------------------------
# time axes
# --------------------------------------------------------------------------------------------


def time_ticks(last: float, every: float = TICK_EVERY, xmax: float | None = None) -> np.ndarray:
    """Ticks 0, ``every``, 2 ``every``, ... up to the first multiple of ``every`` at or after
    ``last`` (or up to ``xmax``, when given, which is where the axis then ends)."""
    if not (np.isfinite(every) and every > 0):
        raise InputError(f"tick_every must be a positive number of months, got {every!r}.")
    if xmax is not None:
        if not (np.isfinite(xmax) and xmax > 0):
            raise InputError(f"xmax must be a positive time, got {xmax!r}.")
        upper = float(xmax)
    else:
        upper = every * max(1, math.ceil(last / every - 1e-9))
    return np.arange(0.0, upper + 1e-9 * every, every)


def tick_label(t: float) -> str:
    """``6`` rather than ``6.0``."""
    return f"{t:g}"


#: points: length of the tick marks, and gaps from a mark to its label and from labels to the
#: axis label
TICK_LEN = 3.0
TICK_PAD = 2.5
LABEL_PAD = 4.0


def tick_space(which: str, labels: Sequence[str]) -> float:
    """Inches the ticks, their labels and the axis label take outside the axes (below it for
    ``"x"``, left of it for ``"y"``), as :func:`axis` draws them."""
    marks = (TICK_LEN + TICK_PAD + LABEL_PAD) / 72.0
    if which == "x":
        return marks + text_size("0")[1] + line_height(LABEL_PT)
    return marks + widest(labels) + line_height(LABEL_PT)


def axis(
    ax, which: str, ticks: Sequence[float] | np.ndarray, labels: Sequence[str], label: str | None = None
) -> None:
    """Draw the ticks, tick labels and label of one axis of ``ax`` as cartsie's style wants them.

    The marks are one line of tick markers and each label a text placed in points from the axes;
    matplotlib's own axis (``ax.xaxis``) keeps the ticks and label, so that ``ax.get_xticks()`` and
    ``ax.get_xlabel()`` say what is drawn, but is not drawn itself: it would make a tick object of
    three lines and two texts per tick and measure every label again at each draw, a third of the
    time a figure takes.
    """
    fig = ax.figure
    mpl_axis = ax.xaxis if which == "x" else ax.yaxis
    mpl_axis.set_major_locator(matplotlib.ticker.FixedLocator(list(ticks)))
    mpl_axis.set_major_formatter(matplotlib.ticker.FixedFormatter(list(labels)))
    mpl_axis.set_minor_locator(matplotlib.ticker.NullLocator())
    mpl_axis.set_visible(False)
    (ax.set_xlabel if which == "x" else ax.set_ylabel)(label or "")
    at = np.asarray(ticks, dtype=float)
    base = ax.get_xaxis_transform() if which == "x" else ax.get_yaxis_transform()
    zeros = np.zeros(len(at))
    xy = (at, zeros) if which == "x" else (zeros, at)
    marker = matplotlib.markers.TICKDOWN if which == "x" else matplotlib.markers.TICKLEFT
    ax.plot(
        *xy,
        ls="none",
        marker=marker,
        ms=TICK_LEN,
        mew=AXIS_LW,
        color="black",
        transform=base,
        clip_on=False,
        gid=f"{which}ticks",
    )
    gap = (TICK_LEN + TICK_PAD) / 72.0
    dx, dy = (0.0, -gap) if which == "x" else (-gap, 0.0)
    offset = base + transforms.ScaledTranslation(dx, dy, fig.dpi_scale_trans)
    align = {"ha": "center", "va": "top"} if which == "x" else {"ha": "right", "va": "center"}
    for x, y, text in zip(*xy, labels, strict=True):
        ax.text(
            x, y, text, transform=offset, fontsize=SMALL_PT, clip_on=False, gid=f"{which}ticklabel", **align
        )
    if label:
        room = tick_space(which, labels) - line_height(LABEL_PT)
        if which == "x":
            place = transforms.ScaledTranslation(0, -room, fig.dpi_scale_trans)
            ax.text(
                0.5,
                0,
                label,
                transform=ax.transAxes + place,
                ha="center",
                va="top",
                fontsize=LABEL_PT,
                clip_on=False,
                gid="xlabel",
            )
        else:
            place = transforms.ScaledTranslation(-room, 0, fig.dpi_scale_trans)
            ax.text(
                0,
                0.5,
                label,
                transform=ax.transAxes + place,
                ha="right",
                va="center",
                rotation=90,
                fontsize=LABEL_PT,
                clip_on=False,
                gid="ylabel",
            )


# --------------------------------------------------------------------------------------------
# annotation texts
# --------------------------------------------------------------------------------------------


def p_phrase(p: float | None, test: str) -> str:
    """``"log-rank p = .002"``, ``"log-rank p < .001"``; ``"log-rank p not estimable"`` for NaN."""
    if p is None:
        return ""
    text = format_p(float(p))
    if not text:
        return f"{test} p not estimable"
    if text[0] in "<>":
        return f"{test} p {text[0]} {text[1:]}"
    return f"{test} p = {text}"


def ratio_phrase(label: str, ratio: Sequence[float], conf_level: float = 0.95) -> str:
    """``"HR high vs low 2.45 (95% CI 1.60-3.75)"`` from ``(ratio, lower, upper)``."""
    try:
        r, lo, hi = (float(x) for x in ratio)
    except (TypeError, ValueError):
        raise InputError(f"give the ratio as (estimate, lower, upper); got {ratio!r}.") from None
    if not np.isfinite(r) or not format_ci(lo, hi):
        shown = format_ratio(r)
        return f"{label} {shown} (CI not estimable)" if shown else f"{label} not estimable"
    ci = format_ci(lo, hi, parentheses=False)
    return f"{label} {format_ratio(r)} ({format_conf_level(conf_level)} CI {ci})"


def percent_phrase(estimate: float, lower: float, upper: float, digits: int = 0) -> str:
    """``"78% (72-83)"``: a probability and its CI in percent."""
    if not np.isfinite(estimate):
        return "not estimable"
    ci = format_ci(100 * lower, 100 * upper, digits) if np.isfinite(lower) and np.isfinite(upper) else ""
    return f"{100 * estimate:.{digits}f}%" + (f" {ci}" if ci else "")


def landmark_name(t: float) -> str:
    """``"1-year"`` for 12 months, ``"18-month"`` for 18, ``"2-year"`` for 24."""
    if t > 0 and t % 12 == 0:
        return f"{t / 12:g}-year"
    return f"{t:g}-month"


# --------------------------------------------------------------------------------------------
# free corners for annotation blocks
# --------------------------------------------------------------------------------------------

CORNERS = ("lower left", "upper right", "lower right", "upper left")


@dataclass(frozen=True)
class Band:
    """A step function (or a band between two) in data units: the value from each time on."""

    time: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def covers(self, x0: float, x1: float, y0: float, y1: float) -> bool:
        """Whether the drawn curve or band enters the box [x0, x1] x [y0, y1]."""
        t = self.time
        if len(t) == 0 or x1 < t[0] or x0 > t[-1]:
            return False
        first = max(int(np.searchsorted(t, x0, side="right")) - 1, 0)
        last = int(np.searchsorted(t, x1, side="right"))
        lo = np.nanmin(self.lower[first:last])
        hi = np.nanmax(self.upper[first:last])
        return bool(lo <= y1 and hi >= y0)


def free_corner(
    ax_size: tuple[float, float],
    limits: tuple[tuple[float, float], tuple[float, float]],
    box: tuple[float, float],
    bands: Sequence[Band],
    order: Sequence[str] = CORNERS,
    inset: float = 0.06,
) -> str | None:
    """The first corner of ``order`` where a ``box`` (inches) ``inset`` inches from the axes edges
    touches no curve or band (None when every one does).

    ``ax_size`` is the axes size and ``limits`` its x and y limits (linear scales): the box is
    turned into data units and tested against the step functions exactly.
    """
    (xa, xb), (ya, yb) = limits
    bw, bh = box[0] / ax_size[0] * (xb - xa), box[1] / ax_size[1] * (yb - ya)
    ix, iy = inset / ax_size[0] * (xb - xa), inset / ax_size[1] * (yb - ya)
    for corner in order:
        vertical, horizontal = corner.split()
        x0 = xa + ix if horizontal == "left" else xb - ix - bw
        y0 = ya + iy if vertical == "lower" else yb - iy - bh
        if not any(b.covers(x0, x0 + bw, y0, y0 + bh) for b in bands):
            return corner
    return None


def text_block(
    ax,
    lines: Sequence[tuple[str, str]],
    corner: str,
    inset: float = 0.06,
    size: float = SMALL_PT,
    gid: str = "annotation",
    backed: bool = False,
) -> None:
    """Draw ``lines`` ((text, colour) pairs, one Text each so that each keeps its colour) in
    ``corner`` of ``ax``, ``inset`` inches from its edges, :func:`line_pitch` apart; ``backed``:
    on a white background, above the reference lines they cross."""
    vertical, horizontal = corner.split()
    ax_w, ax_h = _axes_inches(ax)
    x = inset / ax_w if horizontal == "left" else 1 - inset / ax_w
    y = inset / ax_h if vertical == "lower" else 1 - inset / ax_h
    pitch = line_pitch(size)
    n = len(lines)
    for i, (text, color) in enumerate(lines):
        # the top line first: from the corner down, or from the bottom line up
        shift = -i * pitch if vertical == "upper" else (n - 1 - i) * pitch
        ax.text(
            x,
            y,
            text,
            transform=ax.transAxes + transforms.ScaledTranslation(0, shift, ax.figure.dpi_scale_trans),
            ha=horizontal,
            va="top" if vertical == "upper" else "bottom",
            linespacing=LINESPACING,
            fontsize=size,
            color=color,
            gid=gid,
            bbox={"fc": "white", "ec": "none", "pad": 0.5} if backed else None,
            zorder=4 if backed else 3,
        )


def block_size(lines: Sequence[tuple[str, str]], size: float = SMALL_PT) -> tuple[float, float]:
    """Inches (width, height) of a :func:`text_block` of ``lines``."""
    return widest([t for t, _ in lines], size), lines_height(len(lines), size)


def _axes_inches(ax) -> tuple[float, float]:
    fw, fh = ax.figure.get_size_inches()
    pos = ax.get_position()
    return pos.width * fw, pos.height * fh
