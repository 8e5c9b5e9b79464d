"""HT score and simpleHT: every row and boundary of the published tables, worked by hand."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartsie.errors import CohortWarning, InputError
from cartsie.scores import HematotoxCutoffs, SimpleHTCutoffs, hematotox, score_all, simple_ht

# A patient scoring 0 on every component; each case changes one lab.
ZERO = {"anc": 2.0, "hb": 12.0, "plt": 250.0, "crp": 0.5, "ferritin": 300.0}


@pytest.mark.parametrize(
    ("lab", "value", "points", "why"),
    [
        ("plt", 175.01, 0, "platelets > 175: 0 points"),
        ("plt", 175.0, 1, "175 is inside 75-175: 1 point"),
        ("plt", 75.0, 1, "75 is inside 75-175: 1 point"),
        ("plt", 74.99, 2, "platelets < 75: 2 points"),
        ("plt", 5.0, 2, "deep thrombocytopenia: 2 points"),
        ("anc", 1.2, 0, "ANC >= 1.2: 0 points"),
        ("anc", 1.19, 1, "ANC < 1.2: 1 point"),
        ("hb", 9.0, 0, "Hb >= 9.0: 0 points"),
        ("hb", 8.99, 1, "Hb < 9.0: 1 point"),
        ("crp", 2.99, 0, "CRP < 3.0: 0 points"),
        ("crp", 3.0, 1, "CRP >= 3.0: 1 point"),
        ("ferritin", 649.99, 0, "ferritin < 650: 0 points"),
        ("ferritin", 650.0, 1, "650 is inside 650-2000: 1 point"),
        ("ferritin", 2000.0, 1, "2000 is inside 650-2000: 1 point"),
        ("ferritin", 2000.01, 2, "ferritin > 2000: 2 points"),
    ],
)
def test_each_row_and_boundary_of_the_ht_table(lab, value, points, why):
    out = hematotox(pd.DataFrame([{**ZERO, lab: value}]))
    assert out.loc[0, f"ht_{lab}"] == points, why
    assert out.loc[0, "ht_score"] == points, "the other components score 0"


@pytest.mark.parametrize(
    ("labs", "score", "high", "why"),
    [
        ({}, 0, 0, "all components 0: low"),
        ({"anc": 1.0}, 1, 0, "score 1 is still low (0-1)"),
        ({"anc": 1.0, "hb": 8.0}, 2, 1, "score 2 is high (>= 2)"),
        ({"plt": 60.0}, 2, 1, "platelets < 75 alone make HT high"),
        ({"ferritin": 2500.0}, 2, 1, "ferritin > 2000 alone makes HT high"),
        ({"anc": 0.5, "hb": 7.0, "plt": 30.0, "crp": 10.0, "ferritin": 5000.0}, 7, 1, "maximum is 7"),
    ],
)
def test_total_score_and_risk_group(labs, score, high, why):
    out = hematotox(pd.DataFrame([{**ZERO, **labs}]))
    assert (out.loc[0, "ht_score"], out.loc[0, "ht_high"]) == (score, high), why


def test_missing_lab_makes_the_score_missing_but_keeps_other_points():
    df = pd.DataFrame([{**ZERO, "ferritin": np.nan, "plt": 60.0}])
    out = hematotox(df)
    assert out.loc[0, "ht_plt"] == 2
    assert pd.isna(out.loc[0, "ht_ferritin"])
    assert pd.isna(out.loc[0, "ht_score"]), "a partial score is never reported"
    assert pd.isna(out.loc[0, "ht_high"])
    assert str(out["ht_score"].dtype) == "Int64"


def test_output_is_aligned_with_the_input_index():
    df = pd.DataFrame([ZERO, {**ZERO, "anc": 1.0, "hb": 8.0}], index=["b", "a"])
    out = hematotox(df)
    assert out.index.tolist() == ["b", "a"]
    assert out["ht_score"].tolist() == [0, 2]


@pytest.mark.parametrize(
    ("plt", "crp", "high", "why"),
    [
        (175.0, 3.0, 1, "both at their inclusive limits: high"),
        (175.01, 3.0, 0, "platelets above 175: low"),
        (175.0, 2.99, 0, "CRP below 3: low"),
        (20.0, 15.0, 1, "both deeply abnormal: high"),
        (300.0, 0.1, 0, "both normal: low"),
    ],
)
def test_simple_ht_boundaries(plt, crp, high, why):
    assert simple_ht(pd.DataFrame({"plt": [plt], "crp": [crp]})).loc[0, "simple_ht_high"] == high, why


def test_simple_ht_missing_when_either_lab_is():
    out = simple_ht(pd.DataFrame({"plt": [100.0, np.nan], "crp": [np.nan, 5.0]}))
    assert out["simple_ht_high"].isna().all()


def test_cutoffs_can_be_changed_explicitly():
    df = pd.DataFrame([{**ZERO, "crp": 2.5}])
    assert hematotox(df).loc[0, "ht_crp"] == 0
    assert hematotox(df, HematotoxCutoffs(crp=2.0)).loc[0, "ht_crp"] == 1
    assert (
        simple_ht(pd.DataFrame({"plt": [180.0], "crp": [3.0]}), SimpleHTCutoffs(plt_max=200)).iloc[0, 0] == 1
    )
    with pytest.raises(InputError, match="plt_low must be below plt_high"):
        HematotoxCutoffs(plt_low=200.0)


def test_score_all_has_both_scores_and_handles_missing_ht_columns():
    df = pd.DataFrame({"plt": [100.0], "crp": [4.0]})
    out = score_all(df)
    assert out.loc[0, "simple_ht_high"] == 1 and pd.isna(out.loc[0, "ht_score"])
    full = score_all(pd.DataFrame([{**ZERO, "plt": 100.0, "crp": 4.0}]))
    assert (full.loc[0, "ht_score"], full.loc[0, "simple_ht_high"]) == (2, 1)


def test_bad_input_names_column_patient_and_fix():
    df = pd.DataFrame([{**ZERO, "patient_id": "P7", "hb": -1.0}])
    with pytest.raises(InputError, match=r"'hb'.*negative.*patient_id P7"):
        hematotox(df)
    with pytest.raises(InputError, match=r"column\(s\) 'ferritin' not found"):
        hematotox(pd.DataFrame([{k: v for k, v in ZERO.items() if k != "ferritin"}]))
    with pytest.raises(InputError, match=r"'crp' holds values that are not numbers \('high'\)"):
        hematotox(pd.DataFrame([{**ZERO, "patient_id": "P9", "crp": "high"}]))


def test_wrong_unit_warns():
    df = pd.DataFrame([{**ZERO, "crp": 45.0}, {**ZERO, "crp": 60.0}])
    with pytest.warns(CohortWarning, match="'crp'.*mg/L"):
        hematotox(df)


# Adverse direction of each lab: lower ANC/Hb/platelets and higher CRP/ferritin are worse.
ADVERSE = {"anc": -1, "hb": -1, "plt": -1, "crp": 1, "ferritin": 1}
lab_values = st.fixed_dictionaries(
    {
        "anc": st.floats(0, 10),
        "hb": st.floats(3, 18),
        "plt": st.floats(0, 600),
        "crp": st.floats(0, 40),
        "ferritin": st.floats(0, 10000),
    }
)


@given(lab_values, st.sampled_from(sorted(ADVERSE)), st.floats(0, 1))
def test_moving_a_lab_in_its_adverse_direction_never_lowers_the_score(labs, lab, fraction):
    worse = dict(labs)
    worse[lab] = labs[lab] * (1 - fraction) if ADVERSE[lab] < 0 else labs[lab] * (1 + fraction) + fraction
    before = hematotox(pd.DataFrame([labs]), check_units=False).loc[0, "ht_score"]
    after = hematotox(pd.DataFrame([worse]), check_units=False).loc[0, "ht_score"]
    assert 0 <= before <= after <= 7


@settings(max_examples=50)
@given(st.lists(lab_values, min_size=1, max_size=20), st.randoms(use_true_random=False))
def test_row_order_and_duplicates_do_not_change_scores(rows, rnd):
    df = pd.DataFrame(rows)
    df.index = [f"P{i}" for i in range(len(df))]
    shuffled = df.sample(frac=1, random_state=rnd.randint(0, 2**31))
    doubled = pd.concat([shuffled, shuffled.iloc[:3]])
    base = score_all(df, check_units=False)
    again = score_all(doubled, check_units=False)
    pd.testing.assert_frame_equal(again.loc[~again.index.duplicated()].loc[base.index], base)
