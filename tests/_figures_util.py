"""Reading a drawn figure back: its artists by gid, its texts, their places on the page."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from cartsie.figures._style import styled


def by_gid(fig, gid: str) -> list:
    """Every artist of ``fig`` whose gid is ``gid``, in drawing order."""
    return fig.findobj(lambda a: getattr(a, "get_gid", lambda: None)() == gid)


def one(fig, gid: str):
    found = by_gid(fig, gid)
    assert len(found) == 1, f"{len(found)} artists with gid {gid!r}"
    return found[0]


def texts(fig, gid: str) -> list[str]:
    """The texts with gid ``gid``, top to bottom as drawn (their lines, blank lines dropped)."""
    out = []
    for t in by_gid(fig, gid):
        out += [line for line in t.get_text().split("\n") if line]
    return out


def drawn(fig):
    """Draw ``fig`` by Agg at its size and 100 dpi; the renderer (for text extents)."""
    with styled():
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
    return canvas.get_renderer()


def shown(artist):
    """``artist`` and its children, not going into an invisible one (what a draw draws)."""
    if not artist.get_visible():
        return
    yield artist
    for child in artist.get_children():
        yield from shown(child)


def clipped(fig) -> list[str]:
    """Texts drawn outside the figure (should be none)."""
    renderer = drawn(fig)
    width, height = fig.bbox.width, fig.bbox.height
    out = []
    for artist in (a for a in shown(fig) if isinstance(a, Text) and a.get_text().strip()):
        box = artist.get_window_extent(renderer)
        if box.x0 < -0.5 or box.y0 < -0.5 or box.x1 > width + 0.5 or box.y1 > height + 0.5:
            out.append(f"{artist.get_text()!r} at {box.bounds}")
    return out


def step_values(time: np.ndarray, value: np.ndarray, at: np.ndarray) -> np.ndarray:
    """A right-continuous step function (value from each time on) read at ``at``."""
    idx = np.searchsorted(time, at, side="right") - 1
    return np.asarray(value)[np.clip(idx, 0, None)]
