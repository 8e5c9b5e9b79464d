"""Publication figures: Kaplan-Meier curves with a risk table, cumulative incidence, forest plots and
the patient flow diagram.

Every function draws aggregates only (curves, counts at risk, estimates): no patient-level row ever
appears in a figure. Functions return a matplotlib ``Figure`` and never show it; save it with
``fig.savefig(path)``. Figures are made without pyplot, so importing cartsie never changes the
user's matplotlib backend and no figure is left open; a notebook displays the returned ``Figure``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cartsie.format import format_p

#: colour-blind-safe palette (Okabe-Ito), in group order
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
SYNTHETIC_NOTE = "Synthetic data (cartsie built-in cohort), not patient data"


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=9)


def _colors(groups: Sequence, colors: Mapping | None) -> dict:
    colors = dict(colors or {})
    return {g: colors.get(g, PALETTE[i % len(PALETTE)]) for i, g in enumerate(groups)}


def _footnote(fig: Figure, note: str | None) -> None:
    if note:
        fig.text(0.01, 0.005, note, fontsize=7, color="0.35", ha="left", va="bottom")


def step_curve(time: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Right-continuous step function through (time, value) as x, y arrays for ``ax.plot``."""
    x = np.repeat(np.asarray(time, dtype=float), 2)[1:]
    y = np.repeat(np.asarray(value, dtype=float), 2)[:-1]
    return x, y


def km_plot(
    km,
    risk_times: Sequence[float] | None = None,
    labels: Mapping | None = None,
    colors: Mapping | None = None,
    title: str | None = None,
    xlabel: str = "Months since infusion",
    ylabel: str = "Probability",
    show_ci: bool = True,
    censor_marks: bool = True,
    annotation: str | None = None,
    note: str | None = None,
    figsize: tuple[float, float] = (6.4, 5.2),
) -> Figure:
    """Kaplan-Meier curves with pointwise CIs, censoring marks and a number-at-risk table.

    Parameters
    ----------
    km : cartsie.survival.KaplanMeier
        The fitted curves (their CI type is the fit's ``conf_type``).
    risk_times : sequence of float, optional
        Times of the risk table (default: every 6 units up to the last time).
    labels, colors : mapping, optional
        Display name and colour per group.
    annotation : str, optional
        Text in the lower left of the plot (e.g. the log-rank p-value and 1-year estimates).
    note : str, optional
        Footnote (the built-in cohort passes :data:`SYNTHETIC_NOTE`).

    Returns
    -------
    Figure
        Axes ``fig.axes[0]`` (curves) and ``fig.axes[1]`` (risk table); the risk table numbers are
        ``km.at(risk_times)["n_risk"]``, as R's ``summary(fit, times, extend = TRUE)``.
    """
    curves = km.curves
    groups = list(km.groups)
    last = float(curves["time"].max())
    if risk_times is None:
        risk_times = np.arange(0, last + 1e-9, 6.0 if last > 12 else max(last / 4, 1.0))
    risk_times = [float(t) for t in risk_times]
    labels = {g: str((labels or {}).get(g, g)) for g in groups}
    palette = _colors(groups, colors)

    fig = Figure(figsize=figsize)
    grid = fig.add_gridspec(2, 1, height_ratios=[4, 0.35 + 0.22 * len(groups)], hspace=0.35)
    ax = fig.add_subplot(grid[0])
    for g in groups:
        c = curves[curves["group"] == g]
        x, y = step_curve(c["time"], c["survival"])
        ax.plot(x, y, color=palette[g], lw=1.6, label=labels[g], drawstyle="default")
        if show_ci:
            lo = step_curve(c["time"], c["ci_lower"].fillna(c["survival"]))[1]
            hi = step_curve(c["time"], c["ci_upper"].fillna(c["survival"]))[1]
            ax.fill_between(x, lo, hi, color=palette[g], alpha=0.15, lw=0)
        if censor_marks:
            cens = c[c["n_censor"] > 0]
            ax.plot(cens["time"], cens["survival"], "|", color=palette[g], ms=6, mew=1)
    ax.set(ylim=(0, 1.02), xlim=(0, max(risk_times[-1], last) * 1.02), xlabel=xlabel, ylabel=ylabel)
    ax.set_xticks(risk_times)
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    if len(groups) > 1 or groups != ["all"]:
        ax.legend(frameon=False, fontsize=9, loc="upper right")
    if annotation:
        ax.text(0.02, 0.04, annotation, transform=ax.transAxes, fontsize=8.5, va="bottom")
    _style(ax)

    table = fig.add_subplot(grid[1], sharex=ax)
    at = km.at(risk_times)
    for row, g in enumerate(groups):
        n = at[at["group"] == g]["n_risk"].to_numpy()
        y = len(groups) - 1 - row
        for t, value in zip(risk_times, n, strict=True):
            table.text(
                t, y, f"{int(value)}", ha="center", va="center", fontsize=8.5, color=palette[g], clip_on=False
            )
    table.set_yticks(range(len(groups)), [labels[g] for g in reversed(groups)], fontsize=8.5)
    table.tick_params(axis="y", pad=14)
    table.set_ylim(-0.6, len(groups) - 0.4)
    table.set_title("Number at risk", fontsize=9, loc="left")
    table.tick_params(axis="x", labelbottom=False, length=0)
    table.spines[["top", "right", "bottom", "left"]].set_visible(False)
    table.tick_params(axis="y", length=0)
    longest = max(len(labels[g]) for g in groups)
    fig.subplots_adjust(left=min(0.4, 0.1 + 0.013 * longest), right=0.97, bottom=0.08)
    _footnote(fig, note)
    return fig


def cif_plot(
    curves: pd.DataFrame,
    labels: Mapping | None = None,
    colors: Mapping | None = None,
    title: str | None = None,
    xlabel: str = "Months since infusion",
    ylabel: str = "Cumulative incidence",
    show_ci: bool = True,
    ylim: float | None = None,
    annotation: str | None = None,
    note: str | None = None,
    figsize: tuple[float, float] = (6.4, 4.6),
) -> Figure:
    """Cumulative incidence curves (Aalen-Johansen) of one cause, one step curve per group.

    Parameters
    ----------
    curves : DataFrame
        Columns ``group``, ``time``, ``estimate`` and optionally ``ci_lower``, ``ci_upper`` (as the
        ``curves`` of :func:`cartsie.competing.cumulative_incidence`, filtered to one cause).
    """
    groups = list(dict.fromkeys(curves["group"]))
    labels = {g: str((labels or {}).get(g, g)) for g in groups}
    palette = _colors(groups, colors)
    fig = Figure(figsize=figsize)
    ax = fig.subplots()
    top = 0.0
    for g in groups:
        c = curves[curves["group"] == g].sort_values("time")
        x, y = step_curve(np.r_[0.0, c["time"]], np.r_[0.0, c["estimate"]])
        ax.plot(x, y, color=palette[g], lw=1.6, label=labels[g])
        top = max(top, float(np.nanmax(y)))
        if show_ci and {"ci_lower", "ci_upper"} <= set(c.columns):
            lo = step_curve(np.r_[0.0, c["time"]], np.r_[0.0, c["ci_lower"].fillna(c["estimate"])])[1]
            hi = step_curve(np.r_[0.0, c["time"]], np.r_[0.0, c["ci_upper"].fillna(c["estimate"])])[1]
            ax.fill_between(x, lo, hi, color=palette[g], alpha=0.15, lw=0)
            top = max(top, float(np.nanmax(hi)))
    ax.set(ylim=(0, ylim or min(1.0, top * 1.15 + 0.01)), xlim=(0, None), xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    if len(groups) > 1:
        ax.legend(frameon=False, fontsize=9, loc="upper left")
    if annotation:
        ax.text(0.98, 0.04, annotation, transform=ax.transAxes, fontsize=8.5, va="bottom", ha="right")
    _style(ax)
    _footnote(fig, note)
    fig.tight_layout()
    return fig


def forest_plot(
    rows: pd.DataFrame,
    estimate: str = "estimate",
    label: str = "label",
    reference: float = 1.0,
    log_scale: bool = True,
    xlabel: str = "Odds ratio (95% CI)",
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """Forest plot of ratio estimates with CIs, one row each, the estimate and p printed at right.

    Parameters
    ----------
    rows : DataFrame
        Columns ``label``, ``estimate`` (names configurable), ``ci_lower``, ``ci_upper`` and
        optionally ``p``.
    """
    rows = rows.reset_index(drop=True)
    n = len(rows)
    fig = Figure(figsize=(7.0, 0.45 * n + 1.3))
    ax = fig.subplots()
    y = np.arange(n)[::-1]
    est = rows[estimate].to_numpy(float)
    lo, hi = rows["ci_lower"].to_numpy(float), rows["ci_upper"].to_numpy(float)
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="s", color=PALETTE[0], ms=5, capsize=3, lw=1.2)
    ax.axvline(reference, color="0.5", lw=0.8, ls="--")
    if log_scale:
        ax.set_xscale("log")
        ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if lo.min() / 1.5 <= t <= hi.max() * 1.5]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_yticks(y, rows[label].astype(str).tolist(), fontsize=9)
    ax.set_xlabel(xlabel, fontsize=9)
    for yi, e, a, b, p in zip(
        y, est, lo, hi, rows["p_value"] if "p_value" in rows else [None] * n, strict=True
    ):
        text = f"{e:.2f} ({a:.2f}-{b:.2f})" + (f"  p = {format_p(p)}" if p is not None else "")
        ax.annotate(text, (1.02, yi), xycoords=("axes fraction", "data"), va="center", fontsize=8.5)
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    _style(ax)
    _footnote(fig, note)
    fig.tight_layout()
    return fig


def flow_diagram(
    flow: pd.DataFrame, exclusions: pd.DataFrame | None = None, note: str | None = None
) -> Figure:
    """The patient-flow diagram (CONSORT style) of :attr:`cartsie.cohort.Cohort.flow`.

    One box per step with its count; each exclusion, with its reasons and counts, in a box to the
    right of the arrow that leads to the next step.
    """
    steps = flow.reset_index(drop=True)
    n = len(steps)
    fig = Figure(figsize=(7.5, 0.95 * n + 0.2))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.02)
    ax.set_xlim(0.8, 10)
    ax.set_ylim(-0.6, 2 * n - 1.4)
    ax.axis("off")
    box = {"boxstyle": "round,pad=0.4", "fc": "white", "ec": "0.3", "lw": 1}
    for i, row in steps.iterrows():
        y = 2 * (n - 1 - i)
        ax.text(3, y, f"{row['step']}\nn = {int(row['n'])}", ha="center", va="center", fontsize=10, bbox=box)
        if i + 1 < n:
            ax.annotate(
                "", xy=(3, y - 1.55), xytext=(3, y - 0.45), arrowprops={"arrowstyle": "->", "color": "0.3"}
            )
            nxt = steps.iloc[i + 1]
            if int(nxt["excluded"]):
                reasons = _reason_lines(nxt, exclusions)
                ax.plot([3, 5.3], [y - 1, y - 1], color="0.3", lw=1)
                ax.text(
                    5.4,
                    y - 1,
                    f"Excluded n = {int(nxt['excluded'])}\n" + "\n".join(reasons),
                    ha="left",
                    va="center",
                    fontsize=8,
                    bbox={**box, "fc": "0.96"},
                )
    _footnote(fig, note)
    return fig


def _reason_lines(step_row: pd.Series, exclusions: pd.DataFrame | None) -> list[str]:
    if exclusions is None:
        return [str(step_row.get("reason", ""))]
    rows = exclusions[exclusions["step"] == step_row["step"]]
    return [f"{r}: {int(k)}" for r, k in zip(rows["reason"], rows["n"], strict=True)]
