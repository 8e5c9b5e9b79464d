"""Figures draw the numbers they are given: curves, counts at risk, flow counts, estimates."""

import sys

import matplotlib
import numpy as np
import pandas as pd
import pytest

from cartsie import cohort, figures, study
from cartsie.datasets import example_path
from cartsie.survival import kaplan_meier


@pytest.fixture(scope="module")
def example():
    return cohort.load(example_path("example_patients.csv"), example_path("example_labs.csv"))


def test_importing_cartsie_leaves_matplotlib_alone():
    """No backend switch and no pyplot at import: the user's notebook backend stays theirs."""
    import subprocess

    code = (
        "import matplotlib, cartsie.figures, cartsie.study.pipeline, sys; "
        "print(matplotlib.get_backend(), 'matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"MPLBACKEND": "svg", "PATH": ""}
    )
    assert out.stdout.split() == ["svg", "False"], out.stderr
    assert matplotlib.get_backend()  # this process untouched too


def test_step_curve_is_right_continuous():
    x, y = figures.step_curve([0, 2, 5], [1.0, 0.8, 0.5])
    assert x.tolist() == [0, 2, 2, 5, 5]
    assert y.tolist() == [1.0, 1.0, 0.8, 0.8, 0.5]


def test_km_plot_draws_the_curves_and_the_risk_table(example):
    km = kaplan_meier(
        study.population(example, "simple_ht"), "os_months", "os_event", group="simple_ht_group"
    )
    fig = figures.km_plot(km, risk_times=[0, 6, 12, 18, 24], labels={"low": "low", "high": "high"})
    ax, table = fig.axes
    curves = km.curves
    for line, group in zip(ax.get_lines()[::2], km.groups, strict=True):
        c = curves[curves["group"] == group]
        x, y = figures.step_curve(c["time"], c["survival"])
        np.testing.assert_array_equal(line.get_xdata(), x)
        np.testing.assert_array_equal(line.get_ydata(), y)
    numbers = [int(t.get_text()) for t in table.texts]
    expected = km.at([0, 6, 12, 18, 24])["n_risk"].tolist()
    assert numbers == expected
    assert km.groups == ["low", "high"], "the cohort orders risk groups low, high"
    assert expected[5:] == [5, 4, 3, 1, 1], "simpleHT high: 5 at risk, deaths at 5.2, 6.8, 12.2, 17.3 months"


def test_cif_plot_steps_through_the_estimates():
    curves = pd.DataFrame(
        {
            "group": ["a", "a", "b"],
            "time": [2.0, 5.0, 3.0],
            "estimate": [0.1, 0.25, 0.2],
            "ci_lower": [0.02, 0.1, 0.05],
            "ci_upper": [0.3, 0.45, 0.5],
        }
    )
    fig = figures.cif_plot(curves)
    line_a = fig.axes[0].get_lines()[0]
    assert line_a.get_ydata().tolist() == [0.0, 0.0, 0.1, 0.1, 0.25]
    assert fig.axes[0].get_ylim()[1] == pytest.approx(0.5 * 1.15 + 0.01)


def test_flow_diagram_shows_every_count(example):
    fig = figures.flow_diagram(example.flow, example.exclusions)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for step, n in zip(example.flow["step"], example.flow["n"], strict=True):
        assert f"{step}\nn = {n}" in texts
    assert "histology MCL (not LBCL): 1" in texts and "missing baseline ferritin: 1" in texts


def test_forest_plot_prints_estimates_and_p():
    rows = pd.DataFrame(
        {"label": ["HT high"], "estimate": [2.82], "ci_lower": [1.03], "ci_upper": [7.76], "p_value": [0.04]}
    )
    fig = figures.forest_plot(rows)
    assert fig.axes[0].texts[0].get_text() == "2.82 (1.03-7.76)  p = .04"
