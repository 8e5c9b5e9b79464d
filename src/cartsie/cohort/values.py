"""Stage 3, values: every cell read into its column's type, or reported with the patient it belongs to.

One coercer per kind of column of :mod:`cartsie.cohort.schema` (id, binary, category, number, date;
the yes/no and category ones, which work on a column's distinct values, in
:mod:`~cartsie.cohort.codes`).
Each takes the raw column, returns the canonical one and records in the shared
:class:`~cartsie.cohort.problems.Report` every value it cannot accept -- nothing raises, so the user
sees all problems at once, and nothing is converted silently:

* ids are text, trimmed; ids equal up to case or leading zeros are refused, naming both;
* a decimal comma and a thousands separator are told apart by pattern ("3,77" is a decimal comma,
  "1.234,5" both, "3,770" could be either: refused unless ``decimal=`` or ``thousands=`` says);
* typical "not done" codes (999, 9999, -99...) and physiologically impossible values are refused with
  the value, unless declared missing with ``na=``;
* dates are ISO, day-first or month-first (decided across all date columns; ambiguous files must say),
  spreadsheet serials or SAS/Stata day counts (each said); dates before 1950 or after the data cut-off
  are refused.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cartsie.cohort import measures, schema
from cartsie.cohort.codes import (  # noqa: F401 (re-exported)
    OPEN_CATEGORIES,
    _clean,
    _declared_missing,
    coerce_binary,
    coerce_category,
    text,
)
from cartsie.cohort.options import Options
from cartsie.cohort.problems import Report
from cartsie.cohort.read import ORIGIN_1960
from cartsie.units import parse_censored

#: Codes registries write for "not done" / "unknown" in numeric fields. They are refused with the hint
#: to declare them (``na=``) when impossible or implausible as a value (four nines or more, negative,
#: above :data:`TYPICAL_MAX`); otherwise (ferritin 999 ng/mL) read as measured, with a warning.
NOT_DONE = frozenset({999.0, 9999.0, 99999.0, 999999.0, -9.0, -99.0, -999.0, -9999.0})
#: Values above these (canonical units) are rare enough that 999 there is a code, not a count;
#: below them (ferritin 999 ng/mL is ordinary) 999 is read as measured, with a warning.
TYPICAL_MAX = {"anc": 30.0, "plt": 800.0, "hb": 20.0, "crp": 50.0, "ferritin": 50000.0, "age": 100.0}
#: For day counts a follow-up of 999 days is ordinary; the long codes and the negative ones are suspect
#: there (a draw on day -9 is possible, so it is only doubted).
NOT_DONE_DAYS = frozenset({9999.0, 99999.0, 999999.0, -9.0, -99.0, -999.0, -9999.0})
EARLIEST_DATE = pd.Timestamp("1950-01-01")

_PLAIN = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_COMMA_DECIMAL = re.compile(r"^[+-]?\d*,\d+$")  # 3,77 or 3,770 (the latter could be thousands)
_COMMA_GROUPS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")  # 3,770 / 1,234,567
_DOT_GROUPS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")  # 1.234 / 1.234.567
_EU = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+,\d+$")  # 1.234,5
_US = re.compile(r"^[+-]?\d{1,3}(,\d{3})+\.\d+$")  # 1,234.5
_SPACED = re.compile(r"^[+-]?\d{1,3}([ '\u00a0\u202f]\d{3})+([.,]\d+)?$")  # 1 234 / 1'234,5


def coerce_id(df: pd.DataFrame, table: str, report: Report) -> pd.Series:
    """Ids as trimmed text; "12.0" from a spreadsheet's number cell is "12".

    The labs table's ids come back categorical (each id stored once, its rows as integer codes), which
    keeps every later check on millions of draws a matter of integers; :func:`cartsie.cohort.load`
    hands them out as text.
    """
    # Clean the distinct ids only: a labs table repeats each id dozens of times.
    raw = df["patient_id"]
    if isinstance(raw.dtype, pd.CategoricalDtype):
        codes, uniques = raw.cat.codes.to_numpy(), raw.cat.categories
    else:
        codes, uniques = pd.factorize(raw)
    clean = pd.Series([_clean_id(v) for v in uniques], dtype=object)
    # " 12" and "12" clean to one id: codes of the cleaned ids, -1 for none
    merged, categories = pd.factorize(pd.Series(clean.to_numpy(dtype=object, na_value=None), dtype=object))
    codes = np.where(codes >= 0, merged[np.where(codes >= 0, codes, 0)] if len(merged) else -1, -1)
    ids = pd.Series(
        pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object)), index=df.index
    )
    missing = codes < 0
    report.problem(
        table,
        "patient_id",
        df,
        missing,
        f"{int(missing.sum())} row(s) without an id",
        "Give every row its patient's id.",
    )
    if table == "patients":
        ids = ids.astype(object).where(~missing, None)
        _check_unique(ids, df, report)
    return ids


def _clean_id(value) -> str | None:
    """An id as text: "12.0" (a spreadsheet's number cell, or its text) is "12"; blank is None."""
    if isinstance(value, float) and value.is_integer():
        value = f"{value:.0f}"
    out = _clean(value)
    if out is not None and out.endswith(".0") and out[:-2].isdigit():
        out = out[:-2]
    return out or None


def _check_unique(ids: pd.Series, df: pd.DataFrame, report: Report) -> None:
    """One row per patient, and no two ids that differ only by case or leading zeros."""
    present = ids.dropna()
    repeated = present.duplicated(keep=False)
    if repeated.any():
        report.problem(
            "patients",
            "patient_id",
            pd.DataFrame({"patient_id": ids}),
            ids.isin(present[repeated].unique()),
            "the same id on several rows",
            "Keep one row per patient.",
        )
    distinct = present.unique().tolist()
    for how, key in (("case", str.lower), ("leading zeros", lambda i: i.lstrip("0"))):
        keys = [key(i) for i in distinct]
        if len(set(keys)) == len(keys):
            continue
        groups: dict[str, list[str]] = {}
        for i, k in zip(distinct, keys, strict=True):
            groups.setdefault(k, []).append(i)
        for group in (g for g in groups.values() if len(g) > 1):
            report.add(
                "patients table, column 'patient_id': the ids "
                f"{' and '.join(map(repr, group))} differ only by {how}; they would be one patient in some "
                "software and two in others. Make them identical if they are one patient, or clearly "
                "different if not."
            )


def _marks_of(v: pd.Series):
    return [
        v.str.match(p).fillna(False) for p in (_PLAIN, _COMMA_DECIMAL, _COMMA_GROUPS, _DOT_GROUPS, _EU, _US)
    ]


def _mark(
    values: pd.Series, column: pd.Series, decimal: str | None, thousands: str | None
) -> tuple[pd.Series, str | None]:
    """Numbers from text by the declared marks, or, when undeclared, by the pattern of the whole
    ``column``; the reason when the marks cannot be told apart."""
    v = values
    plain, comma, groups_c, groups_d, eu, us = _marks_of(v)
    spaced = v.str.match(_SPACED).fillna(False)
    problem = None
    if decimal is None:
        c_plain, c_comma, c_groups_c, c_groups_d, c_eu, c_us = _marks_of(column.dropna())
        says_comma = (c_comma & ~c_groups_c).any() or c_eu.any()
        dotted = column.dropna().str.contains(".", regex=False)
        says_dot = (c_plain & dotted & ~c_groups_d).any() or c_us.any()
        if says_comma and says_dot:
            return v.where(v.isna()), "mixes decimal commas and decimal points"
        decimal = "," if says_comma else "." if says_dot else None
        if decimal is None and groups_c.any() and thousands is None:
            return v.where(v.isna()), "comma-ambiguous"
        decimal = decimal or "."
    out = v.copy()
    if thousands is not None:
        grouped = (groups_c | us) if thousands == "," else (groups_d | eu) if thousands == "." else spaced
        out = out.where(~grouped, out.str.replace(thousands, "", regex=False))
    elif spaced.any() and not (comma | plain).loc[spaced].all():
        problem = "digit groups separated by spaces or apostrophes"
    if decimal == ",":
        # "1.0" is a spreadsheet's float, not a decimal point (a thousands group has three digits)
        out = out.str.replace(r"^([+-]?\d+)\.0{1,2}$", r"\1", regex=True)
        has_dot = out.str.contains(".", regex=False).fillna(False)
        if has_dot.any() and thousands != ".":
            return out.where(~has_dot), "points in numbers whose decimal mark is ','"
        out = out.str.replace(",", ".", regex=False)
    return out, problem


def coerce_number(
    df, col: str, table: str, report: Report, options: Options, integer: bool = False, unit: str | None = None
) -> pd.Series:
    """A numeric column: declared missing codes, decimal marks, censored values, the declared ``unit``
    converted (:mod:`~cartsie.cohort.measures`), then range checks in the canonical unit."""
    spec = (schema.PATIENTS if table == "patients" else schema.LABS)[col]
    raw = df[col]
    if col == "stage" and not pd.api.types.is_numeric_dtype(raw):
        roman = (
            text(raw)
            .str.lower()
            .str.replace(r"^(stage|ann arbor|stadio)\s*", "", regex=True)
            .str.rstrip("abexs")
        )
        raw = raw.where(roman.map(schema.ROMAN).isna(), roman.map(schema.ROMAN).astype(object))
    values = _numbers(raw, df, col, table, report, options)
    declared = pd.Series(False, index=df.index)
    if options.na:
        declared = values.map(lambda x: f"{x:g}" in options.na if pd.notna(x) else False).astype(bool)
        if declared.any():
            report.note(
                f"{table} table, column {col!r}: {int(declared.sum())} value(s) declared missing (na=) "
                "read as missing"
            )
            values = values.mask(declared)
    measured = values
    if unit is not None:
        values = measures.convert_column(values, col, table, unit, report)
        if values is None:
            return pd.Series(np.nan, index=df.index)
    values = values.mask(_not_done(measured, values, spec, df, col, table, report))
    if not measures.median_plausible(values, col, table, unit, report):
        return pd.Series(np.nan, index=df.index)
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
    _range(values, spec, df, col, table, report)
    values = values.where(~_outside(values, spec))
    return values.round().astype("Int64") if integer else values.astype(float, copy=False)


def _not_done(measured: pd.Series, values: pd.Series, spec, df, col: str, table: str, report: Report):
    """Cells holding a "not done" code as written (``measured``); refused when the value (in the
    canonical unit) is impossible, doubtful otherwise. Returns the refused cells."""
    codes = NOT_DONE_DAYS if spec.kind == "day" else NOT_DONE
    raw = measured.to_numpy(dtype=float)
    coded = np.zeros(len(raw), dtype=bool)
    for code in codes:  # a few vectorised comparisons beat a general isin on millions of floats
        coded |= raw == code
    coded = pd.Series(coded, index=measured.index)
    if not coded.any():  # the usual case: no code, nothing refused (the tests below select nothing)
        return coded
    typical = TYPICAL_MAX.get(col, np.inf)
    outside = coded & (
        _outside(values, spec) | (measured.abs() >= 9999) | (measured < 0) | (values > typical)
    )
    for mask, refused in ((outside, True), (coded & ~outside, False)):
        if mask.any():
            shown = ", ".join(f"{x:g}" for x in measured[mask].unique()[:3])
            first = shown.split(", ")[0]
            record = report.problem if refused else report.doubt
            read = "implausible as a value" if refused else "read as a measured value"
            record(
                table,
                col,
                df,
                mask,
                f"the value(s) {shown}, a typical 'not done' code ({read})",
                f"If it means not done, declare it missing: na=[{first!r}] (--na {first}); else correct it.",
            )
    return outside


def _outside(values: pd.Series, spec) -> pd.Series:
    low = values < spec.minimum if spec.minimum is not None else False
    high = values > spec.maximum if spec.maximum is not None else False
    return (
        (low | high)
        if not isinstance(low, bool) or not isinstance(high, bool)
        else pd.Series(False, index=values.index)
    )


def _range(values, spec, df, col, table, report) -> None:
    unit = f" {spec.unit}" if spec.unit and spec.unit not in ("years", "days") else ""
    for side, bound in (("below", spec.minimum), ("above", spec.maximum)):
        if bound is None:
            continue
        mask = values < bound if side == "below" else values > bound
        if mask.any():
            shown = ", ".join(f"{x:g}" for x in values[mask].unique()[:3])
            span = (
                f"between {spec.minimum:g} and {spec.maximum:g}"
                if spec.minimum is not None and spec.maximum is not None
                else f"at least {spec.minimum:g}"
                if spec.minimum is not None
                else f"at most {spec.maximum:g}"
            )
            report.problem(
                table,
                col,
                df,
                mask,
                f"impossible {'negative values' if side == 'below' and bound == 0 else f'values {side}'}"
                f"{'' if side == 'below' and bound == 0 else f' {bound:g}'}"
                f" ({shown})",
                f"{spec.description[0].upper()}{spec.description[1:]} must be {span}{unit}: correct them"
                + (", declare the unit if it is another one," if unit else ",")
                + " or declare a missing code with na=.",
            )


def _numbers(raw: pd.Series, df, col, table, report, options: Options) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype(float)
    if pd.api.types.is_numeric_dtype(raw):
        values = raw.astype(float)
        inf = np.isinf(values)
        report.problem(
            table, col, df, inf, "infinite values", "Write finite numbers, or leave blank when unknown."
        )
        return values.mask(inf)
    t = _declared_missing(text(raw), table, col, df, options, report)
    decimal, thousands = options.decimal[table], options.thousands[table]
    if decimal is None and thousands is None:
        values = pd.to_numeric(t, errors="coerce").astype(float)
    else:  # declared marks: every value is read by them ("2.1" under decimal=',' is noticed)
        values = pd.Series(np.nan, index=t.index)
    rest = values.isna() & t.notna()
    if not rest.any():
        return values
    marked, problem = _mark(t[rest], t, decimal, thousands)
    if problem is None and decimal is None and marked.ne(t[rest]).any():
        report.note(
            f"{table} table, column {col!r}: numbers with decimal commas read as such "
            f"(e.g. {t[rest].iloc[0]!r})"
        )
    if problem == "comma-ambiguous":
        ambiguous = t[rest][t[rest].str.match(_COMMA_GROUPS).fillna(False)]
        report.problem(
            table,
            col,
            df,
            t.index.isin(ambiguous.index),
            f"numbers such as {ambiguous.iloc[0]!r} could use a thousands separator or a decimal comma",
            f"Say which: thousands=',' (--thousands ,) reads {ambiguous.iloc[0]!r} as "
            f"{ambiguous.iloc[0].replace(',', '')}, decimal=',' (--decimal ,) as "
            f"{ambiguous.iloc[0].replace(',', '.')}.",
        )
        return values
    if problem is not None:
        offending = marked.isna() if problem.startswith("points") else pd.Series(True, index=marked.index)
        report.problem(
            table,
            col,
            df,
            t.index.isin(offending[offending].index),
            problem,
            "Write every number the same way, and declare the marks with decimal= and thousands=.",
        )
        return values
    parsed, censored = parse_censored(marked.astype(object).where(marked.notna(), None))
    if decimal == "," and thousands is None:
        three = t[rest].str.match(_COMMA_GROUPS).fillna(False)
        if three.any() and three.sum() == t[rest].str.contains(",", regex=False).sum():
            report.doubt(
                table,
                col,
                df,
                t.index.isin(three[three].index),
                "every number with a comma has three digits after it "
                f"(e.g. {t[rest][three].iloc[0]!r}); read "
                "as decimals as declared (decimal=',')",
                "If the comma separates thousands, pass thousands=',' instead.",
            )
    values.loc[rest] = parsed.to_numpy()
    bad = values.isna() & t.notna()
    if bad.any():
        shown = ", ".join(repr(v) for v in t[bad].unique()[:3])
        report.problem(
            table,
            col,
            df,
            bad,
            f"text that is not a number ({shown})",
            "Write numbers, leave blank when unknown, or declare the text as a missing code (na=).",
        )
    if censored.any():
        where = t[rest].index[censored.to_numpy()]
        report.doubt(
            table,
            col,
            df,
            t.index.isin(where),
            f"{len(where)} value(s) with a detection-limit sign (e.g. {t[where[0]]!r})",
            "Each is read as lying just beyond its limit.",
        )
    return values


_SLASHED = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})\s*$")


def date_order(frames: list[tuple[pd.DataFrame, list[str]]], dayfirst: bool | None, report: Report):
    """Decide day-first or month-first for slashed dates across all date columns of both tables."""
    if dayfirst is not None:
        return dayfirst
    first_big = second_big = False
    slashed = []
    for df, cols in frames:
        for col in cols:
            if pd.api.types.is_datetime64_any_dtype(df[col]) or pd.api.types.is_numeric_dtype(df[col]):
                continue
            parts = text(pd.Series(pd.unique(df[col]))).str.extract(_SLASHED).dropna()
            if parts.empty:
                continue
            slashed.append(repr(col))
            first_big |= bool((parts[0].astype(int) > 12).any())
            second_big |= bool((parts[1].astype(int) > 12).any())
    if not slashed:
        return None
    where = f"date column(s) {', '.join(slashed)}"
    if first_big and second_big:
        report.add(
            f"{where} mix day-first (31/01/2021) and month-first (01/31/2021) dates. Write all dates "
            "one way, preferably as YYYY-MM-DD."
        )
        return None
    if first_big or second_big:
        return first_big
    report.add(
        f"{where}: dates such as 02/03/2021 are ambiguous (2 March or February 3?) and no date in the files "
        "settles it. Pass dayfirst=True (--dayfirst, European) or dayfirst=False (--monthfirst, US), or "
        "write dates as YYYY-MM-DD."
    )
    return None


def _numeric_dates(raw: pd.Series, df, col, table, report) -> pd.Series:
    reader = df.attrs.get("reader", "")
    origin, low, high = (
        ("1960-01-01", -3653, 36525) if reader in ORIGIN_1960 else ("1899-12-30", 18264, 80000)
    )
    known = raw.notna()
    inside = known & raw.between(low, high)
    if not known.any():
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    if not inside[known].all():
        report.problem(
            table,
            col,
            df,
            known & ~inside,
            "numbers where dates are expected",
            "Write dates as YYYY-MM-DD (or give the file a date format), or give days since infusion in "
            "the *_day column.",
        )
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    what = (
        "SAS/Stata day counts (days since 1960-01-01)"
        if reader in ORIGIN_1960
        else "spreadsheet date serials (days since 1899-12-30)"
    )
    report.warn(
        f"{table} table, column {col!r}: numbers without a date format read as {what}. Check a few "
        "against the source, or export the column with a date format."
    )
    return pd.to_datetime(raw.where(inside), unit="D", origin=origin)


def coerce_date(
    df, col: str, table: str, report: Report, dayfirst: bool | None, options: Options
) -> pd.Series:
    raw = df[col]
    if pd.api.types.is_datetime64_any_dtype(raw):
        stamps = pd.to_datetime(raw)
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_localize(None)
        out = stamps.dt.normalize().astype("datetime64[ns]")
    elif pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        out = _numeric_dates(raw.astype(float), df, col, table, report)
    else:
        out = _text_dates(raw, df, col, table, report, dayfirst, options)
    early, late = out < EARLIEST_DATE, out > options.cutoff
    report.problem(
        table,
        col,
        df,
        early,
        f"dates before {EARLIEST_DATE:%Y} ({_dates(out[early])})",
        "Correct them (a date typed with the wrong century, or a placeholder such as 1900-01-01?).",
    )
    report.problem(
        table,
        col,
        df,
        late,
        f"dates after the data cut-off {options.cutoff:%Y-%m-%d} ({_dates(out[late])})",
        "Correct them, or pass the cut-off of the data: cutoff='YYYY-MM-DD' (--cutoff).",
    )
    return out.where(~(early | late))


def _dates(values: pd.Series) -> str:
    return ", ".join(f"{d:%Y-%m-%d}" for d in values.drop_duplicates().head(3))


def _text_dates(raw, df, col, table, report, dayfirst, options) -> pd.Series:
    """Dates written as text (or date objects); each distinct text is parsed once."""
    if pd.api.types.infer_dtype(raw, skipna=True) not in ("string", "empty"):
        raw = raw.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    t = _declared_missing(text(raw), table, col, df, options, report)
    codes, uniques = pd.factorize(t)
    u = pd.Series(uniques, dtype="string")
    parsed = pd.to_datetime(u, format="ISO8601", errors="coerce")
    rest = parsed.isna()
    if rest.any() and dayfirst is not None:
        parts = u[rest].str.extract(_SLASHED)
        ok = parts[0].notna()
        if ok.any():
            day, month = (parts[0], parts[1]) if dayfirst else (parts[1], parts[0])
            year = parts[2].where(parts[2].str.len() == 4, "20" + parts[2])
            iso = year[ok] + "-" + month[ok].str.zfill(2) + "-" + day[ok].str.zfill(2)
            parsed.loc[iso.index] = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    parsed = parsed.dt.normalize().astype("datetime64[ns]").to_numpy()
    known = codes >= 0
    out = pd.Series(
        np.where(known, parsed[np.where(known, codes, 0)] if len(parsed) else None, None),
        index=raw.index,
        dtype="datetime64[ns]",
    )
    bad = out.isna() & t.notna()
    if bad.any() and not (dayfirst is None and t[bad].str.match(_SLASHED).fillna(False).all()):
        shown = ", ".join(repr(v) for v in t[bad].unique()[:3])
        report.problem(
            table, col, df, bad, f"dates that cannot be read ({shown})", "Write dates as YYYY-MM-DD."
        )
    return out
