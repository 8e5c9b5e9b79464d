"""Property tests of ICAHT grading: monotone in ANC, blind to row order and duplicated rows."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cartsie.toxicity import grade_icaht

GRADES = ["icaht_early_grade", "icaht_late_grade", "severe_thrombocytopenia"]


@st.composite
def lab_series(draw, max_patients=4):
    rows = []
    for p in range(draw(st.integers(1, max_patients))):
        days = draw(st.lists(st.integers(-5, 80), min_size=1, max_size=25, unique=True))
        for d in days:
            anc = draw(st.sampled_from([0.0, 0.05, 0.1, 0.3, 0.5, 0.8, 1.0, 1.2, 1.5, 2.0, 4.0]))
            plt = draw(st.sampled_from([10.0, 49.0, 50.0, 120.0]))
            rows.append((f"P{p}", d, anc, plt))
    return pd.DataFrame(rows, columns=["patient_id", "day", "anc", "plt"])


OPTIONS = st.fixed_dictionaries(
    {
        "duration": st.sampled_from(["longest", "total"]),
        "late_rule": st.sampled_from(["consecutive", "any_two"]),
        "interpolation": st.sampled_from(["linear", "none"]),
    }
)


@settings(max_examples=150, deadline=None)
@given(lab_series(), st.data(), OPTIONS)
def test_lowering_anc_never_lowers_a_grade(labs, data, options):
    factors = data.draw(st.lists(st.floats(0, 1), min_size=len(labs), max_size=len(labs)))
    lower = labs.assign(anc=labs["anc"] * np.array(factors))
    before = grade_icaht(labs, check_units=False, **options)
    after = grade_icaht(lower, check_units=False, **options)
    for col in ("icaht_early_grade", "icaht_late_grade"):
        b, a = before[col], after[col]
        assert (b.isna() == a.isna()).all(), "lowering values does not add or remove data"
        assert (a[b.notna()] >= b[b.notna()]).all(), col


@settings(max_examples=100, deadline=None)
@given(lab_series(), st.randoms(use_true_random=False), OPTIONS)
def test_row_order_and_duplicated_rows_change_nothing(labs, rnd, options):
    seed = rnd.randint(0, 2**31)
    shuffled = labs.sample(frac=1, random_state=seed)
    doubled = pd.concat([shuffled, shuffled.sample(frac=0.5, random_state=seed + 1)])
    base = grade_icaht(labs, check_units=False, **options)
    pd.testing.assert_frame_equal(grade_icaht(doubled, check_units=False, **options), base)
