"""ICAHT grading, severe cytopenias, recovery phenotype and survey grades: hand-worked cases.

Unless a case says otherwise, ANC is measured daily on days 0-45 and is 2.0 (10^9/L) on every day the
case does not set, so each duration is exactly the number of days the case lists.
"""

import numpy as np
import pandas as pd
import pytest

from cartsie.errors import CohortWarning, InputError
from cartsie.toxicity import grade_cytopenia, grade_icaht


def daily(pid="P", overrides=None, last=45, base=2.0, column="anc"):
    """Daily measurements on days 0..last, ``base`` except for the {day: value} overrides."""
    values = {d: base for d in range(last + 1)}
    for key, value in (overrides or {}).items():
        for d in key if isinstance(key, range | list | tuple) else [key]:
            values[d] = value
    return pd.DataFrame({"patient_id": pid, "day": list(values), column: list(values.values())})


def early(overrides, **kw):
    return grade_icaht(daily(overrides=overrides), **kw).iloc[0]


@pytest.mark.parametrize(
    ("overrides", "grade", "why"),
    [
        ({range(3, 10): 0.51}, 0, "0.51 is above 0.5: never neutropenic"),
        ({5: 0.5}, 1, "0.5 counts (<= 0.5): 1 day"),
        ({range(3, 9): 0.3}, 1, "6 days <= 0.5"),
        ({range(3, 10): 0.3}, 2, "7 days <= 0.5"),
        ({range(3, 16): 0.3}, 2, "13 days <= 0.5"),
        ({range(3, 17): 0.3}, 3, "14 days <= 0.5"),
        ({range(3, 10): 0.1}, 3, "7 days <= 0.1 (0.1 counts)"),
        ({range(3, 16): 0.05}, 3, "13 days <= 0.1"),
        ({range(3, 17): 0.05}, 4, "14 days <= 0.1"),
        ({range(0, 31): 0.3}, 4, "<= 0.5 on every day 0-30"),
        ({range(0, 30): 0.3}, 3, "day 30 above 0.5: 30 days, not 'never above'"),
        (
            {range(3, 9): 0.3, range(9, 11): 0.8, range(11, 14): 0.3},
            2,
            "6 + 3 days joined by a 2-day recovery: an 11-day episode",
        ),
        (
            {range(3, 9): 0.3, range(9, 12): 0.8, range(12, 15): 0.3},
            1,
            "a 3-day recovery ends the episode: two episodes of 6 and 3 days",
        ),
    ],
)
def test_early_icaht_table(overrides, grade, why):
    assert early(overrides)["icaht_early_grade"] == grade, why


def test_early_durations_longest_versus_total():
    overrides = {range(3, 8): 0.3, range(8, 11): 0.8, range(11, 16): 0.3}  # 5 + 5 days, 3-day recovery
    longest = early(overrides)
    total = early(overrides, duration="total")
    assert (longest["early_days_anc_le_0_5"], longest["icaht_early_grade"]) == (5, 1)
    assert (total["early_days_anc_le_0_5"], total["icaht_early_grade"]) == (10, 2)


def test_short_recovery_days_count_in_the_episode_span():
    overrides = {range(3, 6): 0.3, range(6, 8): 0.8, range(8, 11): 0.3}  # 3 + [2 above] + 3
    assert early(overrides)["early_days_anc_le_0_5"] == 8
    assert early(overrides, duration="total")["early_days_anc_le_0_5"] == 6
    assert early(overrides, recovery_days=2)["early_days_anc_le_0_5"] == 3


def test_linear_interpolation_between_measurements():
    # day 0: 1.2 -> day 7: 0.2 falls 1/7 a day, first <= 0.5 on day 5 (0.486);
    # day 14: 0.2 -> day 21: 1.6 rises 0.2 a day, last <= 0.5 on day 15 (0.4): days 5-15 = 11.
    labs = pd.DataFrame({"patient_id": "P", "day": [0, 7, 14, 21, 28], "anc": [1.2, 0.2, 0.2, 1.6, 2.0]})
    g = grade_icaht(labs).iloc[0]
    assert (g["early_days_anc_le_0_5"], g["icaht_early_grade"]) == (11, 2)
    # Without interpolation only measured days are known: 0.2 on days 7 and 14, a span of 8 days.
    assert grade_icaht(labs, interpolation="none").iloc[0]["early_days_anc_le_0_5"] == 8


def test_gap_longer_than_max_gap_ends_an_episode():
    labs = pd.DataFrame({"patient_id": "P", "day": [0, 10, 20], "anc": [0.3, 0.3, 2.0]})
    assert grade_icaht(labs).iloc[0]["early_days_anc_le_0_5"] == 1, "not bridged: two 1-day episodes"
    g = grade_icaht(labs, max_gap=10).iloc[0]
    # bridged: 0.3 on days 0-10, then 0.3 -> 2.0 over days 10-20 stays <= 0.5 through day 11
    assert (g["early_days_anc_le_0_5"], g["icaht_early_grade"]) == (12, 2)


def test_pre_infusion_value_only_helps_interpolation():
    labs = pd.DataFrame({"patient_id": "P", "day": [-2, 2, 5], "anc": [0.2, 0.2, 3.0]})
    g = grade_icaht(labs).iloc[0]
    assert g["early_days_anc_le_0_5"] == 3, "days 0-2 interpolated from day -2 and day 2"
    assert g["n_anc_early"] == 2, "the day -2 measurement is not an early-window measurement"


def test_lowest_measurement_of_a_day_counts():
    labs = pd.concat([daily(), pd.DataFrame({"patient_id": "P", "day": [5, 6], "anc": [0.4, 0.4]})])
    assert grade_icaht(labs).iloc[0]["early_days_anc_le_0_5"] == 2


def test_no_measurement_in_a_window_gives_missing_not_zero():
    only_late = pd.DataFrame({"patient_id": "L", "day": [40, 50], "anc": [0.4, 0.3]})
    only_early = pd.DataFrame({"patient_id": "E", "day": [1, 5, 9], "anc": [0.4, 0.3, 2.0]})
    g = grade_icaht(pd.concat([only_late, only_early]))
    assert pd.isna(g.loc["L", "icaht_early_grade"]) and g.loc["L", "icaht_late_grade"] == 3
    # E: <= 0.5 on days 1-5 (day 6 interpolates to 0.725): 5 days, grade 1
    assert g.loc["E", "icaht_early_grade"] == 1 and pd.isna(g.loc["E", "icaht_late_grade"])
    assert pd.isna(g.loc["E", "severe_thrombocytopenia"]), "no platelet column: missing"


def late(values, days=None, **kw):
    days = days or list(range(35, 35 + 7 * len(values), 7))
    labs = pd.DataFrame({"patient_id": "P", "day": [0, *days], "anc": [2.0, *values]})
    return grade_icaht(labs, **kw).iloc[0]


@pytest.mark.parametrize(
    ("values", "grade", "why"),
    [
        ([1.51, 1.51], 0, "above 1.5"),
        ([1.5, 1.5], 1, "two consecutive <= 1.5"),
        ([1.0, 1.0], 2, "two consecutive <= 1.0"),
        ([0.5, 0.5], 3, "two consecutive <= 0.5"),
        ([0.1, 0.1], 4, "two consecutive <= 0.1"),
        ([0.05, 2.0], 0, "one low value is transient"),
        ([0.05], 0, "a single late measurement cannot be non-transient"),
        ([0.4, 1.2, 0.45], 1, "the 0.4 and 0.45 are not consecutive: pairs reach 1.2"),
        ([2.0, 0.3, 0.08, 0.09, 2.0], 4, "0.08 then 0.09"),
    ],
)
def test_late_icaht_table(values, grade, why):
    assert late(values)["icaht_late_grade"] == grade, why


def test_late_rule_any_two():
    assert late([0.4, 1.2, 0.45], late_rule="any_two")["icaht_late_grade"] == 3


def test_late_window_starts_after_day_30_and_can_end_early():
    assert late([0.3, 0.3], days=[30, 31])["icaht_late_grade"] == 0, "day 30 is early"
    g = late([2.0, 2.0, 0.3, 0.3], days=[35, 50, 70, 80])
    assert g["icaht_late_grade"] == 3
    assert late([2.0, 2.0, 0.3, 0.3], days=[35, 50, 70, 80], late_end=60)["icaht_late_grade"] == 0
    per_patient = late([2.0, 2.0, 0.3, 0.3], days=[35, 50, 70, 80], late_end={"P": 75})
    assert per_patient["icaht_late_grade"] == 0, "the window ends at day 75, before the second 0.3"


@pytest.mark.parametrize(
    ("column", "values", "flag", "why"),
    [
        ("plt", [49, 49], 1, "two consecutive platelets < 50"),
        ("plt", [50, 40], 0, "50 is not < 50"),
        ("plt", [45, 80, 45], 0, "not consecutive"),
        ("hb", [7.9, 7.5], 1, "two consecutive Hb < 8"),
        ("hb", [8.0, 7.0], 0, "8.0 is not < 8"),
    ],
)
def test_severe_thrombocytopenia_and_anemia(column, values, flag, why):
    days = [0, *range(35, 35 + 7 * len(values), 7)]
    labs = pd.DataFrame({"patient_id": "P", "day": days, "anc": 2.0, column: [200.0, *values]})
    name = "severe_thrombocytopenia" if column == "plt" else "severe_anemia"
    assert grade_icaht(labs).iloc[0][name] == flag, why


def test_severe_thrombocytopenia_needs_late_platelets():
    labs = pd.DataFrame({"patient_id": "P", "day": [0, 10, 40], "anc": 2.0, "plt": [20, 20, np.nan]})
    assert pd.isna(grade_icaht(labs).iloc[0]["severe_thrombocytopenia"])


@pytest.mark.parametrize(
    ("days", "anc", "phenotype", "why"),
    [
        ([0, 5, 10, 20, 40], [1.5, 0.3, 1.6, 2.0, 2.2], "quick", "recovers, no second dip"),
        ([0, 5, 10, 20, 30], [1.5, 0.3, 1.6, 2.0, 0.8], "intermittent", "second dip on day 30"),
        ([0, 5, 10, 21, 30], [1.5, 0.3, 1.6, 0.8, 1.5], "quick", "a dip on day 21 is not after day 21"),
        ([0, 5, 10, 22, 30], [1.5, 0.3, 1.6, 0.8, 1.5], "intermittent", "a dip on day 22 is"),
        ([0, 4, 8, 12, 17, 25], [1.5, 0.3, 0.2, 0.1, 0.2, 0.4], "aplastic", "< 0.5 on days 4-17: 14 days"),
        ([0, 4, 8, 12, 16, 25], [1.5, 0.3, 0.2, 0.1, 0.2, 0.7], "<NA>", "13 days, no recovery yet"),
        ([0, 7, 14], [2.0, 1.8, 2.5], "quick", "never below 1.0"),
    ],
)
def test_recovery_phenotype(days, anc, phenotype, why):
    g = grade_icaht(pd.DataFrame({"patient_id": "P", "day": days, "anc": anc})).iloc[0]
    assert str(g["recovery_phenotype"]) == phenotype, why


@pytest.mark.parametrize(
    ("lineage", "overrides", "depth", "days", "duration", "why"),
    [
        ("plt", {5: 100.0}, 0, 0, 0, "100 is not < 100"),
        ("plt", {5: 99.9}, 1, 1, 1, "< 100, 1 day"),
        ("plt", {range(5, 9): 50.0}, 1, 4, 1, "50 is not < 50; 4 days is grade 1 (<= 4)"),
        ("plt", {range(5, 10): 49.9}, 2, 5, 2, "< 50; 5 days is grade 2"),
        ("plt", {range(5, 19): 20.0}, 2, 14, 2, "14 days is not > 14"),
        ("plt", {range(5, 20): 19.9}, 3, 15, 3, "< 20; 15 days > 14"),
        ("plt", {range(5, 34): 60.0}, 1, 29, 4, "29 days > 28"),
        ("anc", {range(5, 10): 0.4}, 3, 5, 2, "< 0.5 for 5 days"),
        ("hb", {range(5, 13): 9.5}, 2, 8, 2, "< 10 g/dL for 8 days (> 7)"),
        ("hb", {range(5, 34): 7.9}, 3, 29, 3, "< 8 g/dL for 29 days (> 28)"),
        ("hb", {range(5, 67): 11.0}, 1, 62, 4, "< LLN 12 for 62 days (> 60)"),
    ],
)
def test_survey_depth_and_duration_grades(lineage, overrides, depth, days, duration, why):
    base = {"plt": 250.0, "anc": 2.0, "hb": 13.0}[lineage]
    labs = daily(overrides=overrides, last=100, base=base, column=lineage)
    g = grade_cytopenia(labs, lineage).iloc[0]
    assert (g[f"{lineage}_depth_grade"], g[f"{lineage}_duration_days"], g[f"{lineage}_duration_grade"]) == (
        depth,
        days,
        duration,
    ), why


def test_hb_lln_sets_grade_one():
    labs = daily(overrides={range(5, 8): 11.0}, base=13.0, column="hb")
    assert grade_cytopenia(labs, "hb").iloc[0]["hb_depth_grade"] == 1
    assert grade_cytopenia(labs, "hb", hb_lln=10.5).iloc[0]["hb_depth_grade"] == 0


def test_persistent_neutropenia_at_day_28():
    low = pd.DataFrame({"patient_id": "A", "day": [0, 28, 40], "anc": [2.0, 0.4, 2.0]})
    later = pd.DataFrame({"patient_id": "B", "day": [0, 30], "anc": [2.0, 0.6]})
    none = pd.DataFrame({"patient_id": "C", "day": [0, 20, 40], "anc": [2.0, 0.1, 0.1]})
    g = grade_cytopenia(pd.concat([low, later, none]), "anc")["persistent_neutropenia"]
    assert g["A"] == 1 and g["B"] == 0 and pd.isna(g["C"])


@pytest.mark.parametrize(
    ("labs", "match"),
    [
        (pd.DataFrame({"patient_id": ["P"], "day": [1]}), r"column\(s\) 'anc' not found"),
        (
            pd.DataFrame({"patient_id": ["P1", "P2"], "day": [1, 2], "anc": [0.5, -1.0]}),
            r"'anc' has negative counts at patient_id P2",
        ),
        (pd.DataFrame({"patient_id": ["P1"], "day": [1.5], "anc": [0.5]}), r"whole days.*patient_id P1"),
        (pd.DataFrame({"patient_id": [None], "day": [1], "anc": [0.5]}), r"'patient_id' is empty"),
        (
            pd.DataFrame({"patient_id": ["P3"], "day": [1], "anc": ["<0.1"]}),
            r"'anc' holds values that are not numbers \('<0.1'\) at patient_id P3",
        ),
    ],
)
def test_bad_labs_are_clear_errors(labs, match):
    with pytest.raises(InputError, match=match):
        grade_icaht(labs)


def test_bad_options_are_clear_errors():
    labs = daily()
    with pytest.raises(InputError, match="duration='median' is not an option"):
        grade_icaht(labs, duration="median")
    with pytest.raises(InputError, match="late_end=20 must be a day after day 30"):
        grade_icaht(labs, late_end=20)
    with pytest.raises(InputError, match="lineage='wbc'"):
        grade_cytopenia(labs, "wbc")


def test_anc_per_microlitre_warns():
    labs = daily(base=2000.0)
    with pytest.warns(CohortWarning, match="'anc'.*cells/µL"):
        grade_icaht(labs)


def test_grades_do_not_depend_on_the_block_size_or_the_row_order(monkeypatch):
    """The early grid is built in blocks of patients and sorted exports skip the sort: neither may
    change a grade."""
    from cartsie.toxicity import core as toxicity

    rng = np.random.default_rng(11)
    n = 40
    labs = pd.DataFrame(
        {
            "patient_id": np.repeat([f"P{i:02d}" for i in range(n)], 12),
            "day": np.tile([-2, 0, 2, 4, 6, 9, 13, 20, 28, 35, 60, 90], n),
            "anc": rng.gamma(0.8, 0.9, n * 12).round(2),
            "plt": rng.gamma(2, 40, n * 12).round(),
        }
    )
    whole = grade_icaht(labs, check_units=False)
    monkeypatch.setattr(toxicity, "_GRID_CELLS", 3 * 31)  # three patients per block
    blocked = grade_icaht(labs.sample(frac=1, random_state=3), check_units=False)
    pd.testing.assert_frame_equal(blocked, whole)
    assert whole["icaht_early_grade"].nunique() >= 3, "the test data reach several grades"
