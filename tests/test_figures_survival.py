"""Kaplan-Meier and cumulative incidence figures draw their results' numbers: the curves, bands and
censoring marks of ``curves``, numbers at risk equal to a direct count, landmark estimates of
``at()``, and the p-values and ratios the caller passes, formatted as the paper prints them."""

import numpy as np
import pandas as pd
import pytest

from cartsie import cohort, figures, study, synthetic
from cartsie.competing import cumulative_incidence
from cartsie.datasets import example_path
from cartsie.errors import InputError
from cartsie.format import format_ci, format_p
from cartsie.survival import kaplan_meier
from tests._figures_util import by_gid, clipped, drawn, one, texts


@pytest.fixture(scope="module")
def example():
    return cohort.load(example_path("example_patients.csv"), example_path("example_labs.csv"))


@pytest.fixture(scope="module")
def ht():
    return study.population(synthetic.cartsie_like(seed=2024), "ht")


@pytest.fixture(scope="module")
def km(ht):
    return kaplan_meier(ht, "os_months", "os_event", group="ht_group")


def at_risk(df, time, group, levels, times):
    """The number at risk by hand: patients of each group still followed at t (time >= t)."""
    return {g: [int((df.loc[df[group] == g, time] >= t).sum()) for t in times] for g in levels}


def percent(estimate, lower, upper):
    """``"78% (72-83)"`` by hand: the estimate and its CI in whole percent."""
    return f"{100 * estimate:.0f}% {format_ci(100 * lower, 100 * upper, 0)}"


def risk_rows(fig, n_groups):
    """The risk table as printed: one list of numbers per group, from its columns."""
    columns = [t.get_text().split("\n") for t in by_gid(fig, "risk")]
    assert all(len(c) == n_groups for c in columns)
    return [[int(c[row]) for c in columns] for row in range(n_groups)]


# --------------------------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------------------------


def test_km_plot_draws_the_curves_bands_and_censoring_marks_of_the_fit(km):
    fig = figures.km_plot(km)
    curves = km.curves
    for g in km.groups:
        c = curves[curves["group"] == g]
        x, y = figures.step_curve(c["time"], c["survival"])
        line = one(fig, f"curve:{g}")
        np.testing.assert_array_equal(line.get_xdata(), x)
        np.testing.assert_array_equal(line.get_ydata(), y)
        band = one(fig, f"band:{g}").get_paths()[0].vertices
        lo = figures.step_curve(c["time"], c["ci_lower"].fillna(c["survival"]))[1]
        hi = figures.step_curve(c["time"], c["ci_upper"].fillna(c["survival"]))[1]
        # fill_between's polygon: along the lower limits, back along the upper ones
        assert set(zip(band[:, 0], band[:, 1], strict=True)) >= set(zip(x, lo, strict=True)) | set(
            zip(x, hi, strict=True)
        )
        marks = one(fig, f"censor:{g}")
        censored = c[c["n_censor"] > 0]
        np.testing.assert_array_equal(marks.get_xdata(), censored["time"])
        np.testing.assert_array_equal(marks.get_ydata(), censored["survival"])
        assert marks.get_marker() == "|"


def test_km_risk_table_counts_the_patients_still_followed(ht, km):
    fig = figures.km_plot(km)
    ticks = fig.axes[0].get_xticks()
    expected = at_risk(ht, "os_months", "ht_group", km.groups, ticks)
    assert risk_rows(fig, 2) == [expected["low"], expected["high"]]
    assert risk_rows(fig, 2) == [km.at(ticks).query("group == @g")["n_risk"].tolist() for g in km.groups]
    assert [one(fig, f"risk_label:{g}").get_text() for g in km.groups] == ["low", "high"]


def test_km_plot_on_the_example_cohort(example):
    """simpleHT high: 5 at risk, deaths at 5.2, 6.8, 12.2, 17.3 months."""
    pop = study.population(example, "simple_ht")
    km = kaplan_meier(pop, "os_months", "os_event", group="simple_ht_group")
    fig = figures.km_plot(km, risk_times=[0, 6, 12, 18, 24], labels={"low": "low", "high": "high"})
    assert fig.axes[0].get_xticks().tolist() == [0, 6, 12, 18, 24]
    assert km.groups == ["low", "high"]
    assert risk_rows(fig, 2)[1] == [5, 4, 3, 1, 1]
    assert risk_rows(fig, 2) == list(
        at_risk(pop, "os_months", "simple_ht_group", km.groups, [0, 6, 12, 18, 24]).values()
    )


def test_km_landmark_line_and_estimates(km):
    fig = figures.km_plot(km, labels={"low": "HT low", "high": "HT high"}, landmark=12)
    assert one(fig, "landmark").get_xdata() == [12, 12]
    at = km.at([12]).set_index("group")
    expected = []
    for g, name in (("low", "HT low"), ("high", "HT high")):
        r = at.loc[g]
        expected.append(f"{name} 1-year: {percent(r['survival'], r['ci_lower'], r['ci_upper'])}")
    assert texts(fig, "annotation") == expected
    assert [t.get_color() for t in by_gid(fig, "annotation")] == list(figures.PALETTE[:2])


def test_km_landmarks_of_one_curve_and_beyond_follow_up(ht):
    km = kaplan_meier(ht, "pfs_months", "pfs_event")
    last = float(km.curves["time"].max())
    fig = figures.km_plot(km, landmark=[24, 6, last + 1])
    at = km.at([6, 24]).set_index("time")[["survival", "ci_lower", "ci_upper"]]
    assert texts(fig, "annotation") == [
        f"6-month: {percent(*at.loc[6])}",
        f"2-year: {percent(*at.loc[24])}",
        f"{last + 1:g}-month: beyond follow-up",
    ]
    assert [line.get_xdata()[0] for line in by_gid(fig, "landmark")] == [6, 24, last + 1]
    assert by_gid(fig, "legend:all") == []  # one curve: no legend
    assert one(fig, "risk_label:all").get_text() == "All patients"


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0023, "log-rank p = .002"),
        (0.00001, "log-rank p < .001"),
        (0.64, "log-rank p = .64"),
        (np.nan, "log-rank p not estimable"),
    ],
)
def test_km_p_value_is_printed_as_the_paper_does(km, p, text):
    assert texts(figures.km_plot(km, p_value=p), "annotation") == [text]


def test_km_hazard_ratio_line(km):
    fig = figures.km_plot(km, hr=(2.4512, 1.6049, 3.7466), hr_label="HR high vs low")
    assert texts(fig, "annotation") == ["HR high vs low 2.45 (95% CI 1.60-3.75)"]
    fig = figures.km_plot(km, labels={"low": "HT low", "high": "HT high"}, hr=(2.0, 1.0, np.inf))
    assert texts(fig, "annotation") == ["HR HT high vs HT low 2.00 (95% CI 1.00-∞)"]
    fig = figures.km_plot(km, hr=(np.inf, np.nan, np.nan), p_value=0.03, annotation="Cox model\nstratified")
    assert texts(fig, "annotation") == [
        "log-rank p = .03",
        "HR high vs low ∞ (CI not estimable)",
        "Cox model",
        "stratified",
    ]
    with pytest.raises(InputError, match="as \\(estimate, lower, upper\\)"):
        figures.km_plot(km, hr=(2.0, 1.0))


def test_km_axis_labels_and_title(km):
    fig = figures.km_plot(km)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title(loc="left")) == (
        "Months since infusion",
        "Probability",
        "",
    )
    assert [t.get_text() for t in by_gid(fig, "xlabel")] == ["Months since infusion"]
    fig = figures.km_plot(km, xlabel="Months since response", title="Duration of response")
    assert fig.axes[0].get_xlabel() == "Months since response"
    assert fig.axes[0].get_title(loc="left") == "Duration of response"
    assert [t.get_text() for t in by_gid(fig, "yticklabel")] == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]


def test_km_axis_end_and_tick_step(km):
    fig = figures.km_plot(km, xmax=24)
    assert fig.axes[0].get_xlim() == (0, 24) and fig.axes[0].get_xticks().tolist() == [0, 6, 12, 18, 24]
    fig = figures.km_plot(km, tick_every=12, risk_table=False)
    ticks = fig.axes[0].get_xticks()
    assert np.all(np.diff(ticks) == 12) and by_gid(fig, "risk") == []
    with pytest.raises(InputError, match="tick_every must be a positive"):
        figures.km_plot(km, tick_every=0)


# --------------------------------------------------------------------------------------------
# cumulative incidence
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nrm_data(ht):
    """NRM by simpleHT group, with a few rows missing a time or a group (left out by the fit)."""
    df = ht[["nrm_months", "nrm_event", "simple_ht_group"]].copy()
    df.iloc[[0, 5], 0] = np.nan
    df.iloc[[7], 2] = None
    return df


@pytest.fixture(scope="module")
def nrm(nrm_data):
    return cumulative_incidence(nrm_data, "nrm_months", "nrm_event", group="simple_ht_group")


def test_cif_plot_draws_the_curves_of_the_cause(nrm):
    for cause in (1, 2):
        fig = figures.cif_plot(nrm, cause=cause)
        curves = nrm.curves[nrm.curves["cause"] == cause]
        for g in nrm.groups:
            c = curves[curves["group"] == g]
            x, y = figures.step_curve(c["time"], c["estimate"])
            np.testing.assert_array_equal(one(fig, f"curve:{g}").get_xdata(), x)
            np.testing.assert_array_equal(one(fig, f"curve:{g}").get_ydata(), y)
        top = max(curves["estimate"].max(), curves["ci_upper"].max())
        assert fig.axes[0].get_ylim()[1] >= top
        assert fig.axes[0].get_ylabel() == "Cumulative incidence"
    assert figures.cif_plot(nrm).axes[0].get_ylim()[1] < figures.cif_plot(nrm, cause=2).axes[0].get_ylim()[1]


def test_cif_risk_table_counts_the_patients_still_followed(nrm_data, nrm):
    fig = figures.cif_plot(nrm, df=nrm_data)
    ticks = fig.axes[0].get_xticks()
    assert np.all(np.diff(ticks) == 6)
    complete = nrm_data.dropna()
    expected = at_risk(complete, "nrm_months", "simple_ht_group", nrm.groups, ticks)
    assert risk_rows(fig, 2) == [expected[g] for g in nrm.groups]
    assert risk_rows(fig, 2)[0][0] + risk_rows(fig, 2)[1][0] == nrm.n == len(nrm_data) - 3
    # the same layout as under a Kaplan-Meier plot
    complete = complete.assign(any_event=(complete["nrm_event"] > 0).astype(int))
    km = figures.km_plot(kaplan_meier(complete, "nrm_months", "any_event", group="simple_ht_group"))
    assert risk_rows(km, 2) == risk_rows(fig, 2)  # everyone without an event of any cause yet
    assert one(fig, "risk_title").get_text() == one(km, "risk_title").get_text() == "Number at risk"
    assert by_gid(fig, "risk")[0].get_position()[1] == pytest.approx(by_gid(km, "risk")[0].get_position()[1])


def test_cif_risk_table_needs_the_data_of_the_fit(nrm_data, nrm):
    assert by_gid(figures.cif_plot(nrm), "risk") == []  # without df: no table
    with pytest.raises(InputError, match="complete rows in group 'low' but the curves were computed from"):
        figures.cif_plot(nrm, df=nrm_data.iloc[20:])
    with pytest.raises(InputError, match="lacks the columns"):
        figures.cif_plot(nrm, df=nrm_data.drop(columns="nrm_event"))


def test_cif_p_value_landmark_and_labels(nrm_data, nrm):
    labels = {"low": "simpleHT low", "high": "simpleHT high"}
    fig = figures.cif_plot(nrm, df=nrm_data, labels=labels, p_value=nrm.tests.loc[1, "p_value"], landmark=24)
    at = nrm.at([24], cause=1).set_index("group")[["estimate", "ci_lower", "ci_upper"]]
    expected = [f"{labels[g]} 2-year: {percent(*at.loc[g])}" for g in nrm.groups]
    p = nrm.tests.loc[1, "p_value"]
    p_text = f"Gray's test p = {format_p(p)}" if p >= 0.001 else "Gray's test p < .001"
    assert texts(fig, "annotation") == [*expected, p_text]
    assert one(fig, "landmark").get_xdata() == [24, 24]
    assert [t.get_text() for t in by_gid(fig, "legend:low") if hasattr(t, "get_text")] == ["simpleHT low"]


def test_cif_plot_of_bare_curves_keeps_the_old_contract():
    curves = pd.DataFrame(
        {
            "group": ["a", "a", "b"],
            "time": [2.0, 5.0, 3.0],
            "estimate": [0.1, 0.25, 0.2],
            "ci_lower": [0.02, 0.1, 0.05],
            "ci_upper": [0.3, 0.45, 0.5],
        }
    )
    fig = figures.cif_plot(curves, landmark=4)
    assert one(fig, "curve:a").get_ydata().tolist() == [0.0, 0.0, 0.1, 0.1, 0.25]
    assert fig.axes[0].get_ylim()[1] == 0.6  # the first round limit above 1.05 x the highest band
    assert texts(fig, "annotation") == ["a 4-month: 10% (2-30)", "b 4-month: beyond follow-up"]
    with pytest.raises(InputError, match="needs the CumulativeIncidence result"):
        figures.cif_plot(curves, df=curves)


def test_cif_headroom_for_the_annotation():
    """Low incidences: the y axis grows until the annotation block finds a corner free of curves."""
    curves = pd.DataFrame(
        {
            "group": ["a"] * 3 + ["b"] * 3,
            "time": [0.0, 1.0, 40.0, 0.0, 1.0, 40.0],
            "estimate": [0.0, 0.09, 0.09, 0.0, 0.01, 0.01],
        }
    )
    fig = figures.cif_plot(curves, p_value=0.2, annotation="a first line\na second line\na third line")
    assert fig.axes[0].get_ylim()[1] == 0.15  # at 0.1 curve a fills the top and b the bottom
    assert figures.cif_plot(curves, ylim=0.1).axes[0].get_ylim()[1] == 0.1


def test_an_annotation_crossing_a_landmark_line_is_drawn_on_white(nrm):
    """NRM by simpleHT: the curves leave two corners free, the upper left (where the 12-month line
    runs) and the upper right (where the 50-month line runs): the block must cross a line."""
    fig = figures.cif_plot(nrm, landmark=(12, 50), p_value=0.001)
    blocks = by_gid(fig, "annotation")
    line_x = fig.axes[0].transData.transform((12, 0))[0]
    renderer = drawn(fig)
    crossing = [
        t for t in blocks if t.get_window_extent(renderer).x0 < line_x < t.get_window_extent(renderer).x1
    ]
    assert crossing, "the block crosses the landmark line in this figure"
    for t in blocks:
        patch = t.get_bbox_patch()
        assert patch is not None and patch.get_facecolor()[:3] == (1.0, 1.0, 1.0)
        assert all(t.get_zorder() > line.get_zorder() for line in by_gid(fig, "landmark"))
    # a block clear of the landmark lines has no background
    free = figures.cif_plot(nrm, p_value=0.001)
    assert all(t.get_bbox_patch() is None for t in by_gid(free, "annotation"))


def test_km_plot_of_a_given_size_keeps_its_layout(km):
    fig = figures.km_plot(km, figsize=(7.0, 6.0), landmark=12)
    assert tuple(fig.get_size_inches()) == (7.0, 6.0)
    assert clipped(fig) == []


def test_one_cumulative_incidence_curve_with_its_risk_table(nrm_data):
    ci = cumulative_incidence(nrm_data, "nrm_months", "nrm_event")
    fig = figures.cif_plot(ci, df=nrm_data, landmark=12)
    ticks = fig.axes[0].get_xticks()
    complete = nrm_data[["nrm_months", "nrm_event"]].dropna()  # the group column is not used here
    assert risk_rows(fig, 1) == [[int((complete["nrm_months"] >= t).sum()) for t in ticks]]
    assert one(fig, "risk_label:all").get_text() == "All patients"
    assert texts(fig, "annotation") == [
        f"1-year: {percent(*ci.at([12]).iloc[0][['estimate', 'ci_lower', 'ci_upper']])}"
    ]


def test_groups_that_are_not_strings(ht):
    df = ht.assign(arm=ht["ht_high"].astype(int))
    km = kaplan_meier(df, "os_months", "os_event", group="arm")
    fig = figures.km_plot(km, labels={0: "low", 1: "high"}, hr=(2.0, 1.5, 2.7))
    assert [one(fig, f"risk_label:{g}").get_text() for g in km.groups] == ["low", "high"]
    assert texts(fig, "annotation") == ["HR high vs low 2.00 (95% CI 1.50-2.70)"]
    assert risk_rows(fig, 2) == list(
        at_risk(df, "os_months", "arm", km.groups, fig.axes[0].get_xticks()).values()
    )


def test_a_curve_that_ended_at_zero_stays_at_zero_past_its_last_time():
    df = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0, 5.0, 20.0], "e": [1, 1, 1, 1, 0, 0], "g": list("aaabbb")})
    km = kaplan_meier(df, "t", "e", group="g")
    b = km.at([12]).set_index("group").loc["b", ["survival", "ci_lower", "ci_upper"]]
    assert b["survival"] == pytest.approx(2 / 3)
    assert texts(figures.km_plot(km, landmark=12), "annotation") == [
        "a 1-year: 0%",
        f"b 1-year: {percent(*b)}",
    ]
