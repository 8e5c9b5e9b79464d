"""The patient-flow diagram (CONSORT style) of a cohort, in the figures' style."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from cartsie.errors import InputError
from cartsie.figures._style import (
    AXIS_LW,
    EDGE,
    LABEL_PT,
    LINESPACING,
    SMALL_PT,
    figure,
    footnote,
    lines_height,
    note_height,
    styled,
    widest,
)

#: inches: width of the figure, least distance between two steps' boxes, centre of the step
#: boxes, start of the exclusion boxes
WIDTH = 6.0
STEP = 0.95
CENTRE = 1.9
EXCLUSION_X = 3.3
#: box style of the steps and of the exclusions (grey fill)
PAD = 0.4  # box padding, in font sizes
BOX = {"boxstyle": f"round,pad={PAD}", "fc": "white", "ec": "0.3", "lw": AXIS_LW}
ARROW = {"arrowstyle": "-|>", "color": "0.3", "lw": AXIS_LW, "shrinkA": 0, "shrinkB": 0, "mutation_scale": 8}

REQUIRED = ("step", "n", "excluded")


def flow_diagram(
    flow: pd.DataFrame, exclusions: pd.DataFrame | None = None, note: str | None = None
) -> Figure:
    """Draw the patient-flow diagram (CONSORT style) of :attr:`cartsie.cohort.Cohort.flow`.

    One box per step with its count, top to bottom, joined by arrows; each exclusion, with its
    reasons and counts, in a grey box to the right of the arrow that leads to the next step.

    Parameters
    ----------
    flow : DataFrame
        ``step``, ``n``, ``excluded`` and ``reason``, one row per step (``Cohort.flow``): the
        counts are printed as they are.
    exclusions : DataFrame, optional
        ``step``, ``reason``, ``n`` (``Cohort.exclusions``): one line per reason in the exclusion
        boxes; without it the ``reason`` text of ``flow`` is shown.
    note : str, optional
        Footnote at the lower left (the built-in cohort passes :data:`SYNTHETIC_NOTE`).

    Returns
    -------
    Figure
        One axes without frame, in inches (x 0 to 6, y 0 at the bottom), holding the step boxes
        (texts ``"<step>\\nn = <n>"``, gid ``"step"``), the exclusion boxes (gid ``"excluded"``,
        ``"Excluded n = <k>"`` then ``"<reason>: <n>"`` lines) and the arrows.
    """
    missing = [c for c in REQUIRED if c not in flow.columns]
    if missing:
        raise InputError(f"flow_diagram(): flow lacks the columns {missing} (give Cohort.flow).")
    with styled():
        return _draw(flow.reset_index(drop=True), exclusions, note)


def _draw(steps: pd.DataFrame, exclusions: pd.DataFrame | None, note: str | None) -> Figure:
    n = len(steps)
    # half a step box (two lines and the box's padding), and the distance between two boxes' centres:
    # room for the arrow and for the tallest exclusion box beside it
    half = (lines_height(2, LABEL_PT) + 2 * PAD * LABEL_PT / 72.0) / 2
    most = max((len(_reason_lines(row, exclusions)) + 1 for _, row in steps.iterrows()), default=1)
    step = max(STEP, lines_height(most) + 2 * PAD * SMALL_PT / 72.0 + 2 * half + 0.12)
    height = 2 * EDGE + note_height(note) + 2 * half + step * (n - 1) + 2 * EDGE
    reasons = [
        line for _, row in steps.iterrows() if int(row["excluded"]) for line in _reason_lines(row, exclusions)
    ]
    width = max(WIDTH, EXCLUSION_X + widest(reasons) + 0.25)  # a long reason widens the figure
    fig = figure(width, height)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    y_of = [height - 2 * EDGE - half - step * i for i in range(n)]  # centre of each step's box
    for i, row in steps.iterrows():
        y = y_of[i]
        text = f"{row['step']}\nn = {int(row['n'])}"
        ax.text(
            CENTRE,
            y,
            text,
            ha="center",
            va="center",
            fontsize=LABEL_PT,
            linespacing=LINESPACING,
            bbox=BOX,
            gid="step",
        )
        if i + 1 >= n:
            continue
        ax.annotate(
            "", xy=(CENTRE, y_of[i + 1] + half + 0.03), xytext=(CENTRE, y - half - 0.03), arrowprops=ARROW
        )
        nxt = steps.iloc[i + 1]
        if int(nxt["excluded"]):
            middle = (y + y_of[i + 1]) / 2
            ax.plot([CENTRE, EXCLUSION_X - 0.08], [middle, middle], color="0.3", lw=AXIS_LW)
            lines = [f"Excluded n = {int(nxt['excluded'])}", *_reason_lines(nxt, exclusions)]
            box = {**BOX, "fc": "0.96"}
            ax.text(
                EXCLUSION_X,
                middle,
                "\n".join(lines),
                ha="left",
                va="center",
                fontsize=SMALL_PT,
                bbox=box,
                gid="excluded",
            )
    footnote(fig, note)
    return fig


def _reason_lines(step_row: pd.Series, exclusions: pd.DataFrame | None) -> list[str]:
    if exclusions is None:
        return [str(step_row.get("reason", ""))]
    rows = exclusions[exclusions["step"] == step_row["step"]]
    return [f"{r}: {int(k)}" for r, k in zip(rows["reason"], rows["n"], strict=True)]
