"""Writing figures: PNG and PDF (and SVG), stamped with cartsie's version, the same bytes at every run."""

from __future__ import annotations

import struct
import threading
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cartsie import __version__
from cartsie.errors import InputError
from cartsie.figures._style import styled

FORMATS = ("png", "pdf", "svg")


def _metadata(fmt: str) -> dict[str, str | None]:
    software = f"cartsie {__version__}"
    if fmt == "pdf":
        return {"Creator": software, "CreationDate": None}  # no date: identical bytes at each run
    return {"Creator": software, "Date": None}  # svg (its ids are salted by svg.hashsalt)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(rgba: np.ndarray, dpi: float, software: str) -> bytes:
    """A PNG file of the ``(height, width, 4)`` uint8 image ``rgba`` (8-bit RGBA), with its
    resolution (pHYs chunk) and a ``Software`` text chunk.

    Written here rather than by Pillow (what matplotlib calls) because Pillow tries all five PNG
    filters on every row, which takes longer than drawing the figure; a figure's flat colours
    compress as well without a filter (type 0), and zlib's level 1 is fast. RGBA rather than RGB:
    dropping the alpha byte of every pixel costs more than compressing it.
    """
    height, width, _ = rgba.shape
    rows = np.empty((height, 1 + 4 * width), dtype=np.uint8)
    rows[:, 0] = 0  # filter type of each row: none
    rows[:, 1:] = rgba.reshape(height, 4 * width)
    per_metre = round(dpi / 0.0254)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)),
            _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            _chunk(b"tEXt", b"Software\x00" + software.encode("latin-1")),
            _chunk(b"IDAT", zlib.compress(rows.data, 1)),
            _chunk(b"IEND", b""),
        ]
    )


def rgba(fig: Figure, dpi: float) -> np.ndarray:
    """``fig`` drawn by Agg (matplotlib's PNG renderer) at ``dpi``: a ``(height, width, 4)`` array.

    The figure's canvas and dpi are put back afterwards, as ``savefig`` does.
    """
    canvas, saved = fig.canvas, fig.dpi
    try:
        agg = FigureCanvasAgg(fig)
        fig.dpi = dpi
        agg.draw()
        return np.asarray(agg.buffer_rgba())
    finally:
        fig.dpi = saved
        fig.set_canvas(canvas)


class _PngWriter(threading.Thread):
    """Compresses and writes one PNG; an error is raised again by :meth:`finish` in the caller."""

    def __init__(self, pixels: np.ndarray, dpi: float, path: Path) -> None:
        super().__init__(daemon=True)
        self.pixels, self.dpi, self.path = pixels, dpi, path
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.path.write_bytes(png_bytes(self.pixels, self.dpi, f"cartsie {__version__}"))
        except BaseException as exc:  # raised again in the caller's thread
            self.error = exc

    def finish(self) -> None:
        self.join()
        if self.error is not None:
            raise self.error


def save(
    fig: Figure, stem: str | Path, formats: Sequence[str] = ("png", "pdf"), dpi: float = 300
) -> list[Path]:
    """Write ``fig`` as ``stem.png`` (``dpi`` dots per inch), ``stem.pdf`` and any other of
    ``formats``, the same bytes at every run.

    Parameters
    ----------
    fig : Figure
        A figure of :mod:`cartsie.figures` (or any matplotlib ``Figure``).
    stem : str or Path
        The path without extension (``out/figures/figure1a``); its folder is created if needed.
    formats : sequence of {"png", "pdf", "svg"}, default ("png", "pdf")
        The files to write, in this order.
    dpi : float, default 300
        Resolution of the PNG (the PDF and SVG are vector files; their images, if any, use it too).

    Returns
    -------
    list of Path
        The files written, one per format.

    Notes
    -----
    The files carry ``Software`` (PNG) or ``Creator`` (PDF, SVG) ``"cartsie <version>"`` and no
    creation date, so two runs give byte-identical files. The figure is drawn once per format at
    its own size: the figures are laid out in inches (no ``bbox_inches="tight"``, which would draw
    each one twice). PNGs are 8-bit RGBA, unfiltered and compressed by zlib at level 1: a third of
    the time matplotlib's PNG writer (Pillow) takes, for files of about the same size; the pixels
    are matplotlib's own (Agg).
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise InputError(f"save(): formats must be some of {', '.join(FORMATS)}; got {list(formats)!r}.")
    if not (isinstance(dpi, int | float) and dpi > 0):
        raise InputError(f"save(): dpi must be a positive number, got {dpi!r}.")
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    encoding = None
    with styled():  # the PDF and SVG writers read the font settings when they write
        for fmt in formats:
            path = stem.parent / f"{stem.name}.{fmt}"
            if fmt == "png":
                # the PNG is compressed and written in a thread (zlib releases the GIL) while the
                # other formats are drawn
                encoding = _PngWriter(rgba(fig, dpi), dpi, path)
                encoding.start()
            else:
                fig.savefig(path, format=fmt, dpi=dpi, metadata=_metadata(fmt))
            written.append(path)
    if encoding is not None:
        encoding.finish()
    return written
