"""cohort.load: names, units, dates, validation with clear errors, the flow, formats and properties."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cartsie import cohort, study
from cartsie.cli import main
from cartsie.cohort.endpoints import ENDPOINT_COLUMNS, derive_endpoints
from cartsie.datasets import example_path
from cartsie.errors import CohortError, CohortWarning
from cartsie.scores import score_all
from cartsie.toxicity import grade_icaht

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"
GOOD = DATA / "good_patients.csv"
GOOD_LABS = DATA / "good_labs.csv"


@pytest.fixture(scope="module")
def example():
    return cohort.load(example_path("example_patients.csv"), example_path("example_labs.csv"))


def test_example_flow_accounts_for_every_row(example):
    flow = example.flow.set_index("step")
    assert flow["n"].tolist() == [12, 11, 10, 10, 9]
    assert flow.loc["infused", "reason"] == "not infused (1)"
    assert flow.loc["LBCL", "reason"] == "histology MCL (not LBCL) (1)"
    assert flow.loc["HT evaluable", "reason"] == "missing baseline ferritin (1)"
    # every input row is either excluded at one step or reaches the end
    assert example.exclusions["n"].sum() + flow.loc["HT evaluable", "n"] == 12


def test_example_table_joins_scores_grades_and_endpoints(example):
    t = example.table
    raw = pd.read_csv(example_path("example_patients.csv")).set_index("patient_id")
    pd.testing.assert_series_equal(t["ht_score"], score_all(raw)["ht_score"], check_names=False)
    graded = grade_icaht(
        pd.read_csv(example_path("example_labs.csv")),
        late_end={"EX02": 76, "EX05": 73, "EX06": 266, "EX09": 203},
    )
    assert t["icaht_late_grade"].drop("EX11").tolist() == graded["icaht_late_grade"].tolist()
    assert list(example.endpoints.columns) == list(ENDPOINT_COLUMNS)
    assert t.loc["EX02", "progression_day"] == 76 and t.loc["EX02", "pfs_event"] == 1
    assert t.loc["EX07", "nrm_event"] == 1, "died of infection without progression"
    assert t.loc["EX08", "spm_myeloid_event"] == 1
    assert t.loc["EX02", "ht_group"] == "high" and t.loc["EX01", "simple_ht_group"] == "low"
    assert t.loc["EX02", "stage_advanced"] == 1 and t.loc["EX04", "ipi_ge3"] == 0
    assert t.loc["EX05", "prior_lines_cat"] == ">=3" and t.loc["EX01", "prior_lines_cat"] == "2"


def test_late_window_ends_at_progression():
    # A2 progresses on day 30 + ...: with a progression on day 20 the late window is empty.
    pat = pd.read_csv(GOOD).assign(progression_date=[None, "2021-03-07", None, "2022-03-01", None])
    labs = pd.read_csv(GOOD_LABS)
    c = cohort.load(pat, labs)
    assert c.patients.loc["A2", "progression_day"] == 20
    assert pd.isna(c.table.loc["A2", "icaht_late_grade"]), "no late window before progression"
    assert c.table.loc["A1", "icaht_late_grade"] == 0


def test_aliases_units_in_names_and_declared_units():
    raw = pd.read_csv(GOOD).rename(
        columns={
            "patient_id": "Patient ID",
            "plt": "Platelets",
            "crp": "CRP (mg/L)",
            "hb": "Hemoglobin",
            "last_followup_date": "Last contact date",
            "sex": "Gender",
        }
    )
    raw["CRP (mg/L)"] = raw["CRP (mg/L)"] * 10
    raw["Hemoglobin"] = raw["Hemoglobin"] * 10
    c = cohort.load(raw, units={"hb": "g/L"})
    ref = cohort.load(GOOD)
    np.testing.assert_allclose(c.patients["crp"], ref.patients["crp"])
    np.testing.assert_allclose(c.patients["hb"], ref.patients["hb"])
    assert any("'crp' converted from mg/L" in n for n in c.notes)


def test_undeclared_implausible_unit_is_refused_and_a_declared_one_converted():
    raw = pd.read_csv(GOOD).assign(crp=[35.0, 50.0, 40.0, 32.0, None])  # mg/L, written as if mg/dL
    with pytest.raises(CohortError, match=r"'crp': median 37.5 is implausible in mg/dL.*like mg/L") as err:
        cohort.load(raw)
    assert "--unit patients.crp=mg/L" in str(err.value)
    converted = cohort.load(raw, units={"patients": {"crp": "mg/L"}})
    np.testing.assert_allclose(converted.patients["crp"].dropna(), [3.5, 5.0, 4.0, 3.2])
    # declaring the canonical unit confirms the values: a warning, an error in strict mode
    with pytest.warns(CohortWarning, match=r"'crp': median 37.5 is implausible in mg/dL.*declared as mg/dL"):
        kept = cohort.load(raw, units={"patients.crp": "mg/dL"})
    assert kept.patients["crp"].max() == 50.0
    with pytest.raises(CohortError, match="strict mode"):
        cohort.load(raw, units={"patients.crp": "mg/dL"}, strict=True)


def test_days_instead_of_dates_give_the_same_endpoints():
    dated = cohort.load(GOOD)
    p = dated.patients
    days = pd.DataFrame({"patient_id": p.index, "infused": p["infused"], "histology": p["histology"]})
    for e in ("response", "last_followup", "progression", "death", "spm"):
        days[f"{e}_day"] = p[f"{e}_day"].to_numpy()
    days["spm_type"] = p["spm_type"].to_numpy()
    days["response_day90"] = p["response_day90"].to_numpy()
    c = cohort.load(days)
    pd.testing.assert_frame_equal(c.endpoints, dated.endpoints)


def test_date_and_day_disagreeing_is_an_error():
    raw = pd.read_csv(GOOD).assign(progression_day=[None, 45, None, 400, None])  # A2 agrees
    with pytest.raises(
        CohortError, match=r"'progression_day': disagrees with progression_date at patient_id A4"
    ):
        cohort.load(raw)


def test_day_first_dates_are_recognised():
    raw = pd.read_csv(GOOD)
    for col in (
        "infusion_date",
        "response_date",
        "last_followup_date",
        "progression_date",
        "death_date",
        "spm_date",
    ):
        raw[col] = pd.to_datetime(raw[col]).dt.strftime("%d/%m/%Y")
    c = cohort.load(raw)
    pd.testing.assert_frame_equal(c.endpoints, cohort.load(GOOD).endpoints)
    ambiguous = pd.read_csv(BAD / "ambiguous_dates.csv")
    with pytest.raises(CohortError, match="ambiguous"):
        cohort.load(ambiguous)
    with pytest.warns(CohortWarning, match="without a first-response date"):
        resolved = cohort.load(ambiguous, dayfirst=True)
    assert resolved.patients.loc["A2", "infusion_date"] == pd.Timestamp("2021-03-02")


def test_spreadsheet_serial_dates_warn():
    raw = pd.read_csv(GOOD)
    raw["infusion_date"] = (pd.to_datetime(raw["infusion_date"]) - pd.Timestamp("1899-12-30")).dt.days
    with pytest.warns(CohortWarning, match="date serials"):
        c = cohort.load(raw)
    assert c.patients.loc["A1", "infusion_date"] == pd.Timestamp("2021-01-10")


def test_censored_lab_text_is_parsed_with_a_warning():
    labs = pd.read_csv(GOOD_LABS).astype({"anc": object})
    labs.loc[5, "anc"] = "<0.1"
    with pytest.warns(CohortWarning, match=r"'anc'.*detection-limit.*patient_id A2"):
        c = cohort.load(GOOD, labs)
    assert c.labs.loc[5, "anc"] < 0.1


def test_decimal_commas_on_request():
    raw = pd.read_csv(BAD / "decimal_comma.csv")
    c = cohort.load(raw, decimal=",")
    assert c.patients["hb"].tolist()[:4] == [11.0, 8.5, 12.5, 10.0]


def test_baseline_from_labs_fills_missing_counts():
    raw = pd.read_csv(GOOD).assign(anc=[None, 0.9, 3.0, 1.5, None])
    c = cohort.load(raw, GOOD_LABS, baseline="labs_day0")
    assert c.patients.loc["A1", "anc"] == 1.5
    assert any("baseline anc taken from the last lab" in n for n in c.notes)


def test_precomputed_grades_without_labs_and_required_columns():
    raw = pd.read_csv(GOOD).assign(icaht_early_grade=[1, 3, 0, 2, None], icaht_late_grade=[0, 3, 0, 1, None])
    c = cohort.load(raw)
    assert c.table["late_icaht_severe"].tolist()[:4] == [0, 1, 0, 0]
    with pytest.raises(CohortError, match="'severe_thrombocytopenia' is missing"):
        cohort.load(raw, require=["toxicity"])
    with pytest.raises(CohortError, match="'ferritin' is missing"):
        cohort.load(raw.drop(columns="ferritin"), require=["scores"])


def test_survival_needs_follow_up():
    raw = pd.read_csv(GOOD).drop(columns="last_followup_date")
    with pytest.raises(CohortError, match=r"'last_followup_date' is missing.*or give last_followup_day"):
        cohort.load(raw)


def test_many_problems_are_reported_at_once():
    with pytest.raises(CohortError) as info:
        cohort.load(BAD / "many_problems.csv")
    # the progression after death also falls after the last follow-up: five problems in all
    assert len(info.value.problems) == 5
    for fragment in ("'crp'", "'sex'", "'crs_grade'", "progression after death", "last follow-up before"):
        assert fragment in str(info.value)


def _write(df: pd.DataFrame, path: Path) -> None:
    import pyreadstat

    suffix = path.suffix
    if suffix == ".csv":
        df.to_csv(path, index=False)
    elif suffix == ".xlsx":
        df.to_excel(path, index=False)
    elif suffix == ".parquet":
        df.to_parquet(path)
    elif suffix == ".dta":
        df.to_stata(path, write_index=False)
    elif suffix == ".sav":
        pyreadstat.write_sav(df, str(path))
    elif suffix == ".xpt":
        pyreadstat.write_xport(df.rename(columns=lambda c: c[:8]), str(path))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet", ".dta", ".sav"])
def test_round_trip_through_every_format(tmp_path, suffix):
    ref = cohort.load(GOOD, GOOD_LABS)
    raw = pd.read_csv(GOOD)
    for col in raw.columns:
        if col.endswith("_date"):
            raw[col] = pd.to_datetime(raw[col])
    path = tmp_path / f"patients{suffix}"
    _write(raw, path)
    labs_path = tmp_path / f"labs{suffix}"
    _write(pd.read_csv(GOOD_LABS), labs_path)
    c = cohort.load(path, labs_path)
    cols = ["ht_score", "simple_ht_high", "icaht_early_grade", "icaht_late_grade", *ENDPOINT_COLUMNS]
    pd.testing.assert_frame_equal(c.table[cols], ref.table[cols], check_dtype=False)


def test_sas7bdat_written_by_r_haven():
    # tests/data/make_sas.R writes good_patients.sas7bdat from good_patients.csv with R's haven.
    c = cohort.load(DATA / "good_patients.sas7bdat")
    ref = cohort.load(GOOD)
    cols = ["ht_score", "simple_ht_high", *ENDPOINT_COLUMNS]
    pd.testing.assert_frame_equal(c.table[cols], ref.table[cols], check_dtype=False)


ALIASES = {
    "patient_id": ["Patient ID", "UPN", "subject id"],
    "plt": ["Platelets", "PLT"],
    "hb": ["Hemoglobin", "HGB"],
    "death_date": ["Date of death", "DoD"],
    "last_followup_date": ["Last contact date", "last follow up date"],
    "sex": ["Gender"],
}


@settings(max_examples=30, deadline=None)
@given(st.randoms(use_true_random=False), st.data())
def test_shuffling_rows_and_renaming_through_aliases_changes_nothing(rnd, data):
    ref = cohort.load(GOOD, GOOD_LABS)
    raw = pd.read_csv(GOOD).sample(frac=1, random_state=rnd.randint(0, 2**31))
    labs = pd.read_csv(GOOD_LABS).sample(frac=1, random_state=rnd.randint(0, 2**31))
    rename = {col: data.draw(st.sampled_from(names)) for col, names in ALIASES.items()}
    c = cohort.load(raw.rename(columns=rename), labs.rename(columns={"patient_id": rename["patient_id"]}))
    cols = ["ht_score", "simple_ht_high", "icaht_early_grade", "icaht_late_grade", *ENDPOINT_COLUMNS]
    pd.testing.assert_frame_equal(c.table.loc[ref.table.index, cols], ref.table[cols])
    pd.testing.assert_frame_equal(c.flow, ref.flow)


def test_endpoints_equal_derive_endpoints_of_the_patient_days(example):
    pd.testing.assert_frame_equal(example.endpoints, derive_endpoints(example.patients))


def test_population_subsets(example):
    assert len(study.population(example, "infused")) == 11
    assert len(study.population(example, "lbcl")) == 10
    assert len(study.population(example, "ht")) == 9


def test_cli_validate_example_and_bad_file():
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", "--example"])
    assert ok.exit_code == 0
    assert "no problems found" in ok.stdout and "HT evaluable" in ok.stdout
    assert re.search(r"HT evaluable\s+9\s+excluded 1: missing baseline ferritin", ok.stdout)
    bad = runner.invoke(main, ["validate", str(BAD / "many_problems.csv")])
    assert bad.exit_code == 2
    assert "5 problem(s)" in bad.stdout and "patient_id A3" in bad.stdout and "Traceback" not in bad.stdout
