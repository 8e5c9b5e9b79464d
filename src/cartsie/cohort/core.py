"""Load a cohort: read -> columns -> values -> units -> consistency -> derive -> flow.

:func:`load` takes the patients table (and optionally the long labs table) as DataFrames or files and
returns a :class:`Cohort` whose ``table`` is the one frame every analysis of cartsie takes. It runs the
checks a data manager would, in the order the data flow, each stage a module of this package adding to
one :class:`~cartsie.cohort.problems.Report`: a structural pass (files, headers, required columns) and a
value pass (every cell, units, consistency) both run before anything is raised, so fixing one problem
never reveals the next. Every problem is then raised at once in a :class:`cartsie.CohortError`, one
line per kind with the column, the patient id(s) and the fix; doubtful values are
:class:`cartsie.CohortWarning` (errors with ``strict=True``). No patient, column or lab row is dropped
silently: ``Cohort.flow`` accounts for every patient, ``Cohort.notes`` and ``Cohort.warnings`` for the
rest.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from cartsie.cohort import columns as C
from cartsie.cohort import consistency, derive, measures, schema
from cartsie.cohort import values as V
from cartsie.cohort.endpoints import DOR_BASES, derive_endpoints, dor_basis
from cartsie.cohort.flow import note_missing_endpoints, patient_flow
from cartsie.cohort.options import Options, make_options
from cartsie.cohort.problems import Report
from cartsie.cohort.read import read_file
from cartsie.errors import CohortError, InputError
from cartsie.scores import HT_LABS

BASELINE_LABS = HT_LABS
GRADE_COLUMNS = derive.GRADE_COLUMNS


@dataclass(frozen=True, repr=False)
class Cohort:
    """A validated cohort.

    Made by :func:`load`; each parameter is an attribute of the same name.

    Parameters
    ----------
    patients : DataFrame
        One row per input patient (index ``patient_id``): canonical names, codes and units, with event
        days since infusion (``*_day``) next to the dates.
    labs : DataFrame or None
        The long labs table graded (whole ``day`` since infusion, canonical units, same-day duplicates
        combined as declared, draws after the end of follow-up left out).
    endpoints : DataFrame
        :data:`cartsie.cohort.endpoints.ENDPOINT_COLUMNS`, one row per patient.
    flow : DataFrame
        ``step``, ``n``, ``excluded``, ``reason``: enrolled -> infused -> LBCL -> simpleHT evaluable
        -> HT evaluable.
    exclusions : DataFrame
        ``step``, ``reason``, ``n``: one row per reason of exclusion.
    table : DataFrame
        One row per patient joining baseline, derived covariates, scores, toxicity grades and endpoints.
    warnings, notes : tuple of str
        What was doubtful, and what was done (columns renamed, units converted, rows left out).
    """

    patients: pd.DataFrame
    labs: pd.DataFrame | None
    endpoints: pd.DataFrame
    flow: pd.DataFrame
    exclusions: pd.DataFrame
    table: pd.DataFrame
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def _repr_html_(self) -> str:
        """The patient flow and the counts of warnings and notes, for notebooks (aggregates only)."""
        head = html.escape(self.__repr__().splitlines()[0].strip("<>"))
        rows = self.flow[["step", "n", "excluded", "reason"]].to_html(index=False, border=0)
        return f"<div><p><strong>{head}</strong></p>{rows}</div>"

    def __repr__(self) -> str:
        steps = ", ".join(f"{s} {n}" for s, n in zip(self.flow["step"], self.flow["n"], strict=True))
        labs = 0 if self.labs is None else len(self.labs)
        return (
            f"<Cohort: {len(self.patients)} patients, {labs} lab rows; {steps}; "
            f"{len(self.warnings)} warning(s), {len(self.notes)} note(s)>"
        )


def _read(source, table: str, options: Options, report: Report) -> pd.DataFrame | None:
    """Stage 1 for one table; a file that cannot be read is a problem, the other table is still read."""
    if isinstance(source, pd.DataFrame):
        # A frame indexed by patient id (as cartsie's own outputs are) keeps its ids as a column; any
        # other index is replaced by row numbers, which is what messages name without ids.
        def is_id(name) -> bool:
            return name is not None and C.canonical(str(name), table, options) == "patient_id"

        named = is_id(source.index.name) and not any(is_id(c) for c in source.columns)
        frame = source.reset_index(drop=not named)
        frame.columns = [str(c) for c in frame.columns]
        frame.attrs.setdefault("reader", "frame")
        return frame
    if isinstance(source, str | Path):
        try:
            return read_file(source, table, options, report)
        except CohortError as exc:
            for p in exc.problems:
                report.add(f"{table} table: {p}")
            return None
    raise InputError(f"{table}: give a pandas DataFrame or the path of a file, not {type(source).__name__}.")


def load(
    patients: pd.DataFrame | str | Path | None,
    labs: pd.DataFrame | str | Path | None = None,
    units: Mapping | None = None,
    *,
    columns=None,
    sheet: str | int | Mapping | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
    dayfirst: bool | None = None,
    encoding: str | None = None,
    na: Iterable = (),
    strict: bool = False,
    cutoff=None,
    lab_duplicates: Literal["error", "worst", "mean"] = "error",
    baseline: Literal["patients", "labs_day0"] = "patients",
    require: Iterable[str] = (),
) -> Cohort:
    """Read and validate a cohort; derive endpoints, scores, grades and the patient flow.

    Parameters
    ----------
    patients : DataFrame or path, or None
        One row per patient (CSV, Excel, Parquet, SAS ``.sas7bdat``/``.xpt``, Stata ``.dta``, SPSS
        ``.sav``; the kind is checked against the file's first bytes). Columns: :mod:`cartsie.cohort.schema`;
        headers are matched ignoring case, accents, spaces and through common (English and Italian)
        synonyms. None with a labs table: the patients are the ids of the labs (for grading only).
    labs : DataFrame or path, optional
        Long labs: ``patient_id``, ``day`` (or ``date``, with the infusion dates of the patients table),
        ``anc``, optional ``plt``, ``hb``, ``gcsf``. When given, ICAHT and severe cytopenias are graded
        from it (:func:`cartsie.toxicity.grade_icaht`, late window ending at progression or next
        therapy); otherwise precomputed grade columns of the patients table are used when present.
    units : mapping, optional
        Units of values not in canonical units, per table: ``{"patients": {"crp": "mg/L"}, "labs":
        {"hb": "g/L"}}``; a flat mapping takes ``"table.column"`` keys, or bare columns that only one
        table has. A unit written in a header ("CRP (mg/L)") applies to its own table only.
    columns : path, DataFrame or mapping, optional
        A column map written once per registry: CSV with ``source`` (your header), ``cartsie`` (its
        name here), optional ``unit`` and ``table``; or ``{source: cartsie}``.
    sheet : str, int or mapping, optional
        Excel sheet (name or 0-based index), or ``{"patients": ..., "labs": ...}``. Default: a sheet
        named after the table, else the first (said in the notes).
    decimal, thousands : str, optional
        Decimal mark ("." or ",") and thousands separator ("," "." " " "'") of numbers written as
        text. By default told apart by pattern; numbers that could be either ("3,770") are refused.
    dayfirst : bool, optional
        How to read dates such as 02/03/2021. By default decided from the data (a day above 12 settles
        it); ambiguous files are an error asking for this argument. ISO dates need nothing.
    encoding : str, optional
        Text encoding of CSV files (default UTF-8, UTF-16 when the file says so).
    na : iterable, optional
        Values that mean missing in this export ("999", "ND"); typical codes left undeclared are refused.
    strict : bool
        Doubtful values (unrecognised columns, censored "<0.1" values, dates read from serial numbers)
        become errors instead of warnings.
    cutoff : date, optional
        Data cut-off (default today): a date after it is an error.
    lab_duplicates : {"error", "worst", "mean"}
        What to do with two different draws on one day: refuse (default), keep the lowest count of the
        day, or average.
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
    InputError
        For arguments that cannot be right (an unknown option value, a missing column map).
    """
    options = make_options(
        units=units,
        columns=columns,
        sheet=sheet,
        decimal=decimal,
        thousands=thousands,
        dayfirst=dayfirst,
        encoding=encoding,
        na=na,
        strict=strict,
        cutoff=cutoff,
        lab_duplicates=lab_duplicates,
        has_labs=labs is not None,
    )
    report = Report(strict=options.strict)
    # No name here holds the raw tables, so each is freed as soon as its coerced copy exists.
    pat, lab = _values(*_structure(patients, labs, set(require), options, report), options, report)
    report.raise_if_any()

    pat = pat.set_index("patient_id")
    if baseline == "labs_day0" and lab is not None:
        pat = derive.baseline_from_labs(pat, lab, report)
    missing_labs = [c for c in BASELINE_LABS if c not in pat.columns]
    if 0 < len(missing_labs) < len(BASELINE_LABS) or (
        patients is not None and missing_labs and {"plt", "crp"} <= set(pat.columns)
    ):
        report.warn(
            f"patients table: no {', '.join(missing_labs)} column, so the HT score cannot be computed "
            "(simpleHT needs only plt and crp). Add the column(s) if the registry has them."
        )
    endpoints = derive_endpoints(pat)
    basis = dor_basis(pat.columns)
    if basis != "best_response" and ({"response_day90", "response_day"} & set(pat.columns)):
        report.note(DOR_BASES[basis])  # CART-SIE's DOR is of the best response: say what was done
    grades = derive.grades(pat, lab, report)
    table = derive.analysis_table(pat, grades, endpoints)
    if lab is not None:
        lab["patient_id"] = lab["patient_id"].astype(object)  # ids as text for the user
    flow, exclusions = patient_flow(table)
    note_missing_endpoints(endpoints, table, report)
    report.emit()
    return Cohort(pat, lab, endpoints, flow, exclusions, table, tuple(report.warnings), tuple(report.notes))


def _structure(
    patients, labs, require: set[str], options: Options, report: Report
) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, dict]]:
    """Structural pass: both files read, headers resolved, required columns present."""
    if patients is None and labs is None:
        raise InputError("give a patients table, a labs table, or both.")
    lab = lab_units = None
    if labs is not None:
        lab_raw = _read(labs, "labs", options, report)
        if lab_raw is not None:
            lab, lab_units = C.resolve(lab_raw, "labs", options, report)
    if patients is None:
        ids = (
            lab["patient_id"]
            if lab is not None and "patient_id" in lab.columns
            else pd.Series([], dtype=object)
        )
        pat = pd.DataFrame({"patient_id": pd.unique(ids.dropna())})
        pat.attrs["reader"] = "labs"
        pat_units: dict = {}
        report.note("no patients table: the patients are the ids of the labs table")
    else:
        pat_raw = _read(patients, "patients", options, report)
        if pat_raw is None:
            report.raise_if_any()
        pat, pat_units = C.resolve(pat_raw, "patients", options, report)
    _check_required(pat, lab, require, report)
    for name, frame in (("patients", pat), ("labs", lab)):
        if frame is not None and frame.empty and frame.shape[1]:
            report.add(f"{name} table: no rows (only a header).")
    declared = {}
    for table, header_units in (("patients", pat_units), ("labs", lab_units or {})):
        given = dict(options.units[table])
        for col, unit in header_units.items():
            if col in given and given[col] != unit:
                report.add(
                    f"{table} table, {report.column(table, col)}: the header says {unit!r} but "
                    f"{given[col]!r} "
                    "is declared. Keep one."
                )
            given.setdefault(col, unit)
        declared[table] = given
    return pat, lab, declared


def _values(pat, lab, declared, options: Options, report: Report):
    """Value pass: every cell coerced, units converted and checked, consistency within and across tables."""
    pat_dates = [c for c in pat.columns if c in schema.PATIENTS and schema.PATIENTS[c].kind == "date"]
    lab_dates = (
        [(lab, ["date"])] if lab is not None and "date" in lab.columns and "day" not in lab.columns else []
    )
    order = V.date_order([(pat, pat_dates), *lab_dates], options.dayfirst, report)
    measures.unused_units(pat, "patients", declared["patients"], report)
    pat = _coerce(pat, "patients", report, options, order, declared["patients"])
    pat = consistency.event_days(pat, report)
    consistency.check_patients(pat, report)
    if lab is not None and "patient_id" in lab.columns:
        raw_dates = (
            V.coerce_date(lab, "date", "labs", report, order, options)
            if "day" not in lab.columns and "date" in lab.columns
            else None
        )
        measures.unused_units(lab, "labs", declared["labs"], report)
        if raw_dates is not None:
            lab = lab.drop(columns=["date"])
        lab = _coerce(lab, "labs", report, options, order, declared["labs"])
        lab = consistency.lab_days(lab, raw_dates, pat, report)
        if "day" in lab.columns and "patient_id" in pat.columns:
            lab = consistency.check_labs(lab, pat, report, options)
    return pat, lab


def _coerce(
    frame: pd.DataFrame, table: str, report: Report, options: Options, order, units: dict
) -> pd.DataFrame:
    """Every column of ``frame`` (the reader's own copy) replaced by its coerced values, in place, so
    that a large labs table is not held twice."""
    known = schema.PATIENTS if table == "patients" else schema.LABS
    details = {}
    for col in list(frame.columns):
        spec = known.get(col)
        if spec is None:
            continue  # extra covariates pass through untouched (listed by the columns stage)
        if col == "patient_id":
            coerced = V.coerce_id(frame, table, report)
        elif spec.kind == "binary":
            coerced = V.coerce_binary(frame, col, table, report, options)
        elif spec.kind == "category":
            coerced, detail = V.coerce_category(frame, col, table, report, options)
            if detail is not None:
                details[f"{col}_detail"] = detail
        elif spec.kind in ("integer", "number", "day"):
            integer = spec.kind == "integer"
            coerced = V.coerce_number(frame, col, table, report, options, integer, units.get(col))
        elif spec.kind == "date":
            coerced = V.coerce_date(frame, col, table, report, order, options)
        else:
            coerced = V.text(frame[col])
        frame[col] = coerced
    for name, detail in details.items():
        frame[name] = detail
    return frame


def _has_event(df: pd.DataFrame, event: str) -> bool:
    return f"{event}_date" in df.columns or f"{event}_day" in df.columns


def _check_required(pat: pd.DataFrame, lab: pd.DataFrame | None, require: set[str], report: Report) -> None:
    needs: list[tuple[str, str, bool, str]] = [
        ("patients", "patient_id", "patient_id" in pat.columns, "every analysis")
    ]
    if "scores" in require:
        needs += [("patients", c, c in pat.columns, "the HT score") for c in BASELINE_LABS]
    if "simple_ht" in require:
        needs += [("patients", c, c in pat.columns, "simpleHT") for c in ("plt", "crp")]
    if "survival" in require or any(_has_event(pat, e) for e in ("progression", "death")):
        needs.append(
            (
                "patients",
                "last_followup_date",
                _has_event(pat, "last_followup"),
                "censoring survival endpoints (or give last_followup_day)",
            )
        )
    if "response" in require:
        needs.append(("patients", "response_day90", "response_day90" in pat.columns, "day-90 response"))
    if "spm" in require:
        needs.append(("patients", "spm_date", _has_event(pat, "spm"), "SPM endpoints (or give spm_day)"))
    if "toxicity" in require and lab is None:
        needs += [("patients", c, c in pat.columns, "toxicity without a labs table") for c in GRADE_COLUMNS]
    dated = [c for c in pat.columns if c.endswith("_date") and c != "infusion_date" and c in schema.PATIENTS]
    if dated:
        needs.append(
            (
                "patients",
                "infusion_date",
                "infusion_date" in pat.columns,
                f"turning the dates of {', '.join(dated)} into days since infusion",
            )
        )
    if lab is not None:
        needs.append(("labs", "patient_id", "patient_id" in lab.columns, "the labs table"))
        needs.append(("labs", "anc", "anc" in lab.columns, "ICAHT grading"))
        needs.append(
            ("labs", "day", "day" in lab.columns or "date" in lab.columns, "the labs table (or give date)")
        )
    for table, name, present, why in needs:
        if present:
            continue
        frame = pat if table == "patients" else lab
        assert frame is not None  # needs of the labs table are listed only with one
        others = frame.attrs.get("unrecognised", [])
        close = C.closest_header(others, name, table)
        hint = (
            f" The column {close!r} is not recognised: is it {name}? Rename it or map it (--columns)."
            if close
            else ""
        )
        report.add(f"{table} table: required column {name!r} is missing (needed for {why}).{hint} Add it.")
