"""Cumulative incidence vs R's cmprsk::cuminc / timepoints, Gray's tests in ``.tests``, CIs and
identities (sum of the causes = 1 - Kaplan-Meier of any event)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartsie.competing import cumulative_incidence
from cartsie.errors import InputError
from cartsie.survival import kaplan_meier
from tests._competing_ref import fixture, frame, none_if_empty
from tests.reference.tolerances import assert_estimates, assert_p, r_array

CASES = fixture()["cuminc"]


def _id(case: dict) -> str:
    extra = [none_if_empty(case["group"]), none_if_empty(case["strata"])]
    return "-".join([case["data"], *[str(x) for x in extra if x], f"rho{case['rho']}"])


def _fit(case: dict, **kw):
    return cumulative_incidence(
        frame(case["data"]),
        "time",
        "event",
        group=none_if_empty(case["group"]),
        censor_code=case["cencode"],
        strata=none_if_empty(case["strata"]),
        rho=case["rho"],
        **kw,
    )


def _label(res, r_name: str):
    """Our (group, cause) key of a cuminc list name "group cause"."""
    group, cause = r_name.rsplit(" ", 1)
    if res.group is None:
        return res.groups[0], int(cause)
    return next(g for g in res.groups if str(g) == group), int(cause)


@pytest.fixture(scope="module", params=CASES, ids=[_id(c) for c in CASES])
def fitted(request):
    return request.param, _fit(request.param)


def test_curves_match_cuminc(fitted):
    """Jump times, estimates and variances: cuminc's step corners (0, then pairs, then the end)."""
    case, res = fitted
    assert len(case["curves"]) == len(res.groups) * len(res.causes)
    for curve in case["curves"]:
        key = _label(res, curve["name"])
        inc = res._curves[key]
        time = r_array(curve["time"])
        m = (len(time) - 2) // 2  # number of jumps
        post = slice(2, 2 * m + 1, 2)
        assert len(inc.jump_time) == m
        assert_estimates(inc.jump_time, list(time[post]), what=f"{key} time")
        assert_estimates(inc.estimate, list(r_array(curve["est"])[post]), what=f"{key} est")
        assert_estimates(inc.variance, list(r_array(curve["var"])[post]), what=f"{key} var")
        assert inc.last_time == time[-1]


def test_curves_frame_layout(fitted):
    """``.curves`` starts each curve at (0, 0) and carries the last value to the group's last time."""
    case, res = fitted
    curves = res.curves
    for curve in case["curves"]:
        group, cause = _label(res, curve["name"])
        c = curves[(curves["group"] == group) & (curves["cause"] == cause)]
        time, est = r_array(curve["time"]), r_array(curve["est"])
        assert c["time"].iloc[0] == 0 and c["estimate"].iloc[0] == 0
        assert c["time"].iloc[-1] == time[-1]
        assert_estimates([c["estimate"].iloc[-1]], [est[-1]])
        assert np.all(np.diff(c["estimate"]) >= 0)


def test_timepoints(fitted):
    """``.at(times)`` equals timepoints(): value at the last jump at or before t, NA beyond the end."""
    case, res = fitted
    times = r_array(case["times"])
    for name, est, var in zip(case["tp_names"], case["tp_est"], case["tp_var"], strict=True):
        group, cause = _label(res, name)
        at = res.at(times, cause=cause)
        at = at[at["group"] == group]
        assert list(at["time"]) == list(times)
        assert_estimates(at["estimate"], est, what=f"{name} estimate")
        assert_estimates(at["variance"], var, what=f"{name} variance")


def test_gray_tests_per_cause(fitted):
    case, res = fitted
    tests = none_if_empty(case["tests"])
    if tests is None:
        assert res.tests is None
        return
    assert list(res.tests.index) == list(r_array(tests["cause"]).astype(int))
    # cuminc reports a singular variance as stat = -1 (and so p = 1); cartsie gives NaN for both
    singular = r_array(tests["stat"]) == -1
    assert res.tests["statistic"].isna().tolist() == singular.tolist()
    stat = np.where(singular, np.nan, r_array(tests["stat"]))
    assert_estimates(res.tests["statistic"], list(stat), what="Gray statistic")
    assert_p(res.tests["p_value"], list(np.where(singular, np.nan, r_array(tests["pv"]))), what="Gray p")
    assert list(res.tests["df"]) == list(r_array(tests["df"]).astype(int))


def test_one_year_nrm_with_loglog_ci():
    """1-year NRM by group with its CI (the paper's table): log-log CI from cuminc's variance."""
    ref = fixture()["nrm_1y"]
    res = cumulative_incidence(frame("nrm"), "time", "event", group="risk")
    at = res.at(12).set_index("group").loc[ref["group"]]
    assert_estimates(at["estimate"], ref["est"])
    assert_estimates(at["variance"], ref["var"])
    assert_estimates(at["ci_lower"], ref["lower"])
    assert_estimates(at["ci_upper"], ref["upper"])
    assert (at["ci_lower"] < at["estimate"]).all() and (at["estimate"] < at["ci_upper"]).all()


@pytest.mark.parametrize(
    ("conf_type", "conf_level", "lower", "upper"),
    [
        ("log-log", 0.90, "lower90", "upper90"),
        ("log", 0.95, "lower_log", "upper_log"),
        ("plain", 0.95, "lower_plain", "upper_plain"),
    ],
)
def test_other_ci_types_and_levels(conf_type, conf_level, lower, upper):
    ref = fixture()["nrm_1y"]
    res = cumulative_incidence(
        frame("nrm"), "time", "event", group="risk", conf_type=conf_type, conf_level=conf_level
    )
    at = res.at(12).set_index("group").loc[ref["group"]]
    assert_estimates(at["ci_lower"], ref[lower])
    assert_estimates(at["ci_upper"], ref[upper])
    assert res.conf_type == conf_type and res.conf_level == conf_level


def test_ci_undefined_where_estimate_is_zero():
    """log-log and log limits are missing where F = 0 (as survfit where the transform is undefined);
    plain gives 0 to 0."""
    df = frame("ties")
    at = cumulative_incidence(df, "time", "event").at(0.0)
    assert at["estimate"].iloc[0] > 0  # events at time 0
    before = cumulative_incidence(df[df["time"] > 0], "time", "event").at([0.5])
    assert before["estimate"].iloc[0] == 0 and np.isnan(before["ci_lower"].iloc[0])
    plain = cumulative_incidence(df[df["time"] > 0], "time", "event", conf_type="plain").at([0.5])
    assert plain["ci_lower"].iloc[0] == 0 and plain["ci_upper"].iloc[0] == 0


@pytest.mark.parametrize("data", ["ties", "heavy", "spm3", "nrm"])
def test_causes_add_up_to_one_minus_km(data):
    """Sum over causes of F_k(t) = 1 - S(t), S the Kaplan-Meier of the time to any event."""
    df = frame(data)
    res = cumulative_incidence(df, "time", "event")
    times = np.unique(df["time"])
    total = sum(res.at(times, cause=c)["estimate"].to_numpy() for c in res.causes)
    km = kaplan_meier(df.assign(any=(df["event"] != 0).astype(int)), "time", "any").at(times)
    np.testing.assert_allclose(total, 1 - km["survival"].to_numpy(), rtol=1e-12, atol=1e-14)


def test_no_competing_events_gives_one_minus_km():
    df = frame("heavy")
    df = df.assign(event=(df["event"] == 1).astype(int))
    res = cumulative_incidence(df, "time", "event", group="x3")
    km = kaplan_meier(df, "time", "event", group="x3")
    for g in (0, 1):
        t = np.array([1.0, 4.0, 9.0])
        at, km_at = res.at(t), km.at(t)
        f = at[at["group"] == g]["estimate"].to_numpy()
        s = km_at[km_at["group"] == g]["survival"].to_numpy()
        np.testing.assert_allclose(f, 1 - s, rtol=1e-12)


def test_ties_exact_duplicated_rows_same_estimate():
    """Ties are exact (no jitter): every row twice gives the same estimate at every time."""
    df = frame("ties")
    once = cumulative_incidence(df, "time", "event", group="grp3").at(np.arange(14), cause=[1, 2])
    twice = cumulative_incidence(pd.concat([df, df]), "time", "event", group="grp3")
    twice = twice.at(np.arange(14), cause=[1, 2])
    np.testing.assert_allclose(once["estimate"], twice["estimate"], rtol=1e-13)


def test_row_order_and_group_labels_do_not_matter():
    df = frame("heavy")
    a = cumulative_incidence(df, "time", "event", group="grp3")
    shuffled = df.sample(frac=1.0, random_state=np.random.RandomState(7))
    b = cumulative_incidence(shuffled, "time", "event", group="grp3")
    pd.testing.assert_frame_equal(a.at([2, 5], cause=[1, 2]), b.at([2, 5], cause=[1, 2]), rtol=1e-13)
    pd.testing.assert_frame_equal(a.tests, b.tests, rtol=1e-10)


def test_summary_counts_and_missing_rows():
    df = frame("ties").assign(grp=lambda d: d["grp2"].where(d.index % 10 != 3))
    res = cumulative_incidence(df, "time", "event", group="grp")
    kept = df.dropna(subset=["grp"])
    assert res.n_missing == len(df) - len(kept) == 8
    assert res.n == len(kept)
    s = res.summary.set_index(["group", "cause"])
    for (g, c), row in s.iterrows():
        sub = kept[kept["grp"] == g]
        assert row["n"] == len(sub)
        assert row["n_events"] == int((sub["event"] == c).sum())
        assert row["last_time"] == sub["time"].max()


def test_censor_code_and_categorical_group_order():
    """A censoring code other than 0, and groups in the order of a pandas Categorical."""
    df = frame("light")
    df["grp3"] = pd.Categorical(df["grp3"], categories=["r", "q", "p"])
    res = cumulative_incidence(df, "time", "event", group="grp3", censor_code=9, cause=3)
    assert res.groups == ("r", "q", "p")
    assert res.causes == (1, 2, 3)
    assert set(res.at(1.0)["cause"]) == {3}
    ref = next(c for c in CASES if c["data"] == "light")
    at = res.at(r_array(ref["times"]), cause=3)
    for name, est in zip(ref["tp_names"], ref["tp_est"], strict=True):
        group, cause = name.rsplit(" ", 1)
        if cause == "3":
            assert_estimates(at[at["group"] == group]["estimate"], est)


class TestBadInput:
    def test_missing_column(self):
        with pytest.raises(InputError, match="'nope' not found"):
            cumulative_incidence(frame("ties"), "time", "nope")

    def test_negative_time_names_patient(self):
        df = frame("ties").assign(patient_id=[f"P{i}" for i in range(80)])
        df.loc[5, "time"] = -1
        with pytest.raises(InputError, match="negative times at patient_id P5"):
            cumulative_incidence(df, "time", "event")

    def test_non_integer_event_code(self):
        df = frame("ties").astype({"event": float})
        df.loc[3, "event"] = 1.5
        with pytest.raises(InputError, match="not integer event codes"):
            cumulative_incidence(df, "time", "event")

    def test_cause_absent(self):
        with pytest.raises(InputError, match="no event with code 4"):
            cumulative_incidence(frame("ties"), "time", "event", cause=4)

    def test_cause_equals_censor_code(self):
        with pytest.raises(InputError, match="both 0"):
            cumulative_incidence(frame("ties"), "time", "event", cause=0)

    def test_conf_type(self):
        with pytest.raises(InputError, match="conf_type must be one of"):
            cumulative_incidence(frame("ties"), "time", "event", conf_type="arcsin")

    def test_conf_level(self):
        with pytest.raises(InputError, match="conf_level"):
            cumulative_incidence(frame("ties"), "time", "event", conf_level=95)

    def test_at_unknown_cause(self):
        res = cumulative_incidence(frame("ties"), "time", "event")
        with pytest.raises(InputError, match=r"no curve for cause \[3\]"):
            res.at(2, cause=3)

    def test_at_non_numeric_times(self):
        res = cumulative_incidence(frame("ties"), "time", "event")
        with pytest.raises(InputError, match="times must be numbers"):
            res.at(["one year"])
