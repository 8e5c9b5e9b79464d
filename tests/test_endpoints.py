"""Endpoints derived from event days, hand-worked (CLINICAL.md; months = days / 30.4375)."""

import numpy as np
import pandas as pd
import pytest

from cartsie.cohort.endpoints import derive_endpoints

M = 30.4375
NA = pd.NA


def one(**days):
    """Endpoints of one infused patient with the given event days / codes."""
    return derive_endpoints(pd.DataFrame([days])).iloc[0]


def check(row, **expected):
    for key, value in expected.items():
        got = row[key]
        if value is NA:
            assert pd.isna(got), key
        elif key.endswith("_months"):
            assert got == pytest.approx(value / M, rel=1e-12), key
        else:
            assert got == value, key


def test_alive_without_progression_is_censored_everywhere():
    row = one(last_followup_day=400, response_day=30, response_day90="CR")
    check(
        row,
        os_months=400,
        os_event=0,
        pfs_months=400,
        pfs_event=0,
        dor_months=370,
        dor_event=0,
        nrm_months=400,
        nrm_event=0,
        spm_months=400,
        spm_event=0,
        orr_day90=1,
        crr_day90=1,
    )


def test_progression_then_death():
    row = one(last_followup_day=300, progression_day=120, death_day=300, response_day=30, response_day90="PR")
    check(
        row,
        os_months=300,
        os_event=1,
        pfs_months=120,
        pfs_event=1,
        dor_months=90,
        dor_event=1,
        nrm_months=120,
        nrm_event=2,
        spm_months=300,
        spm_event=2,
        orr_day90=1,
        crr_day90=0,
    )


def test_death_without_progression_is_an_nrm_event():
    row = one(last_followup_day=200, death_day=200, response_day90="CR", response_day=28)
    check(
        row,
        os_event=1,
        pfs_months=200,
        pfs_event=1,
        nrm_months=200,
        nrm_event=1,
        spm_event=2,
        dor_months=172,
        dor_event=1,
    )


def test_progression_and_death_on_the_same_day_count_as_progression():
    row = one(last_followup_day=150, progression_day=150, death_day=150)
    check(row, nrm_months=150, nrm_event=2, pfs_event=1, os_event=1)


def test_spm_before_progression():
    row = one(last_followup_day=500, spm_day=200, spm_type="myeloid", progression_day=300)
    check(row, spm_months=200, spm_event=1, spm_myeloid_event=1, pfs_months=300, nrm_event=2)


def test_spm_after_progression_still_counts():
    row = one(last_followup_day=500, spm_day=400, spm_type="other", progression_day=100)
    check(row, spm_months=400, spm_event=1, spm_myeloid_event=2, nrm_months=100, nrm_event=2)


def test_death_after_spm_keeps_spm_as_the_event():
    row = one(last_followup_day=600, spm_day=250, spm_type="myeloid", death_day=600)
    check(row, spm_months=250, spm_event=1, os_months=600, os_event=1, nrm_months=600, nrm_event=1)


def test_responder_without_progression_is_censored_from_response():
    row = one(last_followup_day=365, response_day=35, response_day90="CR")
    check(row, dor_months=330, dor_event=0)


def test_non_responder_has_no_dor():
    row = one(last_followup_day=365, progression_day=60, response_day90="PD")
    check(row, dor_months=NA, dor_event=NA, orr_day90=0, crr_day90=0)


@pytest.mark.parametrize(
    ("days", "orr", "crr", "why"),
    [
        ({"death_day": 45, "last_followup_day": 45}, 0, 0, "death before day 90: non-responder"),
        (
            {"progression_day": 60, "last_followup_day": 200, "response_day90": "CR"},
            0,
            0,
            "progression before day 90 overrides a recorded response",
        ),
        ({"last_followup_day": 200, "response_day90": "NE"}, 0, 0, "not evaluable counts as non-response"),
        ({"last_followup_day": 200, "response_day90": "SD"}, 0, 0, "stable disease"),
        ({"last_followup_day": 200}, NA, NA, "alive, no assessment: missing"),
        ({"death_day": 90, "last_followup_day": 90}, NA, NA, "death on day 90 is not before day 90"),
    ],
)
def test_day90_response(days, orr, crr, why):
    row = one(**days)
    for key, value in (("orr_day90", orr), ("crr_day90", crr)):
        assert pd.isna(row[key]) if value is NA else row[key] == value, why


def test_follow_up_ends_at_death_when_last_followup_is_missing():
    check(one(death_day=100), os_months=100, os_event=1)


def test_no_follow_up_and_not_infused_give_missing_endpoints():
    df = pd.DataFrame({"last_followup_day": [np.nan, 300], "infused": [1, 0]})
    out = derive_endpoints(df)
    assert out.isna().all().all()
