"""time_auc and brier vs riskRegression's Score (tests/reference/time_auc.R), plus identities: the
AUC without censoring is the Mann-Whitney AUC, the cause-2 results are the swapped-codes results,
invariances, and the input errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartsie.discrimination import auc as binary_auc
from cartsie.errors import InputError
from cartsie.prognostic import Brier, TimeAUC, _ipcw, brier, time_auc
from tests.reference.tolerances import assert_estimates, assert_p, load, r_array

REF = load("time_auc")


def frame(name: str) -> pd.DataFrame:
    return pd.DataFrame({k: r_array(v) for k, v in REF["data"][name].items()})


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _python_input(case: dict) -> tuple[pd.DataFrame, str]:
    """The data the Python call gets: for the swapped cases, the original codes with cause = 2."""
    name = "cr" if case["swapped"] else case["data"]
    return frame(name), REF["event_column"][name]


@pytest.mark.parametrize("case", REF["auc"], ids=lambda c: c["label"])
def test_time_auc_as_score(case):
    df, event = _python_input(case)
    scores, times = _list(case["scores"]), _list(case["times"])
    res = time_auc(
        df, "time", event, scores if len(scores) > 1 else scores[0], times, cause=case["python_cause"]
    )
    ref = case["score"]
    out = res.table.set_index(["score", "time"])
    keys = list(zip(_list(ref["model"]), _list(ref["times"]), strict=True))
    got = out.loc[keys]
    what = case["label"]
    assert_estimates(got["auc"], ref["auc"], what=what + " auc")
    assert_estimates(got["std_error"], ref["se"], what=what + " se")
    assert_estimates(got["ci_lower"], ref["lower"], what=what + " lower")
    assert_estimates(got["ci_upper"], ref["upper"], what=what + " upper")
    # a reason exactly where Score gives no standard error (NaN AUC, or G(t) = 0 at the last
    # time); times Score drops are NaN rows too
    assert (got["reason"] != "").tolist() == np.isnan(r_array(ref["se"])).tolist()
    dropped = out.drop(index=keys)
    assert dropped["auc"].isna().all() and dropped["reason"].str.contains("after the last follow-up").all()
    assert len(dropped) == len(scores) * sum(t > df["time"].max() for t in times)
    if len(scores) > 1:
        c = case["contrasts"]
        con = res.contrasts.set_index(["score", "reference", "time"])
        ckeys = list(zip(_list(c["model"]), _list(c["reference"]), _list(c["times"]), strict=True))
        mine = con.loc[ckeys]
        assert_estimates(mine["difference"], c["delta"], what=what + " delta")
        assert_estimates(mine["std_error"], c["se"], what=what + " delta se")
        assert_estimates(mine["ci_lower"], c["lower"], what=what + " delta lower")
        assert_estimates(mine["ci_upper"], c["upper"], what=what + " delta upper")
        assert_p(mine["p_value"], c["p"], what=what + " p")
    else:
        assert res.contrasts.empty


def test_cause_2_estimate_as_score_and_se_from_swapped_codes():
    """Score's own cause = 2 run: the AUC agrees; its SE is riskRegression 2022.11.28's bug, ours is
    the SE of the swapped data (checked in test_time_auc_as_score) and differs from it."""
    case = REF["direct_cause2"]
    res = time_auc(frame("cr"), "time", "event", ["ht", "simpleht"], _list(case["times"]), cause=2)
    ref = case["score"]
    got = res.table.set_index(["score", "time"]).loc[list(zip(ref["model"], ref["times"], strict=True))]
    assert_estimates(got["auc"], ref["auc"], what="direct cause 2 auc")
    assert np.max(np.abs(got["std_error"].to_numpy() / r_array(ref["se"]) - 1)) > 1e-3


@pytest.mark.parametrize("case", REF["brier"], ids=lambda c: c["label"])
def test_brier_as_score(case):
    df, event = _python_input(case)
    risk, times = _list(case["risk"]), _list(case["times"])
    res = brier(df, "time", event, risk if len(risk) > 1 else risk[0], times, cause=case["python_cause"])
    ref = case["score"]
    model = np.array(_list(ref["model"]))
    ours = res.table.set_index("time")
    what = case["label"]
    for label, cols in (("model", ["brier", "std_error", "ci_lower", "ci_upper"]), ("Null model", None)):
        pick = model == label
        at = r_array(ref["times"])[pick]
        got = ours.loc[at]
        if cols is None:
            assert_estimates(got["brier_null"], r_array(ref["brier"])[pick].tolist(), what=what + " null")
            assert_estimates(got["null_std_error"], r_array(ref["se"])[pick].tolist(), what=what + " null se")
            continue
        for col, key in zip(cols, ("brier", "se", "lower", "upper"), strict=True):
            assert_estimates(got[col], r_array(ref[key])[pick].tolist(), what=f"{what} {col}")
        assert_estimates(got["ipa"], r_array(ref["ipa"])[pick].tolist(), what=what + " ipa")
    beyond = ours.loc[[t for t in times if t > df["time"].max()]]
    assert beyond["brier"].isna().all() and (beyond["reason"] != "").all()


def test_censoring_weights_are_prodlims_reverse_km():
    """G of prodlim (events before censorings at ties) -- not survfit's reverse curve."""
    df = frame("ties")
    c = REF["censoring"]
    code = np.where(df["status"] == 1, _ipcw.CASE, _ipcw.CENSORED)
    p = _ipcw.prepare(df["time"].to_numpy(), code)
    g = [float(_ipcw.g_of(p, _ipcw.last_group(p, t))) for t in c["times"]]
    assert_estimates(g, c["prodlim"], what="prodlim reverse KM")
    assert not np.allclose(g, r_array(c["survfit"]), rtol=1e-3)


def test_without_censoring_auc_is_mann_whitney():
    """No censoring: AUC(t) is the AUC of the score for 'event by t' (DeLong's point estimate)."""
    rng = np.random.default_rng(3)
    n = 200
    x = rng.integers(0, 8, n).astype(float)
    t = np.round(rng.exponential(10 * np.exp(-0.2 * x)), 1) + 0.1
    df = pd.DataFrame({"t": t, "e": 1, "x": x})
    for tau in (3.0, 8.0):
        res = time_auc(df, "t", "e", "x", [tau])
        expected = binary_auc((t <= tau).astype(int), x).auc
        assert res.table.loc[0, "auc"] == pytest.approx(expected, rel=1e-12)


def test_invariances_and_orientation():
    df = frame("ties")
    base = time_auc(df, "time", "status", "lp", [5.5, 8]).table
    moved = time_auc(df.assign(lp=np.exp(2 * df["lp"]) + 3), "time", "status", "lp", [5.5, 8]).table
    np.testing.assert_allclose(moved["auc"], base["auc"], rtol=1e-12)
    np.testing.assert_allclose(moved["std_error"], base["std_error"], rtol=1e-10)
    neg = time_auc(df.assign(lp=-df["lp"]), "time", "status", "lp", [5.5, 8]).table
    np.testing.assert_allclose(neg["auc"], 1 - base["auc"], rtol=1e-12)
    np.testing.assert_allclose(neg["std_error"], base["std_error"], rtol=1e-10)
    shuffled = time_auc(df.sample(frac=1, random_state=2), "time", "status", "lp", [5.5, 8]).table
    np.testing.assert_allclose(shuffled["std_error"], base["std_error"], rtol=1e-10)
    # a score compared with itself: difference 0, standard error 0
    twice = time_auc(df.assign(lp2=df["lp"]), "time", "status", ["lp", "lp2"], [8]).contrasts
    assert twice.loc[0, "difference"] == 0 and twice.loc[0, "std_error"] == 0


def test_brier_of_the_null_risk_is_the_null_brier():
    df = frame("cr")
    ref = brier(df, "time", "event", "risk", [9.5])
    null = ref.table.loc[0, "risk_null"]
    res = brier(df.assign(rn=null), "time", "event", "rn", [9.5])
    assert res.table.loc[0, "brier"] == pytest.approx(ref.table.loc[0, "brier_null"], rel=1e-12)
    assert res.table.loc[0, "ipa"] == pytest.approx(0, abs=1e-12)


def test_protocol():
    df = frame("cr")
    res = time_auc(df, "time", "event", ["ht", "simpleht"], [5, 9.5], conf_level=0.9)
    assert isinstance(res, TimeAUC) and res.conf_level == 0.9
    assert list(res.summary.columns) == [
        "score",
        "time",
        "auc",
        "std_error",
        "ci_lower",
        "ci_upper",
        "reason",
    ]
    row = res.table.iloc[0]
    assert row["ci_lower"] == pytest.approx(row["auc"] - 1.6448536269514722 * row["std_error"], rel=1e-12)
    assert res.tidy().loc[0, "term"] == "AUC(ht, t=5)"
    g = res.glance().iloc[0]
    assert g["n"] == len(df) and g["events"] == int((df["event"] == 1).sum())
    assert len(repr(res)) < 2000 and "<table" in res._repr_html_()
    b = brier(df, "time", "event", "risk", [5])
    assert isinstance(b, Brier)
    assert list(b.summary.columns) == [
        "time",
        "brier",
        "std_error",
        "ci_lower",
        "ci_upper",
        "brier_null",
        "ipa",
        "reason",
    ]


def test_missing_rows_are_dropped():
    df = frame("ties")
    holes = df.assign(lp=np.where(df.index % 10 == 0, np.nan, df["lp"]))
    res = time_auc(holes, "time", "status", "lp", [8])
    assert res.n_missing == 15 and res.n == len(df) - 15
    expected = time_auc(holes.dropna(), "time", "status", "lp", [8]).table.loc[0, "auc"]
    assert res.table.loc[0, "auc"] == expected


def test_bad_input():
    df = frame("cr")
    with pytest.raises(InputError, match=r"column\(s\) 'nope' not found"):
        time_auc(df, "time", "event", "nope", [5])
    with pytest.raises(InputError, match=r"column 'event' holds codes \[3.0\]"):
        time_auc(df.assign(event=np.where(df.index == 4, 3, df["event"])), "time", "event", "ht", [5])
    with pytest.raises(InputError, match="column 'time' has negative times"):
        time_auc(df.assign(time=-df["time"]), "time", "event", "ht", [5])
    with pytest.raises(InputError, match="no events of cause 2"):
        time_auc(frame("ties"), "time", "status", "ht", [5], cause=2)
    with pytest.raises(InputError, match="cause must be 1 or 2"):
        time_auc(df, "time", "event", "ht", [5], cause=3)
    with pytest.raises(InputError, match="times must be one or more finite numbers"):
        time_auc(df, "time", "event", "ht", [])
    with pytest.raises(InputError, match="times must be one or more finite numbers"):
        time_auc(df, "time", "event", "ht", [5, -1])
    with pytest.raises(InputError, match="column 'ht' has infinite values"):
        time_auc(df.assign(ht=np.where(df.index == 2, np.inf, df["ht"])), "time", "event", "ht", [5])
    with pytest.raises(InputError, match="column 'ht' holds values that are not numbers"):
        time_auc(df.assign(ht=df["ht"].astype(str).where(df.index != 1, "high")), "time", "event", "ht", 5)
    with pytest.raises(InputError, match="score names a column more than once"):
        time_auc(df, "time", "event", ["ht", "ht"], [5])
    with pytest.raises(InputError, match="conf_level must be"):
        time_auc(df, "time", "event", "ht", [5], conf_level=95)
    with pytest.raises(InputError, match=r"column 'lp' holds values outside \[0, 1\]"):
        brier(df, "time", "event", "lp", [5])
    with pytest.raises(InputError, match="risk names 2 columns for 3 time points"):
        brier(df, "time", "event", ["risk", "r_5"], [2.5, 5, 9.5])
