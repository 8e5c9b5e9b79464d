"""The command line on good and bad files: exit codes, outputs, and messages."""

import io

import pandas as pd
import pytest
from click.testing import CliRunner

from cartsie.cli import main
from cartsie.datasets import example_path
from cartsie.scores import score_all
from cartsie.toxicity import grade_icaht


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_help_explains_commands():
    result = run("--help")
    assert result.exit_code == 0
    assert "score" in result.stdout and "grade" in result.stdout
    score_help = run("score", "--help").stdout
    assert "ht_score (0-7)" in score_help and "--unit" in score_help


def test_score_example_matches_the_library():
    result = run("score", "--example")
    assert result.exit_code == 0, result.stderr
    got = pd.read_csv(io.StringIO(result.stdout), index_col="patient_id")
    expected = score_all(pd.read_csv(example_path("example_patients.csv")).set_index("patient_id"))
    assert got["ht_score"].fillna(-1).tolist() == expected["ht_score"].fillna(-1).tolist()
    assert got.loc["EX02", "ht_score"] == 7 and got.loc["EX06", "simple_ht_high"] == 0


def test_grade_example_matches_the_library(tmp_path):
    out = tmp_path / "grades.csv"
    result = run("grade", "--example", "--out", out)
    assert result.exit_code == 0, result.stderr
    got = pd.read_csv(out, index_col="patient_id")
    expected = grade_icaht(pd.read_csv(example_path("example_labs.csv")))
    assert got["icaht_early_grade"].tolist() == expected["icaht_early_grade"].tolist()
    assert got["icaht_late_grade"].tolist() == expected["icaht_late_grade"].tolist()


def test_grade_options_reach_the_grader(tmp_path):
    labs = pd.DataFrame({"patient_id": "P", "day": [0, 35, 42, 49], "anc": [2.0, 0.4, 1.2, 0.45]})
    path = tmp_path / "labs.csv"
    labs.to_csv(path, index=False)
    default = pd.read_csv(io.StringIO(run("grade", path).stdout))
    any_two = pd.read_csv(io.StringIO(run("grade", path, "--late-rule", "any_two").stdout))
    assert default.loc[0, "icaht_late_grade"] == 1 and any_two.loc[0, "icaht_late_grade"] == 3


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet", ".dta"])
def test_score_reads_every_format_and_converts_declared_units(tmp_path, suffix):
    df = pd.DataFrame(
        {
            "Patient ID": ["A", "B"],
            "ANC": [2.0, 0.9],
            "HB": [12.0, 8.5],
            "PLT": [250, 60],
            "CRP": [5.0, 42.0],
            "Ferritin": [300, 2500],
        }
    )
    path = tmp_path / f"patients{suffix}"
    {
        ".csv": lambda p: df.to_csv(p, index=False),
        ".xlsx": lambda p: df.to_excel(p, index=False),
        ".parquet": df.to_parquet,
        ".dta": lambda p: df.rename(columns=lambda c: c.replace(" ", "_")).to_stata(p, write_index=False),
    }[suffix](path)
    result = run("score", path, "--unit", "crp=mg/L")
    assert result.exit_code == 0, result.stderr
    got = pd.read_csv(io.StringIO(result.stdout), index_col="patient_id")
    # CRP 5 mg/L = 0.5 mg/dL (0 points); 42 mg/L = 4.2 mg/dL (1 point)
    assert got["ht_crp"].tolist() == [0, 1] and got["ht_score"].tolist() == [0, 7]


def test_semicolon_csv_with_decimal_commas(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("patient_id;anc;hb;plt;crp;ferritin\nA;1,1;8,9;74,5;3,0;2000,5\n", encoding="utf-8")
    got = pd.read_csv(io.StringIO(run("score", path).stdout))
    assert got.loc[0, "ht_score"] == 7


def test_missing_column_exits_2_naming_it(tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame({"patient_id": ["A"], "anc": [1.0], "hb": [9.0], "plt": [100]}).to_csv(path, index=False)
    result = run("score", path)
    assert result.exit_code == 2
    assert "'crp'" in result.stderr and "Traceback" not in result.stderr


def test_bad_value_exits_2_naming_column_patient_and_fix(tmp_path):
    path = tmp_path / "labs.csv"
    pd.DataFrame({"patient_id": ["P1", "P2"], "day": [1, 2], "anc": ["0.4", "n/a?"]}).to_csv(
        path, index=False
    )
    result = run("grade", path)
    assert result.exit_code == 2
    assert "'anc'" in result.stderr and "patient_id P2" in result.stderr and "'n/a?'" in result.stderr
    assert "Write numbers, leave blank" in result.stderr


def test_negative_count_exits_2(tmp_path):
    path = tmp_path / "labs.csv"
    pd.DataFrame({"patient_id": ["P1", "P9"], "day": [1, 2], "anc": [0.4, -3]}).to_csv(path, index=False)
    result = run("grade", path)
    assert result.exit_code == 2 and "patient_id P9" in result.stderr and "negative" in result.stderr


def test_censored_text_is_parsed_with_a_warning(tmp_path):
    path = tmp_path / "labs.csv"
    pd.DataFrame({"patient_id": ["P1"] * 3, "day": [1, 2, 3], "anc": ["<0.1", "0.05", "2.0"]}).to_csv(
        path, index=False
    )
    result = run("grade", path)
    assert result.exit_code == 0
    assert "warning:" in result.stderr and "detection-limit" in result.stderr
    got = pd.read_csv(io.StringIO(result.stdout))
    assert got.loc[0, "early_days_anc_le_0_1"] == 2


def test_wrong_unit_is_reported(tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame(
        {
            "patient_id": ["A", "B"],
            "anc": [2.0, 1.0],
            "hb": [12.0, 9.0],
            "plt": [250, 100],
            "crp": [40.0, 60.0],
            "ferritin": [300, 900],
        }
    ).to_csv(path, index=False)
    result = run("score", path)
    assert result.exit_code == 2 and "look like mg/L" in result.stderr
    assert "--unit patients.crp=mg/L" in result.stderr
    declared = run("score", path, "--unit", "patients.crp=mg/L")
    assert declared.exit_code == 0, declared.stderr
    got = pd.read_csv(io.StringIO(declared.stdout), index_col="patient_id")
    assert got.loc["B", "simple_ht_high"] == 1 and got.loc["A", "ht_crp"] == 1  # CRP 6.0 and 4.0 mg/dL


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("score", "nowhere.csv"), "does not exist"),
        (("score",), "either a patients file or --example"),
        (("grade", "labs.json"), "cartsie reads"),
    ],
)
def test_unusable_invocations_exit_2(tmp_path, args, message):
    if args[-1] == "labs.json":
        (tmp_path / "labs.json").write_text("{}")
        args = ("grade", tmp_path / "labs.json")
    result = run(*args)
    assert result.exit_code == 2 and message in result.stderr
