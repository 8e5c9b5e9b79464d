"""The paper's competing-risk analyses on small R-checked data sets shaped like them, with the
endpoint columns of ``Cohort.endpoints`` (DESIGN.md):

- SPM (1) with death without SPM (2) competing, by HT group: cumulative incidence at 24 months,
  Gray's test and the Fine-Gray subdistribution HR of HT-high;
- myeloid SPM, where other SPM and death compete (codes 1, 2, 3);
- NRM (1) with progression (2) competing, three HT risk groups, and 1-year NRM by group with CI.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartsie.competing import cumulative_incidence, fine_gray, gray_test
from tests._competing_ref import fixture, frame, none_if_empty, r_term
from tests.reference.tolerances import assert_estimates, assert_p, r_array


def _cuminc(data: str, group: str) -> dict:
    return next(
        c
        for c in fixture()["cuminc"]
        if c["data"] == data and c["group"] == group and not none_if_empty(c["strata"]) and c["rho"] == 0
    )


def _crr(data: str, covariates: list[str]) -> dict:
    return next(c for c in fixture()["crr"] if c["data"] == data and c["covariates"] == covariates)


def _timepoint(case: dict, group: str, cause: int, time: float) -> tuple[float, float]:
    j = list(r_array(case["times"])).index(time)
    i = case["tp_names"].index(f"{group} {cause}")
    return r_array(case["tp_est"][i])[j], r_array(case["tp_var"][i])[j]


@pytest.fixture
def spm() -> pd.DataFrame:
    return frame("spm").rename(columns={"time": "spm_months", "event": "spm_event"})


def test_spm_incidence_at_two_years_by_ht_group(spm):
    res = cumulative_incidence(spm, "spm_months", "spm_event", group="ht_high")
    at = res.at(24).set_index("group")
    ref = _cuminc("spm", "ht_high")
    for g in (0, 1):
        est, var = _timepoint(ref, str(g), 1, 24.0)
        assert_estimates([at.loc[g, "estimate"]], [est])
        assert_estimates([at.loc[g, "variance"]], [var])
        assert at.loc[g, "ci_lower"] < est < at.loc[g, "ci_upper"]
    # the death curves come with it (cause 2), e.g. for a stacked plot
    deaths = res.at(24, cause=2).set_index("group")
    est, _ = _timepoint(ref, "1", 2, 24.0)
    assert_estimates([deaths.loc[1, "estimate"]], [est])


def test_spm_gray_test_and_subdistribution_hr(spm):
    ref_test = _cuminc("spm", "ht_high")["tests"]
    test = gray_test(spm, "spm_months", "spm_event", "ht_high")
    assert_estimates([test.statistic], [r_array(ref_test["stat"])[0]])
    assert_p([test.p_value], [r_array(ref_test["pv"])[0]])
    ref = _crr("spm", "ht_high")
    fit = fine_gray(spm, "spm_months", "spm_event", ["ht_high"])
    row = fit.summary.loc["ht_high"]
    assert_estimates(
        [row["shr"], row["ci_lower"], row["ci_upper"]], [ref["shr"], ref["ci_lower"], ref["ci_upper"]]
    )
    assert_p([row["p_value"]], [ref["p"]])
    assert fit.n_events == int((spm["spm_event"] == 1).sum())
    assert fit.n_competing == int((spm["spm_event"] == 2).sum())


def test_myeloid_spm_with_other_spm_and_death_competing():
    df = frame("spm3")  # 1 myeloid SPM, 2 other SPM, 3 death
    res = cumulative_incidence(df, "time", "event", group="ht_high")
    assert res.causes == (1, 2, 3)
    ref = _cuminc("spm3", "ht_high")
    at = res.at(r_array(ref["times"]), cause=1)
    for g in (0, 1):
        i = ref["tp_names"].index(f"{g} 1")
        assert_estimates(at[at["group"] == g]["estimate"], ref["tp_est"][i])
        assert_estimates(at[at["group"] == g]["variance"], ref["tp_var"][i])
    fit = fine_gray(df, "time", "event", ["ht_high"], cause=1)
    cr = _crr("spm3", "ht_high")
    assert_estimates(fit.summary["coef"], cr["coef"])
    assert_estimates(fit.summary["se"], cr["se"])


def test_spm_subtypes_add_up_to_all_spm():
    """Splitting SPM into myeloid and other leaves the death curve and the sum unchanged."""
    all_spm = cumulative_incidence(frame("spm"), "time", "event", group="ht_high")
    split = cumulative_incidence(frame("spm3"), "time", "event", group="ht_high")
    t = np.array([3.0, 12.0, 24.0, 40.0])
    total = split.at(t, cause=1)["estimate"].to_numpy() + split.at(t, cause=2)["estimate"].to_numpy()
    np.testing.assert_allclose(total, all_spm.at(t, cause=1)["estimate"], rtol=1e-12)
    np.testing.assert_allclose(
        split.at(t, cause=3)["estimate"], all_spm.at(t, cause=2)["estimate"], rtol=1e-12
    )


def test_nrm_with_progression_competing_three_groups():
    nrm = frame("nrm").rename(columns={"time": "nrm_months", "event": "nrm_event"})
    ref_test = _cuminc("nrm", "risk")["tests"]
    test = gray_test(nrm, "nrm_months", "nrm_event", "risk")
    assert test.df == 2
    assert_estimates([test.statistic], [r_array(ref_test["stat"])[0]])
    assert_p([test.p_value], [r_array(ref_test["pv"])[0]])
    cr = _crr("nrm", "risk")
    fit = fine_gray(nrm, "nrm_months", "nrm_event", ["risk"])
    terms = [r_term(t, ["risk"]) for t in cr["terms"]]
    assert_estimates(fit.summary.loc[terms, "shr"], cr["shr"])
    assert_estimates(fit.summary.loc[terms, "ci_upper"], cr["ci_upper"])


def test_one_year_nrm_table_by_group():
    """The paper's table row: 1-year NRM (%) with 95% CI per HT risk group."""
    ref = fixture()["nrm_1y"]
    nrm = frame("nrm").rename(columns={"time": "nrm_months", "event": "nrm_event"})
    table = cumulative_incidence(nrm, "nrm_months", "nrm_event", group="risk").at(12)
    table = table.set_index("group")[["estimate", "ci_lower", "ci_upper"]].mul(100).loc[ref["group"]]
    assert_estimates(table["estimate"], list(100 * r_array(ref["est"])))
    assert_estimates(table["ci_lower"], list(100 * r_array(ref["lower"])))
    assert_estimates(table["ci_upper"], list(100 * r_array(ref["upper"])))
