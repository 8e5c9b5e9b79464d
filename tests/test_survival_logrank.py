"""Log-rank test vs R's survdiff, plus identities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartsie.errors import InputError
from cartsie.survival import cox, logrank
from tests._survival_ref import fixture, frame, matrix, none_if_empty
from tests.reference.tolerances import assert_estimates, assert_p

CASES = fixture()["logrank"]


def _id(case):
    strata = none_if_empty(case["strata"])
    return f"{case['data']}-{case['group']}" + (f"-strata_{strata}" if strata else "")


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_logrank_matches_survdiff(case):
    df = frame(case["data"])
    res = logrank(df, "time", "status", case["group"], strata=none_if_empty(case["strata"]))
    assert_estimates(res.statistic, case["chisq"], what="chisq")
    assert res.df == case["df"]
    assert_p(res.p_value, case["p"])
    assert [str(g) for g in res.summary.index] == list(np.atleast_1d(case["groups"]))
    assert_estimates(res.summary["n"], case["n"])
    assert_estimates(res.summary["observed"], case["observed"])
    assert_estimates(res.summary["expected"], case["expected"])
    assert_estimates(res.variance.to_numpy().ravel(), matrix(case["var"]).ravel().tolist())
    assert res.n == case["n_used"]
    assert res.n_missing == len(df) - case["n_used"]


def test_print_survdiff_columns():
    case = CASES[0]
    res = logrank(frame(case["data"]), "time", "status", case["group"])
    o, e = np.array(case["observed"]), np.array(case["expected"])
    v = np.diag(matrix(case["var"]))
    assert_estimates(res.summary["oe2_e"], ((o - e) ** 2 / e).tolist())
    assert_estimates(res.summary["oe2_v"], ((o - e) ** 2 / v).tolist())


def test_equals_cox_score_test_without_ties():
    # On untied data the log-rank statistic is the score test of a one-covariate Cox model.
    rng = np.random.default_rng(3)
    n = 200
    g = rng.integers(0, 2, n)
    t = rng.exponential(1 / np.where(g == 1, 1.5, 1.0))
    c = rng.exponential(2.0, n)
    df = pd.DataFrame({"t": np.minimum(t, c), "e": (t <= c).astype(int), "g": g})
    lr = logrank(df, "t", "e", "g")
    fit = cox(df, "t", "e", ["g"])
    assert lr.statistic == pytest.approx(fit.tests.loc["score", "statistic"], rel=1e-10)


def test_lifelines_agrees_two_groups():
    from lifelines.statistics import logrank_test

    df = frame("lung")
    m = df["sex"] == "male"
    ll = logrank_test(df["time"][m], df["time"][~m], df["status"][m], df["status"][~m])
    res = logrank(df, "time", "status", "sex")
    assert res.statistic == pytest.approx(ll.test_statistic, rel=1e-10)


def test_stratum_with_one_group_only_adds_nothing():
    df = frame("lung").dropna(subset=["ph_ecog"])
    extra = pd.DataFrame(
        {"time": [5.0, 9.0], "status": [1, 1], "sex": ["male", "male"], "ph_ecog": [9.0, 9.0]}
    )
    a = logrank(df, "time", "status", "sex", strata="ph_ecog")
    b = logrank(pd.concat([df, extra], ignore_index=True), "time", "status", "sex", strata="ph_ecog")
    assert b.statistic == pytest.approx(a.statistic, rel=1e-12)


def test_one_group_rejected():
    df = frame("ties")
    df["g"] = "same"
    with pytest.raises(InputError, match="only one level"):
        logrank(df, "time", "status", "g")


def test_no_events_rejected():
    df = frame("ties")
    df["status"] = 0
    with pytest.raises(InputError, match="no events"):
        logrank(df, "time", "status", "group")


def test_missing_group_column():
    with pytest.raises(InputError, match="'arm' not found"):
        logrank(frame("ties"), "time", "status", "arm")
