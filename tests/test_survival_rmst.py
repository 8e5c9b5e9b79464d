"""rmst vs survfit's restricted mean and survRM2's difference formula (tests/reference/rmst.R), and
the area under the Kaplan-Meier curve computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartsie.errors import BeyondFollowupWarning, InputError
from cartsie.survival import kaplan_meier, rmst
from tests.reference.tolerances import assert_estimates, assert_p, load, r_array

REF = load("rmst")


def frame(name: str) -> pd.DataFrame:
    out = {}
    for k, v in REF["data"][name].items():
        try:
            out[k] = r_array(v)
        except KeyError:
            out[k] = v
    return pd.DataFrame(out)


def _group(case):
    return None if case["group"] == "NA" else case["group"]


def _id(case):
    return f"{case['data']}-{case['group']}-tau{case['tau']}-{case['conf_level']}"


@pytest.mark.parametrize("case", REF["rmst"], ids=_id)
def test_rmst_as_survfit(case):
    df = frame(case["data"])
    group = _group(case)
    # "zero": tau = 8 is after group X's last time (7), where its curve has reached 0: no warning
    res = rmst(df, "time", "status", case["tau"], group=group, conf_level=case["conf_level"])
    s = res.summary
    assert list(s.columns) == ["group", "rmst", "std_error", "ci_lower", "ci_upper"]
    what = _id(case)
    assert_estimates(s["rmst"], case["rmean"], what=what + " rmst")
    assert_estimates(s["std_error"], case["se"], what=what + " se")
    assert_estimates(s["ci_lower"], case["lower"], what=what + " lower")
    assert_estimates(s["ci_upper"], case["upper"], what=what + " upper")
    assert res.table["n"].tolist() == r_array(case["n"]).astype(int).tolist()
    assert res.table["events"].tolist() == r_array(case["events"]).astype(int).tolist()
    if group is not None:
        assert [f"{group}={g:g}" if isinstance(g, float) else f"{group}={g}" for g in res.groups] == (
            case["levels"] if isinstance(case["levels"], list) else [case["levels"]]
        )
        ref = case["difference"]
        d = res.difference
        assert_estimates(d["estimate"], ref["estimate"], what=what + " difference")
        assert_estimates(d["std_error"], ref["se"], what=what + " difference se")
        assert_estimates(d["ci_lower"], ref["lower"], what=what + " difference lower")
        assert_estimates(d["ci_upper"], ref["upper"], what=what + " difference upper")
        assert_p(d["p_value"], ref["p"], what=what + " difference p")


def test_rmst_is_the_area_under_the_km_curve():
    df = frame("ties")
    tau = 10.5
    res = rmst(df, "time", "status", tau, group="group")
    km = kaplan_meier(df, "time", "status", group="group")
    for g, row in zip(res.groups, res.summary.itertuples(), strict=True):
        c = km.curves[km.curves["group"] == g]  # step curve from time 0
        start = c["time"].to_numpy()
        stop = np.r_[start[1:], np.inf]
        width = np.clip(np.minimum(stop, tau) - start, 0, None)
        area = float(np.sum(width * c["survival"].to_numpy()))
        assert row.rmst == pytest.approx(area, rel=1e-12)
    # and the KaplanMeier.rmean of the same fit
    assert np.allclose(res.summary["rmst"], km.rmean(tau)["rmean"], rtol=1e-14)
    assert np.allclose(res.summary["std_error"], km.rmean(tau)["se"], rtol=1e-14)


def test_rmst_by_hand_small():
    d = pd.DataFrame({"t": [2, 3, 5, 6, 8, 9], "e": [1, 0, 1, 1, 0, 1]})
    res = rmst(d, "t", "e", tau=6)
    # S = 1 on [0, 2), 5/6 on [2, 5), 5/8 on [5, 6)
    assert res.summary.loc[0, "rmst"] == pytest.approx(2 + 3 * 5 / 6 + 5 / 8, rel=1e-14)
    assert res.summary.loc[0, "group"] == "all"
    with pytest.raises(InputError, match="difference compares groups"):
        _ = res.difference


def test_tau_before_the_first_time_and_beyond_followup():
    d = pd.DataFrame({"t": [2.0, 3, 5, 6, 8, 9], "e": [1, 0, 1, 1, 0, 0]})
    early = rmst(d, "t", "e", tau=1.5)
    assert early.summary.loc[0, "rmst"] == 1.5 and early.summary.loc[0, "std_error"] == 0
    with pytest.warns(BeyondFollowupWarning, match=r"after the last follow-up of all \(last time 9\)"):
        late = rmst(d, "t", "e", tau=12)
    area = 2 + 3 * 5 / 6 + 1 * 5 / 8 + 6 * 5 / 12
    assert late.summary.loc[0, "rmst"] == pytest.approx(area, rel=1e-14)


def test_three_groups_are_compared_with_the_first():
    df = frame("vet")
    res = rmst(df, "time", "status", 200, group="celltype")
    d = res.difference
    assert list(d.index) == ["large - adeno", "smallcell - adeno", "squamous - adeno"]
    s = res.summary.set_index("group")
    assert d.loc["large - adeno", "estimate"] == pytest.approx(
        s.loc["large", "rmst"] - s.loc["adeno", "rmst"]
    )
    assert d["statistic"].to_numpy() == pytest.approx((d["estimate"] / d["std_error"]).to_numpy())


def test_protocol_and_bad_input():
    df = frame("lung")
    res = rmst(df, "time", "status", 365, group="sex")
    assert res.conf_level == 0.95 and res.tau == 365
    assert res.tidy()["term"].tolist() == ["female", "male"]
    assert res.glance().loc[0, "n"] == len(df)
    assert len(repr(res)) < 2000 and "<table" in res._repr_html_()
    for bad in (0, -1, float("nan"), "365", True):
        with pytest.raises(InputError, match="tau must be a positive number"):
            rmst(df, "time", "status", bad)
    with pytest.raises(InputError, match="conf_level"):
        rmst(df, "time", "status", 365, conf_level=95)
