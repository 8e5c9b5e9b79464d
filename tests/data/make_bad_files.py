"""Write the bad-input corpus: tests/data/bad/*.csv, one problem each, plus one with many problems.

Each file is the valid cohort of ``good_patients.csv`` (or ``good_labs.csv``) with one change; the
manifest ``bad/expected.csv`` names the table, column, patient id and a fragment of the expected
message. Run: python tests/data/make_bad_files.py
"""

from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
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


def main() -> None:
    out = HERE / "bad"
    out.mkdir(exist_ok=True)
    GOOD.to_csv(HERE / "good_patients.csv", index=False)
    GOOD_LABS.to_csv(HERE / "good_labs.csv", index=False)
    rows = []
    for name, (table, change, column, patient, fragment) in CASES.items():
        frame = change(GOOD.copy() if table == "patients" else GOOD_LABS.copy())
        frame.to_csv(out / f"{name}.csv", index=False)
        rows.append((name, table, column, patient or "", fragment))
    many = GOOD.assign(
        crp=["0.5", "high", "1.0", "3.2", None],
        sex=["M", "F", "X", "M", "M"],
        crs_grade=[1, 2, 7, 1, None],
        progression_date=[None, "2021-10-15", None, "2022-03-01", None],
    )
    many.to_csv(out / "many_problems.csv", index=False)
    pd.DataFrame(rows, columns=["file", "table", "column", "patient", "fragment"]).to_csv(
        out / "expected.csv", index=False
    )


if __name__ == "__main__":
    main()
