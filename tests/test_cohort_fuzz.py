"""Random corruptions of a valid cohort (issue 11, point 9).

Whatever is done to one cell, one column or one row of the clean 12-patient cohort
(``tests/data/good12_*.csv``), ``cohort.load`` raises nothing but :class:`CohortError` and warns
nothing but :class:`CohortWarning`; and when it loads without a warning, no number of
``Cohort.table`` (baseline labs, scores, ICAHT grades, endpoints) differs from the clean one. A
corruption that keeps the meaning (spaces, case, "2.0" for 2) must load, with the clean numbers.

Open categories (histology, product, death cause, SPM type) and the centre take any text by design
("other" with the text kept), so garbage goes only where a value can be wrong.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cartsie import cohort
from cartsie.errors import CohortError, CohortWarning

DATA = Path(__file__).parent / "data"
PATIENTS = pd.read_csv(DATA / "good12_patients.csv", dtype=str)
LABS = pd.read_csv(DATA / "good12_labs.csv", dtype=str)
FRAMES = {"patients": PATIENTS, "labs": LABS}

NUMBERS = {
    "patients": ["age", "stage", "ipi", "prior_lines", "anc", "hb", "plt", "crp", "ferritin", "crs_grade",
                 "icans_grade"],
    "labs": ["anc", "plt", "hb"],
}  # fmt: skip
INTEGERS = {"patients": ["age", "stage", "ipi", "prior_lines", "crs_grade", "icans_grade"], "labs": ["day"]}
DATES = [c for c in PATIENTS.columns if c.endswith("_date")]
CODES = ["sex", "response_day90", "infused", "bridging"]
#: cells where any wrong text must be noticed (not ids: an id is any text)
CHECKED = {"patients": [*NUMBERS["patients"], *DATES, *CODES], "labs": ["day", "anc", "plt", "hb"]}
#: the numbers of Cohort.table that must never change silently
OUTPUTS = [
    "age", "anc", "hb", "plt", "crp", "ferritin",
    "ht_anc", "ht_hb", "ht_plt", "ht_crp", "ht_ferritin", "ht_score", "ht_high", "simple_ht_high",
    "icaht_early_grade", "icaht_late_grade", "severe_thrombocytopenia", "severe_anemia",
    *(f"{e}_{x}" for e in ("os", "pfs", "dor", "nrm", "spm") for x in ("months", "event")),
    "spm_myeloid_event", "orr_day90", "crr_day90",
]  # fmt: skip

GARBAGE = st.sampled_from(["high", "#VALUE!", "n/a?", "see notes", "1.2.3", "--5", "≈3", "12abc", "?"]) | (
    st.from_regex(r"\A[a-z]{2,6}[#?!]\Z")
)
MISSING_CODES = st.sampled_from(["999", "9999", "-99", "-9", "ND", "n.d.", "not done"])
NOISE_NAMES = st.sampled_from(["zz_extra", "Colonna 7", "Campo libero", "Var12", "Q17b", "Unnamed: 5"])
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def clean_table() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return cohort.load(PATIENTS.copy(), LABS.copy()).table


def load(patients: pd.DataFrame, labs: pd.DataFrame):
    """(table or None, CohortError or None, CohortWarning texts); any other exception fails the test."""
    table = error = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            table = cohort.load(patients, labs).table
        except CohortError as exc:
            error = exc
    others = [
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if not issubclass(w.category, CohortWarning | DeprecationWarning | PendingDeprecationWarning)
    ]
    assert not others, f"warnings other than CohortWarning: {others}"
    if error is not None:
        assert error.problems, "a CohortError lists its problems"
    return table, error, [str(w.message) for w in caught if issubclass(w.category, CohortWarning)]


def _numbers(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return table[columns].apply(lambda s: pd.to_numeric(s.astype(object), errors="coerce")).astype(float)


def assert_clean_numbers(table: pd.DataFrame, columns: list[str] | None = None, why: str = "") -> None:
    ref = clean_table()
    columns = [c for c in (columns or OUTPUTS) if c in ref.columns]
    lost = [c for c in columns if c not in table.columns]
    assert not lost, f"{why}: columns lost without a warning: {lost}"
    assert sorted(map(str, table.index)) == sorted(ref.index), f"{why}: patients changed without a warning"
    got = _numbers(table, columns)
    got.index = got.index.map(str)
    pd.testing.assert_frame_equal(
        got.loc[ref.index], _numbers(ref, columns), check_names=False, obj=f"numbers after {why}"
    )


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return PATIENTS.copy(), LABS.copy()


def corrupt_cell(df: pd.DataFrame, row: int, col: str, value: str) -> pd.DataFrame:
    out = df.copy()
    out[col] = out[col].astype(object)
    out.iloc[row, out.columns.get_loc(col)] = value
    return out


def _bad_value(draw, table: str, col: str, current) -> tuple[str, str]:
    kinds = ["garbage", "missing code"]
    if col in NUMBERS[table]:
        kinds += ["negative", "huge", "date"]
    kind = draw(st.sampled_from(kinds))
    number = float(current) if kind == "negative" and isinstance(current, str) else 0.0
    value = {
        "negative": f"{-(abs(number) + 1):g}",
        "huge": draw(st.sampled_from(["1e9", "123456789", "99999999"])),
        "date": "2021-03-04",
    }.get(kind)
    if kind == "garbage":
        value = draw(GARBAGE)
    elif kind == "missing code":
        value = draw(MISSING_CODES)
    return kind, value


@FUZZ
@given(st.data())
def test_a_wrong_cell_is_refused_or_warned(data):
    table_name = data.draw(st.sampled_from(["patients", "labs"]))
    df = FRAMES[table_name]
    col = data.draw(st.sampled_from(CHECKED[table_name]))
    row = data.draw(st.integers(0, len(df) - 1))
    kind, value = _bad_value(data.draw, table_name, col, df.iloc[row][col])
    patients, labs = frames()
    if table_name == "patients":
        patients = corrupt_cell(patients, row, col, value)
    else:
        labs = corrupt_cell(labs, row, col, value)
    table, error, texts = load(patients, labs)
    if error is None and not texts:
        assert_clean_numbers(table, why=f"{table_name}.{col} row {row} set to {value!r} ({kind})")


def _structural(draw, table_name: str, df: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    kind = draw(
        st.sampled_from(["duplicate id", "blank id", "drop column", "rename column", "duplicate row"])
    )
    if table_name == "labs" and kind == "duplicate id":
        kind = "blank id"  # a draw moved to another patient is a valid draw: nothing to notice
    row = draw(st.integers(0, len(df) - 1))
    out = df.copy()
    if kind == "duplicate id":
        other = draw(st.integers(0, len(df) - 1).filter(lambda r: r != row))
        out.iloc[row, out.columns.get_loc("patient_id")] = df["patient_id"].iloc[other]
    elif kind == "blank id":
        out.iloc[row, out.columns.get_loc("patient_id")] = draw(st.sampled_from(["", " ", None]))
    elif kind == "drop column":
        out = out.drop(columns=draw(st.sampled_from(list(df.columns))))
    elif kind == "rename column":
        out = out.rename(columns={draw(st.sampled_from(list(df.columns))): draw(NOISE_NAMES)})
    else:
        out = pd.concat([out, out.iloc[[row]]], ignore_index=True)
    return kind, out


@FUZZ
@given(st.data())
def test_a_broken_structure_is_refused_or_warned(data):
    table_name = data.draw(st.sampled_from(["patients", "labs"]))
    kind, changed = _structural(data.draw, table_name, FRAMES[table_name])
    patients, labs = frames()
    patients, labs = (changed, labs) if table_name == "patients" else (patients, changed)
    table, error, texts = load(patients, labs)
    if kind in ("duplicate id", "blank id") or (kind == "duplicate row" and table_name == "patients"):
        assert error is not None, f"{table_name}: {kind} was accepted"
    if error is not None or texts:
        return
    if kind == "drop column":
        # a column the file does not have is no error; what it held is unknown, the rest is kept
        assert_clean_numbers(table, _kept_outputs(table_name, changed), why=f"{table_name}: {kind}")
        return
    assert_clean_numbers(table, why=f"{table_name}: {kind}")


def _kept_outputs(table_name: str, changed: pd.DataFrame) -> list[str]:
    """The outputs that do not depend on the column dropped from ``changed``."""
    if table_name == "patients":
        return [c for c in ("age", "anc", "hb", "plt", "crp", "ferritin") if c in changed.columns]
    lost = {"hb": "severe_anemia", "plt": "severe_thrombocytopenia"}
    return [c for c in OUTPUTS if c not in {v for k, v in lost.items() if k not in changed.columns}]


def _same_meaning(draw, table_name: str, df: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    kinds = ["spaces in a cell", "spaces in an id", "header case and spaces", "2.0 for 2"]
    if table_name == "patients":
        kinds.append("code case")
    kind = draw(st.sampled_from(kinds))
    out = df.copy()
    if kind == "header case and spaces":
        cols = draw(st.lists(st.sampled_from(list(df.columns)), min_size=1, max_size=4, unique=True))
        style = draw(
            st.sampled_from([str.upper, str.title, lambda c: f"  {c} ", lambda c: c.replace("_", " ")])
        )
        return kind, out.rename(columns={c: style(c) for c in cols})
    if kind == "spaces in an id":
        out["patient_id"] = [draw(st.sampled_from([f" {v}", f"{v} ", f"\t{v}  "])) for v in out["patient_id"]]
        return kind, out
    if kind == "spaces in a cell":
        col = draw(st.sampled_from(CHECKED[table_name]))
        values = out[col].astype(object)
        out[col] = values.map(
            lambda v: v if pd.isna(v) else draw(st.sampled_from([f" {v}", f"{v} ", f" {v}  "]))
        )
        return kind, out
    if kind == "2.0 for 2":
        col = draw(st.sampled_from(INTEGERS[table_name]))
        out[col] = out[col].map(lambda v: v if pd.isna(v) else f"{float(v):.1f}")
        return kind, out
    col = draw(st.sampled_from(["sex", "response_day90", "histology", "product"]))
    style = draw(st.sampled_from([str.lower, str.upper, str.title]))
    out[col] = out[col].map(lambda v: v if pd.isna(v) else style(v))
    return kind, out


@FUZZ
@given(st.data())
def test_a_change_that_keeps_the_meaning_keeps_the_numbers(data):
    table_name = data.draw(st.sampled_from(["patients", "labs"]))
    kind, changed = _same_meaning(data.draw, table_name, FRAMES[table_name])
    patients, labs = frames()
    patients, labs = (changed, labs) if table_name == "patients" else (patients, changed)
    table, error, _texts = load(patients, labs)
    assert error is None, f"{table_name}: {kind} was refused:\n{error}"
    assert_clean_numbers(table, why=f"{table_name}: {kind}")


def test_the_clean_text_frames_load_as_the_clean_files():
    # the fuzzing starts from text cells; they must give what the files give
    ref = cohort.load(DATA / "good12_patients.csv", DATA / "good12_labs.csv").table
    cols = [c for c in OUTPUTS if c in ref.columns]
    pd.testing.assert_frame_equal(_numbers(clean_table(), cols), _numbers(ref, cols))
    assert np.isfinite(_numbers(ref, ["ht_score"]).to_numpy()).sum() == 10
