"""Kaplan-Meier, landmark estimates, quantiles, restricted means and reverse-KM follow-up vs R."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartsie.errors import InputError
from cartsie.survival import (
    dor_among_responders,
    kaplan_meier,
    median_followup,
    survival_at,
)
from tests._survival_ref import fixture, frame, matrix, none_if_empty
from tests.reference.tolerances import assert_estimates, r_array

KM_CASES = fixture()["km"]


def _data_for(case: dict) -> pd.DataFrame:
    df = frame(case["data"])
    if case["data"] == "veteran":
        df["celltype"] = pd.Categorical(df["celltype"], categories=fixture()["celltype_levels"])
    return df


def _fit(case: dict):
    return kaplan_meier(
        _data_for(case), "time", "status", none_if_empty(case["group"]), case["conf_type"], case["conf_level"]
    )


def _case_id(case: dict) -> str:
    level = "" if case["conf_level"] == 0.95 else f"-{case['conf_level']}"
    return f"{case['data']}-{none_if_empty(case['group']) or 'all'}-{case['conf_type']}{level}"


@pytest.fixture(params=KM_CASES, ids=[_case_id(c) for c in KM_CASES])
def km_case(request):
    case = request.param
    return case, _fit(case)


def test_groups_in_r_order(km_case):
    case, km = km_case
    assert [str(g) for g in km.groups] == list(np.atleast_1d(case["groups"]))


def test_curve_matches_survfit(km_case):
    case, km = km_case
    ref = case["curve"]
    labels = np.array(ref["group"])
    for c in km._curves:
        sel = labels == str(c.label)
        what = f"{_case_id(case)} group {c.label}"
        assert_estimates(c.time, np.array(ref["time"], dtype=float)[sel].tolist(), what=what + " time")
        assert_estimates(c.n_risk, r_array(ref["n_risk"])[sel].tolist(), what=what + " n.risk")
        assert_estimates(c.n_event, r_array(ref["n_event"])[sel].tolist(), what=what + " n.event")
        assert_estimates(c.n_censor, r_array(ref["n_censor"])[sel].tolist(), what=what + " n.censor")
        assert_estimates(c.surv, r_array(ref["surv"])[sel].tolist(), what=what + " surv")
        assert_estimates(c.std_log, r_array(ref["std_err"])[sel].tolist(), what=what + " std.err")
        assert_estimates(c.lower, r_array(ref["lower"])[sel].tolist(), what=what + " lower")
        assert_estimates(c.upper, r_array(ref["upper"])[sel].tolist(), what=what + " upper")


def test_curves_frame_starts_at_zero_and_reports_se_of_s(km_case):
    case, km = km_case
    ref = case["curve"]
    curves = km.curves
    for label, block in curves.groupby("group", sort=False):
        sel = np.array(ref["group"]) == str(label)
        first = block.iloc[0]
        starts_at_zero = np.array(ref["time"], dtype=float)[sel][0] == 0
        if not starts_at_zero:  # survfit0's start row; R adds none when the first time is 0
            assert (first["time"], first["survival"], first["n_event"]) == (0.0, 1.0, 0)
        body = block if starts_at_zero else block.iloc[1:]
        with np.errstate(invalid="ignore"):  # R: Inf * 0 = NaN where S reaches 0
            expected_se = r_array(ref["std_err"])[sel] * r_array(ref["surv"])[sel]
        assert_estimates(body["std_err"], expected_se.tolist(), what=f"{_case_id(case)} std_err of S")


def test_at_matches_summary_times_extend(km_case):
    case, km = km_case
    ref = case["at"]
    got = km.at(case["times"])
    assert [str(g) for g in got["group"]] == list(np.atleast_1d(ref["group"]))
    what = _case_id(case)
    assert_estimates(got["time"], ref["time"], what=what + " time")
    for col, rcol in [
        ("n_risk", "n_risk"),
        ("n_event", "n_event"),
        ("n_censor", "n_censor"),
        ("survival", "surv"),
        ("std_err", "std_err"),
        ("ci_lower", "lower"),
        ("ci_upper", "upper"),
    ]:
        assert_estimates(got[col], ref[rcol], what=f"{what} {col}")


def test_quantiles_match_quantile_survfit(km_case):
    case, km = km_case
    ref = case["quantile"]
    got = km.quantile(ref["probs"])
    for name, col in [("quantile", "quantile"), ("lower", "ci_lower"), ("upper", "ci_upper")]:
        expected = matrix(ref[name]).ravel()
        assert_estimates(got[col], expected.tolist(), what=f"{_case_id(case)} {name}")


def test_median_is_the_half_quantile(km_case):
    case, km = km_case
    med = km.median()
    ref = case["quantile"]
    i = ref["probs"].index(0.5)
    assert_estimates(med["median"], matrix(ref["quantile"])[:, i].tolist())
    assert_estimates(med["ci_lower"], matrix(ref["lower"])[:, i].tolist())
    assert_estimates(med["ci_upper"], matrix(ref["upper"])[:, i].tolist())


def test_table_and_restricted_mean_match_print_survfit(km_case):
    case, km = km_case
    for ref in case["tables"]:
        tau = ref["rmean"]
        got = km.table(rmean=tau)
        what = f"{_case_id(case)} rmean={tau}"
        assert_estimates(got["n"], ref["n"], what=what + " n")
        assert_estimates(got["events"], ref["events"], what=what + " events")
        assert_estimates(got["rmean"], ref["rmean_value"], what=what + " rmean")
        assert_estimates(got["se_rmean"], ref["se_rmean"], what=what + " se(rmean)")
        assert_estimates(got["rmean_tau"], ref["end_time"], what=what + " end time")
        assert_estimates(got["median"], ref["median"], what=what + " median")
        assert_estimates(got["ci_lower"], ref["lcl"], what=what + " LCL")
        assert_estimates(got["ci_upper"], ref["ucl"], what=what + " UCL")


@pytest.mark.parametrize("ref", fixture()["followup"], ids=lambda r: f"{r['data']}-{r['conf_type']}")
def test_median_followup_matches_reverse_km_quantile(ref):
    df = frame(ref["data"])
    fu = median_followup(df, "time", "status", conf_type=ref["conf_type"])
    assert_estimates([fu.median, fu.ci_lower, fu.ci_upper], [ref["median"], ref["lower"], ref["upper"]])
    assert fu.n == len(df)


# --- identities and hand-worked cases --------------------------------------------------------


def test_hand_worked_small_curve():
    # times 1..5, events at 1, 2, 4: S = 4/5, 3/5, 3/5 * 1/2; Greenwood on log scale
    df = pd.DataFrame({"t": [1, 2, 3, 4, 5], "e": [1, 1, 0, 1, 0]})
    c = kaplan_meier(df, "t", "e")._curves[0]
    np.testing.assert_allclose(c.surv, [0.8, 0.6, 0.6, 0.3, 0.3], rtol=1e-15)
    v = np.cumsum([1 / (5 * 4), 1 / (4 * 3), 0, 1 / (2 * 1), 0])
    np.testing.assert_allclose(c.std_log, np.sqrt(v), rtol=1e-15)
    lo, hi = np.exp(np.log(0.3) - 1.959963984540054 * np.sqrt(v[3])), 1.0
    assert c.lower[3] == pytest.approx(lo, rel=1e-12)
    assert c.upper[3] == hi


def test_curve_properties_bounded_and_monotone():
    df = frame("sim")
    for conf_type in ("log", "log-log", "plain"):
        curves = kaplan_meier(df, "time", "status", "x3", conf_type).curves
        for _, block in curves.groupby("group"):
            s = block["survival"].to_numpy()
            assert np.all(np.diff(s) <= 0)
            assert np.all((s >= 0) & (s <= 1))
            ok = block["ci_lower"].notna()
            assert np.all(block["ci_lower"][ok] <= s[ok.to_numpy()] + 1e-15)
            assert np.all(block["ci_upper"][ok] >= s[ok.to_numpy()] - 1e-15)
            assert np.all(block["ci_upper"][ok] <= 1)


def test_single_group_equals_ungrouped():
    df = frame("lung")
    df["one"] = "x"
    a = kaplan_meier(df, "time", "status").at([100, 500])
    b = kaplan_meier(df, "time", "status", "one").at([100, 500])
    pd.testing.assert_frame_equal(a.drop(columns="group"), b.drop(columns="group"))


def test_lifelines_agrees_on_estimate_and_greenwood():
    from lifelines import KaplanMeierFitter

    df = frame("ties")
    c = kaplan_meier(df, "time", "status")._curves[0]
    kmf = KaplanMeierFitter().fit(df["time"], df["status"])
    sf = kmf.survival_function_.iloc[1:, 0].to_numpy()  # lifelines starts at time 0
    np.testing.assert_allclose(c.surv, sf, rtol=1e-12)


def test_timefix_merges_floating_point_noise():
    # 3 * (1/3) style noise: times equal up to 1e-15 count as one tied time, as R's aeqSurv
    df = pd.DataFrame({"t": [1.0, 1.0 + 1e-13, 2.0, 3.0], "e": [1, 1, 0, 1]})
    c = kaplan_meier(df, "t", "e")._curves[0]
    assert c.time.tolist() == [1.0, 2.0, 3.0]
    assert c.n_event.tolist() == [2.0, 0.0, 1.0]


def test_missing_rows_are_dropped_and_counted():
    df = frame("lung")
    km = kaplan_meier(df, "time", "status", "ecog3")
    assert km.n_missing == 1
    assert km.n == len(df) - 1


def test_survival_at_one_call_equals_at():
    df = frame("lung")
    one = survival_at(df, "time", "status", "sex", at=365)
    two = kaplan_meier(df, "time", "status", "sex").at(365)
    pd.testing.assert_frame_equal(one, two)
    ref = next(
        c
        for c in KM_CASES
        if c["data"] == "lung" and c["group"] == "sex" and c["conf_type"] == "log" and c["conf_level"] == 0.95
    )
    at = ref["at"]
    sel = np.array(at["time"], dtype=float) == 365
    assert_estimates(one["survival"], r_array(at["surv"])[sel].tolist())
    assert_estimates(one["ci_lower"], r_array(at["lower"])[sel].tolist())


def test_dor_among_responders_uses_rows_with_dor():
    df = frame("ties").rename(columns={"time": "dor_months", "status": "dor_event"})
    responders = df.copy()
    others = pd.DataFrame({"dor_months": [np.nan] * 5, "dor_event": [np.nan] * 5, "group": list("ABCAB")})
    endpoints = pd.concat([responders, others], ignore_index=True)
    km = dor_among_responders(endpoints, group="group")
    ref = next(c for c in KM_CASES if c["data"] == "ties" and c["conf_type"] == "log")
    assert km.n == len(responders)
    assert km.n_missing == 0
    got = km.at(ref["times"])
    assert_estimates(got["survival"], ref["at"]["surv"])
    assert_estimates(got["ci_upper"], ref["at"]["upper"])


# --- bad input ------------------------------------------------------------------------------


def test_bad_conf_type():
    with pytest.raises(InputError, match="conf_type must be one of"):
        kaplan_meier(frame("ties"), "time", "status", conf_type="logit")


def test_missing_column_named():
    with pytest.raises(InputError, match="'months' not found"):
        kaplan_meier(frame("ties"), "months", "status")


def test_bad_event_codes_name_patients():
    df = pd.DataFrame({"patient_id": ["p1", "p2", "p3"], "t": [1, 2, 3], "e": [1, 3, 0]})
    with pytest.raises(InputError, match="p2"):
        kaplan_meier(df, "t", "e")


def test_negative_times_rejected():
    df = pd.DataFrame({"patient_id": ["p1", "p2"], "t": [-1, 2], "e": [1, 0]})
    with pytest.raises(InputError, match="negative times at patient_id p1"):
        kaplan_meier(df, "t", "e")


def test_at_rejects_bad_times():
    km = kaplan_meier(frame("ties"), "time", "status")
    with pytest.raises(InputError, match="finite numbers >= 0"):
        km.at([np.nan])


def test_quantile_rejects_bad_probability():
    km = kaplan_meier(frame("ties"), "time", "status")
    with pytest.raises(InputError, match="between 0 and 1"):
        km.quantile(1.5)


def test_rmean_rejects_bad_tau():
    km = kaplan_meier(frame("ties"), "time", "status")
    with pytest.raises(InputError, match="tau must be"):
        km.rmean("median")


def test_dor_needs_event_for_responders():
    endpoints = pd.DataFrame({"patient_id": ["a", "b"], "dor_months": [3.0, 5.0], "dor_event": [1, np.nan]})
    with pytest.raises(InputError, match="patient_id b"):
        dor_among_responders(endpoints)


def test_dor_without_responders():
    endpoints = pd.DataFrame({"dor_months": [np.nan], "dor_event": [np.nan]})
    with pytest.raises(InputError, match="no responders"):
        dor_among_responders(endpoints)


def test_all_rows_missing():
    df = pd.DataFrame({"t": [np.nan, np.nan], "e": [1, 0]})
    with pytest.raises(InputError, match="no row has all"):
        kaplan_meier(df, "t", "e")
