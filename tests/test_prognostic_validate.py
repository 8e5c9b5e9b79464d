"""validate_score: every number is its component function's (concordance, time_auc, brier,
calibration, net_benefit) on the same rows; the Cox risks and the whole chain agree with R
(tests/reference/validate_score.R); a measure the data cannot support is a row with its reason."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cartsie import synthetic
from cartsie.errors import InputError, MissingValuesWarning
from cartsie.prognostic import (
    ScorePerformance,
    brier,
    calibration,
    concordance,
    net_benefit,
    time_auc,
    validate_score,
)
from cartsie.prognostic._validate import MEASURES, SUMMARY_COLUMNS
from tests.reference.tolerances import assert_estimates, load, r_array

REF = load("validate_score")


@pytest.fixture(scope="module")
def ref_data() -> pd.DataFrame:
    return pd.DataFrame({k: r_array(v) for k, v in REF["data"].items()})


@pytest.fixture(scope="module")
def ref_result(ref_data) -> ScorePerformance:
    return validate_score(ref_data, "s", {"X": ("t", "e")}, times=REF["times"])


def _est(res: ScorePerformance, measure: str, time=None, endpoint=None, threshold=None) -> pd.Series:
    s = res.summary
    pick = s["measure"] == measure
    if endpoint is not None:
        pick &= s["endpoint"] == endpoint
    pick &= s["time"].isna() if time is None else np.isclose(s["time"], time)
    if threshold is not None:
        pick &= np.isclose(s["threshold"], threshold)
    rows = s[pick]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# -- against R -----------------------------------------------------------------------------------


def test_concordances_match_r(ref_result):
    for measure, key in (("harrell_c", "harrell"), ("uno_c", "uno")):
        r = _est(ref_result, measure)
        assert_estimates([r["estimate"], r["std_error"]], [REF[key]["estimate"], REF[key]["std_error"]])


def test_cox_risks_match_predict_risk(ref_result, ref_data):
    fit = ref_result.risk_model["X"]
    assert_estimates([fit.params["s"]], [REF["cox"]["coef"]])
    levels = ref_result.risk_table["X"]
    assert levels["score"].tolist() == REF["risk_levels"]["score"]
    assert_estimates(levels["risk_12"], REF["risk_levels"]["t12"])
    assert_estimates(levels["risk_24"], REF["risk_levels"]["t24"])
    assert levels["n"].sum() == len(ref_data)


def test_auc_and_brier_match_score(ref_result):
    for k, t in enumerate(REF["times"]):
        a = _est(ref_result, "auc", t)
        assert_estimates(
            [a["estimate"], a["std_error"], a["ci_lower"], a["ci_upper"]],
            [REF["auc"][key][k] for key in ("auc", "se", "lower", "upper")],
        )
        b = _est(ref_result, "brier", t)
        assert_estimates(
            [b["estimate"], b["std_error"], b["ci_lower"], b["ci_upper"]],
            [REF["brier"][key][k] for key in ("brier", "se", "lower", "upper")],
        )
        assert_estimates([_est(ref_result, "ipa", t)["estimate"]], [REF["brier"]["ipa"][k]])


# -- the components' numbers -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def ht() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = synthetic.cartsie_like(seed=5, n_enrolled=400)
    t = c.table
    return t[t["lbcl"] & t["ht_score"].notna()]


@pytest.fixture(scope="module")
def ht_result(ht) -> ScorePerformance:
    return validate_score(ht, "ht_score", times=(12, 24), at=12, thresholds=[0.1, 0.25, 0.5])


def test_summary_layout(ht, ht_result):
    s = ht_result.summary
    assert list(s.columns) == list(SUMMARY_COLUMNS)
    assert set(s["measure"]) == set(MEASURES)
    assert set(s["endpoint"]) == {"OS", "PFS"}  # the default endpoints, the cohort's columns
    per_endpoint = 2 + 2 * 3 + 2 + 2 * 2  # C x2; AUC, Brier, IPA at 2 times; O/E, slope; NB x2 x2
    assert len(s) == 2 * per_endpoint
    assert (s["reason"] == "").all(), s[s["reason"] != ""]
    assert ht_result.apparent and ht_result.risk_source == "cox"
    assert "apparent" in repr(ht_result) and "apparent" in ht_result.print_summary(file=None).lower()
    tidy = ht_result.tidy()
    assert tidy["term"].iloc[0] == "OS: harrell_c" and len(tidy) == len(s)
    assert ht_result.glance()["n_OS"].iloc[0] == len(ht)


def test_concordances_are_concordance(ht, ht_result):
    for endpoint, (t, e) in (("OS", ("os_months", "os_event")), ("PFS", ("pfs_months", "pfs_event"))):
        for measure, timewt, key in (("harrell_c", "n", "harrell"), ("uno_c", "n/G2", "uno")):
            c = concordance(ht, t, e, "ht_score", timewt=timewt)
            r = _est(ht_result, measure, endpoint=endpoint)
            assert r["estimate"] == c.estimate and r["std_error"] == c.std_error
            assert (r["ci_lower"], r["ci_upper"], r["n"], r["events"]) == (
                c.ci_lower,
                c.ci_upper,
                c.n,
                c.events,
            )
            assert ht_result.concordance[endpoint][key].estimate == c.estimate


def test_time_measures_are_the_components(ht, ht_result):
    work = ht.assign(r12=ht_result_risk(ht_result, ht, 12), r24=ht_result_risk(ht_result, ht, 24))
    auc = time_auc(work, "os_months", "os_event", "ht_score", [12, 24]).summary
    bs = brier(work, "os_months", "os_event", ["r12", "r24"], [12, 24]).summary
    for k, t in enumerate((12, 24)):
        assert _est(ht_result, "auc", t, "OS")["estimate"] == auc["auc"].iloc[k]
        assert _est(ht_result, "brier", t, "OS")["estimate"] == bs["brier"].iloc[k]
        assert _est(ht_result, "ipa", t, "OS")["estimate"] == bs["ipa"].iloc[k]
    cal = calibration(work, "os_months", "os_event", "r12", 12)
    assert _est(ht_result, "oe_ratio", 12, "OS")["estimate"] == cal.oe_ratio
    assert _est(ht_result, "calibration_slope", 12, "OS")["estimate"] == cal.slope
    pd.testing.assert_frame_equal(ht_result.calibration["OS"][12.0].summary, cal.summary)
    nb = net_benefit(
        df=work, time="os_months", event="os_event", risk="r12", at=12, thresholds=[0.1, 0.25, 0.5]
    )
    wide = nb.wide()
    for pt in (0.25, 0.5):
        assert _est(ht_result, "net_benefit", 12, "OS", pt)["estimate"] == wide.loc[pt, "net_benefit"]
        assert _est(ht_result, "net_benefit_all", 12, "OS", pt)["estimate"] == wide.loc[pt, "treat_all"]
    assert set(ht_result.net_benefit["OS"]) == {12.0}  # at=12: calibration and net benefit there only


def ht_result_risk(res: ScorePerformance, df: pd.DataFrame, t: float) -> np.ndarray:
    """The Cox risk at ``t`` of each patient, from the result's table of risks by score value."""
    table = res.risk_table["OS"].set_index("score")[f"risk_{t:g}"]
    return df["ht_score"].map(table).to_numpy()


def test_given_risk_is_used_and_not_apparent(ht):
    risk = np.clip(0.15 + 0.08 * ht["ht_score"].to_numpy(), 0.01, 0.99)
    data = ht.assign(my_risk=risk)
    res = validate_score(data, "ht_score", {"OS": ("os_months", "os_event")}, times=[12], risk="my_risk")
    assert not res.apparent and res.risk_source == "given" and res.risk_model == {}
    expected = brier(data, "os_months", "os_event", "my_risk", [12]).summary["brier"].iloc[0]
    assert _est(res, "brier", 12)["estimate"] == expected
    by_time = validate_score(
        data, "ht_score", {"OS": ("os_months", "os_event")}, times=[12], risk={12: "my_risk"}
    )
    pd.testing.assert_frame_equal(by_time.summary, res.summary)


def test_survival_oriented_score_flips_the_discrimination(ht):
    flipped = ht.assign(neg=-ht["ht_score"])
    a = validate_score(ht, "ht_score", {"OS": ("os_months", "os_event")}, times=[12])
    b = validate_score(flipped, "neg", {"OS": ("os_months", "os_event")}, times=[12], higher="survival")
    for m in ("harrell_c", "uno_c"):
        assert np.isclose(_est(a, m)["estimate"], _est(b, m)["estimate"])
    assert np.isclose(_est(a, "auc", 12)["estimate"], _est(b, "auc", 12)["estimate"])
    assert np.isclose(_est(a, "brier", 12)["estimate"], _est(b, "brier", 12)["estimate"])


def test_cohort_is_read_through_its_table():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = synthetic.cartsie_like(seed=5, n_enrolled=400)
        res = validate_score(c, "simple_ht_high", times=[12])
    known = c.table[["os_months", "os_event", "simple_ht_high"]].notna().all(axis=1)
    assert _est(res, "harrell_c", endpoint="OS")["n"] == known.sum()
    assert res.n_missing["OS"] == (~known).sum()
    assert res.n_missing["OS"] > 0  # the patients without simpleHT or follow-up were left out


# -- what the data cannot support --------------------------------------------------------------------


def test_one_score_value_gives_reasons_not_an_error(ht):
    one = ht.assign(flat=1.0)
    res = validate_score(one, "flat", {"OS": ("os_months", "os_event")}, times=[12])
    s = res.summary
    assert s["estimate"].isna().all()
    assert s["reason"].str.contains("takes one value").all()


def test_time_beyond_follow_up_and_before_any_event(ht):
    last = float(ht["os_months"].max())
    first = float(ht.loc[ht["os_event"] == 1, "os_months"].min())
    res = validate_score(ht, "ht_score", {"OS": ("os_months", "os_event")}, times=[first / 2, 12, last + 5])
    early, late = _est(res, "auc", first / 2), _est(res, "auc", last + 5)
    assert np.isnan(early["estimate"]) and "no os_event event by" in early["reason"]
    assert np.isnan(late["estimate"]) and "after the last follow-up" in late["reason"]
    for m in ("brier", "oe_ratio", "calibration_slope"):
        assert "after the last follow-up" in _est(res, m, last + 5)["reason"]
    assert _est(res, "auc", 12)["reason"] == "" and np.isfinite(_est(res, "auc", 12)["estimate"])
    assert _est(res, "harrell_c")["reason"] == ""


def test_no_event_and_missing_values(ht):
    none = ht.assign(ev=0)
    res = validate_score(none, "ht_score", {"OS": ("os_months", "ev")}, times=[12])
    assert res.summary["reason"].str.startswith("no event in column 'ev'").all()
    holes = ht.copy()
    holes.loc[holes.index[:5], "ht_score"] = np.nan
    with pytest.warns(MissingValuesWarning, match="5 of"):
        res = validate_score(holes, "ht_score", {"OS": ("os_months", "os_event")}, times=[12])
    assert res.n_missing["OS"] == 5 and _est(res, "harrell_c")["n"] == len(ht) - 5


def test_bad_arguments(ht):
    with pytest.raises(InputError, match="higher"):
        validate_score(ht, "ht_score", higher="up")
    with pytest.raises(InputError, match="pair"):
        validate_score(ht, "ht_score", {"OS": "os_months"})
    with pytest.raises(InputError, match="positive times"):
        validate_score(ht, "ht_score", times=[-1])
    with pytest.raises(InputError, match="horizon"):
        validate_score(ht, "ht_score", risk={24: "ht_score"}, times=[12])
    with pytest.raises(InputError, match="DataFrame or a cartsie Cohort"):
        validate_score([1, 2], "ht_score")


def test_figures_are_drawn_per_endpoint(ht_result):
    figs = ht_result.figures(endpoint="OS")
    assert sorted(figs) == ["calibration_OS_12", "decision_OS_12"]
    assert {a.get_gid() for a in figs["calibration_OS_12"].axes[0].get_lines()} >= {"ideal", "observed"}


def test_calibration_and_decision_panels(ht_result):
    from cartsie import figures

    cals = [ht_result.calibration[e][12.0] for e in ("OS", "PFS")]
    fig = figures.calibration_plot(cals, label=["OS", "PFS"], title=["A. OS", "B. PFS"], unit="months")
    assert len(fig.axes) == 2 and fig.axes[0].get_xlim() == fig.axes[1].get_xlim()  # one limit for both
    for ax, cal in zip(fig.axes, cals, strict=True):
        points = next(line for line in ax.get_lines() if line.get_gid() == "observed")
        np.testing.assert_array_equal(points.get_ydata(), cal.summary["observed"].to_numpy())
        assert ax.get_title(loc="left") in ("A. OS", "B. PFS")
    nbs = [ht_result.net_benefit[e][12.0] for e in ("OS", "PFS")]
    fig = figures.decision_curve(nbs, label=["OS", "PFS"])
    assert len(fig.axes) == 2 and fig.axes[0].get_ylim() == fig.axes[1].get_ylim()
    legend = [t.get_text() for t in fig.texts if t.get_gid() == "legend"]
    assert legend.count("Treat all") == 2 and {"OS", "PFS"} <= set(legend)
    with pytest.raises(InputError, match="one label per panel"):
        figures.calibration_plot(cals, label=["only one"])


def test_risk_of_zero_gives_the_slope_a_reason(ht):
    data = ht.assign(r=np.where(ht["ht_score"] == 0, 0.0, 0.4))
    res = validate_score(data, "ht_score", {"OS": ("os_months", "os_event")}, times=[12], risk="r")
    slope = _est(res, "calibration_slope", 12)
    assert np.isnan(slope["estimate"]) and "exactly 0 or 1" in slope["reason"]
    assert np.isfinite(_est(res, "oe_ratio", 12)["estimate"])
