"""Figures: the style, the layout and the saved files (:mod:`cartsie.figures`).

What each figure draws (curves, counts at risk, estimates) is tested against the results in
test_figures_survival.py and test_figures_models.py; here: nothing clipped, the time axes ticked
every 6 months, the risk table under the ticks, legends and annotations off the curves, titles
above the axes, the user's matplotlib settings untouched, and files of the right size, resolution
and metadata that are the same bytes at every run.
"""

import io
import re
import sys

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from cartsie import __version__, cohort, figures, study, synthetic
from cartsie.competing import cumulative_incidence
from cartsie.datasets import example_path
from cartsie.errors import InputError
from cartsie.figures._style import styled
from cartsie.survival import cox, kaplan_meier
from tests._figures_util import by_gid, clipped, drawn, one, step_values, texts

LABELS = {"low": "HT low", "high": "HT high"}


@pytest.fixture(scope="module")
def example():
    return cohort.load(example_path("example_patients.csv"), example_path("example_labs.csv"))


@pytest.fixture(scope="module")
def ht():
    """The HT-evaluable population of the built-in synthetic cohort (389 patients)."""
    return study.population(synthetic.cartsie_like(seed=2024), "ht")


@pytest.fixture(scope="module")
def km(ht):
    return kaplan_meier(ht, "os_months", "os_event", group="ht_group")


@pytest.fixture(scope="module")
def km_figure(km):
    return figures.km_plot(
        km,
        labels=LABELS,
        title="Overall survival by HT score",
        landmark=12,
        p_value=0.0004,
        hr=(2.5, 1.7, 3.6),
        note=figures.SYNTHETIC_NOTE,
    )


@pytest.fixture(scope="module")
def gallery(ht, km_figure, example):
    """One figure of each kind, on realistic data."""
    nrm = cumulative_incidence(ht, "nrm_months", "nrm_event", group="simple_ht_group")
    fit = cox(
        ht, "os_months", "os_event", ["ht_group", "age", "stage_advanced"], reference={"ht_group": "low"}
    )
    return {
        "km": km_figure,
        "km_all": figures.km_plot(kaplan_meier(ht, "pfs_months", "pfs_event"), landmark=[12, 24]),
        "cif": figures.cif_plot(
            nrm,
            df=ht,
            labels={"low": "simpleHT low", "high": "simpleHT high"},
            landmark=24,
            p_value=0.03,
            note=figures.SYNTHETIC_NOTE,
        ),
        "roc": figures.roc_plot(ht["os_event"], ht["ht_score"], label="HT score", title="ROC", note="note"),
        "forest": figures.forest_plot(fit, labels={"ht_group": "HT score"}, title="Cox model", note="note"),
        "flow": figures.flow_diagram(example.flow, example.exclusions, note=figures.SYNTHETIC_NOTE),
    }


def test_importing_cartsie_leaves_matplotlib_alone():
    """No backend switch and no pyplot at import: the user's notebook backend stays theirs."""
    import subprocess

    code = (
        "import matplotlib, cartsie.figures, cartsie.study.pipeline, sys; "
        "print(matplotlib.get_backend(), 'matplotlib.pyplot' in sys.modules)"
    )
    env = {
        "MPLBACKEND": "svg",
        "PATH": "",
        "PYTHONPATH": str(__import__("pathlib").Path(figures.__file__).parents[2]),
    }
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.split() == ["svg", "False"], out.stderr
    assert matplotlib.get_backend()  # this process untouched too


def test_drawing_and_saving_leave_the_users_rcparams_alone(km, tmp_path):
    before = dict(matplotlib.rcParams)
    figures.save(figures.km_plot(km, landmark=12), tmp_path / "km")
    assert dict(matplotlib.rcParams) == before


def test_step_curve_is_right_continuous():
    x, y = figures.step_curve([0, 2, 5], [1.0, 0.8, 0.5])
    assert x.tolist() == [0, 2, 2, 5, 5]
    assert y.tolist() == [1.0, 1.0, 0.8, 0.8, 0.5]


# --------------------------------------------------------------------------------------------
# layout
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["km", "km_all", "cif", "roc", "forest", "flow"])
def test_nothing_is_clipped(gallery, name):
    """Every text lies inside the figure: the fixed layouts leave room for what they draw."""
    assert clipped(gallery[name]) == []


@pytest.mark.parametrize("name", ["km", "km_all", "cif"])
def test_time_axes_are_ticked_every_6_months_and_the_risk_table_stands_under_the_ticks(gallery, name):
    fig = gallery[name]
    ax = fig.axes[0]
    renderer = drawn(fig)
    ticks = ax.get_xticks()
    assert ticks[0] == 0 and np.all(np.diff(ticks) == 6.0), ticks
    assert ticks[-1] >= max(
        line.get_xdata().max() for line in ax.get_lines() if (line.get_gid() or "").startswith("curve:")
    )
    labels = by_gid(fig, "xticklabel")
    assert [t.get_text() for t in labels] == [f"{t:g}" for t in ticks]
    columns = by_gid(fig, "risk")
    assert len(columns) == len(ticks)
    for tick, label, column in zip(ticks, labels, columns, strict=True):
        x_tick = ax.transData.transform((tick, 0))[0]
        centre = lambda t: (t.get_window_extent(renderer).x0 + t.get_window_extent(renderer).x1) / 2  # noqa: E731
        assert centre(label) == pytest.approx(x_tick, abs=0.6)
        assert centre(column) == pytest.approx(x_tick, abs=0.6)
        assert column.get_window_extent(renderer).y1 < label.get_window_extent(renderer).y0  # under the axis


def test_the_risk_table_rows_line_up_with_their_labels(gallery):
    fig = gallery["km"]
    renderer = drawn(fig)
    column = by_gid(fig, "risk")[0]
    box = column.get_window_extent(renderer)
    rows = [one(fig, f"risk_label:{g}").get_window_extent(renderer) for g in ("low", "high")]
    assert rows[0].y1 == pytest.approx(box.y1, abs=1.0)  # the first row's top is the column's top
    assert rows[1].y0 == pytest.approx(box.y0, abs=1.0)  # the last row's bottom its bottom
    assert rows[0].x1 < box.x0  # labels left of the numbers
    assert [one(fig, f"risk_label:{g}").get_color() for g in ("low", "high")] == list(figures.PALETTE[:2])


@pytest.mark.parametrize("name", ["km", "cif"])
def test_legend_and_title_are_above_the_axes(gallery, name):
    fig = gallery[name]
    ax = fig.axes[0]
    renderer = drawn(fig)
    top = ax.get_window_extent(renderer).y1
    legend = [a for a in fig.findobj() if (getattr(a, "get_gid", lambda: None)() or "").startswith("legend:")]
    assert len(legend) == 4  # a line and a text per group
    assert all(a.get_window_extent(renderer).y0 > top for a in legend)
    if name == "km":
        assert ax.get_title(loc="left") == "Overall survival by HT score"
        (title,) = [
            t for t in ax.get_children() if isinstance(t, Text) and t.get_text() == ax.get_title(loc="left")
        ]
        assert title.get_window_extent(renderer).y0 > max(a.get_window_extent(renderer).y1 for a in legend)
    else:
        assert ax.get_title(loc="left") == ""  # no title unless asked for


@pytest.mark.parametrize("name", ["km", "km_all", "cif"])
def test_the_annotation_block_stays_off_the_curves_and_bands(gallery, name):
    fig = gallery[name]
    ax = fig.axes[0]
    renderer = drawn(fig)
    inverse = ax.transData.inverted()
    curves = [line for line in ax.get_lines() if (line.get_gid() or "").startswith("curve:")]
    bands = [p for p in ax.collections if (p.get_gid() or "").startswith("band:")]
    assert by_gid(fig, "annotation")
    for text in by_gid(fig, "annotation"):
        (x0, y0), (x1, y1) = inverse.transform(text.get_window_extent(renderer).get_points())
        for line in curves:
            x, y = line.get_xdata(), line.get_ydata()
            inside = (x >= x0) & (x <= x1)
            # the curve's values over the box's x range (and where it enters it) stay out of its y range
            values = np.r_[y[inside], step_values(x, y, np.array([x0, x1]))]
            assert np.all((values < y0) | (values > y1)), (text.get_text(), line.get_gid())
        for band in bands:
            vertices = band.get_paths()[0].vertices
            inside = (vertices[:, 0] >= x0) & (vertices[:, 0] <= x1)
            assert np.all((vertices[inside, 1] < y0) | (vertices[inside, 1] > y1)), (
                text.get_text(),
                band.get_gid(),
            )


def test_style_is_one_for_every_figure(gallery):
    """The same fonts sizes and line widths everywhere: 7.5 pt ticks and tables, 8 pt labels."""
    for name, fig in gallery.items():
        sizes = {
            round(t.get_fontsize(), 2) for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()
        }
        assert sizes <= {6.5, 7.5, 8.0, 9.0}, (name, sizes)
        if name != "flow":
            ax = fig.axes[0]
            assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
            assert ax.spines["bottom"].get_linewidth() == 0.8
            assert {round(t.get_fontsize(), 2) for t in by_gid(fig, "xticklabel")} == {7.5}
            assert one(fig, "xticks").get_markeredgewidth() == 0.8


# --------------------------------------------------------------------------------------------
# saving
# --------------------------------------------------------------------------------------------


def test_save_writes_a_300_dpi_png_and_a_pdf(km_figure, tmp_path):
    paths = figures.save(km_figure, tmp_path / "sub" / "figure1a.os")
    assert paths == [tmp_path / "sub" / "figure1a.os.png", tmp_path / "sub" / "figure1a.os.pdf"]
    width, height = km_figure.get_size_inches()
    with Image.open(paths[0]) as png:
        assert png.format == "PNG" and png.mode == "RGBA"
        assert png.size == (int(width * 300), int(height * 300))
        assert png.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        assert png.info["Software"] == f"cartsie {__version__}"
    pdf = paths[1].read_bytes()
    assert pdf.startswith(b"%PDF-1.") and pdf.rstrip().endswith(b"%%EOF")
    assert f"(cartsie {__version__})".encode() in pdf and b"/CreationDate" not in pdf
    box = re.search(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", pdf)
    assert (float(box[1]), float(box[2])) == pytest.approx((width * 72, height * 72), abs=0.01)


def test_the_png_holds_matplotlibs_own_pixels(km_figure, tmp_path):
    """cartsie's PNG writer stores what matplotlib's Agg draws, pixel for pixel."""
    path = figures.save(km_figure, tmp_path / "km", formats=("png",), dpi=120)[0]
    reference = io.BytesIO()
    with styled():
        km_figure.savefig(reference, format="png", dpi=120)
    with Image.open(path) as ours, Image.open(reference) as theirs:
        assert ours.size == theirs.size
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs.convert("RGBA")))
    assert km_figure.dpi == 100 and isinstance(km_figure.canvas, type(Figure().canvas))  # put back


def test_two_saves_are_byte_identical(km, tmp_path):
    a = figures.save(figures.km_plot(km, landmark=12), tmp_path / "a", formats=("png", "pdf", "svg"))
    b = figures.save(figures.km_plot(km, landmark=12), tmp_path / "b", formats=("png", "pdf", "svg"))
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes(), x.suffix


def test_png_drawn_before_the_pdf_holds_the_same_pixels(km_figure, tmp_path):
    """The PNG is compressed in a thread while the PDF is drawn: its pixels are still Agg's of the
    figure as it was (the PDF drawing does not touch them)."""
    png_first = figures.save(km_figure, tmp_path / "a", formats=("png", "pdf"), dpi=120)[0]
    png_alone = figures.save(km_figure, tmp_path / "b", formats=("png",), dpi=120)[0]
    assert png_first.read_bytes() == png_alone.read_bytes()


def test_an_error_writing_the_png_is_raised_to_the_caller(km_figure, tmp_path, monkeypatch):
    from cartsie.figures import _save

    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(_save, "png_bytes", broken)
    with pytest.raises(OSError, match="disk full"):
        figures.save(km_figure, tmp_path / "km", formats=("png", "pdf"))


def test_save_refuses_unknown_formats_and_bad_dpi(km_figure, tmp_path):
    with pytest.raises(InputError, match="formats must be some of png, pdf, svg"):
        figures.save(km_figure, tmp_path / "x", formats=("png", "jpg"))
    with pytest.raises(InputError, match="dpi must be a positive number"):
        figures.save(km_figure, tmp_path / "x", dpi=0)


def test_a_png_of_any_figure_is_written_at_its_size(tmp_path):
    """A figure that is not cartsie's (transparent, odd size) is written too, its alpha kept."""
    fig = Figure(figsize=(1.23, 0.77))
    fig.patch.set_alpha(0.0)
    fig.add_axes((0.1, 0.1, 0.8, 0.8)).plot([0, 1], [0, 1])
    path = figures.save(fig, tmp_path / "odd", formats=("png",), dpi=200)[0]
    with Image.open(path) as png:
        assert png.size == (int(1.23 * 200), int(0.77 * 200))
        alpha = np.asarray(png)[:, :, 3]
    assert alpha.min() == 0 and alpha.max() == 255
    fig.dpi = 200
    with styled():
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
    np.testing.assert_array_equal(np.asarray(Image.open(path)), np.asarray(canvas.buffer_rgba()))


# --------------------------------------------------------------------------------------------
# the flow diagram
# --------------------------------------------------------------------------------------------


def test_flow_diagram_shows_every_count(example):
    fig = figures.flow_diagram(example.flow, example.exclusions)
    steps = texts(fig, "step")
    assert steps == [
        x for step, n in zip(example.flow["step"], example.flow["n"], strict=True) for x in (step, f"n = {n}")
    ]
    excluded = [t.get_text() for t in by_gid(fig, "excluded")]
    expected = example.flow[example.flow["excluded"] > 0]
    assert [t.split("\n")[0] for t in excluded] == [f"Excluded n = {k}" for k in expected["excluded"]]
    assert "histology MCL (not LBCL): 1" in excluded[1] and "missing baseline ferritin: 1" in excluded[2]


def test_flow_diagram_without_exclusions_shows_the_flow_reasons(example):
    fig = figures.flow_diagram(example.flow)
    excluded = [t.get_text().split("\n") for t in by_gid(fig, "excluded")]
    assert excluded[0] == ["Excluded n = 1", "not infused (1)"]


def test_flow_diagram_boxes_go_down_in_order(example):
    fig = figures.flow_diagram(example.flow, example.exclusions)
    ys = [t.get_position()[1] for t in by_gid(fig, "step")]
    assert ys == sorted(ys, reverse=True) and len(set(np.round(np.diff(ys), 9))) == 1


def test_flow_diagram_needs_the_flow_columns():
    with pytest.raises(InputError, match="flow lacks the columns"):
        figures.flow_diagram(pd.DataFrame({"step": ["a"], "n": [3]}))


def test_importing_the_figures_does_not_import_the_prognostic_statistics():
    """The calibration plot, decision curve and power curve import cartsie.prognostic when drawn,
    so that `import cartsie.figures` (done by every run before its fork) stays light."""
    import subprocess

    code = "import sys, cartsie.figures; print('cartsie.prognostic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
