"""Duration of response as CART-SIE defines it: among best-response responders, from the first
response (CLINICAL.md); the day-90 fallback and its note; the loader's checks of best_response."""

import warnings

import numpy as np
import pandas as pd
import pytest

from cartsie import CohortError, CohortWarning, cohort
from cartsie.cohort.endpoints import DOR_BASES, best_response, derive_endpoints, dor_basis
from cartsie.survival import kaplan_meier

M = 30.4375

#: six responders and non-responders, worked by hand below
DAYS = pd.DataFrame(
    {
        "patient_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
        # P2 responds early and progresses before day 90; P5 responds and dies on day 121 (NE at day 90)
        "best_response": ["CR", "PR", "CR", "SD", "PR", "CR"],
        "response_day90": ["CR", "PD", "CR", "SD", "NE", "CR"],
        "response_day": [30, 28, 30, np.nan, 30, 35],
        "progression_day": [np.nan, 70, 213, 150, np.nan, np.nan],
        "death_day": [np.nan, np.nan, np.nan, np.nan, 121, np.nan],
        "last_followup_day": [395, 200, 300, 300, 121, 400],
    }
)


def _km(endpoints: pd.DataFrame):
    return kaplan_meier(endpoints.dropna(subset=["dor_months"]), "dor_months", "dor_event")


def test_dor_of_best_response_responders_from_the_first_response():
    e = derive_endpoints(DAYS)
    # P1 censored 365 d after response, P2 42 d to progression, P3 183 d, P4 none (SD), P5 91 d to death,
    # P6 censored at 365 d
    expected = [365, 42, 183, np.nan, 91, 365]
    np.testing.assert_allclose(e["dor_months"].to_numpy(float), np.array(expected) / M)
    assert e["dor_event"].tolist()[:3] == [0, 1, 1] and e["dor_event"].tolist()[4:] == [1, 0]
    assert pd.isna(e["dor_event"].iloc[3])
    km = _km(e)
    # events at 42, 91, 183 days among 5 at risk: S = 4/5, 4/5 * 3/4 = 0.6, 0.6 * 2/3 = 0.4;
    # both censorings at 365 days come before 12 months (365.25 days)
    at = km.at([12.0]).iloc[0]
    assert at["survival"] == pytest.approx(0.4) and at["n_risk"] == 0
    assert km.median()["median"].iloc[0] == pytest.approx(183 / M)


def test_without_best_response_dor_is_among_day90_responders():
    e = derive_endpoints(DAYS.drop(columns="best_response"))
    # P2 (PD at day 90) and P5 (NE) leave; P1, P3, P6 remain: one event at 183 d among 3
    assert e["dor_months"].notna().tolist() == [True, False, True, False, False, True]
    km = _km(e)
    assert km.at([12.0])["survival"].iloc[0] == pytest.approx(2 / 3)
    assert np.isnan(km.median()["median"].iloc[0])  # not reached
    assert dor_basis(DAYS.drop(columns="best_response").columns) == "response_day90"
    assert DOR_BASES["response_day90"] == "DOR among day-90 responders: best_response not given"


def test_best_response_is_never_worse_than_the_day90_response():
    days = pd.DataFrame(
        {
            "best_response": ["SD", "NE", None, "PR", "NE", None],
            "response_day90": ["CR", "PR", "PR", "CR", None, "NE"],
        }
    )
    assert best_response(days).tolist() == ["CR", "PR", "PR", "CR", "NE", "NE"]
    # a patient recorded SD at best but CR at day 90 is a responder, with a DOR from response
    e = derive_endpoints(days.iloc[:1].assign(response_day=30, last_followup_day=130))
    assert e["dor_months"].iloc[0] == pytest.approx(100 / M)


def _patients(**changes) -> pd.DataFrame:
    return DAYS.assign(**changes)


def test_load_notes_the_day90_fallback_and_not_the_definition():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        given = cohort.load(_patients())
        fallback = cohort.load(_patients().drop(columns="best_response"))
    assert not any("DOR among" in n for n in given.notes)
    assert "DOR among day-90 responders: best_response not given" in fallback.notes
    assert given.endpoints["dor_months"].notna().sum() == 5
    assert fallback.endpoints["dor_months"].notna().sum() == 3


def test_best_response_worse_than_day90_warns_with_count_and_ids():
    pat = _patients(best_response=["SD", "PR", "CR", "SD", "PR", "PD"])  # P1 SD < CR, P6 PD < CR
    with pytest.warns(CohortWarning, match=r"best_response.*worse than the day-90.*P1, P6 \(2 patients\)"):
        c = cohort.load(pat)
    # the day-90 CR stands as their best response: still 5 responders with a DOR
    assert c.endpoints["dor_months"].notna().sum() == 5


def test_best_response_responders_need_a_response_date():
    pat = _patients().drop(columns="response_day")
    with pytest.raises(CohortError, match=r"best_response.*no response_date column.*P1, P2, P3, P5, P6"):
        cohort.load(pat)
    blank = _patients(response_day=[30, np.nan, 30, np.nan, 30, 35])
    with pytest.warns(CohortWarning, match=r"without a first-response date at patient_id P2 \(1 patient\)"):
        c = cohort.load(blank)
    assert c.endpoints["dor_months"].notna().sum() == 4


@pytest.mark.parametrize("header", ["BOR", "Best overall response", "best_response"])
def test_best_response_aliases_and_codes(header):
    pat = _patients().rename(columns={"best_response": header})
    pat[header] = ["complete response", "PR", "cmr", "stable disease", "pmr", "CR"]
    c = cohort.load(pat)
    assert c.patients["best_response"].tolist() == ["CR", "PR", "CR", "SD", "PR", "CR"]


def test_unknown_best_response_code_names_column_ids_and_fix():
    pat = _patients(best_response=["CRu", "PR", "CR", "SD", "resp", "CR"])
    with pytest.raises(CohortError) as err:
        cohort.load(pat)
    msg = str(err.value)
    assert "column 'best_response'" in msg and "'CRu', 'resp'" in msg
    assert "P1, P5 (2 patients)" in msg and "Use one of CR, PR, SD, PD, NE." in msg
