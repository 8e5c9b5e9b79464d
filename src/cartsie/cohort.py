"""Load a cohort: read, validate, convert units, derive endpoints, score, grade, count the flow.

:func:`load` takes the patients table (and optionally the long labs table) as DataFrames or files and
returns a :class:`Cohort` whose ``table`` is the one frame every analysis of cartsie takes. The schema
is :mod:`cartsie.schema`; the endpoint definitions are in :mod:`cartsie.endpoints`.

Every problem in the input is collected and reported at once in a :class:`cartsie.CohortError`
(a ``ValueError``) naming the column, the patient id(s) and the fix. Doubtful but possible values (a
unit that looks wrong, a censored lab value such as ``"<0.1"``) give a :class:`cartsie.CohortWarning`,
or an error with ``strict=True``. No patient is dropped silently: ``Cohort.flow`` accounts for every
input row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from cartsie import _validate as V
from cartsie import schema
from cartsie._io import read_table
from cartsie.endpoints import derive_endpoints, months
from cartsie.errors import CohortError
from cartsie.scores import HT_LABS, score_all
from cartsie.toxicity import grade_icaht

BASELINE_LABS = HT_LABS
GRADE_COLUMNS = ("icaht_early_grade", "icaht_late_grade", "severe_thrombocytopenia", "severe_anemia")
_EVENT_DAYS = tuple(f"{e}_day" for e in schema.EVENTS)
_LAB_NAMES = {"plt": "platelets", "anc": "ANC", "hb": "Hb", "crp": "CRP", "ferritin": "ferritin"}


@dataclass(frozen=True)
class Cohort:
    """A validated cohort.

    Attributes
    ----------
    patients : DataFrame
        One row per input patient (index ``patient_id``): canonical names, codes and units, with event
        days since infusion (``*_day``) next to the dates.
    labs : DataFrame or None
        The long labs table with whole ``day`` since infusion, canonical units.
    endpoints : DataFrame
        :data:`cartsie.endpoints.ENDPOINT_COLUMNS`, one row per patient.
    flow : DataFrame
        ``step``, ``n``, ``excluded``, ``reason``: enrolled -> infused -> LBCL -> simpleHT evaluable
        -> HT evaluable.
    exclusions : DataFrame
        ``step``, ``reason``, ``n``: one row per reason of exclusion.
    table : DataFrame
        One row per patient joining baseline, derived covariates, scores, toxicity grades and endpoints.
    warnings, notes : tuple of str
        What was doubtful, and what was done (columns renamed, units converted, values derived).
    """

    patients: pd.DataFrame
    labs: pd.DataFrame | None
    endpoints: pd.DataFrame
    flow: pd.DataFrame
    exclusions: pd.DataFrame
    table: pd.DataFrame
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def population(self, which: Literal["infused", "lbcl", "simple_ht", "ht"] = "lbcl") -> pd.DataFrame:
        """Rows of :attr:`table` in an analysis population (each a subset of the previous)."""
        t = self.table
        masks = {
            "infused": t["infused"] == 1,
            "lbcl": t["lbcl"],
            "simple_ht": t["lbcl"] & t["simple_ht_high"].notna(),
            "ht": t["lbcl"] & t["ht_high"].notna(),
        }
        if which not in masks:
            raise ValueError(f"population {which!r} is not one of {sorted(masks)}.")
        return t.loc[masks[which].fillna(False).to_numpy(bool)]


def _read(source, what: str) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if isinstance(source, str | Path):
        return read_table(source)
    raise CohortError(f"{what}: give a pandas DataFrame or the path of a file, not {type(source).__name__}.")


def load(
    patients: pd.DataFrame | str | Path,
    labs: pd.DataFrame | str | Path | None = None,
    units: Mapping[str, str] | None = None,
    *,
    strict: bool = False,
    dayfirst: bool | None = None,
    decimal: str = ".",
    baseline: Literal["patients", "labs_day0"] = "patients",
    require: Iterable[str] = (),
) -> Cohort:
    """Read and validate a cohort; derive endpoints, scores, grades and the patient flow.

    Parameters
    ----------
    patients : DataFrame or path
        One row per patient (CSV, Excel, Parquet, SAS ``.sas7bdat``/``.xpt``, Stata ``.dta``, SPSS
        ``.sav``; chosen by extension). Columns: :mod:`cartsie.schema`; names are matched ignoring
        case, spaces and common synonyms, and a unit written in a name ("CRP (mg/L)") is converted.
    labs : DataFrame or path, optional
        Long labs: ``patient_id``, ``day`` (or ``date``), ``anc``, optional ``plt``, ``hb``. When
        given, ICAHT and severe cytopenias are graded from it (:func:`cartsie.toxicity.grade_icaht`,
        late window ending at progression or next therapy); otherwise precomputed grade columns of
        the patients table are used when present.
    units : mapping, optional
        Column -> unit of values not in canonical units, e.g. ``{"crp": "mg/L", "plt": "/µL"}``;
        applies to the columns of both tables.
    strict : bool
        Treat doubtful values (units that look wrong) as errors instead of warnings.
    dayfirst : bool, optional
        How to read dates such as 02/03/2021. By default decided from the data (a day above 12 settles
        it); ambiguous files are an error asking for this argument. ISO dates need nothing.
    decimal : {".", ","}
        Decimal mark of numbers written as text.
    baseline : {"patients", "labs_day0"}
        Where baseline labs come from: the patients table (values before lymphodepletion, default), or,
        for ANC, Hb and platelets missing there, the last lab on or before day 0.
    require : iterable of str
        Analyses the cohort must support; their columns become required: "scores" (the five HT labs),
        "simple_ht" (plt, crp), "survival" (follow-up), "response" (response_day90), "toxicity" (labs
        or precomputed grades), "spm" (SPM columns).

    Returns
    -------
    Cohort

    Raises
    ------
    CohortError
        Listing every problem found, each with column, patient id(s) and fix.
    """
    report = V.Report()
    pat, name_units = V.canonical_names(_read(patients, "patients"), "patients", report)
    lab = None
    if labs is not None:
        lab, lab_name_units = V.canonical_names(_read(labs, "labs"), "labs", report)
        name_units.update(lab_name_units)
    report.raise_if_any()
    _check_required(pat, lab, set(require), report)
    report.raise_if_any()

    declared = {**name_units, **{k.lower(): v for k, v in (units or {}).items()}}
    pat = _coerce_patients(pat, lab, report, dayfirst, decimal)
    if lab is not None:
        lab = _coerce_labs(lab, pat, report, decimal)
    pat = V.apply_units(pat, declared, "patients", report)
    if lab is not None:
        lab = V.apply_units(lab, declared, "labs", report)
    _check_consistency(pat, report)
    report.raise_if_any()

    V.check_units(pat, BASELINE_LABS, "patients", strict, report)
    if lab is not None:
        V.check_units(lab, ("anc", "plt", "hb"), "labs", strict, report)
    report.raise_if_any()

    pat = pat.set_index("patient_id")
    if baseline == "labs_day0" and lab is not None:
        pat = _baseline_from_labs(pat, lab, report)
    endpoints = derive_endpoints(pat)
    grades = _grades(pat, lab, report)
    table = _table(pat, grades, endpoints)
    flow, exclusions = patient_flow(table)
    _note_missing_endpoints(endpoints, table, report)
    report.emit()
    return Cohort(
        patients=pat,
        labs=lab,
        endpoints=endpoints,
        flow=flow,
        exclusions=exclusions,
        table=table,
        warnings=tuple(report.warnings),
        notes=tuple(report.notes),
    )


def _has_event(df: pd.DataFrame, event: str) -> bool:
    return f"{event}_date" in df.columns or f"{event}_day" in df.columns


def _check_required(pat: pd.DataFrame, lab: pd.DataFrame | None, require: set[str], report: V.Report) -> None:
    needs: list[tuple[str, bool, str]] = [("patient_id", "patient_id" in pat.columns, "every analysis")]
    if "scores" in require:
        needs += [(c, c in pat.columns, "the HT score") for c in BASELINE_LABS]
    if "simple_ht" in require:
        needs += [(c, c in pat.columns, "simpleHT") for c in ("plt", "crp")]
    if "survival" in require or any(_has_event(pat, e) for e in ("progression", "death")):
        needs.append(
            (
                "last_followup_date or last_followup_day",
                _has_event(pat, "last_followup"),
                "censoring survival endpoints",
            )
        )
    if "response" in require:
        needs.append(("response_day90", "response_day90" in pat.columns, "day-90 response"))
    if "spm" in require:
        needs.append(("spm_date or spm_day", _has_event(pat, "spm"), "SPM endpoints"))
    if "toxicity" in require and lab is None:
        needs += [(c, c in pat.columns, "toxicity without a labs table") for c in GRADE_COLUMNS]
    dated = [c for c in pat.columns if c.endswith("_date") and c != "infusion_date"]
    if dated:
        needs.append(
            (
                "infusion_date",
                "infusion_date" in pat.columns,
                f"turning the dates of {', '.join(dated)} into days since infusion",
            )
        )
    if lab is not None:
        needs.append(("patient_id (labs)", "patient_id" in lab.columns, "the labs table"))
        needs.append(("anc (labs)", "anc" in lab.columns, "ICAHT grading"))
        needs.append(("day or date (labs)", "day" in lab.columns or "date" in lab.columns, "the labs table"))
        if "day" not in lab.columns and "date" in lab.columns:
            needs.append(("infusion_date", "infusion_date" in pat.columns, "turning lab dates into days"))
    for name, present, why in needs:
        if not present:
            report.problems.append(f"required column {name!r} is missing (needed for {why}). Add it.")


def _coerce_patients(pat, lab, report, dayfirst, decimal) -> pd.DataFrame:
    out = pd.DataFrame(index=pat.index)
    out["patient_id"] = V.coerce_id(pat, "patients", report)
    date_cols = [c for c in pat.columns if schema.PATIENTS.get(c) and schema.PATIENTS[c].kind == "date"]
    lab_dates = (
        [(lab, ["date"])] if lab is not None and "date" in lab.columns and "day" not in lab.columns else []
    )
    order = V.date_order([(pat, date_cols), *lab_dates], dayfirst, report)
    for col in pat.columns:
        spec = schema.PATIENTS.get(col)
        if col == "patient_id":
            continue
        if spec is None:
            out[col] = pat[col]  # extra covariates pass through untouched
            continue
        if spec.kind == "binary":
            out[col] = V.coerce_binary(pat, col, "patients", report)
        elif spec.kind == "category":
            out[col], detail = V.coerce_category(pat, col, "patients", report)
            if detail is not None:
                out[f"{col}_detail"] = detail
        elif spec.kind in ("integer", "number", "day"):
            out[col] = V.coerce_number(pat, col, "patients", report, decimal, integer=spec.kind == "integer")
        elif spec.kind == "date":
            out[col] = V.coerce_date(pat, col, "patients", report, order)
        else:
            out[col] = V._text(pat[col])
    out.attrs["dayfirst"] = order
    return _event_days(out, report)


def _event_days(pat: pd.DataFrame, report: V.Report) -> pd.DataFrame:
    """Derive ``*_day`` from ``*_date`` and the infusion date, or dates from days; check agreement."""
    infusion = pat["infusion_date"] if "infusion_date" in pat.columns else None
    for event in schema.EVENTS:
        date_col, day_col = f"{event}_date", f"{event}_day"
        if date_col in pat.columns and infusion is not None:
            from_dates = (pat[date_col] - infusion).dt.days.astype(float)
            no_origin = pat[date_col].notna() & infusion.isna()
            if "infused" in pat.columns:
                no_origin &= pat["infused"].fillna(1) == 1
            report.problem(
                "patients",
                "infusion_date",
                pat,
                no_origin,
                f"missing while {date_col} is given",
                "Give the infusion date (day 0).",
            )
            if day_col in pat.columns:
                differ = from_dates.notna() & pat[day_col].notna() & (from_dates != pat[day_col])
                report.problem(
                    "patients",
                    day_col,
                    pat,
                    differ,
                    f"disagrees with {date_col}",
                    "Keep one of the two, or correct the one that is wrong.",
                )
                pat[day_col] = pat[day_col].fillna(from_dates)
            else:
                pat[day_col] = from_dates
        elif day_col in pat.columns and infusion is not None:
            pat[date_col] = infusion + pd.to_timedelta(pat[day_col], unit="D")
    return pat


def _coerce_labs(lab: pd.DataFrame, pat: pd.DataFrame, report: V.Report, decimal: str) -> pd.DataFrame:
    out = pd.DataFrame(index=lab.index)
    out["patient_id"] = V.coerce_id(lab, "labs", report)
    known = set(pat["patient_id"].dropna())
    unknown = out["patient_id"].notna() & ~out["patient_id"].isin(known)
    report.problem(
        "labs",
        "patient_id",
        lab,
        unknown,
        "ids not in the patients table",
        "Add these patients to the patients table or remove their labs.",
    )
    for col in lab.columns:
        spec = schema.LABS.get(col)
        if spec is None or col == "patient_id":
            continue
        if spec.kind == "number":
            out[col] = V.coerce_number(lab, col, "labs", report, decimal)
        elif spec.kind == "binary":
            out[col] = V.coerce_binary(lab, col, "labs", report)
        elif spec.kind == "day":
            out[col] = V.coerce_number(lab, col, "labs", report, decimal)
    if "day" not in lab.columns and "date" in lab.columns:
        dates = V.coerce_date(lab, "date", "labs", report, pat.attrs.get("dayfirst"))
        origin = out["patient_id"].map(pat.set_index("patient_id")["infusion_date"])
        out["day"] = (dates - origin).dt.days.astype(float)
        report.notes.append("labs table: day computed from date and the infusion date")
    fractional = out["day"].notna() & (out["day"] != np.round(out["day"]))
    report.problem(
        "labs",
        "day",
        lab,
        fractional,
        "fractional days",
        "Give whole days since infusion (day 0 = infusion).",
    )
    missing_day = out["day"].isna()
    report.problem("labs", "day", lab, missing_day, "no day (or date)", "Give the day of every draw.")
    return out


def _check_consistency(pat: pd.DataFrame, report: V.Report) -> None:
    """Events before infusion, progression after death, follow-up ending before an event."""
    day = {c: pat[c] if c in pat.columns else pd.Series(np.nan, index=pat.index) for c in _EVENT_DAYS}
    for col in _EVENT_DAYS:
        report.problem(
            "patients",
            col.replace("_day", "_date"),
            pat,
            day[col] < 0,
            "event before the infusion",
            "Events are counted from infusion (day 0).",
        )
    latest = pd.concat(
        [day[c] for c in ("response_day", "progression_day", "death_day", "spm_day")], axis=1
    ).max(axis=1)
    checks = (
        (
            "progression_date",
            day["progression_day"] > day["death_day"],
            "progression after death",
            "Correct the progression or death date.",
        ),
        (
            "response_date",
            day["response_day"] > day["progression_day"],
            "first response after progression",
            "Correct the response or progression date.",
        ),
        (
            "last_followup_date",
            day["last_followup_day"] < latest,
            "last follow-up before a recorded event",
            "Set the last follow-up to the latest known date (the death date for patients who died).",
        ),
    )
    for column, mask, what, fix in checks:
        report.problem("patients", column, pat, mask, what, fix)
    for col, event in (("spm_type", "spm"), ("death_cause", "death")):
        if col in pat.columns:
            recorded = day[f"{event}_day"].notna()
            if f"{event}_date" in pat.columns:
                recorded |= pat[f"{event}_date"].notna()
            report.problem(
                "patients",
                col,
                pat,
                pat[col].notna() & ~recorded,
                f"given without a {event} date",
                f"Give the {event} date or blank {col}.",
            )
    if "response_day90" in pat.columns:
        responders = pat["response_day90"].isin(["CR", "PR"]).fillna(False) & day["response_day"].isna()
        if responders.any() and _has_event(pat, "response"):
            report.warn(
                f"patients table: {int(responders.sum())} day-90 responder(s) without a first-response "
                "date have no duration of response (response_date missing)."
            )


def _baseline_from_labs(pat: pd.DataFrame, lab: pd.DataFrame, report: V.Report) -> pd.DataFrame:
    pre = lab[lab["day"] <= 0].sort_values(["patient_id", "day"])
    last = pre.groupby("patient_id").last()
    for col in ("anc", "plt", "hb"):
        if col not in last.columns:
            continue
        current = pat[col] if col in pat.columns else pd.Series(np.nan, index=pat.index)
        filled = current.fillna(last[col].reindex(pat.index))
        n = int((filled.notna() & current.isna()).sum())
        if n:
            report.notes.append(
                f"baseline {col} taken from the last lab on or before day 0 for {n} patient(s)"
            )
        pat[col] = filled
    return pat


def _grades(pat: pd.DataFrame, lab: pd.DataFrame | None, report: V.Report) -> pd.DataFrame:
    infused = pat.index[(pat["infused"] == 1).fillna(False)] if "infused" in pat.columns else pat.index
    if lab is None:
        present = [c for c in GRADE_COLUMNS if c in pat.columns]
        if present:
            report.notes.append(f"toxicity grades taken from the patients table: {present}")
        return pd.DataFrame(index=pat.index)
    lab = lab[lab["patient_id"].isin(infused)]
    ends = pd.concat(
        [pat.get(c, pd.Series(np.nan, index=pat.index)) for c in ("progression_day", "next_therapy_day")],
        axis=1,
    ).min(axis=1)
    # A window ending by day 30 is empty, so those late grades come out missing, not 0.
    grades = grade_icaht(lab, late_end=ends.dropna(), check_units=False)
    return grades.reindex(pat.index)


def _binary(condition: pd.Series, known: pd.Series) -> pd.Series:
    return condition.astype("Int64").where(known, pd.NA).astype("Int64")


def _table(pat: pd.DataFrame, grades: pd.DataFrame, endpoints: pd.DataFrame) -> pd.DataFrame:
    t = pat.copy()
    if "infused" not in t.columns:
        t["infused"] = pd.array([1] * len(t), dtype="Int64")
    hist = t["histology"] if "histology" in t.columns else pd.Series(pd.NA, index=t.index, dtype="string")
    t["lbcl"] = hist.isin(schema.LBCL_HISTOLOGIES).fillna(False) & (t["infused"] == 1).fillna(False)
    t = t.join(
        score_all(t, check_units=False)
        if {"plt", "crp"} <= set(t.columns)
        else pd.DataFrame(
            {
                "ht_high": pd.array([pd.NA] * len(t), dtype="Int64"),
                "simple_ht_high": pd.array([pd.NA] * len(t), dtype="Int64"),
            },
            index=t.index,
        )
    )
    for col, group in (("ht_high", "ht_group"), ("simple_ht_high", "simple_ht_group")):
        t[group] = pd.Categorical(t[col].map({0: "low", 1: "high"}), categories=["low", "high"])
    if "stage" in t.columns:
        t["stage_advanced"] = _binary(t["stage"] >= 3, t["stage"].notna())
    if "ipi" in t.columns:
        t["ipi_ge3"] = _binary(t["ipi"] >= 3, t["ipi"].notna())
    if "bridging_response" in t.columns:
        t["bridging_failure"] = _binary(t["bridging_response"] == "PD", t["bridging_response"].notna())
    if "vein_to_vein_days" in t.columns:
        t["vein_to_vein_months"] = months(t["vein_to_vein_days"])
    if "prior_lines" in t.columns:
        lines = t["prior_lines"]
        t["prior_lines_cat"] = pd.Series(
            np.where(lines >= 3, ">=3", lines.astype("string")), index=t.index, dtype="string"
        ).where(lines.notna())
    for col in grades.columns:
        t[col] = grades[col]
    for grade, flag, cut in (
        ("icaht_early_grade", "early_icaht", 1),
        ("icaht_late_grade", "late_icaht", 1),
        ("icaht_late_grade", "late_icaht_severe", 3),
        ("crs_grade", "crs_any", 1),
        ("crs_grade", "crs_severe", 3),
        ("icans_grade", "icans_any", 1),
        ("icans_grade", "icans_severe", 3),
    ):
        if grade in t.columns:
            g = pd.to_numeric(t[grade], errors="coerce")
            t[flag] = _binary(g >= cut, g.notna())
    return t.join(endpoints)


def patient_flow(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The patient flow (every input row accounted for) and the exclusions, one row per reason."""
    steps, reasons = [], []
    n0 = len(table)
    steps.append(("enrolled", n0, 0))
    infused = (table["infused"] == 1).fillna(False).to_numpy(bool)
    reasons += _reasons("infused", ~infused, pd.Series("not infused", index=table.index), table)
    hist = table.get("histology", pd.Series(pd.NA, index=table.index)).astype("string")
    detail = table.get("histology_detail", pd.Series(pd.NA, index=table.index)).astype("string")
    why = "histology " + detail.fillna(hist).fillna("missing") + " (not LBCL)"
    lbcl = table["lbcl"].to_numpy(bool)
    reasons += _reasons("LBCL", infused & ~lbcl, why, table)
    simple = lbcl & table["simple_ht_high"].notna().to_numpy(bool)
    reasons += _reasons("simpleHT evaluable", lbcl & ~simple, _missing_labs(table, ("plt", "crp")), table)
    ht = simple & table["ht_high"].notna().to_numpy(bool)
    reasons += _reasons("HT evaluable", simple & ~ht, _missing_labs(table, ("anc", "hb", "ferritin")), table)
    counts = [("infused", infused), ("LBCL", lbcl), ("simpleHT evaluable", simple), ("HT evaluable", ht)]
    prev = n0
    for step, mask in counts:
        n = int(mask.sum())
        steps.append((step, n, prev - n))
        prev = n
    exclusions = pd.DataFrame(reasons, columns=["step", "reason", "n"])
    flow = pd.DataFrame(steps, columns=["step", "n", "excluded"])
    joined = (
        exclusions.groupby("step", sort=False).apply(
            lambda g: "; ".join(f"{r} ({n})" for r, n in zip(g["reason"], g["n"], strict=True)),
            include_groups=False,
        )
        if len(exclusions)
        else pd.Series(dtype=object)
    )
    flow["reason"] = flow["step"].map(joined).fillna("")
    return flow, exclusions


def _reasons(
    step: str, excluded: np.ndarray, why: pd.Series, table: pd.DataFrame
) -> list[tuple[str, str, int]]:
    counts = why[excluded].value_counts(sort=False)
    return [(step, str(reason), int(n)) for reason, n in counts.sort_index().items()]


def _missing_labs(table: pd.DataFrame, labs: tuple[str, ...]) -> pd.Series:
    parts = []
    for lab in labs:
        col = table[lab] if lab in table.columns else pd.Series(np.nan, index=table.index)
        parts.append(np.where(col.isna(), _LAB_NAMES[lab], ""))
    names = ["+".join(p for p in row if p) for row in zip(*parts, strict=True)]
    return pd.Series([f"missing baseline {n}" for n in names], index=table.index)


def _note_missing_endpoints(endpoints: pd.DataFrame, table: pd.DataFrame, report: V.Report) -> None:
    lbcl = table["lbcl"]
    for col in ("os_event", "orr_day90"):
        n = int((endpoints[col].isna() & lbcl).sum())
        if n:
            what = "no follow-up" if col == "os_event" else "no day-90 assessment (alive, not progressed)"
            report.notes.append(f"{n} LBCL patient(s) without {col.split('_')[0].upper()}: {what}")
