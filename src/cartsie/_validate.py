"""Validation of the input tables against :mod:`cartsie.schema`, collecting every problem.

Each coercer turns one raw column into its canonical form and reports, through :class:`Report`, the
column, the patient id(s) and the fix for every value it cannot accept. Nothing raises until the whole
table has been read, so the user sees all problems at once.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cartsie import schema
from cartsie._checks import describe_rows
from cartsie.errors import CohortError, CohortWarning
from cartsie.units import check_magnitude, convert, parse_censored

#: Categorical columns whose unknown values become "other" (with the original kept in
#: ``<column>_detail``) instead of being an error.
OPEN_CATEGORIES = ("histology", "product", "death_cause", "spm_type")


@dataclass
class Report:
    """Problems (errors) and warnings found while reading one or two tables."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, table: str, column: str, df: pd.DataFrame, mask, what: str, fix: str) -> None:
        """Record a problem in the rows of ``mask`` (nothing when no row is selected)."""
        mask = np.asarray(pd.Series(mask).fillna(False), dtype=bool)
        if mask.any():
            self.problems.append(
                f"{table} table, column {column!r}: {what} at {describe_rows(df, mask)}. {fix}"
            )

    def warn(self, message: str) -> None:
        """Record a warning; it is issued by :meth:`emit` once the tables have passed validation."""
        self.warnings.append(message)

    def emit(self, stacklevel: int = 3) -> None:
        for message in self.warnings:
            warnings.warn(message, CohortWarning, stacklevel=stacklevel)

    def raise_if_any(self) -> None:
        if self.problems:
            raise CohortError(self.problems)


_UNIT_IN_NAME = re.compile(r"^(.*?)[\s_]*[\(\[]\s*([^\)\]]+?)\s*[\)\]]$")


def canonical_names(df: pd.DataFrame, table: str, report: Report) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename columns to canonical names; return the frame and units found in names like "CRP (mg/L)"."""
    known = schema.PATIENTS if table == "patients" else schema.LABS
    rename: dict[str, str] = {}
    units: dict[str, str] = {}
    for original in df.columns:
        text = str(original).strip()
        unit = None
        m = _UNIT_IN_NAME.match(text)
        if m:
            text, unit = m.group(1), m.group(2)
        name = re.sub(r"[\s\-./]+", "_", text.lower()).strip("_")
        name = schema.COLUMN_ALIASES.get(name, name)
        if unit is not None and name in known and known[name].unit is not None:
            units[name] = unit
        rename[original] = name
    counts = pd.Series(list(rename.values())).value_counts()
    for name in counts[counts > 1].index:
        sources = [str(k) for k, v in rename.items() if v == name]
        report.problems.append(
            f"{table} table: columns {sources} all mean {name!r}. Keep one of them (rename or drop the rest)."
        )
    out = df.copy()
    out.columns = list(rename.values())
    renamed = {str(k): v for k, v in rename.items() if str(k) != v}
    if renamed:
        report.notes.append(f"{table} table: columns read as {renamed}")
    return out, units


def _text(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip()


def coerce_id(df: pd.DataFrame, table: str, report: Report) -> pd.Series:
    # Clean the distinct ids only: a labs table repeats each id dozens of times.
    codes, uniques = pd.factorize(df["patient_id"])
    clean = _text(pd.Series(uniques, dtype=object)).str.replace(r"\.0$", "", regex=True)  # spreadsheet floats
    ids = pd.Series(pd.array(clean.to_numpy(dtype=object, na_value=None), dtype="string"), dtype="string")
    ids = pd.Series(ids.to_numpy()[np.where(codes >= 0, codes, 0)], index=df.index, dtype="string")
    ids[codes < 0] = pd.NA
    missing = ids.isna() | (ids == "")
    report.problem(
        table,
        "patient_id",
        df,
        missing,
        f"{int(missing.sum())} row(s) without an id",
        "Give every row its patient's id.",
    )
    if table == "patients":
        dup = ids.duplicated(keep=False) & ~missing
        if dup.any():
            shown = ", ".join(sorted(ids[dup].unique())[:5])
            report.problems.append(
                f"patients table, column 'patient_id': the same id on several rows at patient_id {shown} "
                f"({int(dup.sum())} rows). Keep one row per patient."
            )
    return ids.astype(object).where(ids.notna(), None)


def coerce_binary(df: pd.DataFrame, col: str, table: str, report: Report) -> pd.Series:
    raw = df[col]
    text = _text(raw).str.lower().str.replace(r"\.0$", "", regex=True)
    out = pd.Series(pd.NA, index=df.index, dtype="Int64")
    out[text.isin(schema.TRUE_WORDS).fillna(False)] = 1
    out[text.isin(schema.FALSE_WORDS).fillna(False)] = 0
    bad = out.isna() & text.notna() & (text != "")
    if bad.any():
        shown = ", ".join(repr(v) for v in raw[bad].astype(str).unique()[:4])
        report.problem(
            table,
            col,
            df,
            bad,
            f"values {shown} are not yes/no",
            "Write 1/0 (or yes/no), or leave blank when unknown.",
        )
    return out


def coerce_category(
    df: pd.DataFrame, col: str, table: str, report: Report
) -> tuple[pd.Series, pd.Series | None]:
    spec = schema.PATIENTS[col]
    text = _text(df[col])
    lookup = {c.lower(): c for c in spec.codes}
    lookup.update({k.lower(): v for k, v in spec.aliases.items()})
    mapped = text.str.lower().map(lookup)
    unknown = mapped.isna() & text.notna() & (text != "")
    detail = None
    if unknown.any():
        if col in OPEN_CATEGORIES:
            detail = text.where(unknown)
            mapped = mapped.where(~unknown, "other")
        else:
            shown = ", ".join(repr(v) for v in text[unknown].unique()[:4])
            report.problem(
                table, col, df, unknown, f"unknown value(s) {shown}", f"Use one of {', '.join(spec.codes)}."
            )
    return mapped.astype("string"), detail


def _numbers(df: pd.DataFrame, col: str, table: str, report: Report, decimal: str) -> pd.Series:
    raw = df[col]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.astype(float)
    text = _text(raw)
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    values, censored = parse_censored(text.astype(object).where(text.notna(), None))
    bad = values.isna() & text.notna() & (text != "")
    if bad.any():
        shown = ", ".join(repr(v) for v in raw[bad].astype(str).unique()[:3])
        comma = text[bad].str.fullmatch(r"-?\d+,\d+").fillna(False).any()
        fix = (
            "These look like decimal commas: pass decimal=',' (or --decimal ,)."
            if comma
            else "Write numbers, or leave blank when unknown."
        )
        report.problem(table, col, df, bad, f"text that is not a number ({shown})", fix)
    if censored.any():
        report.warn(
            f"{table} table, column {col!r}: {int(censored.sum())} value(s) with a detection-limit sign "
            f"(e.g. {raw[censored].iloc[0]!r}) at {describe_rows(df, censored.to_numpy())}; each is read "
            "as lying just beyond its limit."
        )
    return values


def coerce_number(df, col, table, report, decimal=".", integer=False) -> pd.Series:
    spec = (schema.PATIENTS if table == "patients" else schema.LABS)[col]
    if col == "stage" and not pd.api.types.is_numeric_dtype(df[col]):
        roman = _text(df[col]).str.lower().str.replace(r"^(stage|ann arbor)\s*", "", regex=True)
        roman = roman.str.rstrip("abexs")  # IIA, IVB, IIE, IIIS -> the numeral
        df = df.assign(
            **{col: roman.map(schema.ROMAN).astype(object).where(roman.map(schema.ROMAN).notna(), df[col])}
        )
    values = _numbers(df, col, table, report, decimal)
    if integer:
        frac = values.notna() & (values != np.round(values))
        report.problem(
            table,
            col,
            df,
            frac,
            "values that are not whole numbers",
            "Write whole numbers (grades, counts, stage 1-4).",
        )
        values = values.where(~frac)
    low = values < spec.minimum if spec.minimum is not None else pd.Series(False, index=df.index)
    high = values > spec.maximum if spec.maximum is not None else pd.Series(False, index=df.index)
    for mask, what in (
        (low, f"values below {spec.minimum:g}" if spec.minimum is not None else ""),
        (high, f"values above {spec.maximum:g}" if spec.maximum is not None else ""),
    ):
        if mask.any():
            span = (
                f"between {spec.minimum:g} and {spec.maximum:g}"
                if spec.maximum is not None
                else f"at least {spec.minimum:g}"
            )
            report.problem(
                table,
                col,
                df,
                mask,
                f"impossible {what}",
                f"{spec.description.capitalize()} must be {span}{' ' + spec.unit if spec.unit else ''}.",
            )
    values = values.where(~(low | high))
    return values.round().astype("Int64") if integer else values


_SLASHED = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})\s*$")


def date_order(frames: list[tuple[pd.DataFrame, list[str]]], dayfirst: bool | None, report: Report):
    """Decide day-first or month-first for slashed dates across all date columns of the tables."""
    if dayfirst is not None:
        return dayfirst
    first_big = second_big = False
    slashed = []
    for df, cols in frames:
        for col in cols:
            if pd.api.types.is_datetime64_any_dtype(df[col]):
                continue
            parts = _text(df[col]).str.extract(_SLASHED).dropna()
            if parts.empty:
                continue
            slashed.append(repr(col))
            first_big |= bool((parts[0].astype(int) > 12).any())
            second_big |= bool((parts[1].astype(int) > 12).any())
    if not slashed:
        return None
    where = f"date column(s) {', '.join(slashed)}"
    if first_big and second_big:
        report.problems.append(
            f"{where} mix day-first (31/01/2021) and month-first (01/31/2021) dates. Write all dates "
            "one way, preferably as YYYY-MM-DD."
        )
        return None
    if first_big or second_big:
        return first_big
    report.problems.append(
        f"{where}: dates such as 02/03/2021 are ambiguous (2 March or February 3?) and no date in the file "
        "settles it. Pass dayfirst=True (European) or dayfirst=False (US), or write dates as YYYY-MM-DD."
    )
    return None


def coerce_date(df: pd.DataFrame, col: str, table: str, report: Report, dayfirst: bool | None) -> pd.Series:
    raw = df[col]
    if pd.api.types.is_datetime64_any_dtype(raw):
        stamps = pd.to_datetime(raw)
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_localize(None)
        return stamps.dt.normalize().astype("datetime64[ns]")
    if pd.api.types.is_numeric_dtype(raw):
        serial = raw.notna() & raw.between(10000, 80000)
        if raw.notna().any() and serial[raw.notna()].all():
            report.warn(
                f"{table} table, column {col!r}: numbers read as spreadsheet date serials "
                "(days since 1899-12-30)."
            )
            return pd.to_datetime(raw, unit="D", origin="1899-12-30")
        report.problem(
            table,
            col,
            df,
            raw.notna(),
            "numbers where dates are expected",
            "Write dates as YYYY-MM-DD, or give days since infusion in the *_day column.",
        )
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    text = _text(raw)
    out = pd.to_datetime(text, format="ISO8601", errors="coerce")
    rest = out.isna() & text.notna() & (text != "")
    if rest.any() and dayfirst is not None:
        parts = text[rest].str.extract(_SLASHED)
        ok = parts[0].notna()
        if ok.any():
            day, month = (parts[0], parts[1]) if dayfirst else (parts[1], parts[0])
            year = parts[2].where(parts[2].str.len() == 4, "20" + parts[2])
            iso = year[ok] + "-" + month[ok].str.zfill(2) + "-" + day[ok].str.zfill(2)
            out.loc[iso.index] = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    bad = out.isna() & text.notna() & (text != "")
    if bad.any() and not (dayfirst is None and text[bad].str.match(_SLASHED).fillna(False).all()):
        shown = ", ".join(repr(v) for v in text[bad].unique()[:3])
        report.problem(
            table, col, df, bad, f"dates that cannot be read ({shown})", "Write dates as YYYY-MM-DD."
        )
    return out.astype("datetime64[ns]")


def apply_units(df: pd.DataFrame, units: dict[str, str], table: str, report: Report) -> pd.DataFrame:
    out = df
    for col, unit in units.items():
        if col not in out.columns:
            continue
        try:
            out[col] = convert(out[col], col, unit)
        except ValueError as exc:
            report.problems.append(f"{table} table, column {col!r}: {exc}")
        else:
            report.notes.append(f"{table} table: {col!r} converted from {unit}")
    return out


def check_units(df: pd.DataFrame, columns, table: str, strict: bool, report: Report) -> None:
    for finding in check_magnitude(df, [c for c in columns if c in df.columns]):
        message = f"{table} table, {finding.message}"
        if strict:
            report.problems.append(message)
        else:
            report.warn(message)
