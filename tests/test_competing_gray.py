"""Gray's K-sample test (``gray_test``) vs cmprsk::cuminc's $Tests, and its invariances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cartsie.competing import _gray, gray_test
from cartsie.errors import InputError
from tests._competing_ref import fixture, frame, none_if_empty
from tests.reference.tolerances import assert_estimates, assert_p, r_array

CASES = [c for c in fixture()["cuminc"] if none_if_empty(c["tests"])]


def _rows(case: dict):
    tests = case["tests"]
    causes = r_array(tests["cause"]).astype(int)
    return zip(causes, r_array(tests["stat"]), r_array(tests["pv"]), r_array(tests["df"]), strict=True)


@pytest.mark.parametrize(
    "case",
    CASES,
    ids=[f"{c['data']}-{c['group']}-{none_if_empty(c['strata'])}-rho{c['rho']}" for c in CASES],
)
def test_gray_test_matches_cuminc(case):
    df = frame(case["data"])
    for cause, stat, pv, dof in _rows(case):
        res = gray_test(
            df,
            "time",
            "event",
            case["group"],
            cause=int(cause),
            censor_code=case["cencode"],
            rho=case["rho"],
            strata=none_if_empty(case["strata"]),
        )
        if stat == -1:  # cuminc's mark of a singular variance; cartsie gives NaN
            assert np.isnan(res.statistic) and np.isnan(res.p_value)
            continue
        assert_estimates([res.statistic], [stat], what=f"cause {cause}")
        assert_p([res.p_value], [pv], what=f"cause {cause}")
        assert res.df == dof
        assert res.n == len(df.dropna(subset=["time", "event", case["group"]]))


def test_variance_in_small_chunks_is_the_same(monkeypatch):
    """The variance is accumulated over chunks of times; tiny chunks give R's numbers too."""
    case = next(c for c in CASES if c["data"] == "nrm" and c["rho"] == 0)
    monkeypatch.setattr(_gray, "CHUNK_ELEMENTS", 9 * 7)  # 7 times per chunk with 3 groups
    for cause, stat, pv, _ in _rows(case):
        res = gray_test(frame("nrm"), "time", "event", "risk", cause=int(cause))
        assert_estimates([res.statistic], [stat])
        assert_p([res.p_value], [pv])


def test_p_value_is_chi_square_tail():
    res = gray_test(frame("nrm"), "time", "event", "risk")
    assert res.df == 2
    assert res.p_value == pytest.approx(stats.chi2.sf(res.statistic, 2), rel=1e-12)
    assert "rho = 0" in res.method


def test_group_order_does_not_change_the_statistic():
    """The test uses the scores of the first G - 1 groups; any order of the levels gives the same."""
    df = frame("nrm")
    base = gray_test(df, "time", "event", "risk")
    for order in (["low", "high", "intermediate"], ["intermediate", "low", "high"]):
        d = df.assign(risk=pd.Categorical(df["risk"], categories=order))
        assert gray_test(d, "time", "event", "risk").statistic == pytest.approx(base.statistic, rel=1e-10)


def test_row_order_does_not_matter():
    df = frame("heavy")
    a = gray_test(df, "time", "event", "grp3", cause=2)
    b = gray_test(df.iloc[::-1], "time", "event", "grp3", cause=2)
    assert a.statistic == pytest.approx(b.statistic, rel=1e-12)


def test_identical_groups_give_zero_statistic():
    """Two copies of the same data as two groups: every score is 0."""
    df = frame("ties")
    both = pd.concat([df.assign(copy="a"), df.assign(copy="b")])
    res = gray_test(both, "time", "event", "copy")
    assert abs(res.statistic) < 1e-20
    assert res.p_value == pytest.approx(1.0)


def test_stratum_with_one_group_only_adds_nothing():
    """A stratum holding a single group contributes no score and no variance."""
    df = frame("spm")
    base = gray_test(df, "time", "event", "ht_high")
    extra = pd.DataFrame({"time": [1.0, 2.0, 3.0], "event": [1, 2, 0], "ht_high": [1, 1, 1]})
    both = pd.concat([df.assign(s="main"), extra.assign(s="other")], ignore_index=True)
    res = gray_test(both, "time", "event", "ht_high", strata="s")
    assert res.statistic == pytest.approx(base.statistic, rel=1e-12)
    assert "stratified by s" in res.method
    # a stratum with no event at all (only censored rows, both groups)
    quiet = pd.DataFrame({"time": [1.0, 2.0], "event": [0, 0], "ht_high": [0, 1]})
    both = pd.concat([df.assign(s="main"), quiet.assign(s="quiet")], ignore_index=True)
    res = gray_test(both, "time", "event", "ht_high", strata="s")
    assert res.statistic == pytest.approx(base.statistic, rel=1e-12)


class TestBadInput:
    def test_single_group(self):
        df = frame("ties").assign(one="x")
        with pytest.raises(InputError, match="single level"):
            gray_test(df, "time", "event", "one")

    def test_no_group(self):
        with pytest.raises(InputError, match="give the group column"):
            gray_test(frame("ties"), "time", "event", None)

    def test_too_many_groups(self):
        df = frame("heavy")
        with pytest.raises(InputError, match=r"'x1' has 288 distinct values.*at most 100"):
            gray_test(df, "time", "event", "x1")

    def test_rho(self):
        with pytest.raises(InputError, match="rho must be a finite number"):
            gray_test(frame("ties"), "time", "event", "grp2", rho=np.inf)

    def test_missing_group_column(self):
        with pytest.raises(InputError, match="'arm' not found"):
            gray_test(frame("ties"), "time", "event", "arm")
