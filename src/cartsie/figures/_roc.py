"""The empirical ROC curve of a score, with its AUC and DeLong CI, in the figures' style."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

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
    note_height,
    styled,
    text_block,
    tick_space,
    title_above,
    title_height,
)
from cartsie.format import format_ci, format_conf_level, format_number

if TYPE_CHECKING:  # pragma: no cover
    from cartsie.discrimination import AUC

#: inches: side of the square axes
SIDE = 2.8
TICKS = np.round(np.arange(0.0, 1.01, 0.2), 10)
TICK_LABELS = ["0" if t == 0 else f"{t:.1f}" for t in TICKS]


def _pairs(y_true, score) -> tuple[np.ndarray, np.ndarray]:
    """Outcome and score as floats, the pairs with a missing value dropped (as ``auc`` drops them)."""
    y = pd.to_numeric(pd.Series(np.asarray(y_true, dtype=object).ravel()), errors="coerce").to_numpy(float)
    s = pd.to_numeric(pd.Series(np.asarray(score, dtype=object).ravel()), errors="coerce").to_numpy(float)
    if len(y) != len(s):
        raise InputError(f"roc_plot(): {len(y)} outcomes but {len(s)} scores; give one of each per patient.")
    keep = ~(np.isnan(y) | np.isnan(s))
    y, s = y[keep], s[keep]
    if not np.isin(y, [0.0, 1.0]).all() or len(np.unique(y)) < 2:
        raise InputError("roc_plot(): y_true must be 0/1 with both cases (1) and controls (0).")
    return y, s


def roc_points(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(1 - specificity, sensitivity, threshold)`` at every distinct score, from the highest down
    (a case is ``score >= threshold``), after the point (0, 0) of the threshold +inf."""
    thresholds = np.unique(s)[::-1]
    cases, controls = np.sort(s[y == 1]), np.sort(s[y == 0])
    # patients with score >= t: those not below t
    tp = len(cases) - np.searchsorted(cases, thresholds, side="left")
    fp = len(controls) - np.searchsorted(controls, thresholds, side="left")
    fpr = np.r_[0.0, fp / len(controls)]
    tpr = np.r_[0.0, tp / len(cases)]
    return fpr, tpr, np.r_[np.inf, thresholds]


def roc_plot(
    y_true,
    score,
    *,
    auc: AUC | None = None,
    direction: str = "<",
    threshold: float | None = None,
    label: str | None = None,
    color: str | None = None,
    conf_level: float = 0.95,
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """Draw the empirical ROC curve of ``score`` for ``y_true``, with the AUC and its DeLong CI.

    Parameters
    ----------
    y_true : array-like
        1 = case, 0 = control (pairs with a missing outcome or score are left out, as ``auc`` does).
    score : array-like
        The score; with ``direction="<"`` a higher score means a case.
    auc : cartsie.discrimination.AUC, optional
        The AUC to print (default computed: ``cartsie.discrimination.auc(y_true, score,
        conf_level, direction)``); its ``direction`` orients the curve.
    direction : {"<", ">"}, default "<"
        pROC's direction when ``auc`` is not given: ``">"`` for a score that is lower in cases.
    threshold : float, optional
        A cut-off to mark as the operating point (a case: score >= threshold, or <= with
        ``">"``), its sensitivity and specificity printed. A score with two values (0/1) is marked
        at its higher value by default.
    label : str, optional
        Name of the score, printed before the AUC.
    color : str, optional
        Colour of the curve (default the first of :data:`PALETTE`).
    conf_level : float, default 0.95
        Level of the DeLong CI when the AUC is computed here.
    title : str, optional
        Drawn above the axes at the left (default none).
    note : str, optional
        Footnote at the lower left.

    Returns
    -------
    Figure
        One square axes: the curve (gid ``"roc"``) through the points (1 − specificity,
        sensitivity) of every threshold -- for a 0/1 score the two segments through its one
        operating point --, the diagonal (gid ``"chance"``), the operating point (gid
        ``"operating_point"``) and the texts (gid ``"annotation"``): the label, "AUC 0.72 (95% CI
        0.66-0.78)" and "Sensitivity 65%, specificity 72%", in the lower right corner (the upper left
        when the curve runs through the lower right).

    Notes
    -----
    R: ``plot(pROC::roc(y_true, score, levels = c(0, 1), direction = direction))`` with
    ``ci.auc(method = "delong")``. Tied scores of a case and a control give a diagonal segment, the
    half a tie counts in the AUC.
    """
    y, s = _pairs(y_true, score)
    if auc is None:
        from cartsie.discrimination import auc as compute_auc

        auc = compute_auc(y, s, conf_level=conf_level, direction=direction)
    oriented = s if auc.direction == "<" else -s
    if threshold is None and len(np.unique(s)) == 2:
        threshold = float(np.max(s) if auc.direction == "<" else np.min(s))
    with styled():
        return _draw(y, oriented, auc, threshold, label, color or PALETTE[0], title, note)


def _draw(y, oriented, auc, threshold, label, color, title, note) -> Figure:
    left = EDGE + tick_space("y", TICK_LABELS) + 0.02
    bottom = EDGE + note_height(note) + tick_space("x", [])
    top = EDGE + title_height(title) + 0.1
    width, height = left + SIDE + 0.2, bottom + SIDE + top
    fig = figure(width, height)
    ax = add_axes(fig, left, bottom, SIDE, SIDE)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    axis(ax, "x", TICKS, TICK_LABELS, "1 − specificity")
    axis(ax, "y", TICKS, TICK_LABELS, "Sensitivity")
    ax.plot([0, 1], [0, 1], color=GREY, lw=AXIS_LW, ls=(0, (4, 3)), gid="chance")
    fpr, tpr, _ = roc_points(y, oriented)
    ax.plot(fpr, tpr, color=color, lw=CURVE_LW, clip_on=False, gid="roc")  # ends at (1, 1)
    lines = ([(label, color)] if label else []) + [(_auc_text(auc), "black")]
    if threshold is not None:
        cut = threshold if auc.direction == "<" else -threshold
        sens = float(np.mean(oriented[y == 1] >= cut))
        spec = float(np.mean(oriented[y == 0] < cut))
        ax.plot(
            [1 - spec],
            [sens],
            "o",
            ms=4.5,
            color=color,
            mec="white",
            mew=0.6,
            zorder=4,
            gid="operating_point",
        )
        lines.append((f"Sensitivity {100 * sens:.0f}%, specificity {100 * spec:.0f}%", "black"))
    corners = ("lower right", "upper left")
    corner = free_corner((SIDE, SIDE), ((0, 1), (0, 1)), block_size(lines), [_band(fpr, tpr)], corners)
    text_block(ax, lines, corner or corners[0], size=SMALL_PT)
    title_above(ax, title)
    footnote(fig, note)
    return fig


def _auc_text(auc) -> str:
    """``"AUC 0.72 (95% CI 0.66-0.78)"`` (no CI with fewer than two cases or controls)."""
    ci = format_ci(auc.ci_lower, auc.ci_upper, parentheses=False)
    level = format_conf_level(auc.conf_level)
    return f"AUC {format_number(auc.auc, 2)}" + (f" ({level} CI {ci})" if ci else "")


def _band(fpr: np.ndarray, tpr: np.ndarray) -> Band:
    """The ROC polyline as a band for :func:`free_corner`: on a fine grid, between the curve read
    at the bottom and at the top of its vertical segments (where several points share an x)."""
    grid = np.union1d(fpr, np.linspace(0, 1, 201))
    xs = np.unique(fpr)
    low = np.array([tpr[fpr == x].min() for x in xs])
    high = np.array([tpr[fpr == x].max() for x in xs])
    return Band(grid, np.interp(grid, xs, low), np.interp(grid, xs, high))
