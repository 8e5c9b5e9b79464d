"""Forest plots of ratios with their confidence intervals: from a frame, a fitted model of cartsie
(Cox, logistic, Fine-Gray, lp_adjusted) or a regression table.

Every input becomes a list of :class:`Row` (a header, a reference level, an estimate or one that is
not estimable); one drawing function lays them out: labels at the left, points and CI segments in
the middle on a log axis, the ratio with its CI and the p-value in columns at the right.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib import transforms
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from cartsie.errors import InputError
from cartsie.figures._style import (
    AXIS_LW,
    EDGE,
    GREY,
    PALETTE,
    SMALL_PT,
    add_axes,
    axis,
    figure,
    footnote,
    note_height,
    styled,
    text_size,
    tick_space,
    title_above,
    title_height,
    widest,
)
from cartsie.format import format_ci, format_conf_level, format_p, format_ratio

#: the ratio columns of cartsie's model summaries, and the name of each ratio
RATIO_COLUMNS = {"hr": "HR", "odds_ratio": "OR", "shr": "sHR"}
RATIO_NAMES = {"HR": "Hazard ratio", "OR": "Odds ratio", "sHR": "Subdistribution hazard ratio"}
NOT_ESTIMABLE = "not estimable"
REFERENCE = "Reference"
#: inches: height of a row, indent per level, gaps between the columns
ROW = 0.2
INDENT = 0.14
GAP = 0.18
WIDTH = 6.0
#: candidate ticks of a log axis
LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)


@dataclass(frozen=True)
class Row:
    """One line of a forest plot."""

    label: str
    indent: int = 0
    kind: str = "estimate"  # "estimate", "reference" or "header"
    estimate: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    p_value: float = math.nan
    color: str = "black"

    @property
    def drawn(self) -> bool:
        """Whether the row has a point: a finite, positive (log axis) estimate."""
        return self.kind == "estimate" and bool(np.isfinite(self.estimate)) and self.estimate > 0


def _term_label(term: str, labels: Mapping) -> str:
    """``labels[term]``, else ``"stage: III-IV"`` for the term ``stage[III-IV]``."""
    if term in labels:
        return str(labels[term])
    if term.endswith("]") and "[" in term:
        var, level = term[:-1].split("[", 1)
        return f"{labels.get(var, var)}: {level}"
    return term


def _frame_rows(
    frame: pd.DataFrame, estimate: str | None, label: str, labels: Mapping
) -> tuple[list[Row], str]:
    """Rows of a frame (``label`` column or the index) and the name of its ratio."""
    if estimate is None:
        found = [c for c in ("estimate", *RATIO_COLUMNS, "ratio") if c in frame.columns]
        if not found:
            raise InputError(
                "forest_plot(): no estimate column (estimate, hr, odds_ratio, shr or ratio); "
                "name it with estimate=."
            )
        estimate = found[0]
    missing = [c for c in (estimate, "ci_lower", "ci_upper") if c not in frame.columns]
    if missing:
        raise InputError(f"forest_plot(): the rows lack the columns {missing}.")
    names = frame[label].astype(str).tolist() if label in frame.columns else [str(t) for t in frame.index]
    p = frame["p_value"].to_numpy(float) if "p_value" in frame.columns else np.full(len(frame), np.nan)
    rows = [
        Row(_term_label(name, labels), estimate=float(e), lower=float(lo), upper=float(hi), p_value=float(pv))
        for name, e, lo, hi, pv in zip(
            names, frame[estimate], frame["ci_lower"], frame["ci_upper"], p, strict=True
        )
        if name != "(Intercept)"
    ]
    return rows, RATIO_COLUMNS.get(estimate, "")


def _table_rows(table, labels: Mapping, model: str | None) -> tuple[list[Row], str, float]:
    """Rows of a regression table's ``stats``: a header per categorical covariate, its reference
    level without a point, one row per shown term (one per model when there are several)."""
    stats = table.stats
    models = list(dict.fromkeys(stats["model"]))
    if model is not None:
        if model not in models:
            raise InputError(f"forest_plot(): no model titled {model!r}; the table has {models}.")
        stats, models = stats[stats["model"] == model], [model]
    labels = {**_printed_labels(table, stats), **labels}
    info = table.models.set_index("title").loc[models]
    ratios = list(dict.fromkeys(info["ratio"]))
    colors = {m: ("black" if len(models) == 1 else PALETTE[i % len(PALETTE)]) for i, m in enumerate(models)}
    rows: list[Row] = []
    for var in dict.fromkeys(stats["variable"]):
        block = stats[stats["variable"] == var]
        levels = [lv for lv in dict.fromkeys(block["level"]) if not _missing(lv)]
        name = str(labels.get(var, var))
        if not levels:  # a numeric covariate
            rows += _estimates(block, name, 0, models, colors)
            continue
        rows.append(Row(name, kind="header"))
        for lv in levels:
            at = block[block["level"] == lv]
            text = str(labels.get(f"{var}[{lv}]", lv))
            if bool(at["reference"].all()):
                rows.append(Row(text, indent=1, kind="reference", estimate=1.0))
            else:
                rows += _estimates(at, text, 1, models, colors)
    conf = float(info["conf_level"].iloc[0])
    return rows, (ratios[0] if len(ratios) == 1 else ""), conf


def _printed_labels(table, stats: pd.DataFrame) -> dict:
    """The names the table itself prints (its ``labels=``), read from its stub: the rows of
    indent 0 are the covariates in order, those of indent 1 under one the levels; the N and Events
    rows close the stub. Levels are named only where their count matches (a level no model has is
    printed without a number behind it)."""
    layout = getattr(table, "layout", None)
    if layout is None:
        return {}
    blocks: list[tuple[str, list[str]]] = []
    for text, indent in zip(layout.stub, layout.indent, strict=True):
        if indent == 0:
            blocks.append((text, []))
        elif blocks:
            blocks[-1][1].append(text)
    out: dict = {}
    for var, (text, level_texts) in zip(dict.fromkeys(stats["variable"]), blocks, strict=False):
        out[var] = text
        levels = [
            lv for lv in dict.fromkeys(stats.loc[stats["variable"] == var, "level"]) if not _missing(lv)
        ]
        if len(levels) == len(level_texts):
            out |= {f"{var}[{lv}]": t for lv, t in zip(levels, level_texts, strict=True)}
    return out


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _estimates(block: pd.DataFrame, label: str, indent: int, models: list, colors: dict) -> list[Row]:
    """One row for one model; a header and one row per model (labelled by its title) for several."""

    def row(r, text: str, level: int) -> Row:
        if bool(r["reference"]):
            return Row(text, indent=level, kind="reference", estimate=1.0)
        return Row(
            text,
            indent=level,
            estimate=float(r["ratio"]),
            lower=float(r["ci_lower"]),
            upper=float(r["ci_upper"]),
            p_value=float(r["p_value"]),
            color=colors[r["model"]],
        )

    if len(models) == 1:
        return [row(r, label, indent) for _, r in block.iterrows()]
    out = [Row(label, indent=indent, kind="header")]
    out += [row(r, str(r["model"]), indent + 1) for _, r in block.iterrows()]
    return out


def _rows(obj, estimate, label, labels, model) -> tuple[list[Row], str, float]:
    """Rows, ratio name (HR, OR, sHR or "") and confidence level of any accepted input."""
    labels = dict(labels or {})
    if isinstance(obj, pd.DataFrame):
        rows, ratio = _frame_rows(obj, estimate, label, labels)
        return rows, ratio, 0.95
    stats = getattr(obj, "stats", None)
    if isinstance(stats, pd.DataFrame) and {"reference", "ratio", "variable"} <= set(stats.columns):
        return _table_rows(obj, labels, model)
    summary = getattr(obj, "summary", None)
    if isinstance(summary, pd.DataFrame) and set(RATIO_COLUMNS) & set(summary.columns):
        column = estimate or next(c for c in RATIO_COLUMNS if c in summary.columns)
        rows, ratio = _frame_rows(summary, column, label, labels)
        return rows, ratio, float(getattr(obj, "conf_level", 0.95))
    raise InputError(
        f"forest_plot(): cannot draw a {type(obj).__name__}; give a DataFrame, a fitted cox, logistic, "
        "fine_gray or lp_adjusted model, or a regression_table."
    )


def forest_plot(
    obj,
    *,
    labels: Mapping[str, str] | None = None,
    estimate: str | None = None,
    label: str = "label",
    model: str | None = None,
    reference: float = 1.0,
    log_scale: bool = True,
    xlabel: str | None = None,
    show_p: bool = True,
    title: str | None = None,
    note: str | None = None,
    width: float = WIDTH,
) -> Figure:
    """Draw a forest plot: one row per estimate, its point and CI, the ratio and p printed at right.

    Parameters
    ----------
    obj : DataFrame, fitted model or RegressionTable
        (a) A frame with the estimate column (``estimate=``; default the first of ``estimate``,
        ``hr``, ``odds_ratio``, ``shr``, ``ratio``), ``ci_lower``, ``ci_upper``, optionally
        ``p_value``, and the row labels in ``label`` (default: the index); (b) a fitted
        :func:`cartsie.survival.cox`, :func:`cartsie.binary.logistic`,
        :func:`cartsie.competing.fine_gray` or :func:`cartsie.adjust.lp_adjusted` (its ``summary``:
        one row per term, the intercept left out); (c) a :func:`cartsie.tables.regression_table`
        (its ``stats``: a header row per categorical covariate, its reference level as a
        "Reference" row without a point, and with several models one row per model).
    labels : mapping, optional
        Display names of covariates and terms (``{"ht_group": "HT score", "ht_group[high]":
        "high"}``); default the names (a regression table's: the names it prints), a term
        ``var[level]`` shown as ``"var: level"``.
    estimate : str, optional
        The estimate column of a frame or summary (default: detected as above).
    label : str, default "label"
        The column of a frame holding the row labels (the index when absent).
    model : str, optional
        With a regression table of several models: the title of the one to draw (default all).
    reference : float, default 1.0
        Where the dashed line of no effect is drawn.
    log_scale : bool, default True
        Log x axis (for ratios).
    xlabel : str, optional
        Label of the x axis (default from the ratio: "Hazard ratio (95% CI)", "Odds ratio (95% CI)",
        "Subdistribution hazard ratio (95% CI)", at the model's confidence level).
    show_p : bool, default True
        Print the p-value column (:func:`cartsie.format.format_p`).
    title : str, optional
        Drawn above the plot at the left (default none).
    note : str, optional
        Footnote at the lower left (the built-in cohort passes :data:`SYNTHETIC_NOTE`).
    width : float, default 6
        Figure width in inches (the height follows from the number of rows).

    Returns
    -------
    Figure
        One axes with the rows top to bottom at y = 0, 1, ...: the points (gid ``"estimate"``, a
        line of square markers), the CI segments (gid ``"ci"``, a LineCollection), the line of no
        effect (gid ``"reference"``); the texts (gids ``"label"``, ``"ratio"``, ``"p"``) in columns.
        A row whose estimate or CI is infinite or missing says "not estimable" and has no point.

    Notes
    -----
    The numbers are the model's own: ``exp(coef)`` and its CI at the model's ``conf_level``,
    formatted by :func:`cartsie.format.format_ratio` and :func:`cartsie.format.format_ci` as in
    :func:`cartsie.tables.regression_table`. R: ``forestplot::forestplot`` or ``survminer::ggforest``.
    """
    rows, ratio, conf = _rows(obj, estimate, label, labels, model)
    if not rows:
        raise InputError("forest_plot(): nothing to draw (no row).")
    if xlabel is None:
        xlabel = f"{RATIO_NAMES.get(ratio, 'Ratio')} ({format_conf_level(conf)} CI)"
    heading = f"{ratio or 'Ratio'} ({format_conf_level(conf)} CI)"
    with styled():
        return _draw(rows, heading, reference, log_scale, xlabel, show_p, title, note, width)


def _cells(r: Row) -> tuple[str, str]:
    """The ratio and p texts of a row."""
    if r.kind == "header":
        return "", ""
    if r.kind == "reference":
        return REFERENCE, ""
    finite = np.isfinite([r.estimate, r.lower, r.upper]).all()
    if not np.isfinite(r.estimate) or not format_ci(r.lower, r.upper) or (not finite and r.estimate <= 0):
        return NOT_ESTIMABLE, ""
    return f"{format_ratio(r.estimate)} {format_ci(r.lower, r.upper)}", format_p(r.p_value)


def _limits(rows: list[Row], reference: float, log_scale: bool) -> tuple[tuple[float, float], list[float]]:
    """x limits and ticks: every finite CI limit and the reference inside."""
    values = [v for r in rows if r.drawn for v in (r.estimate, r.lower, r.upper) if np.isfinite(v)]
    values = [v for v in values if v > 0] if log_scale else values
    lo, hi = min([*values, reference]), max([*values, reference])
    if log_scale:
        # from the round value at or below the lowest limit to the one at or above the highest
        lo = max([t for t in LOG_TICKS if t <= lo * 1.0001] or [lo / 1.2])
        hi = min([t for t in LOG_TICKS if t >= hi / 1.0001] or [hi * 1.2])
        ticks = [t for t in LOG_TICKS if lo <= t <= hi]
        return (lo / 1.05, hi * 1.05), ticks
    pad = 0.05 * (hi - lo or 1.0)
    ticks = [
        float(t) for t in matplotlib.ticker.MaxNLocator(5).tick_values(lo, hi) if lo - pad <= t <= hi + pad
    ]
    return (lo - pad, hi + pad), ticks


def _draw(rows, heading, reference, log_scale, xlabel, show_p, title, note, width) -> Figure:
    cells = [_cells(r) for r in rows]
    label_w = max(text_size(r.label)[0] + r.indent * INDENT for r in rows)
    ratio_w = max(widest([c[0] for c in cells]), text_size(heading)[0])
    p_w = max(widest([c[1] for c in cells]), text_size("p")[0]) if show_p else 0.0
    left = EDGE + label_w + GAP
    right = EDGE + ratio_w + (GAP + p_w if show_p else 0.0) + GAP
    n = len(rows)
    bottom = EDGE + note_height(note) + tick_space("x", [])
    top = EDGE + title_height(title) + ROW  # a row for the column headings
    height = bottom + n * ROW + top
    fig = figure(width, height)
    ax = add_axes(fig, left, bottom, width - left - right, n * ROW)
    ax.spines[["left"]].set_visible(False)
    ax.yaxis.set_visible(False)  # the rows are labelled by the texts at the left
    if log_scale:
        ax.set_xscale("log")
    (x0, x1), ticks = _limits(rows, reference, log_scale)
    ax.set_xlim(x0, x1)
    ax.set_ylim(n - 0.5, -0.5)  # the first row on top
    axis(ax, "x", ticks, [f"{t:g}" for t in ticks], xlabel)
    ax.axvline(reference, color=GREY, lw=AXIS_LW, ls=(0, (4, 3)), zorder=1, gid="reference")
    _points(ax, rows, (x0, x1))
    _columns(fig, ax, rows, cells, heading, show_p, label_w, ratio_w, p_w, left, right, width)
    title_above(ax, title, pad_points=ROW * 72.0 + 2.0)
    footnote(fig, note)
    return fig


def _points(ax, rows: list[Row], xlim: tuple[float, float]) -> None:
    """Squares at the estimates and CI segments, cut at the axis limits with an arrow head when a
    limit lies beyond them (an infinite limit included)."""
    drawn = [(i, r) for i, r in enumerate(rows) if r.drawn]
    if not drawn:
        return
    lo_cut = [max(r.lower, xlim[0]) if np.isfinite(r.lower) else xlim[0] for _, r in drawn]
    hi_cut = [min(r.upper, xlim[1]) if np.isfinite(r.upper) else xlim[1] for _, r in drawn]
    segments = [[(a, i), (b, i)] for (i, _), a, b in zip(drawn, lo_cut, hi_cut, strict=True)]
    colors = [r.color for _, r in drawn]
    ax.add_collection(LineCollection(segments, colors=colors, linewidths=1.0, zorder=2, gid="ci"))
    ax.scatter(
        [r.estimate for _, r in drawn],
        [i for i, _ in drawn],
        marker="s",
        s=16,
        c=colors,
        zorder=3,
        gid="estimate",
    )
    for (i, r), a, b in zip(drawn, lo_cut, hi_cut, strict=True):
        for end, beyond, marker in ((a, not r.lower >= xlim[0], "<"), (b, not r.upper <= xlim[1], ">")):
            if beyond:
                ax.plot([end], [i], marker=marker, ms=4, color=r.color, clip_on=False, gid="ci_arrow")


def _columns(fig, ax, rows, cells, heading, show_p, label_w, ratio_w, p_w, left, right, width) -> None:
    """Labels left of the axes, the ratio and p columns right of it, the headings above."""
    at = transforms.blended_transform_factory(fig.dpi_scale_trans, ax.transData)
    ratio_x = width - right + GAP
    p_x = ratio_x + ratio_w + GAP
    for i, (r, (ratio_text, p_text)) in enumerate(zip(rows, cells, strict=True)):
        grey = r.kind == "reference" or ratio_text == NOT_ESTIMABLE
        fig.text(
            EDGE + r.indent * INDENT,
            i,
            r.label,
            transform=at,
            ha="left",
            va="center",
            fontsize=SMALL_PT,
            gid="label",
        )
        if ratio_text:
            fig.text(
                ratio_x,
                i,
                ratio_text,
                transform=at,
                ha="left",
                va="center",
                fontsize=SMALL_PT,
                color=GREY if grey else "black",
                gid="ratio",
            )
        if show_p and p_text:
            fig.text(p_x, i, p_text, transform=at, ha="left", va="center", fontsize=SMALL_PT, gid="p")
    fig.text(ratio_x, -1, heading, transform=at, ha="left", va="center", fontsize=SMALL_PT, gid="heading")
    if show_p:
        fig.text(
            p_x,
            -1,
            "p",
            transform=at,
            ha="left",
            va="center",
            fontsize=SMALL_PT,
            style="italic",
            gid="heading",
        )
