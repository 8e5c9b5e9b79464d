"""ROC curves and forest plots draw their results' numbers: sensitivity and 1 - specificity at every
threshold, the AUC of ``discrimination.auc``, and each model's ratios and CIs (or a regression
table's), with reference levels and infinite estimates said in words."""

import warnings

import numpy as np
import pandas as pd
import pytest

from cartsie import figures, study, synthetic
from cartsie.adjust import lp_adjusted
from cartsie.binary import logistic
from cartsie.competing import fine_gray
from cartsie.discrimination import auc
from cartsie.errors import InputError, MissingValuesWarning
from cartsie.format import format_ci, format_p, format_ratio
from cartsie.survival import cox
from cartsie.tables import regression_table
from tests._figures_util import by_gid, one, texts


@pytest.fixture(scope="module")
def ht():
    return study.population(synthetic.cartsie_like(seed=2024), "ht")


# --------------------------------------------------------------------------------------------
# ROC
# --------------------------------------------------------------------------------------------


def by_hand(y, s):
    """(1 - specificity, sensitivity) for 'case when score >= c' at every distinct score, from
    the highest, after (0, 0)."""
    y, s = np.asarray(y, float), np.asarray(s, float)
    points = [(0.0, 0.0)]
    for c in sorted(set(s), reverse=True):
        sens = np.mean(s[y == 1] >= c)
        spec = np.mean(s[y == 0] < c)
        points.append((1 - spec, sens))
    return np.array(points)


def test_roc_curve_passes_through_every_threshold(ht):
    y, s = ht["os_event"].to_numpy(float), ht["ht_score"].to_numpy(float)
    fig = figures.roc_plot(y, s)
    line = one(fig, "roc")
    np.testing.assert_allclose(np.c_[line.get_xdata(), line.get_ydata()], by_hand(y, s), rtol=0, atol=1e-15)
    assert line.get_xdata()[-1] == line.get_ydata()[-1] == 1.0
    assert one(fig, "chance").get_xydata().tolist() == [[0, 0], [1, 1]]
    # the area under the drawn polyline is the AUC (ties count one half: the diagonal segments)
    x, yy = line.get_xdata(), line.get_ydata()
    assert np.sum(np.diff(x) * (yy[1:] + yy[:-1]) / 2) == pytest.approx(auc(y, s).auc, abs=1e-12)
    assert by_gid(fig, "operating_point") == []  # a score of several values: none unless asked


def test_roc_prints_the_auc_and_its_delong_ci(ht):
    y, s = ht["os_event"], ht["ht_score"]
    a = auc(y, s)
    fig = figures.roc_plot(y, s, label="HT score")
    assert texts(fig, "annotation") == [
        "HT score",
        f"AUC {a.auc:.2f} (95% CI {format_ci(a.ci_lower, a.ci_upper, parentheses=False)})",
    ]
    given = auc(y, s, conf_level=0.9)
    assert texts(figures.roc_plot(y, s, auc=given), "annotation") == [
        f"AUC {given.auc:.2f} (90% CI {format_ci(given.ci_lower, given.ci_upper, parentheses=False)})"
    ]


def test_roc_of_a_binary_score_is_two_segments_through_its_operating_point():
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1])
    s = np.array([1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0])
    sens, spec = 4 / 6, 4 / 6  # cases scored 1: 4 of 6; controls scored 0: 4 of 6
    fig = figures.roc_plot(y, s)
    line = one(fig, "roc")
    assert line.get_xdata().tolist() == pytest.approx([0, 1 - spec, 1])
    assert line.get_ydata().tolist() == pytest.approx([0, sens, 1])
    point = one(fig, "operating_point")
    assert (point.get_xdata()[0], point.get_ydata()[0]) == pytest.approx((1 - spec, sens))
    a = auc(y, s)
    assert a.auc == pytest.approx((sens + spec) / 2)
    assert texts(fig, "annotation") == [
        f"AUC {a.auc:.2f} (95% CI {format_ci(a.ci_lower, a.ci_upper, parentheses=False)})",
        "Sensitivity 67%, specificity 67%",
    ]


def test_roc_direction_and_threshold():
    """A score lower in cases (direction ">"): the curve of -score; a chosen cut-off is marked."""
    y = np.array([0, 0, 0, 1, 1, 1, 0, 1])
    s = np.array([0.9, 0.6, 0.65, 0.2, 0.3, 0.7, 0.5, 0.1])
    fig = figures.roc_plot(y, s, direction=">", threshold=0.3)
    line = one(fig, "roc")
    np.testing.assert_allclose(np.c_[line.get_xdata(), line.get_ydata()], by_hand(y, -s))
    sens = np.mean(s[y == 1] <= 0.3)
    spec = np.mean(s[y == 0] > 0.3)
    point = one(fig, "operating_point")
    assert (point.get_xdata()[0], point.get_ydata()[0]) == pytest.approx((1 - spec, sens))
    assert texts(fig, "annotation")[1] == f"Sensitivity {100 * sens:.0f}%, specificity {100 * spec:.0f}%"
    assert texts(fig, "annotation")[0].startswith(f"AUC {auc(y, s, direction='>').auc:.2f}")


def test_roc_leaves_out_missing_pairs_as_auc_does():
    y = [1, 0, None, 1, 0, 1, 0]
    s = [3, 1, 2, np.nan, 2, 2, 0]
    fig = figures.roc_plot(y, s)
    line = one(fig, "roc")
    np.testing.assert_allclose(
        np.c_[line.get_xdata(), line.get_ydata()], by_hand([1, 0, 0, 1, 0], [3, 1, 2, 2, 0])
    )
    with pytest.raises(InputError, match="both cases"):
        figures.roc_plot([1, 1, 1], [1, 2, 3])


# --------------------------------------------------------------------------------------------
# forest plots
# --------------------------------------------------------------------------------------------


def drawn_rows(fig):
    """(y, estimate, lower, upper) of every point and CI segment drawn."""
    points = one(fig, "estimate").get_offsets()
    segments = one(fig, "ci").get_segments()
    assert len(points) == len(segments)
    for (_, y), seg in zip(points, segments, strict=True):
        assert seg[0][1] == seg[1][1] == y
    return [(y, x, seg[0][0], seg[1][0]) for (x, y), seg in zip(points, segments, strict=True)]


def test_forest_plot_of_a_frame():
    rows = pd.DataFrame(
        {
            "label": ["HT high", "age"],
            "estimate": [2.82, 1.01],
            "ci_lower": [1.03, 0.99],
            "ci_upper": [7.76, 1.03],
            "p_value": [0.04, 0.5],
        }
    )
    fig = figures.forest_plot(rows)
    assert drawn_rows(fig) == [(0, 2.82, 1.03, 7.76), (1, 1.01, 0.99, 1.03)]
    assert texts(fig, "label") == ["HT high", "age"]
    assert texts(fig, "ratio") == ["2.82 (1.03-7.76)", "1.01 (0.99-1.03)"]
    assert texts(fig, "p") == [".04", ".50"]
    assert texts(fig, "heading") == ["Ratio (95% CI)", "p"]
    assert one(fig, "reference").get_xdata() == [1.0, 1.0]
    assert fig.axes[0].get_xscale() == "log"
    lo, hi = fig.axes[0].get_xlim()
    assert lo < 0.99 and hi > 7.76  # every CI inside the axis


def test_forest_plot_of_a_cox_model(ht):
    fit = cox(
        ht, "os_months", "os_event", ["ht_group", "age", "stage_advanced"], reference={"ht_group": "low"}
    )
    fig = figures.forest_plot(fit, labels={"ht_group": "HT score", "age": "Age (per year)"})
    s = fit.summary
    assert drawn_rows(fig) == [
        (i, s["hr"].iloc[i], s["ci_lower"].iloc[i], s["ci_upper"].iloc[i]) for i in range(len(s))
    ]
    assert texts(fig, "label") == ["HT score: high", "Age (per year)", "stage_advanced"]
    assert texts(fig, "ratio") == [
        f"{format_ratio(r.hr)} {format_ci(r.ci_lower, r.ci_upper)}" for r in s.itertuples()
    ]
    assert texts(fig, "p") == [format_p(p) for p in s["p_value"]]
    assert fig.axes[0].get_xlabel() == "Hazard ratio (95% CI)"
    assert texts(fig, "heading")[0] == "HR (95% CI)"


def test_forest_plot_of_logistic_fine_gray_and_lp_adjusted_models(ht):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)
        lg = logistic(ht, "late_icaht_severe", ["ht_high", "age"], conf_level=0.9)
        fg = fine_gray(ht, "nrm_months", "nrm_event", ["simple_ht_high"])
        lp = lp_adjusted(
            ht, "ht_high", ["stage_advanced", "bulky"], time="os_months", event="os_event", model="cox"
        )
    fig = figures.forest_plot(lg)
    assert texts(fig, "label") == ["ht_high", "age"]  # no intercept
    assert [r[1] for r in drawn_rows(fig)] == lg.summary.loc[["ht_high", "age"], "odds_ratio"].tolist()
    assert fig.axes[0].get_xlabel() == "Odds ratio (90% CI)"
    fig = figures.forest_plot(fg)
    assert drawn_rows(fig) == [(0, *fg.summary.loc["simple_ht_high", ["shr", "ci_lower", "ci_upper"]])]
    assert fig.axes[0].get_xlabel() == "Subdistribution hazard ratio (95% CI)"
    fig = figures.forest_plot(lp, labels={"ht_high": "HT high (adjusted)"})
    assert texts(fig, "label") == ["HT high (adjusted)"]
    assert drawn_rows(fig) == [(0, *lp.summary.loc["ht_high", ["hr", "ci_lower", "ci_upper"]])]


def test_forest_plot_of_a_regression_table(ht):
    os_fit = cox(ht, "os_months", "os_event", ["ht_group", "age"], reference={"ht_group": "low"})
    pfs_fit = cox(ht, "pfs_months", "pfs_event", ["ht_group", "age"], reference={"ht_group": "low"})
    table = regression_table(os_fit, pfs_fit, titles=["OS", "PFS"])
    labels = {"ht_group": "HT score", "ht_group[high]": "high score"}
    fig = figures.forest_plot(table, labels=labels)
    assert texts(fig, "label") == ["HT score", "low", "high score", "OS", "PFS", "age", "OS", "PFS"]
    assert texts(fig, "ratio")[0] == "Reference"
    stats = table.stats[~table.stats["reference"]]
    assert drawn_rows(fig) == [
        (y, r.ratio, r.ci_lower, r.ci_upper) for y, r in zip((3, 4, 6, 7), stats.itertuples(), strict=True)
    ]
    colors = one(fig, "estimate").get_facecolors()
    assert len({tuple(c) for c in colors}) == 2  # one colour per model
    one_model = figures.forest_plot(table, model="PFS")
    assert texts(one_model, "label") == ["ht_group", "low", "high", "age"]
    pfs = stats[stats["model"] == "PFS"]
    assert drawn_rows(one_model) == [
        (y, r.ratio, r.ci_lower, r.ci_upper) for y, r in zip((2, 3), pfs.itertuples(), strict=True)
    ]
    assert one_model.axes[0].get_xlabel() == "Hazard ratio (95% CI)"
    with pytest.raises(InputError, match="no model titled 'DFS'"):
        figures.forest_plot(table, model="DFS")


def test_forest_plot_says_not_estimable_and_draws_no_point():
    rows = pd.DataFrame(
        {
            "label": ["finite", "infinite", "missing", "open CI"],
            "hr": [2.0, np.inf, np.nan, 3.0],
            "ci_lower": [1.5, np.nan, np.nan, 1.2],
            "ci_upper": [2.5, np.nan, np.nan, np.inf],
        }
    )
    fig = figures.forest_plot(rows)
    ys = [r[0] for r in drawn_rows(fig)]
    assert ys == [0, 3]
    assert texts(fig, "ratio") == ["2.00 (1.50-2.50)", "not estimable", "not estimable", "3.00 (1.20-∞)"]
    assert fig.axes[0].get_xlabel() == "Hazard ratio (95% CI)"
    (arrow,) = by_gid(fig, "ci_arrow")  # the open CI runs to the edge of the axis, with a head
    assert arrow.get_xdata()[0] == fig.axes[0].get_xlim()[1] and arrow.get_ydata()[0] == 3


def test_forest_plot_refuses_what_it_cannot_draw():
    with pytest.raises(InputError, match="cannot draw a list"):
        figures.forest_plot([1, 2])
    with pytest.raises(InputError, match="no estimate column"):
        figures.forest_plot(pd.DataFrame({"label": ["a"], "ci_lower": [1.0], "ci_upper": [2.0]}))


def test_forest_plot_of_a_regression_table_names_rows_as_the_table_prints_them(ht):
    fit = cox(ht, "os_months", "os_event", ["ht_group", "age"], reference={"ht_group": "low"})
    table = regression_table(
        fit, labels={"ht_group": "HT score", "ht_group[high]": "High", "age": "Age, years"}
    )
    assert texts(figures.forest_plot(table), "label") == ["HT score", "low", "High", "Age, years"]
    # the caller's labels win over the table's
    assert texts(figures.forest_plot(table, labels={"age": "Age"}), "label") == [
        "HT score",
        "low",
        "High",
        "Age",
    ]
