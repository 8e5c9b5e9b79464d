"""The bad-input corpus of tests/data/bad/ (issue 11, point 9) through cohort.load and every command.

Each file of the corpus is a clean table with one change; ``bad/expected.csv`` (written with the
files by ``tests/data/make_bad_files.py``) says what must happen: refused naming the column and the
patient, warned, or accepted with the same numbers as the clean cohort. Messages are checked for
names, ids and one short word, never for their wording.
"""

from __future__ import annotations

import json
import re
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cartsie import cohort
from cartsie.cli import main
from cartsie.errors import CohortError, CohortWarning

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"
MANIFEST = pd.read_csv(BAD / "expected.csv", keep_default_na=False, dtype=str)
CASES = MANIFEST.to_dict("records")
CLEAN = {
    "good": ("good_patients.csv", "good_labs.csv"),
    "good12": ("good12_patients.csv", "good12_labs.csv"),
}

BASELINE = ["age", "anc", "hb", "plt", "crp", "ferritin"]
SCORES = ["ht_anc", "ht_hb", "ht_plt", "ht_crp", "ht_ferritin", "ht_score", "ht_high", "simple_ht_high"]
GRADES = ["icaht_early_grade", "icaht_late_grade", "severe_thrombocytopenia", "severe_anemia"]
ENDPOINTS = [
    *(f"{e}_{x}" for e in ("os", "pfs", "dor", "nrm", "spm") for x in ("months", "event")),
    "spm_myeloid_event",
    "orr_day90",
    "crr_day90",
]
EVENT_DAYS = ["response_day", "last_followup_day", "progression_day", "death_day", "spm_day"]
#: the numbers of Cohort.table an accepted file must reproduce
NUMBERS = [*BASELINE, *SCORES, *GRADES, *ENDPOINTS, *EVENT_DAYS]
#: what `cartsie score` and `cartsie grade` must reproduce (not the sustained levels behind the grades,
#: which a declared lab_duplicates="mean" moves without moving a grade)
CLI_NUMBERS = [*SCORES, *GRADES, "early_days_anc_le_0_5", "early_days_anc_le_0_1"]
#: A CSV refused for one value goes through `cartsie validate` only (score, grade and reproduce read
#: it with the same layer; each runs on every other file). `reproduce --item flow` draws a figure,
#: so of the accepted files only these run through it:
REPRODUCE_ACCEPTED = (
    "clean_patients.xlsx",
    "patients_without_labs.csv",
    "clean_labs.parquet",
    "column_map.csv",
    "labs_same_day_worst.csv",
)


# --------------------------------------------------------------------------------------------------
# The manifest
# --------------------------------------------------------------------------------------------------


def case_path(name: str) -> Path:
    """A manifest file name; the first cases are written without their .csv extension."""
    return BAD / (name if Path(name).suffix else f"{name}.csv")


def inputs(case: dict) -> tuple[Path, Path | None]:
    """(patients, labs) to load for ``case``."""
    own = case_path(case["file"])
    other = DATA / case["companion"] if case["companion"] else None
    return (own, other) if case["table"] == "patients" else (other, own)


def options(case: dict) -> dict:
    opts = json.loads(case["options"] or "{}")
    if "columns" in opts:
        opts["columns"] = str(BAD / opts["columns"])
    return opts


def allowed(case: dict) -> set[str]:
    return set(case["outcome"].split("|"))


def test_manifest_covers_every_file_and_format():
    files = {p.name for p in BAD.iterdir()} - {"expected.csv"}
    listed = {case_path(c["file"]).name for c in CASES}
    helpers = {p.name for p in BAD.glob("map_*.csv")}
    assert files == listed | helpers, "every corpus file has its manifest row (maps are options)"
    assert len(CASES) >= 70
    suffixes = pd.Series([case_path(c["file"]).suffix for c in CASES]).value_counts()
    for suffix in (".csv", ".xlsx", ".parquet", ".dta", ".xpt", ".sas7bdat"):
        assert suffixes.get(suffix, 0) >= 3, suffix
    assert set(MANIFEST["table"]) == {"patients", "labs"}
    assert all(allowed(c) <= {"error", "warning", "accept"} for c in CASES)
    for c in CASES:
        patients, labs = inputs(c)
        assert patients is not None and patients.is_file(), c["file"]
        assert labs is None or labs.is_file(), c["file"]
        json.loads(c["options"] or "{}")


# --------------------------------------------------------------------------------------------------
# Checks shared by the load and CLI tests
# --------------------------------------------------------------------------------------------------


def _names(text: str, case: dict) -> list[str]:
    """What ``text`` fails to name of ``case``: its column (any of a|b), patient ids, fragment."""
    missing = []
    columns = [c for c in case["column"].split("|") if c]
    if columns and not any(
        re.search(rf"(?<![A-Za-z0-9_]){re.escape(c)}(?![A-Za-z0-9_])", text, re.IGNORECASE) for c in columns
    ):
        missing.append(f"column {case['column']!r}")
    for pid in filter(None, case["patient"].split(";")):
        if not re.search(rf"(?<![A-Za-z0-9_]){re.escape(pid)}(?![A-Za-z0-9_])", text):
            missing.append(f"patient {pid!r}")
    if case["fragment"] and case["fragment"].lower() not in text.lower():
        missing.append(f"fragment {case['fragment']!r}")
    return missing


def assert_names(text: str, case: dict) -> None:
    missing = _names(text, case)
    assert not missing, f"the message does not name {', '.join(missing)}:\n{text}"


def _as_float(df: pd.DataFrame) -> pd.DataFrame:
    return df.apply(lambda s: pd.to_numeric(s.astype(object), errors="coerce")).astype(float)


def assert_same_rows(got: pd.DataFrame, ref: pd.DataFrame, case: dict, columns: list[str]) -> None:
    """``got`` has the rows and values of ``ref`` on ``columns`` (ids renamed by the manifest)."""
    missing = [c for c in columns if c not in got.columns]
    assert not missing, f"columns lost: {missing}"
    expected = _as_float(ref[columns])
    if case["ids"]:
        expected.index = expected.index.map(json.loads(case["ids"]))
    actual = _as_float(got[columns])
    actual.index = actual.index.map(str)
    assert sorted(actual.index) == sorted(expected.index), "the same patients"
    pd.testing.assert_frame_equal(
        actual.loc[expected.index], expected, check_names=False, check_index_type=False, atol=1e-9
    )


@cache
def clean_cohort(base: str, with_labs: bool):
    patients, labs = CLEAN[base]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the clean cohorts load without a doubt
        return cohort.load(DATA / patients, DATA / labs if with_labs else None)


def assert_same_numbers(c, case: dict, with_labs: bool) -> None:
    ref = clean_cohort(case["base"], with_labs).table
    assert_same_rows(c.table, ref, case, [n for n in NUMBERS if n in ref.columns])
    if not case["ids"]:
        pd.testing.assert_series_equal(
            c.flow["n"], clean_cohort(case["base"], with_labs).flow["n"], check_dtype=False
        )


def load_case(case: dict, **extra):
    """Load ``case``; return (cohort or None, CohortError or None, CohortWarning texts)."""
    patients, labs = inputs(case)
    error = result = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = cohort.load(patients, labs, **{**options(case), **extra})
        except CohortError as exc:
            error = exc
    texts = [str(w.message) for w in caught if issubclass(w.category, CohortWarning)]
    others = [
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if not issubclass(w.category, CohortWarning | DeprecationWarning | PendingDeprecationWarning)
    ]
    assert not others, f"warnings other than CohortWarning: {others}"
    return result, error, texts


# --------------------------------------------------------------------------------------------------
# cohort.load
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_load_corpus_file(case):
    ok = allowed(case)
    c, error, texts = load_case(case)
    if error is not None:
        assert "error" in ok, f"refused, expected {case['outcome']} ({case['note']}):\n{error}"
        assert isinstance(error, ValueError)
        assert error.problems, "CohortError.problems lists the problems"
        assert_names(str(error), case)
        return
    assert ok != {"error"}, f"accepted, expected an error ({case['note']}); warnings: {texts}"
    warned = "\n".join(texts)
    if "warning" in ok and (ok == {"warning"} or not _names(warned, case)):
        assert texts, f"no CohortWarning ({case['note']})"
        assert_names(warned, case)
        if case["same_numbers"] == "yes":
            assert_same_numbers(c, case, inputs(case)[1] is not None)
        return
    assert "accept" in ok, f"neither refused nor warned naming {case['column']!r}: {texts}"
    assert_same_numbers(c, case, inputs(case)[1] is not None)


WARNED = [c for c in CASES if allowed(c) == {"warning"}]


@pytest.mark.parametrize("case", WARNED, ids=[c["file"] for c in WARNED])
def test_strict_turns_the_warning_into_an_error(case):
    _c, error, _texts = load_case(case, strict=True)
    assert error is not None, "strict=True refuses what it would warn about"
    assert_names(str(error), case)


# --------------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------------


def cli_flags(opts: dict) -> list[str]:
    """The command-line spelling of load() options."""
    args: list[str] = []
    for key, value in opts.items():
        if key == "units":
            for name, unit in value.items():
                pairs = unit.items() if isinstance(unit, dict) else [(None, unit)]
                for column, u in pairs:
                    args += ["--unit", f"{name}.{column}={u}" if column else f"{name}={u}"]
        elif key == "na":
            for v in value:
                args += ["--na", str(v)]
        elif key == "dayfirst":
            args.append("--dayfirst" if value else "--monthfirst")
        elif key == "strict":
            args += ["--strict"] if value else []
        else:
            args += [f"--{key.replace('_', '-')}", str(value)]
    return args


def cli_args(command: str, patients: Path | None, labs: Path | None, opts: dict, out: Path) -> list[str]:
    flags = cli_flags(opts)
    if command == "validate":
        return ["validate", str(patients), *(["--labs", str(labs)] if labs else []), *flags]
    if command == "score":
        return ["score", str(patients), "-o", str(out / "scores.csv"), *flags]
    if command == "grade":
        return ["grade", str(labs), "--patients", str(patients), "-o", str(out / "grades.csv"), *flags]
    data = ["--data", str(patients), *(["--labs", str(labs)] if labs else [])]
    return ["reproduce", *data, "--out", str(out / "reproduced"), "--item", "flow", *flags]


def run_cli(args: list[str]):
    result = CliRunner().invoke(main, args)
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{output}"
    )
    assert "Traceback" not in output
    assert result.exit_code in (0, 2), f"exit {result.exit_code}\n{output}"
    return result, output


def _report_numbers(text: str) -> list[str]:
    """The flow and endpoint lines of a validate report (the numbers, not the notes)."""
    start = text.index("patient flow:")
    return [line.strip() for line in text[start:].splitlines() if line.strip()]


@cache
def clean_cli(command: str, base: str, with_labs: bool, tmp: str) -> str | pd.DataFrame:
    patients, labs = CLEAN[base]
    out = Path(tmp) / f"clean-{command}-{base}-{with_labs}"
    out.mkdir(parents=True, exist_ok=True)
    args = cli_args(command, DATA / patients, DATA / labs if with_labs else None, {}, out)
    result, output = run_cli(args)
    assert result.exit_code == 0, output
    if command == "validate":
        return output
    return pd.read_csv(out / f"{'scores' if command == 'score' else 'grades'}.csv", index_col="patient_id")


def _value_error_in_csv(case: dict) -> bool:
    refused_for_a_value = allowed(case) == {"error"} and case["column"] and case["file"] != "many_problems"
    return bool(refused_for_a_value) and case_path(case["file"]).suffix == ".csv"


def _commands(case: dict) -> list[str]:
    if _value_error_in_csv(case):
        return ["validate"]
    commands = ["validate", "score" if case["table"] == "patients" else "grade"]
    if allowed(case) == {"error"} or case["file"] in REPRODUCE_ACCEPTED:
        commands.append("reproduce")
    return commands


def cli_cases() -> list:
    return [pytest.param(c, cmd, id=f"{cmd}-{c['file']}") for c in CASES for cmd in _commands(c)]


def _check_cli_numbers(command: str, case: dict, output: str, out: Path, with_labs: bool, tmp: Path) -> None:
    if command == "reproduce":
        assert any((out / "reproduced").rglob("*")), "reproduce wrote its files"
        return
    ref = clean_cli(command, case["base"], with_labs, str(tmp / "clean"))
    if command == "validate":
        assert _report_numbers(output) == _report_numbers(ref), "the same flow and endpoints"
        return
    got = pd.read_csv(out / f"{'scores' if command == 'score' else 'grades'}.csv", index_col="patient_id")
    assert_same_rows(got, ref, case, [c for c in CLI_NUMBERS if c in ref.columns])


@pytest.mark.parametrize(("case", "command"), cli_cases())
def test_cli_corpus_file(case, command, tmp_path_factory):
    tmp = tmp_path_factory.getbasetemp()
    out = tmp_path_factory.mktemp("out")
    patients, labs = inputs(case)
    labs = None if command == "score" else labs
    result, output = run_cli(cli_args(command, patients, labs, options(case), out))
    ok = allowed(case)
    if result.exit_code == 2:
        assert "error" in ok, f"exit 2, expected {case['outcome']} ({case['note']}):\n{output}"
        assert_names(output, case)
        return
    assert ok != {"error"}, f"exit 0, expected an error ({case['note']}):\n{output}"
    if "warning" in ok and (ok == {"warning"} or not _names(output, case)):
        assert_names(output, case)
        if case["same_numbers"] != "yes":
            return
    else:
        assert "accept" in ok, f"neither refused nor warned naming {case['column']!r}:\n{output}"
    _check_cli_numbers(command, case, output, out, labs is not None, tmp)


def test_numbers_helper_sees_a_changed_value():
    # the comparison the corpus relies on is not vacuous
    ref = clean_cohort("good12", True).table
    changed = ref.copy()
    changed.loc["P02", "ht_score"] = np.nan
    case = {"ids": ""}
    with pytest.raises(AssertionError):
        assert_same_rows(changed, ref, case, ["ht_score"])
