"""Write the bad-input corpus of tests/data/bad/: one file per case, and its manifest expected.csv.

Two clean cohorts:

* ``good_patients.csv`` / ``good_labs.csv`` (5 patients, A1-A5): the first 22 CSV cases and
  ``many_problems.csv`` (tests/test_cohort.py walks those rows);
* ``good12_patients.csv`` / ``good12_labs.csv`` (12 patients, P01-P12, 10-12 draws each): every
  other case, in CSV (comma, semicolon with decimal commas, latin-1, tab), xlsx (title rows,
  header only, two sheets), Parquet, Stata .dta, SAS .xpt and SAS .sas7bdat.

Each file is a clean table with one change. The manifest ``bad/expected.csv`` has one row per file:
``file, table, companion, outcome, column, patient, fragment, options, note, base, same_numbers, ids``

* ``companion``: the file of the other table to load with it, relative to tests/data (empty: none);
* ``outcome``: ``error`` (CohortError), ``warning`` (CohortWarning), ``accept`` (the same numbers
  as the clean cohort), or alternatives such as ``accept|warning`` (either is right);
* ``column``: what the message must name (the cartsie name, or the header as written); ``a|b``:
  either; ``patient``: id(s) the message must name, ``;``-separated; ``fragment``: a word it must
  contain (case-insensitive);
* ``options``: JSON keyword arguments of ``cohort.load`` (a ``columns`` path is relative to bad/);
* ``base``: ``good`` or ``good12``, the clean cohort the file derives from; ``same_numbers``:
  ``yes`` when a warned file must still give the clean numbers; ``ids``: JSON object mapping the
  clean ids to those ``Cohort.table`` must have when the file writes them differently.

The .sas7bdat files are written by R's haven (``make_sas.R``) when ``Rscript`` is on the PATH; the
encrypted workbook by ``msoffcrypto-tool`` when it is installed. Without them the committed files are
kept. Run: python tests/data/make_bad_files.py
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
BAD = HERE / "bad"

# --------------------------------------------------------------------------------------------------
# The 5-patient clean cohort and the first 22 cases (tests/test_cohort.py)
# --------------------------------------------------------------------------------------------------
GOOD = pd.DataFrame(
    {
        "patient_id": ["A1", "A2", "A3", "A4", "A5"],
        "infused": [1, 1, 1, 1, 0],
        "histology": ["DLBCL", "HGBL", "PMBCL", "tFL", "DLBCL"],
        "infusion_date": ["2021-01-10", "2021-02-15", "2021-03-20", "2021-04-25", None],
        "age": [55, 63, 41, 70, 66],
        "sex": ["M", "F", "F", "M", "M"],
        "stage": [3, 4, 2, 1, 4],
        "ipi": [2, 3, 1, 0, 4],
        "anc": [2.1, 0.9, 3.0, 1.5, None],
        "hb": [11.0, 8.5, 12.5, 10.0, None],
        "plt": [200, 60, 250, 150, None],
        "crp": [0.5, 5.0, 1.0, 3.2, None],
        "ferritin": [300, 2500, 400, 800, None],
        "crs_grade": [1, 2, 0, 1, None],
        "icans_grade": [0, 1, 0, 0, None],
        "response_day90": ["CR", "PD", "CR", "PR", None],
        "response_date": ["2021-02-09", None, "2021-04-19", "2021-05-25", None],
        "last_followup_date": ["2022-06-01", "2021-09-30", "2023-01-15", "2022-12-01", "2021-06-01"],
        "progression_date": [None, "2021-04-01", None, "2022-03-01", None],
        "death_date": [None, "2021-09-30", None, None, "2021-06-01"],
        "death_cause": [None, "lymphoma", None, None, "lymphoma"],
        "spm_date": [None, None, "2022-05-01", None, None],
        "spm_type": [None, None, "myeloid", None, None],
    }
)
GOOD_LABS = pd.DataFrame(
    {
        "patient_id": ["A1"] * 4 + ["A2"] * 4,
        "day": [0, 7, 14, 35, 0, 7, 14, 35],
        "anc": [1.5, 0.3, 1.8, 2.0, 0.8, 0.05, 0.2, 0.4],
        "plt": [180, 90, 120, 150, 55, 20, 30, 40],
        "hb": [10.5, 9.0, 9.5, 11.0, 8.5, 7.9, 8.2, 8.8],
    }
)

# name: (table, change, column, patient, fragment)
CASES = {
    "missing_id_column": (
        "patients",
        lambda p: p.drop(columns="patient_id"),
        "patient_id",
        None,
        "required column 'patient_id' is missing",
    ),
    "duplicate_id": (
        "patients",
        lambda p: p.assign(patient_id=["A1", "A2", "A3", "A1", "A5"]),
        "patient_id",
        "A1",
        "the same id on several rows",
    ),
    "empty_id": (
        "patients",
        lambda p: p.assign(patient_id=["A1", None, "A3", "A4", "A5"]),
        "patient_id",
        None,
        "without an id",
    ),
    "bad_date": (
        "patients",
        lambda p: p.assign(death_date=[None, "2021-13-45", None, None, "2021-06-01"]),
        "death_date",
        "A2",
        "dates that cannot be read ('2021-13-45')",
    ),
    "bad_number": (
        "patients",
        lambda p: p.assign(crp=["0.5", "high", "1.0", "3.2", None]),
        "crp",
        "A2",
        "text that is not a number ('high')",
    ),
    "decimal_comma": (
        "patients",
        lambda p: p.assign(hb=["11,0", "8,5", "12,5", "10,0", None]),
        "hb",
        "A1",
        "decimal=','",
    ),
    "negative_count": (
        "patients",
        lambda p: p.assign(plt=[200, -60, 250, 150, None]),
        "plt",
        "A2",
        "impossible values below 0",
    ),
    "grade_out_of_range": (
        "patients",
        lambda p: p.assign(crs_grade=[1, 2, 7, 1, None]),
        "crs_grade",
        "A3",
        "impossible values above 5",
    ),
    "unknown_response": (
        "patients",
        lambda p: p.assign(response_day90=["CR", "PD", "VGPR", "PR", None]),
        "response_day90",
        "A3",
        "unknown value(s) 'VGPR'",
    ),
    "unknown_sex": (
        "patients",
        lambda p: p.assign(sex=["M", "F", "X", "M", "M"]),
        "sex",
        "A3",
        "unknown value(s) 'X'",
    ),
    "event_before_infusion": (
        "patients",
        lambda p: p.assign(progression_date=[None, "2021-01-01", None, "2022-03-01", None]),
        "progression_date",
        "A2",
        "event before the infusion",
    ),
    "progression_after_death": (
        "patients",
        lambda p: p.assign(progression_date=[None, "2021-10-15", None, "2022-03-01", None]),
        "progression_date",
        "A2",
        "progression after death",
    ),
    "followup_before_event": (
        "patients",
        lambda p: p.assign(
            last_followup_date=["2022-06-01", "2021-09-30", "2022-01-15", "2022-12-01", "2021-06-01"]
        ),
        "last_followup_date",
        "A3",
        "last follow-up before a recorded event",
    ),
    "response_after_progression": (
        "patients",
        lambda p: p.assign(response_date=["2021-02-09", None, "2021-04-19", "2022-04-01", None]),
        "response_date",
        "A4",
        "first response after progression",
    ),
    "missing_infusion_date": (
        "patients",
        lambda p: p.assign(infusion_date=["2021-01-10", None, "2021-03-20", "2021-04-25", None]),
        "infusion_date",
        "A2",
        "missing while",
    ),
    "ambiguous_dates": (
        "patients",
        lambda p: p.assign(
            infusion_date=["01/02/2021", "02/03/2021", "03/04/2021", "04/05/2021", None],
            response_date=None,
            last_followup_date=["01/06/2022", "01/09/2021", "01/01/2023", "01/12/2022", "01/06/2021"],
            progression_date=None,
            death_date=None,
            death_cause=None,
            spm_date=None,
            spm_type=None,
        ),
        "infusion_date",
        None,
        "ambiguous",
    ),
    "spm_type_without_date": (
        "patients",
        lambda p: p.assign(spm_type=["other", None, "myeloid", None, None]),
        "spm_type",
        "A1",
        "given without a spm date",
    ),
    "not_yes_no": (
        "patients",
        lambda p: p.assign(infused=[1, 1, "maybe", 1, 0]),
        "infused",
        "A3",
        "'maybe' are not yes/no",
    ),
    "labs_unknown_patient": (
        "labs",
        lambda lab: lab.assign(patient_id=["A1"] * 4 + ["Z9"] * 4),
        "patient_id",
        "Z9",
        "ids not in the patients table",
    ),
    "labs_negative": (
        "labs",
        lambda lab: lab.assign(anc=[1.5, 0.3, 1.8, 2.0, 0.8, -0.05, 0.2, 0.4]),
        "anc",
        "A2",
        "impossible values below 0",
    ),
    "labs_fractional_day": (
        "labs",
        lambda lab: lab.assign(day=[0, 7, 14, 35, 0, 7.5, 14, 35]),
        "day",
        "A2",
        "fractional days",
    ),
    "labs_bad_text": (
        "labs",
        lambda lab: lab.assign(plt=["180", "90", "120", "150", "55", "clumped", "30", "40"]),
        "plt",
        "A2",
        "'clumped'",
    ),
}


# --------------------------------------------------------------------------------------------------
# The 12-patient clean cohort
# --------------------------------------------------------------------------------------------------

# fmt: off
_P = [
    # id, center, infused, histology, infusion, age, sex, stage, ipi, product, prior_lines, bridging,
    # anc, hb, plt, crp, ferritin, crs, icans, response_day90, response, last_fu, progression,
    # death, death_cause, spm, spm_type
    ("P01", "Bologna", 1, "DLBCL", "2021-01-10", 55, "M", 3, 2, "axi-cel", 2, 1,
     2.1, 11.0, 200, 0.5, 300, 1, 0, "CR", "2021-02-09", "2023-06-01", None, None, None, None, None),
    ("P02", "Bologna", 1, "HGBL", "2021-02-15", 63, "F", 4, 3, "axi-cel", 3, 1,
     0.9, 8.5, 60, 5.0, 3770, 2, 1, "PD", None, "2021-09-30", "2021-04-01", "2021-09-30", "lymphoma",
     None, None),
    ("P03", "Milano", 1, "PMBCL", "2021-03-20", 41, "F", 2, 1, "tisa-cel", 2, 0,
     3.0, 12.5, 250, 1.0, 400, 0, 0, "CR", "2021-04-19", "2023-01-15", None, None, None, "2022-05-01",
     "myeloid"),
    ("P04", "Milano", 1, "tFL", "2021-04-25", 70, "M", 1, 0, "tisa-cel", 4, 1,
     1.5, 10.0, 150, 3.2, 800, 1, 0, "PR", "2021-05-25", "2022-12-01", "2022-03-01", None, None, None,
     None),
    ("P05", "Roma", 0, "DLBCL", None, 66, "M", 4, 4, "axi-cel", 3, 1,
     None, None, None, None, None, None, None, None, None, "2021-06-01", None, "2021-06-01", "lymphoma",
     None, None),
    ("P06", "Roma", 1, "DLBCL", "2021-06-05", 68, "M", 3, 3, "axi-cel", 2, 1,
     1.2, 9.1, 110, 1.1, 1250, 3, 2, "CR", "2021-07-05", "2021-10-20", None, "2021-10-20", "infection",
     None, None),
    ("P07", "Torino", 1, "HGBL", "2021-07-12", 59, "F", 4, 2, "liso-cel", 2, 0,
     2.6, 11.8, 180, 0.8, 520, 1, 0, "CR", "2021-08-10", "2023-08-01", None, None, None, None, None),
    ("P08", "Torino", 1, "DLBCL", "2021-09-01", 47, "M", 2, 1, "axi-cel", 2, 1,
     1.9, 10.7, 95, 2.5, 980, 2, 1, "SD", None, "2023-03-01", "2021-12-15", None, None, None, None),
    ("P09", "Napoli", 1, "DLBCL", "2021-10-18", 72, "F", 3, 2, "tisa-cel", 3, 1,
     0.7, 8.9, 72, 4.0, None, 1, 0, "PR", "2021-11-16", "2022-11-30", None, None, None, None, None),
    ("P10", "Napoli", 1, "other", "2022-01-20", 61, "M", 3, 2, "brexu-cel", 3, 1,
     2.2, 12.1, 210, 0.3, 150, 1, 1, "CR", "2022-02-18", "2023-10-01", None, None, None, None, None),
    ("P11", "Padova", 1, "tFL", "2022-03-03", 54, "F", 4, 3, "liso-cel", 2, 1,
     1.4, 9.8, 130, 1.2, 610, 4, 3, "NE", None, "2022-04-12", None, "2022-04-12", "toxicity", None,
     None),
    ("P12", "Padova", 1, "DLBCL", "2022-05-09", 50, "M", 2, 1, "axi-cel", 2, 0,
     3.4, 13.2, 260, 0.6, 210, 0, 0, "CR", "2022-06-08", "2024-02-01", None, None, None, None, None),
]
_P_COLUMNS = [
    "patient_id", "center", "infused", "histology", "infusion_date", "age", "sex", "stage", "ipi",
    "product", "prior_lines", "bridging", "anc", "hb", "plt", "crp", "ferritin", "crs_grade",
    "icans_grade", "response_day90", "response_date", "last_followup_date", "progression_date",
    "death_date", "death_cause", "spm_date", "spm_type",
]
# fmt: on
GOOD12 = pd.DataFrame(_P, columns=_P_COLUMNS)
DATES12 = [c for c in GOOD12.columns if c.endswith("_date")]

# fmt: off
_DAYS = (-5, 0, 3, 7, 10, 14, 21, 28, 35, 60, 90, 180)
# per patient: anc, plt, hb on _DAYS (None: no draw that day; a NaN inside a tuple: not measured)
_L = {
    "P01": ((1.9, 1.5, 0.8, 0.3, 0.6, 1.8, 2.0, 2.2, 2.0, 2.5, 2.8, 3.0),
            (190, 180, 150, 90, 100, 120, 140, 150, 150, 200, 210, 220),
            (10.8, 10.5, 10.0, 9.0, 9.2, 9.5, 10.1, 10.5, 11.0, 12.0, 12.4, 12.8)),
    "P02": ((None, 0.8, 0.2, 0.05, 0.03, 0.2, 0.3, 0.4, 0.4, 0.6, 0.9, 1.1),
            (None, 55, 40, 20, 15, 30, 35, 40, 40, 45, 60, 70),
            (None, 8.5, 8.1, 7.9, 7.6, 8.2, 8.0, 8.4, 8.8, 9.0, 9.4, 9.6)),
    "P03": ((None, 3.0, 1.5, 0.4, 0.9, 2.0, 2.4, 2.6, 2.9, 3.1, 3.3, 3.5),
            (None, 250, 210, 160, 170, 190, 220, 230, 240, 250, 260, 255),
            (None, 12.5, 12.0, 11.4, 11.6, 11.9, 12.2, 12.4, 12.6, 12.9, 13.0, 13.1)),
    "P04": ((1.6, 1.5, 0.9, 0.4, 0.8, 1.6, 1.2, 0.9, 0.8, 0.7, 1.1, 1.6),
            (155, 150, 120, 80, 85, 100, 110, 115, 120, 125, 140, 150),
            (10.2, 10.0, 9.6, 9.0, 9.1, 9.4, 9.7, 9.8, 10.0, np.nan, 10.6, 11.0)),
    "P06": ((None, 1.2, 0.4, 0.08, 0.05, 0.09, 0.3, 0.6, 0.9, 0.4, 0.45, None),
            (None, 110, 70, 40, 30, 25, 35, 45, 48, 40, 38, None),
            (None, 9.1, 8.5, 8.0, 7.8, 7.5, 7.9, 8.2, 8.4, 7.6, 7.7, None)),
    "P07": ((None, 2.6, 1.2, 0.6, 0.9, 1.9, 2.3, 2.5, 2.6, 2.8, 3.0, 3.1),
            (None, 180, 160, 130, 140, 160, 170, 175, 180, 185, 190, 195),
            (None, 11.8, 11.2, 10.8, 10.9, 11.1, 11.4, 11.6, 11.8, 12.0, 12.2, 12.5)),
    "P08": ((None, 1.9, 0.7, 0.3, 0.2, 0.6, 1.3, 1.6, 1.7, 1.9, 2.0, None),
            (None, 95, 70, 45, 40, 50, 65, 75, 80, 90, 95, None),
            (None, 10.7, 10.1, 9.5, 9.3, 9.6, 9.9, 10.2, 10.4, 10.8, 11.0, None)),
    "P09": ((None, 0.7, 0.4, 0.3, 0.2, 0.4, 0.45, 0.6, 1.2, 1.4, 1.3, 1.6),
            (None, 72, 50, 35, 30, 35, 40, 42, 45, 48, 52, 60),
            (None, 8.9, 8.4, 8.0, 7.7, 7.8, 7.9, 8.1, 8.3, 8.6, 8.9, 9.2)),
    "P10": ((None, 2.2, 1.1, 0.5, 0.7, 1.7, 2.0, 2.1, 2.3, 2.4, 2.6, 2.7),
            (None, 210, 190, 150, 160, 175, 190, 200, 205, 210, 215, 220),
            (None, 12.1, 11.7, 11.1, 11.2, 11.5, 11.8, 12.0, 12.1, 12.3, 12.5, 12.6)),
    "P11": ((None, 1.4, 0.3, 0.05, 0.04, 0.06, 0.1, 0.2, 0.3, None, None, None),
            (None, 130, 80, 40, 25, 20, 18, 22, 25, None, None, None),
            (None, 9.8, 9.0, 8.2, 7.9, 7.5, 7.4, 7.6, 7.8, None, None, None)),
    "P12": ((None, 3.4, 1.6, 0.7, 1.1, 2.2, 2.8, 3.0, 3.1, 3.2, 3.3, 3.4),
            (None, 260, np.nan, 180, 190, 210, 230, 240, 250, 255, 260, 262),
            (None, 13.2, 12.8, 12.1, 12.2, 12.5, 12.8, 13.0, 13.1, 13.3, 13.4, 13.5)),
}
# fmt: on


def _labs12() -> pd.DataFrame:
    rows = []
    for pid, (anc, plt, hb) in _L.items():
        for day, a, p, h in zip(_DAYS, anc, plt, hb, strict=True):
            if a is not None:
                rows.append((pid, day, a, p, h))
    return pd.DataFrame(rows, columns=["patient_id", "day", "anc", "plt", "hb"])


GOOD12_LABS = _labs12()


# --------------------------------------------------------------------------------------------------
# Changes: small helpers on copies of the clean frames
# --------------------------------------------------------------------------------------------------


def at(df: pd.DataFrame, pid: str, col: str, value, day: int | None = None) -> pd.DataFrame:
    """``df`` with ``col`` of patient ``pid`` (and lab ``day``) set to ``value``."""
    out = df.copy()
    if value is not None and not isinstance(value, float | int) and out[col].dtype != object:
        out[col] = out[col].astype(object)
    rows = out["patient_id"] == pid
    if day is not None:
        rows &= out["day"] == day
    assert rows.any(), (pid, col, day)
    out.loc[rows, col] = value
    return out


def add_draws(lab: pd.DataFrame, rows: list[tuple]) -> pd.DataFrame:
    extra = pd.DataFrame(rows, columns=["patient_id", "day", "anc", "plt", "hb"])
    return pd.concat([lab, extra], ignore_index=True).sort_values(["patient_id", "day"], kind="stable")


def dated(lab: pd.DataFrame, pat: pd.DataFrame = GOOD12) -> pd.DataFrame:
    """Labs with the draw's date instead of its day."""
    infusion = pd.to_datetime(lab["patient_id"].map(pat.set_index("patient_id")["infusion_date"]))
    out = lab.copy()
    out.insert(1, "date", (infusion + pd.to_timedelta(lab["day"], unit="D")).dt.strftime("%Y-%m-%d"))
    return out.drop(columns="day")


def scaled(df: pd.DataFrame, col: str, factor: float, digits: int = 1) -> pd.DataFrame:
    out = df.copy()
    out[col] = (out[col] * factor).round(digits)
    return out


def renamed(df: pd.DataFrame, **names: str) -> pd.DataFrame:
    return df.rename(columns=names)


def with_commas(df: pd.DataFrame, cols: list[str], decimal: bool = False) -> pd.DataFrame:
    """``cols`` as text with thousands separators ("3,770") or decimal commas ("8,5")."""
    out = df.copy()
    for col in cols:
        if decimal:
            out[col] = out[col].map(lambda v: None if pd.isna(v) else f"{v:g}".replace(".", ","))
        else:
            out[col] = out[col].map(lambda v: None if pd.isna(v) else f"{v:,.0f}")
    return out


def serial_dates(df: pd.DataFrame, origin: str, cols: list[str] | None = None) -> pd.DataFrame:
    """Date columns as plain numbers of days since ``origin`` (no date format)."""
    out = df.copy()
    for col in cols or DATES12:
        out[col] = (pd.to_datetime(out[col]) - pd.Timestamp(origin)).dt.days.astype(float)
    return out


def reformat_dates(df: pd.DataFrame, fmt: str) -> pd.DataFrame:
    out = df.copy()
    for col in DATES12:
        out[col] = pd.to_datetime(out[col]).dt.strftime(fmt).where(out[col].notna(), None)
    return out


# --------------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------------


def typed(df: pd.DataFrame) -> pd.DataFrame:
    """Date columns as datetimes, ids as text: what a binary format stores."""
    out = df.copy()
    for col in out.columns:
        is_date = str(col).endswith("_date") or col == "date"
        if is_date and out[col].map(lambda v: isinstance(v, str) or pd.isna(v)).all():
            out[col] = pd.to_datetime(out[col])
    return out


def _strings_blank(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(
                lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else v
            )
    return out


def write_csv(df, path: Path, **kw) -> None:
    df.to_csv(path, index=False, **kw)


def write_xlsx(df, path: Path, title: list[str] | None = None, sheets: dict | None = None) -> None:
    if sheets is not None:
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for name, frame in sheets.items():
                typed(frame).to_excel(xw, sheet_name=name, index=False)
        return
    startrow = len(title) + 1 if title else 0
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        typed(df).to_excel(xw, sheet_name="Sheet1", index=False, startrow=startrow)
        if title:
            ws = xw.sheets["Sheet1"]
            for i, line in enumerate(title, start=1):
                ws.cell(row=i, column=1, value=line)


def write_parquet(df, path: Path) -> None:
    typed(df).to_parquet(path, index=False)


def write_dta(df, path: Path, value_labels: dict | None = None) -> None:
    import pyreadstat

    frame = _strings_blank(typed(df))
    if value_labels:
        pyreadstat.write_dta(frame, str(path), variable_value_labels=value_labels)
        return
    dates = {c: "td" for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])}
    frame.to_stata(path, write_index=False, convert_dates=dates, version=118)


def write_xpt(df, path: Path) -> None:
    import pyreadstat

    frame = typed(df)
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].map(lambda t: None if pd.isna(t) else t.date())
    pyreadstat.write_xport(frame, str(path), table_name="COHORT", file_format_version=8)


def write_sas7bdat(df, path: Path, numeric_dates: bool = False) -> None:
    """Through R's haven (make_sas.R); keeps the committed file when Rscript is missing."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        if not path.exists():
            print(f"skipped {path.name}: needs Rscript with the haven package")
        return
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.csv"
        df.to_csv(src, index=False)
        args = [rscript, str(HERE / "make_sas.R"), str(src), str(path)]
        subprocess.run([*args, "numeric-dates"] if numeric_dates else args, check=True)


WRITERS: dict[str, Callable] = {
    ".csv": write_csv,
    ".tsv": lambda df, path: write_csv(df, path, sep="\t"),
    ".xlsx": write_xlsx,
    ".parquet": write_parquet,
    ".dta": write_dta,
    ".xpt": write_xpt,
    ".sas7bdat": write_sas7bdat,
}


def write_any(df: pd.DataFrame, path: Path, **kw) -> None:
    WRITERS[path.suffix](df, path, **kw)


# --------------------------------------------------------------------------------------------------
# Files that are not what their extension says
# --------------------------------------------------------------------------------------------------


def html_as_xlsx(path: Path) -> None:
    rows = "".join(
        "<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>" for r in GOOD12.head(3).itertuples(index=False)
    )
    head = "".join(f"<th>{c}</th>" for c in GOOD12.columns)
    path.write_text(
        f"<!DOCTYPE html>\n<html><head><title>Registry export</title></head><body>"
        f"<table><tr>{head}</tr>{rows}</table></body></html>\n",
        encoding="utf-8",
    )


def zip_as_xlsx(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("patients.csv", GOOD12.to_csv(index=False))
        z.writestr("README.txt", "CART-SIE registry export\n")


def encrypted_xlsx(path: Path) -> None:
    """A password-protected workbook (an OLE compound file holding EncryptedPackage)."""
    tool = shutil.which("msoffcrypto-tool") or shutil.which("msoffcrypto-tool", path="/tmp/encvenv/bin")
    if tool is None:
        if not path.exists():
            # the OLE signature and an empty header: what a reader meets first in such a file
            path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504))
        return
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.xlsx"
        write_xlsx(GOOD12, plain)
        subprocess.run([tool, "-e", "-p", "cartsie", str(plain), str(path)], check=True)


def truncated_parquet(path: Path) -> None:
    buf = io.BytesIO()
    typed(GOOD12).to_parquet(buf, index=False)
    data = buf.getvalue()
    path.write_bytes(data[: len(data) // 2])


def binary_as_csv(path: Path) -> None:
    rng = np.random.default_rng(11)
    path.write_bytes(
        b"\x00\x01\x02\x89SQLite format? no\x00" + rng.integers(0, 256, 2000, dtype=np.uint8).tobytes()
    )


def empty_file(path: Path) -> None:
    path.write_bytes(b"")


def duplicated_header(df: pd.DataFrame, col: str) -> Callable[[Path], None]:
    """A writer of ``df`` with a second column literally named ``col`` (after the first)."""

    def write(path: Path) -> None:
        i = list(df.columns).index(col)
        header = [*df.columns[: i + 1], col, *df.columns[i + 1 :]]
        values = df.astype(object).where(df.notna(), "").to_numpy().tolist()
        rows = [[*r[: i + 1], r[i], *r[i + 1 :]] for r in values]
        if path.suffix == ".csv":
            with open(path, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(header)
                w.writerows(rows)
        else:
            from openpyxl import Workbook

            wb = Workbook()
            ws = wb.active
            ws.append(header)
            for r in rows:
                ws.append([None if v == "" else v for v in r])
            wb.save(path)

    return write


def trailing_blank_rows(path: Path) -> None:
    from openpyxl import load_workbook

    write_xlsx(GOOD12, path)
    wb = load_workbook(path)
    ws = wb.active
    last = ws.max_row
    for row in range(last + 1, last + 4):  # formatted but empty cells, as Excel leaves them
        ws.cell(row=row, column=1).number_format = "@"
        ws.cell(row=row, column=2, value="")
    wb.save(path)


# --------------------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------------------

P12, L12 = "good12_patients.csv", "good12_labs.csv"


@dataclass
class Case:
    file: str
    table: str  # patients | labs
    outcome: str
    make: Callable[[Path], None]
    column: str = ""
    patient: str = ""
    fragment: str = ""
    options: dict = field(default_factory=dict)
    note: str = ""
    companion: str | None = None  # default: the clean file of the other table
    same_numbers: bool = False
    ids: dict[str, str] | None = None

    def row(self) -> dict:
        if self.companion is None:
            self.companion = L12 if self.table == "patients" else P12
        return {
            "file": self.file,
            "table": self.table,
            "companion": self.companion,
            "outcome": self.outcome,
            "column": self.column,
            "patient": self.patient,
            "fragment": self.fragment,
            "options": json.dumps(self.options, ensure_ascii=False),
            "note": self.note,
            "base": "good12",
            "same_numbers": "yes" if self.same_numbers or self.outcome == "accept" else "",
            "ids": json.dumps(self.ids) if self.ids else "",
        }


def frame(df: pd.DataFrame, **kw) -> Callable[[Path], None]:
    return lambda path: write_any(df, path, **kw)


def pat(file: str, outcome: str, df: pd.DataFrame | Callable, note: str, **kw) -> Case:
    return Case(file, "patients", outcome, df if callable(df) else frame(df), note=note, **kw)


def lab(file: str, outcome: str, df: pd.DataFrame | Callable, note: str, **kw) -> Case:
    return Case(file, "labs", outcome, df if callable(df) else frame(df), note=note, **kw)


G, GL = GOOD12, GOOD12_LABS
ID_NUMBERS = {f"P{i:02d}": str(i) for i in range(1, 13)}
LATIN1_CENTERS = {"Bologna": "Forlì", "Milano": "Università di Milano", "Roma": "Città di Roma"}
MAP_PATIENTS = {
    "Cod. paziente": ("patient_id", ""),
    "Data CAR-T": ("infusion_date", ""),
    "Neutrofili": ("anc", "10^9/L"),
    "Emoglobina": ("hb", "g/L"),
    "PCR": ("crp", "mg/L"),
    "Ferritina sierica": ("ferritin", "ng/mL"),
    "Data ultimo contatto": ("last_followup_date", ""),
    "Data progressione": ("progression_date", ""),
    "Data decesso": ("death_date", ""),
    "Risposta g90": ("response_day90", ""),
}
MAP_LABS = {
    "Cod. paziente": ("patient_id", ""),
    "Giorno": ("day", ""),
    "Neutrofili": ("anc", "/µL"),
    "PLT": ("plt", ""),
    "Hgb": ("hb", "g/L"),
}


def _mapped_patients() -> pd.DataFrame:
    df = scaled(scaled(G, "hb", 10, 0), "crp", 10)
    return df.rename(columns={v[0]: k for k, v in MAP_PATIENTS.items()})


def _mapped_labs() -> pd.DataFrame:
    df = scaled(scaled(GL, "hb", 10, 0), "anc", 1000, 0)
    return df.rename(columns={v[0]: k for k, v in MAP_LABS.items()})


def _write_maps() -> None:
    rows = [{"source": k, "cartsie": v, "unit": u} for k, (v, u) in MAP_PATIENTS.items()]
    pd.DataFrame(rows).to_csv(BAD / "map_registry.csv", index=False)
    rows = [{"source": k, "cartsie": v, "unit": u, "table": "labs"} for k, (v, u) in MAP_LABS.items()]
    pd.DataFrame(rows).to_csv(BAD / "map_registry_labs.csv", index=False)


def _same_day(lab_df: pd.DataFrame) -> pd.DataFrame:
    # a second, different draw of P01 on day 60; its counts are higher, so "worst" keeps the clean
    # draw, and the mean (anc 2.6, plt 205, hb 12.2) leaves every grade as it is
    return add_draws(lab_df, [("P01", 60, 2.7, 210, 12.4)])


def _after_death() -> pd.DataFrame:
    # P06 died on day 137; two draws after it would make late ICAHT grade 4 if they were used
    return add_draws(GL, [("P06", 150, 0.05, 10, 6.1), ("P06", 160, 0.04, 9, 6.0)])


def _after_followup() -> pd.DataFrame:
    # P09's last follow-up is day 408
    return add_draws(GL, [("P09", 420, 0.3, 20, 6.5), ("P09", 430, 0.2, 15, 6.4)])


def _two_sheets(first: str) -> Callable[[Path], None]:
    readme = pd.DataFrame({"CART-SIE registry export": ["exported 2024-03-01", "one row per patient"]})
    if first == "README":
        return lambda path: write_xlsx(None, path, sheets={"README": readme, "patients": G})
    return lambda path: write_xlsx(None, path, sheets={"patients": G, "labs": GL})


def _ids_numbers(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    out = df.copy()
    numbers = out["patient_id"].str[1:].astype(int)
    out["patient_id"] = {"int": numbers, "float": numbers.astype(float), "text": numbers.astype(str)}[kind]
    return out


def _value_labels() -> Callable[[Path], None]:
    df = G.assign(sex=G["sex"].map({"M": 1, "F": 2}))
    return frame(df, value_labels={"sex": {1: "M", 2: "F"}})


def new_cases() -> list[Case]:
    lab_dated = dated(GL)
    same_day = _same_day(GL)
    crp_mgl = scaled(G, "crp", 10)
    thousands = with_commas(G, ["ferritin"])
    cases = [
        # --- the clean cohort in every format: accepted with the same numbers
        pat("clean_patients.xlsx", "accept", G, "clean patients as xlsx, dates as date cells"),
        lab("clean_labs.xlsx", "accept", GL, "clean labs as xlsx"),
        pat("clean_patients.parquet", "accept", G, "clean patients as Parquet"),
        lab("clean_labs.parquet", "accept", GL, "clean labs as Parquet"),
        pat("clean_patients.dta", "accept", G, "clean patients as Stata 118, dates %td, blank strings"),
        lab("clean_labs.dta", "accept", GL, "clean labs as Stata"),
        pat("clean_patients.xpt", "accept", G, "clean patients as SAS transport v8, dates DATE9"),
        lab("clean_labs.xpt", "accept", GL, "clean labs as SAS transport v8"),
        pat("clean_patients.sas7bdat", "accept", G, "clean patients as sas7bdat written by R haven"),
        lab("clean_labs.sas7bdat", "accept", GL, "clean labs as sas7bdat written by R haven"),
        pat("clean_patients.tsv", "accept", G, "clean patients, tab-separated .tsv"),
        pat(
            "patients_without_labs.csv",
            "accept",
            G,
            "the clean patients alone: no labs table (reproduce --data without --labs)",
            companion="",
        ),
        pat(
            "clean_patients_tabs.csv",
            "accept",
            lambda p: write_csv(G, p, sep="\t"),
            "tab-separated values in a .csv file",
        ),
        pat(
            "dayfirst_dates.csv",
            "accept",
            reformat_dates(G, "%d/%m/%Y"),
            "dates dd/mm/yyyy (a day > 12 decides)",
        ),
        pat(
            "monthfirst_declared.csv",
            "accept",
            reformat_dates(G, "%m/%d/%Y"),
            "dates mm/dd/yyyy, declared month-first",
            options={"dayfirst": False},
        ),
        pat(
            "date_with_time.csv",
            "accept",
            reformat_dates(G, "%Y-%m-%d 00:00:00"),
            "dates with a midnight time",
        ),
        pat(
            "header_case_space.csv",
            "accept",
            G.rename(columns=lambda c: f" {c.upper()} " if c in ("crp", "hb", "sex") else c.title()),
            "headers in other case with surrounding spaces",
        ),
        pat(
            "infused_si_no.csv",
            "accept",
            G.assign(infused=G["infused"].map({1: "Sì", 0: "No"})),
            "infused written Sì/No",
        ),
        pat(
            "product_brand_names.xlsx",
            "accept",
            G.assign(
                product=G["product"].map(
                    {
                        "axi-cel": "Yescarta",
                        "tisa-cel": "Kymriah",
                        "liso-cel": "Breyanzi",
                        "brexu-cel": "Tecartus",
                    }
                )
            ),
            "products by brand name",
        ),
        pat(
            "title_rows.xlsx",
            "accept",
            lambda p: write_xlsx(
                G, p, title=["CART-SIE registry export", "exported 2024-03-01 by centre 12"]
            ),
            "two title rows and a blank row above the header",
        ),
        pat("trailing_blank_rows.xlsx", "accept", trailing_blank_rows, "formatted empty rows below the data"),
        pat(
            "sex_value_labels.dta",
            "accept",
            _value_labels(),
            "sex stored as 1/2 with Stata value labels M/F (written by pyreadstat, dates as numbers "
            "with %td)",
        ),
        # --- decimal marks, thousands separators, encodings
        pat(
            "decimal_comma_semicolon.csv",
            "accept",
            lambda p: write_csv(G, p, sep=";", decimal=","),
            "';'-separated with decimal commas ('2,1'): detected by pattern",
        ),
        pat(
            "decimal_comma_declared.csv",
            "accept",
            lambda p: write_csv(G, p, sep=";", decimal=","),
            "';'-separated with decimal commas, declared",
            options={"decimal": ","},
            companion="bad/labs_decimal_comma.csv",
        ),
        pat(
            "decimal_comma_quoted.csv",
            "accept",
            with_commas(G, ["anc", "hb", "plt", "crp", "ferritin"], decimal=True),
            "','-separated with every decimal written as quoted '2,1', declared",
            options={"decimal": ","},
            companion="bad/labs_decimal_comma.csv",
        ),
        lab(
            "labs_decimal_comma.csv",
            "accept",
            lambda p: write_csv(GL, p, sep=";", decimal=","),
            "labs ';'-separated with decimal commas",
        ),
        pat(
            "thousands_separator.csv",
            "error",
            thousands,
            "ferritin '3,770' and '1,250' with a thousands separator, not declared",
            column="ferritin",
            patient="P02",
            fragment="3,770",
        ),
        pat(
            "thousands_declared.csv",
            "accept",
            thousands,
            "ferritin '3,770' with thousands=',' declared: read as 3770",
            options={"thousands": ","},
        ),
        pat(
            "thousands_read_as_decimal.csv",
            "error",
            thousands,
            "ferritin '3,770' with decimal=',' declared while other columns have decimal points: never "
            "3.77 silently",
            column="ferritin|anc|hb|crp",
            options={"decimal": ","},
        ),
        pat(
            "latin1_declared.csv",
            "accept",
            lambda p: write_csv(G.assign(center=G["center"].replace(LATIN1_CENTERS)), p, encoding="latin-1"),
            "latin-1 file (centres 'Forlì', 'Università di Milano'), encoding declared",
            options={"encoding": "latin-1"},
        ),
        pat(
            "latin1_undeclared.csv",
            "accept",
            lambda p: write_csv(G.assign(center=G["center"].replace(LATIN1_CENTERS)), p, encoding="latin-1"),
            "latin-1 file without the encoding declared: not UTF-8, so read as latin-1/cp1252",
        ),
        # --- units: per table, in headers, declared, undeclared
        pat(
            "hb_unit_header_gdl.csv",
            "accept",
            renamed(G, hb="Hemoglobin (g/dL)"),
            "patients 'Hemoglobin (g/dL)' with labs 'Haemoglobin (g/L)': the labs' unit never "
            "touches the patients table",
            companion="bad/labs_hb_gl_header.csv",
        ),
        lab(
            "labs_hb_gl_header.csv",
            "accept",
            renamed(scaled(GL, "hb", 10, 0), hb="Haemoglobin (g/L)"),
            "labs 'Haemoglobin (g/L)' (x10) with the clean patients' plain 'hb' in g/dL",
        ),
        pat(
            "crp_mg_l_header.xlsx",
            "accept",
            renamed(crp_mgl, crp="CRP (mg/L)"),
            "CRP in mg/L (x10) with the unit in the header",
        ),
        pat(
            "crp_mg_l_undeclared.csv",
            "error",
            crp_mgl,
            "CRP in mg/L (x10, median 11) without a unit: cannot tell from mg/dL, declare it",
            column="crp",
            fragment="11",
        ),
        pat(
            "crp_mg_l_declared.dta",
            "accept",
            crp_mgl,
            "CRP in mg/L, declared for the patients table",
            options={"units": {"patients": {"crp": "mg/L"}}},
        ),
        pat(
            "crp_mg_l_flat_units.csv",
            "accept",
            crp_mgl,
            "CRP in mg/L, declared flat {'crp': 'mg/L'}",
            options={"units": {"crp": "mg/L"}},
        ),
        pat(
            "hb_g_l_undeclared.csv",
            "error",
            scaled(G, "hb", 10, 0),
            "hb in g/L (median 107) without a unit",
            column="hb",
        ),
        pat(
            "hb_g_l_declared.parquet",
            "accept",
            scaled(G, "hb", 10, 0),
            "hb in g/L, declared for the patients table",
            options={"units": {"patients": {"hb": "g/L"}}},
        ),
        pat(
            "plt_per_ul_undeclared.xlsx",
            "error",
            scaled(G, "plt", 1000, 0),
            "platelets per µL (median 150000) without a unit",
            column="plt",
        ),
        pat(
            "plt_per_ul_declared.xpt",
            "accept",
            scaled(G, "plt", 1000, 0),
            "platelets per µL, declared",
            options={"units": {"patients": {"plt": "/µL"}}},
        ),
        lab(
            "labs_hb_g_l_undeclared.csv",
            "error",
            scaled(GL, "hb", 10, 0),
            "labs hb in g/L without a unit",
            column="hb",
        ),
        lab(
            "labs_hb_g_l_declared.csv",
            "accept",
            scaled(GL, "hb", 10, 0),
            "labs hb in g/L declared for the labs table only: the patients' hb stays g/dL",
            options={"units": {"labs": {"hb": "g/L"}}},
        ),
        lab(
            "labs_hb_g_l_dotted_units.csv",
            "accept",
            scaled(GL, "hb", 10, 0),
            "labs hb in g/L declared as {'labs.hb': 'g/L'}",
            options={"units": {"labs.hb": "g/L"}},
        ),
        lab(
            "labs_anc_per_ul_undeclared.parquet",
            "error",
            scaled(GL, "anc", 1000, 0),
            "labs ANC per µL without a unit",
            column="anc",
        ),
        lab(
            "labs_anc_per_ul_declared.parquet",
            "accept",
            scaled(GL, "anc", 1000, 0),
            "labs ANC per µL, declared",
            options={"units": {"labs": {"anc": "/µL"}}},
        ),
        # --- columns: unrecognised, synonyms, duplicated, missing, column map
        pat(
            "unrecognised_column.csv",
            "warning",
            G.assign(**{"Favourite colour": "blue"}),
            "an extra column cartsie does not know: listed, never dropped silently",
            column="Favourite colour",
            same_numbers=True,
        ),
        pat(
            "unrecognised_column_strict.csv",
            "error",
            G.assign(**{"Notes on bridging": "none"}),
            "an extra unknown column with strict=True",
            column="Notes on bridging",
            options={"strict": True},
        ),
        pat(
            "response_at_day_90.xlsx",
            "accept|warning",
            renamed(G, response_day90="Response at day 90"),
            "'Response at day 90': recognised as response_day90, or at least warned",
            column="Response at day 90",
        ),
        pat(
            "italian_headers.xlsx",
            "accept|warning",
            renamed(G, death_date="Data decesso", sex="Sesso", plt="Piastrine"),
            "Italian headers 'Data decesso', 'Sesso', 'Piastrine': recognised, or at least warned",
            column="Data decesso",
        ),
        pat(
            "italian_infusion_header.csv",
            "accept|error",
            renamed(G, infusion_date="Data infusione"),
            "'Data infusione': recognised, or the missing infusion_date names it as the closest",
            column="Data infusione",
        ),
        pat(
            "crp_two_columns.csv",
            "error",
            G.assign(**{"CRP (mg/L)": G["crp"] * 10}),
            "two columns meaning crp ('crp' and 'CRP (mg/L)')",
            column="crp",
        ),
        pat(
            "crp_duplicated_header.csv",
            "error",
            duplicated_header(G, "crp"),
            "the header 'crp' written twice",
            column="crp",
        ),
        lab(
            "labs_duplicated_header.xlsx",
            "error",
            duplicated_header(GL, "anc"),
            "labs header 'anc' written twice",
            column="anc",
        ),
        pat(
            "followup_header_misspelt.csv",
            "error",
            renamed(G, last_followup_date="Date of lst contact"),
            "'Date of last contact' misspelt: the missing last_followup_date names the closest header",
            column="last_followup_date",
            fragment="Date of lst contact",
        ),
        lab(
            "labs_without_anc.csv",
            "error",
            GL.drop(columns="anc"),
            "labs without an anc column",
            column="anc",
        ),
        pat(
            "column_map.csv",
            "accept",
            _mapped_patients(),
            "registry headers (Italian) renamed by bad/map_registry.csv, with hb g/L and CRP mg/L",
            options={"columns": "map_registry.csv"},
        ),
        lab(
            "column_map_labs.csv",
            "accept",
            _mapped_labs(),
            "registry lab headers renamed by bad/map_registry_labs.csv (table column), ANC /µL, Hb g/L",
            options={"columns": "map_registry_labs.csv"},
        ),
        # --- identity
        pat(
            "id_case.csv",
            "error",
            at(G, "P06", "patient_id", "p05"),
            "ids P05 and p05 equal up to case",
            column="patient_id",
            patient="P05;p05",
            companion="",
        ),
        pat(
            "id_leading_zeros.csv",
            "error",
            at(at(G, "P03", "patient_id", "0123"), "P04", "patient_id", "123"),
            "ids 0123 and 123 equal up to leading zeros",
            column="patient_id",
            patient="0123;123",
            companion="",
        ),
        lab(
            "labs_id_case.csv",
            "error",
            GL.assign(patient_id=GL["patient_id"].replace({"P02": "p02"})),
            "labs ids p02 where the patients table has P02",
            column="patient_id",
            patient="p02",
        ),
        pat(
            "ids_spaces.csv",
            "accept",
            G.assign(patient_id=[f" {i}" if n % 2 else f"{i}  " for n, i in enumerate(G["patient_id"])]),
            "ids with surrounding spaces: trimmed",
        ),
        lab(
            "labs_ids_spaces.csv",
            "accept",
            GL.assign(patient_id=GL["patient_id"] + " "),
            "labs ids with a trailing space: trimmed",
        ),
        pat(
            "ids_int_patients.xlsx",
            "accept",
            _ids_numbers(G, "int"),
            "ids as numbers in Excel (1..12) with the labs' ids as text",
            companion="bad/ids_text_labs.csv",
            ids=ID_NUMBERS,
        ),
        lab(
            "ids_text_labs.csv",
            "accept",
            _ids_numbers(GL, "text"),
            "labs ids '1'..'12' as text with the patients' ids as Excel numbers",
            companion="bad/ids_int_patients.xlsx",
            ids=ID_NUMBERS,
        ),
        lab(
            "ids_float_labs.parquet",
            "accept",
            _ids_numbers(GL, "float"),
            "labs ids as floats 1.0..12.0 with the patients' ids as text '1'..'12'",
            companion="bad/ids_text_patients.csv",
            ids=ID_NUMBERS,
        ),
        pat(
            "ids_text_patients.csv",
            "accept",
            _ids_numbers(G, "text"),
            "ids '1'..'12' with the labs' ids as floats 12.0",
            companion="bad/ids_float_labs.parquet",
            ids=ID_NUMBERS,
        ),
        pat(
            "duplicate_ids_dated_labs.csv",
            "error",
            at(G, "P04", "patient_id", "P03"),
            "P03 on two rows, with labs dated (not in days)",
            column="patient_id",
            patient="P03",
            companion="bad/labs_dated.csv",
        ),
        # --- missing codes
        pat(
            "not_done_9999.csv",
            "error",
            at(G, "P09", "ferritin", 9999),
            "ferritin 9999 ('not done') at P09",
            column="ferritin",
            patient="P09",
            fragment="9999",
        ),
        pat(
            "not_done_9999_declared.csv",
            "accept",
            at(G, "P09", "ferritin", 9999),
            "ferritin 9999 declared a missing code",
            options={"na": ["9999"]},
        ),
        pat(
            "not_done_999.xlsx",
            "error",
            at(G, "P05", "plt", 999),
            "platelets 999 ('not done') at P05",
            column="plt",
            patient="P05",
            fragment="999",
        ),
        pat(
            "not_done_999_declared.xlsx",
            "accept",
            at(G, "P05", "plt", 999),
            "platelets 999 declared a missing code",
            options={"na": ["999"]},
        ),
        pat(
            "not_done_text.csv",
            "error",
            at(G, "P09", "ferritin", "ND"),
            "ferritin 'ND' at P09",
            column="ferritin",
            patient="P09",
            fragment="ND",
        ),
        pat(
            "not_done_text_declared.csv",
            "accept",
            at(G, "P09", "ferritin", "ND"),
            "ferritin 'ND' declared a missing code",
            options={"na": ["ND"]},
        ),
        lab(
            "labs_not_done_999.csv",
            "error",
            at(GL, "P04", "hb", 999, day=60),
            "labs hb 999 at P04 day 60",
            column="hb",
            patient="P04",
            fragment="999",
        ),
        lab(
            "labs_not_done_999_declared.csv",
            "accept",
            at(GL, "P04", "hb", 999, day=60),
            "labs hb 999 declared a missing code",
            options={"na": ["999"]},
        ),
        # --- dates
        pat(
            "followup_2035.sas7bdat",
            "error",
            at(G, "P01", "last_followup_date", "2035-06-01"),
            "last follow-up in 2035, after the data cut-off (default today)",
            column="last_followup_date",
            patient="P01",
            fragment="2035",
        ),
        pat(
            "cutoff_2023.csv",
            "error",
            G,
            "the clean cohort with cutoff 2023-01-01: later follow-up dates are refused",
            column="last_followup_date",
            patient="P01",
            options={"cutoff": "2023-01-01"},
        ),
        pat(
            "date_before_1900.xpt",
            "error",
            at(G, "P03", "infusion_date", "1821-03-20"),
            "infusion in 1821 (a typo for 2021)",
            column="infusion_date",
            patient="P03",
            fragment="1821",
        ),
        pat(
            "excel_serial_dates.csv",
            "warning",
            serial_dates(G, "1899-12-30", ["infusion_date"]),
            "infusion dates as spreadsheet serial numbers: read with a warning",
            column="infusion_date",
            same_numbers=True,
        ),
        pat(
            "sas_dates_as_numbers.dta",
            "error|warning",
            serial_dates(G, "1960-01-01"),
            "dates as plain numbers of days since 1960 without a date format (Stata)",
            column="infusion_date",
        ),
        pat(
            "sas_dates_as_numbers.xpt",
            "error|warning",
            serial_dates(G, "1960-01-01"),
            "dates as plain numbers without a date format (SAS transport)",
            column="infusion_date",
        ),
        pat(
            "sas_dates_as_numbers.sas7bdat",
            "error|warning",
            lambda p: write_sas7bdat(G, p, numeric_dates=True),
            "dates as plain numbers without a date format (sas7bdat by R haven)",
            column="infusion_date",
        ),
        lab("labs_dated.csv", "accept", lab_dated, "labs with the draw's date instead of its day"),
        lab(
            "labs_date_2035.csv",
            "error",
            _labs_date_2035(lab_dated),
            "a lab drawn in 2035, after the cut-off",
            column="date",
            patient="P01",
            fragment="2035",
        ),
        # --- consistency
        pat(
            "progression_before_infusion.xlsx",
            "error",
            at(G, "P04", "progression_date", "2021-03-01"),
            "progression before infusion",
            column="progression_date",
            patient="P04",
        ),
        pat(
            "progression_after_death_p02.parquet",
            "error",
            at(G, "P02", "progression_date", "2021-10-15"),
            "progression after death",
            column="progression_date",
            patient="P02",
        ),
        pat(
            "first_response_after_progression.xlsx",
            "error",
            at(G, "P04", "response_date", "2022-04-01"),
            "first response after progression",
            column="response_date",
            patient="P04",
        ),
        # --- impossible values and unknown codes
        pat(
            "negative_platelets.dta",
            "error",
            at(G, "P07", "plt", -180),
            "negative platelets",
            column="plt",
            patient="P07",
        ),
        pat(
            "age_150.xlsx",
            "error",
            at(G, "P08", "age", 150),
            "age 150",
            column="age",
            patient="P08",
            fragment="150",
        ),
        pat("hb_zero.csv", "error", at(G, "P09", "hb", 0.0), "hb 0 g/dL", column="hb", patient="P09"),
        lab(
            "labs_hb_zero.parquet",
            "error",
            at(GL, "P01", "hb", 0.0, day=14),
            "labs hb 0 g/dL",
            column="hb",
            patient="P01",
        ),
        lab(
            "labs_negative_plt.xpt",
            "error",
            at(GL, "P03", "plt", -5.0, day=7),
            "labs negative platelets",
            column="plt",
            patient="P03",
        ),
        pat(
            "unknown_response_code.xlsx",
            "error",
            at(G, "P07", "response_day90", "CRu"),
            "response 'CRu' is not a Lugano code",
            column="response_day90",
            patient="P07",
            fragment="CRu",
        ),
        pat(
            "stage_v.csv",
            "error",
            at(G, "P10", "stage", "V"),
            "Ann Arbor stage 'V'",
            column="stage",
            patient="P10",
        ),
        # --- lab draws
        lab(
            "labs_same_day_different.csv",
            "error",
            same_day,
            "two different draws of P01 on day 60 with the default lab_duplicates='error'",
            column="day|anc|date",
            patient="P01",
        ),
        lab(
            "labs_same_day_worst.csv",
            "accept",
            same_day,
            "two different draws on one day, lab_duplicates='worst' (the clean draw is the worse)",
            options={"lab_duplicates": "worst"},
        ),
        lab(
            "labs_same_day_mean.csv",
            "accept",
            same_day,
            "two different draws on one day, lab_duplicates='mean' (far from every threshold)",
            options={"lab_duplicates": "mean"},
        ),
        lab(
            "labs_identical_duplicate.csv",
            "accept",
            add_draws(GL, [("P03", 14, 2.0, 190, 11.9)]),
            "the same draw twice (P03 day 14)",
        ),
        lab(
            "labs_after_death.dta",
            "warning",
            _after_death(),
            "two draws of P06 after death: left out of grading, counted and warned",
            patient="P06",
            fragment="death",
            same_numbers=True,
        ),
        lab(
            "labs_after_followup.csv",
            "warning",
            _after_followup(),
            "two draws of P09 after the last follow-up: left out of grading, warned",
            patient="P09",
            fragment="follow",
            same_numbers=True,
        ),
        lab(
            "labs_header_only.csv",
            "error",
            GL.head(0),
            "a labs file with the header and no rows",
            fragment="labs",
        ),
        pat(
            "patients_header_only.xlsx",
            "error",
            G.head(0),
            "a patients workbook with the header and no rows",
            fragment="patients",
        ),
        # --- sheets and files that are not what they say
        pat(
            "two_sheets.xlsx",
            "accept",
            _two_sheets("README"),
            "a README sheet before the patients sheet, sheet='patients'",
            options={"sheet": "patients"},
        ),
        pat(
            "two_sheets_unnamed.xlsx",
            "accept|error",
            _two_sheets("README"),
            "a README sheet before the patients sheet, no sheet named: the sheet named patients is "
            "taken, or the message lists the sheets",
            fragment="sheet",
        ),
        lab(
            "labs_sheet.xlsx",
            "accept",
            _two_sheets("patients"),
            "a workbook with sheets patients and labs, read as labs with sheet='labs'",
            options={"sheet": "labs"},
        ),
        pat("html_as.xlsx", "error", html_as_xlsx, "an HTML page saved as .xlsx", fragment="HTML"),
        pat("zip_as.xlsx", "error", zip_as_xlsx, "a zip of CSV files saved as .xlsx", fragment="zip"),
        pat(
            "encrypted.xlsx",
            "error",
            encrypted_xlsx,
            "a password-protected workbook (OLE container)",
            fragment="encrypt",
        ),
        pat(
            "truncated.parquet", "error", truncated_parquet, "a Parquet file cut in half", fragment="parquet"
        ),
        pat("binary_as.csv", "error", binary_as_csv, "binary bytes in a .csv", fragment="binary"),
        pat("empty.csv", "error", empty_file, "an empty (0-byte) .csv", fragment="empty"),
        lab("labs_empty.xlsx", "error", empty_file, "an empty (0-byte) labs .xlsx", fragment="empty"),
    ]
    return cases


def _labs_date_2035(lab_dated: pd.DataFrame) -> pd.DataFrame:
    out = lab_dated.copy()
    last = out.index[out["patient_id"] == "P01"][-1]
    out.loc[last, "date"] = "2035-01-01"
    return out


def _zip_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:  # an xlsx is a zip; its core.xml holds the time of writing
        return {n: z.read(n) for n in sorted(z.namelist()) if n != "docProps/core.xml"}


def _readstat(path: Path) -> tuple:
    import pyreadstat

    read = {".dta": pyreadstat.read_dta, ".xpt": pyreadstat.read_xport, ".sas7bdat": pyreadstat.read_sas7bdat}
    df, meta = read[path.suffix](str(path))
    return df.to_csv(), meta.original_variable_types, meta.variable_value_labels, meta.column_names


def same_content(old: Path, new: Path) -> bool:
    """Whether two writings of a case hold the same thing (binary formats stamp the time of writing)."""
    if old.read_bytes() == new.read_bytes():
        return True
    ole = bytes.fromhex("d0cf11e0a1b11ae1")
    if old.read_bytes()[:8] == new.read_bytes()[:8] == ole:
        return True  # an encrypted workbook: a new random salt each time
    try:
        if zipfile.is_zipfile(old) and zipfile.is_zipfile(new):
            return _zip_members(old) == _zip_members(new)
        if old.suffix in (".dta", ".xpt", ".sas7bdat"):
            return _readstat(old) == _readstat(new)
    except Exception:  # unreadable either way: rewrite
        return False
    return False


def write_stable(path: Path, make: Callable[[Path], None]) -> None:
    """Write a case, keeping the committed file when only the time stamps inside would change."""
    with tempfile.TemporaryDirectory() as tmp:
        new = Path(tmp) / path.name
        if path.exists():
            shutil.copyfile(path, new)  # writers that need a tool they lack keep what is there
        make(new)
        if new.exists() and not (path.exists() and same_content(path, new)):
            shutil.copyfile(new, path)


def write_new(out: Path) -> list[dict]:
    GOOD12.to_csv(HERE / P12, index=False)
    GOOD12_LABS.to_csv(HERE / L12, index=False)
    _write_maps()
    rows = []
    for case in new_cases():
        write_stable(out / case.file, case.make)
        rows.append(case.row())
    names = [r["file"] for r in rows]
    clash = {Path(n).stem for n in names} & {*CASES, "many_problems"}
    assert len(names) == len(set(names)) and not clash, f"file names must be unique: {clash}"
    return rows


#: the first cases' manifest fragments: the offending value where there is one, never the wording
LEGACY_FRAGMENTS = {
    "bad_date": "2021-13-45",
    "bad_number": "high",
    "decimal_comma": "decimal",
    "negative_count": "-60",
    "unknown_response": "VGPR",
    "ambiguous_dates": "ambiguous",
    "not_yes_no": "maybe",
    "labs_negative": "-0.05",
    "labs_bad_text": "clumped",
}
#: hb written '11,0' in a file whose other decimals are points: a per-column pattern may read it
LEGACY_OUTCOMES = {"decimal_comma": "accept|error"}


def legacy_rows() -> list[dict]:
    rows = []
    for name, (table, _change, column, patient, fragment) in CASES.items():
        rows.append(
            {
                "file": name,
                "table": table,
                "companion": "" if table == "patients" else "good_patients.csv",
                "outcome": LEGACY_OUTCOMES.get(name, "error"),
                "column": column,
                "patient": patient or "",
                "fragment": LEGACY_FRAGMENTS.get(name, ""),
                "options": "{}",
                "note": f"first corpus: {fragment}",
                "base": "good",
                "same_numbers": "",
                "ids": "",
            }
        )
    rows.append(
        {
            "file": "many_problems",
            "table": "patients",
            "companion": "",
            "outcome": "error",
            "column": "crp",
            "patient": "A2",
            "fragment": "high",
            "options": "{}",
            "note": "five problems at once (crp text, sex X, crs grade 7, progression after death)",
            "base": "good",
            "same_numbers": "",
            "ids": "",
        }
    )
    return rows


def main() -> None:
    out = HERE / "bad"
    out.mkdir(exist_ok=True)
    GOOD.to_csv(HERE / "good_patients.csv", index=False)
    GOOD_LABS.to_csv(HERE / "good_labs.csv", index=False)
    for name, (table, change, *_rest) in CASES.items():
        frame_ = change(GOOD.copy() if table == "patients" else GOOD_LABS.copy())
        frame_.to_csv(out / f"{name}.csv", index=False)
    many = GOOD.assign(
        crp=["0.5", "high", "1.0", "3.2", None],
        sex=["M", "F", "X", "M", "M"],
        crs_grade=[1, 2, 7, 1, None],
        progression_date=[None, "2021-10-15", None, "2022-03-01", None],
    )
    many.to_csv(out / "many_problems.csv", index=False)
    rows = legacy_rows() + write_new(out)
    pd.DataFrame(rows).to_csv(out / "expected.csv", index=False)


if __name__ == "__main__":
    main()
