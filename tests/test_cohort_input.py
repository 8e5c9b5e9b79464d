"""The input layer's rules, each on a small hand-made cohort whose right answer is known by hand.

(The corpus of tests/data/bad/ walks the same rules through files of every format and every command;
here each rule is pinned to the number it must produce.)
"""

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cartsie import cohort
from cartsie.cli import main
from cartsie.cohort import problems
from cartsie.errors import CohortError, CohortWarning, InputError
from cartsie.toxicity import grade_icaht

DATA = Path(__file__).parent / "data"
GOOD = DATA / "good_patients.csv"
GOOD_LABS = DATA / "good_labs.csv"


def good() -> pd.DataFrame:
    return pd.read_csv(GOOD)


def labs() -> pd.DataFrame:
    return pd.read_csv(GOOD_LABS)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_a_unit_in_one_tables_header_never_touches_the_other():
    ref = cohort.load(GOOD, GOOD_LABS)
    pat = good().rename(columns={"hb": "Hemoglobin (g/dL)"})
    lab = labs().assign(hb=labs()["hb"] * 10).rename(columns={"hb": "Haemoglobin (g/L)"})
    c = cohort.load(pat, lab)
    np.testing.assert_allclose(c.patients["hb"], ref.patients["hb"])  # not divided by 10
    np.testing.assert_allclose(c.labs["hb"], ref.labs["hb"])
    assert c.table["ht_score"].equals(ref.table["ht_score"])
    assert any("labs table: 'hb' converted from g/L" in n for n in c.notes)
    assert not any("patients table: 'hb' converted" in n for n in c.notes)


def test_a_bare_unit_for_a_column_of_both_tables_must_say_which():
    with pytest.raises(InputError, match=r"'hb' is a column of both tables.*patients\.hb"):
        cohort.load(GOOD, GOOD_LABS, units={"hb": "g/L"})
    # without a labs table the patients table is meant
    c = cohort.load(good().assign(hb=good()["hb"] * 10), units={"hb": "g/L"})
    np.testing.assert_allclose(c.patients["hb"].dropna(), [11.0, 8.5, 12.5, 10.0])


def test_header_unit_and_declared_unit_must_agree():
    pat = good().assign(crp=good()["crp"] * 10).rename(columns={"crp": "CRP (mg/L)"})
    with pytest.raises(CohortError, match=r"the header says 'mg/L' but 'mg/dL' is declared"):
        cohort.load(pat, units={"patients": {"crp": "mg/dL"}})
    c = cohort.load(pat, units={"patients": {"crp": "mg/L"}})
    np.testing.assert_allclose(c.patients["crp"].dropna(), [0.5, 5.0, 1.0, 3.2])


def test_unrecognised_columns_are_listed_with_a_guess_and_strict_refuses():
    pat = (
        good()
        .rename(columns={"icans_grade": "ICANS grde", "death_date": "Data decesso"})
        .assign(**{"Foo bar": 1})
    )
    with pytest.warns(
        CohortWarning, match=r"2 column\(s\) not recognised.*'ICANS grde' \(did you mean 'icans_grade'\?\)"
    ):
        c = cohort.load(pat)
    assert "Foo bar" in c.table.columns, "kept as an extra column"
    assert c.patients.loc["A2", "death_day"] == 227, "'Data decesso' is the Italian death date"
    with pytest.raises(CohortError, match=r"not recognised.*strict mode"):
        cohort.load(pat, strict=True)


def test_a_missing_required_column_names_the_closest_header():
    pat = good().rename(columns={"last_followup_date": "Date of lst contact"})
    with pytest.raises(
        CohortError, match=r"'last_followup_date' is missing.*'Date of lst contact' is not recognised"
    ):
        cohort.load(pat)


@pytest.mark.parametrize(
    ("ids", "named"),
    [
        (["SYN0005", "syn0005"], "'SYN0005' and 'syn0005' differ only by case"),
        (["0123", "123"], "'0123' and '123' differ only by leading zeros"),
    ],
)
def test_ids_equal_up_to_case_or_zeros_are_refused(ids, named):
    pat = good().assign(patient_id=[ids[0], ids[1], "A3", "A4", "A5"])
    with pytest.raises(CohortError, match=named):
        cohort.load(pat)


def test_ids_are_text_trimmed_and_spreadsheet_floats_read_as_integers():
    pat = good().assign(patient_id=[" 0123", "7 ", "A3", "A4", "A5"])
    lab = labs().assign(patient_id=["0123"] * 4 + [7.0] * 4)
    c = cohort.load(pat, lab)
    assert list(c.patients.index[:2]) == ["0123", "7"]
    assert set(c.labs["patient_id"]) == {"0123", "7"}


def test_thousands_separator_and_decimal_comma_are_told_apart():
    pat = good().astype({"ferritin": object, "hb": object})
    pat["ferritin"] = ["300", "3,770", "400", "800", None]
    with pytest.raises(
        CohortError, match=r"'3,770' could use a thousands separator or a decimal comma"
    ) as err:
        cohort.load(pat)
    assert "thousands=','" in str(err.value) and "patient_id A2" in str(err.value)
    c = cohort.load(pat, thousands=",")
    assert c.patients.loc["A2", "ferritin"] == 3770
    pat["hb"] = ["11,0", "8,5", "12,5", "10,0", None]  # unambiguous decimal commas: read, and said
    c = cohort.load(pat.assign(ferritin=good()["ferritin"]))
    assert c.patients["hb"].tolist()[:4] == [11.0, 8.5, 12.5, 10.0]
    assert any("decimal commas" in n for n in c.notes)
    mixed = pat.assign(ferritin=good()["ferritin"], hb=["11,0", "8.5", "12,5", "10,0", None])
    with pytest.raises(CohortError, match="mixes decimal commas and decimal points"):
        cohort.load(mixed)


def test_a_declared_decimal_comma_refuses_points_in_that_table_only():
    pat = good().astype({"hb": object})
    pat["hb"] = ["11,0", "8.5", "12,5", "10,0", None]
    with pytest.raises(
        CohortError, match=r"'hb'.*points in numbers whose decimal mark is ','.*patient_id A2"
    ):
        cohort.load(pat, decimal=",")
    pat["hb"] = ["11,0", "8,5", "12,5", "10,0", None]
    c = cohort.load(pat, GOOD_LABS, decimal={"patients": ","})  # the labs keep their points
    assert c.patients.loc["A2", "hb"] == 8.5 and c.labs["hb"].iloc[1] == 9.0


def test_not_done_codes_refused_or_doubted_and_declarable():
    pat = good().assign(plt=[200, 999, 250, 150, None], ferritin=[300, 999, 400, 9999, None])
    with pytest.raises(CohortError) as err:
        cohort.load(pat)
    text = str(err.value)
    assert (
        "'plt': the value(s) 999, a typical 'not done' code (implausible as a value) at patient_id A2" in text
    )
    assert "'ferritin': the value(s) 9999" in text and "A4" in text
    c = cohort.load(pat, na=[999, "9999"])
    assert c.patients.loc["A2", ["plt", "ferritin"]].isna().all() and c.patients.loc["A4", "ferritin"] != 9999
    with pytest.warns(CohortWarning, match=r"'ferritin': the value\(s\) 999.*read as a measured value"):
        kept = cohort.load(pat.assign(plt=good()["plt"], ferritin=[300, 999, 400, 800, None]))
    assert kept.patients.loc["A2", "ferritin"] == 999


def test_impossible_values_and_dates_after_the_cutoff_are_refused():
    pat = good().assign(
        age=[55, 150, 41, 70, 66], last_followup_date=["2035-06-01", *good()["last_followup_date"][1:]]
    )
    with pytest.raises(CohortError) as err:
        cohort.load(pat, cutoff="2024-01-01")
    text = str(err.value)
    assert "'age': impossible values above 120 (150) at patient_id A2" in text
    assert (
        "'last_followup_date': dates after the data cut-off 2024-01-01 (2035-06-01) at patient_id A1" in text
    )
    assert "A3" not in text, "A3's follow-up (2023-01-15) is before the cut-off, its SPM date too"


def test_every_problem_of_both_tables_at_once_one_line_per_kind():
    pat = good().assign(sex=["M", "X", "F", "M", "Y"], crs_grade=[1, 9, 0, 1, None])
    lab = labs().assign(anc=[1.5, -0.3, 1.8, 2.0, 0.8, 0.05, -1, 0.4], patient_id=["A1"] * 4 + ["ZZ"] * 4)
    with pytest.raises(CohortError) as err:
        cohort.load(pat.drop(columns="ipi"), lab)
    lines = err.value.problems
    assert len(lines) == 4, lines
    assert any("'sex': unknown value(s) 'X', 'Y' at patient_id A2, A5 (2 patients)" in p for p in lines)
    assert any("'crs_grade'" in p for p in lines)
    assert any("labs table, column 'anc': impossible negative values" in p for p in lines)
    assert any("ids not in the patients table at patient_id ZZ (1 patient)" in p for p in lines)


def test_ids_in_messages_are_deduplicated_first_ten_with_a_count():
    ids = [f"P{i}" for i in range(25) for _ in range(3)]
    text = problems.name_ids(ids)
    assert text.startswith("patient_id P0, P1, P2") and text.endswith("P9, ... (25 patients)")


def _two_draws_on_day_7() -> pd.DataFrame:
    extra = pd.DataFrame(
        {"patient_id": ["A1", "A2"], "day": [7, 14], "anc": [0.1, 0.2], "plt": [95, 25], "hb": [8.0, 8.1]}
    )
    return pd.concat([labs(), extra], ignore_index=True)


def test_same_day_draws_need_a_rule_worst_and_mean_are_those_by_hand():
    lab = _two_draws_on_day_7()
    with pytest.raises(
        CohortError, match=r"'day': 2 day\(s\) with two or more different draws at patient_id A1, A2"
    ):
        cohort.load(GOOD, lab)
    worst = cohort.load(GOOD, lab, lab_duplicates="worst")
    by_hand = lab.groupby(["patient_id", "day"], as_index=False).min()
    day7 = worst.labs.set_index(["patient_id", "day"]).loc[("A1", 7)]
    assert (day7["anc"], day7["plt"], day7["hb"]) == (0.1, 90.0, 8.0)
    expected = grade_icaht(by_hand, late_end={"A2": 45, "A4": 415})
    got = worst.table.loc[expected.index, "icaht_early_grade"]
    assert got.tolist() == expected["icaht_early_grade"].tolist()
    mean = cohort.load(GOOD, lab, lab_duplicates="mean").labs.set_index(["patient_id", "day"])
    assert mean.loc[("A1", 7), "anc"] == pytest.approx(0.2) and mean.loc[("A2", 14), "plt"] == 27.5
    identical = pd.concat([labs(), labs().iloc[[1]]], ignore_index=True)
    c = cohort.load(GOOD, identical)
    assert len(c.labs) == len(labs()) and any("1 repeated identical draw" in n for n in c.notes)


def test_draws_after_death_are_left_out_of_grading_and_counted():
    lab = pd.concat(
        [labs(), pd.DataFrame({"patient_id": ["A2", "A2"], "day": [240, 250], "anc": [0.01, 0.02]})],
        ignore_index=True,
    )  # A2 died on day 227
    with pytest.warns(CohortWarning, match=r"2 draw\(s\) dated after death at patient_id A2 \(1 patient\)"):
        c = cohort.load(GOOD, lab)
    assert (
        c.table.loc["A2", "icaht_late_grade"]
        == cohort.load(GOOD, GOOD_LABS).table.loc["A2", "icaht_late_grade"]
    )
    assert c.labs["day"].max() < 240


def test_an_empty_labs_table_is_an_error():
    with pytest.raises(CohortError, match="labs table: no rows"):
        cohort.load(GOOD, labs().iloc[:0])


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"<!DOCTYPE html><html><table><tr><td>patient_id</td></tr></table></html>", "a web page (HTML"),
        (b"", "empty (0 bytes)"),
        (b"PK\x03\x04garbage", "a damaged or incomplete"),
        (b"%PDF-1.4 ...", "a PDF document"),
    ],
)
def test_a_file_that_is_not_what_its_extension_says(tmp_path, content, what):
    path = tmp_path / "patients.xlsx"
    path.write_bytes(content)
    with pytest.raises(CohortError, match=re.escape(f"file 'patients.xlsx' is {what}")):
        cohort.load(path)


def test_title_rows_above_the_header_are_skipped_and_said(tmp_path):
    path = tmp_path / "p.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["Registry export 2024"], ["Centre: Bologna"]]).to_excel(
            writer, header=False, index=False
        )
        good().to_excel(writer, startrow=3, index=False)
    c = cohort.load(path)
    pd.testing.assert_frame_equal(c.endpoints, cohort.load(GOOD).endpoints)
    assert any("3 row(s) above the header skipped" in n for n in c.notes)


def test_column_map_renames_and_declares_units(tmp_path):
    pat = good().rename(columns={"plt": "PLT_BASE", "crp": "PCR_BL"}).assign(PCR_BL=good()["crp"] * 10)
    mapping = tmp_path / "map.csv"
    pd.DataFrame({"source": ["PLT_BASE", "PCR_BL"], "cartsie": ["plt", "crp"], "unit": ["", "mg/L"]}).to_csv(
        mapping, index=False
    )
    c = cohort.load(pat, columns=mapping)
    ref = cohort.load(GOOD)
    pd.testing.assert_series_equal(c.table["simple_ht_high"], ref.table["simple_ht_high"])
    np.testing.assert_allclose(c.patients["crp"], ref.patients["crp"])
    with pytest.raises(
        InputError, match=r"'platelets' \(for 'X'\) is not a cartsie column. Did you mean 'plt'"
    ):
        cohort.load(pat, columns={"X": "platelets"})


def test_suggest_map_prints_a_map_that_load_accepts(tmp_path):
    path = tmp_path / "p.csv"
    good().rename(columns={"plt": "Platelets", "icans_grade": "ICANS grde"}).to_csv(path, index=False)
    result = run("validate", path, "--suggest-map")
    assert result.exit_code == 0, result.output
    suggested = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False).set_index("source")
    assert suggested.loc["Platelets", ["cartsie", "status"]].tolist() == ["plt", "recognised"]
    assert suggested.loc["ICANS grde", ["cartsie", "status"]].tolist() == ["icans_grade", "guess: check"]
    mapping = tmp_path / "map.csv"
    suggested.reset_index().to_csv(mapping, index=False)
    ok = run("validate", path, "--columns", mapping, "--strict")
    assert ok.exit_code == 0, ok.output


def test_every_command_reads_the_same_file_with_the_same_options(tmp_path):
    pat = good().assign(crp=good()["crp"] * 10)
    path = tmp_path / "p.csv"
    pat.to_csv(path, index=False, sep=";")
    lab_path = tmp_path / "l.csv"
    infusion = good().set_index("patient_id")["infusion_date"].map(pd.Timestamp)
    dated = labs().assign(
        date=[
            infusion[p] + pd.Timedelta(days=d)
            for p, d in zip(labs()["patient_id"], labs()["day"], strict=True)
        ]
    )
    dated.drop(columns="day").to_csv(lab_path, index=False)
    for args in (
        ("validate", path),
        ("score", path),
        ("grade", lab_path, "--patients", path),
        ("reproduce", "--data", path, "--labs", lab_path, "--item", "flow", "--out", tmp_path / "o"),
    ):
        refused = run(*args)
        assert refused.exit_code == 2 and "--unit patients.crp=mg/L" in refused.output, (args, refused.output)
        accepted = run(*args, "--unit", "patients.crp=mg/L")
        assert accepted.exit_code == 0, (args, accepted.output)
    scored = pd.read_csv(io.StringIO(run("score", path, "--unit", "patients.crp=mg/L").stdout), index_col=0)
    assert scored["simple_ht_high"].tolist()[:4] == cohort.load(GOOD).table["simple_ht_high"].tolist()[:4]


def test_no_traceback_from_the_command_line_even_for_a_file_that_is_a_directory(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "cartsie.cli", "validate", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    assert "does not exist" in result.stdout


def test_a_cohort_prints_short_and_renders_its_flow_in_notebooks():
    c = cohort.load(GOOD, GOOD_LABS)
    text = repr(c)
    assert text.startswith("<Cohort: 5 patients, 8 lab rows; enrolled 5, infused 4") and len(text) < 300
    page = c._repr_html_()
    assert "<table" in page and "HT evaluable" in page and "A1" not in page, "aggregates only"
